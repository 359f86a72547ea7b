/* Versions behind a stable link: PUT /documents/{id}/file replaces the file
 * and keeps the id, link and acknowledgements, GET /documents/{id}/versions
 * lists them for managers (download?version=N gives an old one: document.c). */
#include <portal/files.h>
#include <portal/input.h>
#include <portal/list.h>
#include <string.h>

#include "documents.h"

const struct portal_input documents_replace_inputs[] = {
    {"notify", PORTAL_IN_BOOL, 0, .message = "documents.notify_invalid"},
    {0},
};

/* The new version's rows, in the open transaction: the document is locked
 * first, so two replacements one after the other make two versions. */
static int version_insert(struct portal_req *req, long long id, const struct portal_upload *up,
                          const char *file, const char *type, const char *name)
{
	struct portal_value *doc;
	int status = portal_db_one(
	    req, "SELECT version FROM documents WHERE id = ? AND org_id = ? FOR UPDATE",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &doc);
	long long version = pv_get_int(doc, "version", 0) + 1;
	/* A page's unticked checkbox sends nothing: the API's default is on. */
	bool notify = portal_in_bool(req, "notify", true);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO document_files (document_id, version, org_id, file, size,"
		    " content_type, name, uploaded_at, uploaded_by, notify)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(), ?, ?)",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(version), PDB_I(req->caller.org_id),
		                   PDB_S(file), PDB_I((long long)up->size), PDB_S(type),
		                   PDB_S(name), PDB_I(req->caller.user_id), PDB_I(notify)),
		    NULL, NULL);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE documents SET version = ?, updated_at = UTC_TIMESTAMP()"
		    " WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(version), PDB_I(id), PDB_I(req->caller.org_id)), NULL,
		    NULL);
	return status;
}

/* PUT /documents/{id}/file: multipart file (and notify). */
int documents_replace(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	const struct portal_upload *up = portal_upload_of(req, "file");
	struct portal_value *items;
	char file[PORTAL_FILE_NAME_CHARS + 1];
	bool created = false, stored = false;
	int status = portal_db_one(req, "SELECT id FROM documents WHERE id = ? AND org_id = ?",
	                           PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &items);
	if (!status && !up)
		status = portal_fail(req, 422, "validation", "file", "documents.files_missing");
	if (!status && (long long)up->size > portal_setting_int(req, "max_file_mib") << 20)
		status = portal_fail(req, 413, "too_large", "file", "documents.file_too_large");
	const char *type = status ? NULL : documents_type_of(req, up);
	const char *name = status ? NULL : documents_display_name(req, up->filename);
	if (!status && (!type || !name))
		status = 500;
	if (!status)
		status = portal_db_begin(req);
	if (!status)
		status = portal_file_store(req, up, file, &created);
	stored = !status;
	if (!status)
		status = version_insert(req, id, up, file, type, name);
	if (!status)
		status = portal_db_commit(req);
	if (status && stored) {
		if (portal_db_rollback(req))
			portal_log("documents: rollback after a failed replacement failed");
		portal_file_discard(req, file, created);
	}
	if (!status)
		status = documents_load(req, &id, 1, &items);
	if (status)
		return status;
	*view = *pv_first(items);
	return 200;
}

/* GET /documents/{id}/versions: newest first, with who uploaded each. A
 * document has few versions: one page. */
int documents_versions(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT f.version, f.size, f.uploaded_at, u.name AS by_name FROM documents d"
	    " JOIN document_files f ON f.document_id = d.id"
	    " LEFT JOIN users u ON u.id = f.uploaded_by AND u.org_id = d.org_id"
	    " WHERE d.id = ? AND d.org_id = ? ORDER BY f.version DESC",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return portal_not_found(req);
	pv_foreach(m, rows) {
		struct portal_value *by = pv_object(a);
		if (!by || pv_set(a, by, "name", pv_get(m->value, "by_name")) ||
		    pv_set(a, m->value, "by", by))
			return 500;
		pv_remove(m->value, "by_name");
	}
	return pv_set(a, view, "items", rows) || pv_set(a, view, "next", pv_null(a)) ? 500 : 200;
}
