/* The example plugin: copy this folder to start your own.
 *
 * A plugin is one shared object, built from the .c files of its folder, plus
 * its sql/ migrations and its templates/. It includes only <portal/...> headers
 * and exports exactly one symbol, portal_plugin_v1 (at the bottom).
 *
 * What it shows:
 *  - one handler rendered two ways: GET /example is a page (templates/example.html
 *    inside the layout), GET /api/v1/example the same view as JSON;
 *  - reading the database with a prepared statement (GET /api/v1/example/items/{id});
 *  - writing in a transaction and emitting an event (POST /api/v1/example/items),
 *    and listening to an event (on_item_created);
 *  - validation with the API's error shape (422 and the field's name). */
#include <portal/portal.h>
#include <string.h>

#define NAME_MAX_CHARS 100

/* GET /example and GET /api/v1/example. A handler only fills the view: the core
 * decides whether it becomes JSON or HTML. */
static int example_show(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	if (pv_set_str(a, view, "plugin", "example") ||
	    pv_set_str(a, view, "greeting", portal_t(req, "example.greeting")) ||
	    pv_set_str(a, view, "locale", req->locale))
		return 500;
	return 200;
}

/* GET /api/v1/example/items/{id} and the page /example/items/{id}. The router
 * already refused an id that is not a positive integer (404). */
static int example_item(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *rows;
	int status = portal_db_query(req, "SELECT id, name, created_at FROM example_items WHERE id = ?",
				     PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id"))), &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	return pv_set(req->arena, view, "item", rows->u.c.head->value) ? 500 : 200;
}

/* Counts UTF-8 characters, for limits users understand. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* POST /api/v1/example/items {name}: stores an item and emits
 * "example.item_created" inside the same transaction, so a listener's writes
 * and ours are committed together or not at all. */
static int example_create(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const char *name = pv_get_str(req->body, "name");
	if (!name || !*name || utf8_chars(name) > NAME_MAX_CHARS)
		return portal_fail(req, 422, "validation", "name", "example.name_invalid");
	unsigned long long id = 0;
	int status = portal_db_begin(req);
	if (!status)
		status = portal_db_exec(req, "INSERT INTO example_items (name, created_at) VALUES (?, UTC_TIMESTAMP())",
					PORTAL_DB_ARGS(PDB_S(name)), NULL, &id);
	struct portal_value *item = pv_object(a);
	if (!status && (!item || pv_set_int(a, item, "id", (long long)id) ||
			pv_set_str(a, item, "name", name)))
		status = 500;
	if (!status)
		status = portal_emit(req, "example.item_created", item);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status; /* the core rolls back an open transaction */
	return pv_set(a, view, "item", item) ? 500 : 201;
}

/* The listener: keeps a count of created items per day. */
static int on_item_created(struct portal_req *req, const char *event,
			   const struct portal_value *payload)
{
	(void)event;
	(void)payload;
	return portal_db_exec(req,
			      "INSERT INTO example_daily (day, items) VALUES (UTC_DATE(), 1) "
			      "ON DUPLICATE KEY UPDATE items = items + 1",
			      PORTAL_DB_NOARGS, NULL, NULL);
}

/* Routes: method, path under /api/v1, page path, who may call, flags, handler,
 * template (below templates/, without .html) and the locale key of the title. */
static const struct portal_route routes[] = {
	{"GET", "/example", "/example", PORTAL_ACCESS_PUBLIC, 0, example_show, "example",
	 "example.title"},
	{"GET", "/example/items/{id}", "/example/items/{id}", PORTAL_ACCESS_PUBLIC, 0,
	 example_item, "item", "example.title"},
	{"POST", "/example/items", NULL, PORTAL_ACCESS_PUBLIC, 0, example_create, NULL, NULL},
	{0},
};

static const struct portal_listener listeners[] = {
	{"example.item_created", on_item_created},
	{0},
};

static const struct portal_nav nav[] = {
	{"portal", "example.title", "/example", 90},
	{0},
};

/* A kind of mail residents can turn off. */
static const struct portal_notification notifications[] = {
	{"example", "example.notify", "example.notify_hint"},
	{0},
};

const struct portal_plugin portal_plugin_v1 = {
	PORTAL_PLUGIN_V1,
	.name = "example",
	.version = "1.0.0",
	.description = "An example to copy: one page, one table, one event",
	.routes = routes,
	.nav = nav,
	.listeners = listeners,
	.notifications = notifications,
};
