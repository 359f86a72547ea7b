/* The manager's page of a property's documents, /app/properties/{id}/documents
 * (a tab of the property): the list with its actions (a new version, delete,
 * who acknowledged), the upload, and who a document shared so would reach.
 *
 * The page works without script: its upload form sends a plain multiple file
 * input with one set of fields, which this file gives every file of the batch
 * (title empty: each file's name), or the fields once per file as the API
 * takes them. With script (portal.js) the same form becomes a drop zone with
 * a row of fields per file and sends the batch to the API itself. Either way
 * the API's handlers store it (upload.c, document.c, versions.c): the page
 * only adds what a form needs around them. */
#include <portal/datetime.h>
#include <portal/files.h>
#include <portal/input.h>
#include <portal/list.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "documents.h"

/* After a change the page says what happened ("documents.done_<word>"). */
static const char *const done_words[] = {"uploaded", "deleted", "replaced", NULL};

/* The per-file fields of an upload, in the order the API reads them. */
static const char *const per_file[] = {"title",   "category",     "audience",
                                       "unit_id", "requires_ack", NULL};

const struct portal_input documents_page_inputs[] = {
    {"category", PORTAL_IN_CATEGORY, PORTAL_IN_QUERY, .message = "documents.category_invalid"},
    {"check_audience", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = documents_audiences,
     .message = "documents.audience_invalid"},
    {"check_unit_id", PORTAL_IN_ID, PORTAL_IN_QUERY, .message = "documents.unit_invalid"},
    {"done", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = done_words},
    {0},
};

/* The page's form for a new version: its checkbox sends nothing when
 * unticked, which the page reads as "do not notify" (the API's default, when
 * notify is not sent at all, is to notify). */
const struct portal_input documents_page_replace_inputs[] = {
    {"notify", PORTAL_IN_BOOL, 0, .message = "documents.notify_invalid"},
    {0},
};

/* Percent-encoding for a query value (RFC 3986 unreserved characters stay). */
static const char *url_encoded(struct portal_req *req, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	char *enc = portal_alloc(req->arena, 3 * strlen(value) + 1), *o = enc;
	if (!enc)
		return NULL;
	for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s)) {
			*o++ = (char)*s;
		} else {
			*o++ = '%';
			*o++ = hex[*s >> 4];
			*o++ = hex[*s & 15];
		}
	}
	*o = '\0';
	return enc;
}

/* A size as people read it: "830 B", "12 KB", "1,4 MB" (a decimal comma in
 * German). */
static const char *size_text(struct portal_req *req, long long bytes)
{
	struct portal_arena *a = req->arena;
	if (bytes < 1024)
		return portal_sprintf(a, "%lld B", bytes);
	if (bytes < 1024 * 1024)
		return portal_sprintf(a, "%lld KB", (bytes + 512) / 1024);
	char *s = portal_sprintf(a, "%.1f MB", (double)bytes / (1024.0 * 1024.0));
	char *dot = s && strcmp(req->locale, "en") != 0 ? strchr(s, '.') : NULL;
	if (dot)
		*dot = ',';
	return s;
}

/* The first value sent for a per-file field, as text (a typed item, or the
 * body as sent when the inputs were refused); NULL when none. */
static const char *sent_first(struct portal_req *req, const char *name)
{
	const struct portal_value *v = pv_get(req->body, name);
	if (v && v->type == PV_LIST)
		v = pv_first(v);
	if (!v)
		return NULL;
	switch (v->type) {
	case PV_STRING: return pv_str(v);
	case PV_INT: return portal_sprintf(req->arena, "%lld", v->u.i);
	case PV_BOOL: return v->u.b ? "true" : NULL;
	default: return NULL;
	}
}

/* [{value, selected}] of a NULL-terminated table. */
static int options_of(struct portal_req *req, const char *const *table, const char *chosen,
                      struct portal_value **out)
{
	struct portal_arena *a = req->arena;
	if (!(*out = pv_list(a)))
		return 500;
	for (size_t i = 0; table[i]; i++) {
		struct portal_value *o = pv_object(a);
		if (!o || pv_set_str(a, o, "value", table[i]) ||
		    pv_set_bool(a, o, "selected", chosen && strcmp(chosen, table[i]) == 0) ||
		    pv_push(a, *out, o))
			return 500;
	}
	return 0;
}

