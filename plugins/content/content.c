/* The content plugin: announcements, appointments, FAQ and contacts for one,
 * several or all properties. Each part declares its routes and home sections
 * in its own header (a macro of table entries); this file only joins them. */
#include "announcements.h"
#include "appointments.h"
#include "faq_contacts.h"

#include <portal/files.h>

static const struct portal_route routes[] = {
    ANNOUNCEMENT_ROUTES APPOINTMENT_ROUTES FAQ_CONTACT_ROUTES{0},
};

/* The residents' home, in this order. */
static const struct portal_home_section home[] = {
    ANNOUNCEMENT_HOME APPOINTMENT_HOME FAQ_CONTACT_HOME{0},
};

static const struct portal_nav nav[] = {
    {"app", "content.nav", "/app/content", 30},
    {"portal", "content.nav_calendar", "/portal/calendar", 30},
    {0},
};

/* The kinds of mail this plugin sends residents, each a switch of theirs. */
static const struct portal_notification notifications[] = {
    {"announcements", "content.notify_announcements", "content.notify_announcements_hint"},
    {"appointments", "content.notify_appointments", "content.notify_appointments_hint"},
    {0},
};

/* For export and erasure (portal/data.h). */
static const struct portal_table tables[] = {
    {"announcements", .author = "author_id"},
    {"announcement_targets", .parent = "announcements", .parent_column = "announcement_id"},
    {"announcement_attachments", .file = "file", .file_name = "name"},
    {"announcement_reads", .parent = "announcements", .parent_column = "announcement_id"},
    {"appointments", .author = "author_id"},
    {"appointment_targets", .parent = "appointments", .parent_column = "appointment_id"},
    {"calendar_feeds", .parent = "users", .parent_column = "user_id"},
    {"faq_targets", .parent = "faq", .parent_column = "faq_id"},
    {"contact_targets", .parent = "contacts", .parent_column = "contact_id"},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "content",
    .version = "1.0.0",
    .description = "Announcements, appointments, FAQ and contacts for residents",
    .routes = routes,
    .nav = nav,
    .home = home,
    .notifications = notifications,
    .tables = tables,
};
