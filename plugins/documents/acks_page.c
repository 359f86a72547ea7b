/* Who acknowledged a document and who did not yet, for its managers:
 * /app/documents/{id}/acks as a page (by unit, those still open first) and,
 * with ?format=csv, as a spreadsheet. The people are the API's
 * (GET /documents/{id}/acks, acks.c): everyone who may see the document now. */
#include <portal/datetime.h>
#include <portal/input.h>
#include <portal/text.h>
#include <string.h>

#include "documents.h"

static const char *const formats[] = {"csv", NULL};

const struct portal_input documents_acks_page_inputs[] = {
    {"format", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = formats},
    {0},
};

/* The list as CSV: one row a person, every cell through portal_csv_cell (a
 * name like "=HYPERLINK(...)" stays text), with a byte order mark so that
 * spreadsheets read UTF-8, and ';' between cells as German ones expect. */
static int acks_csv(struct portal_req *req, const struct portal_value *doc,
                    const struct portal_value *items)
{
	struct portal_buf b = {.arena = req->arena};
	portal_buf_puts(&b, "\xEF\xBB\xBF");
	portal_csv_cell(&b, portal_t(req, "documents.acks_name"));
	portal_buf_puts(&b, ";");
	portal_csv_cell(&b, portal_t(req, "documents.acks_group"));
	portal_buf_puts(&b, ";");
	portal_csv_cell(&b, portal_t(req, "documents.unit"));
	portal_buf_puts(&b, ";");
	portal_csv_cell(&b, portal_t(req, "documents.acks_at"));
	portal_buf_puts(&b, "\r\n");
	pv_foreach(m, items) {
		const struct portal_value *p = m->value;
		const char *group = pv_get_str(p, "group");
		const char *at = pv_get_str(p, "acknowledged_at");
		portal_csv_cell(&b, pv_get_str(p, "display_name"));
		portal_buf_puts(&b, ";");
		portal_csv_cell(
		    &b, group
		            ? portal_t(req, portal_sprintf(req->arena, "documents.group.%s", group))
		            : "");
		portal_buf_puts(&b, ";");
		portal_csv_cell(&b, pv_get_str(pv_get(p, "unit"), "name"));
		portal_buf_puts(&b, ";");
		portal_csv_cell(&b, at ? portal_time_text_of(req, at, PORTAL_TIME_DATETIME)
		                       : portal_t(req, "documents.acks_open"));
		portal_buf_puts(&b, "\r\n");
	}
	if (b.failed)
		return 500; /* any append before, once */
	const char *name =
	    portal_sprintf(req->arena, "attachment; filename=\"kenntnisnahme-%lld.csv\"",
	                   pv_get_int(doc, "id", 0));
	int status = name ? portal_set_header(req, "Content-Disposition", name) : 500;
	if (status)
		return status;
	return portal_respond_raw(req, "text/csv; charset=utf-8", b.data, b.len);
}

/* GET /app/documents/{id}/acks[?format=csv] */
int documents_acks_page(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *doc, *acks = pv_object(a);
	if (!acks)
		return 500;
	int status = portal_db_one(
	    req,
	    "SELECT d.id, d.title, d.requires_ack, p.id AS property_id, p.name AS property_name"
	    " FROM documents d JOIN properties p ON p.id = d.property_id AND p.org_id = d.org_id"
	    " WHERE d.id = ? AND d.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)), &doc);
	if (!status && (status = documents_acks(req, acks)) == 200)
		status = 0;
	if (status)
		return status;
	const struct portal_value *items = pv_get(acks, "items");
	const char *format = pv_str(pv_get(req->query, "format"));
	if (format && strcmp(format, "csv") == 0)
		return acks_csv(req, doc, items);
	struct portal_value *open = pv_list(a), *done = pv_list(a);
	if (!open || !done)
		return 500;
	pv_foreach(m, items) {
		struct portal_value *p = m->value;
		const char *at = pv_get_str(p, "acknowledged_at");
		if (at &&
		    pv_set_str(a, p, "at_text", portal_time_text_of(req, at, PORTAL_TIME_DATETIME)))
			return 500;
		if (pv_push(a, at ? done : open, p))
			return 500;
	}
	if (pv_set_bool(a, doc, "requires_ack", pv_get_int(doc, "requires_ack", 0) != 0) ||
	    pv_set(a, view, "document", doc) || pv_set(a, view, "open", open) ||
	    pv_set(a, view, "done", done) ||
	    pv_set_int(a, view, "open_count", (long long)pv_count(open)) ||
	    pv_set_int(a, view, "done_count", (long long)pv_count(done)) ||
	    pv_set_int(a, view, "total", (long long)pv_count(items)))
		return 500;
	return 200;
}
