/* Test plugin for the pool's fault handling: GET /api/v1/slow/{seconds} sleeps,
 * so a request can outlive request_timeout; GET /api/v1/slow/pid answers with
 * the worker's pid; GET /api/v1/slow/grow/{MiB} makes the worker that much
 * larger for good (a leak, on purpose) in a request of a large arena. Never
 * enabled outside the tests. */
#include <portal/portal.h>
#include <stdlib.h>
#include <string.h>
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

/* What slow_grow keeps: never freed. */
static char *kept;

static int slow_grow(struct portal_req *req, struct portal_value *view)
{
	size_t bytes = (size_t)portal_param_id(req, "id") << 20;
	if (!(kept = malloc(bytes)) || !portal_alloc(req->arena, 2u << 20))
		return 500;
	memset(kept, 1, bytes); /* resident */
	return pv_set_int(req->arena, view, "pid", getpid()) ? 500 : 200;
}

static const struct portal_route routes[] = {
    {"GET", "/slow/{id}", NULL, PORTAL_ACCESS_PUBLIC, 0, slow_sleep, NULL, NULL},
    {"GET", "/slow/pid", NULL, PORTAL_ACCESS_PUBLIC, 0, slow_pid, NULL, NULL},
    {"GET", "/slow/grow/{id}", NULL, PORTAL_ACCESS_PUBLIC, 0, slow_grow, NULL, NULL},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "slow",
    .version = "1",
    .routes = routes,
};
