/* The property picker and the PATCH rule of forms.h. */
#include "forms.h"

static bool chosen_has(const struct portal_ids *chosen, long long id)
{
	for (size_t i = 0; chosen && i < chosen->count; i++)
		if (chosen->ids[i] == id)
			return true;
	return false;
}

int content_choices(struct portal_req *req, struct portal_value *view,
                    const struct portal_ids *chosen, const char *targets_id, const char *legend)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows;
	int status = portal_db_query(
	    req, "SELECT id, name, city FROM properties WHERE org_id = ? ORDER BY name, id",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		if (pv_set_bool(a, m->value, "checked",
		                chosen_has(chosen, pv_get_int(m->value, "id", 0))))
			return 500;
	}
	if (pv_set(a, view, "choices", rows) ||
	    pv_set_bool(a, view, "all_checked", chosen && chosen->all) ||
	    pv_set_str(a, view, "targets_id", targets_id) ||
	    pv_set_str(a, view, "targets_legend", legend))
		return 500;
	return 0;
}

int content_stored_targets(struct portal_req *req, const struct portal_value *entry,
                           struct portal_ids *out)
{
	const struct portal_value *properties = pv_get(entry, "properties");
	long long *ids = portal_alloc(req->arena, (pv_count(properties) + 1) * sizeof *ids);
	*out = (struct portal_ids){.all = pv_truthy(pv_get(entry, "all_properties")), .ids = ids};
	if (!ids)
		return 500;
	pv_foreach(m, properties)
		ids[out->count++] = pv_get_int(m->value, "id", 0);
	return 0;
}
