/* Test plugin for the invites sign-up: listens to "resident.joined" and logs
 * one line per event, "joined user U property P state S group G", which
 * tests/integration/join.test.mjs finds in portald's log. Never enabled
 * outside the tests. */
#include <portal/portal.h>

static int on_joined(struct portal_req *req, const char *event, const struct portal_value *payload)
{
	(void)req;
	(void)event;
	const char *state = pv_get_str(payload, "state");
	const char *group = pv_get_str(payload, "group");
	portal_log("joined user %lld property %lld state %s group %s",
	           pv_get_int(payload, "user_id", 0), pv_get_int(payload, "property_id", 0),
	           state ? state : "-", group ? group : "-");
	return 0;
}

static const struct portal_listener listeners[] = {
    {"resident.joined", on_joined},
    {0},
};

static const struct portal_route routes[] = {
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1, .name = "joined",
    .version = "1",   .description = "Logs resident.joined (tests only)",
    .routes = routes, .listeners = listeners,
};
