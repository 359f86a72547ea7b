/* A ticket as the API shows it: the list's item, and GET /tickets/{id} with
 * its attachments and history. A neighbour (a resident who sees a shared
 * ticket) gets neither reporter nor photos nor comments; residents never get
 * internal notes, nor the names of other residents. */
#include <string.h>

#include "tickets.h"

/* row's key becomes {id, <name_key>} of its columns id_col and name_col
 * (taken out), or null without an id. */
static int pair_set_as(struct portal_req *req, struct portal_value *row, const char *key,
                       const char *id_col, const char *name_col, const char *name_key)
{
	struct portal_arena *a = req->arena;
	long long id = pv_get_int(row, id_col, 0);
	struct portal_value *pair = id ? pv_object(a) : pv_null(a);
	if (!pair || (id && (pv_set_int(a, pair, "id", id) ||
	                     pv_set(a, pair, name_key, pv_get(row, name_col)))))
		return 500;
	pv_remove(row, id_col);
	pv_remove(row, name_col);
	return pv_set(a, row, key, pair);
}

static int pair_set(struct portal_req *req, struct portal_value *row, const char *key,
                    const char *id_col, const char *name_col)
{
	return pair_set_as(req, row, key, id_col, name_col, "name");
}

/* The columns of a ticket's row as its item (see the list's and the
 * detail's SELECT), in place. */
int tickets_item(struct portal_req *req, struct portal_value *row, enum tickets_viewer viewer)
{
	struct portal_arena *a = req->arena;
	struct portal_value *reporter = pv_object(a), *name = pv_get(row, "reporter_name");
	/* An erased resident's ticket stays, under "ehemalige Bewohnerin /
	 * ehemaliger Bewohner". */
	if (!reporter ||
	    pv_set(a, reporter, "display_name",
	           pv_str(name) ? name : pv_string(a, portal_t(req, "former_resident"))))
		return 500;
	if (viewer == TICKETS_MANAGER && pv_get_int(row, "contact_consent", 0) &&
	    pv_str(pv_get(row, "reporter_email")) &&
	    pv_set(a, reporter, "email", pv_get(row, "reporter_email")))
		return 500;
	pv_remove(row, "reporter_name");
	pv_remove(row, "reporter_email");
	if (viewer == TICKETS_NEIGHBOUR) {
		pv_remove(row, "access_note");
		pv_remove(row, "contact_consent");
		reporter = pv_null(a);
	}
	if (!reporter || pv_set(a, row, "reporter", reporter))
		return 500;
	if (pv_get(row, "contact_consent") &&
	    pv_set_bool(a, row, "contact_consent", pv_get_int(row, "contact_consent", 0) != 0))
		return 500;
	if (pv_get(row, "shared") &&
	    pv_set_bool(a, row, "shared", pv_get_int(row, "shared", 0) != 0))
		return 500;
	if (pair_set(req, row, "property", "property_id", "property_name") ||
	    pair_set(req, row, "assignee", "assignee_id", "assignee_name"))
		return 500;
	return 0;
}

/* by: {display_name, role} of an event, or null for the portal itself; a
 * resident reading the history sees no other resident's name. */
static int by_set(struct portal_req *req, struct portal_value *e)
{
	struct portal_arena *a = req->arena;
	const char *role = pv_get_str(e, "by_role");
	struct portal_value *by = role ? pv_object(a) : pv_null(a);
	bool hidden = role && !portal_is_manager(req) && strcmp(role, "resident") == 0 &&
	              pv_get_int(e, "user_id", 0) != req->caller.user_id;
	if (!by ||
	    (role && (pv_set(a, by, "display_name", hidden ? pv_null(a) : pv_get(e, "by_name")) ||
	              pv_set_str(a, by, "role", role))))
		return 500;
	pv_remove(e, "by_role");
	pv_remove(e, "by_name");
	pv_remove(e, "user_id");
	return pv_set(a, e, "by", by);
}

/* Only the members an event of its type has: body for comments and notes,
 * from and to for changes. */
static int event_item(struct portal_req *req, struct portal_value *e)
{
	const char *type = pv_get_str(e, "type");
	bool text = strcmp(type, "comment") == 0 || strcmp(type, "note") == 0;
	if (!text)
		pv_remove(e, "body");
	if (text || strcmp(type, "created") == 0 || strcmp(type, "affected") == 0) {
		pv_remove(e, "from");
		pv_remove(e, "to");
	}
	return by_set(req, e);
}

