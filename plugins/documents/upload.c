/* POST /properties/{id}/documents: a batch of files, each with its own title,
 * category, audience, unit and acknowledgement, stored all or none. Every
 * per-file field is sent once per file in the files' order (a form's field
 * repeated, read item by item: PORTAL_IN_EACH), so a field sent for some
 * files only cannot be paired with them and is refused. */
#include <portal/files.h>
#include <portal/input.h>
#include <string.h>

#include "documents.h"

/* Files in one batch: the core's max_parts bounds the request as well. */
#define BATCH_MAX 100

const struct portal_input documents_upload_inputs[] = {
    {"title", PORTAL_IN_STRING, PORTAL_IN_EACH, 0, 200, .message = "documents.title_invalid"},
    {"category", PORTAL_IN_CATEGORY, PORTAL_IN_EACH, .message = "documents.category_invalid"},
    {"audience", PORTAL_IN_ENUM, PORTAL_IN_EACH, .choices = documents_audiences,
     .message = "documents.audience_invalid"},
    {"unit_id", PORTAL_IN_ID, PORTAL_IN_EACH, .message = "documents.unit_invalid"},
    {"requires_ack", PORTAL_IN_BOOL, PORTAL_IN_EACH, .message = "documents.requires_ack_invalid"},
    {0},
};

/* One file of the batch and what it becomes. */
struct batch_file {
	const struct portal_upload *up;
	const struct portal_value *title, *category, *audience, *unit, *ack; /* items or NULL */
	const char *name, *type; /* display name, type by content */
	char file[PORTAL_FILE_NAME_CHARS + 1];
	bool created; /* this request made the stored file */
	long long id;
};

struct batch {
	struct batch_file *files;
	size_t count;
	long long property_id;
};

/* The n-th item of a PORTAL_IN_EACH list, NULL when the list is absent. */
static const struct portal_value *item_at(const struct portal_value *list, size_t n)
{
	pv_foreach(m, list) {
		if (n-- == 0)
			return m->value;
	}
	return NULL;
}

/* A per-file field: absent (only where optional), or exactly one item per
 * file, none empty where required. */
static int field_check(struct portal_req *req, const char *name, size_t files, bool required)
{
	const struct portal_value *list = portal_in_each(req, name);
	bool empty = false;
	pv_foreach(m, list) {
		empty |= m->value->type == PV_NULL;
	}
	if (list ? pv_count(list) != files : required)
		return portal_fail(req, 422, "validation", name,
		                   list ? "documents.per_file" : "documents.field_missing");
	if (required && empty)
		return portal_fail(req, 422, "validation", name, "documents.field_missing");
	return 0;
}

/* The batch as sent: its files in order, each checked for size. */
static int batch_read(struct portal_req *req, struct batch *b)
{
	long long max_bytes = portal_setting_int(req, "max_file_mib") << 20;
	size_t n = 0;
	for (const struct portal_upload *up = req->uploads; up; up = up->next)
		n += strcmp(up->field, "files") == 0;
	if (n == 0)
		return portal_fail(req, 422, "validation", "files", "documents.files_missing");
	if (n > BATCH_MAX)
		return portal_fail(req, 413, "too_large", "files", "documents.batch_too_large");
	if (!(b->files = portal_alloc(req->arena, n * sizeof *b->files)))
		return 500;
	for (const struct portal_upload *up = req->uploads; up; up = up->next) {
		if (strcmp(up->field, "files") != 0)
			continue;
		if (up->size == 0)
			return portal_fail(req, 422, "validation", "files", "documents.file_empty");
		if ((long long)up->size > max_bytes)
			return portal_fail(req, 413, "too_large", "files",
			                   "documents.file_too_large");
		b->files[b->count++] = (struct batch_file){.up = up};
	}
	return 0;
}

/* Pairs every file with its fields, once each field was found to fit. */
static int fields_read(struct portal_req *req, struct batch *b)
{
	static const struct {
		const char *name;
		bool required;
	} fields[] = {{"title", false},
	              {"category", true},
	              {"audience", true},
	              {"unit_id", false},
	              {"requires_ack", false}};
	int status = 0;
	for (size_t i = 0; !status && i < sizeof fields / sizeof *fields; i++)
		status = field_check(req, fields[i].name, b->count, fields[i].required);
	for (size_t i = 0; !status && i < b->count; i++) {
		struct batch_file *f = &b->files[i];
		f->title = item_at(portal_in_each(req, "title"), i);
		f->category = item_at(portal_in_each(req, "category"), i);
		f->audience = item_at(portal_in_each(req, "audience"), i);
		f->unit = item_at(portal_in_each(req, "unit_id"), i);
		f->ack = item_at(portal_in_each(req, "requires_ack"), i);
		f->name = documents_display_name(req, f->up->filename);
		f->type = documents_type_of(req, f->up);
		if (!f->name || !f->type)
			status = 500;
	}
	return status;
}

