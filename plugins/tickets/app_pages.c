/* The manager's pages ("Vorgänge"): the list with its filters, the counts
 * per status and the bulk change; one ticket with its whole history, the
 * comment and note form and the controls (status, assignee, due date,
 * shared). The forms post to the same handlers as the API. */
#include <string.h>

#include "tickets.h"

static const char *const share_values[] = {"false", "true", NULL};
static const char *const share_keys[] = {"tickets.shared_no", "tickets.shared_yes", NULL};
static const char *const sort_values[] = {"newest", "activity", NULL};
static const char *const sort_keys[] = {"tickets.sort_newest", "tickets.sort_activity", NULL};

/* The organisation's employees [{id, name}] as choices, selected marked. */
static int employees_mark(struct portal_req *req, struct portal_value *rows, long long selected)
{
	pv_foreach(m, rows) {
		if (pv_set_bool(req->arena, m->value, "selected",
		                pv_get_int(m->value, "id", 0) == selected))
			return 500;
	}
	return 0;
}

/* The status tabs: [{value, text, count, current}], their links keeping the
 * other filters. */
static int tabs_set(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const char *current = portal_in_str(req, "status");
	struct portal_value *counts = pv_get(view, "counts");
	struct portal_value *tabs =
	    tickets_choices(req, tickets_statuses, tickets_status_keys, current);
	if (!tabs)
		return 500;
	pv_foreach(m, tabs) {
		const char *value = pv_get_str(m->value, "value");
		if (pv_set_int(a, m->value, "count", pv_get_int(counts, value, 0)))
			return 500;
	}
	return pv_set(a, view, "tabs", tabs) || pv_set_bool(a, view, "all_current", !current) ? 500
	                                                                                      : 0;
}

int tickets_app_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	/* the list, its counts and the employees in one statement */
	int status = tickets_list_of(req, view, true, true);
	if (status != 200)
		return status;
	struct portal_value *categories =
	    tickets_category_choices(req, portal_in_str(req, "category"));
	const char *q = portal_in_str(req, "q");
	const char *sort = portal_in_str(req, "sort");
	const char *st = portal_in_str(req, "status");
	const char *category = portal_in_str(req, "category");
	struct portal_value *sorts = tickets_choices(req, sort_values, sort_keys, sort);
	if ((status = tickets_page_items(req, pv_get(view, "items"), "app")) ||
	    (status = tabs_set(req, view)) ||
	    (status = employees_mark(req, pv_get(view, "employees"),
	                             portal_in_int(req, "assignee_id", 0))))
		return status;
	/* The filters as sent, for the next page's link and the tabs. */
	if (!sorts || pv_set(a, view, "sorts", sorts) || pv_set_str(a, view, "f_sort", sort) ||
	    pv_set_str(a, view, "f_status", st) || pv_set_str(a, view, "f_category", category) ||
	    pv_set_int(a, view, "f_assignee", portal_in_int(req, "assignee_id", 0)))
		return 500;
	if (!categories || pv_set(a, view, "categories", categories) ||
	    pv_set_str(a, view, "q", q ? q : "") ||
	    pv_set_bool(a, view, "overdue", portal_in_bool(req, "overdue", false)) ||
	    pv_set_int(a, view, "property_id", portal_in_int(req, "property_id", 0)) ||
	    pv_set(a, view, "statuses",
	           tickets_choices(req, tickets_statuses, tickets_status_keys, NULL)))
		return 500;
	return 200;
}

/* The choices of a ticket's controls in one statement: rows of part 1 are
 * the organisation's employees (id, name) by name, whom it may be assigned
 * to; of part 2 the property's other tickets that are neither closed nor
 * merged (id, number, title), newest first, which it may be merged into.
 * Each row has the other part's columns too, as NULL of their type. */
#define CONTROL_CHOICES                                                                     \
	"SELECT * FROM (SELECT 1 AS part, u.id, " TICKETS_NULL_NUMBER " AS number, u.name," \
	" NULL AS title FROM users u WHERE u.org_id = ? AND u.role = 'manager'"             \
	" UNION ALL (SELECT 2, o.id, o.number, NULL, o.title FROM tickets t JOIN tickets o" \
	" ON o.property_id = t.property_id AND o.org_id = t.org_id AND o.id <> t.id"        \
	" AND o.status <> 'closed' AND o.merged_into IS NULL"                               \
	" WHERE t.id = ? AND t.org_id = ? ORDER BY o.id DESC LIMIT 50)) c"                  \
	" ORDER BY part, name, IF(part = 1, id, NULL), id DESC"

static int control_choices_set(struct portal_req *req, struct portal_value *view, long long id)
{
	static const char *const employee_only[] = {"name", NULL};
	static const char *const target_only[] = {"number", "title", NULL};
	struct portal_arena *a = req->arena;
	struct portal_value *rows, *employees, *targets;
	int status = portal_db_query(
	    req, CONTROL_CHOICES,
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	if (status ||
	    (status = tickets_parts(a, rows, employee_only, target_only, &employees, &targets)))
		return status;
	bool open = !pv_get_int(pv_get(view, "merged_into"), "id", 0) &&
	            strcmp(pv_get_str(view, "status"), "closed") != 0;
	if ((status =
	         employees_mark(req, employees, pv_get_int(pv_get(view, "assignee"), "id", 0))))
		return status;
	return pv_set(a, view, "employees", employees) ||
	               pv_set(a, view, "merge_targets", targets) ||
	               pv_set_bool(a, view, "can_merge", open && pv_first(targets))
	           ? 500
	           : 0;
}

int tickets_app_ticket(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	long long id = portal_param_id(req, "id");
	int status = tickets_detail_of(req, id, TICKETS_MANAGER, view);
	if (status || (status = tickets_page_detail(req, view, "app")) ||
	    (status = control_choices_set(req, view, id)))
		return status;
	struct portal_value *statuses =
	    tickets_choices(req, tickets_statuses, tickets_status_keys, pv_get_str(view, "status"));
	struct portal_value *shares = tickets_choices(
	    req, share_values, share_keys, pv_truthy(pv_get(view, "shared")) ? "true" : "false");
	if (!statuses || !shares || pv_set(a, view, "statuses", statuses) ||
	    pv_set(a, view, "shares", shares))
		return 500;
	return 200;
}
