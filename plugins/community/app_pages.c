/* The manager's pages: a property's board (a tab of /app/properties/{id},
 * like its documents) with every post and its comments, hide, delete and
 * approve, and the board's switches; and the queue of open reports,
 * /app/board/reports. The forms run the API's handlers (post.c,
 * comments.c, moderation.c) and answer with a redirect. */
#include <portal/input.h>
#include <string.h>

#include "community.h"

#define POSTS_PAGE 50

/* After a change the page says what happened ("community.done_<word>"). */
static const char *const done_words[] = {"hidden", "approved",  "deleted",
                                         "saved",  "dismissed", NULL};
static const char *const backs[] = {"board", "reports", NULL};

const struct portal_input community_app_page_inputs[] = {
    {"done", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = done_words},
    {0},
};

const struct portal_input community_app_hide_inputs[] = {
    {"reason", PORTAL_IN_STRING, PORTAL_IN_REQUIRED | PORTAL_IN_MULTILINE, 1, 1000,
     .message = "community.reason_invalid"},
    {"back", PORTAL_IN_ENUM, 0, .choices = backs},
    {0},
};

const struct portal_input community_app_settings_inputs[] = {
    {"enabled", PORTAL_IN_BOOL, 0, .message = "community.switch_invalid"},
    {"approve_first_posts", PORTAL_IN_BOOL, 0, .message = "community.switch_invalid"},
    {0},
};

static int notice_set(struct portal_req *req, struct portal_value *view)
{
	const char *done = pv_str(pv_get(req->query, "done"));
	if (!done)
		return 0;
	return pv_set_str(req->arena, view, "notice",
	                  portal_t(req, portal_sprintf(req->arena, "community.done_%s", done)))
	           ? 500
	           : 0;
}

/* The comments of the listed posts, in one query, each under its post. */
static int comments_attach(struct portal_req *req, struct portal_value *items)
{
	struct portal_arena *a = req->arena;
	size_t count = pv_count(items), n = 0;
	long long *ids = portal_alloc(a, (count + 1) * sizeof *ids);
	struct portal_value *rows;
	if (!ids)
		return 500;
	pv_foreach(m, items) {
		ids[n++] = pv_get_int(m->value, "id", 0);
		if (pv_set(a, m->value, "comments", pv_list(a)))
			return 500;
	}
	if (!n)
		return 0;
	int status = portal_db_query(
	    req,
	    "SELECT c.id, c.post_id, c.body, c.created_at, c.author_id, u.name AS author_name,"
	    " (b.anonymous = 1 AND c.author_id <=> b.author_id) AS anonymous"
	    " FROM board_comments c JOIN board_posts b ON b.id = c.post_id"
	    " LEFT JOIN users u ON u.id = c.author_id"
	    " WHERE c.post_id IN " PORTAL_DB_ID_LIST " AND c.org_id = ? ORDER BY c.id LIMIT 5000",
	    PORTAL_DB_ARGS(portal_db_ids(req, ids, n), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	pv_foreach(c, rows) {
		long long post_id = pv_get_int(c->value, "post_id", 0);
		if (community_author_set(req, c->value, pv_get_int(c->value, "anonymous", 0) != 0))
			return 500;
		pv_foreach(m, items) {
			if (pv_get_int(m->value, "id", 0) == post_id &&
			    pv_push(a, pv_get(m->value, "comments"), c->value))
				return 500;
		}
	}
	return 0;
}

/* The page of property id's board: every post, done and expired ones too. */
static int page_fill(struct portal_req *req, struct portal_value *view, long long id)
{
	struct portal_arena *a = req->arena;
	struct community_board board;
	struct portal_value *list = pv_object(a), *prop = pv_object(a);
	int status = list && prop ? community_board_of(req, id, &board) : 500;
	if (!status && (status = community_list_of(req, list, id, NULL, true)) == 200)
		status = comments_attach(req, pv_get(list, "items"));
	if (!status)
		status = notice_set(req, view);
	if (status)
		return status;
	pv_foreach(m, pv_get(list, "items")) {
		if ((status = community_page_item(req, m->value)))
			return status;
	}
	const char *next = pv_get_str(list, "next");
	if (pv_set_int(a, prop, "id", id) || pv_set_str(a, prop, "name", board.property_name) ||
	    pv_set(a, view, "property", prop) || pv_set(a, view, "items", pv_get(list, "items")) ||
	    pv_set_bool(a, view, "any", pv_first(pv_get(list, "items")) != NULL) ||
	    pv_set_bool(a, view, "enabled", board.enabled) ||
	    pv_set_bool(a, view, "approve_first_posts", board.approve_first_posts) ||
	    (next &&
	     pv_set_str(a, view, "next_url",
	                portal_sprintf(a, "/app/properties/%lld/board?after=%s", id, next))))
		return 500;
	return 200;
}

/* GET /app/properties/{id}/board */
int community_app_page(struct portal_req *req, struct portal_value *view)
{
	return page_fill(req, view, portal_param_id(req, "id"));
}

/* GET /app/board/reports */
int community_reports_page(struct portal_req *req, struct portal_value *view)
{
	int status = community_reports(req, view);
	if (status != 200)
		return status;
	if ((status = notice_set(req, view)))
		return status;
	return pv_set_bool(req->arena, view, "any", pv_first(pv_get(view, "items")) != NULL) ? 500
	                                                                                     : 200;
}

static int to_board(struct portal_req *req, long long property_id, const char *done,
                    long long post_id)
{
	return portal_redirect(
	    req, post_id
	             ? portal_sprintf(req->arena, "/app/properties/%lld/board?done=%s#post-%lld",
	                              property_id, done, post_id)
	             : portal_sprintf(req->arena, "/app/properties/%lld/board?done=%s", property_id,
	                              done));
}

/* The property of post {post_id} of the caller's organisation, or 404. */
static int property_of(struct portal_req *req, long long *property_id)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req, "SELECT property_id FROM board_posts WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "post_id")), PDB_I(req->caller.org_id)),
	    &row);
	*property_id = status ? 0 : pv_get_int(row, "property_id", 0);
	return status;
}

