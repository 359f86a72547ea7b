/* The example's items: a manager's list, create, show, change and delete, all
 * scoped by the caller's organisation; a mail to the residents of the
 * properties an item is for; and the residents' home section.
 *
 * Every handler starts the same way: its input was checked before it runs
 * (the tables below), the router let only managers in, and every query names
 * the caller's org_id, so an id of another organisation is simply not found
 * (404, never 403: ids leak nothing). */
#include <portal/datetime.h>
#include <portal/list.h>
#include <portal/mail.h>
#include <portal/picker.h>

#include "example.h"

#define NAME_MAX_CHARS 100
#define NOTE_MAX_CHARS 2000
#define HOME_MAX 5

static const char *const priorities[] = {"low", "normal", "high", NULL};

const struct portal_input example_list_inputs[] = {
    {"q", PORTAL_IN_STRING, PORTAL_IN_QUERY, 0, NAME_MAX_CHARS},
    {"done", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

const struct portal_input example_create_inputs[] = {
    {"name", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, NAME_MAX_CHARS,
     .message = "example.name_invalid"},
    {"note", PORTAL_IN_STRING, PORTAL_IN_MULTILINE, 0, NOTE_MAX_CHARS},
    {"priority", PORTAL_IN_ENUM, 0, 0, 0, priorities},
    {"due_on", PORTAL_IN_DATE},
    /* ids of the organisation's properties, or "all"; checked in one query */
    {"property_ids", PORTAL_IN_PROPERTIES, PORTAL_IN_REQUIRED,
     .message = "example.properties_invalid"},
    {"notify", PORTAL_IN_BOOL},
    {0},
};

/* PATCH changes only what is sent; due_on sent as null clears it. */
const struct portal_input example_update_inputs[] = {
    {"name", PORTAL_IN_STRING, 0, 1, NAME_MAX_CHARS, .message = "example.name_invalid"},
    {"note", PORTAL_IN_STRING, PORTAL_IN_MULTILINE | PORTAL_IN_NULLABLE, 0, NOTE_MAX_CHARS},
    {"priority", PORTAL_IN_ENUM, 0, 0, 0, priorities},
    {"due_on", PORTAL_IN_DATE, PORTAL_IN_NULLABLE},
    {"done", PORTAL_IN_BOOL},
    {0},
};

#define ITEM_COLUMNS                                                                            \
	"SELECT i.id, i.name, i.note, i.priority, DATE_FORMAT(i.due_on, '%Y-%m-%d') AS due_on," \
	" i.all_properties, i.done_at, i.created_at FROM example_items i"

/* What pages show beside the data: local days in the caller's language. */
static int item_finish(struct portal_req *req, struct portal_value *item)
{
	struct portal_arena *a = req->arena;
	const char *due = pv_get_str(item, "due_on");
	bool all = pv_get_int(item, "all_properties", 0) != 0;
	return pv_set_bool(a, item, "all_properties", all) ||
	       pv_set_bool(a, item, "done", pv_str(pv_get(item, "done_at")) != NULL) ||
	       pv_set_str(
	           a, item, "created_date",
	           portal_time_text_of(req, pv_get_str(item, "created_at"), PORTAL_TIME_DATE)) ||
	       pv_set_str(a, item, "due_date",
	                  due ? portal_time_text_of(req, due, PORTAL_TIME_DATE) : NULL);
}

/* The form's choice of properties: core's picker (portal/picker.h), which
 * holds a few of them however many the organisation has, finds the others
 * by a search, and after a refused form or its search shows what was sent. */
static int properties_picker(struct portal_req *req, struct portal_value *view)
{
	struct portal_picker picker = {
	    .id = "example-properties",
	    .field = "property_ids",
	    .legend = "example.properties",
	    .action = "/app/example",
	    .required = true,
	};
	return portal_picker(req, view, &picker);
}

/* GET /api/v1/example/items and the page /app/example: newest first, in
 * keyset pages; q searches names, done filters. */
int example_items_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_page page;
	int status = portal_list_page(req, &page);
	if (status)
		return status;
	const char *q = portal_in_str(req, "q");
	bool filter_done = portal_in_has(req, "done");
	struct portal_value *rows;
	status = portal_db_query(
	    req,
	    ITEM_COLUMNS " WHERE i.org_id = ? AND (? = 0 OR i.id < ?)"
	                 " AND (? IS NULL OR i.name LIKE CONCAT('%', ?, '%'))"
	                 " AND (? = 0 OR (i.done_at IS NOT NULL) = ?) ORDER BY i.id DESC LIMIT ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(page.after), PDB_I(page.after),
	                   PDB_S(q), PDB_S(q), PDB_I(filter_done),
	                   PDB_I(portal_in_bool(req, "done", false)), PDB_I(page.limit + 1)),
	    &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		if (item_finish(req, m->value))
			return 500;
	}
	if ((status = portal_list_view(req, view, rows, page.limit, NULL)))
		return status;
	/* The page also shows the form for a new item; it is also the form
	 * handler that shows the form again (refused, or its picker's search). */
	return req->is_api || !(status = properties_picker(req, view)) ? 200 : status;
}

