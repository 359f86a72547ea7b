/* Signing in and out, and who the caller is: POST/GET/DELETE /api/v1/session,
 * GET /api/v1/me, and the pages /login and /logout.
 *
 * A wrong email and a wrong password must look alike, in answer and in time:
 * both look the account up, both run argon2id (against a dummy hash when there
 * is no password to compare with), both count a failure for the account's key
 * and the client's address. */
#include <stdio.h>
#include <stdlib.h>

#include "portal/crypto.h"
#include "portal/session.h"
#include "features/routes.h"
#include "http/request.h"

/* Longer passwords can never have been set (activation and reset refuse them),
 * and bounding them keeps a request from hashing megabytes. */
#define PASSWORD_MAX_CHARS 1024

#define SCOPE_LOGIN_IP "login_ip"

/* Only these two fields are read: role, org_id or admin in the body change
 * nothing. The address is read lower-cased and refused unless it passes the
 * one address rule (portal_email_valid), as everywhere. */
static const struct portal_input sign_in_inputs[] = {
    {"email", PORTAL_IN_EMAIL, PORTAL_IN_REQUIRED, .message = "login.email_invalid"},
    {"password", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, PASSWORD_MAX_CHARS,
     .message = "login.password_missing"},
    {0},
};

/* One of core's login_* settings: whole numbers, present (they have defaults)
 * and in range, as the configuration loader checked. */
static int login_setting(const struct portal_req *req, const char *key)
{
	return (int)strtol(portal_config(req, key), NULL, 10);
}

/* Where a person lands after signing in. */
static const char *home_of(enum portal_role role)
{
	return role == PORTAL_ROLE_MANAGER ? "/app" : "/portal";
}

/* The public part of an account: {id, name, role, org_id, admin,
 * email_confirmed}. 0 or a status. */
static int user_view(struct portal_req *req, long long user_id, struct portal_value **out)
{
	struct portal_value *rows;
	int status = portal_db_query(req,
	                             "SELECT id, name, role, org_id, admin,"
	                             " email_confirmed_at IS NOT NULL AS email_confirmed"
	                             " FROM users WHERE id = ?",
	                             PORTAL_DB_ARGS(PDB_I(user_id)), &rows);
	if (status)
		return status;
	struct portal_value *u = pv_first(rows);
	/* The session resolved a moment ago, so a missing row means it was just removed. */
	if (!u)
		return portal_fail(req, 401, "unauthenticated", NULL, "error.title.401");
	if (pv_set_bool(req->arena, u, "admin", pv_get_int(u, "admin", 0) != 0) ||
	    pv_set_bool(req->arena, u, "email_confirmed", pv_get_int(u, "email_confirmed", 0) != 0))
		return 500;
	*out = u;
	return 0;
}

/* user_view of the signed-in caller, from what the session's query read
 * with it: no query of its own. 0 or 500. */
static int caller_view(struct portal_req *req, struct portal_value **out)
{
	const struct request *rq = request_of(req);
	struct portal_arena *a = req->arena;
	struct portal_value *u = pv_object(a);
	if (!u || pv_set_int(a, u, "id", req->caller.user_id) ||
	    pv_set_str(a, u, "name", rq->signed_in.user_name) ||
	    pv_set_str(a, u, "role",
	               req->caller.role == PORTAL_ROLE_MANAGER ? "manager" : "resident") ||
	    pv_set_int(a, u, "org_id", req->caller.org_id) ||
	    pv_set_bool(a, u, "admin", req->caller.admin) ||
	    pv_set_bool(a, u, "email_confirmed", rq->signed_in.email_confirmed))
		return 500;
	*out = u;
	return 0;
}

/* The answer of every route that signs someone in: a new session (a new id,
 * whatever the caller held before), then {user, csrf_token} for the API or a
 * redirect to the person's home for pages. */
int session_sign_in(struct portal_req *req, long long user_id, struct portal_value *view)
{
	const char *csrf = NULL;
	struct portal_value *user = NULL;
	int status = portal_session_start(req, user_id, &csrf);
	if (!status)
		status = user_view(req, user_id, &user);
	if (status)
		return status;
	if (!req->is_api)
		return portal_redirect(req, home_of(req->caller.role));
	if (pv_set(req->arena, view, "user", user) ||
	    pv_set_str(req->arena, view, "csrf_token", csrf))
		return 500;
	return 200;
}

/* 0 while neither the account (its throttling key, see session_create) nor
 * the client's address has too many recent failures; otherwise 429 with
 * Retry-After (the longer of the two waits), or an HTTP status when the
 * database failed. */
static int login_throttled(struct portal_req *req, const char *account_key, const char *address)
{
	int window = login_setting(req, "login_window_seconds");
	int account, by_address;
	int status = portal_throttle_check(req, SCOPE_LOGIN_EMAIL, account_key,
	                                   login_setting(req, "login_max_failures_account"), window,
	                                   &account);
	if (status && status != 429)
		return status;
	status = portal_throttle_check(req, SCOPE_LOGIN_IP, address,
	                               login_setting(req, "login_max_failures_address"), window,
	                               &by_address);
	if (status && status != 429)
		return status;
	int wait = account > by_address ? account : by_address;
	if (wait == 0)
		return 0;
	char seconds[16];
	snprintf(seconds, sizeof seconds, "%d", wait);
	if (portal_set_header(req, "Retry-After", seconds))
		return 500;
	return portal_fail(req, 429, "rate_limited", NULL, "login.throttled");
}

