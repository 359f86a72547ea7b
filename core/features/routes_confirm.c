/* Confirming an address (API.md, "Residents and invitations"). Anyone holding
 * a hallway link can sign up with any address, so a new resident's address
 * gets no mail but one until its owner follows the link in it:
 * portal_email_confirmation queues that mail, and every recipient query of a
 * mail to residents skips unconfirmed addresses (PORTAL_MAIL_WANTED).
 *
 * The link /confirm/{token} opens a page with a button; only its POST (or
 * POST /api/v1/confirm {token}) confirms, so a mail scanner fetching the link
 * changes nothing. The token is stored hashed, single-use, 7 days. A password
 * reset through the address confirms it too (routes_password.c). */
#include <string.h>

#include "features/accounts.h"
#include "mime/mail_format.h"
#include "portal/crypto.h"
#include "portal/mail.h"
#include "portal/session.h"
#include "features/routes.h"
#include "http/request.h"

#define CONFIRM_SECONDS (7 * 86400)
/* Longer than any token we issue; a longer value is malformed, not unknown. */
#define TOKEN_MAX_CHARS 128

/* The API sends the token in the body, the page has it in its path. */
static const struct portal_input confirm_inputs[] = {
    {"token", PORTAL_IN_STRING, 0, 1, TOKEN_MAX_CHARS, .message = "password.token_missing"},
    {0},
};

static struct portal_db_arg hash_arg(const unsigned char hash[PORTAL_HASH_BYTES])
{
	return PDB_B(hash, PORTAL_HASH_BYTES);
}

/* The mail's view: {name, org_name, url, days}. NULL when the arena is exhausted. */
static struct portal_value *confirm_view(struct portal_req *req, const struct portal_value *user,
                                         const char *token)
{
	struct portal_arena *a = req->arena;
	const char *base = portal_config(req, "base_url");
	size_t bl = base ? strlen(base) : 0;
	while (bl && base[bl - 1] == '/') /* base_url may be written with a slash */
		bl--;
	struct portal_value *v = pv_object(a);
	if (!v || pv_set_str(a, v, "name", pv_get_str(user, "name")) ||
	    pv_set_str(a, v, "org_name", pv_get_str(user, "org_name")) ||
	    pv_set_str(a, v, "url", portal_sprintf(a, "%.*s/confirm/%s", (int)bl, base, token)) ||
	    pv_set_int(a, v, "days", CONFIRM_SECONDS / 86400))
		return NULL;
	return v;
}

int portal_email_confirmation(struct portal_req *req, long long user_id)
{
	struct portal_value *rows;
	int status = portal_db_query(req,
	                             "SELECT u.email, u.name, u.email_confirmed_at, u.org_id,"
	                             " o.name AS org_name, COALESCE(u.locale, o.locale) AS locale"
	                             " FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?",
	                             PORTAL_DB_ARGS(PDB_I(user_id)), &rows);
	const struct portal_value *user = status ? NULL : pv_first(rows);
	if (status || !user)
		return status ? status : 500;
	if (pv_get_str(user, "email_confirmed_at"))
		return 0; /* confirmed already: nothing to ask */
	/* Join accepted it, yet the mailer could still refuse it: then there is
	 * nobody to ask, and the address stays without mail. */
	if (!mail_address_ok(pv_get_str(user, "email"))) {
		portal_log("confirmation: the address of user %lld is unusable", user_id);
		return 0;
	}
	/* One live link per address: the newest mail is the one to follow. */
	status = portal_db_exec(req,
	                        "UPDATE account_tokens SET used_at = UTC_TIMESTAMP()"
	                        " WHERE user_id = ? AND kind = 'confirm' AND used_at IS NULL",
	                        PORTAL_DB_ARGS(PDB_I(user_id)), NULL, NULL);
	char token[PORTAL_TOKEN_CHARS + 1];
	if (!status)
		status = account_issue_token(req->worker->db, req->arena, user_id, "confirm",
		                             CONFIRM_SECONDS, token);
	if (status)
		return status;
	struct portal_value *view = confirm_view(req, user, token);
	if (!view)
		return 500;
	struct portal_mail mail = {
	    .kind = "confirm",
	    .template_name = "confirm",
	    .subject = "mail.confirm.subject",
	    .org_id = pv_get_int(user, "org_id", 0),
	    .view = view,
	};
	portal_mail_to(&mail, user);
	return portal_mail_secret(req, &mail);
}

