/* Sessions: the cookie holds 256 random bits, the database only their hash.
 * Managers' sessions end after 12 idle hours (43200 s), residents' after 30 idle
 * days (2592000 s); last_seen_at is touched at most once a minute. However
 * active, a session ends session_max_days_manager or _resident days after its
 * sign-in (30 and 180 by default): a stolen cookie does not live for ever. */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "portal/crypto.h"
#include "portal/session.h"
#include "http/session.h"
#include "http/request.h"
#include "lib/value.h"

static bool https(const struct portal_worker *w)
{
	return strncmp(config_get(w->cfg, "base_url"), "https://", 8) == 0;
}

const char *session_cookie_name(const struct portal_worker *w)
{
	return https(w) ? "__Host-session" : "session";
}

/* expire: tell the browser to drop the cookie now. */
static int set_cookie(struct portal_req *req, const char *value, bool expire)
{
	const struct portal_worker *w = req->worker;
	char *c = portal_sprintf(req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Lax%s%s",
	                         session_cookie_name(w), value, https(w) ? "; Secure" : "",
	                         expire ? "; Max-Age=0" : "");
	return c && portal_set_header(req, "Set-Cookie", c) == 0 ? 0 : 500;
}

/* The caller, the layout's organisation and the session's state, in one
 * query by the token's hash; where the route asks for them, the content
 * generation (the sum of the organisation's, sql/027) and the caller's
 * memberships, a row each. */
#define CALLER_COLUMNS                                                                          \
	"SELECT s.id, s.csrf_token, u.id AS user_id, u.org_id, u.role, u.admin,"                \
	" COALESCE(u.locale, o.locale) AS locale, u.name AS user_name,"                         \
	" u.email_confirmed_at IS NOT NULL AS email_confirmed, o.name AS org_name,"             \
	" o.brand_color, IF(o.logo_file IS NULL, NULL, CONCAT('/api/v1/orgs/', o.id, '/logo'))" \
	" AS logo_url, o.categories_generation,"                                                \
	" s.last_seen_at < UTC_TIMESTAMP() - INTERVAL 60 SECOND AS stale"
#define CALLER_FROM \
	" FROM sessions s JOIN users u ON u.id = s.user_id JOIN orgs o ON o.id = u.org_id"
#define CALLER_WHERE                                                              \
	" WHERE s.token_hash = ? AND s.last_seen_at > UTC_TIMESTAMP() - INTERVAL" \
	" IF(u.role = 'manager', 43200, 2592000) SECOND"                          \
	" AND s.created_at > UTC_TIMESTAMP() - INTERVAL IF(u.role = 'manager', ?, ?) DAY"
#define CALLER CALLER_COLUMNS CALLER_FROM CALLER_WHERE
#define GENERATION_COLUMN                                                      \
	", CAST(o.content_generation + (SELECT COALESCE(SUM(g.generation), 0)" \
	" FROM content_generations g WHERE g.org_id = o.id) AS SIGNED)"        \
	" AS content_generation"
#define CALLER_WITH_GENERATION CALLER_COLUMNS GENERATION_COLUMN CALLER_FROM CALLER_WHERE

/* The memberships come unsorted and are sorted here (memberships_by_name):
 * ORDER BY p.name over the joined tables costs MariaDB a temporary table and
 * a filesort, far more than sorting a resident's few rows here. card_sort_key
 * is what that ORDER BY compares: the name's collation weights (two bytes a
 * character), which the comparison pads with the weights of spaces as the
 * collation pads the shorter name (PAD SPACE: trailing spaces count for
 * nothing). The hint spares the optimizer estimating the organisation's
 * ranges in the other indexes of properties, which this plan never uses. */
#define MEMBERSHIP_COLUMNS                                                          \
	", p.id AS card_id, p.name AS card_name, p.street AS card_street,"          \
	" p.zip AS card_zip, p.city AS card_city, p.image_file AS card_image_file," \
	" ms.state AS card_state, WEIGHT_STRING(p.name) AS card_sort_key"
#define MEMBERSHIP_JOIN                                       \
	" LEFT JOIN (memberships ms"                          \
	" JOIN properties p USE INDEX (PRIMARY)"              \
	" ON p.id = ms.property_id AND p.org_id = ms.org_id)" \
	" ON ms.user_id = u.id AND ms.org_id = u.org_id"
#define CALLER_WITH_MEMBERSHIPS \
	CALLER_COLUMNS GENERATION_COLUMN MEMBERSHIP_COLUMNS CALLER_FROM MEMBERSHIP_JOIN CALLER_WHERE

