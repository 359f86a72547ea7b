/* Test plugin for the check that a transaction is still open (core/db/db.c):
 * GET /api/v1/ender/2 runs a transaction that the server ends behind the
 * portal's back (a COMMIT sent as a statement of its own, as a Galera node's
 * abort of the transaction ended it), GET /api/v1/ender/1 the same
 * transaction without it. Both answer {tries} when they succeed. Never
 * enabled outside the tests. */
#include <portal/portal.h>

struct tries {
	int count;
	bool end_it;
};

static int body(struct portal_req *req, void *ctx)
{
	struct tries *t = ctx;
	t->count++;
	struct portal_value *rows;
	int status = t->end_it ? portal_db_exec(req, "COMMIT", NULL, 0, NULL, NULL) : 0;
	return status ? status : portal_db_query(req, "SELECT 1 AS one", NULL, 0, &rows);
}

static int ender(struct portal_req *req, struct portal_value *view)
{
	struct tries t = {.end_it = portal_param_id(req, "id") == 2};
	int status = portal_db_transaction(req, body, &t);
	if (status)
		return status;
	return pv_set_int(req->arena, view, "tries", t.count) ? 500 : 200;
}

static const struct portal_route routes[] = {
    {"GET", "/ender/{id}", NULL, PORTAL_ACCESS_PUBLIC, 0, ender, NULL, NULL},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "ender",
    .version = "1",
    .routes = routes,
};