/* A refused form (a reason left empty): 422 with the error on the board's
 * page of the post's property. */
static int again(struct portal_req *req, struct portal_value *view, long long property_id,
                 int status)
{
	if (!property_id || status < 400 || status >= 500 || status == 401 || status == 404)
		return status;
	int fill = page_fill(req, view, property_id);
	return fill == 200 ? status : portal_fail(req, fill, NULL, NULL, NULL);
}

/* A refused hide form (no reason): the board of the post's property. */
int community_app_post_form(struct portal_req *req, struct portal_value *view)
{
	long long property_id = 0;
	int status = property_of(req, &property_id);
	return status ? status : again(req, view, property_id, 422) == 422 ? 200 : 500;
}

/* POST /app/board/{post_id}/hide (back=reports: to the queue) */
int community_app_hide(struct portal_req *req, struct portal_value *view)
{
	long long property_id = 0;
	struct portal_value *out = pv_object(req->arena);
	int status = out ? property_of(req, &property_id) : 500;
	if (!status)
		status = community_hide(req, out);
	if (status != 200)
		return again(req, view, property_id, status);
	const char *back = portal_in_str(req, "back");
	if (back && strcmp(back, "reports") == 0)
		return portal_redirect(req, "/app/board/reports?done=hidden");
	return to_board(req, property_id, "hidden", portal_param_id(req, "post_id"));
}

int community_app_approve(struct portal_req *req, struct portal_value *view)
{
	long long property_id = 0;
	struct portal_value *out = pv_object(req->arena);
	int status = out ? property_of(req, &property_id) : 500;
	if (!status)
		status = community_approve(req, out);
	if (status != 200)
		return again(req, view, property_id, status);
	return to_board(req, property_id, "approved", portal_param_id(req, "post_id"));
}

int community_app_delete(struct portal_req *req, struct portal_value *view)
{
	long long property_id = 0;
	int status = property_of(req, &property_id);
	if (!status)
		status = community_delete(req, view);
	if (status != 204)
		return again(req, view, property_id, status);
	return to_board(req, property_id, "deleted", 0);
}

/* POST /app/board/comments/{id}/delete */
int community_app_comment_delete(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req,
	    "SELECT b.property_id, b.id FROM board_comments c JOIN board_posts b ON b.id = "
	    "c.post_id"
	    " WHERE c.id = ? AND c.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)), &row);
	if (!status)
		status = community_comment_delete(req, view);
	if (status != 204)
		return status;
	return to_board(req, pv_get_int(row, "property_id", 0), "deleted",
	                pv_get_int(row, "id", 0));
}

/* POST /app/properties/{id}/board/settings: unticked boxes send nothing,
 * which here means off. */
int community_app_settings(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *out = pv_object(a);
	if (!out ||
	    (!portal_in_has(req, "enabled") && pv_set_bool(a, req->body, "enabled", false)) ||
	    (!portal_in_has(req, "approve_first_posts") &&
	     pv_set_bool(a, req->body, "approve_first_posts", false)))
		return 500;
	int status = community_settings(req, out);
	if (status != 200)
		return again(req, view, portal_param_id(req, "id"), status);
	return to_board(req, portal_param_id(req, "id"), "saved", 0);
}

/* POST /app/board/reports/{id}/dismiss */
int community_app_dismiss(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *out = pv_object(req->arena);
	int status = out ? community_dismiss(req, out) : 500;
	(void)view;
	if (status != 200)
		return status;
	return portal_redirect(req, "/app/board/reports?done=dismissed");
}
