/* Acknowledgements: a document that asks for it is confirmed once by each
 * resident who may see it ("Gelesen und zur Kenntnis genommen"); managers see
 * who did and who did not yet. */
#include "documents.h"

/* POST /documents/{id}/ack: recorded once; a second call answers the first
 * time. 404 for whoever may not see the document, 409 when it asks for none. */
int documents_ack(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id"), uid = req->caller.user_id;
	struct portal_value *doc, *row;
	int status = portal_db_one(
	    req,
	    "SELECT d.requires_ack FROM documents d JOIN memberships m"
	    " ON m.property_id = d.property_id AND m.org_id = d.org_id AND m.user_id = ?"
	    " AND m.state = 'active' WHERE d.id = ? AND d.org_id = ? AND" DOCUMENTS_SEEN_BY_MEMBER,
	    PORTAL_DB_ARGS(PDB_I(uid), PDB_I(id), PDB_I(req->caller.org_id)), &doc);
	if (!status && !pv_get_int(doc, "requires_ack", 0))
		status = portal_fail(req, 409, "conflict", NULL, "documents.ack_not_asked");
	if (!status)
		status = portal_db_exec(req,
		                        "INSERT IGNORE INTO document_acks (document_id, user_id,"
		                        " acknowledged_at) VALUES (?, ?, UTC_TIMESTAMP())",
		                        PORTAL_DB_ARGS(PDB_I(id), PDB_I(uid)), NULL, NULL);
	if (!status)
		status = portal_db_one(req,
		                       "SELECT acknowledged_at FROM document_acks"
		                       " WHERE document_id = ? AND user_id = ?",
		                       PORTAL_DB_ARGS(PDB_I(id), PDB_I(uid)), &row);
	if (status)
		return status;
	if (!req->is_api) /* the page's form: back to the list, at the document */
		return portal_redirect(
		    req, portal_sprintf(req->arena, "/portal/documents#document-%lld", id));
	*view = *row;
	return 200;
}

/* The acknowledgements of erased residents (user_id NULL): kept, shown as
 * "ehemalige Bewohnerin / ehemaliger Bewohner" after everyone else. */
static int former_acks(struct portal_req *req, long long id, struct portal_value *items)
{
	struct portal_value *rows;
	int status = portal_db_query(req,
	                             "SELECT NULL AS `group`, NULL AS unit_id, NULL AS unit_name,"
	                             " acknowledged_at FROM document_acks"
	                             " WHERE document_id = ? AND user_id IS NULL"
	                             " ORDER BY acknowledged_at, id",
	                             PORTAL_DB_ARGS(PDB_I(id)), &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		if (pv_set_str(req->arena, row, "display_name", portal_t(req, "former_resident")) ||
		    documents_unit_set(req, row) || pv_push(req->arena, items, row))
			return 500;
	}
	return 0;
}

/* GET /documents/{id}/acks: everyone who may see the document now, with the
 * time they acknowledged it or null, those still open first, then by unit and
 * name; then the acknowledgements of former residents. One page: a property's
 * residents. */
int documents_acks(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows;
	long long id = portal_param_id(req, "id");
	int status = portal_db_query(
	    req,
	    "SELECT u.name AS display_name, m.resident_group AS `group`, un.id AS unit_id,"
	    " un.name AS unit_name, k.acknowledged_at FROM documents d"
	    " LEFT JOIN memberships m ON m.property_id = d.property_id AND m.org_id = d.org_id"
	    " AND m.state = 'active' AND" DOCUMENTS_SEEN_BY_MEMBER
	    " LEFT JOIN users u ON u.id = m.user_id AND u.org_id = m.org_id"
	    " LEFT JOIN units un ON un.id = m.unit_id AND un.property_id = m.property_id"
	    " LEFT JOIN document_acks k ON k.document_id = d.id AND k.user_id = m.user_id"
	    " WHERE d.id = ? AND d.org_id = ?"
	    " ORDER BY k.acknowledged_at IS NOT NULL, un.name, u.name, u.id",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return portal_not_found(req);
	struct portal_value *items = pv_list(a);
	if (!items)
		return 500;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		if (!pv_get_str(row, "display_name"))
			continue; /* the document's row when nobody may see it */
		if (documents_unit_set(req, row) || pv_push(a, items, row))
			return 500;
	}
	if ((status = former_acks(req, id, items)))
		return status;
	return pv_set(a, view, "items", items) || pv_set(a, view, "next", pv_null(a)) ? 500 : 200;
}
