/* portalctl org create | org list, and portalctl demo. */
#include <stdio.h>
#include <string.h>

#include "features/accounts.h"
#include "ctl/ctl.h"
#include "portal/input.h"
#include "portal/text.h"
#include "mail/mail.h"

/* Queues the invitation of the organisation's first manager in the open
 * transaction, as POST /employees does for later ones. */
static int invite(struct ctl *c, long long org_id, const char *org_name, const char *email,
                  const char *token)
{
	char err[512];
	struct mail_context mc;
	if (mail_context_open_core(&mc, c->cfg, err, sizeof err)) {
		fprintf(stderr, "portalctl: %s\n", err);
		return 500;
	}
	mc.db = c->db;
	mc.arena = c->arena;
	struct portal_value *rows;
	int status = db_run(c->db, c->arena, "SELECT name, email FROM users WHERE email = LOWER(?)",
	                    PORTAL_DB_ARGS(PDB_S(email)), &rows, NULL, NULL);
	if (!status && rows->u.c.count == 0)
		status = 500;
	const struct portal_value *user = status ? NULL : rows->u.c.head->value;
	const char *name = user ? pv_get_str(user, "name") : "";
	struct portal_value *view = account_invitation_view(
	    c->arena, config_get(c->cfg, "base_url"), name, org_name, NULL, token);
	struct portal_mail mail = {
	    .to = user ? pv_get_str(user, "email") : email, /* as stored: lower-cased */
	    .to_name = name,
	    .locale = "de",
	    .kind = "invitation",
	    .template_name = "invitation",
	    .subject = "mail.invitation.subject",
	    .org_id = org_id,
	    .view = view,
	};
	unsigned long long id;
	if (!status)
		status = view ? mail_queue(&mc, &mail, true, &id) : 500;
	mail_context_close(&mc);
	return status;
}

/* Creates the organisation and its first manager (admin, invited by mail);
 * gives back the activation token. */
static int create(struct ctl *c, const char *name, const char *email, const char *admin_name,
                  char token[PORTAL_TOKEN_CHARS + 1], long long *user_id)
{
	long long org_id = 0;
	int status = db_begin(c->db);
	if (!status)
		status = account_create_org(c->db, c->arena, name, "de", &org_id);
	if (!status)
		status = account_create_manager(c->db, c->arena, org_id, email, admin_name, true,
		                                user_id);
	if (!status)
		status = account_issue_token(c->db, c->arena, *user_id, "activation",
		                             ACTIVATION_SECONDS, token);
	if (!status)
		status = invite(c, org_id, name, email, token);
	if (!status)
		status = db_commit(c->db);
	else
		db_rollback(c->db);
	return status;
}

static int org_create(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = {"name", "admin-email", "admin-name", NULL};
	int bad = 0;
	const char *name = ctl_option(argc, argv, "name", names, &bad);
	const char *email = ctl_option(argc, argv, "admin-email", names, &bad);
	const char *admin_name = ctl_option(argc, argv, "admin-name", names, &bad);
	if (bad || !name || !email)
		return ctl_fail("usage: portalctl org create --name NAME --admin-email EMAIL "
		                "[--admin-name NAME]");
	if (!*name || portal_utf8_chars(name) > NAME_MAX_CHARS)
		return ctl_fail("--name must have 1 to %d characters", NAME_MAX_CHARS);
	if (!portal_email_valid(email))
		return ctl_fail("--admin-email \"%s\" is not an email address", email);
	if (admin_name && portal_utf8_chars(admin_name) > NAME_MAX_CHARS)
		return ctl_fail("--admin-name must have at most %d characters", NAME_MAX_CHARS);
	char token[PORTAL_TOKEN_CHARS + 1];
	long long user_id;
	int status = create(c, name, email, admin_name, token, &user_id);
	if (status == 409)
		return ctl_fail("an account with the email %s exists already", email);
	if (status)
		return ctl_fail("the database failed (status %d); nothing was created", status);
	printf("activation: %s/activate/%s\n", config_get(c->cfg, "base_url"), token);
	return 0;
}

static int org_list(struct ctl *c)
{
	struct portal_value *rows;
	int status =
	    db_run(c->db, c->arena,
	           "SELECT o.id, o.name, (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id"
	           " AND u.role = 'manager') AS managers FROM orgs o ORDER BY o.id",
	           PORTAL_DB_NOARGS, &rows, NULL, NULL);
	if (status)
		return ctl_fail("the database failed (status %d)", status);
	pv_foreach(m, rows)
		printf("%lld\t%s\t%lld managers\n", pv_get_int(m->value, "id", 0),
		       pv_get_str(m->value, "name"), pv_get_int(m->value, "managers", 0));
	return 0;
}

int ctl_org(struct ctl *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return org_create(c, argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return org_list(c);
	return ctl_fail("usage: portalctl org create --name NAME --admin-email EMAIL [--admin-name "
	                "NAME] | org list");
}
