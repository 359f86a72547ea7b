/* The sign-up that a property's invite link opens: GET /join/{token} names the
 * property and its organisation, POST /join/{token} makes a resident account
 * (or adds the property to the caller's existing one) and signs in.
 *
 * The link hangs in hallways, so anyone may hold it:
 * - it shows only the property and the organisation, never a person;
 * - every attempt that gets as far as the accounts counts against the client's
 *   address and the account (scopes join_ip and join_email, limits in the
 *   configuration; an account is one key however its address is spelled),
 *   and a wrong password also against the account's sign-in
 *   count, so this door is no way around the sign-in throttling;
 * - a new email and a known one cost the same argon2id work;
 * - an account the link may not extend (a manager's, another organisation's
 *   resident) is refused only after its password matched: a stranger gets the
 *   same 401 for every existing email, whoever it belongs to.
 * Membership, event and session are written in one transaction that holds the
 * link's row: a link rotated or a property deleted meanwhile adds nobody.
 *
 * Whoever signs up need not own the address they give: a new account works at
 * once in that browser, but its address gets no mail except one confirmation
 * link (portal_email_confirmation) until its owner follows it. Until then the
 * owner can take the address back by signing up with it again: the
 * unconfirmed account is replaced (join_remove_unconfirmed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portal/crypto.h>
#include <portal/input.h>
#include <portal/session.h>
#include <portal/text.h>

#include "invites.h"

#define NAME_MAX_CHARS 100
#define EMAIL_MAX_CHARS 254
#define PASSWORD_MIN_CHARS 10
/* Never truncated, but bounded so a request cannot make a worker hash
 * megabytes; the core's sign-in refuses longer passwords as well. */
#define PASSWORD_MAX_CHARS 1024

#define SCOPE_JOIN_IP "join_ip"
#define SCOPE_JOIN_EMAIL "join_email"
/* The core's scope of failed sign-ins per account (core/features/routes.h): a wrong
 * password here counts there, and its lock holds here too. */
#define SCOPE_LOGIN_EMAIL "login_email"

/* The groups a resident may choose, in the order the page offers them (each
 * labelled by "join.group.<group>"); the first is the default. */
static const char *const join_groups[] = {"resident", "tenant", "owner", NULL};

/* The page marks the field to correct, and a form handler cannot learn which
 * member the pipeline refused: what people get wrong on the page (a name of
 * spaces only, a mistyped address, a short password) is checked by join_read,
 * which marks it, so these members may be empty here. The pipeline refuses
 * only what the page's form cannot send (an overlong or multi-line name, a
 * group not offered) and what the API gets wrong in its types. */
const struct portal_input join_inputs[] = {
    {"existing", PORTAL_IN_BOOL},
    {"display_name", PORTAL_IN_STRING, 0, 0, NAME_MAX_CHARS, .message = "join.name_invalid"},
    {"email", PORTAL_IN_STRING, 0, 0, EMAIL_MAX_CHARS, .message = "join.email_invalid"},
    {"password", PORTAL_IN_STRING, PORTAL_IN_VERBATIM, 0, PASSWORD_MAX_CHARS,
     .message = "password.too_long"},
    {"group", PORTAL_IN_ENUM, .choices = join_groups, .message = "join.group_invalid"},
    {0},
};

/* The throttles a sign-up passes: each limits the attempts (or, for the
 * account, the failed sign-ins) of one key within a window, both settings of
 * portal.conf. */
enum join_key { KEY_ADDRESS, KEY_EMAIL };

static const struct join_limit {
	const char *scope;
	enum join_key key;
	bool core;                  /* the limit is core's setting (the sign-in's), else ours */
	const char *max_setting;    /* the most attempts (or failures) ... */
	const char *window_setting; /* ... within this many seconds */
	bool count_attempt;         /* every attempt counts; else only failures (the sign-in's) */
} join_limits[] = {
    {SCOPE_JOIN_IP, KEY_ADDRESS, false, "join_max_per_address", "join_window_seconds", true},
    {SCOPE_JOIN_EMAIL, KEY_EMAIL, false, "join_max_per_email", "join_window_seconds", true},
    {SCOPE_LOGIN_EMAIL, KEY_EMAIL, true, "login_max_failures_account", "login_window_seconds",
     false},
};