/* The token of the page's path, or of the API's body. */
static const char *token_of(const struct portal_req *req)
{
	const char *token = portal_param_str(req, "token");
	return token ? token : portal_in_str(req, "token");
}

/* A dead link, counted against the client's address (link_throttled). */
static int confirm_link_dead(struct portal_req *req)
{
	return link_dead(req, "confirm.link_dead");
}

/* GET /confirm/{token}: whose address the link confirms, and the button. Only
 * reads: a mail scanner opening the link confirms nothing. */
static int confirm_form(struct portal_req *req, struct portal_value *view)
{
	const char *token = token_of(req);
	int status = link_throttled(req);
	if (status)
		return status;
	if (!portal_token_valid(token))
		return confirm_link_dead(req);
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(token, strlen(token), hash);
	struct portal_value *rows;
	status =
	    portal_db_query(req,
	                    "SELECT u.email, u.name, o.name AS org_name FROM account_tokens t"
	                    " JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = u.org_id"
	                    " WHERE t.token_hash = ? AND t.kind = 'confirm' AND t.used_at IS NULL"
	                    " AND t.expires_at > UTC_TIMESTAMP()",
	                    PORTAL_DB_ARGS(hash_arg(hash)), &rows);
	if (status)
		return status;
	const struct portal_value *row = pv_first(rows);
	if (!row)
		return confirm_link_dead(req);
	struct portal_arena *a = req->arena;
	if (pv_set_str(a, view, "token", token) ||
	    pv_set_str(a, view, "email", pv_get_str(row, "email")) ||
	    pv_set_str(a, view, "name", pv_get_str(row, "name")) ||
	    pv_set_str(a, view, "org_name", pv_get_str(row, "org_name")))
		return 500;
	return 200;
}

/* POST /api/v1/confirm {token} and the page's button: the token is consumed
 * with a conditional UPDATE (of parallel redemptions one wins, the others find
 * it used) and the address confirmed, in one transaction. 200
 * {email_confirmed: true}; 404 for an unknown, used or expired link, 422
 * without one. Nobody is signed in: the link may be opened anywhere. */
static int confirm_redeem(struct portal_req *req, struct portal_value *view)
{
	const char *token = token_of(req);
	if (!token)
		return portal_fail(req, 422, "validation", "token", "password.token_missing");
	int status = link_throttled(req);
	if (status)
		return status;
	if (!portal_token_valid(token))
		return confirm_link_dead(req);
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(token, strlen(token), hash);
	unsigned long long consumed = 0;
	status = portal_db_begin(req);
	if (!status)
		status =
		    portal_db_exec(req,
		                   "UPDATE account_tokens SET used_at = UTC_TIMESTAMP()"
		                   " WHERE token_hash = ? AND kind = 'confirm' AND used_at IS NULL"
		                   " AND expires_at > UTC_TIMESTAMP()",
		                   PORTAL_DB_ARGS(hash_arg(hash)), &consumed, NULL);
	if (!status && consumed != 1)
		return confirm_link_dead(req); /* after rolling back */
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE users SET email_confirmed_at = COALESCE(email_confirmed_at, "
		    "UTC_TIMESTAMP())"
		    " WHERE id = (SELECT user_id FROM account_tokens WHERE token_hash = ?)",
		    PORTAL_DB_ARGS(hash_arg(hash)), NULL, NULL);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	if (pv_set_bool(req->arena, view, req->is_api ? "email_confirmed" : "confirmed", true))
		return 500;
	return 200;
}

const struct portal_route routes_confirm[] = {
    {"POST", "/confirm", "/confirm/{token}", PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_NO_CSRF,
     confirm_redeem, "confirm", "confirm.title", confirm_inputs},
    {"GET", NULL, "/confirm/{token}", PORTAL_ACCESS_PUBLIC, 0, confirm_form, "confirm",
     "confirm.title"},
    {0},
};
