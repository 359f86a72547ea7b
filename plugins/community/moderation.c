/* Moderation: managers hide posts (with the reason the author is mailed),
 * approve held first posts, decide on reports and set a board's switches.
 * Readers report posts; reports of enough different residents
 * (community.report_threshold) hide a post until a manager decides. */
#include <portal/input.h>
#include <portal/list.h>

#include "community.h"

const struct portal_input community_hide_inputs[] = {
    {"reason", PORTAL_IN_STRING, PORTAL_IN_REQUIRED | PORTAL_IN_MULTILINE, 1, 1000,
     .message = "community.reason_invalid"},
    {0},
};

const struct portal_input community_report_inputs[] = {
    {"reason", PORTAL_IN_ENUM, PORTAL_IN_REQUIRED, .choices = community_reasons,
     .message = "community.report_reason_invalid"},
    {"note", PORTAL_IN_STRING, PORTAL_IN_MULTILINE, 0, 1000, .message = "community.note_invalid"},
    {0},
};

const struct portal_input community_settings_inputs[] = {
    {"enabled", PORTAL_IN_BOOL, 0, .message = "community.switch_invalid"},
    {"approve_first_posts", PORTAL_IN_BOOL, 0, .message = "community.switch_invalid"},
    {0},
};

/* The post after a change of the manager's, as the answer. */
static int answer_post(struct portal_req *req, struct portal_value *view, long long id)
{
	struct portal_value *item;
	int status = community_post_item(req, id, &item);
	if (status)
		return status;
	*view = *item;
	return 200;
}

/* Hiding is a decision: the post's open reports are closed with it. */
int community_hide(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "post_id");
	const char *reason = portal_in_str(req, "reason");
	struct portal_value *row;
	int status = community_post_row(req, id, &row);
	if (!status)
		status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE board_posts SET hidden = 1, hidden_by_reports = 0, hidden_reason = ?,"
		    " updated_at = UTC_TIMESTAMP() WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_S(reason), PDB_I(id), PDB_I(req->caller.org_id)), NULL,
		    NULL);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE board_reports SET open = NULL, closed_at = UTC_TIMESTAMP()"
		    " WHERE post_id = ? AND org_id = ? AND open = 1",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), NULL, NULL);
	if (!status)
		status = community_mail_hidden(req, id, reason);
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	return status ? status : answer_post(req, view, id);
}

int community_approve(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "post_id");
	int status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec_one(
		    req,
		    "UPDATE board_posts SET state = 'published', updated_at = UTC_TIMESTAMP()"
		    " WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)));
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	return status ? status : answer_post(req, view, id);
}

/* Hides the post once open reports of threshold different residents stand. */
static int threshold_check(struct portal_req *req, long long id)
{
	struct portal_value *row;
	int status = portal_db_one(req,
	                           "SELECT COUNT(DISTINCT r.reporter_id) AS n FROM board_reports r"
	                           " JOIN users u ON u.id = r.reporter_id AND u.role = 'resident'"
	                           " WHERE r.post_id = ? AND r.org_id = ? AND r.open = 1",
	                           PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &row);
	if (status || pv_get_int(row, "n", 0) < portal_setting_int(req, "report_threshold"))
		return status;
	status = portal_db_exec(
	    req,
	    "UPDATE board_posts SET hidden = 1, hidden_by_reports = 1 WHERE id = ? AND org_id = ?"
	    " AND hidden = 0",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), NULL, NULL);
	return status ? status : portal_content_changed(req);
}

/* A reader's second open report of a post replaces the first: it counts
 * once, and the managers are mailed once. */
int community_report(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "post_id");
	const char *reason = portal_in_str(req, "reason"), *note = portal_in_str(req, "note");
	struct portal_value *row;
	unsigned long long affected = 0;
	(void)view;
	int status = community_post_row(req, id, &row);
	if (status)
		return status;
	if (community_mine(req, row))
		return portal_fail(req, 422, "validation", "post_id", "community.report_own");
	/* The post's row first, exclusively: reports of one post then take
	 * turns, so that each counts those before it (the threshold is not
	 * missed by reports that each saw too few), and none holds the row
	 * shared (the report's foreign key) while waiting to hide the post. */
	status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(
		    req, "SELECT id FROM board_posts WHERE id = ? AND org_id = ? FOR UPDATE",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), NULL, NULL);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO board_reports (post_id, org_id, reporter_id, reason, note, "
		    "created_at)"
		    " VALUES (?, ?, ?, ?, ?, UTC_TIMESTAMP())"
		    " ON DUPLICATE KEY UPDATE reason = VALUES(reason), note = VALUES(note)",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id), PDB_I(req->caller.user_id),
		                   PDB_S(reason), PDB_S(note)),
		    &affected, NULL);
	/* 1: a new report; 2 or 0: the reader's open one again */
	if (!status && affected == 1)
		status = community_mail_report(req, id, reason, note);
	if (!status)
		status = threshold_check(req, id);
	if (!status)
		status = portal_db_commit(req);
	return status ? status : 202;
}

/* GET /board/reports: one entry per post with open reports, the newest
 * report first; id is that newest report's (what dismiss takes). */
