/* portalctl demo: the demo organisation of `make run`, made once, with an admin
 * manager whose generated password it prints ("email password"). */
#include <stdio.h>

#include "features/accounts.h"
#include "ctl/ctl.h"

#define DEMO_ORG "Muster Hausverwaltung GmbH"
#define DEMO_EMAIL "verwalter@example.org"

int ctl_demo(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return ctl_fail("demo takes no arguments");
	struct portal_value *rows;
	int status = db_run(c->db, c->arena, "SELECT id FROM users WHERE email = ?",
	                    PORTAL_DB_ARGS(PDB_S(DEMO_EMAIL)), &rows, NULL, NULL);
	if (status)
		return ctl_fail("the database failed (status %d)", status);
	if (rows->u.c.count)
		return ctl_fail("the demo organisation exists already");

	char password[PORTAL_TOKEN_CHARS + 1], hash[PORTAL_PASSWORD_HASH_MAX];
	unsigned char unused[PORTAL_HASH_BYTES];
	portal_token_new(password, unused);
	password[16] = '\0'; /* 96 random bits are plenty for a local demo */
	if (portal_password_hash(password, hash))
		return ctl_fail("out of memory");
	const char *stored = hash;
	long long org_id = 0, user_id = 0;
	status = db_begin(c->db);
	if (!status)
		status = account_create_org(c->db, c->arena, DEMO_ORG, "de", &org_id);
	if (!status)
		status = account_create_manager(c->db, c->arena, org_id, DEMO_EMAIL, "Verwaltung",
		                                true, &user_id);
	/* example.org's address, set by whoever runs the demo: nothing to confirm. */
	if (!status)
		status = db_run(
		    c->db, c->arena,
		    "UPDATE users SET password_hash = ?, email_confirmed_at = UTC_TIMESTAMP()"
		    " WHERE id = ?",
		    PORTAL_DB_ARGS(PDB_S(stored), PDB_I(user_id)), NULL, NULL, NULL);
	if (!status)
		status = db_commit(c->db);
	if (status) {
		db_rollback(c->db);
		return ctl_fail("the database failed (status %d); nothing was created", status);
	}
	printf("%s %s\n", DEMO_EMAIL, password);
	return 0;
}
