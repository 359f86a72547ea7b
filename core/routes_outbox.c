/* GET /api/v1/outbox?status=queued|sent|failed&limit=&after=: the caller's
 * organisation's mails, newest first, for its admins (whether a mail went out,
 * and why not). Keyset pagination on the id: "after" is the last id of the
 * previous page, so every page costs the same. */
#include <limits.h>
#include <string.h>

#include "portal/list.h"
#include "routes.h"

static const char *const statuses[] = {"queued", "sent", "failed", NULL};

static const struct portal_input list_inputs[] = {
    {"status", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = statuses},
    {0},
};

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

/* The cursor is opaque to clients; here it is the last id they saw. 0 when
 * there is none; 400 recorded for a malformed one (-1). */
static long long cursor_of(struct portal_req *req)
{
	const char *after = portal_in_str(req, "after");
	long long id = after ? positive_number(after) : 0;
	/* Sent twice, it is no string: malformed as well. */
	if (portal_in_has(req, "after") && id <= 0) {
		portal_fail(req, 400, "bad_request", "after", "error.title.400");
		return -1;
	}
	return id;
}

static int outbox_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const char *status = portal_in_str(req, "status");
	int limit = portal_list_limit(req);
	if (!limit)
		return 400;
	long long after = cursor_of(req);
	if (after < 0)
		return 400;

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

	struct portal_value *items = pv_list(a), *next = pv_null(a);
	long long last = 0, n = 0;
	pv_foreach(m, rows) {
		if (n++ == limit) {
			const char *cursor = portal_sprintf(a, "%lld", last);
			next = cursor ? pv_string(a, cursor) : NULL;
			break;
		}
		last = pv_get_int(m->value, "id", 0);
		if (!items || pv_push(a, items, m->value))
			return 500;
	}
	if (!items || !next || pv_set(a, view, "items", items) || pv_set(a, view, "next", next))
		return 500;
	return 200;
}

const struct portal_route routes_outbox[] = {
    {"GET", "/outbox", NULL, PORTAL_ACCESS_ADMIN, 0, outbox_list, NULL, NULL, list_inputs},
    {0},
};