/* One item of the caller's organisation, or 404. */
static int item_load(struct portal_req *req, long long id, struct portal_value **item)
{
	int status = portal_db_one(req, ITEM_COLUMNS " WHERE i.id = ? AND i.org_id = ?",
	                           PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), item);
	return status ? status : item_finish(req, *item);
}

/* A mail to every active resident of the item's properties who did not turn
 * mails of kind "example" off: rendered once per language, queued in the
 * open transaction. */
static int residents_mail(struct portal_req *req, long long id, const struct portal_value *item)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT DISTINCT u.email, u.name, COALESCE(u.locale, o.locale) AS locale"
	    " FROM example_items i JOIN memberships m ON m.org_id = i.org_id AND m.state = 'active'"
	    " JOIN users u ON u.id = m.user_id AND u.org_id = i.org_id JOIN orgs o ON o.id = "
	    "i.org_id"
	    " WHERE i.id = ? AND i.org_id = ? AND (i.all_properties = 1 OR m.property_id IN"
	    " (SELECT property_id FROM example_item_properties WHERE item_id = i.id))"
	    " AND " PORTAL_MAIL_WANTED("u.id", "example"),
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	if (status || !pv_count(rows))
		return status;
	size_t n = 0;
	struct portal_recipient *to = portal_mail_recipients(req, rows, &n);
	if (!to)
		return 500;
	struct portal_mail mail = {
	    .kind = "example",
	    .template_name = "item",
	    .subject = "example.mail_subject",
	    .org_id = req->caller.org_id,
	    .view = item,
	};
	return portal_mail_many(req, &mail, to, n, NULL);
}

/* POST /api/v1/example/items and the page's form: the item, its properties,
 * the event and the mails in one transaction. */
int example_item_create(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_ids targets = portal_in_ids(req, "property_ids");
	const char *priority = portal_in_str(req, "priority");
	unsigned long long id = 0;
	int status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO example_items (org_id, name, note, priority, due_on, "
		    "all_properties,"
		    " created_at) VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(
		        PDB_I(req->caller.org_id), PDB_S(portal_in_str(req, "name")),
		        PDB_S(portal_in_str(req, "note") ? portal_in_str(req, "note") : ""),
		        PDB_S(priority ? priority : "normal"), PDB_S(portal_in_str(req, "due_on")),
		        PDB_I(targets.all)),
		    NULL, &id);
	for (size_t i = 0; !status && i < targets.count; i++)
		status = portal_db_exec(req,
		                        "INSERT INTO example_item_properties (item_id, property_id)"
		                        " VALUES (?, ?)",
		                        PORTAL_DB_ARGS(PDB_I((long long)id), PDB_I(targets.ids[i])),
		                        NULL, NULL);
	struct portal_value *item = NULL, *event = pv_object(a);
	if (!status)
		status = item_load(req, (long long)id, &item);
	/* A listener gets the event inside this transaction. */
	if (!status)
		status = !event || pv_set_int(a, event, "id", (long long)id) ||
		                 pv_set_int(a, event, "org_id", req->caller.org_id)
		             ? 500
		             : portal_emit(req, "example.item_created", event);
	if (!status && portal_in_bool(req, "notify", false))
		status = residents_mail(req, (long long)id, item);
	/* Residents see it on their home: no worker may serve a home of before. */
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status; /* the core rolls back an open transaction */
	if (!req->is_api)
		return portal_redirect(req, "/app/example");
	return pv_set(a, view, "item", item) ? 500 : 201;
}

