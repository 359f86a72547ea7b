/* The daily digest (job "digest", at documents.digest_time, 07:00 unless
 * set): each resident gets one mail listing the documents newly visible to
 * them or changed (a version that asked to notify) since their last digest,
 * with links; nothing when there is nothing new.
 *
 * What was covered is in document_digest (per resident and document, the
 * version), written in the transaction that queues the mail. A resident's
 * turn is claimed by locking their users row before reading what is pending:
 * a second run (on this host or another) waits for the first's commit and
 * then finds nothing left, so two runs never list one version twice, and
 * none skips a resident whose row something else held (SKIP LOCKED did, and
 * lost that resident's mail until the next day). Residents who turned the mail off (or
 * whose address is not confirmed) are covered without mail: turning it on
 * later brings no backlog. Documents shared before a resident joined are not
 * new to them (DOCUMENTS_PENDING). */
#include <string.h>

#include <portal/mail.h>
#include <portal/text.h>

#include "documents.h"

#define USERS_SLICE 200
#define LIST_MAX 200 /* documents in one mail; the rest the next day */

/* documents.digest_time: "HH:MM". */
const char *documents_time_refused(const char *value)
{
	if (strlen(value) == 5 && value[0] >= '0' && value[0] <= '2' && value[1] >= '0' &&
	    value[1] <= '9' && value[2] == ':' && value[3] >= '0' && value[3] <= '5' &&
	    value[4] >= '0' && value[4] <= '9' && (value[0] - '0') * 10 + (value[1] - '0') < 24)
		return NULL;
	return "must be a time HH:MM (00:00 to 23:59)";
}

#define PENDING_FROM                                                            \
	" FROM memberships m JOIN documents d ON d.property_id = m.property_id" \
	" AND d.org_id = m.org_id AND" DOCUMENTS_SEEN_BY_MEMBER                 \
	" LEFT JOIN document_digest r ON r.user_id = m.user_id AND r.document_id = d.id"

/* The next residents with something pending, after the id given. */
static const char users_sql[] =
    "SELECT DISTINCT m.user_id" PENDING_FROM " WHERE m.state = 'active' AND m.user_id > ?"
    " AND" DOCUMENTS_PENDING " IS NOT NULL"
    " ORDER BY m.user_id LIMIT ?";

/* One resident's pending documents, read once their row is locked. */
static const char pending_sql[] =
    "SELECT d.id, d.title, d.version, d.org_id, p.name AS property_name," DOCUMENTS_PENDING
    " AS kind" PENDING_FROM " JOIN properties p ON p.id = d.property_id AND p.org_id = d.org_id"
    " WHERE m.user_id = ? AND m.state = 'active' AND" DOCUMENTS_PENDING " IS NOT NULL"
    " ORDER BY p.name, p.id, d.id DESC LIMIT ?";

/* The mail's view: the items, each linking to its entry of the resident's
 * page (a page sends whoever is signed out to the sign-in first; the
 * download itself is an API address). */
static struct portal_value *mail_view(struct portal_req *req, struct portal_value *rows,
                                      const char *name)
{
	struct portal_arena *a = req->arena;
	const char *base = portal_config(req, "base_url");
	struct portal_value *v = pv_object(a);
	if (!v || pv_set_str(a, v, "name", name ? name : "") || pv_set(a, v, "items", rows) ||
	    pv_set_str(a, v, "page_url",
	               portal_sprintf(a, "%s/portal/documents", base ? base : "")))
		return NULL;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		long long id = pv_get_int(row, "id", 0);
		if (pv_set_bool(a, row, "is_new", strcmp(pv_get_str(row, "kind"), "new") == 0) ||
		    pv_set_str(a, row, "url",
		               portal_sprintf(a, "%s/portal/documents#document-%lld",
		                              base ? base : "", id)))
			return NULL;
	}
	return v;
}

