/* Setting a password from a mailed link: activation of an invited employee
 * (POST /api/v1/activate, the page /activate/{token}) and the forgotten password
 * (POST /api/v1/password/forgot and /password/reset, the pages of the same paths).
 *
 * Link tokens are stored only hashed, expire and are redeemed only by POST:
 * opening a link shows a form and changes nothing, so a mail scanner that
 * fetches it consumes nothing. Redeeming consumes the token with a conditional
 * UPDATE in the transaction that sets the password, so of any number of
 * parallel redemptions exactly one wins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "features/accounts.h"
#include "portal/crypto.h"
#include "portal/mail.h"
#include "portal/session.h"
#include "portal/text.h"
#include "features/routes.h"
#include "http/request.h"

/* Never truncated (argon2id takes any length), but bounded so a request cannot
 * make a worker hash megabytes; sign-in refuses longer ones as well. */
#define PASSWORD_MAX_CHARS 1024
/* Longer than any token we issue; a longer value is malformed, not unknown. */
#define TOKEN_MAX_CHARS 128
/* Reset mails per account and hour: a stranger may ask for resets, but not
 * flood someone's mailbox with them. Further requests still answer 202 (the
 * answer must not tell whether the account exists) and write nothing. */
#define RESET_MAILS_PER_HOUR 5
#define SCOPE_RESET_EMAIL "reset_email"
/* Requests per client address and hour (the setting reset_max_per_address):
 * beyond it 429, which says nothing about any account. */
#define SCOPE_RESET_IP "reset_ip"
/* Dead links followed per client address (link_throttled in routes.h). */
#define SCOPE_LINK_IP "link_ip"

/* The API sends the token in the body, a page has it in its path. The
 * password's minimum is checked after the token, so a dead link says so
 * before anything is typed again. */
