/* GET /properties/{id}/board: the posts newest first, keyset pages; done
 * and expired ones only with include_done. POST /properties/{id}/board: a
 * new post, held for approval when the property asks it of a resident's
 * first. Each is one query after the board's. */
#include <portal/input.h>
#include <portal/list.h>
#include <portal/session.h>
#include <string.h>

#include "community.h"

const struct portal_input community_list_inputs[] = {
    {"kind", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = community_kinds,
     .message = "community.kind_invalid"},
    {"include_done", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

const struct portal_input community_create_inputs[] = {
    {"kind", PORTAL_IN_ENUM, PORTAL_IN_REQUIRED, .choices = community_kinds,
     .message = "community.kind_invalid"},
    {"title", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, 200, .message = "community.title_invalid"},
    {"body", PORTAL_IN_STRING, PORTAL_IN_REQUIRED | PORTAL_IN_MULTILINE, 1, 5000,
     .message = "community.body_invalid"},
    {"anonymous", PORTAL_IN_BOOL, 0, .message = "community.anonymous_invalid"},
    {"expires_on", PORTAL_IN_DATE, 0, .message = "community.expires_invalid"},
    {0},
};

/* One query: a caller who may not see the board gets no row at all (404),
 * one who may but finds no post one row without a post. */
static const char list_sql[] =
    "SELECT" COMMUNITY_COLUMNS " FROM properties p"
    " LEFT JOIN board_settings s ON s.property_id = p.id"
    " LEFT JOIN board_posts b ON b.property_id = p.id AND b.org_id = p.org_id"
    " AND (? = 1 OR" COMMUNITY_SEEN ") AND (? IS NULL OR b.kind = ?)"
    " AND (? = 1 OR (b.done = 0 AND (b.expires_on IS NULL OR b.expires_on >= ?)))"
    " AND (? = 0 OR b.id < ?)"
    " LEFT JOIN users u ON u.id = b.author_id"
    " WHERE p.id = ? AND p.org_id = ? AND (? = 1 OR (COALESCE(s.enabled, 1) = 1"
    " AND EXISTS (SELECT 1 FROM memberships m WHERE m.property_id = p.id"
    " AND m.user_id = ? AND m.org_id = p.org_id AND m.state = 'active')))"
    " ORDER BY b.id DESC LIMIT ?";

int community_list_of(struct portal_req *req, struct portal_value *view, long long property_id,
                      const char *kind, bool include_done)
{
	struct portal_page page;
	struct portal_value *rows, *items = pv_list(req->arena);
	bool manager = portal_is_manager(req);
	int status = items ? portal_list_page(req, &page) : 500;
	if (!status)
		status = portal_db_query(
		    req, list_sql,
		    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(manager),
		                   PDB_I(req->caller.user_id), PDB_S(kind), PDB_S(kind),
		                   PDB_I(include_done), PDB_S(community_today(req)),
		                   PDB_I(page.after), PDB_I(page.after), PDB_I(property_id),
		                   PDB_I(req->caller.org_id), PDB_I(manager),
		                   PDB_I(req->caller.user_id), PDB_I(page.limit + 1)),
		    &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return portal_not_found(req);
	pv_foreach(m, rows) {
		if (!pv_get_int(m->value, "id", 0))
			continue;
		if ((status = community_item(req, m->value)) ||
		    (status = pv_push(req->arena, items, m->value)))
			return status;
	}
	return portal_list_view(req, view, items, page.limit, NULL) ? 500 : 200;
}

int community_list(struct portal_req *req, struct portal_value *view)
{
	return community_list_of(req, view, portal_param_id(req, "id"), portal_in_str(req, "kind"),
	                         portal_in_bool(req, "include_done", false));
}

/* A resident's posts or comments in the last interval, against the
 * setting's limit (managers have none). */
static int rate_check(struct portal_req *req, const char *table, const char *setting,
                      const char *interval)
{
	const char *sql =
	    portal_sprintf(req->arena,
	                   "SELECT COUNT(*) AS n FROM %s WHERE author_id = ? AND org_id = ?"
	                   " AND created_at > UTC_TIMESTAMP() - INTERVAL %s",
	                   table, interval);
	return sql ? portal_rate_check(
	                 req, sql,
	                 PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)),
	                 setting, strcmp(interval, "1 DAY") ? "3600" : "86400",
	                 "community.rate_limited")
	           : 500;
}

int community_rate_posts(struct portal_req *req)
{
	return rate_check(req, "board_posts", "posts_per_day", "1 DAY");
}

int community_rate_comments(struct portal_req *req)
{
	return rate_check(req, "board_comments", "comments_per_hour", "1 HOUR");
}

/* Whether a resident's post waits for a manager: the property holds first
 * posts and the resident has none published there yet. */
static int held(struct portal_req *req, const struct community_board *board, bool *pending)
{
	struct portal_value *row;
	*pending = false;
	if (portal_is_manager(req) || !board->approve_first_posts)
		return 0;
	int status = portal_db_one(
	    req,
	    "SELECT COUNT(*) AS n FROM board_posts WHERE author_id = ? AND property_id = ?"
	    " AND org_id = ? AND state = 'published'",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(board->property_id),
	                   PDB_I(req->caller.org_id)),
	    &row);
	if (!status)
		*pending = pv_get_int(row, "n", 0) == 0;
	return status;
}

/* The expiry sent must not lie in the past. */
int community_expiry_check(struct portal_req *req)
{
	const char *expires = portal_in_str(req, "expires_on");
	if (expires && strcmp(expires, community_today(req)) < 0)
		return portal_fail(req, 422, "validation", "expires_on", "community.expires_past");
	return 0;
}

int community_create(struct portal_req *req, struct portal_value *view)
{
	struct community_board board;
	unsigned long long id = 0;
	bool pending = false;
	const char *kind = portal_in_str(req, "kind");
	int status = community_expiry_check(req);
	if (!status)
		status = community_board_of(req, portal_param_id(req, "id"), &board);
	if (!status)
		status = portal_db_begin(req);
	if (!status)
		status = community_rate_posts(req);
	if (!status)
		status = held(req, &board, &pending);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO board_posts (org_id, property_id, author_id, kind, title, body,"
		    " anonymous, expires_on, state, created_at, updated_at)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, IF(? IN ('offer', 'request'),"
		    " ? + INTERVAL 30 DAY, NULL)), ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(
		        PDB_I(req->caller.org_id), PDB_I(board.property_id),
		        PDB_I(req->caller.user_id), PDB_S(kind), PDB_S(portal_in_str(req, "title")),
		        PDB_S(portal_in_str(req, "body")),
		        PDB_I(portal_in_bool(req, "anonymous", false)),
		        PDB_S(portal_in_str(req, "expires_on")), PDB_S(kind),
		        PDB_S(community_today(req)), PDB_S(pending ? "pending" : "published")),
		    NULL, &id);
	/* The author hears of comments from the start (and may unfollow). */
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO board_follows (post_id, user_id, org_id, created_at)"
		    " VALUES (?, ?, ?, UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(PDB_I((long long)id), PDB_I(req->caller.user_id),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	if (!status && !pending)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	struct portal_value *item;
	if (!status)
		status = community_post_item(req, (long long)id, &item);
	if (status)
		return status;
	*view = *item;
	return pending ? 202 : 201;
}
