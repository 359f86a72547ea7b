/* portalctl resident erase EMAIL: a resident's account and personal data go,
 * on their request; what they wrote for others stays without them.
 *
 * In one transaction: the columns core and the plugins declare as authors
 * (portal/data.h) are set to NULL where they name the person (those rows are
 * shown as "ehemalige Bewohnerin / ehemaliger Bewohner"); rows of declared
 * address columns with their address go (mail to them, sent or not, with its
 * text); mail to others that quotes the address loses its text; then the
 * account, and with it through ON DELETE CASCADE its memberships, sessions,
 * tokens, settings, reads and feeds. */
#include <stdio.h>
#include <string.h>

#include "ctl/tables.h"
#include "features/routes.h"
#include "http/throttle.h"
#include "portal/crypto.h"
#include "portal/input.h"

struct erasure {
	struct ctl *c;
	long long user_id;
	const char *email; /* as stored: lower-cased */
	unsigned long long kept;
};

static bool plain(const char *s)
{
	return s && *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static int erase_declared(const struct portal_table *decl, void *arg)
{
	struct erasure *e = arg;
	char sql[400];
	unsigned long long n = 0;
	int status = 0;
	if (plain(decl->table) && plain(decl->author)) {
		snprintf(sql, sizeof sql, "UPDATE `%s` SET `%s` = NULL WHERE `%s` = ?", decl->table,
		         decl->author, decl->author);
		status = db_run(e->c->db, e->c->arena, sql, PORTAL_DB_ARGS(PDB_I(e->user_id)), NULL,
		                &n, NULL);
		e->kept += n;
	}
	if (!status && plain(decl->table) && plain(decl->email)) {
		snprintf(sql, sizeof sql, "DELETE FROM `%s` WHERE LOWER(`%s`) = ?", decl->table,
		         decl->email);
		status = db_run(e->c->db, e->c->arena, sql, PORTAL_DB_ARGS(PDB_S(e->email)), NULL,
		                NULL, NULL);
	}
	if (status)
		ctl_fail("erasing in %s failed (status %d); nothing was changed", decl->table,
		         status);
	return status;
}

static int erase(struct erasure *e, const struct plugin_set *set)
{
	struct ctl *c = e->c;
	int status = db_begin(c->db);
	if (status)
		return ctl_fail("the database cannot be reached (status %d)", status);
	status = tables_each_decl(set, erase_declared, e);
	if (!status) {
		/* The address as a LIKE pattern: its _ and % stand for themselves. */
		char like[600];
		size_t n = 0;
		like[n++] = '%';
		for (const char *p = e->email; *p && n < sizeof like - 3; p++) {
			if (*p == '_' || *p == '%' || *p == '\\')
				like[n++] = '\\';
			like[n++] = *p;
		}
		like[n++] = '%';
		like[n] = '\0';
		status = db_run(c->db, c->arena,
		                "UPDATE outbox SET body_text = '', body_html = ''"
		                " WHERE body_text LIKE ? OR body_html LIKE ?",
		                PORTAL_DB_ARGS(PDB_S(like), PDB_S(like)), NULL, NULL, NULL);
		if (status)
			ctl_fail("clearing mail that names %s failed (status %d)", e->email,
			         status);
	}
	if (!status) {
		unsigned char hash[PORTAL_HASH_BYTES];
		throttle_hash(e->email, hash);
		struct portal_db_arg arg = PDB_B(hash, sizeof hash);
		status = db_run(c->db, c->arena, "DELETE FROM throttle_events WHERE key_hash = ?",
		                &arg, 1, NULL, NULL, NULL);
	}
	if (!status) {
		status = db_run(c->db, c->arena, "DELETE FROM users WHERE id = ?",
		                PORTAL_DB_ARGS(PDB_I(e->user_id)), NULL, NULL, NULL);
		if (status)
			ctl_fail(
			    "the account could not be deleted (status %d): a table names users "
			    "without ON DELETE CASCADE or a declared author column; nothing was "
			    "changed",
			    status);
	}
	if (!status && (status = db_commit(c->db)))
		ctl_fail("the database failed (status %d); nothing was changed", status);
	if (status)
		db_rollback(c->db);
	return status ? 1 : 0;
}

int ctl_resident(struct ctl *c, int argc, char **argv)
{
	if (argc != 2 || strcmp(argv[0], "erase") != 0)
		return ctl_fail("usage: portalctl resident erase EMAIL");
	if (!portal_email_valid(argv[1]))
		return ctl_fail("\"%s\" is not an email address", argv[1]);
	struct portal_value *rows;
	if (db_run(c->db, c->arena, "SELECT id, role, email FROM users WHERE email = LOWER(?)",
	           PORTAL_DB_ARGS(PDB_S(argv[1])), &rows, NULL, NULL))
		return ctl_fail("the database cannot be reached");
	const struct portal_value *user = pv_first(rows);
	if (!user)
		return ctl_fail("no account has the email %s; nothing was changed", argv[1]);
	if (strcmp(pv_get_str(user, "role"), "resident") != 0)
		return ctl_fail("%s is a manager's account, not a resident's; nothing was changed",
		                argv[1]);
	char err[512];
	struct plugin_set *set = plugins_load(c->cfg, &core_definition, err, sizeof err);
	if (!set)
		return ctl_fail("%s", err);
	struct erasure e = {c, pv_get_int(user, "id", 0), pv_get_str(user, "email"), 0};
	int rc = erase(&e, set);
	plugins_free(set);
	if (!rc)
		printf(
		    "erased: %s (account %lld); %llu rows they wrote for others stay, shown as a "
		    "former resident\n",
		    e.email, e.user_id, e.kept);
	return rc;
}
