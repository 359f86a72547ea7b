/* The tickets plugin (Vorgänge): residents report damage and problems of
 * their property, managers handle them with a history, shared tickets that
 * neighbours follow ("Ich bin auch betroffen"), duplicates merged, and the
 * reporter's confirmation when a ticket is resolved ("Tickets" in API.md).
 * This file declares the plugin; the handlers live in create.c, list.c,
 * view.c, change.c and flow.c, what they share in access.c, events.c and
 * notify.c.
 *
 * Every query is scoped by the caller's organisation; a ticket the caller may
 * not see is 404, exactly like one that does not exist. */
#include "tickets.h"

#define MANAGER PORTAL_ACCESS_MANAGER
#define RESIDENT PORTAL_ACCESS_RESIDENT
#define SIGNED_IN PORTAL_ACCESS_SIGNED_IN

const char *const tickets_statuses[] = {"open",     "in_progress", "waiting",
                                        "resolved", "closed",      NULL};
const char *const tickets_status_keys[] = {"tickets.status.open",    "tickets.status.in_progress",
                                           "tickets.status.waiting", "tickets.status.resolved",
                                           "tickets.status.closed",  NULL};
/* The categories of an organisation that has no list of its own
 * (portal/categories.h), as the API names them (pages translate them). */
const char *const tickets_categories[] = {
    "Schaden/Reparatur", "Heizung/Wasser", "Aufzug", "Reinigung", "Lärm", "Sonstiges", NULL};

static const struct portal_route routes[] = {
    {"POST", "/tickets", NULL, SIGNED_IN, 0, tickets_create, NULL, NULL, tickets_create_inputs},
    {"GET", "/tickets", NULL, SIGNED_IN, 0, tickets_list, NULL, NULL, tickets_list_inputs},
    {"POST", "/tickets/bulk", NULL, MANAGER, 0, tickets_bulk, NULL, NULL, tickets_bulk_inputs},
    {"GET", "/properties/{id}/tickets/shared", NULL, RESIDENT, 0, tickets_shared, NULL, NULL,
     tickets_shared_inputs},
    {"GET", "/tickets/{id}", NULL, SIGNED_IN, 0, tickets_get, NULL, NULL},
    {"POST", "/tickets/{id}/comments", NULL, SIGNED_IN, 0, tickets_comment, NULL, NULL,
     tickets_comment_inputs},
    {"PATCH", "/tickets/{id}", NULL, MANAGER, 0, tickets_update, NULL, NULL, tickets_update_inputs},
    {"POST", "/tickets/{id}/affected", NULL, RESIDENT, 0, tickets_affected, NULL, NULL},
    {"POST", "/tickets/{id}/merge", NULL, MANAGER, 0, tickets_merge, NULL, NULL,
     tickets_merge_inputs},
    {"POST", "/tickets/{id}/confirm", NULL, SIGNED_IN, 0, tickets_confirm, NULL, NULL,
     tickets_confirm_inputs},
    {"POST", "/tickets/{id}/reopen", NULL, SIGNED_IN, 0, tickets_reopen, NULL, NULL},
    {"GET", "/tickets/{id}/attachments/{attachment_id}", NULL, SIGNED_IN, 0, tickets_attachment,
     NULL, NULL, tickets_attachment_inputs},

    /* The manager's pages (app_pages.c) and their forms. */
    {"GET", NULL, "/app/tickets", MANAGER, 0, tickets_app_list, "app_tickets", "tickets.title",
     tickets_list_inputs},
    {"POST", NULL, "/app/tickets/bulk", MANAGER, 0, tickets_bulk, "app_tickets", "tickets.title",
     tickets_bulk_page_inputs, tickets_app_list},
    {"GET", NULL, "/app/tickets/new", MANAGER, 0, tickets_app_new, "app_ticket_new",
     "tickets.record_title", tickets_app_new_inputs},
    {"POST", NULL, "/app/tickets/new", MANAGER, 0, tickets_create, "app_ticket_new",
     "tickets.record_title", tickets_record_inputs, tickets_app_new},
    {"GET", NULL, "/app/tickets/{id}", MANAGER, 0, tickets_app_ticket, "app_ticket",
     "tickets.title"},
    {"POST", NULL, "/app/tickets/{id}", MANAGER, 0, tickets_update, "app_ticket", "tickets.title",
     tickets_update_inputs, tickets_app_ticket},
    {"POST", NULL, "/app/tickets/{id}/merge", MANAGER, 0, tickets_merge, "app_ticket",
     "tickets.title", tickets_merge_inputs, tickets_app_ticket},
    {"GET", NULL, "/app/tickets/{id}/print", MANAGER, 0, tickets_print, "ticket_print",
     "tickets.print_title", tickets_print_inputs},
    {"POST", NULL, "/app/tickets/{id}/comments", MANAGER, 0, tickets_comment, "app_ticket",
     "tickets.title", tickets_comment_inputs, tickets_app_ticket},

    /* The resident's pages (portal_pages.c) and their forms. */
    {"GET", NULL, "/portal/tickets", RESIDENT, 0, tickets_portal_list, "portal_tickets",
     "tickets.my_title", tickets_list_inputs},
    {"GET", NULL, "/portal/tickets/new", RESIDENT, 0, tickets_portal_new, "portal_ticket_new",
     "tickets.new_title", tickets_new_page_inputs},
    {"POST", NULL, "/portal/tickets/new", RESIDENT, 0, tickets_create, "portal_ticket_new",
     "tickets.new_title", tickets_create_inputs, tickets_portal_new},
    {"GET", NULL, "/portal/tickets/{id}", RESIDENT, 0, tickets_portal_ticket, "portal_ticket",
     "tickets.my_title"},
    {"POST", NULL, "/portal/tickets/{id}/comments", RESIDENT, 0, tickets_comment, "portal_ticket",
     "tickets.my_title", tickets_comment_inputs, tickets_portal_ticket},
    {"POST", NULL, "/portal/tickets/{id}/affected", RESIDENT, 0, tickets_affected, "portal_ticket",
     "tickets.my_title", NULL, tickets_portal_ticket},
    {"POST", NULL, "/portal/tickets/{id}/reopen", RESIDENT, 0, tickets_reopen, "portal_ticket",
     "tickets.my_title", NULL, tickets_portal_ticket},
    {"GET", NULL, "/portal/tickets/{id}/print", RESIDENT, 0, tickets_print, "ticket_print",
     "tickets.print_title", tickets_print_inputs},
    {"GET", NULL, "/portal/tickets/{id}/confirm", RESIDENT, 0, tickets_portal_confirm,
     "portal_ticket_confirm", "tickets.confirm_title", tickets_confirm_page_inputs},
    {"POST", NULL, "/portal/tickets/{id}/confirm", RESIDENT, 0, tickets_confirm,
     "portal_ticket_confirm", "tickets.confirm_title", tickets_confirm_inputs,
     tickets_portal_confirm},
    {0},
};