/* What a sign-up sends, validated. */
struct join_input {
	bool existing;            /* the form for people who have an account already */
	const char *display_name; /* NULL with existing */
	const char *email;        /* lower-cased */
	const char *password;
	const char *group;
};

/* A limit's number: core's setting or ours, both checked at load. */
static int limit_setting(const struct portal_req *req, bool core, const char *key)
{
	return (int)(core ? strtol(portal_config(req, key), NULL, 10)
	                  : portal_setting_int(req, key));
}

static struct portal_db_arg hash_arg(const unsigned char hash[PORTAL_HASH_BYTES])
{
	return PDB_B(hash, PORTAL_HASH_BYTES);
}

/* Marks the field to correct in the form that was sent (the page sets
 * aria-invalid on it) and records the error with a message that says what is
 * expected. */
static int join_invalid(struct portal_req *req, struct portal_value *view, const char *field,
                        const char *message)
{
	struct portal_value *invalid = pv_object(req->arena);
	bool other_form = pv_truthy(pv_get(view, "other_form"));
	if (!invalid || pv_set_bool(req->arena, invalid, field, true) ||
	    pv_set(req->arena, view, other_form ? "invalid_other" : "invalid", invalid))
		return 500;
	return portal_fail(req, 422, "validation", field, message);
}

#define LINK_SQL                                                                                 \
	"SELECT l.property_id, l.org_id, l.approval_required, p.name AS property_name,"          \
	" o.name AS org_name, o.brand_color,"                                                    \
	" IF(o.logo_file IS NULL, NULL, CONCAT('/api/v1/orgs/', o.id, '/logo')) AS logo_url"     \
	" FROM invite_links l JOIN properties p ON p.id = l.property_id AND p.org_id = l.org_id" \
	" JOIN orgs o ON o.id = l.org_id WHERE l.token_hash = ?"

/* The live link of the path's token as one row of LINK_SQL, or 404 for a dead
 * one: malformed, unknown, rotated (its hash is gone) or of a deleted property.
 * lock: inside a transaction, hold the link and its property until the commit,
 * so a rotation or deletion waits for this sign-up or comes first. The two
 * rows are taken exclusively first: the membership's insert counts the
 * resident on the property's row (sql/024), and two sign-ups that each held
 * it shared would each wait for the other to give it up, which MariaDB ends
 * by refusing one. Not the organisation's row: held exclusively, on a Galera
 * cluster it conflicts with every other node's write of the organisation. */
static int link_find(struct portal_req *req, bool lock, const struct portal_value **link)
{
	const char *token = portal_param_str(req, "token");
	if (!portal_token_valid(token))
		return portal_fail(req, 404, "not_found", NULL, "join.link_dead");
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(token, strlen(token), hash);
	struct portal_value *rows;
	int status =
	    !lock ? 0
	          : portal_db_exec(req,
	                           "SELECT l.property_id FROM invite_links l"
	                           " JOIN properties p ON p.id = l.property_id"
	                           " AND p.org_id = l.org_id WHERE l.token_hash = ? FOR UPDATE",
	                           PORTAL_DB_ARGS(hash_arg(hash)), NULL, NULL);
	if (!status)
		status = portal_db_query(req, lock ? LINK_SQL " LOCK IN SHARE MODE" : LINK_SQL,
		                         PORTAL_DB_ARGS(hash_arg(hash)), &rows);
	if (status)
		return status;
	/* Not portal_db_one: a dead link has its own words. */
	if (!(*link = pv_first(rows)))
		return portal_fail(req, 404, "not_found", NULL, "join.link_dead");
	return 0;
}

