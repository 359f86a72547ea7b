/* The community plugin ("Schwarzes Brett"): what its files share. */
#ifndef COMMUNITY_H
#define COMMUNITY_H

#include <portal/portal.h>

extern const char *const community_kinds[];
extern const char *const community_reasons[];

/* What a resident who is not its author may see of a post b: published and
 * not hidden. The argument bound after it is the caller's user id. */
#define COMMUNITY_SEEN " ((b.state = 'published' AND b.hidden = 0) OR b.author_id <=> ?)"

/* The columns of a post as community_item makes the API's item of them,
 * from b (board_posts) and u (its author, LEFT JOIN users); the argument
 * bound in them is the caller's user id (following). */
#define COMMUNITY_COLUMNS                                                                  \
	" b.id, b.property_id, b.kind, b.title, b.body, b.anonymous, b.author_id,"         \
	" u.name AS author_name, b.created_at, b.expires_on, b.done, b.state, b.hidden,"   \
	" b.hidden_reason, (SELECT COUNT(*) FROM board_comments c WHERE c.post_id = b.id)" \
	" AS comments_count, EXISTS (SELECT 1 FROM board_follows f WHERE f.post_id = b.id" \
	" AND f.user_id = ?) AS following"

/* A property's board as the caller may use it. */
struct community_board {
	long long property_id;
	const char *property_name;
	bool enabled, approve_first_posts;
};

/* access.c: the board of the property for the caller (managers: any of
 * their organisation's; residents: an active member's, while it is on),
 * else 404; and one post, with the same rule plus what residents may see
 * of it (COMMUNITY_SEEN), as a raw row (community_item makes the item). */
int community_board_of(struct portal_req *req, long long property_id,
                       struct community_board *board);
int community_post_row(struct portal_req *req, long long post_id, struct portal_value **row);
/* Whether the caller wrote the post or comment whose author_id row has. */
bool community_mine(const struct portal_req *req, const struct portal_value *row);
/* Today as the deployment's calendar says it: "2026-12-24". */
const char *community_today(struct portal_req *req);
/* 403 "forbidden" with its message: what the caller sees but may not change. */
int community_forbidden(struct portal_req *req);

/* item.c: a row of COMMUNITY_COLUMNS as the API's post, in place; an author
 * (display name, anonymity) as the caller may see it; one post as item. */
int community_item(struct portal_req *req, struct portal_value *row);
int community_author_set(struct portal_req *req, struct portal_value *row, bool anonymous);
int community_post_item(struct portal_req *req, long long post_id, struct portal_value **item);

/* posts.c: the property's board and new posts */
extern const struct portal_input community_list_inputs[];
extern const struct portal_input community_create_inputs[];
int community_list(struct portal_req *req, struct portal_value *view);
int community_list_of(struct portal_req *req, struct portal_value *view, long long property_id,
                      const char *kind, bool include_done);
int community_create(struct portal_req *req, struct portal_value *view);
/* 429 past the resident's posts_per_day or comments_per_hour; 422 for an
 * expires_on sent that lies in the past. */
int community_rate_posts(struct portal_req *req);
int community_rate_comments(struct portal_req *req);
int community_expiry_check(struct portal_req *req);

/* post.c: one post */
extern const struct portal_input community_update_inputs[];
int community_get(struct portal_req *req, struct portal_value *view);
int community_update(struct portal_req *req, struct portal_value *view);
int community_delete(struct portal_req *req, struct portal_value *view);
int community_follow(struct portal_req *req, struct portal_value *view);
int community_unfollow(struct portal_req *req, struct portal_value *view);
int community_comments_of(struct portal_req *req, long long post_id,
                          struct portal_value **comments);

/* comments.c */
extern const struct portal_input community_comment_inputs[];
int community_comment(struct portal_req *req, struct portal_value *view);
int community_comment_delete(struct portal_req *req, struct portal_value *view);

/* moderation.c: hide, approve, reports, the board's settings */
extern const struct portal_input community_hide_inputs[];
extern const struct portal_input community_report_inputs[];
extern const struct portal_input community_settings_inputs[];
int community_hide(struct portal_req *req, struct portal_value *view);
int community_approve(struct portal_req *req, struct portal_value *view);
int community_report(struct portal_req *req, struct portal_value *view);
int community_reports(struct portal_req *req, struct portal_value *view);
int community_dismiss(struct portal_req *req, struct portal_value *view);
int community_settings(struct portal_req *req, struct portal_value *view);

/* mail.c: the mails of the board, queued in the caller's transaction, and
 * the hourly job that gathers new comments */
int community_mail_hidden(struct portal_req *req, long long post_id, const char *reason);
int community_mail_report(struct portal_req *req, long long post_id, const char *reason,
                          const char *note);
int community_comment_mails(struct portal_req *req);

/* pages.c: the resident's pages and their forms */
extern const struct portal_input community_page_inputs[];
extern const struct portal_input community_post_page_inputs[];
int community_page_item(struct portal_req *req, struct portal_value *item);
int community_board_page(struct portal_req *req, struct portal_value *view);
int community_post_page(struct portal_req *req, struct portal_value *view);
int community_page_create(struct portal_req *req, struct portal_value *view);
int community_page_comment(struct portal_req *req, struct portal_value *view);
int community_page_follow(struct portal_req *req, struct portal_value *view);
int community_page_unfollow(struct portal_req *req, struct portal_value *view);
int community_page_report(struct portal_req *req, struct portal_value *view);
int community_page_update(struct portal_req *req, struct portal_value *view);
int community_page_delete(struct portal_req *req, struct portal_value *view);
int community_page_comment_delete(struct portal_req *req, struct portal_value *view);

/* app_pages.c: the manager's board of a property and the reports queue */
extern const struct portal_input community_app_page_inputs[];
extern const struct portal_input community_app_hide_inputs[];
extern const struct portal_input community_app_settings_inputs[];
int community_app_page(struct portal_req *req, struct portal_value *view);
int community_reports_page(struct portal_req *req, struct portal_value *view);
int community_app_hide(struct portal_req *req, struct portal_value *view);
int community_app_post_form(struct portal_req *req, struct portal_value *view);
int community_app_approve(struct portal_req *req, struct portal_value *view);
int community_app_delete(struct portal_req *req, struct portal_value *view);
int community_app_comment_delete(struct portal_req *req, struct portal_value *view);
int community_app_settings(struct portal_req *req, struct portal_value *view);
int community_app_dismiss(struct portal_req *req, struct portal_value *view);

/* home.c: the section of the residents' home */
int community_home(struct portal_req *req, const long long *property_ids, size_t count,
                   struct portal_value *view);

#endif