int community_reports(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_page page;
	struct portal_value *rows, *reasons;
	int status = portal_list_page(req, &page);
	if (!status)
		status = portal_db_query(
		    req,
		    "SELECT MAX(r.id) AS id, b.id AS post_id, b.title, b.hidden, p.id AS "
		    "property_id,"
		    " p.name AS property_name, COUNT(DISTINCT IF(u.role = 'resident', "
		    "r.reporter_id,"
		    " NULL)) AS count FROM board_reports r"
		    " JOIN board_posts b ON b.id = r.post_id AND b.org_id = r.org_id"
		    " JOIN properties p ON p.id = b.property_id AND p.org_id = b.org_id"
		    " JOIN users u ON u.id = r.reporter_id"
		    " WHERE r.org_id = ? AND r.open = 1 GROUP BY b.id, b.title, b.hidden, p.id, "
		    "p.name"
		    " HAVING ? = 0 OR MAX(r.id) < ? ORDER BY id DESC LIMIT ?",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(page.after), PDB_I(page.after),
		                   PDB_I(page.limit + 1)),
		    &rows);
	if (!status)
		status = portal_db_query(
		    req,
		    "SELECT r.post_id, r.reason, r.note FROM board_reports r"
		    " WHERE r.org_id = ? AND r.open = 1 ORDER BY r.id DESC LIMIT 2000",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &reasons);
	if (status)
		return status;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value, *post = pv_object(a), *prop = pv_object(a),
		                    *list = pv_list(a);
		long long post_id = pv_get_int(row, "post_id", 0);
		if (!post || !prop || !list ||
		    pv_set_int(a, prop, "id", pv_get_int(row, "property_id", 0)) ||
		    pv_set(a, prop, "name", pv_get(row, "property_name")) ||
		    pv_set_int(a, post, "id", post_id) ||
		    pv_set(a, post, "title", pv_get(row, "title")) ||
		    pv_set(a, post, "property", prop) || pv_set(a, row, "post", post) ||
		    pv_set_bool(a, row, "hidden", pv_get_int(row, "hidden", 0) != 0))
			return 500;
		pv_foreach(r, reasons) {
			struct portal_value *entry = pv_object(a);
			if (pv_get_int(r->value, "post_id", 0) != post_id)
				continue;
			if (!entry || pv_set(a, entry, "reason", pv_get(r->value, "reason")) ||
			    pv_set(a, entry, "note", pv_get(r->value, "note")) ||
			    pv_push(a, list, entry))
				return 500;
		}
		if (pv_set(a, row, "reasons", list))
			return 500;
		pv_remove(row, "post_id");
		pv_remove(row, "title");
		pv_remove(row, "property_id");
		pv_remove(row, "property_name");
	}
	return portal_list_view(req, view, rows, page.limit, NULL) ? 500 : 200;
}

/* The post's open reports are closed; a post the reports had hidden is
 * shown again (one a manager hid stays hidden). */
int community_dismiss(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *report;
	int status = portal_db_one(
	    req, "SELECT post_id FROM board_reports WHERE id = ? AND org_id = ? AND open = 1",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)), &report);
	if (status)
		return status;
	long long post_id = pv_get_int(report, "post_id", 0);
	status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE board_reports SET open = NULL, closed_at = UTC_TIMESTAMP()"
		    " WHERE post_id = ? AND org_id = ? AND open = 1",
		    PORTAL_DB_ARGS(PDB_I(post_id), PDB_I(req->caller.org_id)), NULL, NULL);
	if (!status)
		status = portal_db_exec(req,
		                        "UPDATE board_posts SET hidden = 0, hidden_by_reports = 0"
		                        " WHERE id = ? AND org_id = ? AND hidden_by_reports = 1",
		                        PORTAL_DB_ARGS(PDB_I(post_id), PDB_I(req->caller.org_id)),
		                        NULL, NULL);
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	return status ? status : answer_post(req, view, post_id);
}

int community_settings(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct community_board board;
	const char *enabled = !portal_in_has(req, "enabled")         ? NULL
	                      : portal_in_bool(req, "enabled", true) ? "1"
	                                                             : "0";
	const char *approve = !portal_in_has(req, "approve_first_posts")          ? NULL
	                      : portal_in_bool(req, "approve_first_posts", false) ? "1"
	                                                                          : "0";
	int status = community_board_of(req, portal_param_id(req, "id"), &board);
	if (!status)
		status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO board_settings (property_id, org_id, enabled, approve_first_posts)"
		    " VALUES (?, ?, COALESCE(?, 1), COALESCE(?, 0)) ON DUPLICATE KEY UPDATE"
		    " enabled = COALESCE(?, enabled), approve_first_posts = COALESCE(?,"
		    " approve_first_posts)",
		    PORTAL_DB_ARGS(PDB_I(board.property_id), PDB_I(req->caller.org_id),
		                   PDB_S(enabled), PDB_S(approve), PDB_S(enabled), PDB_S(approve)),
		    NULL, NULL);
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (!status)
		status = community_board_of(req, board.property_id, &board);
	if (status)
		return status;
	return pv_set_int(a, view, "property_id", board.property_id) ||
	               pv_set_bool(a, view, "enabled", board.enabled) ||
	               pv_set_bool(a, view, "approve_first_posts", board.approve_first_posts)
	           ? 500
	           : 200;
}
