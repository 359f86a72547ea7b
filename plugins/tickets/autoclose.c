/* The job tickets-autoclose: a ticket resolved tickets.auto_close_days ago
 * (7 unless set) whose reporter did not answer "Ist das erledigt?" is closed,
 * by the portal itself (an event without a person), with the status mail.
 * Each ticket in a transaction of its own, claimed with SKIP LOCKED so that a
 * run by hand and a scheduled one never close one twice. */
#include "tickets.h"

#define SLICE 200

/* Closes the ticket if it is still unanswered and no other run has it;
 * *closed tells whether it did. */
static int close_one(struct portal_req *req, long long id, long long org_id, long long days,
                     bool *closed)
{
	struct portal_value *claimed = NULL, *ticket;
	enum tickets_viewer viewer;
	int status = portal_db_begin(req);
	if (!status)
		status = portal_db_query(
		    req,
		    "SELECT id FROM tickets WHERE id = ? AND status = 'resolved'"
		    " AND resolved_at <= UTC_TIMESTAMP() - INTERVAL ? DAY FOR UPDATE SKIP LOCKED",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(days)), &claimed);
	if (status || !pv_first(claimed))
		return status ? status : portal_db_rollback(req);
	/* The job works for the ticket's organisation (see tickets_find). */
	req->caller.org_id = org_id;
	if (!(status = tickets_find(req, id, false, &ticket, &viewer)) &&
	    !(status = tickets_set_status(req, ticket, "closed", false, NULL)) &&
	    !(status = portal_db_commit(req))) {
		*closed = true;
		return 0;
	}
	portal_db_rollback(req);
	return status;
}

int tickets_autoclose(struct portal_req *req)
{
	long long days = portal_setting_int(req, "auto_close_days"), after = 0, closed = 0;
	size_t got;
	int status = 0;
	do {
		struct portal_value *rows;
		if ((status = portal_db_query(
		         req,
		         "SELECT id, org_id FROM tickets WHERE status = 'resolved' AND id > ?"
		         " AND resolved_at <= UTC_TIMESTAMP() - INTERVAL ? DAY ORDER BY id LIMIT ?",
		         PORTAL_DB_ARGS(PDB_I(after), PDB_I(days), PDB_I(SLICE)), &rows)))
			break;
		got = pv_count(rows);
		pv_foreach(m, rows) {
			bool done = false;
			after = pv_get_int(m->value, "id", 0);
			status =
			    close_one(req, after, pv_get_int(m->value, "org_id", 0), days, &done);
			closed += done;
			if (status || portal_job_stopping())
				break;
		}
	} while (!status && got == SLICE && !portal_job_stopping());
	if (closed)
		portal_log("tickets: closed %lld resolved tickets nobody answered", closed);
	return status;
}
