/* A plugin with a route the example plugin has already: the loader must refuse it. */
#include <portal/portal.h>

static int handler(struct portal_req *req, struct portal_value *view)
{
	(void)req;
	(void)view;
	return 200;
}

static const struct portal_route routes[] = {
    {"GET", "/example", NULL, PORTAL_ACCESS_PUBLIC, 0, handler, NULL, NULL},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "clash",
    .version = "1",
    .routes = routes,
};