/* {id, name} of the link's property. NULL when the arena is exhausted. */
static struct portal_value *property_of(struct portal_arena *a, const struct portal_value *link)
{
	struct portal_value *p = pv_object(a);
	if (!p || pv_set_int(a, p, "id", pv_get_int(link, "property_id", 0)) ||
	    pv_set_str(a, p, "name", pv_get_str(link, "property_name")))
		return NULL;
	return p;
}

/* The organisation as the API shows it ({name, brand_color, logo_url}) or, with
 * id, as the layout brands a signed-out page (layout_org). */
static struct portal_value *org_of(struct portal_arena *a, const struct portal_value *link,
                                   bool with_id)
{
	struct portal_value *o = pv_object(a);
	if (!o || (with_id && pv_set_int(a, o, "id", pv_get_int(link, "org_id", 0))) ||
	    pv_set_str(a, o, "name", pv_get_str(link, "org_name")) ||
	    pv_set_str(a, o, "brand_color", pv_get_str(link, "brand_color")) ||
	    pv_set_str(a, o, "logo_url", pv_get_str(link, "logo_url")))
		return NULL;
	return o;
}

/* What the page needs beyond the API's answer: the branding, the token for the
 * forms' action, the groups with the chosen one checked and, after a failed
 * attempt, what was typed into which of the two forms (the password never). */
static int page_view(struct portal_req *req, struct portal_value *view,
                     const struct portal_value *link)
{
	struct portal_arena *a = req->arena;
	bool other_form = portal_in_bool(req, "existing", false);
	const char *chosen = portal_in_str(req, "group");
	if (!chosen || !*chosen)
		chosen = join_groups[0];
	struct portal_value *groups = pv_list(a), *typed = pv_object(a);
	struct portal_value *layout_org = org_of(a, link, true);
	if (!groups || !typed || !layout_org)
		return 500;
	for (const char *const *group = join_groups; *group; group++) {
		struct portal_value *g = pv_object(a);
		const char *label = portal_sprintf(a, "join.group.%s", *group);
		if (!g || !label || pv_set_str(a, g, "value", *group) ||
		    pv_set_str(a, g, "label", portal_t(req, label)) ||
		    pv_set_bool(a, g, "checked", strcmp(chosen, *group) == 0) ||
		    pv_push(a, groups, g))
			return 500;
	}
	const char *name = portal_in_str(req, "display_name");
	const char *email = portal_in_str(req, "email");
	if ((name && pv_set_str(a, typed, "display_name", name)) ||
	    (email && pv_set_str(a, typed, "email", email)))
		return 500;
	if (pv_set(a, view, "layout_org", layout_org) ||
	    pv_set_str(a, view, "token", portal_param_str(req, "token")) ||
	    pv_set(a, view, "groups", groups) || pv_set_bool(a, view, "other_form", other_form) ||
	    pv_set(a, view, other_form ? "typed_other" : "typed", typed))
		return 500;
	return 0;
}

/* The view of both routes: {property: {id, name}, org: {name, brand_color,
 * logo_url}}, and for the page what page_view adds. */
static int link_view(struct portal_req *req, struct portal_value *view,
                     const struct portal_value *link)
{
	struct portal_arena *a = req->arena;
	struct portal_value *property = property_of(a, link), *org = org_of(a, link, false);
	if (!property || !org || pv_set(a, view, "property", property) ||
	    pv_set(a, view, "org", org))
		return 500;
	return req->is_api ? 0 : page_view(req, view, link);
}

/* GET /api/v1/join/{token} and the page /join/{token}: reads only, so a mail
 * scanner or a curious neighbour opening the link changes nothing. */
int join_show(struct portal_req *req, struct portal_value *view)
{
	const struct portal_value *link = NULL;
	int status = link_find(req, false, &link);
	if (!status)
		status = link_view(req, view, link);
	return status ? status : 200;
}

