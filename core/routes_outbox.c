/* GET /api/v1/outbox?status=queued|sent|failed&limit=&after=: the caller's
 * organisation's mails, newest first, for its admins (whether a mail went out,
 * and why not). Keyset pagination on the id: "after" is the last id of the
 * previous page, so every page costs the same. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "routes.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200

static int bad_request(struct portal_req *req, const char *field)
{
	return portal_fail(req, 400, "bad_request", field, "error.title.400");
}

/* A query parameter given once: its string, or NULL when absent; *repeated
 * is set when it came as a list (twice in the query). */
static const char *query_once(const struct portal_req *req, const char *key, bool *repeated)
{
	const struct portal_value *v = pv_get(req->query, key);
	*repeated = v && v->type != PV_STRING;
	return v && v->type == PV_STRING ? v->u.s.ptr : NULL;
}

/* A positive decimal number of at most 18 digits, no sign, no leading zero. */
static long long positive_number(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 18 || s[0] == '0' || strspn(s, "0123456789") != n)
		return 0;
	long long v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static int outbox_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	bool twice[3];
	const char *status = query_once(req, "status", &twice[0]);
	const char *limit_s = query_once(req, "limit", &twice[1]);
	const char *after_s = query_once(req, "after", &twice[2]);
	if (twice[0] || (status && strcmp(status, "queued") != 0 && strcmp(status, "sent") != 0 &&
	                 strcmp(status, "failed") != 0))
		return bad_request(req, "status");
	long long limit = limit_s ? positive_number(limit_s) : LIST_DEFAULT;
	/* Larger values are clamped, however many digits they have. */
	if (limit_s && limit == 0 && limit_s[0] > '0' &&
	    strspn(limit_s, "0123456789") == strlen(limit_s))
		limit = LIST_MAX;
	if (twice[1] || limit <= 0)
		return bad_request(req, "limit");
	if (limit > LIST_MAX)
		limit = LIST_MAX;
	/* The cursor is opaque to clients; here it is the last id they saw. */
	long long after = after_s ? positive_number(after_s) : 0;
	if (twice[2] || (after_s && after <= 0))
		return bad_request(req, "after");

	/* One more row than asked tells whether there is a next page. */
	long long before = after ? after : LLONG_MAX;
	struct portal_value *rows;
	int rc;
	if (status)
		rc = portal_db_query(
		    req,
		    "SELECT id, to_addr AS `to`, subject, kind, status, attempts, last_error,"
		    " created_at, sent_at FROM outbox"
		    " WHERE org_id = ? AND status = ? AND id < ? ORDER BY id DESC LIMIT ?",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(status), PDB_I(before),
		                   PDB_I(limit + 1)),
		    &rows);
	else
		rc = portal_db_query(
		    req,
		    "SELECT id, to_addr AS `to`, subject, kind, status, attempts, last_error,"
		    " created_at, sent_at FROM outbox"
		    " WHERE org_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(before), PDB_I(limit + 1)),
		    &rows);
	if (rc)
		return rc;

	struct portal_value *items = pv_list(a);
	long long last = 0, n = 0;
	const struct pv_member *m = rows->u.c.head;
	for (; m && n < limit; m = m->next, n++) {
		last = pv_get_int(m->value, "id", 0);
		if (pv_push(a, items, m->value))
			return 500;
	}
	const char *cursor = m ? portal_sprintf(a, "%lld", last) : NULL;
	struct portal_value *next = cursor ? pv_string(a, cursor) : pv_null(a);
	if ((m && !cursor) || !items || !next || pv_set(a, view, "items", items) ||
	    pv_set(a, view, "next", next))
		return 500;
	return 200;
}

const struct portal_route routes_outbox[] = {
    {"GET", "/outbox", NULL, PORTAL_ACCESS_ADMIN, 0, outbox_list, NULL, NULL},
    {0},
};
