#include "features/accounts.h"

#include <string.h>

#include "features/properties.h"

int account_create_org(struct db *db, struct portal_arena *a, const char *name, const char *locale,
                       long long *org_id)
{
	unsigned long long id = 0;
	int status = db_run(
	    db, a, "INSERT INTO orgs (name, locale, created_at) VALUES (?, ?, UTC_TIMESTAMP())",
	    PORTAL_DB_ARGS(PDB_S(name), PDB_S(locale ? locale : "de")), NULL, NULL, &id);
	*org_id = (long long)id;
	return status ? status : property_insert_sample(db, a, *org_id);
}

int account_create_manager(struct db *db, struct portal_arena *a, long long org_id,
                           const char *email, const char *name, bool admin, long long *user_id)
{
	char *display = NULL;
	if (!name || !*name) {
		const char *at = strchr(email, '@');
		display = portal_strndup(a, email, at ? (size_t)(at - email) : strlen(email));
		if (!display)
			return 500;
	}
	unsigned long long id = 0;
	int status = db_run(db, a,
	                    "INSERT INTO users (org_id, role, email, name, admin, created_at)"
	                    " VALUES (?, 'manager', LOWER(?), ?, ?, UTC_TIMESTAMP())",
	                    PORTAL_DB_ARGS(PDB_I(org_id), PDB_S(email),
	                                   PDB_S(display ? display : name), PDB_I(admin ? 1 : 0)),
	                    NULL, NULL, &id);
	*user_id = (long long)id;
	return status;
}

int account_issue_token(struct db *db, struct portal_arena *a, long long user_id, const char *kind,
                        int seconds, char token[PORTAL_TOKEN_CHARS + 1])
{
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_token_new(token, hash);
	struct portal_db_arg args[] = {
	    PDB_B(hash, sizeof hash),
	    PDB_I(user_id),
	    PDB_S(kind),
	    PDB_I(seconds),
	};
	return db_run(
	    db, a,
	    "INSERT INTO account_tokens (token_hash, user_id, kind, expires_at, created_at)"
	    " VALUES (?, ?, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND, UTC_TIMESTAMP())",
	    args, 4, NULL, NULL, NULL);
}

struct portal_value *account_invitation_view(struct portal_arena *a, const char *base_url,
                                             const char *name, const char *org_name,
                                             const char *inviter, const char *token)
{
	size_t bl = strlen(base_url);
	while (bl && base_url[bl - 1] == '/') /* base_url may be written with a slash */
		bl--;
	struct portal_value *v = pv_object(a);
	if (!v || pv_set_str(a, v, "name", name) || pv_set_str(a, v, "org_name", org_name) ||
	    (inviter && pv_set_str(a, v, "inviter", inviter)) ||
	    pv_set_str(a, v, "url",
	               portal_sprintf(a, "%.*s/activate/%s", (int)bl, base_url, token)) ||
	    pv_set_int(a, v, "days", ACTIVATION_SECONDS / 86400))
		return NULL;
	return v;
}
