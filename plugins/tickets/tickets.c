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
/* The default categories as the API names them (an organisation's own list
 * is to follow). */
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
    /* a resolved ticket the reporter did not answer closes after these days */
    {"auto_close_days", "7", 1, 365},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "tickets",
    .version = "0.1.0",
    .description = "Tickets: residents report, managers handle, neighbours follow",
    .routes = routes,
    .jobs = jobs,
    .notifications = notifications,
    .settings = settings,
};
