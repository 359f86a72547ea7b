/* GET /tickets: the organisation's tickets for managers; for a resident
 * their own and the shared ones they follow. Newest first, keyset pages, with
 * the counts per status for the same filters without the status. And GET
 * /properties/{id}/tickets/shared: what the property's residents may follow. */
#include <string.h>
#include <time.h>

#include <portal/datetime.h>
#include <portal/input.h>
#include <portal/list.h>
#include <portal/text.h>

#include "tickets.h"

static const char *const sorts[] = {"newest", "activity", NULL};

const struct portal_input tickets_list_inputs[] = {
    {"sort", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = sorts, .message = "tickets.sort_invalid"},
    {"status", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = tickets_statuses,
     .message = "tickets.status_invalid"},
    {"property_id", PORTAL_IN_ID, PORTAL_IN_QUERY},
    {"assignee_id", PORTAL_IN_ID, PORTAL_IN_QUERY},
    {"category", PORTAL_IN_CATEGORY, PORTAL_IN_QUERY, .message = "tickets.category_invalid"},
    {"q", PORTAL_IN_STRING, PORTAL_IN_QUERY, 0, 100},
    {"overdue", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

const struct portal_input tickets_shared_inputs[] = {
    {"category", PORTAL_IN_CATEGORY, PORTAL_IN_QUERY, .message = "tickets.category_invalid"},
    {0},
};

/* Whom the caller may list (a manager: all; a resident: theirs and what they
 * follow in a property they are still an active member of), and the filters
 * but the status, bound in the order of filter_args. */
#define LIST_SCOPE                                                                     \
	" WHERE t.org_id = ? AND (? = 1 OR t.reporter_id = ? OR EXISTS (SELECT 1"      \
	" FROM ticket_followers f JOIN memberships m ON m.property_id = t.property_id" \
	" AND m.user_id = f.user_id AND m.state = 'active' WHERE f.ticket_id = t.id"   \
	" AND f.user_id = ?))"                                                         \
	" AND (? = 0 OR t.property_id = ?) AND (? = 0 OR t.assignee_id = ?)"           \
	" AND (? IS NULL OR t.category = ?) AND (? IS NULL OR t.title LIKE ?"          \
	" OR t.description LIKE ?) AND (? = 0 OR (t.due_on < UTC_DATE()"               \
	" AND t.status NOT IN ('resolved', 'closed')))"
#define FILTER_ARGS 14

/* q as a LIKE pattern that finds it anywhere, its own % and _ taken literally. */
static const char *like_of(struct portal_req *req, const char *q)
{
	if (!q)
		return NULL;
	struct portal_buf b = {.arena = req->arena};
	portal_buf_puts(&b, "%");
	for (const char *c = q; *c; c++) {
		if (*c == '%' || *c == '_' || *c == '\\')
			portal_buf_puts(&b, "\\");
		portal_buf_add(&b, c, 1);
	}
	portal_buf_puts(&b, "%");
	return b.failed ? NULL : b.data;
}

/* A cursor's RFC 3339 time as a DATETIME column compares with it. */
static const char *cursor_time(struct portal_req *req, const char *rfc3339)
{
	long long t = portal_time_parse(rfc3339);
	struct tm tm;
	time_t tt = (time_t)t;
	if (t < 0 || !gmtime_r(&tt, &tm))
		return NULL;
	return portal_sprintf(req->arena, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
	                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void filter_args(struct portal_req *req, struct portal_db_arg *args)
{
	long long uid = req->caller.user_id;
	long long property = portal_in_int(req, "property_id", 0);
	long long assignee = portal_in_int(req, "assignee_id", 0);
	const char *category = portal_in_str(req, "category");
	const char *like = like_of(req, portal_in_str(req, "q"));
	struct portal_db_arg a[FILTER_ARGS] = {
	    PDB_I(req->caller.org_id),
	    PDB_I(portal_is_manager(req)),
	    PDB_I(uid),
	    PDB_I(uid),
	    PDB_I(property),
	    PDB_I(property),
	    PDB_I(assignee),
	    PDB_I(assignee),
	    PDB_S(category),
	    PDB_S(category),
	    PDB_S(like),
	    PDB_S(like),
	    PDB_S(like),
	    PDB_I(portal_in_bool(req, "overdue", false)),
	};
	memcpy(args, a, sizeof a);
}

#define LIST_FROM                                                                      \
	"SELECT 0 AS counting," TICKETS_ITEM_COLUMNS ", (t.reporter_id <=> ?) AS mine" \
	" FROM tickets t"                                                              \
	" JOIN properties p ON p.id = t.property_id AND p.org_id = t.org_id"           \
	" LEFT JOIN users ru ON ru.id = t.reporter_id"                                 \
	" LEFT JOIN users au ON au.id = t.assignee_id" LIST_SCOPE                      \
	" AND (? IS NULL OR t.status = ?)"

/* Newest first, or by last activity (the cursor's key is the last item's
 * updated_at). */
#define NEWEST_PAGE " AND (? = 0 OR t.id < ?) ORDER BY t.id DESC LIMIT ?"
#define ACTIVITY_PAGE                                                             \
	" AND (? IS NULL OR t.updated_at < ? OR (t.updated_at = ? AND t.id < ?))" \
	" ORDER BY t.updated_at DESC, t.id DESC LIMIT ?"
static const char newest_sql[] = LIST_FROM NEWEST_PAGE;
static const char activity_sql[] = LIST_FROM ACTIVITY_PAGE;

/* With the counts per status for the same filters but the status, in the
 * same statement (one round trip): rows with counting = 1 carry a status
 * and its count (in number) after the page's items. Their columns have the
 * items' types, so that the union keeps them (numbers stay numbers). */
#define NO_ID "CAST(NULL AS UNSIGNED)"
#define COUNT_ROWS                                                                                 \
	" UNION ALL SELECT 1, " NO_ID ", CAST(COUNT(*) AS UNSIGNED), NULL, t.status, NULL, " NO_ID \
	", NULL, NULL, " NO_ID ", NULL, " NO_ID ", NULL, CAST(NULL AS DATETIME),"                  \
	" CAST(NULL AS DATETIME), 0 FROM tickets t" LIST_SCOPE " GROUP BY t.status) u"
static const char newest_counted_sql[] =
    "SELECT * FROM ((" LIST_FROM NEWEST_PAGE ")" COUNT_ROWS " ORDER BY counting, id DESC";
static const char activity_counted_sql[] = "SELECT * FROM ((" LIST_FROM ACTIVITY_PAGE ")" COUNT_ROWS
                                           " ORDER BY counting, updated_at DESC, id DESC";

/* The count rows as counts {open, in_progress, ...} (0 for a status without
 * tickets), taken out of rows. */
static int counts_take(struct portal_req *req, struct portal_value *rows, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *counts = pv_object(a);
	for (size_t i = 0; counts && tickets_statuses[i]; i++) {
		long long n = 0;
		pv_foreach(m, rows) {
			if (pv_get_int(m->value, "counting", 0) &&
			    strcmp(pv_get_str(m->value, "status"), tickets_statuses[i]) == 0)
				n = pv_get_int(m->value, "number", 0);
		}
		if (pv_set_int(a, counts, tickets_statuses[i], n))
			return 500;
	}
	return !counts || pv_set(a, view, "counts", counts) ? 500 : 0;
}

int tickets_list(struct portal_req *req, struct portal_value *view)
{
	return tickets_list_of(req, view, true);
}

/* The list as GET /tickets answers it, in one statement; without the counts
 * for the resident's page, which shows none. */
int tickets_list_of(struct portal_req *req, struct portal_value *view, bool counts)
{
	struct portal_page page;
	int status = portal_list_page(req, &page);
	if (status)
		return status;
	const char *st = portal_in_str(req, "status"), *sort = portal_in_str(req, "sort");
	bool activity = sort && strcmp(sort, "activity") == 0;
	/* the cursor's time as the column holds it (NULL on the first page) */
	const char *key = activity && page.key ? cursor_time(req, page.key) : NULL;
	if (activity && page.key && !key)
		return portal_fail(req, 400, "bad_request", NULL, "tickets.cursor_invalid");
	struct portal_db_arg args[2 * FILTER_ARGS + 8];
	size_t n = FILTER_ARGS + 1;
	args[0] = PDB_I(req->caller.user_id);
	filter_args(req, args + 1);
	args[n++] = PDB_S(st);
	args[n++] = PDB_S(st);
	if (activity) {
		args[n++] = PDB_S(key);
		args[n++] = PDB_S(key);
		args[n++] = PDB_S(key);
	} else
		args[n++] = PDB_I(page.after);
	args[n++] = PDB_I(page.after);
	args[n++] = PDB_I(page.limit + 1);
	if (counts) {
		filter_args(req, args + n);
		n += FILTER_ARGS;
	}
	const char *sql = counts ? (activity ? activity_counted_sql : newest_counted_sql)
	                         : (activity ? activity_sql : newest_sql);
	struct portal_value *all, *rows = pv_list(req->arena);
	if ((status = portal_db_query(req, sql, args, n, &all)))
		return status;
	if (!rows || (counts && counts_take(req, all, view)))
		return 500;
	pv_foreach(m, all) {
		if (!pv_get_int(m->value, "counting", 0) && pv_push(req->arena, rows, m->value))
			return 500;
		pv_remove(m->value, "counting");
	}
	pv_foreach(m, rows) {
		enum tickets_viewer viewer = TICKETS_MANAGER;
		if (!portal_is_manager(req))
			viewer =
			    pv_get_int(m->value, "mine", 0) ? TICKETS_REPORTER : TICKETS_NEIGHBOUR;
		pv_remove(m->value, "mine");
		if ((status = tickets_item(req, m->value, viewer)))
			return status;
	}
	if (portal_list_view(req, view, rows, page.limit, activity ? "updated_at" : NULL))
		return 500;
	return 200;
}

int tickets_shared(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const char *category = portal_in_str(req, "category");
	struct portal_value *rows;
	/* The membership's row comes without a ticket when there is none; no row
	 * at all: not a property of the caller (404). */
	int status = portal_db_query(
	    req,
	    "SELECT t.id, t.number, t.title, t.category, t.status, (SELECT COUNT(*)"
	    " FROM ticket_followers f WHERE f.ticket_id = t.id AND f.reason = 'affected')"
	    " AS affected_count, t.created_at FROM memberships m LEFT JOIN tickets t"
	    " ON t.property_id = m.property_id AND t.org_id = m.org_id AND t.shared = 1"
	    " AND t.status <> 'closed' AND (? IS NULL OR t.category = ?)"
	    " WHERE m.property_id = ? AND m.user_id = ? AND m.org_id = ? AND m.state = 'active'"
	    " ORDER BY t.id DESC LIMIT ?",
	    PORTAL_DB_ARGS(PDB_S(category), PDB_S(category), PDB_I(portal_param_id(req, "id")),
	                   PDB_I(req->caller.user_id), PDB_I(req->caller.org_id),
	                   PDB_I(PORTAL_LIST_MAX)),
	    &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return portal_not_found(req);
	struct portal_value *items = pv_list(a);
	if (!items)
		return 500;
	pv_foreach(m, rows) {
		if (pv_get_int(m->value, "id", 0) && pv_push(a, items, m->value))
			return 500;
	}
	return pv_set(a, view, "items", items) || pv_set(a, view, "next", pv_null(a)) ? 500 : 200;
}
