/* The board's mail, always through the outbox in the transaction of the
 * change: a hidden post's author gets the reason (the statement of
 * reasons: sent whatever their settings, since it concerns their own post,
 * but like all mail only to a confirmed address), a report goes to the
 * organisation's managers, and new comments reach a post's author and
 * followers (kind "board", which residents can turn off) through the
 * hourly job "board-comments".
 *
 * The job mails each follower of a post at most once an hour: per
 * board_follows row it lists the comments after covered_comment_id that
 * others wrote, and stamps mailed_at. A row is claimed with FOR UPDATE SKIP
 * LOCKED, so a run by hand beside the scheduled one never mails twice. */
#include <portal/mail.h>

#include "community.h"

#define FOLLOWS_SLICE 200
#define COMMENTS_MAX 50 /* in one mail; the rest the next hour */

static const char *url_of(struct portal_req *req, const char *path)
{
	const char *base = portal_config(req, "base_url");
	return portal_sprintf(req->arena, "%s%s", base ? base : "", path);
}

int community_mail_hidden(struct portal_req *req, long long post_id, const char *reason)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows, *user, *v = pv_object(a);
	int status = portal_db_query(
	    req,
	    "SELECT u.email, u.name, COALESCE(u.locale, o.locale) AS locale, b.title"
	    " FROM board_posts b JOIN users u ON u.id = b.author_id AND u.org_id = b.org_id"
	    " JOIN orgs o ON o.id = b.org_id WHERE b.id = ? AND b.org_id = ?"
	    " AND u.email_confirmed_at IS NOT NULL",
	    PORTAL_DB_ARGS(PDB_I(post_id), PDB_I(req->caller.org_id)), &rows);
	if (status || !(user = pv_first(rows)))
		return status; /* a former resident's post, or an address nobody confirmed */
	if (!v || pv_set(a, v, "name", pv_get(user, "name")) ||
	    pv_set(a, v, "title", pv_get(user, "title")) || pv_set_str(a, v, "reason", reason) ||
	    pv_set_str(a, v, "url", url_of(req, portal_sprintf(a, "/portal/board/%lld", post_id))))
		return 500;
	struct portal_mail mail = {
	    .kind = "board_hidden",
	    .template_name = "board_hidden",
	    .subject = "community.mail_hidden_subject",
	    .org_id = req->caller.org_id,
	    .view = v,
	};
	portal_mail_to(&mail, user);
	status = portal_mail(req, &mail);
	return status == 422 ? 0 : status; /* an address the outbox refuses: no mail */
}

