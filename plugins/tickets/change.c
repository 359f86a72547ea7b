/* What managers change on tickets: PATCH /tickets/{id}, the same for many at
 * once (POST /tickets/bulk: all or none), and comments and internal notes
 * (POST /tickets/{id}/comments, also the reporter's). */
#include <portal/input.h>
#include <portal/session.h>

#include "tickets.h"

const struct portal_input tickets_comment_inputs[] = {
    {"body", PORTAL_IN_STRING, PORTAL_IN_REQUIRED | PORTAL_IN_MULTILINE, 1, TICKETS_TEXT_MAX,
     .message = "tickets.body_invalid"},
    {"internal", PORTAL_IN_BOOL},
    {0},
};

const struct portal_input tickets_update_inputs[] = {
    {"status", PORTAL_IN_ENUM, 0, .choices = tickets_statuses, .message = "tickets.status_invalid"},
    {"assignee_id", PORTAL_IN_ID, PORTAL_IN_NULLABLE, .message = "tickets.assignee_invalid"},
    {"title", PORTAL_IN_STRING, 0, 1, TICKETS_TITLE_MAX, .message = "tickets.title_invalid"},
    {"category", PORTAL_IN_CATEGORY, 0, .message = "tickets.category_invalid"},
    {"shared", PORTAL_IN_BOOL},
    {"due_on", PORTAL_IN_DATE, PORTAL_IN_NULLABLE, .message = "tickets.due_on_invalid"},
    {0},
};

const struct portal_input tickets_bulk_inputs[] = {
    {"ids", PORTAL_IN_IDS, PORTAL_IN_REQUIRED, 1, TICKETS_BULK_MAX,
     .message = "tickets.ids_invalid"},
    {"status", PORTAL_IN_ENUM, 0, .choices = tickets_statuses, .message = "tickets.status_invalid"},
    {"assignee_id", PORTAL_IN_ID, PORTAL_IN_NULLABLE, .message = "tickets.assignee_invalid"},
    {0},
};

/* The list page's bulk form: its selects' empty choice is "unchanged", so an
 * empty assignee is absent there, not "nobody". */
const struct portal_input tickets_bulk_page_inputs[] = {
    {"ids", PORTAL_IN_IDS, PORTAL_IN_REQUIRED, 1, TICKETS_BULK_MAX,
     .message = "tickets.ids_invalid"},
    {"status", PORTAL_IN_ENUM, 0, .choices = tickets_statuses, .message = "tickets.status_invalid"},
    {"assignee_id", PORTAL_IN_ID, 0, .message = "tickets.assignee_invalid"},
    {0},
};

/* The status and the assignee sent, as PATCH and bulk change them. */
static int apply_common(struct portal_req *req, struct portal_value *ticket)
{
	int status = 0;
	if (portal_in_has(req, "assignee_id"))
		status = tickets_set_assignee(req, ticket, portal_in_int(req, "assignee_id", 0));
	if (!status && portal_in_str(req, "status"))
		status = tickets_set_status(req, ticket, portal_in_str(req, "status"), false, NULL);
	return status;
}

/* title, category, shared and due_on: kept unless sent (due_on sent as null
 * clears it). A shared ticket's change reaches the residents' home. */
static int apply_fields(struct portal_req *req, struct portal_value *ticket)
{
	bool shared_sent = portal_in_has(req, "shared");
	bool due_sent = portal_in_has(req, "due_on");
	long long id = pv_get_int(ticket, "id", 0);
	int status = portal_db_exec(
	    req,
	    "UPDATE tickets SET title = COALESCE(?, title), category = COALESCE(?, category),"
	    " shared = IF(? = 1, ?, shared), due_on = IF(? = 1, ?, due_on),"
	    " updated_at = UTC_TIMESTAMP() WHERE id = ?",
	    PORTAL_DB_ARGS(PDB_S(portal_in_str(req, "title")),
	                   PDB_S(portal_in_str(req, "category")), PDB_I(shared_sent),
	                   PDB_I(portal_in_bool(req, "shared", false)), PDB_I(due_sent),
	                   PDB_S(portal_in_str(req, "due_on")), PDB_I(id)),
	    NULL, NULL);
	if (!status && (shared_sent || pv_get_int(ticket, "shared", 0)))
		status = portal_content_changed(req);
	if (!status && shared_sent)
		status =
		    pv_set_int(req->arena, ticket, "shared", portal_in_bool(req, "shared", false));
	if (!status && portal_in_str(req, "title"))
		status = tickets_search_refresh(req, id, false);
	if (!status && portal_in_str(req, "title")) /* the mails name it so */
		status = pv_set_str(req->arena, ticket, "title", portal_in_str(req, "title"));
	return status;
}

