/* The resident's pages ("Meine Anliegen"): the list, the report form with
 * "Ist das schon gemeldet?", one ticket with its history, the answer to
 * "Ist das erledigt?", and the two sections of the home: their own open
 * tickets (per person) and the shared ones of their properties (alike for
 * all residents: cached, see tickets_event's portal_content_changed). */
#include <string.h>

#include <portal/input.h>

#include "tickets.h"

#define HOME_MAX 5
#define SHARED_MAX 20
#define HOME_PROPERTIES_MAX 100 /* a plain IN list: a resident's few properties */

const struct portal_input tickets_new_page_inputs[] = {
    {"property_id", PORTAL_IN_ID, PORTAL_IN_QUERY},
    {"category", PORTAL_IN_CATEGORY, PORTAL_IN_QUERY},
    {0},
};

const struct portal_input tickets_confirm_page_inputs[] = {
    {"solved", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

int tickets_portal_list(struct portal_req *req, struct portal_value *view)
{
	int status = tickets_list_of(req, view, false, false);
	if (status != 200)
		return status;
	struct portal_value *shared = pv_get(view, "shared");
	if ((status = tickets_page_items(req, pv_get(view, "items"), "portal")) ||
	    (shared && (status = tickets_page_items(req, shared, "portal"))))
		return status;
	return pv_set_bool(req->arena, view, "any_shared", pv_first(shared) != NULL) ? 500 : 200;
}

/* The caller's properties [{id, name, unit_id, selected}], the chosen one
 * (the one asked for, else the first) in *chosen. */
static int properties_set(struct portal_req *req, struct portal_value *view,
                          struct portal_value **chosen)
{
	struct portal_value *rows;
	long long asked = portal_in_int(req, "property_id", 0);
	int status = portal_db_query(
	    req,
	    "SELECT p.id, p.name, m.unit_id FROM memberships m JOIN properties p"
	    " ON p.id = m.property_id AND p.org_id = m.org_id"
	    " WHERE m.user_id = ? AND m.org_id = ? AND m.state = 'active' ORDER BY p.name, p.id",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	*chosen = pv_first(rows);
	pv_foreach(m, rows) {
		if (pv_get_int(m->value, "id", 0) == asked)
			*chosen = m->value;
	}
	pv_foreach(m, rows) {
		if (pv_set_bool(req->arena, m->value, "selected", m->value == *chosen))
			return 500;
	}
	return pv_set(req->arena, view, "properties", rows) ||
	               pv_set_bool(req->arena, view, "several", pv_count(rows) > 1)
	           ? 500
	           : 0;
}

/* The property's units [{id, name, selected}]: the one sent, else the
 * resident's own. */
static int units_set(struct portal_req *req, struct portal_value *view,
                     const struct portal_value *property)
{
	struct portal_value *rows;
	long long unit = portal_in_int(req, "unit_id", pv_get_int(property, "unit_id", 0));
	int status = portal_db_query(
	    req,
	    "SELECT id, name FROM units WHERE property_id = ? AND org_id = ? ORDER BY name, id",
	    PORTAL_DB_ARGS(PDB_I(pv_get_int(property, "id", 0)), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		if (pv_set_bool(req->arena, m->value, "selected",
		                pv_get_int(m->value, "id", 0) == unit))
			return 500;
	}
	return pv_set(req->arena, view, "units", rows) ||
	               pv_set_bool(req->arena, view, "any_units", pv_first(rows) != NULL)
	           ? 500
	           : 0;
}

/* "Ist das schon gemeldet?": the property's open shared tickets (of the
 * category, when one is chosen), each with whether the caller follows it. */
static int shared_set(struct portal_req *req, struct portal_value *view, long long property_id,
                      const char *category)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT t.id, t.number, t.title, t.category, t.status, t.created_at,"
	    " (SELECT COUNT(*) FROM ticket_followers f WHERE f.ticket_id = t.id"
	    " AND f.reason = 'affected') AS affected_count, (t.reporter_id <=> ? OR EXISTS"
	    " (SELECT 1 FROM ticket_followers f WHERE f.ticket_id = t.id AND f.user_id = ?))"
	    " AS following FROM tickets t WHERE t.property_id = ? AND t.org_id = ? AND t.shared = 1"
	    " AND t.status <> 'closed' AND (? IS NULL OR t.category = ?) ORDER BY t.id DESC LIMIT "
	    "?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.user_id),
	                   PDB_I(property_id), PDB_I(req->caller.org_id), PDB_S(category),
	                   PDB_S(category), PDB_I(SHARED_MAX)),
	    &rows);
	if (!status)
		status = tickets_page_items(req, rows, "portal");
	if (status || pv_set(req->arena, view, "shared", rows) ||
	    pv_set_bool(req->arena, view, "any_shared", pv_first(rows) != NULL))
		return status ? status : 500;
	return 0;
}

int tickets_portal_new(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *property = NULL;
	const char *category = portal_in_str(req, "category");
	int status = properties_set(req, view, &property);
	if (status)
		return status;
	if (!property) /* no property yet: the page says so */
		return 200;
	long long property_id = pv_get_int(property, "id", 0);
	if ((status = units_set(req, view, property)) ||
	    (status = shared_set(req, view, property_id, category)))
		return status;
	struct portal_value *choices = tickets_category_choices(req, category);
	if (!choices || pv_set(req->arena, view, "categories", choices) ||
	    pv_set_int(req->arena, view, "property_id", property_id) ||
	    pv_set(req->arena, view, "property_name", pv_get(property, "name")))
		return 500;
	return 200;
}

int tickets_portal_ticket(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct portal_value *ticket, *row;
	enum tickets_viewer viewer;
	int status = tickets_find(req, id, false, &ticket, &viewer);
	if (status || (status = tickets_detail_of(req, id, viewer, view)) ||
	    (status = tickets_page_detail(req, view, "portal")))
		return status;
	const char *st = pv_get_str(view, "status");
	bool reporter = viewer == TICKETS_REPORTER;
	bool done = strcmp(st, "resolved") == 0 || strcmp(st, "closed") == 0;
	struct portal_arena *a = req->arena;
	if (viewer == TICKETS_NEIGHBOUR) {
		if ((status = portal_db_one(req,
		                            "SELECT EXISTS (SELECT 1 FROM ticket_followers"
		                            " WHERE ticket_id = ? AND user_id = ?) AS following",
		                            PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.user_id)),
		                            &row)))
			return status;
		if (pv_set_bool(a, view, "following", pv_get_int(row, "following", 0) != 0))
			return 500;
	}
	if (pv_set_bool(a, view, "is_reporter", reporter) ||
	    pv_set_bool(a, view, "is_neighbour", viewer == TICKETS_NEIGHBOUR) ||
	    pv_set_bool(a, view, "ask_confirm", reporter && strcmp(st, "resolved") == 0) ||
	    pv_set_bool(a, view, "can_reopen", reporter && done))
		return 500;
	return 200;
}

