/* The ways a ticket moves besides a manager's PATCH: "Ich bin auch
 * betroffen" (POST /tickets/{id}/affected), a duplicate merged into another
 * ticket (merge), the reporter's answer to "Ist das erledigt?" (confirm),
 * and reopening (reopen). */
#include <string.h>

#include <portal/input.h>

#include "tickets.h"

const struct portal_input tickets_merge_inputs[] = {
    {"into", PORTAL_IN_ID, PORTAL_IN_REQUIRED, .message = "tickets.into_invalid"},
    {0},
};

const struct portal_input tickets_confirm_inputs[] = {
    {"solved", PORTAL_IN_BOOL, PORTAL_IN_REQUIRED, .message = "tickets.solved_invalid"},
    {"comment", PORTAL_IN_STRING, PORTAL_IN_MULTILINE, 0, TICKETS_TEXT_MAX,
     .message = "tickets.body_invalid"},
    {0},
};

static bool status_is(const struct portal_value *ticket, const char *status)
{
	const char *s = pv_get_str(ticket, "status");
	return s && strcmp(s, status) == 0;
}

/* Ends the request's transaction: committed when status is 0. */
static int finish(struct portal_req *req, int status)
{
	if (!status)
		status = portal_db_commit(req);
	if (status)
		portal_db_rollback(req);
	return status;
}

/* "Ich bin auch betroffen": run again when a neighbour on another host
 * said so at the same instant (both write the ticket's row). */
struct affected {
	long long id;
	struct portal_value *count;
};

static int write_affected(struct portal_req *req, void *ctx)
{
	struct affected *a = ctx;
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	unsigned long long added = 0;
	int status = tickets_find(req, a->id, true, &ticket, &viewer);
	if (!status && viewer == TICKETS_NEIGHBOUR && !pv_get_int(ticket, "shared", 0))
		status = portal_not_found(req); /* followed after a merge, but not shared */
	/* The reporter follows anyway and is not counted. */
	if (!status && viewer == TICKETS_NEIGHBOUR)
		status = portal_db_exec(
		    req,
		    "INSERT IGNORE INTO ticket_followers (ticket_id, user_id, org_id,"
		    " reason, created_at) VALUES (?, ?, ?, 'affected', UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(PDB_I(a->id), PDB_I(req->caller.user_id),
		                   PDB_I(req->caller.org_id)),
		    &added, NULL);
	if (!status && added)
		status = tickets_event(req, ticket, "affected", NULL, NULL, NULL, NULL);
	if (!status)
		status = portal_db_one(req,
		                       "SELECT COUNT(*) AS affected_count FROM ticket_followers"
		                       " WHERE ticket_id = ? AND reason = 'affected'",
		                       PORTAL_DB_ARGS(PDB_I(a->id)), &a->count);
	return status;
}

int tickets_affected(struct portal_req *req, struct portal_value *view)
{
	struct affected a = {.id = portal_param_id(req, "id")};
	int status = portal_db_transaction(req, write_affected, &a);
	if (status)
		return status;
	if (!req->is_api)
		return tickets_page_back(req, a.id);
	*view = *a.count;
	return 200;
}

/* The duplicate's reporter and followers follow the ticket it is merged into
 * (except that ticket's own reporter). */
static int followers_move(struct portal_req *req, const struct portal_value *dup,
                          const struct portal_value *into)
{
	long long dup_id = pv_get_int(dup, "id", 0), into_id = pv_get_int(into, "id", 0);
	long long keep_out = pv_get_int(into, "reporter_id", 0);
	int status = portal_db_exec(
	    req,
	    "INSERT IGNORE INTO ticket_followers (ticket_id, user_id, org_id, reason, created_at)"
	    " SELECT ?, reporter_id, org_id, 'merged', UTC_TIMESTAMP() FROM tickets"
	    " WHERE id = ? AND reporter_id IS NOT NULL AND reporter_id <> ?",
	    PORTAL_DB_ARGS(PDB_I(into_id), PDB_I(dup_id), PDB_I(keep_out)), NULL, NULL);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT IGNORE INTO ticket_followers (ticket_id, user_id, org_id, reason,"
		    " created_at) SELECT ?, user_id, org_id, reason, UTC_TIMESTAMP()"
		    " FROM ticket_followers WHERE ticket_id = ? AND user_id <> ?",
		    PORTAL_DB_ARGS(PDB_I(into_id), PDB_I(dup_id), PDB_I(keep_out)), NULL, NULL);
	return status;
}

