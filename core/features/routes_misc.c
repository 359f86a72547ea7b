/* Core routes that belong to no feature: the start page, the plugin list,
 * health; and the marking of a page's field to correct, which every core page
 * with a form shares. */
#include <string.h>

#include "plugin/plugin.h"
#include "features/routes.h"
#include "http/request.h"

/* GET /api/v1/plugins: the plugins this deployment enabled. */
static int plugins_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const struct plugin_set *set = req->worker->plugins;
	struct portal_value *items = pv_list(a);
	for (size_t i = 1; items && i < set->count; i++) {
		const struct portal_plugin *d = set->items[i].def;
		struct portal_value *o = pv_object(a);
		if (!o || pv_set_str(a, o, "name", d->name) ||
		    pv_set_str(a, o, "version", d->version ? d->version : "") ||
		    pv_set_str(a, o, "description", d->description ? d->description : "") ||
		    pv_push(a, items, o))
			return 500;
	}
	if (!items || pv_set(a, view, "items", items))
		return 500;
	return 200;
}

/* GET /: the start page. */
static int home(struct portal_req *req, struct portal_value *view)
{
	return pv_set_str(req->arena, view, "base_url", portal_config(req, "base_url")) ? 500 : 200;
}

/* GET /api/v1/health: whether this worker reaches the database. */
static int health(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *rows;
	int status = portal_db_query(req, "SELECT 1 AS ok", PORTAL_DB_NOARGS, &rows);
	if (status)
		return status;
	return pv_set_str(req->arena, view, "status", "ok") ? 500 : 200;
}

int page_mark_invalid(struct portal_req *req, struct portal_value *view, const char *field)
{
	struct portal_arena *a = req->arena;
	struct portal_value *invalid = field ? pv_object(a) : NULL;
	if (field && (!invalid || pv_set_bool(a, invalid, field, true) ||
	              pv_set(a, view, "invalid", invalid)))
		return 500;
	return 0;
}

/* The pipeline recorded the refused member as the error's field before it
 * called the form handler. */
int page_mark_refused(struct portal_req *req, struct portal_value *view)
{
	return page_mark_invalid(req, view, request_of(req)->error_field);
}

const struct portal_route routes_misc[] = {
    {"GET", "/plugins", NULL, PORTAL_ACCESS_MANAGER, 0, plugins_list, NULL, NULL},
    {"GET", "/health", NULL, PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_ANONYMOUS, health, NULL, NULL},
    {"GET", NULL, "/", PORTAL_ACCESS_PUBLIC, 0, home, "home", "home.title"},
    {0},
};
