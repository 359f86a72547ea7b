/* A plugin whose name differs from its file: the loader must refuse it. */
#include <portal/portal.h>

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "someone_else",
    .version = "1",
};
