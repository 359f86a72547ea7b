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

/* A ticket's history and attachments as the viewer may see them, in one
 * statement: rows of part 1 are its events (only event_id's when that is not
 * 0), of part 2 its attachments (none for a neighbour, nor with an event_id);
 * each row has the other part's columns too, as NULL of their type. */
#define HISTORY                                                                                   \
	"SELECT 1 AS part, e.id, e.type, e.at, e.user_id, e.by_role, u.name AS by_name, e.body,"  \
	" e.from_value AS `from`, e.to_value AS `to`, " TICKETS_NULL_NUMBER                       \
	" AS event_id, NULL AS name,"                                                             \
	" " TICKETS_NULL_NUMBER " AS size, NULL AS content_type FROM ticket_events e"             \
	" LEFT JOIN users u ON u.id = e.user_id WHERE e.ticket_id = ?"                            \
	" AND (? = 1 OR e.type <> 'note') AND (? = 0 OR e.type <> 'comment')"                     \
	" AND (? = 0 OR e.id = ?)"                                                                \
	" UNION ALL SELECT 2, a.id, NULL, CAST(NULL AS DATETIME), " TICKETS_NULL_NUMBER           \
	", NULL, NULL,"                                                                           \
	" NULL, NULL, NULL, a.event_id, a.name, a.size, a.content_type FROM ticket_attachments a" \
	" LEFT JOIN ticket_events e ON e.id = a.event_id WHERE a.ticket_id = ? AND ? = 0"         \
	" AND ? = 0 AND (? = 1 OR e.type IS NULL OR e.type <> 'note')"                            \
	" ORDER BY part, id"

static const char *const event_only[] = {"type", "at",   "user_id", "by_role", "by_name",
                                         "body", "from", "to",      NULL};
static const char *const attachment_only[] = {"event_id", "name", "size", "content_type", NULL};

static void remove_all(struct portal_value *row, const char *const *keys)
{
	for (; *keys; keys++)
		pv_remove(row, *keys);
}

int tickets_parts(struct portal_arena *a, struct portal_value *rows, const char *const *first_only,
                  const char *const *second_only, struct portal_value **first,
                  struct portal_value **second)
{
	if (!(*first = pv_list(a)) || !(*second = pv_list(a)))
		return 500;
	pv_foreach(m, rows) {
		bool in_first = pv_get_int(m->value, "part", 0) == 1;
		pv_remove(m->value, "part");
		remove_all(m->value, in_first ? second_only : first_only);
		if (pv_push(a, in_first ? *first : *second, m->value))
			return 500;
	}
	return 0;
}

/* An attachment's row as the API shows it, with its addresses. */
static int attachment_item(struct portal_req *req, long long ticket_id, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	long long aid = pv_get_int(row, "id", 0);
	const char *url =
	    portal_sprintf(a, "/api/v1/tickets/%lld/attachments/%lld", ticket_id, aid);
	return !url || pv_set_str(a, row, "url", url) ||
	               pv_set_str(a, row, "thumbnail_url", portal_sprintf(a, "%s?thumbnail=1", url))
	           ? 500
	           : 0;
}

/* The ticket's history and attachments (HISTORY) into events and
 * attachments, as the viewer may see them; only one event, and no
 * attachments, when event_id is not 0. */
static int history_of(struct portal_req *req, long long id, long long event_id,
                      enum tickets_viewer viewer, struct portal_value **events,
                      struct portal_value **attachments)
{
	struct portal_value *rows;
	int manager = viewer == TICKETS_MANAGER, neighbour = viewer == TICKETS_NEIGHBOUR;
	int status =
	    portal_db_query(req, HISTORY,
	                    PORTAL_DB_ARGS(PDB_I(id), PDB_I(manager), PDB_I(neighbour),
	                                   PDB_I(event_id), PDB_I(event_id), PDB_I(id),
	                                   PDB_I(neighbour), PDB_I(event_id), PDB_I(manager)),
	                    &rows);
	if (status || (status = tickets_parts(req->arena, rows, event_only, attachment_only, events,
	                                      attachments)))
		return status;
	pv_foreach(m, *events) {
		if ((status = event_item(req, m->value)))
			return status;
	}
	pv_foreach(m, *attachments) {
		if ((status = attachment_item(req, id, m->value)))
			return status;
	}
	return 0;
}

int tickets_event_view(struct portal_req *req, long long ticket_id, long long event_id,
                       struct portal_value *view)
{
	struct portal_value *events, *none;
	enum tickets_viewer viewer = portal_is_manager(req) ? TICKETS_MANAGER : TICKETS_REPORTER;
	int status = history_of(req, ticket_id, event_id, viewer, &events, &none);
	if (status)
		return status;
	if (!pv_first(events))
		return 500;
	*view = *pv_first(events);
	return 0;
}

int tickets_detail_of(struct portal_req *req, long long id, enum tickets_viewer viewer,
                      struct portal_value *view)
{
	struct portal_value *row, *events, *attachments;
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
	    (status = history_of(req, id, 0, viewer, &events, &attachments)) ||
	    pv_set(req->arena, row, "attachments", attachments) ||
	    pv_set(req->arena, row, "events", events))
		return status ? status : 500;
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
