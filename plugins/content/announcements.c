/* Announcements (Mitteilungen): a manager writes to one, several or all of the
 * organisation's properties; every registered resident with an active
 * membership in a targeted property gets one mail (one per person, however
 * many of the properties they live in), through the outbox, in the same
 * transaction as the announcement. Residents see the announcements of their
 * active properties; opening one in the portal records a read, which the
 * manager sees as a count and a list of names.
 *
 * Access: every query is scoped by the caller's organisation, and for a
 * resident also by their active memberships; what a caller may not see is 404.
 * The body is plain text: pages get it as paragraphs of text and link parts
 * (announcement_paragraphs), so templates escape every byte of it. */
#include <portal/datetime.h>
#include <portal/files.h>
#include <portal/input.h>
#include <portal/list.h>
#include <portal/mail.h>
#include <portal/picker.h>
#include <portal/text.h>
#include <stdio.h>
#include <string.h>

#include "announcements.h"

#define TITLE_MAX_CHARS 200
#define BODY_MAX_CHARS 20000
#define FILES_MAX 10
#define FILE_MAX_BYTES (10u * 1024 * 1024)
#define FILE_NAME_MAX_BYTES 255
#define HOME_MAX 5
#define HOME_PROPERTIES_MAX 1000
/* The mail carries the text up to here, then links to the rest: portal_mail
 * renders and stores each mail whole, so with 10,000 recipients every
 * character costs 10,000 times (a 20,000-character text took 5.7 s). */
#define MAIL_BODY_MAX_CHARS 1000

/* Who may see announcement a: the manager's organisation, or a resident with an
 * active membership in one of its properties (all of them: any of the org's).
 * Binds: org_id, user_id (0 for a manager), user_id. */
#define VISIBLE                                                                               \
	" a.org_id = ? AND (? = 0 OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = ?" \
	" AND m.org_id = a.org_id AND m.state = 'active' AND (a.all_properties = 1 OR EXISTS" \
	" (SELECT 1 FROM announcement_targets t WHERE t.announcement_id = a.id"               \
	" AND t.property_id = m.property_id))))"

#define COLUMNS                                                                                \
	"a.id, a.title, a.body, a.published_at, a.updated_at, a.all_properties, a.recipients," \
	" COALESCE(u.name, '') AS author_name"

static long long resident_id(const struct portal_req *req)
{
	return portal_is_manager(req) ? 0 : req->caller.user_id;
}

/* ------------------------------------------------------------ body rendering */

/* Characters that end a URL in running text: what cannot stand in one
 * unescaped, and the quotes and brackets people put around one. */
static bool url_char(unsigned char c)
{
	return c > 0x20 && c != 0x7F && !strchr("<>\"'`{}|\\^", c);
}

/* A part of a paragraph: {text, link} where link is "" or the URL (then text
 * is the URL too). Both keys are always set, so a template's section on one
 * never finds the other in an outer context. */
static int part_push(struct portal_req *req, struct portal_value *parts, const char *s, size_t len,
                     bool link)
{
	struct portal_arena *a = req->arena;
	struct portal_value *part = pv_object(a);
	struct portal_value *text = pv_stringn(a, s, len);
	if (!part || !text || pv_set(a, part, "text", text) ||
	    pv_set(a, part, "link", link ? text : pv_string(a, "")) || pv_push(a, parts, part))
		return 500;
	return 0;
}

/* One paragraph's text into parts, http(s) URLs as links. A URL's trailing
 * punctuation belongs to the sentence, not to the address. */
static int paragraph_parts(struct portal_req *req, const char *s, size_t len,
                           struct portal_value *parts)
{
	size_t start = 0, i = 0;
	while (i < len) {
		size_t scheme = 0;
		if (len - i >= 8 && strncasecmp(s + i, "https://", 8) == 0)
			scheme = 8;
		else if (len - i >= 7 && strncasecmp(s + i, "http://", 7) == 0)
			scheme = 7;
		if (!scheme ||
		    (i > 0 && url_char((unsigned char)s[i - 1]) && !strchr("([", s[i - 1]))) {
			i++;
			continue;
		}
		size_t end = i + scheme;
		while (end < len && url_char((unsigned char)s[end]))
			end++;
		while (end > i + scheme && strchr(".,;:!?)]", s[end - 1]))
			end--;
		if (end == i + scheme) {
			i = end;
			continue;
		}
		if (i > start && part_push(req, parts, s + start, i - start, false))
			return 500;
		if (part_push(req, parts, s + i, end - i, true))
			return 500;
		start = i = end;
	}
	if (len > start && part_push(req, parts, s + start, len - start, false))
		return 500;
	return 0;
}