/* The ticket's history as the viewer may see it; only one event of it when
 * event_id is not 0. */
static int events_of(struct portal_req *req, long long id, long long event_id,
                     enum tickets_viewer viewer, struct portal_value **events)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT e.id, e.type, e.at, e.user_id, e.by_role, u.name AS by_name, e.body,"
	    " e.from_value AS `from`, e.to_value AS `to` FROM ticket_events e"
	    " LEFT JOIN users u ON u.id = e.user_id WHERE e.ticket_id = ?"
	    " AND (? = 1 OR e.type <> 'note') AND (? = 0 OR e.type <> 'comment')"
	    " AND (? = 0 OR e.id = ?) ORDER BY e.id",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(viewer == TICKETS_MANAGER),
	                   PDB_I(viewer == TICKETS_NEIGHBOUR), PDB_I(event_id), PDB_I(event_id)),
	    &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		if ((status = event_item(req, m->value)))
			return status;
	}
	*events = rows;
	return 0;
}

static int events_set(struct portal_req *req, long long id, enum tickets_viewer viewer,
                      struct portal_value *ticket)
{
	struct portal_value *rows;
	int status = events_of(req, id, 0, viewer, &rows);
	return status ? status : pv_set(req->arena, ticket, "events", rows);
}

int tickets_event_view(struct portal_req *req, long long ticket_id, long long event_id,
                       struct portal_value *view)
{
	struct portal_value *rows;
	enum tickets_viewer viewer = portal_is_manager(req) ? TICKETS_MANAGER : TICKETS_REPORTER;
	int status = events_of(req, ticket_id, event_id, viewer, &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return 500;
	*view = *pv_first(rows);
	return 0;
}

static int attachments_set(struct portal_req *req, long long id, enum tickets_viewer viewer,
                           struct portal_value *ticket)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT a.id, a.event_id, a.name, a.size, a.content_type FROM ticket_attachments a"
	    " LEFT JOIN ticket_events e ON e.id = a.event_id WHERE a.ticket_id = ? AND ? = 0"
	    " AND (? = 1 OR e.type IS NULL OR e.type <> 'note') ORDER BY a.id",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(viewer == TICKETS_NEIGHBOUR),
	                   PDB_I(viewer == TICKETS_MANAGER)),
	    &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		long long aid = pv_get_int(m->value, "id", 0);
		const char *url =
		    portal_sprintf(a, "/api/v1/tickets/%lld/attachments/%lld", id, aid);
		if (!url || pv_set_str(a, m->value, "url", url) ||
		    pv_set_str(a, m->value, "thumbnail_url",
		               portal_sprintf(a, "%s?thumbnail=1", url)))
			return 500;
	}
	return pv_set(a, ticket, "attachments", rows);
}

int tickets_detail_of(struct portal_req *req, long long id, enum tickets_viewer viewer,
                      struct portal_value *view)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req,
	    "SELECT" TICKETS_ITEM_COLUMNS ", t.description, t.shared, t.contact_consent,"
	    " t.access_note, t.unit_id, un.name AS unit_name, ru.email AS reporter_email,"
	    " mt.id AS merged_into_id, mt.number AS merged_into_number"
	    " FROM tickets t JOIN properties p ON p.id = t.property_id AND p.org_id = t.org_id"
	    " LEFT JOIN units un ON un.id = t.unit_id"
	    " LEFT JOIN users ru ON ru.id = t.reporter_id"
	    " LEFT JOIN users au ON au.id = t.assignee_id"
	    " LEFT JOIN tickets mt ON mt.id = t.merged_into"
	    " WHERE t.id = ? AND t.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &row);
	if (status)
		return status;
	if ((status = tickets_item(req, row, viewer)) ||
	    (status = pair_set(req, row, "unit", "unit_id", "unit_name")) ||
	    (status = pair_set_as(req, row, "merged_into", "merged_into_id", "merged_into_number",
	                          "number")) ||
	    (status = attachments_set(req, id, viewer, row)) ||
	    (status = events_set(req, id, viewer, row)))
		return status;
	*view = *row;
	return 0;
}

int tickets_detail(struct portal_req *req, long long id, struct portal_value *view)
{
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	int status = tickets_find(req, id, false, &ticket, &viewer);
	return status ? status : tickets_detail_of(req, id, viewer, view);
}

int tickets_get(struct portal_req *req, struct portal_value *view)
{
	int status = tickets_detail(req, portal_param_id(req, "id"), view);
	return status ? status : 200;
}
