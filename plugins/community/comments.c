/* Comments under a post: written by whoever reads the post, deleted by
 * their author or a manager (a post's author may not delete the comments
 * of others). Mail about them goes out with the hourly job (mail.c). */
#include <portal/input.h>

#include "community.h"

const struct portal_input community_comment_inputs[] = {
    {"body", PORTAL_IN_STRING, PORTAL_IN_REQUIRED | PORTAL_IN_MULTILINE, 1, 2000,
     .message = "community.comment_invalid"},
    {0},
};

int community_comment(struct portal_req *req, struct portal_value *view)
{
	long long post_id = portal_param_id(req, "post_id");
	struct portal_value *row, *comments;
	unsigned long long id = 0;
	int status = community_post_row(req, post_id, &row);
	if (!status)
		status = portal_db_begin(req);
	if (!status)
		status = community_rate_comments(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO board_comments (post_id, org_id, author_id, body, created_at)"
		    " VALUES (?, ?, ?, ?, UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(PDB_I(post_id), PDB_I(req->caller.org_id),
		                   PDB_I(req->caller.user_id), PDB_S(portal_in_str(req, "body"))),
		    NULL, &id);
	if (!status)
		status = portal_content_changed(req); /* the home counts comments */
	if (!status)
		status = portal_db_commit(req);
	if (!status)
		status = community_comments_of(req, post_id, &comments);
	if (status)
		return status;
	pv_foreach(m, comments) {
		if (pv_get_int(m->value, "id", 0) == (long long)id) {
			*view = *m->value;
			return 201;
		}
	}
	return 500;
}

int community_comment_delete(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct portal_value *comment, *post;
	(void)view;
	int status = portal_db_one(
	    req, "SELECT post_id, author_id FROM board_comments WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &comment);
	if (!status)
		status = community_post_row(req, pv_get_int(comment, "post_id", 0), &post);
	if (status)
		return status;
	if (!portal_is_manager(req) && !community_mine(req, comment))
		return community_forbidden(req);
	status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec_one(
		    req, "DELETE FROM board_comments WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)));
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	return status ? status : 204;
}
