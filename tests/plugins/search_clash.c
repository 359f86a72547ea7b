/* A plugin whose search index has the name of core's (properties): the
 * loader must refuse it, as search_rebuilds knows an index by its name. */
#include <portal/portal.h>
#include <portal/search.h>

static const struct portal_search_index search[] = {
    {.name = "properties",
     .table = "search_clash_words",
     .id = "item_id",
     .objects = "search_clash_items",
     .texts = "SELECT 1"},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "search_clash",
    .version = "1",
    .search = search,
};