/* One resident's turn, in one transaction: claim, read, cover, mail. */
static int digest_user(struct portal_req *req, long long user_id, int *mailed)
{
	struct portal_arena *a = req->arena;
	struct portal_value *who, *rows;
	int status = portal_db_begin(req);
	if (status)
		return status;
	status = portal_db_query(
	    req,
	    "SELECT u.id, u.email, u.name, COALESCE(u.locale, o.locale) AS locale, u.org_id,"
	    " " PORTAL_MAIL_WANTED("u.id",
	                           "documents") " AS wanted"
	                                        " FROM users u JOIN orgs o ON o.id = u.org_id"
	                                        " WHERE u.id = ? FOR UPDATE",
	    PORTAL_DB_ARGS(PDB_I(user_id)), &who);
	if (status || !pv_first(who))
		goto done; /* they are gone */
	struct portal_value *user = pv_first(who);
	status = portal_db_query(req, pending_sql, PORTAL_DB_ARGS(PDB_I(user_id), PDB_I(LIST_MAX)),
	                         &rows);
	if (status || !pv_first(rows))
		goto done;
	struct portal_buf sql = {.arena = a};
	size_t count = pv_count(rows), n = 0;
	struct portal_db_arg *args = portal_alloc(a, count * 5 * sizeof *args);
	if (!args) {
		status = 500;
		goto done;
	}
	portal_buf_puts(&sql, "INSERT INTO document_digest (user_id, document_id, org_id, version,"
	                      " kind, listed_at) VALUES ");
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		portal_buf_puts(&sql, n ? ",(?, ?, ?, ?, ?, UTC_TIMESTAMP(6))"
		                        : "(?, ?, ?, ?, ?, UTC_TIMESTAMP(6))");
		args[n++] = PDB_I(user_id);
		args[n++] = PDB_I(pv_get_int(row, "id", 0));
		args[n++] = PDB_I(pv_get_int(row, "org_id", 0));
		args[n++] = PDB_I(pv_get_int(row, "version", 1));
		args[n++] = PDB_S(pv_get_str(row, "kind"));
	}
	portal_buf_puts(&sql, " ON DUPLICATE KEY UPDATE version = VALUES(version),"
	                      " kind = VALUES(kind), listed_at = VALUES(listed_at)");
	if (sql.failed) {
		status = 500;
		goto done;
	}
	if ((status = portal_db_exec(req, sql.data, args, n, NULL, NULL)))
		goto done;
	if (pv_get_int(user, "wanted", 0)) {
		struct portal_value *v = mail_view(req, rows, pv_get_str(user, "name"));
		struct portal_mail mail = {
		    .kind = "documents",
		    .template_name = "digest",
		    .subject = "documents.digest_subject",
		    .org_id = pv_get_int(user, "org_id", 0),
		    .view = v,
		};
		portal_mail_to(&mail, user);
		status = v ? portal_mail(req, &mail) : 500;
		if (status == 422)
			status = 0; /* an address the outbox refuses: covered, no mail */
		else if (!status)
			(*mailed)++;
	}
done:
	if (status) {
		portal_db_rollback(req);
		return status;
	}
	return portal_db_commit(req);
}

int documents_digest(struct portal_req *req)
{
	long long after = 0;
	int mailed = 0, status = 0;
	size_t got;
	do {
		struct portal_value *users;
		if ((status = portal_db_query(
		         req, users_sql, PORTAL_DB_ARGS(PDB_I(after), PDB_I(USERS_SLICE)), &users)))
			break;
		got = pv_count(users);
		pv_foreach(m, users) {
			after = pv_get_int(m->value, "user_id", 0);
			if ((status = digest_user(req, after, &mailed)) || portal_job_stopping())
				break;
		}
	} while (!status && got == USERS_SLICE && !portal_job_stopping());
	if (mailed)
		portal_log("documents: digest mailed to %d residents", mailed);
	return status;
}
