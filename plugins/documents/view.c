/* A document as the API shows it ("Documents" in API.md). */
#include <string.h>

#include "documents.h"

/* unit: {id, name} or null. A unit deleted since keeps its id for managers
 * (its name is then null): the document stays bound to it, seen by nobody. */
int documents_unit_set(struct portal_req *req, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	long long unit_id = pv_get_int(row, "unit_id", 0);
	struct portal_value *unit = unit_id ? pv_object(a) : pv_null(a);
	if (!unit || (unit_id && (pv_set_int(a, unit, "id", unit_id) ||
	                          pv_set(a, unit, "name", pv_get(row, "unit_name")))))
		return 500;
	pv_remove(row, "unit_id");
	pv_remove(row, "unit_name");
	return pv_set(a, row, "unit", unit);
}

/* Managers: acks {count, of}; residents keep acknowledged_at (a time or null). */
static int acks_set(struct portal_req *req, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	if (!portal_is_manager(req))
		return pv_get(row, "acknowledged_at")
		           ? 0
		           : pv_set(a, row, "acknowledged_at", pv_null(a));
	struct portal_value *acks = pv_object(a);
	if (!acks || pv_set_int(a, acks, "count", pv_get_int(row, "ack_count", 0)) ||
	    pv_set_int(a, acks, "of", pv_get_int(row, "ack_of", 0)))
		return 500;
	pv_remove(row, "ack_count");
	pv_remove(row, "ack_of");
	return pv_set(a, row, "acks", acks);
}

int documents_item(struct portal_req *req, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	long long id = pv_get_int(row, "id", 0);
	const char *url = portal_sprintf(a, "/api/v1/documents/%lld/download", id);
	if (!url || documents_unit_set(req, row) || acks_set(req, row) ||
	    pv_set_bool(a, row, "requires_ack", pv_get_int(row, "requires_ack", 0) != 0) ||
	    pv_set_str(a, row, "url", url))
		return 500;
	return 0;
}

int documents_load(struct portal_req *req, const long long *ids, size_t count,
                   struct portal_value **items)
{
	int status = portal_db_query(
	    req,
	    "SELECT" DOCUMENTS_COLUMNS "," DOCUMENTS_ACK_COUNTS
	    " FROM documents d JOIN document_files f ON f.document_id = d.id AND f.version = "
	    "d.version"
	    " LEFT JOIN units un ON un.id = d.unit_id AND un.org_id = d.org_id"
	    " WHERE d.id IN " PORTAL_DB_ID_LIST " AND d.org_id = ? ORDER BY d.id",
	    PORTAL_DB_ARGS(portal_db_ids(req, ids, count), PDB_I(req->caller.org_id)), items);
	pv_foreach(m, status ? NULL : *items) {
		if ((status = documents_item(req, m->value)))
			break;
	}
	return status;
}