/* What the pipeline left to check (join_inputs), in the order the form asks
 * for it, the field to correct marked. */
static int join_read(struct portal_req *req, struct portal_value *view, struct join_input *in)
{
	in->existing = portal_in_bool(req, "existing", false);
	in->display_name = in->existing ? NULL : portal_in_str(req, "display_name");
	if (!in->existing && (!in->display_name || !*in->display_name))
		return join_invalid(req, view, "display_name", "join.name_invalid");

	const char *sent = portal_in_str(req, "email");
	if (!sent || !portal_email_valid(sent))
		return join_invalid(req, view, "email", "join.email_invalid");
	/* One account per email whatever its case; the throttling keys likewise. */
	char *email = portal_strdup(req->arena, sent);
	if (!email)
		return 500;
	for (char *p = email; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	in->email = email;

	in->password = portal_in_str(req, "password");
	if (!in->password || portal_utf8_chars(in->password) < PASSWORD_MIN_CHARS)
		return join_invalid(req, view, "password",
		                    in->existing ? "join.password_missing" : "password.too_short");

	in->group = portal_in_str(req, "group");
	if (!in->group)
		in->group = join_groups[0];
	return 0;
}

/* The key of each limit: the client's address, or the account's throttling
 * key (portal_throttle_account_key: the address as the account stores it, so
 * no other spelling of it gets a count of its own). */
static const char *limit_key(const struct portal_req *req, const struct join_limit *l,
                             const char *account_key)
{
	return l->key == KEY_ADDRESS ? (req->client_addr ? req->client_addr : "") : account_key;
}

/* 0 while every limit has room; otherwise 429 with Retry-After (the longest
 * wait), or an HTTP status when the database failed. Without an account key
 * (a dead link's attempt), only the client address's limit. */
static int join_throttled(struct portal_req *req, const char *account_key)
{
	int wait = 0;
	for (size_t i = 0; i < sizeof join_limits / sizeof join_limits[0]; i++) {
		const struct join_limit *l = &join_limits[i];
		int w;
		if (!account_key && l->key != KEY_ADDRESS)
			continue;
		int status =
		    portal_throttle_check(req, l->scope, limit_key(req, l, account_key),
		                          limit_setting(req, l->core, l->max_setting),
		                          limit_setting(req, l->core, l->window_setting), &w);
		if (status && status != 429)
			return status;
		if (w > wait)
			wait = w;
	}
	if (wait == 0)
		return 0;
	char seconds[16];
	snprintf(seconds, sizeof seconds, "%d", wait);
	if (portal_set_header(req, "Retry-After", seconds))
		return 500;
	return portal_fail(req, 429, "rate_limited", NULL, "join.throttled");
}

/* Counts this attempt against the limits that count every attempt. Outside
 * any transaction: a sign-up that fails later must not take its count back. */
static int join_count_attempt(struct portal_req *req, const char *account_key)
{
	for (size_t i = 0; i < sizeof join_limits / sizeof join_limits[0]; i++) {
		const struct join_limit *l = &join_limits[i];
		if (!l->count_attempt || (!account_key && l->key != KEY_ADDRESS))
			continue;
		int status = portal_throttle_fail(req, l->scope, limit_key(req, l, account_key));
		if (status)
			return status;
	}
	return 0;
}

/* Makes user_id a member of the link's property (pending when the property
 * wants to approve sign-ups) and emits "resident.joined", in the open
 * transaction; a member already keeps the membership they have (its group and
 * state as they are, no event). Puts {property, group, state} in *membership. */
static int join_membership(struct portal_req *req, const struct portal_value *link,
                           long long user_id, const char *group, struct portal_value **membership)
{
	struct portal_arena *a = req->arena;
	long long property_id = pv_get_int(link, "property_id", 0);
	const char *state = pv_get_int(link, "approval_required", 0) ? "pending" : "active";
	int status = portal_db_exec(req,
	                            "INSERT INTO memberships (property_id, user_id, org_id,"
	                            " resident_group, state, joined_at)"
	                            " VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP())",
	                            PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(user_id),
	                                           PDB_I(pv_get_int(link, "org_id", 0)),
	                                           PDB_S(group), PDB_S(state)),
	                            NULL, NULL);
	bool created = status == 0;
	if (status == 409) { /* a member already: only this statement failed */
		struct portal_value *rows;
		status = portal_db_query(req,
		                         "SELECT resident_group, state FROM memberships"
		                         " WHERE property_id = ? AND user_id = ?",
		                         PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(user_id)), &rows);
		const struct portal_value *row = status ? NULL : pv_first(rows);
		/* The row that was just in the way cannot vanish under our lock. */
		if (!status && !row)
			status = 500;
		if (!status) {
			group = pv_get_str(row, "resident_group");
			state = pv_get_str(row, "state");
		}
	}
	if (status)
		return status;
	if (created) {
		struct portal_value *payload = pv_object(a);
		if (!payload || pv_set_int(a, payload, "property_id", property_id) ||
		    pv_set_int(a, payload, "user_id", user_id) ||
		    pv_set_str(a, payload, "state", state) ||
		    pv_set_str(a, payload, "group", group))
			return 500;
		if ((status = portal_emit(req, "resident.joined", payload)))
			return status;
	}
	struct portal_value *m = pv_object(a), *property = property_of(a, link);
	if (!m || !property || pv_set(a, m, "property", property) ||
	    pv_set_str(a, m, "group", group) || pv_set_str(a, m, "state", state))
		return 500;
	*membership = m;
	return 0;
}

