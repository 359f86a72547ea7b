/* The manager's form for a report taken on the phone, /app/tickets/new
 * ?property_id= (linked from the property's page and the list): the caller's
 * name, the property's units, the organisation's categories; create.c saves
 * it as a report on behalf (reporter_name). Without a property the page
 * sends the manager to the property search: a page never lists all of an
 * organisation's properties. */
#include "tickets.h"

const struct portal_input tickets_app_new_inputs[] = {
    {"property_id", PORTAL_IN_ID, PORTAL_IN_QUERY},
    {0},
};

/* The property (of the caller's organisation) and its units [{id, name}]. */
static int property_set(struct portal_req *req, struct portal_value *view, long long property_id)
{
	struct portal_value *property, *units;
	int status =
	    portal_db_one(req, "SELECT id, name FROM properties WHERE id = ? AND org_id = ?",
	                  PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id)), &property);
	if (status)
		return status;
	if ((status = portal_db_query(req,
	                              "SELECT id, name FROM units WHERE property_id = ? AND org_id "
	                              "= ? ORDER BY name, id",
	                              PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id)),
	                              &units)))
		return status;
	long long sent = portal_in_int(req, "unit_id", 0);
	pv_foreach(m, units) {
		if (pv_set_bool(req->arena, m->value, "selected",
		                pv_get_int(m->value, "id", 0) == sent))
			return 500;
	}
	return pv_set(req->arena, view, "property", property) ||
	               pv_set(req->arena, view, "units", units) ||
	               pv_set_bool(req->arena, view, "any_units", pv_first(units) != NULL)
	           ? 500
	           : 0;
}

int tickets_app_new(struct portal_req *req, struct portal_value *view)
{
	long long property_id = portal_in_int(req, "property_id", 0);
	if (!property_id)
		return 200; /* the page says where to find the property */
	int status = property_set(req, view, property_id);
	if (status)
		return status;
	struct portal_value *choices =
	    tickets_category_choices(req, portal_in_str(req, "category"));
	return !choices || pv_set(req->arena, view, "categories", choices) ? 500 : 200;
}
