/* The board's section of the residents' home: the newest posts of the
 * properties shown, as every resident of them sees them alike (published,
 * not hidden, not done or expired, boards that are on; an anonymous post
 * without a name). One's own pending posts are left out on purpose, so the
 * section is shared (PORTAL_HOME_SHARED): every write of the board calls
 * portal_content_changed. One query. */
#include <portal/datetime.h>
#include <portal/text.h>

#include "community.h"

#define HOME_MAX 5
#define HOME_PROPERTIES_MAX 1000

int community_home(struct portal_req *req, const long long *property_ids, size_t count,
                   struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	if (count == 0)
		return 204;
	if (count > HOME_PROPERTIES_MAX)
		count = HOME_PROPERTIES_MAX;
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT b.id, b.kind, b.title, b.created_at, IF(b.anonymous = 1, NULL, u.name)"
	    " AS author_name, b.anonymous, p.name AS property_name,"
	    " (SELECT COUNT(*) FROM board_comments c WHERE c.post_id = b.id) AS comments_count"
	    " FROM board_posts b JOIN properties p ON p.id = b.property_id AND p.org_id = b.org_id"
	    " LEFT JOIN users u ON u.id = b.author_id"
	    " LEFT JOIN board_settings s ON s.property_id = b.property_id"
	    " WHERE b.org_id = ? AND b.property_id IN " PORTAL_DB_ID_LIST
	    " AND b.state = 'published' AND b.hidden = 0 AND b.done = 0"
	    " AND (b.expires_on IS NULL OR b.expires_on >= ?) AND COALESCE(s.enabled, 1) = 1"
	    " ORDER BY b.id DESC LIMIT ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), portal_db_ids(req, property_ids, count),
	                   PDB_S(community_today(req)), PDB_I(HOME_MAX)),
	    &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return 204;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		if (pv_set_str(a, row, "date",
		               portal_time_text_of(req, pv_get_str(row, "created_at"),
		                                   PORTAL_TIME_DATE)) ||
		    pv_set_bool(a, row, "anonymous", pv_get_int(row, "anonymous", 0) != 0))
			return 500;
	}
	return pv_set(a, view, "items", rows) || pv_set_bool(a, view, "several", count > 1) ? 500
	                                                                                    : 0;
}
