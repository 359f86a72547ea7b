/* The invites plugin: one link and QR code per property, email invitations,
 * the residents' sign-up, and the property's contacts. This file declares the
 * plugin; the handlers live in link.c, join.c and residents.c. */
#include "invites.h"

#define MANAGER PORTAL_ACCESS_MANAGER

static const struct portal_route routes[] = {
    {"GET", "/properties/{id}/invite", "/app/properties/{id}/invite", MANAGER, 0, invite_show,
     "invite", "invites.title", invite_show_inputs},
    {"POST", "/properties/{id}/invite/rotate", "/app/properties/{id}/invite/rotate", MANAGER, 0,
     invite_rotate, "invite", "invites.title"},
    {"PATCH", "/properties/{id}/invite", NULL, MANAGER, 0, invite_update, NULL, NULL,
     invite_update_inputs},
    {"POST", NULL, "/app/properties/{id}/invite/settings", MANAGER, 0, invite_update, "invite",
     "invites.title", invite_update_inputs, invite_show},
    {"GET", "/properties/{id}/invite/qr.svg", NULL, MANAGER, 0, invite_qr_svg, NULL, NULL},
    {"GET", "/properties/{id}/invite/qr.png", NULL, MANAGER, 0, invite_qr_png, NULL, NULL},
    {"GET", NULL, "/app/properties/{id}/invite/poster", MANAGER, 0, invite_poster, "poster",
     "invites.poster_title"},
    {"POST", "/properties/{id}/invite/email", "/app/properties/{id}/invite/email", MANAGER, 0,
     invite_email, "invite", "invites.title", invite_email_inputs, invite_email_form},

    /* Creating an account signs in: no CSRF token yet (a foreign Origin is
     * still refused by the core). */
    {"GET", "/join/{token}", "/join/{token}", PORTAL_ACCESS_PUBLIC, 0, join_show, "join",
     "join.title"},
    {"POST", "/join/{token}", "/join/{token}", PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_NO_CSRF,
     join_submit, "join", "join.title", join_inputs, join_show},

    {"GET", "/properties/{id}/residents", "/app/properties/{id}/residents", MANAGER, 0,
     residents_list, "residents", "residents.title", residents_list_inputs},
    {"POST", "/properties/{id}/residents/{user_id}/accept",
     "/app/properties/{id}/residents/{user_id}/accept", MANAGER, 0, residents_accept, "residents",
     "residents.title"},
    {"POST", "/properties/{id}/residents/{user_id}/reject",
     "/app/properties/{id}/residents/{user_id}/reject", MANAGER, 0, residents_reject, "residents",
     "residents.title"},
    {"PATCH", "/properties/{id}/residents/{user_id}", NULL, MANAGER, 0, residents_update, NULL,
     NULL, residents_update_inputs},
    {"POST", NULL, "/app/properties/{id}/residents/{user_id}", MANAGER, 0, residents_update,
     "residents", "residents.title", residents_update_inputs, residents_again},
    {"DELETE", "/properties/{id}/residents/{user_id}", NULL, MANAGER, 0, residents_remove, NULL,
     NULL},
    {"POST", NULL, "/app/properties/{id}/residents/{user_id}/remove", MANAGER, 0, residents_remove,
     "residents", "residents.title"},
    {0},
};

/* Sign-ups through a property's public invite link: every attempt counts per
 * client address (one through a dead link too) and per email; past either
 * limit within the window the answer is 429 until the oldest attempt leaves
 * it. In portal.conf as "invites.join_max_per_address = 20". */
static const struct portal_setting settings[] = {
    {"join_max_per_address", "20", 1, 1000000},
    {"join_max_per_email", "5", 1, 1000000},
    {"join_window_seconds", "3600", 1, 604800},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "invites",
    .version = "1.0.0",
    .description = "Invite links and QR codes per property, resident sign-up, contacts",
    .routes = routes,
    .settings = settings,
};