/* Every unit named must be one of the property's (one query). */
static int units_check(struct portal_req *req, const struct batch *b)
{
	long long *ids = portal_alloc(req->arena, (b->count + 1) * sizeof *ids);
	size_t n = 0;
	if (!ids)
		return 500;
	for (size_t i = 0; i < b->count; i++) {
		long long id = b->files[i].unit && b->files[i].unit->type == PV_INT
		                   ? b->files[i].unit->u.i
		                   : 0;
		bool seen = false;
		for (size_t j = 0; j < n; j++)
			seen |= ids[j] == id;
		if (id && !seen)
			ids[n++] = id;
	}
	if (!n)
		return 0;
	struct portal_value *row;
	int status =
	    portal_db_one(req,
	                  "SELECT COUNT(*) AS n FROM units WHERE property_id = ? AND org_id = ?"
	                  " AND id IN " PORTAL_DB_ID_LIST,
	                  PORTAL_DB_ARGS(PDB_I(b->property_id), PDB_I(req->caller.org_id),
	                                 portal_db_ids(req, ids, n)),
	                  &row);
	if (!status && pv_get_int(row, "n", 0) != (long long)n)
		status = portal_fail(req, 422, "validation", "unit_id", "documents.unit_invalid");
	return status;
}

static int file_keep(struct portal_req *req, struct batch_file *f)
{
	return portal_file_store(req, f->up, f->file, &f->created);
}

/* The rows of one file: the document and its first version. */
static int rows_insert(struct portal_req *req, const struct batch *b, struct batch_file *f)
{
	const char *title = f->title && f->title->type == PV_STRING
	                        ? pv_str(f->title)
	                        : documents_title_of(req, f->name);
	bool ack = f->ack && f->ack->type == PV_BOOL && f->ack->u.b;
	long long unit_id = f->unit && f->unit->type == PV_INT ? f->unit->u.i : 0;
	unsigned long long id = 0;
	if (!title)
		return 500;
	int status = portal_db_exec(
	    req,
	    "INSERT INTO documents (org_id, property_id, title, category, audience, unit_id,"
	    " requires_ack, version, shared_at, created_at, updated_at, uploaded_by)"
	    " VALUES (?, ?, ?, ?, ?, NULLIF(?, 0), ?, 1, UTC_TIMESTAMP(6), UTC_TIMESTAMP(),"
	    " UTC_TIMESTAMP(), ?)",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(b->property_id), PDB_S(title),
	                   PDB_S(pv_str(f->category)), PDB_S(pv_str(f->audience)), PDB_I(unit_id),
	                   PDB_I(ack), PDB_I(req->caller.user_id)),
	    NULL, &id);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO document_files (document_id, version, org_id, file, size,"
		    " content_type, name, uploaded_at, uploaded_by)"
		    " VALUES (?, 1, ?, ?, ?, ?, ?, UTC_TIMESTAMP(), ?)",
		    PORTAL_DB_ARGS(PDB_I((long long)id), PDB_I(req->caller.org_id), PDB_S(f->file),
		                   PDB_I((long long)f->up->size), PDB_S(f->type), PDB_S(f->name),
		                   PDB_I(req->caller.user_id)),
		    NULL, NULL);
	f->id = (long long)id;
	return status;
}

/* All files and rows, or none: files this request created go again when
 * anything fails, rows with the rolled-back transaction. */
static int batch_store(struct portal_req *req, struct batch *b)
{
	size_t kept = 0;
	int status = portal_db_begin(req);
	for (; !status && kept < b->count; kept++)
		status = file_keep(req, &b->files[kept]);
	for (size_t i = 0; !status && i < b->count; i++)
		status = rows_insert(req, b, &b->files[i]);
	if (!status)
		status = portal_db_commit(req);
	if (status) {
		if (portal_db_rollback(req))
			portal_log("documents: rollback after a failed upload failed");
		for (size_t i = 0; i < kept; i++)
			portal_file_discard(req, b->files[i].file, b->files[i].created);
	}
	return status;
}

int documents_upload(struct portal_req *req, struct portal_value *view)
{
	struct batch b = {.property_id = portal_param_id(req, "id")};
	struct portal_value *row, *items;
	int status =
	    portal_db_one(req, "SELECT id FROM properties WHERE id = ? AND org_id = ?",
	                  PORTAL_DB_ARGS(PDB_I(b.property_id), PDB_I(req->caller.org_id)), &row);
	if (!status)
		status = batch_read(req, &b);
	if (!status)
		status = fields_read(req, &b);
	if (!status)
		status = units_check(req, &b);
	if (!status)
		status = batch_store(req, &b);
	long long *ids = status ? NULL : portal_alloc(req->arena, b.count * sizeof *ids);
	for (size_t i = 0; ids && i < b.count; i++)
		ids[i] = b.files[i].id;
	if (!status)
		status = ids ? documents_load(req, ids, b.count, &items) : 500;
	if (!status)
		status = pv_set(req->arena, view, "items", items);
	return status ? status : 201;
}