struct membership_order {
	struct pv_member *row;
	const struct portal_value *key; /* NULL in the one row of a caller without memberships */
	long long id;
};

/* The weight of a space in utf8mb4_unicode_ci: what the shorter name is
 * padded with. */
static const unsigned char pad_weight[2] = {0x02, 0x09};

/* The longer key's rest against pad weights: below, equal or above (<0, 0, >0). */
static int rest_against_pad(const unsigned char *rest, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (rest[i] != pad_weight[i % 2])
			return rest[i] < pad_weight[i % 2] ? -1 : 1;
	return 0;
}

static int by_name_then_id(const void *x, const void *y)
{
	const struct membership_order *a = x, *b = y;
	if (!a->key || !b->key)
		return (a->key != NULL) - (b->key != NULL);
	size_t la = a->key->u.s.len, lb = b->key->u.s.len, n = la < lb ? la : lb;
	const unsigned char *ka = (const unsigned char *)a->key->u.s.ptr,
	                    *kb = (const unsigned char *)b->key->u.s.ptr;
	int c = memcmp(ka, kb, n);
	if (c == 0)
		c = la > n ? rest_against_pad(ka + n, la - n) : -rest_against_pad(kb + n, lb - n);
	return c ? c : (a->id > b->id) - (a->id < b->id);
}

/* Sorts the rows by card_sort_key, then card_id (ORDER BY p.name, p.id), and
 * takes the key out of them. Returns 0 or 500. */
static int memberships_by_name(struct portal_arena *a, struct portal_value *rows)
{
	size_t count = pv_count(rows), i = 0;
	if (!count)
		return 0; /* no session */
	struct membership_order *order = portal_alloc(a, count * sizeof *order);
	if (!order)
		return 500;
	pv_foreach(m, rows) {
		const struct portal_value *key = pv_get(m->value, "card_sort_key");
		order[i++] = (struct membership_order){
		    .row = m,
		    .key = key && key->type == PV_STRING ? key : NULL,
		    .id = pv_get_int(m->value, "card_id", 0),
		};
		pv_remove(m->value, "card_sort_key");
	}
	qsort(order, count, sizeof *order, by_name_then_id);
	rows->u.c.head = rows->u.c.tail = NULL;
	rows->u.c.count = 0;
	for (i = 0; i < count; i++)
		pv_link(rows, order[i].row);
	return 0;
}

int session_resolve(struct request *rq, unsigned route_flags)
{
	bool memberships = route_flags & SESSION_ROUTE_MEMBERSHIPS,
	     generation = memberships || (route_flags & SESSION_ROUTE_HOME);
	struct portal_req *req = &rq->pub;
	const char *token = pv_get_str(req->cookies, session_cookie_name(req->worker));
	if (!portal_token_valid(token))
		return 0;
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(token, strlen(token), hash);
	struct portal_value *rows;
	const struct config *cfg = req->worker->cfg;
	struct portal_db_arg args[] = {
	    PDB_B(hash, sizeof hash),
	    PDB_I(config_int(cfg, "session_max_days_manager")),
	    PDB_I(config_int(cfg, "session_max_days_resident")),
	};
	const char *query = memberships  ? CALLER_WITH_MEMBERSHIPS
	                    : generation ? CALLER_WITH_GENERATION
	                                 : CALLER;
	int status = portal_db_query(req, query, args, 3, &rows);
	if (!status && memberships)
		status = memberships_by_name(req->arena, rows);
	if (status)
		return status;
	const struct portal_value *s = pv_first(rows);
	if (!s)
		return 0;
	const char *role = pv_get_str(s, "role");
	rq->session_id = pv_get_int(s, "id", 0);
	rq->csrf_token = pv_get_str(s, "csrf_token");
	req->caller.user_id = pv_get_int(s, "user_id", 0);
	req->caller.org_id = pv_get_int(s, "org_id", 0);
	req->caller.role =
	    role && strcmp(role, "manager") == 0 ? PORTAL_ROLE_MANAGER : PORTAL_ROLE_RESIDENT;
	req->caller.admin = pv_get_int(s, "admin", 0) != 0;
	rq->signed_in.user_name = pv_get_str(s, "user_name");
	rq->signed_in.email_confirmed = pv_get_int(s, "email_confirmed", 0) != 0;
	rq->signed_in.org_name = pv_get_str(s, "org_name");
	rq->signed_in.brand_color = pv_get_str(s, "brand_color");
	rq->signed_in.logo_url = pv_get_str(s, "logo_url");
	rq->signed_in.categories_generation = pv_get_int(s, "categories_generation", 0);
	rq->signed_in.content_generation = pv_get_int(s, "content_generation", -1);
	rq->signed_in.memberships = memberships ? rows : NULL;
	const char *locale = pv_get_str(s, "locale");
	if (locale && (strcmp(locale, "de") == 0 || strcmp(locale, "en") == 0))
		req->locale = locale;
	if (pv_get_int(s, "stale", 0))
		status = portal_db_exec(
		    req, "UPDATE sessions SET last_seen_at = UTC_TIMESTAMP() WHERE id = ?",
		    PORTAL_DB_ARGS(PDB_I(rq->session_id)), NULL, NULL);
	return status;
}

