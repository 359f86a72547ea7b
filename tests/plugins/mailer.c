/* Test plugin for the outbox: POST /api/v1/mailer/send queues mail through
 * portal_mail, as a feature would, with the templates of its share folder
 * (<plugin_share>/mailer/templates/mail/hello.{txt,html}, its subject key
 * "mailer.subject" in <plugin_share>/mailer/locale/{de,en}.txt), which the
 * integration test writes. Public and without CSRF: never enabled outside the
 * tests.
 *
 * Body: {to, name, locale, org_id, count (mails to queue, default 1),
 *        rollback (true: queue, then roll the transaction back)}. */
#include <portal/mail.h>
#include <portal/portal.h>
#include <stdbool.h>

#define MAX_COUNT 100

static int mailer_send(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const char *to = portal_in_str(req, "to");
	const char *name = portal_in_str(req, "name");
	long long count = portal_in_int(req, "count", 1);
	bool rollback = portal_in_bool(req, "rollback", false);
	struct portal_value *v = pv_object(a);
	if (!v || pv_set_str(a, v, "name", name ? name : ""))
		return 500;
	struct portal_mail mail = {
	    .to = to ? to : "",
	    .to_name = name,
	    .locale = portal_in_str(req, "locale"),
	    .kind = "test",
	    .template_name = "hello",
	    .subject = "mailer.subject",
	    .org_id = portal_in_int(req, "org_id", 0),
	    .view = v,
	};
	int status = portal_db_begin(req);
	for (long long i = 0; !status && i < count; i++) {
		if (pv_set_int(a, v, "number", i + 1))
			return 500;
		status = portal_mail(req, &mail);
	}
	if (status)
		return status; /* the core rolls back the open transaction */
	if (rollback)
		status = portal_db_rollback(req);
	else
		status = portal_db_commit(req);
	if (status)
		return status;
	return pv_set_int(a, view, "queued", rollback ? 0 : count) ? 500 : 200;
}

/* The address and the name as sent, line breaks and all: what the mail
 * layer must refuse or neutralise is the test. */
static const struct portal_input inputs[] = {
    {"to", PORTAL_IN_STRING, PORTAL_IN_VERBATIM | PORTAL_IN_MULTILINE, 0, 1000},
    {"name", PORTAL_IN_STRING, PORTAL_IN_VERBATIM | PORTAL_IN_MULTILINE, 0, 1000},
    {"locale", PORTAL_IN_STRING, 0, 0, 10},
    {"count", PORTAL_IN_INT, 0, 1, MAX_COUNT},
    {"org_id", PORTAL_IN_ID},
    {"rollback", PORTAL_IN_BOOL},
    {0},
};

static const struct portal_route routes[] = {
    {"POST", "/mailer/send", NULL, PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_NO_CSRF, mailer_send, NULL,
     NULL, inputs},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "mailer",
    .version = "1",
    .routes = routes,
};
