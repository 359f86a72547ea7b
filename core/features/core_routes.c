/* Core, declared like a plugin: its routes (one table per core/features/routes_*.c file)
 * and its entries of the manager's and the residents' navigation. */
#include "plugin/plugin.h"
#include "features/routes.h"
#include "portal/files.h"

static const struct portal_route *const route_tables[] = {
    routes_misc,          routes_session,    routes_password, routes_confirm,    routes_org,
    routes_employees,     routes_outbox,     routes_shell,    routes_properties, routes_import,
    routes_notifications, routes_categories, routes_ops,      routes_export,     NULL,
};

static const struct portal_nav nav[] = {
    {"app", "nav.overview", "/app", 10},
    {"app", "nav.properties", "/app/properties", 20},
    {"app", "nav.settings", "/app/settings", 90},
    {"portal", "nav.overview", "/portal", 10},
    {"portal", "nav.settings", "/portal/settings", 90},
    {0},
};

/* Core's tables for export and erasure (portal/data.h): what has no org_id,
 * what is secret, what names stored files or an address. */
static const struct portal_table tables[] = {
    {"orgs", .file = "logo_file"},
    {"properties", .file = "image_file", .file_name = "name"},
    {"sessions", .parent = "users", .parent_column = "user_id", .secret = "*"},
    {"account_tokens", .parent = "users", .parent_column = "user_id", .secret = "*"},
    {"notification_settings", .parent = "users", .parent_column = "user_id"},
    /* A mail's text may carry a link with a token. */
    {"outbox", .secret = "body_text body_html", .email = "to_addr"},
    {"employee_invites_elsewhere", .email = "email"},
    {0},
};

static const struct portal_plugin core_plugin = {
    PORTAL_PLUGIN_V1, .name = "core",    .version = "0.1.0", .description = "The portal's core",
    .nav = nav,       .jobs = core_jobs, .tables = tables,
};

const struct plugin_core core_definition = {&core_plugin, route_tables};
