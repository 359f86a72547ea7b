/* What residents see of documents: the page /portal/documents (per property,
 * the documents still to acknowledge on top, then by category, newest
 * first), its form "Gelesen und zur Kenntnis genommen" (POST
 * /portal/documents/{id}/ack, acks.c), and the section on the home (in a
 * manager's preview, what a plain resident sees).
 *
 * The marks: "neu" or "geändert" is what the next digest will say of a
 * document (not yet covered: DOCUMENTS_PENDING), or what the resident's latest
 * digest said of it. So the mail's link leads to a page that marks what the
 * mail listed, until the next digest lists something else.
 *
 * Each is one query: who sees what depends on the person (group, unit,
 * tenancy, acknowledgements), so nothing here is cached per property; a
 * resident moved or removed sees the change at their next request. */
#include <portal/datetime.h>
#include <portal/text.h>
#include <string.h>

#include "documents.h"

#define PAGE_MAX 1000 /* documents on the page; a property has far fewer */
#define HOME_MAX 5
#define HOME_PROPERTIES_MAX 1000

/* "12 KB", "1,4 MB" (a decimal comma in German). */
const char *documents_size_text(struct portal_req *req, long long bytes)
{
	struct portal_arena *a = req->arena;
	bool de = !req->locale || strcmp(req->locale, "en") != 0;
	if (bytes < 1024)
		return portal_sprintf(a, "%lld B", bytes);
	if (bytes < 1024 * 1024)
		return portal_sprintf(a, "%lld KB", (bytes + 1023) / 1024);
	long long tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);
	if (tenths >= 100)
		return portal_sprintf(a, "%lld MB", (tenths + 5) / 10);
	return portal_sprintf(a, "%lld%s%lld MB", tenths / 10, de ? "," : ".", tenths % 10);
}

/* What a person calls the type: "PDF", "JPEG", "Word", else the subtype. */
const char *documents_type_text(struct portal_req *req, const char *content_type)
{
	static const struct {
		const char *type, *text;
	} known[] = {
	    {"application/pdf", "PDF"},
	    {"image/jpeg", "JPEG"},
	    {"image/png", "PNG"},
	    {"image/gif", "GIF"},
	    {"image/webp", "WebP"},
	    {"text/plain", "Text"},
	    {"text/csv", "CSV"},
	    {"application/msword", "Word"},
	    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"},
	    {"application/vnd.ms-excel", "Excel"},
	    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"},
	    {"application/zip", "ZIP"},
	};
	if (!content_type)
		return "";
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strcmp(known[i].type, content_type) == 0)
			return known[i].text;
	const char *slash = strchr(content_type, '/');
	const char *sub = slash ? slash + 1 : content_type;
	return strcmp(sub, "octet-stream") == 0 ? portal_t(req, "documents.type_other") : sub;
}

/* A row as the page and the home show it. */
static int finish(struct portal_req *req, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	long long id = pv_get_int(row, "id", 0);
	const char *pending = pv_get_str(row, "pending"), *listed = pv_get_str(row, "listed");
	const char *mark = pending ? pending : listed;
	const char *acked = pv_get_str(row, "acknowledged_at");
	const char *unit = pv_get_str(row, "unit_name");
	if (pv_set_str(a, row, "url", portal_sprintf(a, "/api/v1/documents/%lld/download", id)) ||
	    pv_set_str(a, row, "size_text", documents_size_text(req, pv_get_int(row, "size", 0))) ||
	    pv_set_str(a, row, "type_text",
	               documents_type_text(req, pv_get_str(row, "content_type"))) ||
	    pv_set_str(a, row, "category_text",
	               portal_category_text(req, pv_get_str(row, "category"))) ||
	    pv_set_str(a, row, "date",
	               portal_time_text_of(req, pv_get_str(row, "updated_at"), PORTAL_TIME_DATE)) ||
	    pv_set_bool(a, row, "is_new", mark && strcmp(mark, "new") == 0) ||
	    pv_set_bool(a, row, "is_changed", mark && strcmp(mark, "changed") == 0) ||
	    pv_set_bool(a, row, "ack_open", pv_get_int(row, "requires_ack", 0) && !acked) ||
	    pv_set_bool(a, row, "requires_ack", pv_get_int(row, "requires_ack", 0) != 0))
		return 500;
	if (acked &&
	    pv_set_str(a, row, "ack_date", portal_time_text_of(req, acked, PORTAL_TIME_DATETIME)))
		return 500;
	return unit ? pv_set_str(a, row, "unit", unit) : 0;
}

/* The columns both lists read: the document, the resident's acknowledgement
 * and what the digest says of it (member m, digest row r). */
#define RESIDENT_COLUMNS                                                                       \
	" d.id, d.title, d.category, d.version, d.requires_ack, d.updated_at, f.size,"         \
	" f.content_type, un.name AS unit_name, p.id AS property_id, p.name AS property_name," \
	" k.acknowledged_at," DOCUMENTS_PENDING " AS pending,"                                 \
	" IF(r.listed_at = (SELECT MAX(l.listed_at) FROM document_digest l"                    \
	" WHERE l.user_id = m.user_id), r.kind, NULL) AS listed"
