/* A post as the API shows it ("Community board" in API.md). Authors appear
 * by display name only; an anonymous post's name is shown to its author and
 * the managers alone. */
#include <string.h>

#include "community.h"

int community_author_set(struct portal_req *req, struct portal_value *row, bool anonymous)
{
	struct portal_arena *a = req->arena;
	struct portal_value *author = pv_object(a);
	bool named = !anonymous || portal_is_manager(req) || community_mine(req, row);
	const char *name = pv_get_str(row, "author_name");
	if (!author)
		return 500;
	if (!named) {
		if (pv_set(a, author, "display_name", pv_null(a)))
			return 500;
	} else if (pv_set_str(a, author, "display_name",
	                      pv_get_int(row, "author_id", 0) && name
	                          ? name
	                          : portal_t(req, "former_resident"))) {
		return 500;
	}
	if (anonymous && pv_set_bool(a, author, "anonymous", true))
		return 500;
	if (pv_set_bool(a, row, "mine", community_mine(req, row)))
		return 500;
	pv_remove(row, "author_name");
	pv_remove(row, "anonymous");
	pv_remove(row, "author_id");
	return pv_set(a, row, "author", author);
}

int community_item(struct portal_req *req, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	bool hidden = pv_get_int(row, "hidden", 0) != 0;
	bool privileged = portal_is_manager(req) || community_mine(req, row);
	if ((!privileged || !hidden) && pv_set(a, row, "hidden_reason", pv_null(a)))
		return 500;
	if (pv_set_bool(a, row, "done", pv_get_int(row, "done", 0) != 0) ||
	    pv_set_bool(a, row, "hidden", hidden) ||
	    pv_set_bool(a, row, "following", pv_get_int(row, "following", 0) != 0) ||
	    community_author_set(req, row, pv_get_int(row, "anonymous", 0) != 0))
		return 500;
	pv_remove(row, "board_enabled");
	pv_remove(row, "member");
	pv_remove(row, "seen");
	return 0;
}

int community_post_item(struct portal_req *req, long long post_id, struct portal_value **item)
{
	int status = community_post_row(req, post_id, item);
	return status ? status : community_item(req, *item);
}