/* What a sign-up's transaction is given, and what it leaves for the answer.
 * The transaction runs again when the database chose another over it
 * (portal_db_transaction): two sign-ups through one link at one instant
 * both count a resident on the property's row, and on a cluster the host
 * whose write certified second would otherwise answer 503. */
struct join_write {
	const struct join_input *in;
	const char *password_hash;          /* a new account's */
	long long replaced;                 /* the unconfirmed account it replaces; 0: none */
	const struct portal_value *account; /* an existing account */
	struct portal_value *membership, *user;
	const char *csrf;
};

/* Signs user_id in, in the open transaction, and reads the account as the
 * answer shows it. */
static int join_sign_in(struct portal_req *req, struct join_write *w, long long user_id)
{
	struct portal_value *rows;
	int status = portal_session_start(req, user_id, &w->csrf);
	if (!status)
		status = portal_db_query(req,
		                         "SELECT id, name, role, org_id, admin,"
		                         " email_confirmed_at IS NOT NULL AS email_confirmed"
		                         " FROM users WHERE id = ?",
		                         PORTAL_DB_ARGS(PDB_I(user_id)), &rows);
	if (!status && !(w->user = pv_first(rows)))
		status = 500; /* inserted or found in this very transaction */
	return status;
}

/* After the commit: the API's 201 {user, csrf_token, membership}, or the
 * page's way on: the property in the portal, or the portal's waiting notice. */
static int join_answer(struct portal_req *req, struct portal_value *view,
                       const struct join_write *w)
{
	struct portal_arena *a = req->arena;
	if (!req->is_api) {
		const char *state = pv_get_str(w->membership, "state");
		long long id = pv_get_int(pv_get(w->membership, "property"), "id", 0);
		const char *to = state && strcmp(state, "active") == 0
		                     ? portal_sprintf(a, "/portal?property=%lld", id)
		                     : "/portal";
		return to ? portal_redirect(req, to) : 500;
	}
	struct portal_value *user = w->user;
	if (pv_set_bool(a, user, "admin", pv_get_int(user, "admin", 0) != 0) ||
	    pv_set_bool(a, user, "email_confirmed", pv_get_int(user, "email_confirmed", 0) != 0) ||
	    pv_set(a, view, "user", user) || pv_set_str(a, view, "csrf_token", w->csrf) ||
	    pv_set(a, view, "membership", w->membership))
		return 500;
	return 201;
}