int tickets_portal_confirm(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	int status = tickets_find(req, id, false, &ticket, &viewer);
	if (!status && viewer != TICKETS_REPORTER)
		status = portal_fail(req, 403, "forbidden", NULL, "tickets.not_reporter");
	if (status)
		return status;
	struct portal_arena *a = req->arena;
	bool has = portal_in_has(req, "solved"), solved = portal_in_bool(req, "solved", true);
	const char *st = pv_get_str(ticket, "status");
	if (pv_set_int(a, view, "id", id) ||
	    pv_set_int(a, view, "number", pv_get_int(ticket, "number", 0)) ||
	    pv_set(a, view, "title", pv_get(ticket, "title")) ||
	    pv_set_str(a, view, "status_text", tickets_status_text(req, st)) ||
	    pv_set_bool(a, view, "resolved", strcmp(st, "resolved") == 0) ||
	    pv_set_bool(a, view, "ask_yes", !has || solved) ||
	    pv_set_bool(a, view, "ask_no", !has || !solved))
		return 500;
	return 200;
}

/* The home's own section: the caller's open tickets in the properties
 * shown (none in a manager's preview: managers report none of their own). */
/* The home's query of the properties shown: head, then the ids as a plain
 * IN list (a hot query, portal_db_placeholders), then the order and limit;
 * the fixed arguments of head first, the limit last. */
static int home_query(struct portal_req *req, const char *head, const long long *fixed,
                      size_t nfixed, const long long *property_ids, size_t count,
                      struct portal_value **rows)
{
	struct portal_arena *a = req->arena;
	if (count > HOME_PROPERTIES_MAX)
		count = HOME_PROPERTIES_MAX;
	struct portal_db_arg *args = portal_alloc(a, (nfixed + count + 1) * sizeof *args);
	size_t n = 0;
	if (!args)
		return 500;
	for (size_t i = 0; i < nfixed; i++)
		args[n++] = PDB_I(fixed[i]);
	const char *in = portal_db_placeholders(req, property_ids, count, args, &n);
	const char *sql =
	    in ? portal_sprintf(a, "%s AND t.property_id IN (%s) ORDER BY t.id DESC LIMIT ?", head,
	                        in)
	       : NULL;
	if (!sql)
		return 500;
	args[n++] = PDB_I(HOME_MAX);
	return portal_db_query(req, sql, args, n, rows);
}

int tickets_home(struct portal_req *req, const long long *property_ids, size_t count,
                 struct portal_value *view)
{
	struct portal_value *rows;
	if (!count)
		return 204;
	const long long fixed[] = {req->caller.user_id, req->caller.org_id};
	/* The reporter's index is the one that fits whatever the properties and
	 * however many tickets; named, it spares the optimizer estimating the
	 * ranges of the ten others on every home (most begin with org_id). */
	int status =
	    home_query(req,
	               "SELECT t.id, t.number, t.title, t.status, t.category, t.created_at"
	               " FROM tickets t USE INDEX (tickets_reporter)"
	               " WHERE t.reporter_id = ? AND t.org_id = ? AND t.status <> 'closed'",
	               fixed, 2, property_ids, count, &rows);
	if (status || (status = tickets_page_items(req, rows, "portal")))
		return status;
	if (!pv_first(rows))
		return 204;
	return pv_set(req->arena, view, "items", rows) ? 500 : 0;
}

/* The home's shared section: the properties' open shared tickets, the same
 * for every resident (no person in it, no form). */
int tickets_home_shared(struct portal_req *req, const long long *property_ids, size_t count,
                        struct portal_value *view)
{
	struct portal_value *rows;
	if (!count)
		return 204;
	const long long fixed[] = {req->caller.org_id};
	int status = home_query(
	    req,
	    "SELECT t.id, t.number, t.title, t.status, t.category, t.created_at,"
	    " (SELECT COUNT(*) FROM ticket_followers f WHERE f.ticket_id = t.id"
	    " AND f.reason = 'affected') AS affected_count, p.name AS property_name"
	    " FROM tickets t JOIN properties p ON p.id = t.property_id AND p.org_id = t.org_id"
	    " WHERE t.org_id = ? AND t.shared = 1 AND t.status <> 'closed'",
	    fixed, 1, property_ids, count, &rows);
	if (status || (status = tickets_page_items(req, rows, "portal")))
		return status;
	if (!pv_first(rows))
		return 204;
	return pv_set(req->arena, view, "items", rows) ||
	               pv_set_bool(req->arena, view, "several", count > 1)
	           ? 500
	           : 0;
}