/* POST /api/v1/session and POST /login {email, password}. */
static int session_create(struct portal_req *req, struct portal_value *view)
{
	const char *email = portal_in_str(req, "email");
	const char *password = portal_in_str(req, "password");
	const char *address = req->client_addr ? req->client_addr : "";

	struct portal_value *rows;
	int status =
	    portal_db_query(req, "SELECT id, email, password_hash FROM users WHERE email = ?",
	                    PORTAL_DB_ARGS(PDB_S(email)), &rows);
	if (status)
		return status;
	const struct portal_value *row = pv_first(rows);
	const char *key = portal_throttle_account_key(row, email);

	/* Checked before the password, so that while throttled even the right one
	 * is refused: guessing learns nothing until the window passes. */
	status = login_throttled(req, key, address);
	if (status)
		return status;

	/* No account, or one still waiting for activation: compared against the
	 * dummy hash all the same, so the time does not tell. */
	const char *stored = row ? pv_get_str(row, "password_hash") : NULL;
	if (!portal_password_verify(password, stored)) {
		status = portal_throttle_fail(req, SCOPE_LOGIN_EMAIL, key);
		if (!status)
			status = portal_throttle_fail(req, SCOPE_LOGIN_IP, address);
		if (status)
			return status;
		/* A page must show its form again, which the core does for 4xx
		 * statuses other than 401: the form gets 422 with the same code. */
		return portal_fail(req, req->is_api ? 401 : 422, "unauthenticated", NULL,
		                   "login.failed");
	}
	/* The account's count goes (the victim of a guessing attack gets in once
	 * it ends); the address's stays, it may be guessing other accounts. */
	status = portal_throttle_clear(req, SCOPE_LOGIN_EMAIL, key);
	if (status)
		return status;
	return session_sign_in(req, pv_get_int(row, "id", 0), view);
}

/* GET /login: the form; a visitor who is signed in already goes home. */
static int login_show(struct portal_req *req, struct portal_value *view)
{
	(void)view;
	if (req->caller.role != PORTAL_ROLE_NONE)
		return portal_redirect(req, home_of(req->caller.role));
	return 200;
}

/* GET /api/v1/session: who is signed in, and the token for unsafe methods. */
static int session_show(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *user = NULL;
	int status = caller_view(req, &user);
	if (status)
		return status;
	const char *csrf = portal_session_csrf(req);
	if (pv_set(req->arena, view, "user", user) ||
	    pv_set_str(req->arena, view, "csrf_token", csrf ? csrf : ""))
		return 500;
	return 200;
}

/* DELETE /api/v1/session and POST /logout: the session row goes, so the old
 * cookie is worthless even if someone kept a copy. The page route is public:
 * a signed-out visitor pressing the button just lands on the sign-in page. */
static int session_delete(struct portal_req *req, struct portal_value *view)
{
	(void)view;
	int status = portal_session_end(req);
	if (status)
		return status;
	return req->is_api ? 204 : portal_redirect(req, "/login");
}

/* A resident's memberships, pending ones too (so an app can say what waits
 * for approval): [{property: {id, name}, group, state}] by property name. Only
 * properties of the caller's organisation, whatever rows exist. 0 or a status. */
static int memberships_view(struct portal_req *req, struct portal_value *list)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT p.id, p.name, m.resident_group, m.state FROM memberships m"
	    " JOIN properties p ON p.id = m.property_id AND p.org_id = m.org_id"
	    " WHERE m.user_id = ? AND m.org_id = ? ORDER BY p.name, p.id",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		struct portal_value *property = pv_object(a), *item = pv_object(a);
		if (!property || !item ||
		    pv_set_int(a, property, "id", pv_get_int(m->value, "id", 0)) ||
		    pv_set_str(a, property, "name", pv_get_str(m->value, "name")) ||
		    pv_set(a, item, "property", property) ||
		    pv_set_str(a, item, "group", pv_get_str(m->value, "resident_group")) ||
		    pv_set_str(a, item, "state", pv_get_str(m->value, "state")) ||
		    pv_push(a, list, item))
			return 500;
	}
	return 0;
}

/* GET /api/v1/me: the caller and their memberships; a manager belongs to the
 * whole organisation and has none. */
static int me_show(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *user = NULL, *memberships = pv_list(req->arena);
	int status = caller_view(req, &user);
	if (!status && !memberships)
		status = 500;
	if (!status && req->caller.role == PORTAL_ROLE_RESIDENT)
		status = memberships_view(req, memberships);
	if (status)
		return status;
	if (pv_set(req->arena, view, "user", user) ||
	    pv_set(req->arena, view, "memberships", memberships))
		return 500;
	return 200;
}

const struct portal_route routes_session[] = {
    {"POST", "/session", "/login", PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_NO_CSRF, session_create,
     "login", "login.title", sign_in_inputs, page_mark_refused},
    {"GET", NULL, "/login", PORTAL_ACCESS_PUBLIC, 0, login_show, "login", "login.title"},
    {"GET", "/session", NULL, PORTAL_ACCESS_SIGNED_IN, 0, session_show, NULL, NULL},
    {"DELETE", "/session", NULL, PORTAL_ACCESS_SIGNED_IN, 0, session_delete, NULL, NULL},
    {"POST", NULL, "/logout", PORTAL_ACCESS_PUBLIC, 0, session_delete, NULL, NULL},
    {"GET", "/me", NULL, PORTAL_ACCESS_SIGNED_IN, 0, me_show, NULL, NULL},
    {0},
};