/* The organisation's categories as [{value, text, selected}]. */
static int category_options(struct portal_req *req, const char *chosen, struct portal_value **out)
{
	struct portal_arena *a = req->arena;
	struct portal_value *names;
	int status = portal_categories(req, &names);
	if (status)
		return status;
	if (!(*out = pv_list(a)))
		return 500;
	pv_foreach(m, names) {
		const char *name = pv_str(m->value);
		struct portal_value *o = pv_object(a);
		if (!o || pv_set_str(a, o, "value", name) ||
		    pv_set_str(a, o, "text", portal_category_text(req, name)) ||
		    pv_set_bool(a, o, "selected", chosen && strcmp(chosen, name) == 0) ||
		    pv_push(a, *out, o))
			return 500;
	}
	return 0;
}

/* The property's units as [{id, name, selected}], the one with id chosen
 * selected. */
static int unit_options(struct portal_req *req, const struct portal_value *units, long long chosen,
                        struct portal_value **out)
{
	struct portal_arena *a = req->arena;
	if (!(*out = pv_list(a)))
		return 500;
	pv_foreach(m, units) {
		long long id = pv_get_int(m->value, "id", 0);
		struct portal_value *o = pv_object(a);
		if (!o || pv_set_int(a, o, "id", id) ||
		    pv_set_str(a, o, "name", pv_get_str(m->value, "name")) ||
		    pv_set_bool(a, o, "selected", id == chosen) || pv_push(a, *out, o))
			return 500;
	}
	return 0;
}

/* What the page shows of each document beside the API's fields: its size
 * and day as text, and its earlier versions (old_versions: {document_id,
 * version, day, size_text}, newest first; managers download them with
 * ?version=N),
 * read for the whole page in one query. */
