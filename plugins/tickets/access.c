/* Who may see a ticket, in one query: the organisation's managers all of it;
 * its reporter theirs; a resident with an active membership of its property
 * a shared ticket, or one they follow, as a neighbour. */
#include "tickets.h"

#define TICKET_SELECT                                                                           \
	"SELECT t.id, t.org_id, t.number, t.property_id, t.reporter_id, t.title, t.status,"     \
	" t.assignee_id, t.shared, t.merged_into, p.name AS property_name,"                     \
	" (t.reporter_id <=> ?) AS mine, EXISTS (SELECT 1 FROM memberships m"                   \
	" WHERE m.property_id = t.property_id AND m.user_id = ? AND m.org_id = t.org_id"        \
	" AND m.state = 'active' AND (t.shared = 1 OR EXISTS (SELECT 1 FROM ticket_followers f" \
	" WHERE f.ticket_id = t.id AND f.user_id = m.user_id))) AS neighbour"                   \
	" FROM tickets t JOIN properties p ON p.id = t.property_id AND p.org_id = t.org_id"     \
	" WHERE t.id = ? AND t.org_id = ?"

int tickets_find(struct portal_req *req, long long id, bool lock, struct portal_value **ticket,
                 enum tickets_viewer *viewer)
{
	long long uid = req->caller.user_id;
	int status = 0;
	/* Only the ticket's row is locked: a lock on its property would hold up
	 * every report of that property. */
	if (lock)
		status = portal_db_exec(
		    req, "SELECT id FROM tickets WHERE id = ? AND org_id = ? FOR UPDATE",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), NULL, NULL);
	if (!status)
		status = portal_db_one(
		    req, TICKET_SELECT,
		    PORTAL_DB_ARGS(PDB_I(uid), PDB_I(uid), PDB_I(id), PDB_I(req->caller.org_id)),
		    ticket);
	if (status)
		return status;
	/* A job (no caller) works for the organisation it set in req->caller. */
	if (portal_is_manager(req) || req->caller.role == PORTAL_ROLE_NONE)
		*viewer = TICKETS_MANAGER;
	else if (pv_get_int(*ticket, "mine", 0))
		*viewer = TICKETS_REPORTER;
	else if (pv_get_int(*ticket, "neighbour", 0))
		*viewer = TICKETS_NEIGHBOUR;
	else
		return portal_not_found(req);
	return 0;
}
