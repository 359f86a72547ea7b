/* GET /properties/{id}/documents: managers see every document of the
 * property, residents what their group, unit and tenancy let them see; and
 * GET /properties/{id}/documents/audience: who a document shared so would
 * reach now. Newest first (by id), keyset pages. Each list is one query: a
 * caller who may not see the property gets no row at all (404), one who may
 * but finds no document gets one row without a document. */
#include <portal/input.h>
#include <portal/list.h>

#include "documents.h"

const struct portal_input documents_list_inputs[] = {
    {"category", PORTAL_IN_CATEGORY, PORTAL_IN_QUERY, .message = "documents.category_invalid"},
    {0},
};

const struct portal_input documents_audience_inputs[] = {
    {"audience", PORTAL_IN_ENUM, PORTAL_IN_QUERY | PORTAL_IN_REQUIRED,
     .choices = documents_audiences, .message = "documents.audience_invalid"},
    {"unit_id", PORTAL_IN_ID, PORTAL_IN_QUERY, .message = "documents.unit_invalid"},
    {0},
};

/* The filters and the page, bound after the query's scope arguments. */
#define LIST_FILTER " AND (? IS NULL OR d.category = ?) AND (? = 0 OR d.id < ?)"
#define LIST_JOINS                                                                      \
	" LEFT JOIN document_files f ON f.document_id = d.id AND f.version = d.version" \
	" LEFT JOIN units un ON un.id = d.unit_id AND un.org_id = d.org_id"

static const char manager_sql[] =
    "SELECT" DOCUMENTS_COLUMNS "," DOCUMENTS_ACK_COUNTS " FROM properties p"
    " LEFT JOIN documents d ON d.property_id = p.id AND d.org_id = p.org_id" LIST_FILTER LIST_JOINS
    " WHERE p.id = ? AND p.org_id = ? ORDER BY d.id DESC LIMIT ?";

static const char resident_sql[] =
    "SELECT" DOCUMENTS_COLUMNS ", k.acknowledged_at FROM memberships m"
    " LEFT JOIN documents d ON d.property_id = m.property_id AND d.org_id = m.org_id"
    " AND" DOCUMENTS_SEEN_BY_MEMBER LIST_FILTER LIST_JOINS
    " LEFT JOIN document_acks k ON k.document_id = d.id AND k.user_id = m.user_id"
    " WHERE m.property_id = ? AND m.user_id = ? AND m.org_id = ? AND m.state = 'active'"
    " ORDER BY d.id DESC LIMIT ?";

/* The rows with a document, as items. */
static int items_of(struct portal_req *req, struct portal_value *rows, struct portal_value **items)
{
	if (!(*items = pv_list(req->arena)))
		return 500;
	pv_foreach(m, rows) {
		if (!pv_get_int(m->value, "id", 0))
			continue;
		int status = documents_item(req, m->value);
		if (status || (status = pv_push(req->arena, *items, m->value)))
			return status;
	}
	return 0;
}

int documents_list(struct portal_req *req, struct portal_value *view)
{
	return documents_list_of(req, view, portal_param_id(req, "id"),
	                         portal_in_str(req, "category"));
}

/* The list of the property's documents (of the category, or all when NULL),
 * as the caller may see it: the API's answer, and the managers' page. */
int documents_list_of(struct portal_req *req, struct portal_value *view, long long property_id,
                      const char *category)
{
	struct portal_page page;
	int status = portal_list_page(req, &page);
	if (status)
		return status;
	struct portal_value *rows, *items;
	if (portal_is_manager(req))
		status = portal_db_query(
		    req, manager_sql,
		    PORTAL_DB_ARGS(PDB_S(category), PDB_S(category), PDB_I(page.after),
		                   PDB_I(page.after), PDB_I(property_id), PDB_I(req->caller.org_id),
		                   PDB_I(page.limit + 1)),
		    &rows);
	else
		status = portal_db_query(
		    req, resident_sql,
		    PORTAL_DB_ARGS(PDB_S(category), PDB_S(category), PDB_I(page.after),
		                   PDB_I(page.after), PDB_I(property_id),
		                   PDB_I(req->caller.user_id), PDB_I(req->caller.org_id),
		                   PDB_I(page.limit + 1)),
		    &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return portal_not_found(req);
	if ((status = items_of(req, rows, &items)))
		return status;
	return portal_list_view(req, view, items, page.limit, NULL) ? 500 : 200;
}

/* The people as the answer names them: {display_name, group, unit}. */
static int people_of(struct portal_req *req, struct portal_value *rows)
{
	pv_foreach(m, rows) {
		if (documents_unit_set(req, m->value))
			return 500;
	}
	return 0;
}

/* Who a document of the property shared so now would reach: the rows
 * {display_name, group, unit}; 404 for a property not the caller's, 422 for a
 * unit not the property's. The audience check and the documents' page. */
int documents_audience_people(struct portal_req *req, long long property_id, const char *audience,
                              long long unit_id, struct portal_value **people)
{
	struct portal_value *rows;
	/* The property's units, with a row for the property itself (id 0): a
	 * foreign property has none, a foreign unit is not among them. */
	int status = portal_db_query(
	    req,
	    "SELECT 0 AS id FROM properties WHERE id = ? AND org_id = ?"
	    " UNION ALL SELECT id FROM units WHERE property_id = ? AND org_id = ? AND id = ?",
	    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id), PDB_I(property_id),
	                   PDB_I(req->caller.org_id), PDB_I(unit_id)),
	    &rows);
	if (status)
		return status;
	if (!pv_first(rows))
		return portal_not_found(req);
	if (unit_id && pv_count(rows) != 2)
		return portal_fail(req, 422, "validation", "unit_id", "documents.unit_invalid");
	/* A document shared now: every tenancy of the unit began before it. */
	status = portal_db_query(
	    req,
	    "SELECT u.name AS display_name, m.resident_group AS `group`, un.id AS unit_id,"
	    " un.name AS unit_name FROM memberships m"
	    " JOIN users u ON u.id = m.user_id AND u.org_id = m.org_id"
	    " LEFT JOIN units un ON un.id = m.unit_id AND un.property_id = m.property_id"
	    " WHERE m.property_id = ? AND m.org_id = ? AND m.state = 'active'"
	    " AND (? = 'residents' OR (? = 'owners' AND m.resident_group = 'owner')"
	    " OR (? = 'tenants' AND m.resident_group = 'tenant'))"
	    " AND (? = 0 OR m.unit_id = ?) ORDER BY u.name, u.id",
	    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id), PDB_S(audience),
	                   PDB_S(audience), PDB_S(audience), PDB_I(unit_id), PDB_I(unit_id)),
	    &rows);
	if (!status)
		status = people_of(req, rows);
	if (!status)
		*people = rows;
	return status;
}

int documents_audience(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *rows;
	int status = documents_audience_people(req, portal_param_id(req, "id"),
	                                       portal_in_str(req, "audience"),
	                                       portal_in_int(req, "unit_id", 0), &rows);
	if (!status && (pv_set_int(req->arena, view, "count", (long long)pv_count(rows)) ||
	                pv_set(req->arena, view, "people", rows)))
		status = 500;
	return status ? status : 200;
}