static const struct portal_input redeem_inputs[] = {
    {"token", PORTAL_IN_STRING, 0, 1, TOKEN_MAX_CHARS, .message = "password.token_missing"},
    {"password", PORTAL_IN_STRING, PORTAL_IN_VERBATIM, 1, PASSWORD_MAX_CHARS,
     .message = "password.too_long"},
    {0},
};
static const struct portal_input forgot_inputs[] = {
    {"email", PORTAL_IN_EMAIL, PORTAL_IN_REQUIRED, .message = "password.email_invalid"},
    {0},
};
static const struct portal_input forgot_form_inputs[] = {
    {"sent", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

/* Marks a form field to correct (pages show it with aria-invalid) and records
 * the error; the API answer carries only the error. */
static int fail_field(struct portal_req *req, struct portal_value *view, const char *field,
                      const char *message)
{
	if (page_mark_invalid(req, view, field))
		return 500;
	return portal_fail(req, 422, "validation", field, message);
}

static struct portal_db_arg hash_arg(const unsigned char hash[PORTAL_HASH_BYTES])
{
	return PDB_B(hash, PORTAL_HASH_BYTES);
}

/* The token of the page's path, or of the API's body. */
static const char *token_of(const struct portal_req *req)
{
	const char *token = portal_param_str(req, "token");
	return token ? token : portal_in_str(req, "token");
}

static const char *client_address(const struct portal_req *req)
{
	return req->client_addr ? req->client_addr : "";
}

/* 429 with Retry-After for a client to wait seconds; 500 when it cannot be said. */
static int too_many(struct portal_req *req, int seconds, const char *message)
{
	char value[16];
	snprintf(value, sizeof value, "%d", seconds);
	if (portal_set_header(req, "Retry-After", value))
		return 500;
	return portal_fail(req, 429, "rate_limited", NULL, message);
}

int link_throttled(struct portal_req *req)
{
	int wait;
	int status = portal_throttle_check(req, SCOPE_LINK_IP, client_address(req),
	                                   LINK_DEAD_PER_HOUR, 3600, &wait);
	return status == 429 ? too_many(req, wait, "password.links_throttled") : status;
}

int link_dead(struct portal_req *req, const char *message)
{
	int status = portal_db_rollback(req);
	if (!status)
		status = portal_throttle_fail(req, SCOPE_LINK_IP, client_address(req));
	return status ? status : portal_fail(req, 404, "not_found", NULL, message);
}

/* The account a live token of kind belongs to, as {id, email, name}: 0, 404
 * for an unknown, used or expired token, or a database status. Only reads. */
static int token_account(struct portal_req *req, const char *token, const char *kind,
                         struct portal_value **account)
{
	int status = link_throttled(req);
	if (status)
		return status;
	if (!portal_token_valid(token))
		return link_dead(req, "password.link_dead");
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(token, strlen(token), hash);
	struct portal_value *rows;
	status = portal_db_query(
	    req,
	    "SELECT u.id, u.email, u.name FROM account_tokens t JOIN users u ON u.id = t.user_id"
	    " WHERE t.token_hash = ? AND t.kind = ? AND t.used_at IS NULL"
	    " AND t.expires_at > UTC_TIMESTAMP()",
	    PORTAL_DB_ARGS(hash_arg(hash), PDB_S(kind)), &rows);
	if (status)
		return status;
	/* Not portal_db_one: a dead link has its own words. */
	if (!(*account = pv_first(rows)))
		return link_dead(req, "password.link_dead");
	return 0;
}

/* GET /activate/{token} and GET /password/reset/{token}: the form, for a live
 * link only (a dead one gets the error page at once rather than after typing). */
static int token_form(struct portal_req *req, struct portal_value *view, const char *kind)
{
	const char *token = token_of(req);
	struct portal_value *account = NULL;
	int status = token_account(req, token, kind, &account);
	if (status)
		return status;
	if (pv_set_str(req->arena, view, "token", token) ||
	    pv_set_str(req->arena, view, "email", pv_get_str(account, "email")))
		return 500;
	return 200;
}

/* POST /api/v1/activate, /api/v1/password/reset {token, password} and the pages'
 * POST /activate/{token}, /password/reset/{token} {password}: sets the password,
 * ends every session of the account and signs in anew. */
static int token_redeem(struct portal_req *req, struct portal_value *view, const char *kind)
{
	struct portal_arena *a = req->arena;
	const char *token = token_of(req);
	const char *password = portal_in_str(req, "password");
	if (!token)
		return fail_field(req, view, "token", "password.token_missing");
	/* A page shown again must still post to its link. */
	if (!req->is_api && pv_set_str(a, view, "token", token))
		return 500;
	struct portal_value *account = NULL;
	int status = token_account(req, token, kind, &account);
	if (status)
		return status;
	if (!req->is_api && pv_set_str(a, view, "email", pv_get_str(account, "email")))
		return 500;
	if (!password || portal_utf8_chars(password) < PASSWORD_MIN_CHARS)
		return fail_field(req, view, "password", "password.too_short");

	/* argon2id takes a while: before the transaction, so no row stays locked. */
	char password_hash[PORTAL_PASSWORD_HASH_MAX];
	if (portal_password_hash(password, password_hash))
		return 500;
	long long user_id = pv_get_int(account, "id", 0);
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(token, strlen(token), hash);
	unsigned long long consumed = 0;
	status = portal_db_begin(req);
	/* The row lock makes parallel redemptions wait here; each then sees the
	 * token used and changes nothing. */
	if (!status)
		status =
		    portal_db_exec(req,
		                   "UPDATE account_tokens SET used_at = UTC_TIMESTAMP()"
		                   " WHERE token_hash = ? AND kind = ? AND used_at IS NULL"
		                   " AND expires_at > UTC_TIMESTAMP()",
		                   PORTAL_DB_ARGS(hash_arg(hash), PDB_S(kind)), &consumed, NULL);
	if (!status && consumed != 1)
		return link_dead(req, "password.link_dead");
	/* The link came by mail: whoever follows it owns the address, which is
	 * confirmed from now on (and the account theirs, if a stranger signed the
	 * address up: every session of it ends below). */
	if (!status)
		status = portal_db_exec(req,
		                        "UPDATE users SET password_hash = ?,"
		                        " email_confirmed_at = COALESCE(email_confirmed_at,"
		                        " UTC_TIMESTAMP()) WHERE id = ?",
		                        PORTAL_DB_ARGS(PDB_S(password_hash), PDB_I(user_id)), NULL,
		                        NULL);
	/* Older links of the account would otherwise still replace this password. */
	if (!status)
		status = portal_db_exec(req,
		                        "UPDATE account_tokens SET used_at = UTC_TIMESTAMP()"
		                        " WHERE user_id = ? AND used_at IS NULL",
		                        PORTAL_DB_ARGS(PDB_I(user_id)), NULL, NULL);
	/* A new password ends every session, the thief's included. */
	if (!status)
		status = portal_sessions_end_user(req, user_id);
	/* Whoever holds the mailbox may sign in now, even during a guessing attack
	 * (counted under the account's key, whatever spelling the guesser used). */
	if (!status)
		status = portal_throttle_clear(req, SCOPE_LOGIN_EMAIL,
		                               portal_throttle_account_key(account, NULL));
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status; /* the core rolls back an open transaction */
	return session_sign_in(req, user_id, view);
}

static int activate_form(struct portal_req *req, struct portal_value *view)
{
	return token_form(req, view, "activation");
}

/* The form again after the declared inputs refused a password. */
static int activate_again(struct portal_req *req, struct portal_value *view)
{
	int status = activate_form(req, view);
	return status ? status : page_mark_refused(req, view);
}

static int activate(struct portal_req *req, struct portal_value *view)
{
	return token_redeem(req, view, "activation");
}

static int reset_form(struct portal_req *req, struct portal_value *view)
{
	return token_form(req, view, "reset");
}

static int reset_again(struct portal_req *req, struct portal_value *view)
{
	int status = reset_form(req, view);
	return status ? status : page_mark_refused(req, view);
}

static int reset(struct portal_req *req, struct portal_value *view)
{
	return token_redeem(req, view, "reset");
}

/* GET /password/forgot: the form, or after sending it the note that a mail is
 * on its way if the account exists. */
static int forgot_form(struct portal_req *req, struct portal_value *view)
{
	bool sent = portal_in_bool(req, "sent", false);
	return pv_set_bool(req->arena, view, "sent", sent) ? 500 : 200;
}

/* Queues the reset mail for account (a row of the lookup below) in the open
 * transaction. 0 or an HTTP status. */
static int forgot_mail(struct portal_req *req, const struct portal_value *account)
{
	struct portal_arena *a = req->arena;
	char token[PORTAL_TOKEN_CHARS + 1];
	int status = account_issue_token(req->worker->db, a, pv_get_int(account, "id", 0), "reset",
	                                 RESET_SECONDS, token);
	if (status)
		return status;
	const char *base = portal_config(req, "base_url");
	struct portal_value *mail_view = pv_object(a);
	char *url = portal_sprintf(a, "%s/password/reset/%s", base ? base : "", token);
	if (!mail_view || !url || pv_set_str(a, mail_view, "url", url) ||
	    pv_set_str(a, mail_view, "name", pv_get_str(account, "name")) ||
	    pv_set_str(a, mail_view, "org_name", pv_get_str(account, "org_name")) ||
	    pv_set_int(a, mail_view, "minutes", RESET_SECONDS / 60) ||
	    /* like every mail to a resident, it links to their mail settings */
	    pv_set_bool(a, mail_view, "resident",
	                strcmp(pv_get_str(account, "role") ? pv_get_str(account, "role") : "",
	                       "resident") == 0))
		return 500;
	struct portal_mail mail = {
	    .kind = "password_reset",
	    .template_name = "reset",
	    .subject = "mail.reset.subject",
	    .org_id = pv_get_int(account, "org_id", 0),
	    .view = mail_view,
	};
	portal_mail_to(&mail, account);
	status = portal_mail_secret(req, &mail);
	if (status == 422) {
		/* A stored address the mailer cannot use: nothing to send, and the
		 * caller must not learn that the account exists. */
		portal_log("password reset: the address of user %lld is unusable",
		           pv_get_int(account, "id", 0));
		return 0;
	}
	return status;
}

/* 0 while the client's address may ask for another reset; otherwise 429 with
 * Retry-After, or an HTTP status when the database failed. */
static int forgot_address_throttled(struct portal_req *req, const char *address)
{
	int wait;
	int status = portal_throttle_check(
	    req, SCOPE_RESET_IP, address,
	    (int)strtol(portal_config(req, "reset_max_per_address"), NULL, 10), RESET_SECONDS,
	    &wait);
	return status == 429 ? too_many(req, wait, "password.throttled") : status;
}

/* The answer to a request for a reset mail, whatever became of it. */
static int forgot_answer(struct portal_req *req)
{
	return req->is_api ? 202 : portal_redirect(req, "/password/forgot?sent=1");
}

/* POST /api/v1/password/forgot and POST /password/forgot {email}: 202 whether
 * or not the account exists. Both cases look the account up, count the request
 * and commit one write, so they take about the same time; only an existing
 * account (within the hourly limit) also gets a token and a queued mail. Past
 * the account's limit the answer is the same 202 and nothing is written; past
 * the client address's limit it is 429, and nothing is written either. */
static int forgot(struct portal_req *req, struct portal_value *view)
{
	const char *email = portal_in_str(req, "email");
	const char *address = req->client_addr ? req->client_addr : "";
	struct portal_value *rows;
	int status =
	    portal_db_query(req,
	                    "SELECT u.id, u.email, u.name, u.org_id, u.role, o.name AS org_name,"
	                    " COALESCE(u.locale, o.locale) AS locale"
	                    " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.email = ?",
	                    PORTAL_DB_ARGS(PDB_S(email)), &rows);
	if (!status)
		status = forgot_address_throttled(req, address);
	if (status)
		return status;
	const struct portal_value *account = pv_first(rows);
	const char *key = portal_throttle_account_key(account, email);
	int wait;
	status = portal_throttle_check(req, SCOPE_RESET_EMAIL, key, RESET_MAILS_PER_HOUR,
	                               RESET_SECONDS, &wait);
	if (status == 429)
		return forgot_answer(req);
	if (!status)
		status = portal_db_begin(req);
	if (!status)
		status = portal_throttle_fail(req, SCOPE_RESET_EMAIL, key);
	if (!status)
		status = portal_throttle_fail(req, SCOPE_RESET_IP, address);
	if (!status && account)
		status = forgot_mail(req, account);
	if (!status)
		status = portal_db_commit(req);
	return status ? status : forgot_answer(req);
}

const struct portal_route routes_password[] = {
    {"POST", "/activate", "/activate/{token}", PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_NO_CSRF, activate,
     "activate", "activate.title", redeem_inputs, activate_again},
    {"GET", NULL, "/activate/{token}", PORTAL_ACCESS_PUBLIC, 0, activate_form, "activate",
     "activate.title"},
    {"POST", "/password/forgot", "/password/forgot", PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_NO_CSRF,
     forgot, "password_forgot", "password_forgot.title", forgot_inputs, page_mark_refused},
    {"GET", NULL, "/password/forgot", PORTAL_ACCESS_PUBLIC, 0, forgot_form, "password_forgot",
     "password_forgot.title", forgot_form_inputs},
    {"POST", "/password/reset", "/password/reset/{token}", PORTAL_ACCESS_PUBLIC,
     PORTAL_ROUTE_NO_CSRF, reset, "password_reset", "password_reset.title", redeem_inputs,
     reset_again},
    {"GET", NULL, "/password/reset/{token}", PORTAL_ACCESS_PUBLIC, 0, reset_form, "password_reset",
     "password_reset.title"},
    {0},
};
