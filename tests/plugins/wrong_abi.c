/* A plugin built for another ABI version: the loader must refuse it. */
#include <portal/portal.h>

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_ABI_VERSION + 1,
    sizeof(struct portal_plugin),
    .name = "wrong_abi",
    .version = "1",
};
