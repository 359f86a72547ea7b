/* A plugin as the first SDK built it: routes of the first layout (without
 * inputs and form; route_size 0) and the first init. The loader must still
 * read its routes right and call its init. */
#include <portal/portal.h>

/* struct portal_route of the first SDK */
struct route_v1 {
	const char *method, *api_path, *page_path;
	enum portal_access access;
	unsigned flags;
	portal_handler handler;
	const char *template_name, *title;
};

static int initialised;

static int hello(struct portal_req *req, struct portal_value *view)
{
	if (pv_set_str(req->arena, view, "hello", "sdk1") ||
	    pv_set_bool(req->arena, view, "initialised", req->plugin_state == &initialised))
		return 500;
	return 200;
}

static int answer(struct portal_req *req, struct portal_value *view)
{
	return pv_set_str(req->arena, view, "answer", "42") ? 500 : 200;
}

static const struct route_v1 routes[] = {
    {"GET", "/sdk1/hello", NULL, PORTAL_ACCESS_PUBLIC, 0, hello, NULL, NULL},
    {"GET", "/sdk1/answer", NULL, PORTAL_ACCESS_PUBLIC, 0, answer, NULL, NULL},
    {0},
};

static int init_v1(void **state)
{
	*state = &initialised;
	return 0;
}

/* The first SDK's struct had 136 bytes: what lies beyond (.categories on)
 * the loader must not read. */
const struct portal_plugin portal_plugin_v1 = {
    PORTAL_ABI_VERSION,
    136,
    .name = "sdk1",
    .version = "1",
    .routes = (const struct portal_route *)routes,
    .init_v1 = init_v1,
};
