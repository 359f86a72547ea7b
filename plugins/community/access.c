/* Who may see a board and its posts: a property's managers always, its
 * residents with an active membership while the board is on. Everyone else
 * gets 404, exactly as for what does not exist. */
#include <portal/datetime.h>

#include "community.h"

int community_board_of(struct portal_req *req, long long property_id, struct community_board *board)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req,
	    "SELECT p.id, p.name, COALESCE(s.enabled, 1) AS enabled,"
	    " COALESCE(s.approve_first_posts, 0) AS approve_first_posts,"
	    " EXISTS (SELECT 1 FROM memberships m WHERE m.property_id = p.id AND m.user_id = ?"
	    " AND m.org_id = p.org_id AND m.state = 'active') AS member"
	    " FROM properties p LEFT JOIN board_settings s ON s.property_id = p.id"
	    " WHERE p.id = ? AND p.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(property_id),
	                   PDB_I(req->caller.org_id)),
	    &row);
	if (status)
		return status;
	board->property_id = property_id;
	board->property_name = pv_get_str(row, "name");
	board->enabled = pv_get_int(row, "enabled", 1) != 0;
	board->approve_first_posts = pv_get_int(row, "approve_first_posts", 0) != 0;
	if (portal_is_manager(req))
		return 0;
	if (!pv_get_int(row, "member", 0) || !board->enabled)
		return portal_not_found(req);
	return 0;
}

int community_post_row(struct portal_req *req, long long post_id, struct portal_value **row)
{
	int status = portal_db_one(
	    req,
	    "SELECT" COMMUNITY_COLUMNS ", COALESCE(s.enabled, 1) AS board_enabled,"
	    " EXISTS (SELECT 1 FROM memberships m WHERE m.property_id = b.property_id"
	    " AND m.user_id = ? AND m.org_id = b.org_id AND m.state = 'active') AS member,"
	    " (? = 1 OR" COMMUNITY_SEEN ") AS seen FROM board_posts b"
	    " LEFT JOIN users u ON u.id = b.author_id"
	    " LEFT JOIN board_settings s ON s.property_id = b.property_id"
	    " WHERE b.id = ? AND b.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.user_id),
	                   PDB_I(portal_is_manager(req)), PDB_I(req->caller.user_id),
	                   PDB_I(post_id), PDB_I(req->caller.org_id)),
	    row);
	if (status)
		return status;
	if (portal_is_manager(req))
		return 0;
	if (!pv_get_int(*row, "member", 0) || !pv_get_int(*row, "board_enabled", 1) ||
	    !pv_get_int(*row, "seen", 0))
		return portal_not_found(req);
	return 0;
}

bool community_mine(const struct portal_req *req, const struct portal_value *row)
{
	return pv_get_int(row, "author_id", 0) == req->caller.user_id && req->caller.user_id;
}

const char *community_today(struct portal_req *req)
{
	return portal_time_text(req, portal_now(), PORTAL_TIME_DAY);
}

int community_forbidden(struct portal_req *req)
{
	return portal_fail(req, 403, "forbidden", NULL, "community.forbidden");
}
