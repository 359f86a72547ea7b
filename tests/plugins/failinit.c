/* A plugin whose init fails in every worker: the master must back off instead
 * of respawning in a tight loop. */
#include <portal/portal.h>

static int fail(const struct portal_context *ctx, void **state)
{
	(void)ctx;
	(void)state;
	return -1;
}

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "failinit",
    .version = "1",
    .init = fail,
};
