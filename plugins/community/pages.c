/* The resident's pages: /portal/board (a property's board, filtered by
 * kind, with the form for a new post) and /portal/board/{post_id} (the post
 * with its comments, follow, report, mark done). Their forms post to page
 * routes that run the API's handlers (posts.c, post.c, comments.c,
 * moderation.c) and answer with a redirect; a refused form shows its page
 * again with the error. Everything works without script. */
#include <portal/datetime.h>
#include <portal/input.h>
#include <portal/list.h>
#include <stdlib.h>
#include <string.h>

#include "community.h"

#define EXCERPT_CHARS 200

/* After a change the page says what happened ("community.done_<word>"). */
static const char *const done_words[] = {"created",  "pending",    "commented",
                                         "followed", "unfollowed", "reported",
                                         "updated",  "deleted",    NULL};

const struct portal_input community_page_inputs[] = {
    {"property", PORTAL_IN_ID, PORTAL_IN_QUERY},
    {"kind", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = community_kinds,
     .message = "community.kind_invalid"},
    {"include_done", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {"done", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = done_words},
    {0},
};

const struct portal_input community_post_page_inputs[] = {
    {"done", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = done_words},
    {0},
};

/* The first EXCERPT_CHARS characters of text, cut between characters. */
static const char *excerpt(struct portal_req *req, const char *text)
{
	size_t chars = 0, i = 0;
	if (!text)
		return "";
	for (; text[i]; i++) {
		if (((unsigned char)text[i] & 0xC0) != 0x80 && chars++ == EXCERPT_CHARS)
			return portal_sprintf(req->arena, "%.*s…", (int)i, text);
	}
	return text;
}

int community_page_item(struct portal_req *req, struct portal_value *item)
{
	struct portal_arena *a = req->arena;
	const char *expires = pv_get_str(item, "expires_on");
	bool pending = strcmp(pv_str(pv_get(item, "state")) ? pv_str(pv_get(item, "state")) : "",
	                      "pending") == 0;
	if (pv_set_str(
	        a, item, "date",
	        portal_time_text_of(req, pv_get_str(item, "created_at"), PORTAL_TIME_DATE)) ||
	    pv_set_str(a, item, "excerpt", excerpt(req, pv_get_str(item, "body"))) ||
	    pv_set_bool(a, item, "pending", pending) ||
	    pv_set_bool(a, item, "expired", expires && strcmp(expires, community_today(req)) < 0))
		return 500;
	if (expires && pv_set_str(a, item, "expires_text",
	                          portal_time_text_of(req, expires, PORTAL_TIME_DATE)))
		return 500;
	struct portal_value *comments = pv_get(item, "comments");
	if (pv_set_bool(a, item, "has_comments", pv_first(comments) != NULL))
		return 500;
	pv_foreach(m, comments) {
		if (pv_set_str(a, m->value, "date",
		               portal_time_text_of(req, pv_get_str(m->value, "created_at"),
		                                   PORTAL_TIME_DATETIME)))
			return 500;
	}
	return 0;
}

/* What happened, from ?done=. */
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

/* The kinds as a filter and as the form's choices. */
static int kinds_set(struct portal_req *req, struct portal_value *view, long long property_id,
                     const char *current, const char *chosen)
{
	struct portal_arena *a = req->arena;
	struct portal_value *filters = pv_list(a), *choices = pv_list(a);
	if (!filters || !choices)
		return 500;
	for (size_t i = 0; community_kinds[i]; i++) {
		const char *k = community_kinds[i];
		struct portal_value *f = pv_object(a), *c = pv_object(a);
		if (!f || !c || pv_set_str(a, f, "kind", k) ||
		    pv_set_str(
		        a, f, "url",
		        portal_sprintf(a, "/portal/board?property=%lld&kind=%s", property_id, k)) ||
		    pv_set_bool(a, f, "current", current && strcmp(current, k) == 0) ||
		    pv_push(a, filters, f) || pv_set_str(a, c, "kind", k) ||
		    pv_set_bool(a, c, "selected", chosen && strcmp(chosen, k) == 0) ||
		    pv_push(a, choices, c))
			return 500;
	}
	return pv_set(a, view, "filters", filters) || pv_set(a, view, "kinds", choices) ||
	               pv_set_bool(a, view, "all_kinds", !current) ||
	               pv_set_str(a, view, "all_url",
	                          portal_sprintf(a, "/portal/board?property=%lld", property_id))
	           ? 500
	           : 0;
}

/* The page in one query: the posts of the property shown (the one asked
 * for when it is the resident's with its board on, else their first by
 * name), then the resident's properties whose board is on, as rows of the
 * same columns (part 1: id NULL, property_id and title its name). */
static const char page_sql[] =
    "(SELECT 0 AS part, NULL AS sort_name," COMMUNITY_COLUMNS
    " FROM board_posts b LEFT JOIN users u ON u.id = b.author_id"
    " WHERE b.property_id = (SELECT m.property_id FROM memberships m"
    " JOIN properties p ON p.id = m.property_id AND p.org_id = m.org_id"
    " LEFT JOIN board_settings s ON s.property_id = p.id"
    " WHERE m.user_id = ? AND m.org_id = ? AND m.state = 'active'"
    " AND COALESCE(s.enabled, 1) = 1 ORDER BY p.id = ? DESC, p.name, p.id LIMIT 1)"
    " AND b.org_id = ? AND" COMMUNITY_SEEN " AND (? IS NULL OR b.kind = ?)"
    " AND (? = 1 OR (b.done = 0 AND (b.expires_on IS NULL OR b.expires_on >= ?)))"
    " AND (? = 0 OR b.id < ?) ORDER BY b.id DESC LIMIT ?)"
    " UNION ALL (SELECT 1, p.name, NULL, p.id, NULL, p.name, NULL, NULL, NULL, NULL, NULL,"
    " NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM memberships m"
    " JOIN properties p ON p.id = m.property_id AND p.org_id = m.org_id"
    " LEFT JOIN board_settings s ON s.property_id = p.id"
    " WHERE m.user_id = ? AND m.org_id = ? AND m.state = 'active'"
    " AND COALESCE(s.enabled, 1) = 1 LIMIT 1000)"
    " ORDER BY part, sort_name, property_id, id DESC";

/* A UNION may hand integers over as text (the columns' types are merged
 * with the NULLs of the other part): the item's integers made numbers again. */
static int integers_of(struct portal_req *req, struct portal_value *row)
{
	static const char *const keys[] = {"part",      "id",   "property_id", "anonymous",
	                                   "author_id", "done", "hidden",      "comments_count",
	                                   "following", NULL};
	for (size_t i = 0; keys[i]; i++) {
		const char *text = pv_str(pv_get(row, keys[i]));
		if (text && pv_get(row, keys[i])->type == PV_STRING &&
		    pv_set_int(req->arena, row, keys[i], strtoll(text, NULL, 10)))
			return 500;
	}
	return 0;
}

/* The rows of page_sql apart: the posts as items, the properties as
 * {id, name, current, url}, and which one is shown (0: none). */
static int page_rows(struct portal_req *req, struct portal_value *rows, long long asked,
                     struct portal_value *items, struct portal_value *properties, long long *shown)
{
	struct portal_arena *a = req->arena;
	*shown = 0;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		if (integers_of(req, row))
			return 500;
		long long property_id = pv_get_int(row, "property_id", 0);
		if (pv_get_int(row, "part", 0) == 0) {
			if (community_item(req, row) || pv_push(a, items, row))
				return 500;
			continue;
		}
		struct portal_value *p = pv_object(a);
		if (!p || pv_set_int(a, p, "id", property_id) ||
		    pv_set(a, p, "name", pv_get(row, "title")) ||
		    pv_set_str(a, p, "url",
		               portal_sprintf(a, "/portal/board?property=%lld", property_id)) ||
		    pv_push(a, properties, p))
			return 500;
		if (!*shown || property_id == asked)
			*shown = property_id;
	}
	pv_foreach(m, properties) {
		if (pv_set_bool(a, m->value, "current", pv_get_int(m->value, "id", 0) == *shown))
			return 500;
	}
	pv_foreach(m, items) {
		pv_remove(m->value, "part");
		pv_remove(m->value, "sort_name");
	}
	return 0;
}

