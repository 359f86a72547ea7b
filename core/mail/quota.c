/* Quotas on the mail managers send to addresses that are not yet residents
 * (portal_mail_quota, see portal/mail.h): a compromised manager account must
 * not turn the deployment into a spam relay.
 *
 * Each request that sends such mail adds one row (its number of mails) to
 * mail_quota_events; the limits are sums over the last hour and the last day,
 * per organisation and per manager, so a window slides instead of resetting
 * on the hour. Counting and adding happen under the organisation's row of
 * mail_quota_locks, in the request's transaction: two requests on any hosts
 * never both take the last room, and a request that is rolled back takes its
 * count back with its mails. */
#include <stdio.h>
#include <stdlib.h>

#include "portal/portal.h"
#include "http/request.h"

#define HOUR_SECONDS 3600
#define DAY_SECONDS 86400

/* The limits, in the order of the waits of WAIT_SQL. */
static const struct quota_limit {
	const char *setting; /* core's, in portal.conf */
	const char *message; /* locale key: what went past its quota */
} limits[] = {
    {"mail_quota_org_hour", "mail.quota.org_hour"},
    {"mail_quota_org_day", "mail.quota.org_day"},
    {"mail_quota_user_hour", "mail.quota.user_hour"},
    {"mail_quota_user_day", "mail.quota.user_day"},
};
#define LIMITS (sizeof limits / sizeof limits[0])

/* For one window of one key: the seconds until enough of its mails left the
 * window for this request's to fit, or no row when they fit now. Events
 * newest first, each with the mails of itself and every newer one: the
 * newest event whose sum leaves too little room must leave the window, and
 * when it has, all older ones have too. Arguments: the key's id, the window
 * twice, the request's mails, the limit. */
#define WAIT_SQL(column)                                                                           \
	"(SELECT CAST(TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), at) + ? AS SIGNED) AS wait FROM"      \
	" (SELECT at, SUM(mails) OVER (ORDER BY at DESC, id DESC) AS newer FROM mail_quota_events" \
	" WHERE " column " = ? AND at > UTC_TIMESTAMP() - INTERVAL ? SECOND) w"                    \
	" WHERE newer + ? > ? ORDER BY at DESC LIMIT 1)"

#define WAIT_ORG WAIT_SQL("org_id")
#define WAIT_USER WAIT_SQL("user_id")

/* One statement for the four limits, in their order: which one binds (its
 * index in limits) and the longest wait. */
static const char wait_sql[] =
    "SELECT which, wait FROM (SELECT 0 AS which, wait FROM " WAIT_ORG
    " o1 UNION ALL SELECT 1, wait FROM " WAIT_ORG " o2 UNION ALL SELECT 2, wait FROM " WAIT_USER
    " u1 UNION ALL SELECT 3, wait FROM " WAIT_USER " u2) waits ORDER BY wait DESC LIMIT 1";

static long limit_of(const struct portal_req *req, size_t i)
{
	return strtol(portal_config(req, limits[i].setting), NULL, 10);
}

/* 429 with what went past its quota, that nothing was sent, and (when
 * waiting helps) when to try again, also as Retry-After. */
static int quota_refuse(struct portal_req *req, const char *why, long long wait)
{
	struct portal_arena *a = req->arena;
	const char *message =
	    portal_sprintf(a, "%s %s", portal_t(req, why), portal_t(req, "mail.quota.none_sent"));
	if (message && wait > 0) {
		char seconds[24];
		snprintf(seconds, sizeof seconds, "%lld", wait);
		if (portal_set_header(req, "Retry-After", seconds))
			return 500;
		message =
		    portal_sprintf(a, "%s %s %lld %s", message, portal_t(req, "mail.quota.retry"),
		                   (wait + 59) / 60, portal_t(req, "mail.quota.minutes"));
	}
	if (!message)
		return 500;
	return portal_fail(req, 429, "rate_limited", NULL, message);
}

int portal_mail_quota(struct portal_req *req, size_t mails)
{
	if (!portal_is_manager(req))
		return portal_fail(req, 403, "forbidden", NULL, "error.title.403");
	if (mails == 0)
		return 0;
	for (size_t i = 0; i < LIMITS; i++)
		if ((long long)mails > limit_of(req, i))
			return quota_refuse(req, "mail.quota.too_many", 0);
	long long org = req->caller.org_id, user = req->caller.user_id, n = (long long)mails;
	int status = portal_db_exec(req,
	                            "INSERT INTO mail_quota_locks (org_id) VALUES (?)"
	                            " ON DUPLICATE KEY UPDATE org_id = org_id",
	                            PORTAL_DB_ARGS(PDB_I(org)), NULL, NULL);
	struct portal_value *rows = NULL;
	if (!status) {
		static const struct {
			long long window;
			bool org;
		} waits[LIMITS] = {{HOUR_SECONDS, true},
		                   {DAY_SECONDS, true},
		                   {HOUR_SECONDS, false},
		                   {DAY_SECONDS, false}};
		struct portal_db_arg args[LIMITS * 5];
		for (size_t i = 0; i < LIMITS; i++) {
			args[i * 5] = PDB_I(waits[i].window);
			args[i * 5 + 1] = PDB_I(waits[i].org ? org : user);
			args[i * 5 + 2] = PDB_I(waits[i].window);
			args[i * 5 + 3] = PDB_I(n);
			args[i * 5 + 4] = PDB_I(limit_of(req, i));
		}
		status = portal_db_query(req, wait_sql, args, LIMITS * 5, &rows);
	}
	if (status)
		return status;
	const struct portal_value *row = pv_first(rows);
	if (row) {
		long long which = pv_get_int(row, "which", 0);
		long long wait = pv_get_int(row, "wait", 1);
		return quota_refuse(
		    req, limits[which >= 0 && which < (long long)LIMITS ? which : 0].message,
		    wait > 0 ? wait : 1);
	}
	return portal_db_exec(req,
	                      "INSERT INTO mail_quota_events (org_id, user_id, mails, at)"
	                      " VALUES (?, ?, ?, UTC_TIMESTAMP())",
	                      PORTAL_DB_ARGS(PDB_I(org), PDB_I(user), PDB_I(n)), NULL, NULL);
}
