/* The general invite link of a property, its QR codes, the printable poster and
 * email invitations ("Residents and invitations" in API.md).
 *
 * The token is never stored: it is derived from the deployment's secret_key,
 * the property and the link's generation (portal_token_derive), and only its
 * hash is kept, for the sign-up (join.c) to find the property. So the manager
 * can be shown the same link again, and "Link erneuern" (generation + 1, a new
 * hash) kills the old one at once. Every query is scoped by the caller's
 * organisation: another organisation's property is 404 like a missing one. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <portal/crypto.h>
#include <portal/input.h>
#include <portal/mail.h>

#include <portal/text.h>

#include "invites.h"
#include "qr.h"

#define EMAILS_MAX 500         /* distinct addresses a request may name */
#define EMAIL_ENTRIES_MAX 5000 /* entries before dropping duplicates: bounds the work */
#define INVALID_SHOWN_MAX 300  /* bytes of an invalid entry echoed back */
#define MESSAGE_MAX_CHARS 2000
#define DEFAULT_MESSAGE_PARAGRAPHS 3 /* invites.default_message_1 .. _3 */

/* The page's notices after its own redirects: the invitations sent, the link
 * renewed, the settings saved. */
const struct portal_input invite_show_inputs[] = {
    {"sent", PORTAL_IN_INT, PORTAL_IN_QUERY, 0, EMAILS_MAX},
    {"rotated", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {"saved", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};
/* A form's checkbox is absent when unticked: off (API.md on forms). */
const struct portal_input invite_update_inputs[] = {
    {"approval_required", PORTAL_IN_BOOL, .message = "invites.approval_invalid"},
    {0},
};

/* The link as the database has it, with its property. */
struct link {
	long long property_id;
	const char *property_name;
	long long generation; /* 0: no link yet */
	bool approval_required;
	const char *created_at;
};

/* ------------------------------------------------------------------ the link */

/* base_url without trailing slashes, so links never read "//join". */
static const char *base_url(struct portal_req *req)
{
	const char *base = portal_config(req, "base_url");
	size_t n = base ? strlen(base) : 0;
	while (n > 0 && base[n - 1] == '/')
		n--;
	return portal_strndup(req->arena, base ? base : "", n);
}

/* The token of a generation; 0 or 500 (logged: the deployment lacks its key). */
static int link_token(struct portal_req *req, long long property_id, long long generation,
                      char token[PORTAL_TOKEN_CHARS + 1])
{
	return portal_link_token(req, "invite", property_id, generation, token, NULL);
}

/* The hash join.c looks the token up by, as a binary argument. */
static int link_hash(struct portal_req *req, long long property_id, long long generation,
                     unsigned char hash[PORTAL_HASH_BYTES], struct portal_db_arg *arg)
{
	char token[PORTAL_TOKEN_CHARS + 1];
	*arg = PDB_B(hash, PORTAL_HASH_BYTES);
	return portal_link_token(req, "invite", property_id, generation, token, hash);
}

/* The property of the caller's organisation and its link (generation 0 when
 * it has none yet), or 404. lock: inside a transaction, FOR UPDATE, so two
 * rotations one after the other each get their own generation. */
static int link_read(struct portal_req *req, long long property_id, bool lock, struct link *out)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req,
	    lock ? "SELECT p.id, p.name, l.generation, l.approval_required, l.created_at"
	           " FROM properties p LEFT JOIN invite_links l"
	           " ON l.property_id = p.id AND l.org_id = p.org_id"
	           " WHERE p.id = ? AND p.org_id = ? FOR UPDATE"
	         : "SELECT p.id, p.name, l.generation, l.approval_required, l.created_at"
	           " FROM properties p LEFT JOIN invite_links l"
	           " ON l.property_id = p.id AND l.org_id = p.org_id"
	           " WHERE p.id = ? AND p.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id)), &row);
	if (status)
		return status;
	*out = (struct link){
	    .property_id = pv_get_int(row, "id", 0),
	    .property_name = pv_get_str(row, "name"),
	    .generation = pv_get_int(row, "generation", 0),
	    .approval_required = pv_get_int(row, "approval_required", 0) != 0,
	    .created_at = pv_get_str(row, "created_at"),
	};
	return 0;
}

/* The property's link, made on first use. Showing it changes nothing anyone
 * can observe: generation 1's token follows from the property alone, the row
 * only makes it findable. ON DUPLICATE KEY: two first views at once both
 * succeed, and the row is scoped by the property's organisation in the same
 * statement. */
static int link_load(struct portal_req *req, long long property_id, bool lock, struct link *out)
{
	int status = link_read(req, property_id, lock, out);
	if (status || out->generation > 0)
		return status;
	unsigned char hash[PORTAL_HASH_BYTES];
	struct portal_db_arg hash_arg;
	if ((status = link_hash(req, property_id, 1, hash, &hash_arg)))
		return status;
	status = portal_db_exec(
	    req,
	    "INSERT INTO invite_links (property_id, org_id, generation, token_hash,"
	    " approval_required, created_at)"
	    " SELECT p.id, p.org_id, 1, ?, 0, UTC_TIMESTAMP() FROM properties p"
	    " WHERE p.id = ? AND p.org_id = ?"
	    " ON DUPLICATE KEY UPDATE property_id = invite_links.property_id",
	    PORTAL_DB_ARGS(hash_arg, PDB_I(property_id), PDB_I(req->caller.org_id)), NULL, NULL);
	if (!status)
		status = link_read(req, property_id, lock, out);
	if (!status && out->generation == 0) {
		portal_log("invites: the link of property %lld was not stored", property_id);
		status = 500;
	}
	return status;
}

/* The API's invite: {url, qr_svg_url, qr_png_url, created_at, approval_required}. */
static int link_view(struct portal_req *req, const struct link *l, struct portal_value **out)
{
	struct portal_arena *a = req->arena;
	char token[PORTAL_TOKEN_CHARS + 1];
	int status = link_token(req, l->property_id, l->generation, token);
	if (status)
		return status;
	const char *base = base_url(req);
	struct portal_value *v = pv_object(a);
	const char *url = base ? portal_sprintf(a, "%s/join/%s", base, token) : NULL;
	const char *svg =
	    portal_sprintf(a, "/api/v1/properties/%lld/invite/qr.svg", l->property_id);
	const char *png =
	    portal_sprintf(a, "/api/v1/properties/%lld/invite/qr.png", l->property_id);
	if (!v || !url || !svg || !png || pv_set_str(a, v, "url", url) ||
	    pv_set_str(a, v, "qr_svg_url", svg) || pv_set_str(a, v, "qr_png_url", png) ||
	    pv_set_str(a, v, "created_at", l->created_at) ||
	    pv_set_bool(a, v, "approval_required", l->approval_required))
		return 500;
	*out = v;
	return 0;
}

/* The invitation text the form starts with, in the page's language: the
 * catalog's paragraphs, a blank line apart. NULL on exhaustion. */
static const char *default_message(struct portal_req *req)
{
	const char *text = "";
	for (int i = 1; text && i <= DEFAULT_MESSAGE_PARAGRAPHS; i++) {
		char key[40];
		snprintf(key, sizeof key, "invites.default_message_%d", i);
		text = portal_sprintf(req->arena, "%s%s%s", text, i > 1 ? "\n\n" : "",
		                      portal_t(req, key));
	}
	return text;
}

/* Everything the invite page shows (templates/invite.html), also when a form
 * of it failed and the core shows the page again around the error. */
static int page_fill(struct portal_req *req, struct portal_value *view, const struct link *l)
{
	struct portal_arena *a = req->arena;
	struct portal_value *invite, *property = pv_object(a);
	int status = link_view(req, l, &invite);
	if (status)
		return status;
	const char *message = default_message(req);
	const char *poster =
	    portal_sprintf(a, "/app/properties/%lld/invite/poster", l->property_id);
	long long sent = portal_in_int(req, "sent", -1);
	if (!property || !message || !poster || pv_set_int(a, property, "id", l->property_id) ||
	    pv_set_str(a, property, "name", l->property_name) ||
	    pv_set(a, view, "property", property) || pv_set(a, view, "invite", invite) ||
	    pv_set_str(a, view, "poster_url", poster) || pv_set_str(a, view, "emails_value", "") ||
	    pv_set_str(a, view, "message_value", message) ||
	    pv_set_int(a, view, "message_max", MESSAGE_MAX_CHARS) ||
	    pv_set_int(a, view, "emails_max", EMAILS_MAX) ||
	    pv_set_bool(a, view, "rotated", portal_in_bool(req, "rotated", false)) ||
	    pv_set_bool(a, view, "saved", portal_in_bool(req, "saved", false)) ||
	    (sent >= 0 && pv_set_int(a, view, "sent", sent)))
		return 500;
	return 0;
}

/* A failed form of the page: the field marked for the page shown again (the
 * view was filled before), the error as the API has it. */
static int invite_fail(struct portal_req *req, struct portal_value *view, int status,
                       const char *field, const char *message)
{
	struct portal_arena *a = req->arena;
	struct portal_value *invalid = req->is_api ? NULL : pv_object(a);
	if (!req->is_api && (!invalid || pv_set_bool(a, invalid, field, true) ||
	                     pv_set(a, view, "invalid", invalid)))
		portal_log("invites: the form is shown without its marked field");
	return portal_fail(req, status, "validation", field, message);
}

/* GET /properties/{id}/invite and the page /app/properties/{id}/invite. */
int invite_show(struct portal_req *req, struct portal_value *view)
{
	struct link l = {0};
	struct portal_value *invite;
	int status = link_load(req, portal_param_id(req, "id"), false, &l);
	if (status)
		return status;
	if (!req->is_api)
		return (status = page_fill(req, view, &l)) ? status : 200;
	if ((status = link_view(req, &l, &invite)))
		return status;
	*view = *invite;
	return 200;
}

/* The answer of a change: the invite again (API), or back to the page. */
static int answer_changed(struct portal_req *req, struct portal_value *view, long long property_id,
                          const char *page_flag)
{
	if (!req->is_api)
		return portal_redirect(req,
		                       portal_sprintf(req->arena, "/app/properties/%lld/invite?%s",
		                                      property_id, page_flag));
	struct link l = {0};
	struct portal_value *invite;
	int status = link_load(req, property_id, false, &l);
	if (!status)
		status = link_view(req, &l, &invite);
	if (status)
		return status;
	*view = *invite;
	return 200;
}

/* POST /properties/{id}/invite/rotate and the page's "Link erneuern": a new
 * generation and hash in one statement, so from the commit on the old token
 * finds nothing. */
int invite_rotate(struct portal_req *req, struct portal_value *view)
{
	long long property_id = portal_param_id(req, "id");
	struct link l = {0};
	unsigned char hash[PORTAL_HASH_BYTES];
	struct portal_db_arg hash_arg;
	int status = portal_db_begin(req);
	if (!status)
		status = link_load(req, property_id, true, &l);
	if (!status)
		status = link_hash(req, property_id, l.generation + 1, hash, &hash_arg);
	if (!status)
		status =
		    portal_db_exec(req,
		                   "UPDATE invite_links SET generation = ?, token_hash = ?,"
		                   " created_at = UTC_TIMESTAMP()"
		                   " WHERE property_id = ? AND org_id = ?",
		                   PORTAL_DB_ARGS(PDB_I(l.generation + 1), hash_arg,
		                                  PDB_I(property_id), PDB_I(req->caller.org_id)),
		                   NULL, NULL);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status; /* the core rolls back an open transaction */
	return answer_changed(req, view, property_id, "rotated=1");
}

/* PATCH /properties/{id}/invite {approval_required} and the page's settings
 * form (a checkbox: absent means off, as API.md says of forms). */
int invite_update(struct portal_req *req, struct portal_value *view)
{
	long long property_id = portal_param_id(req, "id");
	struct link l = {0};
	int status = link_load(req, property_id, false, &l);
	if (!status && !req->is_api)
		status = page_fill(req, view, &l);
	if (status)
		return status;
	/* PATCH changes only what is sent; a form always means the checkbox. */
	if (req->is_api && !portal_in_has(req, "approval_required"))
		return answer_changed(req, view, property_id, "saved=1");
	bool approval = portal_in_bool(req, "approval_required", false);
	status = portal_db_exec(
	    req,
	    "UPDATE invite_links SET approval_required = ?"
	    " WHERE property_id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(approval), PDB_I(property_id), PDB_I(req->caller.org_id)), NULL,
	    NULL);
	return status ? status : answer_changed(req, view, property_id, "saved=1");
}

/* ------------------------------------------------------------------ QR codes */

/* The link of the property in the path, for its QR code; 0 or a status. */
static int qr_link(struct portal_req *req, const char **url)
{
	struct link l = {0};
	struct portal_value *invite;
	int status = link_load(req, portal_param_id(req, "id"), false, &l);
	if (!status)
		status = link_view(req, &l, &invite);
	if (!status && !(*url = pv_get_str(invite, "url")))
		status = 500;
	return status;
}

/* A name for "save as": the property's id, never anything a user typed. */
static int qr_disposition(struct portal_req *req, const char *ext)
{
	const char *value = portal_sprintf(req->arena, "inline; filename=\"einladung-%lld.%s\"",
	                                   portal_param_id(req, "id"), ext);
	return !value || portal_set_header(req, "Content-Disposition", value) ? 500 : 0;
}

/* GET /properties/{id}/invite/qr.svg */
int invite_qr_svg(struct portal_req *req, struct portal_value *view)
{
	const char *url;
	char *svg;
	size_t len;
	int status = qr_link(req, &url);
	if (status)
		return status;
	if (qr_svg(req->arena, url, &svg, &len) || qr_disposition(req, "svg"))
		return 500;
	return portal_respond_raw(req, "image/svg+xml", svg, len);
}

/* GET /properties/{id}/invite/qr.png */
int invite_qr_png(struct portal_req *req, struct portal_value *view)
{
	const char *url;
	unsigned char *png;
	size_t len;
	int status = qr_link(req, &url);
	if (status)
		return status;
	if (qr_png(req->arena, url, &png, &len) || qr_disposition(req, "png"))
		return 500;
	return portal_respond_raw(req, "image/png", png, len);
}

/* ------------------------------------------------------------------ the poster */

/* The page /app/properties/{id}/invite/poster: the A4 notice for the hallway,
 * with the organisation's name and logo (templates/poster.html). */
int invite_poster(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct link l = {0};
	struct portal_value *invite, *org, *property = pv_object(a);
	const char *back =
	    portal_sprintf(a, "/app/properties/%lld/invite", portal_param_id(req, "id"));
	int status = link_load(req, portal_param_id(req, "id"), false, &l);
	if (!status)
		status = link_view(req, &l, &invite);
	if (!status)
		status = portal_db_one(req,
		                       "SELECT name, IF(logo_file IS NULL, NULL,"
		                       " CONCAT('/api/v1/orgs/', id, '/logo')) AS logo_url"
		                       " FROM orgs WHERE id = ?",
		                       PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &org);
	if (status)
		return status;
	if (!property || !back || pv_set_int(a, property, "id", l.property_id) ||
	    pv_set_str(a, property, "name", l.property_name) ||
	    pv_set(a, view, "property", property) || pv_set(a, view, "invite", invite) ||
	    pv_set(a, view, "org", org) || pv_set_str(a, view, "back_url", back))
		return 500;
	return 200;
}

/* ------------------------------------------------------------------ email invitations */

/* What separates addresses pasted from a spreadsheet or a mail program: line
 * breaks, commas, semicolons, spaces and tabs; returns the separator's length
 * at s (2 for a no-break space from a spreadsheet cell), or 0. */
static size_t separator_at(const char *s)
{
	if (*s && strchr(" \t\r\n\f\v,;", *s))
		return 1;
	if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
		return 2;
	return 0;
}

/* The addresses of a request, split, trimmed, lower-cased and without
 * duplicates: the valid ones to mail, the invalid ones as written (cut to
 * INVALID_SHOWN_MAX bytes) to report. */
struct recipients {
	const char *valid[EMAILS_MAX];
	size_t nvalid;
	struct portal_value *invalid;     /* list of strings */
	const char *seen[EMAILS_MAX + 1]; /* lower-cased, valid or not */
	size_t nseen;
	size_t entries;
	bool too_many;
};

static char *lower_ascii(struct portal_arena *a, const char *s, size_t n)
{
	char *out = portal_strndup(a, s, n);
	for (char *p = out; p && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}

/* One entry; 0, or 500 on exhaustion. Past EMAILS_MAX distinct or
 * EMAIL_ENTRIES_MAX entries it only records too_many. */
static int recipients_add(struct portal_arena *a, struct recipients *r, const char *s, size_t n)
{
	if (r->too_many || ++r->entries > EMAIL_ENTRIES_MAX) {
		r->too_many = true;
		return 0;
	}
	char *key = lower_ascii(a, s, n);
	if (!key)
		return 500;
	for (size_t i = 0; i < r->nseen; i++)
		if (strcmp(r->seen[i], key) == 0)
			return 0;
	if (r->nseen == EMAILS_MAX) {
		r->too_many = true;
		return 0;
	}
	r->seen[r->nseen++] = key;
	if (portal_email_valid(key)) {
		r->valid[r->nvalid++] = key;
		return 0;
	}
	/* Cut between whole UTF-8 characters (the body is valid UTF-8). */
	size_t shown = n;
	if (shown > INVALID_SHOWN_MAX)
		for (shown = INVALID_SHOWN_MAX;
		     shown > 0 && ((unsigned char)s[shown] & 0xC0) == 0x80;)
			shown--;
	struct portal_value *v = pv_stringn(a, s, shown);
	return !v || pv_push(a, r->invalid, v) ? 500 : 0;
}

static int recipients_split(struct portal_arena *a, struct recipients *r, const char *text)
{
	const char *s = text;
	while (*s) {
		size_t sep;
		while ((sep = separator_at(s)))
			s += sep;
		const char *start = s;
		while (*s && !separator_at(s))
			s++;
		int status = s > start ? recipients_add(a, r, start, (size_t)(s - start)) : 0;
		if (status)
			return status;
	}
	return 0;
}

/* emails: a list of strings, or one string (a textarea); each is split too,
 * so a list item pasted as "a@x.de, b@x.de" counts as two. 0 or 500. */
static int recipients_read(struct portal_req *req, struct recipients *r, const char **as_typed)
{
	struct portal_arena *a = req->arena;
	struct portal_strings emails = portal_in_strings(req, "emails");
	struct portal_buf typed = {.arena = a}; /* for the textarea: one a line */
	portal_buf_puts(&typed, "");
	for (size_t i = 0; i < emails.count; i++)
		portal_buf_printf(&typed, "%s%s", i ? "\n" : "", emails.items[i]);
	if (typed.failed || !(r->invalid = pv_list(a)))
		return 500;
	*as_typed = typed.data;
	for (size_t i = 0; i < emails.count; i++) {
		int status = recipients_split(a, r, emails.items[i]);
		if (status)
			return status;
	}
	return 0;
}

/* The message for the HTML part: paragraphs (split at blank lines) of lines,
 * so line breaks survive while every character stays text. */
static struct portal_value *message_paragraphs(struct portal_arena *a, const char *message)
{
	struct portal_value *paragraphs = pv_list(a), *lines = NULL;
	const char *s = message;
	while (paragraphs && *s) {
		size_t n = strcspn(s, "\n");
		size_t len = n;
		while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0) {
			lines = NULL; /* a blank line ends the paragraph */
		} else {
			struct portal_value *p, *line = pv_object(a);
			if (!lines && (!(p = pv_object(a)) || !(lines = pv_list(a)) ||
			               pv_set(a, p, "lines", lines) || pv_push(a, paragraphs, p)))
				return NULL;
			if (!line || pv_set_bool(a, line, "first", pv_count(lines) == 0) ||
			    pv_set(a, line, "text", pv_stringn(a, s, len)) ||
			    pv_push(a, lines, line))
				return NULL;
		}
		s += n + (s[n] == '\n');
	}
	return paragraphs;
}

const struct portal_input invite_email_inputs[] = {
    /* a textarea's text, or a list; checked address by address below */
    {"emails", PORTAL_IN_STRINGS, PORTAL_IN_MULTILINE, 0, 1 << 20,
     .message = "invites.emails_invalid"},
    {"message", PORTAL_IN_STRING, PORTAL_IN_MULTILINE, 0, MESSAGE_MAX_CHARS,
     .message = "invites.message_invalid"},
    {0},
};

/* The page again when the inputs were refused: the link, what was typed,
 * the refused field marked. */
int invite_email_form(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const struct portal_value *emails = pv_get(req->body, "emails");
	const char *message = pv_get_str(req->body, "message");
	const char *field = portal_refused_field(req);
	struct portal_value *invalid = pv_object(a);
	invite_show(req, view);
	return pv_set_str(a, view, "emails_value", pv_str(emails) ? pv_str(emails) : "") ||
	               pv_set_str(a, view, "message_value", message ? message : "") || !invalid ||
	               (field && pv_set_bool(a, invalid, field, true)) ||
	               pv_set(a, view, "invalid", invalid)
	           ? 500
	           : 0;
}

/* POST /properties/{id}/invite/email {emails, message?} and the page's form:
 * one mail with the link per valid address, all queued in one transaction. */
int invite_email(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	long long property_id = portal_param_id(req, "id");
	struct link l = {0};
	int status = link_load(req, property_id, false, &l);
	if (!status && !req->is_api)
		status = page_fill(req, view, &l);
	if (status)
		return status;

	struct recipients *r = portal_alloc(a, sizeof *r);
	const char *typed = NULL, *message = portal_in_str(req, "message");
	if (!r)
		return 500;
	status = recipients_read(req, r, &typed);
	/* A page that fails shows what was typed, to correct it. */
	if (!req->is_api && (pv_set_str(a, view, "emails_value", typed ? typed : "") ||
	                     pv_set_str(a, view, "message_value", message ? message : "")))
		return 500;
	if (status)
		return status;
	if (r->too_many)
		return invite_fail(req, view, 422, "emails", "invites.emails_too_many");
	if (r->nvalid == 0)
		return invite_fail(req, view, 422, "emails", "invites.emails_none_valid");

	struct portal_value *org, *invite, *mail_view = pv_object(a);
	if ((status = link_view(req, &l, &invite)) ||
	    (status = portal_db_one(req, "SELECT name, locale FROM orgs WHERE id = ?",
	                            PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &org)))
		return status;
	/* No message: the template writes the default in the organisation's
	 * language, which the API caller did not choose a text for. */
	struct portal_value *paragraphs = message ? message_paragraphs(a, message) : pv_list(a);
	if (!mail_view || !paragraphs ||
	    pv_set_str(a, mail_view, "org_name", pv_get_str(org, "name")) ||
	    pv_set_str(a, mail_view, "property_name", l.property_name) ||
	    pv_set_str(a, mail_view, "url", pv_get_str(invite, "url")) ||
	    (message && pv_set_str(a, mail_view, "message", message)) ||
	    pv_set(a, mail_view, "paragraphs", paragraphs))
		return 500;
	struct portal_mail mail = {
	    .locale = pv_get_str(org, "locale"),
	    .kind = "invitation",
	    .template_name = "invitation_resident",
	    .subject = "invites.mail_subject",
	    .org_id = req->caller.org_id,
	    .view = mail_view,
	};
	/* Mail to addresses that are not residents yet: all of them within the
	 * quotas, or none (429, the form as it was sent). The property's link is
	 * a secret: whoever holds it may sign up. */
	if ((status = portal_db_begin(req)) || (status = portal_mail_quota(req, r->nvalid)))
		return status;
	for (size_t i = 0; i < r->nvalid && !status; i++) {
		mail.to = r->valid[i];
		status = portal_mail_secret(req, &mail);
	}
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status; /* the core rolls back: no mail or all of them */

	if (!req->is_api && pv_count(r->invalid) == 0)
		return portal_redirect(req,
		                       portal_sprintf(a, "/app/properties/%lld/invite?sent=%zu",
		                                      property_id, r->nvalid));
	/* The page shows the invalid ones in the form, to correct and send again. */
	if (!req->is_api) {
		struct portal_buf again = {.arena = a};
		portal_buf_puts(&again, "");
		pv_foreach(m, r->invalid)
			portal_buf_printf(&again, "%s%s", m == r->invalid->u.c.head ? "" : "\n",
			                  pv_str(m->value));
		if (again.failed || pv_set_str(a, view, "emails_value", again.data) ||
		    pv_set_str(a, view, "message_value", message ? message : ""))
			return 500;
	}
	struct portal_value *result = req->is_api ? view : pv_object(a);
	if (!result || pv_set_int(a, result, "sent", (long long)r->nvalid) ||
	    pv_set(a, result, "invalid", r->invalid) ||
	    (!req->is_api && pv_set(a, view, "result", result)))
		return 500;
	return 200;
}