/* GET /portal/board[?property=ID][&kind=K][&include_done=1]: one query
 * (page_sql) besides the session's. */
int community_board_page(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	long long asked = portal_param_id(req, "id"), shown;
	const char *kind = portal_in_str(req, "kind");
	bool include_done = portal_in_bool(req, "include_done", false);
	struct portal_value *rows, *list = pv_object(a), *items = pv_list(a),
	                           *properties = pv_list(a);
	struct portal_page page;
	if (!asked)
		asked = portal_in_int(req, "property", 0);
	int status = list && items && properties ? portal_list_page(req, &page) : 500;
	if (!status)
		status = portal_db_query(
		    req, page_sql,
		    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.user_id),
		                   PDB_I(req->caller.org_id), PDB_I(asked),
		                   PDB_I(req->caller.org_id), PDB_I(req->caller.user_id),
		                   PDB_S(kind), PDB_S(kind), PDB_I(include_done),
		                   PDB_S(community_today(req)), PDB_I(page.after),
		                   PDB_I(page.after), PDB_I(page.limit + 1),
		                   PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)),
		    &rows);
	if (!status)
		status = page_rows(req, rows, asked, items, properties, &shown);
	if (!status)
		status = notice_set(req, view);
	if (status)
		return status;
	if (pv_set(a, view, "properties", properties) ||
	    pv_set_bool(a, view, "several", pv_count(properties) > 1) ||
	    pv_set_bool(a, view, "any_board", shown != 0))
		return 500;
	if (!shown)
		return 200;
	if (portal_list_view(req, list, items, page.limit, NULL))
		return 500;
	pv_foreach(m, pv_get(list, "items")) {
		if ((status = community_page_item(req, m->value)))
			return status;
	}
	const char *next = pv_get_str(list, "next");
	const char *name = "";
	pv_foreach(m, properties) {
		if (pv_get_int(m->value, "id", 0) == shown)
			name = pv_get_str(m->value, "name");
	}
	struct portal_value *prop = pv_object(a);
	if (!prop || pv_set_int(a, prop, "id", shown) || pv_set_str(a, prop, "name", name) ||
	    pv_set(a, view, "property", prop) || pv_set(a, view, "items", pv_get(list, "items")) ||
	    pv_set_bool(a, view, "any", pv_first(pv_get(list, "items")) != NULL) ||
	    pv_set_bool(a, view, "include_done", include_done) ||
	    pv_set_str(a, view, "done_url",
	               portal_sprintf(a, "/portal/board?property=%lld&include_done=1", shown)) ||
	    (next && pv_set_str(a, view, "next_url",
	                        portal_sprintf(a, "/portal/board?property=%lld%s%s%s&after=%s",
	                                       shown, kind ? "&kind=" : "", kind ? kind : "",
	                                       include_done ? "&include_done=1" : "", next))))
		return 500;
	const char *chosen =
	    portal_form_sent(req, portal_sprintf(a, "/portal/properties/%lld/board", shown))
	        ? pv_str(pv_get(req->body, "kind"))
	        : NULL;
	return kinds_set(req, view, shown, kind, chosen) ? 500 : 200;
}