/* Ends the caller's session on the server; the cookie is the caller's concern. */
static int end_session(struct portal_req *req)
{
	struct request *rq = request_of(req);
	int status = 0;
	if (rq->session_id)
		status = portal_db_exec(req, "DELETE FROM sessions WHERE id = ?",
		                        PORTAL_DB_ARGS(PDB_I(rq->session_id)), NULL, NULL);
	rq->session_id = 0;
	rq->csrf_token = NULL;
	req->caller = (struct portal_caller){0};
	return status;
}

int portal_session_start(struct portal_req *req, long long user_id, const char **csrf_token)
{
	struct request *rq = request_of(req);
	char token[PORTAL_TOKEN_CHARS + 1],
	    *csrf = portal_alloc(req->arena, PORTAL_TOKEN_CHARS + 1);
	unsigned char hash[PORTAL_HASH_BYTES], unused[PORTAL_HASH_BYTES];
	if (!csrf)
		return 500;
	portal_token_new(token, hash);
	portal_token_new(csrf, unused);
	/* A new id at every sign-in: the caller's old session (if any) ends; its
	 * cookie is simply replaced by the new one. */
	int status = end_session(req);
	struct portal_db_arg args[] = {
	    PDB_B(hash, sizeof hash),
	    PDB_I(user_id),
	    PDB_S(csrf),
	};
	unsigned long long id = 0;
	if (!status)
		status = portal_db_exec(req,
		                        "INSERT INTO sessions (token_hash, user_id, csrf_token, "
		                        "created_at, last_seen_at)"
		                        " VALUES (?, ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())",
		                        args, 3, NULL, &id);
	struct portal_value *rows;
	if (!status)
		status = portal_db_query(req, "SELECT org_id, role, admin FROM users WHERE id = ?",
		                         PORTAL_DB_ARGS(PDB_I(user_id)), &rows);
	if (!status && rows->u.c.count == 0)
		status = 404;
	if (status)
		return status;
	const struct portal_value *u = rows->u.c.head->value;
	const char *role = pv_get_str(u, "role");
	req->caller = (struct portal_caller){
	    .role =
	        role && strcmp(role, "manager") == 0 ? PORTAL_ROLE_MANAGER : PORTAL_ROLE_RESIDENT,
	    .user_id = user_id,
	    .org_id = pv_get_int(u, "org_id", 0),
	    .admin = pv_get_int(u, "admin", 0) != 0,
	};
	rq->session_id = (long long)id;
	rq->csrf_token = csrf;
	if (csrf_token)
		*csrf_token = csrf;
	return set_cookie(req, token, false);
}

const char *portal_session_csrf(const struct portal_req *req)
{
	return request_of(req)->csrf_token;
}

int portal_session_end(struct portal_req *req)
{
	int status = end_session(req);
	return status ? status : set_cookie(req, "", true);
}

int portal_sessions_end_user(struct portal_req *req, long long user_id)
{
	return portal_db_exec(req, "DELETE FROM sessions WHERE user_id = ?",
	                      PORTAL_DB_ARGS(PDB_I(user_id)), NULL, NULL);
}

/* Unsafe methods of a signed-in caller carry the session's CSRF token, in the
 * X-CSRF-Token header (API) or the csrf_token field (forms). */
int session_check_csrf(struct request *rq)
{
	if (!rq->csrf_token)
		return 0;
	const char *sent = portal_header(&rq->pub, "HTTP_X_CSRF_TOKEN");
	if (!sent)
		sent = pv_get_str(rq->pub.body, "csrf_token");
	if (sent && portal_secure_equal(sent, rq->csrf_token))
		return 0;
	return portal_fail(&rq->pub, 403, "csrf", NULL, "error.csrf");
}