static int items_decorate(struct portal_req *req, struct portal_value *items)
{
	struct portal_arena *a = req->arena;
	size_t n = 0;
	long long *ids = portal_alloc(a, (pv_count(items) + 1) * sizeof *ids);
	if (!ids)
		return 500;
	pv_foreach(m, items) {
		struct portal_value *d = m->value, *old = pv_list(a);
		const char *day =
		    portal_time_text_of(req, pv_get_str(d, "updated_at"), PORTAL_TIME_DATE);
		if (!old ||
		    pv_set_str(a, d, "size_text", size_text(req, pv_get_int(d, "size", 0))) ||
		    pv_set_str(a, d, "day", day ? day : "") || pv_set(a, d, "old_versions", old) ||
		    pv_set_str(a, d, "category_text",
		               portal_category_text(req, pv_get_str(d, "category"))) ||
		    pv_set_bool(a, d, "has_old", false))
			return 500;
		if (pv_get_int(d, "version", 1) > 1)
			ids[n++] = pv_get_int(d, "id", 0);
	}
	if (!n)
		return 0;
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT f.document_id, f.version, f.size, f.uploaded_at FROM document_files f"
	    " JOIN documents d ON d.id = f.document_id AND d.org_id = f.org_id"
	    " WHERE f.document_id IN " PORTAL_DB_ID_LIST
	    " AND f.org_id = ? AND f.version < d.version"
	    " ORDER BY f.document_id, f.version DESC",
	    PORTAL_DB_ARGS(portal_db_ids(req, ids, n), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	pv_foreach(r, rows) {
		struct portal_value *v = r->value;
		long long id = pv_get_int(v, "document_id", 0);
		const char *day =
		    portal_time_text_of(req, pv_get_str(v, "uploaded_at"), PORTAL_TIME_DATE);
		if (pv_set_str(a, v, "day", day ? day : "") ||
		    pv_set_str(a, v, "size_text", size_text(req, pv_get_int(v, "size", 0))))
			return 500;
		pv_foreach(m, items) {
			if (pv_get_int(m->value, "id", 0) == id &&
			    (pv_push(a, pv_get(m->value, "old_versions"), v) ||
			     pv_set_bool(a, m->value, "has_old", true)))
				return 500;
		}
	}
	return 0;
}

/* The list as the API gives it to managers, filtered only by the page's own
 * query (a refused upload's category is no filter), with the link to the
 * next page. */
static int list_fill(struct portal_req *req, struct portal_value *view, long long property_id)
{
	struct portal_arena *a = req->arena;
	const char *category = pv_str(pv_get(req->query, "category"));
	int status = documents_list_of(req, view, property_id, category);
	if (status != 200)
		return status;
	if (items_decorate(req, pv_get(view, "items")))
		return 500;
	const char *next = pv_get_str(view, "next");
	const char *next_url =
	    next ? portal_sprintf(a, "/app/properties/%lld/documents?after=%s%s%s", property_id,
	                          url_encoded(req, next), category ? "&category=" : "",
	                          category ? url_encoded(req, category) : "")
	         : "";
	if (!next_url || pv_set_str(a, view, "next_url", next_url) ||
	    pv_set_bool(a, view, "any", pv_count(pv_get(view, "items")) > 0))
		return 500;
	return 0;
}

/* How many bytes one request may carry (the core's max_body_bytes, which
 * nginx's client_max_body_size matches): the page's script checks a batch
 * against it before sending, since a browser whose upload nginx cuts short
 * learns nothing but a broken connection. */
static long long request_max(struct portal_req *req)
{
	const char *v = portal_config(req, "max_body_bytes");
	return v ? strtoll(v, NULL, 10) : 0;
}

/* The upload form's fields: as sent when the form is shown again (the
 * first file's: the page's form has one set), else the defaults; and which
 * field was refused (invalid: {field: true}). */
static int upload_fill(struct portal_req *req, struct portal_value *view,
                       const struct portal_value *units)
{
	struct portal_arena *a = req->arena;
	struct portal_value *up = pv_object(a), *invalid = pv_object(a), *categories, *audiences,
	                    *unit_list;
	const char *unit = sent_first(req, "unit_id");
	long long unit_id = 0;
	if (unit && sscanf(unit, "%lld", &unit_id) != 1)
		unit_id = 0;
	const char *title = sent_first(req, "title");
	const char *refused = portal_refused_field(req);
	if (!up || !invalid || category_options(req, sent_first(req, "category"), &categories) ||
	    options_of(req, documents_audiences, sent_first(req, "audience"), &audiences) ||
	    unit_options(req, units, unit_id, &unit_list) ||
	    pv_set_str(a, up, "title", title ? title : "") ||
	    pv_set(a, up, "categories", categories) || pv_set(a, up, "audiences", audiences) ||
	    pv_set(a, up, "units", unit_list) ||
	    pv_set_bool(a, up, "requires_ack", sent_first(req, "requires_ack") != NULL) ||
	    pv_set_int(a, up, "max_mib", portal_setting_int(req, "max_file_mib")) ||
	    pv_set_int(a, up, "request_max", request_max(req)) ||
	    (refused && pv_set_bool(a, invalid, refused, true)) || pv_set(a, view, "upload", up) ||
	    pv_set(a, view, "invalid", invalid))
		return 500;
	return 0;
}

/* "Wer sieht es?": how many people a document shared with the audience (and
 * unit) asked for in the query would reach now, and who; without a question
 * only the form. */
static int check_fill(struct portal_req *req, struct portal_value *view, long long property_id,
                      const struct portal_value *units)
{
	struct portal_arena *a = req->arena;
	const char *audience = pv_str(pv_get(req->query, "check_audience"));
	const struct portal_value *u = pv_get(req->query, "check_unit_id");
	long long unit_id = u && u->type == PV_INT ? u->u.i : 0;
	struct portal_value *check = pv_object(a), *audiences, *unit_list, *people = NULL;
	bool known = unit_id == 0;
	pv_foreach(m, units) {
		known |= pv_get_int(m->value, "id", 0) == unit_id;
	}
	if (!check ||
	    options_of(req, documents_audiences, audience ? audience : "residents", &audiences) ||
	    unit_options(req, units, unit_id, &unit_list))
		return 500;
	/* A unit of another property is no question this page asks. */
	if (audience && known) {
		int status =
		    documents_audience_people(req, property_id, audience, unit_id, &people);
		if (status)
			return status;
	}
	if (pv_set(a, check, "audiences", audiences) || pv_set(a, check, "units", unit_list) ||
	    pv_set_bool(a, check, "asked", people != NULL) ||
	    pv_set_bool(a, check, "internal", audience && strcmp(audience, "internal") == 0) ||
	    pv_set_int(a, check, "count", (long long)pv_count(people)) ||
	    (people && pv_set(a, check, "people", people)) || pv_set(a, view, "check", check))
		return 500;
	return 0;
}

/* The whole page into view: the property, its units, the list, the upload
 * form and the check. 0 or an HTTP status (recorded). */
static int page_fill(struct portal_req *req, struct portal_value *view, long long property_id)
{
	struct portal_arena *a = req->arena;
	struct portal_value *property, *units;
	int status =
	    portal_db_one(req, "SELECT id, name FROM properties WHERE id = ? AND org_id = ?",
	                  PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id)), &property);
	if (!status)
		status = portal_db_query(
		    req,
		    "SELECT id, name FROM units WHERE property_id = ? AND org_id = ? ORDER BY "
		    "name, id",
		    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id)), &units);
	if (!status)
		status = list_fill(req, view, property_id);
	if (!status)
		status = upload_fill(req, view, units);
	if (!status)
		status = check_fill(req, view, property_id, units);
	if (status)
		return status;
	const char *done = pv_str(pv_get(req->query, "done"));
	const char *notice =
	    done ? portal_t(req, portal_sprintf(a, "documents.done_%s", done)) : "";
	if (!notice || pv_set(a, view, "property", property) ||
	    pv_set_bool(a, view, "has_units", pv_count(units) > 0))
		return 500;
	return pv_set_str(a, view, "notice", notice) ? 500 : 0;
}