/* Takes the unconfirmed resident account replaced out of the way, in the open
 * transaction: 0, or 409 when it is no longer one (confirmed or replaced
 * meanwhile). Deleting it takes everything its sign-up set with it (sessions,
 * memberships, links, mail settings, a calendar feed's address), so the one
 * who signed the address up keeps no way into the account. */
static int join_remove_unconfirmed(struct portal_req *req, long long replaced)
{
	unsigned long long removed = 0;
	int status = portal_db_exec(req,
	                            "DELETE FROM users WHERE id = ? AND role = 'resident'"
	                            " AND email_confirmed_at IS NULL",
	                            PORTAL_DB_ARGS(PDB_I(replaced)), &removed, NULL);
	return status ? status : removed == 1 ? 0 : 409;
}

/* The transaction of a new account: the account (in place of w->replaced),
 * its membership, the mail that asks its owner to confirm the address, and
 * the sign-in. */
static int write_new_account(struct portal_req *req, void *ctx)
{
	struct join_write *w = ctx;
	const struct portal_value *link = NULL;
	unsigned long long user_id = 0;
	int status = link_find(req, true, &link);
	if (!status && w->replaced)
		status = join_remove_unconfirmed(req, w->replaced);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO users (org_id, role, email, name,"
		    " password_hash, created_at)"
		    " VALUES (?, 'resident', ?, ?, ?, UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(PDB_I(pv_get_int(link, "org_id", 0)), PDB_S(w->in->email),
		                   PDB_S(w->in->display_name), PDB_S(w->password_hash)),
		    NULL, &user_id);
	if (!status)
		status =
		    join_membership(req, link, (long long)user_id, w->in->group, &w->membership);
	if (!status)
		status = portal_email_confirmation(req, (long long)user_id);
	return status ? status : join_sign_in(req, w, (long long)user_id);
}

/* A new resident account of the link's organisation, in place of the
 * unconfirmed account replaced (0: none). 409 when the email was taken
 * between the lookup and the insert (a parallel sign-up), or replaced is no
 * unconfirmed account any more: nothing was written, and the caller looks
 * again. */
static int join_new_account(struct portal_req *req, struct portal_value *view,
                            const struct join_input *in, long long replaced)
{
	/* argon2id takes a while: before the transaction, so no row stays locked. */
	char password_hash[PORTAL_PASSWORD_HASH_MAX];
	if (portal_password_hash(in->password, password_hash))
		return 500;
	struct join_write w = {.in = in, .password_hash = password_hash, .replaced = replaced};
	int status = portal_db_transaction(req, write_new_account, &w);
	return status ? status : join_answer(req, view, &w);
}

/* The transaction of an existing account: its membership and the sign-in. */
static int write_membership(struct portal_req *req, void *ctx)
{
	struct join_write *w = ctx;
	const struct portal_value *link = NULL;
	long long user_id = pv_get_int(w->account, "id", 0);
	const char *role = pv_get_str(w->account, "role");
	int status = link_find(req, true, &link);
	if (status)
		return status;
	/* Only the account's owner gets this far: telling them why is safe. */
	if (!role || strcmp(role, "resident") != 0 ||
	    pv_get_int(w->account, "org_id", 0) != pv_get_int(link, "org_id", 0))
		return portal_fail(req, 409, "conflict", NULL, "join.account_elsewhere");
	status = join_membership(req, link, user_id, w->in->group, &w->membership);
	/* A successful sign-in: the account's failed attempts go, as at /login. */
	if (!status)
		status = portal_throttle_clear(
		    req, SCOPE_LOGIN_EMAIL, portal_throttle_account_key(w->account, w->in->email));
	return status ? status : join_sign_in(req, w, user_id);
}

/* The email has an account (or, from the form for existing accounts, maybe
 * none: account NULL): the password decides, as at sign-in; password_ok says
 * whether it matched. */