static bool blank_line(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* The body as [{parts: [{text, link}]}]: paragraphs split at blank lines; the
 * single line breaks inside one stay in the text (CSS shows them). */
static int announcement_paragraphs(struct portal_req *req, const char *body,
                                   struct portal_value **out)
{
	struct portal_arena *a = req->arena;
	struct portal_value *list = pv_list(a);
	if (!list)
		return 500;
	const char *p = body ? body : "";
	const char *para = NULL, *para_end = NULL;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		bool blank = blank_line(p, len);
		if (!blank) {
			if (!para)
				para = p;
			para_end = p + len;
		}
		if ((blank || !nl) && para) {
			size_t n = (size_t)(para_end - para);
			while (n > 0 && (para[n - 1] == '\r' || para[n - 1] == ' '))
				n--;
			struct portal_value *o = pv_object(a), *parts = pv_list(a);
			if (!o || !parts || paragraph_parts(req, para, n, parts) ||
			    pv_set(a, o, "parts", parts) || pv_push(a, list, o))
				return 500;
			para = NULL;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	*out = list;
	return 0;
}

/* ------------------------------------------------------------ reading input */

#define TARGETS_MESSAGE "announcements.targets_invalid"

/* The create fields; title, body and targets with flags (a PATCH may leave
 * them out, but not empty them). */
/* clang-format off */
#define ANNOUNCEMENT_FIELDS(flags)                                                         \
	{"title", PORTAL_IN_STRING, flags, 1, TITLE_MAX_CHARS},                            \
	    {"body", PORTAL_IN_STRING, flags | PORTAL_IN_MULTILINE, 1, BODY_MAX_CHARS},    \
	    {"property_ids", PORTAL_IN_PROPERTIES, flags, .message = TARGETS_MESSAGE}
/* clang-format on */

const struct portal_input announcement_create_inputs[] = {
    ANNOUNCEMENT_FIELDS(PORTAL_IN_REQUIRED),
    {"notify", PORTAL_IN_BOOL},
    {0},
};
const struct portal_input announcement_patch_inputs[] = {
    ANNOUNCEMENT_FIELDS(0),
    {"renotify", PORTAL_IN_BOOL},
    {0},
};
/* The detail page's edit form sends every field; its boxes with none ticked
 * would be no recipient at all. */
const struct portal_input announcement_edit_inputs[] = {
    ANNOUNCEMENT_FIELDS(PORTAL_IN_REQUIRED),
    {"renotify", PORTAL_IN_BOOL},
    {0},
};
const struct portal_input announcement_list_inputs[] = {
    {"property_id", PORTAL_IN_ID, PORTAL_IN_QUERY},
    {0},
};
/* What the detail page says after the redirect of a publish or an edit. */
static const char *const done_choices[] = {"published", "updated", NULL};
const struct portal_input announcement_detail_inputs[] = {
    {"done", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = done_choices},
    {0},
};

/* How many non-empty files were sent (a form's empty file field sends one
 * empty part). */
static size_t uploads_count(const struct portal_req *req)
{
	size_t n = 0;
	for (const struct portal_upload *up = req->uploads; up; up = up->next)
		n += strcmp(up->field, "files") == 0 && up->size > 0;
	return n;
}

/* Uploads of field files, checked before anything is stored: how many and how
 * large (413). */
static int uploads_check(struct portal_req *req)
{
	size_t n = 0;
	for (const struct portal_upload *up = req->uploads; up; up = up->next) {
		if (strcmp(up->field, "files") != 0 || up->size == 0)
			continue;
		if (++n > FILES_MAX || up->size > FILE_MAX_BYTES)
			return portal_fail(req, 413, "too_large", "files",
			                   "announcements.files_too_large");
	}
	return 0;
}

/* The client's file name as a display name: cut to the column between whole
 * UTF-8 characters, control characters dropped, never empty. */
static const char *display_name(struct portal_req *req, const char *name)
{
	if (!name || !*name)
		return "file";
	size_t n = strlen(name);
	if (n > FILE_NAME_MAX_BYTES) {
		n = FILE_NAME_MAX_BYTES;
		while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
			n--;
	}
	char *out = portal_strndup(req->arena, name, n);
	if (!out)
		return NULL;
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			*p = ' ';
	return out;
}

/* Files stored by this request, to remove again if the transaction fails. */
struct stored {
	char name[PORTAL_FILE_NAME_CHARS + 1];
	bool created;
};

/* Stores each upload of field files and its row; on failure the files this
 * request created are removed by the caller through stored. */
static int attachments_store(struct portal_req *req, long long announcement_id,
                             struct stored *stored, size_t *nstored)
{
	for (const struct portal_upload *up = req->uploads; up; up = up->next) {
		if (strcmp(up->field, "files") != 0 || up->size == 0)
			continue;
		struct stored *s = &stored[*nstored];
		int status = portal_file_store(req, up, s->name, &s->created);
		if (status)
			return status;
		(*nstored)++;
		const char *name = display_name(req, up->filename);
		/* The client's type is not trusted: what is no image downloads as
		 * bytes, always as an attachment. */
		const char *type = portal_image_type(up);
		if (!name)
			return 500;
		status = portal_db_exec(
		    req,
		    "INSERT INTO announcement_attachments (announcement_id, org_id, name, size,"
		    " content_type, file) VALUES (?, ?, ?, ?, ?, ?)",
		    PORTAL_DB_ARGS(PDB_I(announcement_id), PDB_I(req->caller.org_id), PDB_S(name),
		                   PDB_I((long long)up->size),
		                   PDB_S(type ? type : "application/octet-stream"), PDB_S(s->name)),
		    NULL, NULL);
		if (status)
			return status;
	}
	return 0;
}

static void stored_discard(struct portal_req *req, const struct stored *stored, size_t n)
{
	for (size_t i = 0; i < n; i++)
		portal_file_discard(req, stored[i].name, stored[i].created);
}

/* Writes the targets (property_ids, checked to be the organisation's; the
 * insert stays scoped by it all the same).
 * replace: an update's, whose old targets go first. A new item has none, and
 * deleting them anyway would lock the gap at the end of the targets' key,
 * where parallel creates then deadlock over inserting. */
static int targets_write(struct portal_req *req, long long id, const struct portal_ids *t,
                         bool replace)
{
	int status =
	    !replace
	        ? 0
	        : portal_db_exec(req, "DELETE FROM announcement_targets WHERE announcement_id = ?",
	                         PORTAL_DB_ARGS(PDB_I(id)), NULL, NULL);
	for (size_t i = 0; !status && !t->all && i < t->count; i++)
		status = portal_db_exec(
		    req,
		    "INSERT INTO announcement_targets (announcement_id, property_id)"
		    " SELECT ?, p.id FROM properties p WHERE p.id = ? AND p.org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(t->ids[i]), PDB_I(req->caller.org_id)), NULL,
		    NULL);
	return status;
}

/* ------------------------------------------------------------ mail fan-out */

/* body cut after MAIL_BODY_MAX_CHARS characters, between whole UTF-8
 * characters, at the last space before when there is one; *cut says whether
 * anything was left out. NULL on exhaustion. */
static const char *mail_excerpt(struct portal_req *req, const char *body, bool *cut)
{
	size_t chars = 0, i = 0, space = 0;
	*cut = false;
	for (; body[i]; i++) {
		if (((unsigned char)body[i] & 0xC0) == 0x80)
			continue;
		if (chars++ == MAIL_BODY_MAX_CHARS) {
			*cut = true;
			break;
		}
		if (body[i] == ' ' || body[i] == '\n')
			space = i;
	}
	if (!*cut)
		return body;
	return portal_strndup(req->arena, body, space > i / 2 ? space : i);
}

/* Mails every registered resident with an active membership in a targeted
 * property, once each, unless they turned announcement mails off. One query
 * finds them all; each mail is queued in the open transaction. changes is
 * NULL for a new announcement, else what an edit changed. *sent: how many. */
static int recipients_mail(struct portal_req *req, long long id, const char *title,
                           const char *body, bool all, const struct portal_value *changes,
                           long long *sent)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows, *org;
	int status = portal_db_one(req, "SELECT name FROM orgs WHERE id = ?",
	                           PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &org);
	if (!status)
		status = portal_db_query(
		    req,
		    "SELECT DISTINCT u.id, u.email, u.name, COALESCE(u.locale, o.locale) AS locale"
		    " FROM users u JOIN orgs o ON o.id = u.org_id"
		    " JOIN memberships m ON m.user_id = u.id AND m.org_id = u.org_id"
		    " AND m.state = 'active'"
		    " WHERE u.org_id = ? AND u.role = 'resident'"
		    " AND " PORTAL_MAIL_WANTED("u.id",
		                               "announcements") " AND (? = 1 OR m.property_id IN "
		                                                "(SELECT t.property_id FROM "
		                                                "announcement_targets t"
		                                                " WHERE t.announcement_id = ?))",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(all ? 1 : 0), PDB_I(id)),
		    &rows);
	if (status)
		return status;
	/* The view is the same for everyone: the person appears only in the
	 * headers, so the mail says nothing one resident may not know of another. */
	struct portal_value *v = pv_object(a);
	bool cut;
	const char *excerpt = mail_excerpt(req, body, &cut);
	const char *org_name = pv_get_str(org, "name");
	const char *url = portal_sprintf(a, "/portal/announcements/%lld", id);
	if (!v || !url || !excerpt || pv_set_str(a, v, "title", title) ||
	    pv_set_str(a, v, "body", excerpt) || pv_set_bool(a, v, "cut", cut) ||
	    pv_set_str(a, v, "org_name", org_name ? org_name : "") ||
	    pv_set_str(a, v, "path", url) || pv_set_bool(a, v, "updated", changes != NULL))
		return 500;
	if (changes && pv_set(a, v, "changes", (struct portal_value *)changes))
		return 500;
	struct portal_mail mail = {
	    .kind = "announcements",
	    .template_name = "announcement",
	    .subject =
	        changes ? "announcements.mail_subject_updated" : "announcements.mail_subject",
	    .org_id = req->caller.org_id,
	    .view = v,
	};
	/* One rendering per language and a few statements for all of them:
	 * thousands of residents are queued within the request. */
	size_t n = 0, queued = 0;
	struct portal_recipient *to = portal_mail_recipients(req, rows, &n);
	if (!to)
		return 500;
	status = portal_mail_many(req, &mail, to, n, &queued);
	*sent = (long long)queued;
	return status;
}

