/* Throttling of failures (sign-in, sign-up) per scope and key, in MariaDB so
 * the limits hold across workers and hosts. Keys are stored only hashed. */
#include <ctype.h>
#include <string.h>

#include "portal/crypto.h"
#include "portal/portal.h"
#include "portal/session.h"
#include "http/throttle.h"

/* Emails are compared case-insensitively, so they are hashed lower-cased. */
void throttle_hash(const char *key, unsigned char hash[PORTAL_HASH_BYTES])
{
	char lower[320];
	size_t n = strlen(key);
	if (n >= sizeof lower)
		n = sizeof lower - 1;
	for (size_t i = 0; i < n; i++)
		lower[i] = (char)tolower((unsigned char)key[i]);
	portal_hash(lower, n, hash);
}

int portal_rate_check(struct portal_req *req, const char *count_sql,
                      const struct portal_db_arg *args, size_t nargs, const char *setting,
                      const char *retry_after, const char *message)
{
	struct portal_value *row;
	if (portal_is_manager(req))
		return 0;
	int status = portal_db_one(req, count_sql, args, nargs, &row);
	if (status)
		return status;
	if (pv_get_int(row, "n", 0) < portal_setting_int(req, setting))
		return 0;
	if ((status = portal_set_header(req, "Retry-After", retry_after)))
		return status;
	return portal_fail(req, 429, "rate_limited", NULL, message);
}

int portal_throttle_check(struct portal_req *req, const char *scope, const char *key, int limit,
                          int window, int *retry_after)
{
	*retry_after = 0;
	unsigned char hash[PORTAL_HASH_BYTES];
	throttle_hash(key, hash);
	struct portal_db_arg args[] = {PDB_I(window), PDB_S(scope), PDB_B(hash, sizeof hash),
	                               PDB_I(window), PDB_I(limit - 1 < 0 ? 0 : limit - 1)};
	struct portal_value *rows;
	/* The limit-th newest failure inside the window decides: while it lies
	 * there, the caller waits until it leaves the window. */
	int status = portal_db_query(
	    req,
	    "SELECT CAST(GREATEST(1, CEIL(TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(3),"
	    " at + INTERVAL ? SECOND) / 1000000)) AS SIGNED) AS wait"
	    " FROM throttle_events WHERE scope = ? AND key_hash = ?"
	    " AND at > UTC_TIMESTAMP(3) - INTERVAL ? SECOND ORDER BY at DESC LIMIT 1 OFFSET ?",
	    args, 5, &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return 0;
	*retry_after = (int)pv_get_int(pv_first(rows), "wait", 1);
	return 429;
}

int portal_throttle_fail(struct portal_req *req, const char *scope, const char *key)
{
	unsigned char hash[PORTAL_HASH_BYTES];
	throttle_hash(key, hash);
	struct portal_db_arg args[] = {PDB_S(scope), PDB_B(hash, sizeof hash)};
	return portal_db_exec(
	    req,
	    "INSERT INTO throttle_events (scope, key_hash, at) VALUES (?, ?, UTC_TIMESTAMP(3))",
	    args, 2, NULL, NULL);
}

int portal_throttle_clear(struct portal_req *req, const char *scope, const char *key)
{
	unsigned char hash[PORTAL_HASH_BYTES];
	throttle_hash(key, hash);
	struct portal_db_arg args[] = {PDB_S(scope), PDB_B(hash, sizeof hash)};
	return portal_db_exec(req, "DELETE FROM throttle_events WHERE scope = ? AND key_hash = ?",
	                      args, 2, NULL, NULL);
}

const char *portal_throttle_account_key(const struct portal_value *account, const char *email)
{
	const char *stored = account ? pv_get_str(account, "email") : NULL;
	return stored ? stored : email;
}