int tickets_merge(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id"), into_id = portal_in_int(req, "into", 0);
	struct portal_value *dup = NULL, *into = NULL;
	enum tickets_viewer viewer;
	if (into_id == id)
		return portal_fail(req, 422, "validation", "into", "tickets.into_self");
	int status = portal_db_begin(req);
	if (!status)
		status = tickets_find(req, id, true, &dup, &viewer);
	if (!status && pv_get_int(dup, "merged_into", 0))
		status = portal_fail(req, 409, "conflict", NULL, "tickets.already_merged");
	/* A ticket in the body that is not the organisation's: 422, not 404. */
	if (!status && (status = tickets_find(req, into_id, true, &into, &viewer)) == 404)
		status = portal_fail(req, 422, "validation", "into", "tickets.into_invalid");
	if (!status)
		status = portal_db_exec(req, "UPDATE tickets SET merged_into = ? WHERE id = ?",
		                        PORTAL_DB_ARGS(PDB_I(into_id), PDB_I(id)), NULL, NULL);
	if (!status)
		status = followers_move(req, dup, into);
	const char *dup_no = NULL, *into_no = NULL;
	if (!status) {
		dup_no = portal_sprintf(req->arena, "#%lld", pv_get_int(dup, "number", 0));
		into_no = portal_sprintf(req->arena, "#%lld", pv_get_int(into, "number", 0));
		status = tickets_event(req, dup, "merged", NULL, dup_no, into_no, NULL);
	}
	if (!status)
		status = tickets_event(req, into, "merged", NULL, dup_no, into_no, NULL);
	if (!status)
		status = tickets_set_status(req, dup, "closed", false, NULL);
	if ((status = finish(req, status)))
		return status;
	if (!req->is_api)
		return tickets_page_back(req, id);
	return (status = tickets_detail_of(req, id, TICKETS_MANAGER, view)) ? status : 200;
}

/* The ticket {id} locked for a change its reporter (or, with managers, a
 * manager) may make; 403 for a neighbour who sees it, 404 for who does not. */
static int find_for_change(struct portal_req *req, bool managers, struct portal_value **ticket,
                           enum tickets_viewer *viewer)
{
	int status = tickets_find(req, portal_param_id(req, "id"), true, ticket, viewer);
	if (!status && *viewer != TICKETS_REPORTER && !(managers && *viewer == TICKETS_MANAGER))
		status = portal_fail(req, 403, "forbidden", NULL, "tickets.not_reporter");
	return status;
}

int tickets_confirm(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	bool solved = portal_in_bool(req, "solved", false);
	int status = portal_db_begin(req);
	if (!status && !(status = find_for_change(req, false, &ticket, &viewer)) &&
	    !status_is(ticket, "resolved"))
		status = portal_fail(req, 409, "conflict", NULL, "tickets.not_resolved");
	if (!status)
		status = solved ? tickets_set_status(req, ticket, "closed", false,
		                                     portal_in_str(req, "comment"))
		                : tickets_set_status(req, ticket, "open", true,
		                                     portal_in_str(req, "comment"));
	if ((status = finish(req, status)))
		return status;
	long long id = pv_get_int(ticket, "id", 0);
	if (!req->is_api)
		return tickets_page_back(req, id);
	return (status = tickets_detail_of(req, id, viewer, view)) ? status : 200;
}

int tickets_reopen(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	int status = portal_db_begin(req);
	if (!status && !(status = find_for_change(req, true, &ticket, &viewer)) &&
	    !status_is(ticket, "resolved") && !status_is(ticket, "closed"))
		status = portal_fail(req, 409, "conflict", NULL, "tickets.not_done");
	if (!status)
		status = tickets_set_status(req, ticket, "open", true, NULL);
	if ((status = finish(req, status)))
		return status;
	long long id = pv_get_int(ticket, "id", 0);
	if (!req->is_api)
		return tickets_page_back(req, id);
	return (status = tickets_detail_of(req, id, viewer, view)) ? status : 200;
}
