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

/* The count rows as counts {open, in_progress, ...} (0 for a status without
 * tickets), taken out of rows. */
static int counts_take(struct portal_req *req, struct portal_value *rows, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *counts = pv_object(a);
	for (size_t i = 0; counts && tickets_statuses[i]; i++) {
		long long n = 0;
		pv_foreach(m, rows) {
			if (pv_get_int(m->value, "counting", 0) == 1 &&
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
	return tickets_list_of(req, view, true, false);
}

/* The employees' rows as employees [{id, name}], in their order. */
static int employees_take(struct portal_req *req, struct portal_value *rows,
                          struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *employees = pv_list(a);
	if (!employees)
		return 500;
	pv_foreach(m, rows) {
		if (pv_get_int(m->value, "counting", 0) != 2)
			continue;
		struct portal_value *e = pv_object(a);
		if (!e || pv_set_int(a, e, "id", pv_get_int(m->value, "id", 0)) ||
		    pv_set_str(a, e, "name", pv_get_str(m->value, "title")) ||
		    pv_push(a, employees, e))
			return 500;
	}
	return pv_set(a, view, "employees", employees) ? 500 : 0;
}

/* The list as GET /tickets answers it, in one statement; without the counts
 * for the resident's page, which shows none. */
int tickets_list_of(struct portal_req *req, struct portal_value *view, bool counts, bool employees)
{
	struct portal_page page;
	struct tickets_search_terms search;
	int status = portal_list_page(req, &page);
	if (status || (status = tickets_search_terms_of(req, &search)))
		return status;
	const char *sort = portal_in_str(req, "sort");
	bool activity = sort && strcmp(sort, "activity") == 0;
	/* the cursor's time as the column holds it (NULL on the first page) */
	const char *key = activity && page.key ? cursor_time(req, page.key) : NULL;
	if (activity && page.key && !key)
		return portal_fail(req, 400, "bad_request", NULL, "tickets.cursor_invalid");
	/* The resident's page (not the API's list) shows on its first page the
	 * house's shared tickets they might join, in the same statement. */
	bool shared = !portal_is_manager(req) && !req->is_api && !page.after;
	struct tickets_list_spec spec = {&page, key, activity, counts, employees, shared, &search};
	struct portal_value *all, *rows = pv_list(req->arena), *known = pv_list(req->arena);
	struct portal_db_arg *args;
	const char *sql;
	size_t n;
	if (!rows || !known)
		return 500;
	if ((status = tickets_list_query(req, &spec, &sql, &args, &n)) ||
	    (status = portal_db_query(req, sql, args, n, &all)))
		return status;
	if ((counts && counts_take(req, all, view)) ||
	    (employees && employees_take(req, all, view)))
		return 500;
	pv_foreach(m, all) {
		long long counting = pv_get_int(m->value, "counting", 0);
		if ((!counting && pv_push(req->arena, rows, m->value)) ||
		    (counting == 3 && pv_push(req->arena, known, m->value)))
			return 500;
		pv_remove(m->value, "counting");
	}
	pv_foreach(m, known) {
		pv_remove(m->value, "mine");
		if ((status = tickets_item(req, m->value, TICKETS_NEIGHBOUR)))
			return status;
	}
	if (shared && pv_set(req->arena, view, "shared", known))
		return 500;
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