/* GET /api/v1/example/items/{id} and its page. The router already refused
 * an id that is not a positive integer (404). */
int example_item_show(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *item;
	int status = item_load(req, portal_param_id(req, "id"), &item);
	return status ? status : pv_set(req->arena, view, "item", item) ? 500 : 200;
}

/* PATCH /api/v1/example/items/{id} and the page's form: only what was sent
 * changes (COALESCE keeps a column whose argument is NULL). */
int example_item_update(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	bool has_done = portal_in_has(req, "done");
	bool clear_due = portal_in_null(req, "due_on");
	int status = portal_db_exec(
	    req,
	    "UPDATE example_items SET name = COALESCE(?, name), note = COALESCE(?, note),"
	    " priority = COALESCE(?, priority), due_on = IF(?, NULL, COALESCE(?, due_on)),"
	    " done_at = IF(?, IF(?, COALESCE(done_at, UTC_TIMESTAMP()), NULL), done_at)"
	    " WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_S(portal_in_str(req, "name")), PDB_S(portal_in_patch(req, "note")),
	                   PDB_S(portal_in_str(req, "priority")), PDB_I(clear_due),
	                   PDB_S(portal_in_str(req, "due_on")), PDB_I(has_done),
	                   PDB_I(portal_in_bool(req, "done", false)), PDB_I(id),
	                   PDB_I(req->caller.org_id)),
	    NULL, NULL);
	struct portal_value *item;
	if (!status)
		status = item_load(req, id, &item); /* 404 for another organisation's */
	if (!status)
		status = portal_content_changed(req);
	if (status)
		return status;
	if (!req->is_api)
		return portal_redirect(req,
		                       portal_sprintf(req->arena, "/app/example/items/%lld", id));
	return pv_set(req->arena, view, "item", item) ? 500 : 200;
}

/* DELETE /api/v1/example/items/{id} and the page's delete button. */
int example_item_delete(struct portal_req *req, struct portal_value *view)
{
	int status = portal_db_exec_one(
	    req, "DELETE FROM example_items WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)));
	if (!status)
		status = portal_content_changed(req);
	if (status)
		return status;
	return req->is_api ? 204 : portal_redirect(req, "/app/example");
}

/* The residents' home: the open items for the shown properties, soonest due
 * first; nothing at all when there are none (204 leaves the section out). */
int example_home(struct portal_req *req, const long long *property_ids, size_t count,
                 struct portal_value *view)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    ITEM_COLUMNS " WHERE i.org_id = ? AND i.done_at IS NULL AND (i.all_properties = 1 OR"
	                 " EXISTS (SELECT 1 FROM example_item_properties t WHERE t.item_id = i.id"
	                 " AND t.property_id IN " PORTAL_DB_ID_LIST "))"
	                 " ORDER BY i.due_on IS NULL, i.due_on, i.id DESC LIMIT ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), portal_db_ids(req, property_ids, count),
	                   PDB_I(HOME_MAX)),
	    &rows);
	if (status)
		return status;
	if (!pv_count(rows))
		return 204;
	pv_foreach(m, rows) {
		if (item_finish(req, m->value))
			return 500;
	}
	return pv_set(req->arena, view, "items", rows);
}
