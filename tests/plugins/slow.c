/* Test plugin for the pool's fault handling: GET /api/v1/slow/{seconds} sleeps,
 * so a request can outlive request_timeout; GET /api/v1/slow/pid answers with
 * the worker's pid. Never enabled outside the tests. */
#include <portal/portal.h>
#include <unistd.h>

static int slow_sleep(struct portal_req *req, struct portal_value *view)
{
	sleep((unsigned)portal_param_id(req, "id"));
	return pv_set_int(req->arena, view, "slept", portal_param_id(req, "id")) ? 500 : 200;
}

static int slow_pid(struct portal_req *req, struct portal_value *view)
{
	return pv_set_int(req->arena, view, "pid", getpid()) ? 500 : 200;
}

static const struct portal_route routes[] = {
    {"GET", "/slow/{id}", NULL, PORTAL_ACCESS_PUBLIC, 0, slow_sleep, NULL, NULL},
    {"GET", "/slow/pid", NULL, PORTAL_ACCESS_PUBLIC, 0, slow_pid, NULL, NULL},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "slow",
    .version = "1",
    .routes = routes,
};