/* ------------------------------------------------------------ reading rows */

/* The union's columns keep one type, so that numbers stay numbers (an INT
 * beside a BIGINT UNSIGNED would make them all DECIMAL, read as text). */
#define NO_NUMBER "CAST(0 AS SIGNED)"

/* What rows_complete reads for the announcements lo..hi, in one statement:
 * rows of part 1 are their properties (id, name; a resident sees only their
 * own among the targets, and an announcement to all shows them all of
 * theirs), of part 2 their attachments (id, name, size), of part 3 for
 * managers the count of their reads (n); properties by name, attachments in
 * the order they were added. */
#define COMPLETION                                                                              \
	"SELECT 1 AS part, a.id AS announcement_id, p.id, p.name, " NO_NUMBER " AS size,"       \
	" " NO_NUMBER " AS n"                                                                   \
	" FROM announcements a JOIN properties p ON p.org_id = a.org_id"                        \
	" AND (a.all_properties = 1 AND ? <> 0 OR EXISTS (SELECT 1 FROM announcement_targets t" \
	" WHERE t.announcement_id = a.id AND t.property_id = p.id))"                            \
	" WHERE a.org_id = ? AND a.id BETWEEN ? AND ? AND (? = 0 OR EXISTS (SELECT 1"           \
	" FROM memberships m WHERE m.user_id = ? AND m.property_id = p.id"                      \
	" AND m.state = 'active'))"                                                             \
	" UNION ALL SELECT 2, announcement_id, id, name, CAST(size AS SIGNED), " NO_NUMBER      \
	" FROM announcement_attachments"                                                        \
	" WHERE org_id = ? AND announcement_id BETWEEN ? AND ?"                                 \
	" UNION ALL SELECT 3, r.announcement_id, CAST(0 AS UNSIGNED), NULL, " NO_NUMBER         \
	", COUNT(*)"                                                                            \
	" FROM announcement_reads r"                                                            \
	" JOIN announcements a ON a.id = r.announcement_id"                                     \
	" WHERE ? = 0 AND a.org_id = ? AND a.id BETWEEN ? AND ? GROUP BY r.announcement_id"     \
	" ORDER BY part, IF(part = 1, name, NULL), id"