/* GET /app/properties/{id}/documents, and the form handler of its upload. */
int documents_page(struct portal_req *req, struct portal_value *view)
{
	int status = page_fill(req, view, portal_param_id(req, "id"));
	return status ? status : 200;
}

/* A form of the page that failed (413, 422, ...) is shown again by the core
 * with the reason: the page around it, so that the manager sees what they
 * acted on. The rest is the error alone. */
static int fail_again(struct portal_req *req, struct portal_value *view, long long property_id,
                      int status)
{
	if (!property_id || status < 400 || status >= 500 || status == 401 || status == 404)
		return status;
	int fill = page_fill(req, view, property_id);
	return fill ? portal_fail(req, fill, NULL, NULL, NULL) : status;
}

/* The page's own form sends one set of fields for however many files were
 * chosen: each field sent once is given to every file, so that the batch
 * reads as the API's, a field once per file. */
static int fields_spread(struct portal_req *req)
{
	struct portal_arena *a = req->arena;
	size_t files = 0;
	for (const struct portal_upload *up = req->uploads; up; up = up->next)
		files += strcmp(up->field, "files") == 0;
	for (size_t i = 0; files > 1 && per_file[i]; i++) {
		struct portal_value *v = pv_get(req->body, per_file[i]), *list;
		if (!v || v->type != PV_LIST || pv_count(v) != 1)
			continue;
		if (!(list = pv_list(a)))
			return 500;
		for (size_t n = 0; n < files; n++)
			if (pv_push(a, list, pv_first(v)))
				return 500;
		if (pv_set(a, req->body, per_file[i], list))
			return 500;
	}
	return 0;
}

/* POST /app/properties/{id}/documents: the batch (all files or none), then
 * the page saying so. */
int documents_page_upload(struct portal_req *req, struct portal_value *view)
{
	long long property_id = portal_param_id(req, "id");
	struct portal_value *stored = pv_object(req->arena);
	int status = stored ? fields_spread(req) : 500;
	if (!status)
		status = documents_upload(req, stored);
	if (status != 201)
		return fail_again(req, view, property_id, status);
	return portal_redirect(
	    req,
	    portal_sprintf(req->arena, "/app/properties/%lld/documents?done=uploaded#documents",
	                   property_id));
}

/* The property of document {id} of the caller's organisation, or 404. */
static int document_property(struct portal_req *req, long long *property_id)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req, "SELECT property_id FROM documents WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)), &row);
	*property_id = status ? 0 : pv_get_int(row, "property_id", 0);
	return status;
}

/* POST /app/documents/{id}/delete: the document, its versions and its
 * acknowledgements (document.c), after the page asked. */
int documents_page_delete(struct portal_req *req, struct portal_value *view)
{
	long long property_id = 0;
	int status = document_property(req, &property_id);
	if (!status)
		status = documents_delete(req, view);
	if (status != 204)
		return fail_again(req, view, property_id, status);
	return portal_redirect(
	    req, portal_sprintf(req->arena, "/app/properties/%lld/documents?done=deleted#documents",
	                        property_id));
}

/* POST /app/documents/{id}/file: a new version behind the same link
 * (versions.c); "Bewohner benachrichtigen" unticked sends nothing, which
 * here means no. */
int documents_page_replace(struct portal_req *req, struct portal_value *view)
{
	long long property_id = 0;
	struct portal_value *doc = pv_object(req->arena);
	int status = doc ? document_property(req, &property_id) : 500;
	if (!status && !portal_in_has(req, "notify") &&
	    pv_set_bool(req->arena, req->body, "notify", false))
		status = 500;
	if (!status)
		status = documents_replace(req, doc);
	if (status != 200)
		return fail_again(req, view, status == 404 ? 0 : property_id, status);
	return portal_redirect(
	    req,
	    portal_sprintf(req->arena, "/app/properties/%lld/documents?done=replaced#documents",
	                   property_id));
}
