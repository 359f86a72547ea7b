/* One document: its download for whoever may see it, and the manager's
 * changes and deletion. */
#include <portal/files.h>
#include <portal/input.h>

#include "documents.h"

const struct portal_input documents_download_inputs[] = {
    {"version", PORTAL_IN_INT, PORTAL_IN_QUERY, 1, 1000000},
    {"inline", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

const struct portal_input documents_update_inputs[] = {
    {"title", PORTAL_IN_STRING, 0, 1, 200, .message = "documents.title_invalid"},
    {"category", PORTAL_IN_CATEGORY, 0, .message = "documents.category_invalid"},
    {"audience", PORTAL_IN_ENUM, 0, .choices = documents_audiences,
     .message = "documents.audience_invalid"},
    {"unit_id", PORTAL_IN_ID, PORTAL_IN_NULLABLE, .message = "documents.unit_invalid"},
    {"requires_ack", PORTAL_IN_BOOL, 0, .message = "documents.requires_ack_invalid"},
    {0},
};

/* GET /documents/{id}/download[?version=N][&inline=true]: the file of the
 * document (an older version only for managers), sent by nginx from its
 * internal location, which adds nosniff and a sandboxing CSP. Always an
 * attachment under its display name, except PDFs and images asked for
 * inline; never cached on the way. Whoever may not see it: 404. */
int documents_download(struct portal_req *req, struct portal_value *view)
{
	bool manager = portal_is_manager(req);
	long long version = portal_in_int(req, "version", 0);
	struct portal_value *f;
	if (version && !manager)
		return portal_not_found(req);
	int status = portal_db_one(
	    req,
	    "SELECT f.file, f.content_type, f.name FROM documents d"
	    " JOIN document_files f ON f.document_id = d.id AND f.version = IF(? > 0, ?, d.version)"
	    " LEFT JOIN memberships m ON m.property_id = d.property_id AND m.org_id = d.org_id"
	    " AND m.user_id = ? AND m.state = 'active'"
	    " WHERE d.id = ? AND d.org_id = ? AND (? = 1 OR (m.user_id IS NOT NULL "
	    "AND" DOCUMENTS_SEEN_BY_MEMBER "))",
	    PORTAL_DB_ARGS(PDB_I(version), PDB_I(version), PDB_I(req->caller.user_id),
	                   PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id),
	                   PDB_I(manager)),
	    &f);
	if (status)
		return status;
	const char *type = pv_get_str(f, "content_type");
	bool shown = documents_inline_type(type) && portal_in_bool(req, "inline", false);
	if ((status = portal_set_header(req, "Cache-Control", "private, no-store")))
		return status;
	if (shown && (status = portal_set_header(req, "Content-Disposition", "inline")))
		return status;
	return portal_file_send(req, pv_get_str(f, "file"),
	                        documents_inline_type(type) ? type : "application/octet-stream",
	                        shown ? NULL : pv_get_str(f, "name"));
}

/* The unit sent must be one of the document's property's. */
static int unit_check(struct portal_req *req, long long property_id, long long unit_id)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req, "SELECT id FROM units WHERE id = ? AND property_id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(unit_id), PDB_I(property_id), PDB_I(req->caller.org_id)), &rows);
	if (!status && !pv_first(rows))
		status = portal_fail(req, 422, "validation", "unit_id", "documents.unit_invalid");
	return status;
}

/* PATCH /documents/{id}: what is sent changes. A document given to another
 * unit is shared with that unit now: only its members of before see it. An
 * internal one opened to residents is shared now too: the unit's tenancy
 * rule and the digest compare with when residents got it, not with the
 * upload. (shared_at is assigned before unit_id and audience: MariaDB reads
 * the row's new values in the assignments that follow.) */
int documents_update(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	bool unit_sent = portal_in_has(req, "unit_id");
	long long unit_id = portal_in_int(req, "unit_id", 0);
	const char *ack = !portal_in_has(req, "requires_ack")          ? NULL
	                  : portal_in_bool(req, "requires_ack", false) ? "1"
	                                                               : "0";
	struct portal_value *doc, *items;
	int status =
	    portal_db_one(req, "SELECT property_id FROM documents WHERE id = ? AND org_id = ?",
	                  PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &doc);
	if (!status && unit_id)
		status = unit_check(req, pv_get_int(doc, "property_id", 0), unit_id);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE documents SET shared_at = IF((? = 1 AND ? > 0 AND NOT unit_id <=> ?)"
		    " OR (audience = 'internal' AND COALESCE(?, 'internal') <> 'internal'),"
		    " UTC_TIMESTAMP(6), shared_at), unit_id = IF(? = 1, NULLIF(?, 0), unit_id),"
		    " title = COALESCE(?, title), category = COALESCE(?, category),"
		    " audience = COALESCE(?, audience), requires_ack = COALESCE(?, requires_ack),"
		    " updated_at = UTC_TIMESTAMP() WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(unit_sent), PDB_I(unit_id), PDB_I(unit_id),
		                   PDB_S(portal_in_str(req, "audience")), PDB_I(unit_sent),
		                   PDB_I(unit_id), PDB_S(portal_in_str(req, "title")),
		                   PDB_S(portal_in_str(req, "category")),
		                   PDB_S(portal_in_str(req, "audience")), PDB_S(ack), PDB_I(id),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	if (!status)
		status = documents_load(req, &id, 1, &items);
	if (!status && !pv_first(items))
		status = portal_not_found(req);
	if (status)
		return status;
	*view = *pv_first(items);
	return 200;
}

/* DELETE /documents/{id}: the document with its versions and
 * acknowledgements; then each of its files that nothing else names. */
int documents_delete(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct portal_value *files;
	int status = portal_db_begin(req);
	if (!status)
		status = portal_db_query(
		    req,
		    "SELECT DISTINCT f.file FROM documents d JOIN document_files f"
		    " ON f.document_id = d.id WHERE d.id = ? AND d.org_id = ? FOR UPDATE",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &files);
	if (!status)
		status =
		    portal_db_exec_one(req, "DELETE FROM documents WHERE id = ? AND org_id = ?",
		                       PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)));
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	documents_release_files(req, files);
	return 204;
}