/* Adds properties, attachments (and for managers reads) to the rows of one
 * page: one query for all of them (COMPLETION), not one per row or part. */
static int rows_complete(struct portal_req *req, struct portal_value *rows, bool page)
{
	struct portal_arena *a = req->arena;
	if (pv_count(rows) == 0)
		return 0;
	long long lo = 0, hi = 0;
	pv_foreach(m, rows) {
		long long id = pv_get_int(m->value, "id", 0);
		if (!lo || id < lo)
			lo = id;
		if (id > hi)
			hi = id;
	}
	long long uid = resident_id(req), org = req->caller.org_id;
	struct portal_value *parts;
	int status =
	    portal_db_query(req, COMPLETION,
	                    PORTAL_DB_ARGS(PDB_I(uid), PDB_I(org), PDB_I(lo), PDB_I(hi), PDB_I(uid),
	                                   PDB_I(uid), PDB_I(org), PDB_I(lo), PDB_I(hi), PDB_I(uid),
	                                   PDB_I(org), PDB_I(lo), PDB_I(hi)),
	                    &parts);
	if (status)
		return status;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		long long id = pv_get_int(row, "id", 0);
		struct portal_value *plist = pv_list(a), *flist = pv_list(a),
		                    *author = pv_object(a);
		if (!plist || !flist || !author)
			return 500;
		long long nreads = 0;
		pv_foreach(p, parts) {
			const struct portal_value *r = p->value;
			if (pv_get_int(r, "announcement_id", 0) != id)
				continue;
			long long part = pv_get_int(r, "part", 0), pid = pv_get_int(r, "id", 0);
			if (part == 3) {
				nreads = pv_get_int(r, "n", 0);
				continue;
			}
			struct portal_value *o = pv_object(a);
			if (!o || pv_set_int(a, o, "id", pid) ||
			    pv_set_str(a, o, "name", pv_get_str(r, "name")))
				return 500;
			if (part == 1 && pv_push(a, plist, o))
				return 500;
			if (part != 2)
				continue;
			const char *url = portal_sprintf(
			    a, "/api/v1/announcements/%lld/attachments/%lld", id, pid);
			if (!url || pv_set_int(a, o, "size", pv_get_int(r, "size", 0)) ||
			    pv_set_str(a, o, "url", url) || pv_push(a, flist, o))
				return 500;
		}
		bool all = pv_get_int(row, "all_properties", 0) != 0;
		if (pv_set_str(a, author, "name", pv_get_str(row, "author_name")) ||
		    pv_set(a, row, "author", author) || pv_set(a, row, "properties", plist) ||
		    pv_set(a, row, "attachments", flist) ||
		    pv_set_bool(a, row, "all_properties", all))
			return 500;
		/* Counts are the managers'; a resident learns nothing of the others. */
		if (uid)
			pv_remove(row, "recipients");
		else if (pv_set_int(a, row, "reads", nreads))
			return 500;
		struct portal_value *paras;
		const char *date =
		    portal_time_text_of(req, pv_get_str(row, "published_at"), PORTAL_TIME_DATE);
		if (page && (pv_set_str(a, row, "date", date) ||
		             announcement_paragraphs(req, pv_get_str(row, "body"), &paras) ||
		             pv_set(a, row, "paragraphs", paras) ||
		             pv_set(a, row, "has_attachments", pv_bool(a, pv_count(flist) > 0))))
			return 500;
	}
	return 0;
}

