/* One post: read with its comments, changed by its author, deleted by its
 * author or a manager, followed by residents who read it. */
#include <portal/input.h>

#include "community.h"

#define COMMENTS_MAX 500

const struct portal_input community_update_inputs[] = {
    {"title", PORTAL_IN_STRING, 0, 1, 200, .message = "community.title_invalid"},
    {"body", PORTAL_IN_STRING, PORTAL_IN_MULTILINE, 1, 5000, .message = "community.body_invalid"},
    {"done", PORTAL_IN_BOOL, 0, .message = "community.done_invalid"},
    {"expires_on", PORTAL_IN_DATE, PORTAL_IN_NULLABLE, .message = "community.expires_invalid"},
    {0},
};

/* The comments, oldest first. A comment by the author of an anonymous post
 * is as anonymous as the post. */
int community_comments_of(struct portal_req *req, long long post_id, struct portal_value **comments)
{
	int status = portal_db_query(
	    req,
	    "SELECT c.id, c.body, c.created_at, c.author_id, u.name AS author_name,"
	    " (b.anonymous = 1 AND c.author_id <=> b.author_id) AS anonymous"
	    " FROM board_comments c JOIN board_posts b ON b.id = c.post_id"
	    " LEFT JOIN users u ON u.id = c.author_id"
	    " WHERE c.post_id = ? AND c.org_id = ? ORDER BY c.id LIMIT ?",
	    PORTAL_DB_ARGS(PDB_I(post_id), PDB_I(req->caller.org_id), PDB_I(COMMENTS_MAX)),
	    comments);
	pv_foreach(m, status ? NULL : *comments) {
		if (community_author_set(req, m->value, pv_get_int(m->value, "anonymous", 0) != 0))
			return 500;
	}
	return status;
}

int community_get(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "post_id");
	struct portal_value *item, *comments;
	int status = community_post_item(req, id, &item);
	if (!status)
		status = community_comments_of(req, id, &comments);
	if (status)
		return status;
	if (pv_set(req->arena, item, "comments", comments))
		return 500;
	*view = *item;
	return 200;
}

int community_update(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "post_id");
	struct portal_value *row;
	bool done_sent = portal_in_has(req, "done");
	int status = community_post_row(req, id, &row);
	if (status)
		return status;
	if (!community_mine(req, row))
		return community_forbidden(req);
	if ((status = community_expiry_check(req)))
		return status;
	status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE board_posts SET title = COALESCE(?, title), body = COALESCE(?, body),"
		    " done = IF(? = 1, ?, done), expires_on = IF(? = 1, ?, expires_on),"
		    " updated_at = UTC_TIMESTAMP() WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_S(portal_in_str(req, "title")),
		                   PDB_S(portal_in_str(req, "body")), PDB_I(done_sent),
		                   PDB_I(portal_in_bool(req, "done", false)),
		                   PDB_I(portal_in_has(req, "expires_on")),
		                   PDB_S(portal_in_str(req, "expires_on")), PDB_I(id),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (!status)
		status = community_post_item(req, id, &row);
	if (status)
		return status;
	*view = *row;
	return 200;
}

int community_delete(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "post_id");
	struct portal_value *row;
	(void)view;
	int status = community_post_row(req, id, &row);
	if (status)
		return status;
	if (!portal_is_manager(req) && !community_mine(req, row))
		return community_forbidden(req);
	status = portal_db_begin(req);
	if (!status)
		status =
		    portal_db_exec_one(req, "DELETE FROM board_posts WHERE id = ? AND org_id = ?",
		                       PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)));
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	return status ? status : 204;
}

/* Following starts after the comments there are now. */
int community_follow(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "post_id");
	struct portal_value *row;
	(void)view;
	int status = community_post_row(req, id, &row);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT IGNORE INTO board_follows (post_id, user_id, org_id, "
		    "covered_comment_id,"
		    " created_at) SELECT ?, ?, ?, COALESCE(MAX(id), 0), UTC_TIMESTAMP()"
		    " FROM board_comments WHERE post_id = ?",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.user_id), PDB_I(req->caller.org_id),
		                   PDB_I(id)),
		    NULL, NULL);
	return status ? status : 204;
}

int community_unfollow(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "post_id");
	struct portal_value *row;
	(void)view;
	int status = community_post_row(req, id, &row);
	if (!status)
		status = portal_db_exec(
		    req,
		    "DELETE FROM board_follows WHERE post_id = ? AND user_id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.user_id),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	return status ? status : 204;
}