/* GET /portal/board/{post_id} */
int community_post_page(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *reasons = pv_list(a);
	int status = community_get(req, view);
	if (status != 200)
		return status;
	if ((status = community_page_item(req, view)) || (status = notice_set(req, view)))
		return status;
	for (size_t i = 0; reasons && community_reasons[i]; i++) {
		struct portal_value *r = pv_object(a);
		if (!r || pv_set_str(a, r, "reason", community_reasons[i]) ||
		    pv_push(a, reasons, r))
			return 500;
	}
	return !reasons || pv_set(a, view, "reasons", reasons) ||
	               pv_set_str(a, view, "back_url",
	                          portal_sprintf(a, "/portal/board?property=%lld",
	                                         pv_get_int(view, "property_id", 0)))
	           ? 500
	           : 200;
}

/* A refused form: its page again, with the error (a 4xx the page can
 * show; 401 and 404 are answered as they are). */
static int again(struct portal_req *req, struct portal_value *view, int status, bool board)
{
	if (status < 400 || status >= 500 || status == 401 || status == 404)
		return status;
	int fill = board ? community_board_page(req, view) : community_post_page(req, view);
	return fill == 200 ? status : portal_fail(req, fill, NULL, NULL, NULL);
}

static int to_post(struct portal_req *req, long long id, const char *done)
{
	return portal_redirect(req,
	                       portal_sprintf(req->arena, "/portal/board/%lld?done=%s", id, done));
}

/* POST /portal/properties/{id}/board */
int community_page_create(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *post = pv_object(req->arena);
	int status = post ? community_create(req, post) : 500;
	if (status != 201 && status != 202)
		return again(req, view, status, true);
	return to_post(req, pv_get_int(post, "id", 0), status == 202 ? "pending" : "created");
}

/* The post forms: each runs the API's handler, then shows the post. */
static int post_form(struct portal_req *req, struct portal_value *view, portal_handler run, int ok,
                     const char *done)
{
	struct portal_value *out = pv_object(req->arena);
	int status = out ? run(req, out) : 500;
	if (status != ok)
		return again(req, view, status, false);
	return to_post(req, portal_param_id(req, "post_id"), done);
}

int community_page_comment(struct portal_req *req, struct portal_value *view)
{
	return post_form(req, view, community_comment, 201, "commented");
}

int community_page_follow(struct portal_req *req, struct portal_value *view)
{
	return post_form(req, view, community_follow, 204, "followed");
}

int community_page_unfollow(struct portal_req *req, struct portal_value *view)
{
	return post_form(req, view, community_unfollow, 204, "unfollowed");
}

int community_page_report(struct portal_req *req, struct portal_value *view)
{
	return post_form(req, view, community_report, 202, "reported");
}

int community_page_update(struct portal_req *req, struct portal_value *view)
{
	return post_form(req, view, community_update, 200, "updated");
}

/* POST /portal/board/{post_id}/delete: back to the board. */
int community_page_delete(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *row;
	int status = community_post_row(req, portal_param_id(req, "post_id"), &row);
	if (!status)
		status = community_delete(req, view);
	if (status != 204)
		return again(req, view, status, false);
	return portal_redirect(req, portal_sprintf(req->arena,
	                                           "/portal/board?property=%lld&done=deleted",
	                                           pv_get_int(row, "property_id", 0)));
}

/* POST /portal/board/comments/{id}/delete: one's own comment; back to the
 * post. */
int community_page_comment_delete(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req, "SELECT post_id FROM board_comments WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)), &row);
	if (!status)
		status = community_comment_delete(req, view);
	if (status != 204)
		return status;
	return to_post(req, pv_get_int(row, "post_id", 0), "deleted");
}