static const struct portal_nav nav[] = {
    {"app", "nav.tickets", "/app/tickets", 20},
    {"portal", "tickets.my_title", "/portal/tickets", 50},
    {0},
};

/* The residents' home: their own open tickets (per person), and the shared
 * ones of their properties (alike for all: cached). */
static const struct portal_home_section home[] = {
    {"home_tickets", tickets_home, 0},
    {"home_tickets_shared", tickets_home_shared, PORTAL_HOME_SHARED},
    {0},
};

static const struct portal_job jobs[] = {
    /* resolved tickets nobody answered for tickets.auto_close_days */
    {"tickets-autoclose", "every 15m", tickets_autoclose},
    {0},
};

static const struct portal_notification notifications[] = {
    {"tickets", "tickets.notify", "tickets.notify_hint"},
    {0},
};

/* In portal.conf as "tickets.max_reports_per_day = 20". */
static const struct portal_setting settings[] = {
    /* a resident's reports in 24 hours; more is a 429 */
    {"max_reports_per_day", "10", 1, 1000},
    /* a resident's comments in any hour (each mails the staff); more is a 429 */
    {"max_comments_per_hour", "30", 1, 10000},
    /* a resolved ticket the reporter did not answer closes after these days */
    {"auto_close_days", "7", 1, 365},
    {0},
};

/* For the stored files' sweep, export and erasure (portal/data.h): a photo
 * and its thumbnail are stored files; what a resident reported or wrote stays
 * when they are erased, under "ehemalige Bewohnerin / ehemaliger Bewohner". */
static const struct portal_table tables[] = {
    {"tickets", .author = "reporter_id"},
    {"ticket_events", .author = "user_id"},
    {"ticket_attachments", .file = "file", .file_name = "name"},
    {"ticket_attachments", .file = "thumbnail_file"},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "tickets",
    .version = "0.1.0",
    .description = "Tickets: residents report, managers handle, neighbours follow",
    .routes = routes,
    .nav = nav,
    .home = home,
    .jobs = jobs,
    .notifications = notifications,
    .settings = settings,
    .tables = tables,
    .categories = tickets_categories,
    .search = tickets_search,
};
