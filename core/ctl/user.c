/* portalctl user reset-password EMAIL, and portalctl throttle reset. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "features/accounts.h"
#include "ctl/ctl.h"
#include "http/throttle.h"
#include "portal/input.h"

int ctl_user(struct ctl *c, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "reset-password") != 0)
		return ctl_fail("usage: portalctl user reset-password EMAIL");
	if (!portal_email_valid(argv[1]))
		return ctl_fail("\"%s\" is not an email address", argv[1]);
	struct portal_value *rows;
	int status = db_run(c->db, c->arena, "SELECT id FROM users WHERE email = LOWER(?)",
	                    PORTAL_DB_ARGS(PDB_S(argv[1])), &rows, NULL, NULL);
	if (status)
		return ctl_fail("the database failed (status %d)", status);
	if (rows->u.c.count == 0)
		return ctl_fail("no account has the email %s", argv[1]);
	char token[PORTAL_TOKEN_CHARS + 1];
	status = account_issue_token(c->db, c->arena, pv_get_int(rows->u.c.head->value, "id", 0),
	                             "reset", RESET_SECONDS, token);
	if (status)
		return ctl_fail("the database failed (status %d)", status);
	printf("reset: %s/password/reset/%s\n", config_get(c->cfg, "base_url"), token);
	return 0;
}

static int clear(struct ctl *c, const char *key)
{
	unsigned char hash[PORTAL_HASH_BYTES];
	throttle_hash(key, hash);
	struct portal_db_arg arg = PDB_B(hash, sizeof hash);
	unsigned long long n = 0;
	int status = db_run(c->db, c->arena, "DELETE FROM throttle_events WHERE key_hash = ?", &arg,
	                    1, NULL, &n, NULL);
	if (status)
		return ctl_fail("the database failed (status %d)", status);
	printf("cleared %llu throttling entries for %s\n", n, key);
	return 0;
}

/* An account's throttles are keyed on its address as stored
 * (portal_throttle_account_key), which may be another spelling of email; an
 * address without an account has its own. Both go. */
static int clear_email(struct ctl *c, const char *email)
{
	struct portal_value *rows;
	int status = db_run(c->db, c->arena, "SELECT email FROM users WHERE email = LOWER(?)",
	                    PORTAL_DB_ARGS(PDB_S(email)), &rows, NULL, NULL);
	if (status)
		return ctl_fail("the database failed (status %d)", status);
	const char *stored = pv_get_str(pv_first(rows), "email");
	if (clear(c, email))
		return 1;
	return stored && strcasecmp(stored, email) != 0 ? clear(c, stored) : 0;
}

int ctl_throttle(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = {"email", "ip", NULL};
	int bad = 0;
	const char *email = argc ? ctl_option(argc - 1, argv + 1, "email", names, &bad) : NULL;
	const char *ip = argc ? ctl_option(argc - 1, argv + 1, "ip", names, &bad) : NULL;
	if (argc < 1 || strcmp(argv[0], "reset") != 0 || bad)
		return ctl_fail("usage: portalctl throttle reset [--email EMAIL] [--ip ADDRESS]");
	if (email || ip)
		return (email && clear_email(c, email)) || (ip && clear(c, ip));
	unsigned long long n = 0;
	int status = db_run(c->db, c->arena, "DELETE FROM throttle_events", PORTAL_DB_NOARGS, NULL,
	                    &n, NULL);
	if (status)
		return ctl_fail("the database failed (status %d)", status);
	printf("cleared all %llu throttling entries\n", n);
	return 0;
}
