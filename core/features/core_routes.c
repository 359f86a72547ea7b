/* Core, declared like a plugin: its routes (one table per core/features/routes_*.c file)
 * and its entries of the manager's and the residents' navigation. */
#include "plugin/plugin.h"
#include "features/routes.h"
#include "portal/files.h"

static const struct portal_route *const route_tables[] = {
    routes_misc,    routes_session,       routes_password,
    routes_confirm, routes_org,           routes_employees,
    routes_outbox,  routes_shell,         routes_properties,
    routes_import,  routes_notifications, routes_categories,
    routes_ops,
    NULL,
};

static const struct portal_nav nav[] = {
    {"app", "nav.overview", "/app", 10},
    {"app", "nav.properties", "/app/properties", 20},
    {"app", "nav.settings", "/app/settings", 90},
    {"portal", "nav.overview", "/portal", 10},
    {"portal", "nav.settings", "/portal/settings", 90},
    {0},
};

/* The organisation's logo and the properties' pictures. */
static const struct portal_file_column files[] = {
    {"orgs", "logo_file"},
    {"properties", "image_file"},
    {0},
};

static const struct portal_plugin core_plugin = {
    PORTAL_PLUGIN_V1, .name = "core",    .version = "0.1.0", .description = "The portal's core",
    .nav = nav,       .jobs = core_jobs, .files = files,
};

const struct plugin_core core_definition = {&core_plugin, route_tables};