static int join_existing_account(struct portal_req *req, struct portal_value *view,
                                 const struct join_input *in, const struct portal_value *account,
                                 bool password_ok)
{
	if (!password_ok) {
		int status = portal_throttle_fail(req, SCOPE_LOGIN_EMAIL,
		                                  portal_throttle_account_key(account, in->email));
		if (status)
			return status;
		/* A page shows its form again only for 4xx other than 401, so the
		 * form gets 422 with the same code, as the sign-in page does. */
		return portal_fail(req, req->is_api ? 401 : 422, "unauthenticated", NULL,
		                   "join.login_failed");
	}
	struct join_write w = {.in = in, .account = account};
	int status = portal_db_transaction(req, write_membership, &w);
	return status ? status : join_answer(req, view, &w);
}

/* The account of in's email, or NULL in *account: 0 or an HTTP status. */
static int join_account(struct portal_req *req, const struct join_input *in,
                        const struct portal_value **account)
{
	struct portal_value *rows;
	int status = portal_db_query(req,
	                             "SELECT id, email, org_id, role, password_hash,"
	                             " role = 'resident' AND email_confirmed_at IS NULL"
	                             " AS unconfirmed FROM users WHERE email = ?",
	                             PORTAL_DB_ARGS(PDB_S(in->email)), &rows);
	*account = status ? NULL : pv_first(rows);
	return status;
}

/* POST /api/v1/join/{token} {display_name, email, password, group?, existing?}
 * and the page's two forms. existing (the form for people with an account)
 * asks no display name and never creates an account: an unknown email is a
 * wrong pair, 401. Fields a caller may not set (role, org_id, state) are not
 * read. */
int join_submit(struct portal_req *req, struct portal_value *view)
{
	const struct portal_value *link = NULL, *account = NULL;
	struct join_input in = {0};
	int status = link_find(req, false, &link);
	/* A dead link's attempt counts against the client's address too: the
	 * app, not only nginx, slows down whoever tries tokens. */
	if (status == 404) {
		int limited = join_throttled(req, NULL);
		if (!limited)
			limited = join_count_attempt(req, NULL);
		return limited ? limited : status;
	}
	/* The page needs the link's view to show its form again after a failure;
	 * the API's answer is only the sign-up's. */
	if (!status && !req->is_api)
		status = link_view(req, view, link);
	if (!status)
		status = join_read(req, view, &in);
	/* The account first: its limits are keyed on it. */
	if (!status)
		status = join_account(req, &in, &account);
	const char *key = portal_throttle_account_key(account, in.email);
	/* Checked before any password is looked at: while throttled, even the
	 * right one is refused, so guessing learns nothing until the window passes. */
	if (!status)
		status = join_throttled(req, key);
	if (!status)
		status = join_count_attempt(req, key);
	if (status)
		return status;
	/* Twice at most: a parallel sign-up may take a new email between our
	 * lookup and our insert (then it is an existing account), or confirm or
	 * replace the unconfirmed account we would replace. */
	for (int round = 0; round < 2; round++) {
		if (round > 0 && (status = join_account(req, &in, &account)))
			return status;
		if (!account && !in.existing) {
			status = join_new_account(req, view, &in, 0);
		} else {
			/* No account, or one without a password yet: compared against
			 * the dummy hash all the same, so the time does not tell. */
			const char *stored = account ? pv_get_str(account, "password_hash") : NULL;
			bool password_ok = portal_password_verify(in.password, stored);
			/* The sign-up form with another password for an address nobody
			 * confirmed: its owner takes it back (join_remove_unconfirmed). */
			if (password_ok || in.existing || !pv_get_int(account, "unconfirmed", 0))
				return join_existing_account(req, view, &in, account, password_ok);
			status = join_new_account(req, view, &in, pv_get_int(account, "id", 0));
		}
		if (status != 409)
			return status;
	}
	return portal_fail(req, 409, "conflict", NULL, "join.try_again");
}