/* One announcement the caller may see, complete, or 404. */
static int announcement_load(struct portal_req *req, long long id, bool page,
                             struct portal_value **out)
{
	long long uid = resident_id(req);
	int status = portal_db_one(
	    req,
	    "SELECT " COLUMNS " FROM announcements a LEFT JOIN users u ON u.id = a.author_id"
	    " WHERE a.id = ? AND" VISIBLE,
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id), PDB_I(uid), PDB_I(uid)), out);
	if (status)
		return status;
	/* completed as a page of one */
	struct portal_value *rows = pv_list(req->arena);
	if (!rows || pv_push(req->arena, rows, *out))
		return 500;
	return rows_complete(req, rows, page);
}

/* ------------------------------------------------------------ pages' helpers */

#define NEW_PAGE "/app/content/announcement/new"

/* The edit form's picker ("Senden an", core's picker.html) of the page at
 * action, with the targets of row (NULL: a new announcement, none). */
static int targets_picker(struct portal_req *req, struct portal_value *view, const char *action,
                          const struct portal_value *row)
{
	struct portal_picker picker = {
	    .id = "target",
	    .field = "property_ids",
	    .legend = "announcements.send_to",
	    .action = action,
	    .all = row && pv_truthy(pv_get(row, "all_properties")),
	    .chosen = row ? pv_get(row, "properties") : NULL,
	};
	return action ? portal_picker(req, view, &picker) : 500;
}

/* "Neue Mitteilung": the picker, and the notify box (on, unless the form
 * was sent with it off; the other fields as sent are the core's form). */
static int new_page(struct portal_req *req, struct portal_value *view)
{
	bool notify = portal_form_sent(req, NEW_PAGE) ? portal_in_bool(req, "notify", false) : true;
	int status = targets_picker(req, view, NEW_PAGE, NULL);
	if (status)
		return status;
	return pv_set_bool(req->arena, view, "notify", notify) ? 500 : 0;
}

/* GET /app/content: "Neuer Inhalt", links to each kind of content. */
int announcement_hub(struct portal_req *req, struct portal_value *view)
{
	return 200;
}

/* GET /app/content/announcement/new, and its form shown again (refused, or
 * its picker's search) */
int announcement_new_form(struct portal_req *req, struct portal_value *view)
{
	int status = new_page(req, view);
	return status ? status : 200;
}

/* The end of a create's or an update's transaction (status: how it went so
 * far): what residents see changed, so no cached home of before, and it is
 * committed; or it is rolled back and the files it stored go. 0 or an HTTP
 * status. */
static int change_commit(struct portal_req *req, int status, const struct stored *stored,
                         size_t nstored)
{
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (status) {
		if (portal_db_rollback(req))
			portal_log("announcements: rollback after a failed change failed");
		stored_discard(req, stored, nstored);
	}
	return status;
}

/* After a create or an update: the page goes to the announcement with the
 * notice done (one of done_choices), the API answers it with answer. */
