/* The history of a ticket and the changes that write it: every change is an
 * event by the caller (none in a job: the portal itself), in the caller's
 * open transaction, with the mails it causes. */
#include <string.h>

#include "tickets.h"

int tickets_event(struct portal_req *req, const struct portal_value *ticket, const char *type,
                  const char *body, const char *from, const char *to, long long *event_id)
{
	const char *role = NULL;
	if (req->caller.role == PORTAL_ROLE_MANAGER)
		role = "manager";
	else if (req->caller.role == PORTAL_ROLE_RESIDENT)
		role = "resident";
	unsigned long long id = 0;
	long long uid = req->caller.user_id;
	int status = portal_db_exec(
	    req,
	    "INSERT INTO ticket_events (ticket_id, org_id, type, user_id, by_role, body,"
	    " from_value, to_value, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP())",
	    PORTAL_DB_ARGS(PDB_I(pv_get_int(ticket, "id", 0)),
	                   PDB_I(pv_get_int(ticket, "org_id", 0)), PDB_S(type),
	                   uid ? PDB_I(uid) : PDB_NUL, PDB_S(role), PDB_S(body), PDB_S(from),
	                   PDB_S(to)),
	    NULL, &id);
	if (!status)
		status = portal_db_exec(
		    req, "UPDATE tickets SET updated_at = UTC_TIMESTAMP() WHERE id = ?",
		    PORTAL_DB_ARGS(PDB_I(pv_get_int(ticket, "id", 0))), NULL, NULL);
	if (!status && event_id)
		*event_id = (long long)id;
	/* The residents' home shows shared tickets. */
	if (!status && pv_get_int(ticket, "shared", 0))
		status = portal_content_changed(req);
	return status;
}

int tickets_set_status(struct portal_req *req, struct portal_value *ticket, const char *status_to,
                       bool reopened, const char *comment)
{
	const char *from = pv_get_str(ticket, "status");
	if (from && strcmp(from, status_to) == 0)
		return 0;
	from = portal_strdup(req->arena, from ? from : "");
	int status = portal_db_exec(
	    req,
	    "UPDATE tickets SET status = ?, resolved_at = IF(? = 'resolved', UTC_TIMESTAMP(), NULL)"
	    " WHERE id = ?",
	    PORTAL_DB_ARGS(PDB_S(status_to), PDB_S(status_to), PDB_I(pv_get_int(ticket, "id", 0))),
	    NULL, NULL);
	if (!status)
		status = tickets_event(req, ticket, reopened ? "reopened" : "status", NULL, from,
		                       status_to, NULL);
	if (!status && comment)
		status = tickets_event(req, ticket, "comment", comment, NULL, NULL, NULL);
	if (!status)
		status = pv_set_str(req->arena, ticket, "status", status_to);
	if (!status)
		status = tickets_mail_status(req, ticket, from, comment);
	return status;
}

int tickets_set_assignee(struct portal_req *req, struct portal_value *ticket, long long assignee_id)
{
	long long was = pv_get_int(ticket, "assignee_id", 0);
	if (was == assignee_id)
		return 0;
	struct portal_value *rows;
	/* The names of the one before and the new one, both managers of the
	 * organisation; a new one that is none is a 422. */
	int status = portal_db_query(
	    req,
	    "SELECT id, name FROM users WHERE id IN (?, ?) AND org_id = ? AND role = 'manager'",
	    PORTAL_DB_ARGS(PDB_I(was), PDB_I(assignee_id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	const char *from = NULL, *to = NULL;
	pv_foreach(m, rows) {
		long long id = pv_get_int(m->value, "id", 0);
		if (id == was)
			from = pv_get_str(m->value, "name");
		if (id == assignee_id)
			to = pv_get_str(m->value, "name");
	}
	if (assignee_id && !to)
		return portal_fail(req, 422, "validation", "assignee_id",
		                   "tickets.assignee_invalid");
	status = portal_db_exec(req, "UPDATE tickets SET assignee_id = ? WHERE id = ?",
	                        PORTAL_DB_ARGS(assignee_id ? PDB_I(assignee_id) : PDB_NUL,
	                                       PDB_I(pv_get_int(ticket, "id", 0))),
	                        NULL, NULL);
	if (!status)
		status = tickets_event(req, ticket, "assigned", NULL, from, to, NULL);
	if (!status)
		status = pv_set_int(req->arena, ticket, "assignee_id", assignee_id);
	return status;
}