int community_mail_report(struct portal_req *req, long long post_id, const char *reason,
                          const char *note)
{
	struct portal_arena *a = req->arena;
	struct portal_value *managers, *post, *v = pv_object(a);
	int status = portal_db_one(
	    req,
	    "SELECT b.title, p.name AS property_name FROM board_posts b"
	    " JOIN properties p ON p.id = b.property_id WHERE b.id = ? AND b.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(post_id), PDB_I(req->caller.org_id)), &post);
	if (!status)
		status = portal_db_query(
		    req,
		    "SELECT u.email, u.name, COALESCE(u.locale, o.locale) AS locale FROM users u"
		    " JOIN orgs o ON o.id = u.org_id WHERE u.org_id = ? AND u.role = 'manager'"
		    " AND u.password_hash IS NOT NULL ORDER BY u.id LIMIT 500",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &managers);
	if (status)
		return status;
	size_t n = 0;
	struct portal_recipient *to = portal_mail_recipients(req, managers, &n);
	if (!to || !v || pv_set(a, v, "title", pv_get(post, "title")) ||
	    pv_set(a, v, "property_name", pv_get(post, "property_name")) ||
	    pv_set_bool(a, v, portal_sprintf(a, "reason_%s", reason), true) ||
	    (note && pv_set_str(a, v, "note", note)) ||
	    pv_set_str(a, v, "url", url_of(req, "/app/board/reports")))
		return 500;
	struct portal_mail mail = {
	    .kind = "board_report",
	    .template_name = "board_report",
	    .subject = "community.mail_report_subject",
	    .org_id = req->caller.org_id,
	    .view = v,
	};
	return n ? portal_mail_many(req, &mail, to, n, NULL) : 0;
}

/* The follows that are due: new comments of others, and no mail within the
 * hour; after the (post, user) given. "Within the hour" leaves two minutes
 * of slack: the job runs once an hour, each time a moment after its period
 * begins, so a mail of last hour's run may be a few seconds less than an
 * hour old now and would otherwise wait a whole hour more. */
#define DUE                                                                             \
	" (f.mailed_at IS NULL OR f.mailed_at <= UTC_TIMESTAMP() - INTERVAL 58 MINUTE)" \
	" AND EXISTS (SELECT 1 FROM board_comments c WHERE c.post_id = f.post_id"       \
	" AND c.id > f.covered_comment_id AND NOT c.author_id <=> f.user_id)"

static const char due_sql[] = "SELECT f.post_id, f.user_id FROM board_follows f WHERE" DUE
                              " AND (f.post_id > ? OR (f.post_id = ? AND f.user_id > ?))"
                              " ORDER BY f.post_id, f.user_id LIMIT ?";

/* One follower's mail about one post, in one transaction. Whoever may not
 * see the post now (hidden, pending, a membership ended, the board off) is
 * covered without mail, as is whoever turned board mail off. */
static int mail_follower(struct portal_req *req, long long post_id, long long user_id, int *mailed)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows, *who, *comments;
	int status = portal_db_begin(req);
	if (status)
		return status;
	status = portal_db_query(
	    req,
	    "SELECT f.covered_comment_id, u.email, u.name, u.org_id,"
	    " COALESCE(u.locale, o.locale) AS locale, b.title, b.anonymous, b.author_id,"
	    " ((b.state = 'published' AND b.hidden = 0) OR b.author_id = u.id) AND"
	    " (u.role = 'manager' OR (COALESCE(s.enabled, 1) = 1 AND EXISTS (SELECT 1"
	    " FROM memberships m WHERE m.property_id = b.property_id AND m.user_id = u.id"
	    " AND m.state = 'active'))) AS sees,"
	    " " PORTAL_MAIL_WANTED(
	        "u.id",
	        "board") " AS wanted"
	                 " FROM board_follows f JOIN users u ON u.id = f.user_id"
	                 " JOIN orgs o ON o.id = u.org_id JOIN board_posts b ON b.id = f.post_id"
	                 " LEFT JOIN board_settings s ON s.property_id = b.property_id"
	                 " WHERE f.post_id = ? AND f.user_id = ? AND" DUE " FOR UPDATE SKIP LOCKED",
	    PORTAL_DB_ARGS(PDB_I(post_id), PDB_I(user_id)), &rows);
	if (status || !(who = pv_first(rows)))
		goto done; /* another run has it, or it is no longer due */
	status = portal_db_query(req,
	                         "SELECT c.id, c.body, c.author_id, u.name AS author_name,"
	                         " (b.anonymous = 1 AND c.author_id <=> b.author_id) AS anonymous"
	                         " FROM board_comments c JOIN board_posts b ON b.id = c.post_id"
	                         " LEFT JOIN users u ON u.id = c.author_id"
	                         " WHERE c.post_id = ? AND c.id > ? ORDER BY c.id LIMIT ?",
	                         PORTAL_DB_ARGS(PDB_I(post_id),
	                                        PDB_I(pv_get_int(who, "covered_comment_id", 0)),
	                                        PDB_I(COMMENTS_MAX)),
	                         &comments);
	if (status)
		goto done;
	long long covered = 0;
	struct portal_value *items = pv_list(a);
	if (!items) {
		status = 500;
		goto done;
	}
	pv_foreach(m, comments) {
		struct portal_value *c = m->value;
		covered = pv_get_int(c, "id", 0);
		if (pv_get_int(c, "author_id", 0) == user_id)
			continue;
		const char *name =
		    pv_get_int(c, "anonymous", 0)  ? portal_t(req, "community.anonymous")
		    : pv_get_str(c, "author_name") ? pv_get_str(c, "author_name")
		                                   : portal_t(req, "former_resident");
		if (pv_set_str(a, c, "author", name) || pv_push(a, items, c)) {
			status = 500;
			goto done;
		}
	}
	bool send = pv_get_int(who, "sees", 0) && pv_get_int(who, "wanted", 0) && pv_first(items);
	if (send) {
		struct portal_value *v = pv_object(a);
		if (!v || pv_set(a, v, "name", pv_get(who, "name")) ||
		    pv_set(a, v, "title", pv_get(who, "title")) || pv_set(a, v, "items", items) ||
		    pv_set_str(a, v, "url",
		               url_of(req, portal_sprintf(a, "/portal/board/%lld", post_id)))) {
			status = 500;
			goto done;
		}
		struct portal_mail mail = {
		    .kind = "board",
		    .template_name = "board_comments",
		    .subject = "community.mail_comments_subject",
		    .org_id = pv_get_int(who, "org_id", 0),
		    .view = v,
		};
		portal_mail_to(&mail, who);
		status = portal_mail(req, &mail);
		if (status == 422)
			status = send = 0; /* an address the outbox refuses: covered, no mail */
		if (status)
			goto done;
	}
	status = portal_db_exec(
	    req,
	    "UPDATE board_follows SET covered_comment_id = GREATEST(covered_comment_id, ?),"
	    " mailed_at = IF(? = 1, UTC_TIMESTAMP(), mailed_at) WHERE post_id = ? AND user_id = ?",
	    PORTAL_DB_ARGS(PDB_I(covered), PDB_I(send), PDB_I(post_id), PDB_I(user_id)), NULL,
	    NULL);
	if (!status && send)
		(*mailed)++;
done:
	if (status) {
		portal_db_rollback(req);
		return status;
	}
	return portal_db_commit(req);
}

int community_comment_mails(struct portal_req *req)
{
	long long post_id = 0, user_id = 0;
	int mailed = 0, status = 0;
	size_t got;
	do {
		struct portal_value *due;
		if ((status = portal_db_query(req, due_sql,
		                              PORTAL_DB_ARGS(PDB_I(post_id), PDB_I(post_id),
		                                             PDB_I(user_id), PDB_I(FOLLOWS_SLICE)),
		                              &due)))
			break;
		got = pv_count(due);
		pv_foreach(m, due) {
			post_id = pv_get_int(m->value, "post_id", 0);
			user_id = pv_get_int(m->value, "user_id", 0);
			if ((status = mail_follower(req, post_id, user_id, &mailed)) ||
			    portal_job_stopping())
				break;
		}
	} while (!status && got == FOLLOWS_SLICE && !portal_job_stopping());
	if (mailed)
		portal_log("community: %d mails about new comments", mailed);
	return status;
}
