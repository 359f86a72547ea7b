/* The example plugin: copy this folder to start your own (the guide is
 * core/include/portal/README.md).
 *
 * A plugin is one shared object, built from the .c files of its folder, plus
 * its sql/ migrations, templates/ and locale/. It includes only <portal/...>
 * headers and exports exactly one symbol, portal_plugin_v1 (at the bottom),
 * whose tables say everything the core needs to know:
 *  - routes: one handler, two renderings (GET /api/v1/example/items is JSON,
 *    GET /app/example the same view as a page), who may call it, and the
 *    input it reads, checked before the handler runs (items.c);
 *  - an event listener, a job and a setting (this file);
 *  - a section of the residents' home and a kind of mail they can turn off
 *    (items.c).
 * Every row it keeps carries the organisation's id, and every query is
 * scoped by the caller's: one organisation never sees another's items. */
#include <stdlib.h>

#include "example.h"

/* GET /example and GET /api/v1/example: a page anyone may open, without the
 * database. A handler only fills the view: the core decides whether it
 * becomes JSON or HTML. */
static int example_show(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	if (pv_set_str(a, view, "plugin", "example") ||
	    pv_set_str(a, view, "greeting", portal_t(req, "example.greeting")) ||
	    pv_set_str(a, view, "locale", req->locale))
		return 500;
	return 200;
}

/* The listener: counts the items created per organisation and day, inside
 * the creating request's transaction (both are committed, or neither). */
static int on_item_created(struct portal_req *req, const char *event,
                           const struct portal_value *payload)
{
	(void)event;
	return portal_db_exec(
	    req,
	    "INSERT INTO example_daily (org_id, day, items) VALUES (?, UTC_DATE(), 1)"
	    " ON DUPLICATE KEY UPDATE items = items + 1",
	    PORTAL_DB_ARGS(PDB_I(pv_get_int(payload, "org_id", 0))), NULL, NULL);
}

/* The job: items done longer ago than the setting keep_days are removed, a
 * slice at a time, across all organisations (a job has no caller). It runs
 * once a day in the whole deployment, however many hosts run pools. */
static int remove_done_items(struct portal_req *req)
{
	const struct example_state *st = req->plugin_state;
	unsigned long long removed = 0, slice;
	int status;
	do {
		status =
		    portal_db_exec(req,
		                   "DELETE FROM example_items WHERE done_at IS NOT NULL"
		                   " AND done_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT 1000",
		                   PORTAL_DB_ARGS(PDB_I(st->keep_days)), &slice, NULL);
		removed += status ? 0 : slice;
	} while (!status && slice == 1000 && !portal_job_stopping());
	if (removed)
		portal_log("example: removed %llu done items", removed);
	return status;
}

/* Once in every process that serves: what the handlers and the job need
 * for the process's life, from the plugin's settings. */
static int example_init(const struct portal_context *ctx, void **state)
{
	struct example_state *st = calloc(1, sizeof *st);
	if (!st)
		return -1;
	st->keep_days = strtoll(portal_context_setting(ctx, "keep_days"), NULL, 10);
	*state = st;
	return 0;
}

static void example_fini(void *state)
{
	free(state);
}

/* Routes: method, path under /api/v1, page path, who may call, flags,
 * handler, template (below templates/, without .html), the locale key of the
 * page's title, its inputs, and for a page's form the handler that fills it
 * again when its input was refused. */
static const struct portal_route routes[] = {
    {"GET", "/example", "/example", PORTAL_ACCESS_PUBLIC, 0, example_show, "example",
     "example.title"},
    {"GET", "/example/items", "/app/example", PORTAL_ACCESS_MANAGER, 0, example_items_list, "items",
     "example.title", example_list_inputs},
    {"POST", "/example/items", "/app/example", PORTAL_ACCESS_MANAGER, 0, example_item_create,
     "items", "example.title", example_create_inputs, example_items_list},
    {"GET", "/example/items/{id}", "/app/example/items/{id}", PORTAL_ACCESS_MANAGER, 0,
     example_item_show, "item", "example.title"},
    {"PATCH", "/example/items/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, example_item_update, NULL,
     NULL, example_update_inputs},
    {"POST", NULL, "/app/example/items/{id}", PORTAL_ACCESS_MANAGER, 0, example_item_update, "item",
     "example.title", example_update_inputs, example_item_show},
    {"DELETE", "/example/items/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, example_item_delete, NULL,
     NULL},
    {"POST", NULL, "/app/example/items/{id}/delete", PORTAL_ACCESS_MANAGER, 0, example_item_delete,
     "item", "example.title"},
    {0},
};

static const struct portal_listener listeners[] = {
    {"example.item_created", on_item_created},
    {0},
};

static const struct portal_job jobs[] = {
    {"example-cleanup", "daily 03:30", remove_done_items},
    {0},
};

/* In portal.conf as "example.keep_days = 30"; portald -t refuses other values. */
static const struct portal_setting settings[] = {
    {"keep_days", "30", 1, 3650},
    {0},
};

static const struct portal_nav nav[] = {
    {"app", "example.title", "/app/example", 80},
    {0},
};

static const struct portal_home_section home[] = {
    {"home_example", example_home, PORTAL_HOME_SHARED},
    {0},
};

/* A kind of mail residents can turn off (GET /api/v1/me/notifications). */
static const struct portal_notification notifications[] = {
    {"example", "example.notify", "example.notify_hint"},
    {0},
};

/* For export and erasure (portal/data.h). */
static const struct portal_table tables[] = {
    {"example_item_properties", .parent = "example_items", .parent_column = "item_id"},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "example",
    .version = "2.0.0",
    .description = "An example to copy: items per organisation, shown to residents",
    .routes = routes,
    .nav = nav,
    .listeners = listeners,
    .init = example_init,
    .fini = example_fini,
    .home = home,
    .jobs = jobs,
    .settings = settings,
    .notifications = notifications,
    .tables = tables,
};