static int announcement_answer(struct portal_req *req, long long id, const char *done, int answer,
                               struct portal_value *view)
{
	if (!req->is_api)
		return portal_redirect(
		    req, portal_sprintf(req->arena, "/app/content/announcements/%lld?done=%s", id,
		                        done));
	struct portal_value *row;
	int status = announcement_load(req, id, false, &row);
	if (status)
		return status;
	*view = *row;
	return answer;
}

/* ------------------------------------------------------------ handlers */

/* POST /announcements and the form of /app/content/announcement/new: the
 * announcement, its targets, attachments and every mail in one transaction. */
int announcement_create(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const char *title = portal_in_str(req, "title"), *body = portal_in_str(req, "body");
	struct portal_ids targets = portal_in_ids(req, "property_ids");
	/* A page's checkbox sends nothing when unticked: absent is off there. */
	bool notify = portal_in_bool(req, "notify", req->is_api);
	int status = uploads_check(req);
	/* A page refused for its files is shown again with the choices it made. */
	if (status && !req->is_api) {
		int page = new_page(req, view);
		return page ? page : status;
	}
	if (status)
		return status;

	struct stored *stored = portal_alloc(a, FILES_MAX * sizeof *stored);
	size_t nstored = 0;
	unsigned long long id = 0;
	long long sent = 0;
	if (!stored)
		return 500;
	status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO announcements (org_id, title, body, all_properties, author_id,"
		    " recipients, published_at, updated_at)"
		    " VALUES (?, ?, ?, ?, ?, 0, UTC_TIMESTAMP(), UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(title), PDB_S(body),
		                   PDB_I(targets.all ? 1 : 0), PDB_I(req->caller.user_id)),
		    NULL, &id);
	if (!status)
		status = targets_write(req, (long long)id, &targets, false);
	if (!status)
		status = attachments_store(req, (long long)id, stored, &nstored);
	if (!status && notify)
		status = recipients_mail(req, (long long)id, title, body, targets.all, NULL, &sent);
	if (!status && sent)
		status =
		    portal_db_exec(req, "UPDATE announcements SET recipients = ? WHERE id = ?",
		                   PORTAL_DB_ARGS(PDB_I(sent), PDB_I((long long)id)), NULL, NULL);
	if ((status = change_commit(req, status, stored, nstored)))
		return status;
	return announcement_answer(req, (long long)id, "published", 201, view);
}

/* The page's "after" link, or "". */
static int next_link(struct portal_req *req, struct portal_value *view)
{
	const char *next = pv_get_str(view, "next");
	const char *url =
	    next ? portal_sprintf(req->arena, "/app/content/announcements?after=%s", next) : "";
	return !url || pv_set_str(req->arena, view, "next_url", url) ? 500 : 0;
}

/* GET /announcements (managers: the organisation's; residents: those of their
 * active properties) and the managers' page /app/content/announcements. */
int announcement_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_page page;
	long long property = portal_in_int(req, "property_id", 0);
	int status = portal_list_page(req, &page);
	if (status)
		return status;
	long long after = page.after;
	int limit = page.limit;
	long long uid = resident_id(req);
	struct portal_value *rows;
	/* Ids grow with publishing time: the newest first is the highest id, and
	 * the id alone is the keyset. */
	status = portal_db_query(
	    req,
	    "SELECT " COLUMNS " FROM announcements a LEFT JOIN users u ON u.id = a.author_id"
	    " WHERE" VISIBLE " AND (? = 0 OR a.id < ?)"
	    " AND (? = 0 OR (EXISTS (SELECT 1 FROM properties p WHERE p.id = ? AND p.org_id = "
	    "a.org_id)"
	    " AND (a.all_properties = 1 OR EXISTS (SELECT 1 FROM announcement_targets t"
	    " WHERE t.announcement_id = a.id AND t.property_id = ?))"
	    " AND (? = 0 OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = ?"
	    " AND m.property_id = ? AND m.state = 'active'))))"
	    " ORDER BY a.id DESC LIMIT ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(uid), PDB_I(uid), PDB_I(after),
	                   PDB_I(after), PDB_I(property), PDB_I(property), PDB_I(property),
	                   PDB_I(uid), PDB_I(uid), PDB_I(property), PDB_I(limit + 1)),
	    &rows);
	if (status)
		return status;
	if ((status = rows_complete(req, rows, !req->is_api)))
		return status;
	if (portal_list_view(req, view, rows, limit, NULL))
		return 500;
	if (req->is_api)
		return 200;
	return next_link(req, view) || pv_set_bool(req->arena, view, "any", pv_count(rows) > 0)
	           ? 500
	           : 200;
}

