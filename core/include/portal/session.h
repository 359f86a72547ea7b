/* Sessions and sign-in throttling, for the routes that sign people in (core's
 * and a plugin's such as the invite sign-up). */
#ifndef PORTAL_SESSION_H
#define PORTAL_SESSION_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct portal_db_arg;
struct portal_req;
struct portal_value;

/* Signs user_id in: a new session (a new id at every sign-in), its cookie on the
 * response and req->caller filled. *csrf_token (in the request's arena) is what
 * the client must send back on unsafe methods. Returns 0 or an HTTP status. */
int portal_session_start(struct portal_req *req, long long user_id, const char **csrf_token);

/* The caller's CSRF token, NULL when signed out. */
const char *portal_session_csrf(const struct portal_req *req);

/* Ends the caller's session (logout), or every session of user_id (password
 * change, removal). Returns 0 or an HTTP status. */
int portal_session_end(struct portal_req *req);
int portal_sessions_end_user(struct portal_req *req, long long user_id);

/* An address gets no mail but its confirmation until its owner confirms it
 * (PORTAL_MAIL_WANTED in mail.h leaves unconfirmed ones out): for user_id,
 * whose address nobody confirmed yet, a new link /confirm/{token} (single-use,
 * 7 days; the account's older ones die) and the one mail of kind "confirm"
 * with it, both in the open transaction. Nothing for a confirmed address, or
 * one the mailer cannot use (logged). Returns 0 or an HTTP status. */
int portal_email_confirmation(struct portal_req *req, long long user_id);

/* Throttling, kept in the database so it holds across workers and hosts.
 * portal_throttle_check: 0 when fewer than limit failures of (scope, key) lie
 * within window seconds; else 429 with *retry_after the seconds until the
 * oldest of them leaves the window (for Retry-After); or another HTTP status
 * on failure. key is hashed, never stored as is. */
int portal_throttle_check(struct portal_req *req, const char *scope, const char *key, int limit,
                          int window, int *retry_after);
int portal_throttle_fail(struct portal_req *req, const char *scope, const char *key);
int portal_throttle_clear(struct portal_req *req, const char *scope, const char *key);

/* A resident's limit on what others pay for (reports, posts, comments that
 * mail the staff): count_sql counts the caller's doings of the recent
 * interval (one row with a column n); from the calling plugin's setting on,
 * the answer is 429 rate_limited with Retry-After: retry_after (seconds) and
 * the text message. Managers have no limit. 0, or an HTTP status. */
int portal_rate_check(struct portal_req *req, const char *count_sql,
                      const struct portal_db_arg *args, size_t nargs, const char *setting,
                      const char *retry_after, const char *message);

/* The key of an account's own throttles (failed sign-ins, reset mails,
 * sign-ups per email): the address as the account stores it, so that every
 * spelling the database matches to the account (its collation ignores case
 * and accents) shares one count; email (as the client sent it) when there is
 * no account, account NULL. account is the account's row as a lookup by email
 * found it, with its "email" member. Borrowed from account or email. */
const char *portal_throttle_account_key(const struct portal_value *account, const char *email);

#ifdef __cplusplus
}
#endif

#endif
