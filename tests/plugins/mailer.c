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
	const char *to = pv_get_str(req->body, "to");
	const char *name = pv_get_str(req->body, "name");
	long long count = pv_get_int(req->body, "count", 1);
	const struct portal_value *rollback = pv_get(req->body, "rollback");
	if (count < 1 || count > MAX_COUNT)
		return portal_fail(req, 422, "validation", "count", "error.title.422");
	struct portal_value *v = pv_object(a);
	if (!v || pv_set_str(a, v, "name", name ? name : ""))
		return 500;
	struct portal_mail mail = {
	    .to = to ? to : "",
	    .to_name = name,
	    .locale = pv_get_str(req->body, "locale"),
	    .kind = "test",
	    .template_name = "hello",
	    .subject = "mailer.subject",
	    .org_id = pv_get_int(req->body, "org_id", 0),
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
	if (rollback && pv_truthy(rollback))
		status = portal_db_rollback(req);
	else
		status = portal_db_commit(req);
	if (status)
		return status;
	return pv_set_int(a, view, "queued", rollback && pv_truthy(rollback) ? 0 : count) ? 500
	                                                                                  : 200;
}

static const struct portal_route routes[] = {
    {"POST", "/mailer/send", NULL, PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_NO_CSRF, mailer_send, NULL,
     NULL},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "mailer",
    .version = "1",
    .routes = routes,
};