/* The readers of an announcement, for its manager: names and when. */
static int readers_fill(struct portal_req *req, long long id, struct portal_value *row)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT u.name, r.read_at FROM announcement_reads r JOIN users u ON u.id = r.user_id"
	    " JOIN announcements a ON a.id = r.announcement_id AND a.org_id = u.org_id"
	    " WHERE r.announcement_id = ? AND a.org_id = ? ORDER BY r.read_at, u.id",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		const char *date =
		    portal_time_text_of(req, pv_get_str(m->value, "read_at"), PORTAL_TIME_DATE);
		if (pv_set_str(req->arena, m->value, "date", date))
			return 500;
	}
	return pv_set(req->arena, row, "readers", rows) ? 500 : 0;
}

/* The edit form's fields as stored. */
static struct portal_value *draft_stored(struct portal_req *req, const struct portal_value *row)
{
	struct portal_value *draft = pv_object(req->arena);
	return !draft || pv_set_str(req->arena, draft, "title", pv_get_str(row, "title")) ||
	               pv_set_str(req->arena, draft, "body", pv_get_str(row, "body"))
	           ? NULL
	           : draft;
}

/* What the detail page needs beside the announcement and its readers: the
 * edit form's picker and fields (draft: as stored, or as sent when the form
 * was: its picker's search, or its refused submission). */
static int detail_page(struct portal_req *req, struct portal_value *view, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	const char *done = portal_in_str(req, "done");
	const char *key = done ? portal_sprintf(a, "announcements.done_%s", done) : NULL;
	const char *notice = key ? portal_t(req, key) : "";
	const char *url =
	    portal_sprintf(a, "/app/content/announcements/%lld", pv_get_int(row, "id", 0));
	bool sent = url && portal_form_sent(req, url);
	struct portal_value *draft = sent ? req->body : draft_stored(req, row);
	int status = targets_picker(req, view, url, row);
	if (status)
		return status;
	return !draft || pv_set(a, view, "draft", draft) || pv_set(a, view, "announcement", row) ||
	               pv_set_str(a, view, "notice", notice) ||
	               pv_set_bool(a, view, "renotify",
	                           sent && portal_in_bool(req, "renotify", false))
	           ? 500
	           : 0;
}

/* The detail page shown again around its refused edit form. */
static int detail_again(struct portal_req *req, struct portal_value *view, struct portal_value *row,
                        int refused)
{
	int status = readers_fill(req, pv_get_int(row, "id", 0), row);
	if (!status)
		status = detail_page(req, view, row);
	return status ? status : refused;
}

/* GET /announcements/{id}, /app/content/announcements/{id} (managers) and
 * /portal/announcements/{id} (residents: opening it records the read, once
 * per person however often). */
int announcement_show(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct portal_value *row;
	int status = announcement_load(req, id, !req->is_api, &row);
	if (status)
		return status;
	if (!portal_is_manager(req)) {
		status = portal_db_exec(
		    req,
		    "INSERT IGNORE INTO announcement_reads (announcement_id, user_id, read_at)"
		    " VALUES (?, ?, UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.user_id)), NULL, NULL);
	} else {
		status = readers_fill(req, id, row);
		if (!status && !req->is_api)
			status = detail_page(req, view, row);
	}
	if (status)
		return status;
	if (req->is_api) {
		*view = *row;
		return 200;
	}
	return portal_is_manager(req) ? 200
	                              : (pv_set(req->arena, view, "announcement", row) ? 500 : 200);
}

/* Appends a changed field's locale key to changes. */
static int change_add(struct portal_req *req, struct portal_value *changes, const char *key)
{
	struct portal_value *o = pv_object(req->arena);
	return !o || pv_set_str(req->arena, o, "what", portal_t(req, key)) ||
	               pv_push(req->arena, changes, o)
	           ? 500
	           : 0;
}

/* PATCH /announcements/{id} and the detail page's edit form: the create
 * fields that are sent change; renotify mails the recipients again (as they
 * are now) with what changed. */
int announcement_update(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	long long id = portal_param_id(req, "id");
	struct portal_value *row;
	int status = announcement_load(req, id, !req->is_api, &row);
	if (status)
		return status;
	const char *title = portal_in_str(req, "title"), *body = portal_in_str(req, "body");
	struct portal_ids targets = portal_in_ids(req, "property_ids");
	bool renotify = portal_in_bool(req, "renotify", false);
	bool retarget = portal_in_has(req, "property_ids");
	if ((status = uploads_check(req)))
		return req->is_api ? status : detail_again(req, view, row, status);

	struct portal_value *changes = pv_list(a);
	const char *old_title = pv_get_str(row, "title"), *old_body = pv_get_str(row, "body");
	if (!changes ||
	    (title && strcmp(title, old_title) &&
	     change_add(req, changes, "announcements.changed_title")) ||
	    (body && strcmp(body, old_body) &&
	     change_add(req, changes, "announcements.changed_body")) ||
	    (retarget && change_add(req, changes, "announcements.changed_targets")))
		return 500;
	if (uploads_count(req) && change_add(req, changes, "announcements.changed_files"))
		return 500;
	bool all = retarget ? targets.all : pv_truthy(pv_get(row, "all_properties"));
	struct stored *stored = portal_alloc(a, FILES_MAX * sizeof *stored);
	size_t nstored = 0;
	long long sent = 0;
	if (!stored)
		return 500;
	status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE announcements SET title = COALESCE(?, title), body = COALESCE(?, body),"
		    " all_properties = ?, updated_at = UTC_TIMESTAMP() WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_S(title), PDB_S(body), PDB_I(all ? 1 : 0), PDB_I(id),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	if (!status && retarget)
		status = targets_write(req, id, &targets, true);
	if (!status)
		status = attachments_store(req, id, stored, &nstored);
	if (!status && renotify) {
		status = recipients_mail(req, id, title ? title : old_title, body ? body : old_body,
		                         all, changes, &sent);
		if (!status)
			status = portal_db_exec(
			    req,
			    "UPDATE announcements SET recipients = ? WHERE id = ? AND org_id = ?",
			    PORTAL_DB_ARGS(PDB_I(sent), PDB_I(id), PDB_I(req->caller.org_id)), NULL,
			    NULL);
	}
	if ((status = change_commit(req, status, stored, nstored)))
		return status;
	return announcement_answer(req, id, "updated", 200, view);
}

/* DELETE /announcements/{id} and the detail page's confirmed delete. Targets,
 * reads and attachment rows go through foreign keys; then each attachment's
 * stored file that no other row names. */
int announcement_delete(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct portal_value *files;
	int status = portal_db_begin(req);
	if (!status)
		status =
		    portal_db_query(req,
		                    "SELECT DISTINCT file FROM announcement_attachments"
		                    " WHERE announcement_id = ? AND org_id = ? FOR UPDATE",
		                    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &files);
	if (!status)
		status =
		    portal_db_exec_one(req, "DELETE FROM announcements WHERE id = ? AND org_id = ?",
		                       PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)));
	if (!status)
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	pv_foreach(m, files)
		portal_file_release(req, pv_get_str(m->value, "file"));
	return req->is_api ? 204 : portal_redirect(req, "/app/content/announcements");
}