#define RESIDENT_FROM                                                                           \
	" FROM memberships m JOIN properties p ON p.id = m.property_id AND p.org_id = m.org_id" \
	" JOIN documents d ON d.property_id = m.property_id AND d.org_id = m.org_id"            \
	" AND" DOCUMENTS_SEEN_BY_MEMBER                                                         \
	" JOIN document_files f ON f.document_id = d.id AND f.version = d.version"              \
	" LEFT JOIN units un ON un.id = d.unit_id AND un.org_id = d.org_id"                     \
	" LEFT JOIN document_acks k ON k.document_id = d.id AND k.user_id = m.user_id"          \
	" LEFT JOIN document_digest r ON r.user_id = m.user_id AND r.document_id = d.id"

static const char page_sql[] = "SELECT" RESIDENT_COLUMNS RESIDENT_FROM
                               " WHERE m.user_id = ? AND m.org_id = ? AND m.state = 'active'"
                               " ORDER BY p.name, p.id, d.category, d.id DESC LIMIT ?";

/* The property's entry of the page, added when its first row comes. */
static struct portal_value *property_entry(struct portal_req *req, struct portal_value *list,
                                           struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	struct portal_value *p = pv_object(a);
	if (!p || pv_set_int(a, p, "id", pv_get_int(row, "property_id", 0)) ||
	    pv_set(a, p, "name", pv_get(row, "property_name")) ||
	    pv_set(a, p, "open", pv_list(a)) || pv_set(a, p, "categories", pv_list(a)) ||
	    pv_push(a, list, p))
		return NULL;
	return p;
}

/* GET /portal/documents */
int documents_portal_page(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows, *properties = pv_list(a);
	int status = portal_db_query(
	    req, page_sql,
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id), PDB_I(PAGE_MAX)),
	    &rows);
	if (status)
		return status;
	if (!properties)
		return 500;
	struct portal_value *prop = NULL, *cat = NULL;
	long long prop_id = 0;
	const char *cat_name = NULL;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		if ((status = finish(req, row)))
			return status;
		if (!prop || pv_get_int(row, "property_id", 0) != prop_id) {
			if (!(prop = property_entry(req, properties, row)))
				return 500;
			prop_id = pv_get_int(row, "property_id", 0);
			cat = NULL;
		}
		if (pv_truthy(pv_get(row, "ack_open"))) {
			if (pv_push(a, pv_get(prop, "open"), row) ||
			    pv_set_bool(a, prop, "any_open", 1))
				return 500;
			continue;
		}
		const char *category = pv_get_str(row, "category");
		if (!cat || strcmp(cat_name, category) != 0) {
			cat = pv_object(a);
			cat_name = category;
			if (!cat || pv_set_str(a, cat, "category", category) ||
			    pv_set(a, cat, "label", pv_get(row, "category_text")) ||
			    pv_set(a, cat, "items", pv_list(a)) ||
			    pv_push(a, pv_get(prop, "categories"), cat))
				return 500;
		}
		if (pv_push(a, pv_get(cat, "items"), row))
			return 500;
	}
	return pv_set(a, view, "properties", properties) ||
	               pv_set_bool(a, view, "any", pv_count(rows) > 0) ||
	               pv_set_bool(a, view, "several", pv_count(properties) > 1)
	           ? 500
	           : 200;
}

/* The home's section: the newest few documents the person sees in the
 * properties shown; in a manager's preview, what a plain resident (group
 * "resident", no unit) sees: documents for all residents, not a unit's. */
int documents_home(struct portal_req *req, const long long *property_ids, size_t count,
                   struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	if (count == 0)
		return 204;
	if (count > HOME_PROPERTIES_MAX)
		count = HOME_PROPERTIES_MAX;
	bool preview = portal_is_manager(req);
	struct portal_db_arg *args = portal_alloc(a, (count + 3) * sizeof *args);
	if (!args)
		return 500;
	size_t n = 0;
	if (!preview)
		args[n++] = PDB_I(req->caller.user_id);
	args[n++] = PDB_I(req->caller.org_id);
	const char *in = portal_db_placeholders(req, property_ids, count, args, &n);
	if (!in)
		return 500;
	args[n++] = PDB_I(HOME_MAX);
	const char *sql =
	    preview ? portal_sprintf(
	                  a,
	                  "SELECT d.id, d.title, d.category, d.version, d.requires_ack,"
	                  " d.updated_at, f.size, f.content_type, NULL AS unit_name,"
	                  " p.id AS property_id, p.name AS property_name, NULL AS acknowledged_at,"
	                  " NULL AS pending, NULL AS listed FROM documents d"
	                  " JOIN properties p ON p.id = d.property_id AND p.org_id = d.org_id"
	                  " JOIN document_files f ON f.document_id = d.id AND f.version = d.version"
	                  " WHERE d.org_id = ? AND d.audience = 'residents' AND d.unit_id IS NULL"
	                  " AND d.property_id IN (%s) ORDER BY d.id DESC LIMIT ?",
	                  in)
	            : portal_sprintf(a,
	                             "SELECT" RESIDENT_COLUMNS RESIDENT_FROM
	                             " WHERE m.user_id = ? AND m.org_id = ? AND m.state = 'active'"
	                             " AND m.property_id IN (%s) ORDER BY d.id DESC LIMIT ?",
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
		if ((status = finish(req, m->value)))
			return status;
	}
	return pv_set(a, view, "items", rows) || pv_set_bool(a, view, "several", count > 1) ? 500
	                                                                                    : 0;
}