int tickets_update(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	int status = portal_db_begin(req);
	if (!status && !(status = tickets_find(req, id, true, &ticket, &viewer)) &&
	    !(status = apply_fields(req, ticket)) && !(status = apply_common(req, ticket)))
		status = portal_db_commit(req);
	if (status) {
		portal_db_rollback(req);
		return status;
	}
	if (!req->is_api)
		return tickets_page_back(req, id);
	return (status = tickets_detail_of(req, id, TICKETS_MANAGER, view)) ? status : 200;
}

int tickets_bulk(struct portal_req *req, struct portal_value *view)
{
	struct portal_ids ids = portal_in_ids(req, "ids");
	struct portal_value *locked = NULL;
	int status = portal_db_begin(req);
	/* Every ticket locked first: one that is not the organisation's (or does
	 * not exist) refuses the whole batch before anything changed. */
	if (!status)
		status = portal_db_query(req,
		                         "SELECT id FROM tickets WHERE id IN " PORTAL_DB_ID_LIST
		                         " AND org_id = ? FOR UPDATE",
		                         PORTAL_DB_ARGS(portal_db_ids(req, ids.ids, ids.count),
		                                        PDB_I(req->caller.org_id)),
		                         &locked);
	if (!status && pv_count(locked) != ids.count)
		status = portal_fail(req, 422, "validation", "ids", "tickets.ids_invalid");
	for (size_t i = 0; !status && i < ids.count; i++) {
		struct portal_value *ticket;
		enum tickets_viewer viewer;
		if (!(status = tickets_find(req, ids.ids[i], false, &ticket, &viewer)))
			status = apply_common(req, ticket);
	}
	if (!status)
		status = portal_db_commit(req);
	if (status) {
		portal_db_rollback(req);
		return status;
	}
	if (!req->is_api)
		return portal_redirect(req, "/app/tickets");
	return pv_set_int(req->arena, view, "updated", (long long)ids.count) ? 500 : 200;
}

/* A comment's transaction; run again when another host wrote the same
 * ticket at the same instant. */
struct comment {
	long long id, event_id;
	bool note;
	const char *body;
	const struct tickets_photos *photos;
};

/* A resident's comments of the last hour against tickets.max_comments_per_hour:
 * each one mails the assignee or every manager, so a reporter could otherwise
 * fill their mailboxes. Managers have no limit. */
static int comment_rate_check(struct portal_req *req)
{
	return portal_rate_check(
	    req,
	    "SELECT COUNT(*) AS n FROM ticket_events WHERE user_id = ? AND org_id = ?"
	    " AND type = 'comment' AND at > UTC_TIMESTAMP() - INTERVAL 1 HOUR",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)),
	    "max_comments_per_hour", "3600", "tickets.comments_rate_limited");
}

static int write_comment(struct portal_req *req, void *ctx)
{
	struct comment *c = ctx;
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	int status = tickets_find(req, c->id, true, &ticket, &viewer);
	if (!status && viewer == TICKETS_NEIGHBOUR)
		status = portal_fail(req, 403, "forbidden", NULL, "tickets.not_reporter");
	else if (!status && c->note && viewer != TICKETS_MANAGER)
		status =
		    portal_fail(req, 422, "validation", "internal", "tickets.internal_invalid");
	if (!status)
		status = comment_rate_check(req);
	if (!status)
		status = tickets_event(req, ticket, c->note ? "note" : "comment", c->body, NULL,
		                       NULL, &c->event_id);
	if (!status)
		status = tickets_photos_save(req, c->id, c->event_id, c->photos);
	if (!status && !c->note) /* a note mails nobody */
		status = tickets_mail_comment(req, ticket, c->body);
	return status;
}

int tickets_comment(struct portal_req *req, struct portal_value *view)
{
	struct tickets_photos photos;
	struct comment c = {.id = portal_param_id(req, "id"),
	                    .note = portal_in_bool(req, "internal", false),
	                    .body = portal_in_str(req, "body"),
	                    .photos = &photos};
	int status = tickets_photos_take(req, &photos);
	if (status)
		return status;
	if ((status = portal_db_transaction(req, write_comment, &c))) {
		tickets_photos_discard(req, &photos);
		return status;
	}
	if (!req->is_api)
		return tickets_page_back(req, c.id);
	return (status = tickets_event_view(req, c.id, c.event_id, view)) ? status : 201;
}