/* GET /announcements/{id}/attachments/{attachment_id}: for whoever may see
 * the announcement, as an attachment under its original name. */
int announcement_attachment(struct portal_req *req, struct portal_value *view)
{
	long long uid = resident_id(req);
	struct portal_value *f;
	int status = portal_db_one(
	    req,
	    "SELECT f.name, f.content_type, f.file FROM announcement_attachments f"
	    " JOIN announcements a ON a.id = f.announcement_id AND a.org_id = f.org_id"
	    " WHERE f.id = ? AND a.id = ? AND" VISIBLE,
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "attachment_id")),
	                   PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id), PDB_I(uid),
	                   PDB_I(uid)),
	    &f);
	if (status)
		return status;
	return portal_file_send(req, pv_get_str(f, "file"), pv_get_str(f, "content_type"),
	                        pv_get_str(f, "name"));
}

/* The residents' home: the newest announcements of the properties shown. In a
 * manager's preview the same list, and nothing is recorded. */
int announcement_home_fill(struct portal_req *req, const long long *property_ids, size_t count,
                           struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	if (count == 0)
		return 204;
	if (count > HOME_PROPERTIES_MAX)
		count = HOME_PROPERTIES_MAX;
	struct portal_db_arg *args = portal_alloc(a, (count + 3) * sizeof *args);
	if (!args)
		return 500;
	size_t n = 0;
	args[n++] = PDB_I(req->caller.org_id);
	const char *in = portal_db_placeholders(req, property_ids, count, args, &n);
	if (!in)
		return 500;
	args[n++] = PDB_I(HOME_MAX);
	const char *sql = portal_sprintf(
	    a,
	    "SELECT a.id, a.title, a.body, a.published_at FROM announcements a WHERE a.org_id = ?"
	    " AND (a.all_properties = 1 OR EXISTS (SELECT 1 FROM announcement_targets t"
	    " JOIN properties p ON p.id = t.property_id AND p.org_id = a.org_id"
	    " WHERE t.announcement_id = a.id AND t.property_id IN (%s)))"
	    " ORDER BY a.id DESC LIMIT ?",
	    in);
	struct portal_value *rows;
	if (!sql)
		return 500;
	int status = portal_db_query(req, sql, args, n, &rows);
	if (status)
		return status;
	if (pv_count(rows) == 0)
		return 204;
	pv_foreach(m, rows) {
		const char *date = portal_time_text_of(req, pv_get_str(m->value, "published_at"),
		                                       PORTAL_TIME_DATE);
		if (pv_set_str(a, m->value, "date", date))
			return 500;
	}
	return pv_set(a, view, "items", rows) ? 500 : 0;
}
