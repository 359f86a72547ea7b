/* The community plugin: the board where neighbours help each other
 * ("Schwarzes Brett", API.md "Community board"): posts per property with
 * comments, followers and mail about new comments, moderation by the
 * managers and reports by the readers. This file declares the plugin; the
 * handlers live in posts.c, post.c, comments.c and moderation.c, the mail
 * in mail.c, who may see what in access.c.
 *
 * Every query is scoped by the caller's organisation; whoever may not see a
 * board or a post gets 404 for it, exactly as for one that does not exist. */
#include "community.h"

#define MANAGER PORTAL_ACCESS_MANAGER
#define RESIDENT PORTAL_ACCESS_RESIDENT
#define SIGNED_IN PORTAL_ACCESS_SIGNED_IN

const char *const community_kinds[] = {"offer", "request", "info", "giveaway", "lost_found", NULL};
const char *const community_reasons[] = {"personal_data", "insult", "spam", "other", NULL};

static const struct portal_route routes[] = {
    {"GET", "/properties/{id}/board", NULL, SIGNED_IN, 0, community_list, NULL, NULL,
     community_list_inputs},
    {"POST", "/properties/{id}/board", NULL, SIGNED_IN, 0, community_create, NULL, NULL,
     community_create_inputs},
    {"PATCH", "/properties/{id}/board/settings", NULL, MANAGER, 0, community_settings, NULL, NULL,
     community_settings_inputs},
    {"GET", "/board/reports", NULL, MANAGER, 0, community_reports, NULL, NULL},
    {"POST", "/board/reports/{id}/dismiss", NULL, MANAGER, 0, community_dismiss, NULL, NULL},
    {"GET", "/board/{post_id}", NULL, SIGNED_IN, 0, community_get, NULL, NULL},
    {"PATCH", "/board/{post_id}", NULL, SIGNED_IN, 0, community_update, NULL, NULL,
     community_update_inputs},
    {"DELETE", "/board/{post_id}", NULL, SIGNED_IN, 0, community_delete, NULL, NULL},
    {"POST", "/board/{post_id}/comments", NULL, SIGNED_IN, 0, community_comment, NULL, NULL,
     community_comment_inputs},
    {"DELETE", "/board/comments/{id}", NULL, SIGNED_IN, 0, community_comment_delete, NULL, NULL},
    {"POST", "/board/{post_id}/follow", NULL, RESIDENT, 0, community_follow, NULL, NULL},
    {"DELETE", "/board/{post_id}/follow", NULL, RESIDENT, 0, community_unfollow, NULL, NULL},
    {"POST", "/board/{post_id}/hide", NULL, MANAGER, 0, community_hide, NULL, NULL,
     community_hide_inputs},
    {"POST", "/board/{post_id}/approve", NULL, MANAGER, 0, community_approve, NULL, NULL},
    {"POST", "/board/{post_id}/report", NULL, SIGNED_IN, 0, community_report, NULL, NULL,
     community_report_inputs},

    /* the resident's pages (pages.c) */
    {"GET", NULL, "/portal/board", RESIDENT, 0, community_board_page, "portal_board",
     "community.title", community_page_inputs},
    {"POST", NULL, "/portal/properties/{id}/board", RESIDENT, 0, community_page_create,
     "portal_board", "community.title", community_create_inputs, community_board_page},
    {"GET", NULL, "/portal/board/{post_id}", RESIDENT, 0, community_post_page, "portal_post",
     "community.title", community_post_page_inputs},
    {"POST", NULL, "/portal/board/{post_id}/comments", RESIDENT, 0, community_page_comment,
     "portal_post", "community.title", community_comment_inputs, community_post_page},
    {"POST", NULL, "/portal/board/{post_id}/follow", RESIDENT, 0, community_page_follow,
     "portal_post", "community.title"},
    {"POST", NULL, "/portal/board/{post_id}/unfollow", RESIDENT, 0, community_page_unfollow,
     "portal_post", "community.title"},
    {"POST", NULL, "/portal/board/{post_id}/report", RESIDENT, 0, community_page_report,
     "portal_post", "community.title", community_report_inputs, community_post_page},
    {"POST", NULL, "/portal/board/{post_id}/edit", RESIDENT, 0, community_page_update,
     "portal_post", "community.title", community_update_inputs, community_post_page},
    {"POST", NULL, "/portal/board/{post_id}/delete", RESIDENT, 0, community_page_delete,
     "portal_post", "community.title"},
    {"POST", NULL, "/portal/board/comments/{id}/delete", RESIDENT, 0, community_page_comment_delete,
     "portal_post", "community.title"},
    /* the manager's pages (app_pages.c) */
    {"GET", NULL, "/app/properties/{id}/board", MANAGER, 0, community_app_page, "board",
     "community.title", community_app_page_inputs},
    {"POST", NULL, "/app/properties/{id}/board/settings", MANAGER, 0, community_app_settings,
     "board", "community.title", community_app_settings_inputs, community_app_page},
    {"POST", NULL, "/app/board/{post_id}/hide", MANAGER, 0, community_app_hide, "board",
     "community.title", community_app_hide_inputs, community_app_post_form},
    {"POST", NULL, "/app/board/{post_id}/approve", MANAGER, 0, community_app_approve, "board",
     "community.title"},
    {"POST", NULL, "/app/board/{post_id}/delete", MANAGER, 0, community_app_delete, "board",
     "community.title"},
    {"POST", NULL, "/app/board/comments/{id}/delete", MANAGER, 0, community_app_comment_delete,
     "board", "community.title"},
    {"GET", NULL, "/app/board/reports", MANAGER, 0, community_reports_page, "reports",
     "community.reports_title", community_app_page_inputs},
    {"POST", NULL, "/app/board/reports/{id}/dismiss", MANAGER, 0, community_app_dismiss, "reports",
     "community.reports_title"},
    {0},
};

static const struct portal_nav nav[] = {
    {"app", "community.reports_nav", "/app/board/reports", 40},
    {"portal", "community.nav", "/portal/board", 50},
    {0},
};

/* Alike for every resident of the properties shown (home.c). */
static const struct portal_home_section home[] = {
    {"home_board", community_home, PORTAL_HOME_SHARED},
    {0},
};

static const struct portal_job jobs[] = {
    {"board-comments", "every 1h", community_comment_mails},
    {0},
};

static const struct portal_notification notifications[] = {
    {"board", "community.notify", "community.notify_hint"},
    {0},
};

/* In portal.conf as "community.posts_per_day = 5". */
static const struct portal_setting settings[] = {
    {"posts_per_day", "10", 1, 1000},      /* a resident's posts in any 24 hours */
    {"comments_per_hour", "30", 1, 10000}, /* a resident's comments in any hour */
    {"report_threshold", "3", 1, 100},     /* residents whose reports hide a post */
    {0},
};

/* For export and erasure (portal/data.h): posts and comments stay when
 * their author is erased, under "ehemalige Bewohnerin / ehemaliger Bewohner". */
static const struct portal_table tables[] = {
    {"board_posts", .author = "author_id"},
    {"board_comments", .author = "author_id"},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "community",
    .version = "0.1.0",
    .description = "The community board of each property, with comments and moderation",
    .routes = routes,
    .nav = nav,
    .home = home,
    .jobs = jobs,
    .notifications = notifications,
    .settings = settings,
    .tables = tables,
};
