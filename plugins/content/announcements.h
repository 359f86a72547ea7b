/* Announcements (Mitteilungen): their routes, pages and home section, joined
 * into the content plugin's tables by content.c. Handlers live in announcements.c. */
#ifndef CONTENT_ANNOUNCEMENTS_H
#define CONTENT_ANNOUNCEMENTS_H

#include <portal/portal.h>

int announcement_create(struct portal_req *req, struct portal_value *view);
int announcement_new_form(struct portal_req *req, struct portal_value *view);
int announcement_hub(struct portal_req *req, struct portal_value *view);
int announcement_list(struct portal_req *req, struct portal_value *view);
int announcement_show(struct portal_req *req, struct portal_value *view);
int announcement_update(struct portal_req *req, struct portal_value *view);
int announcement_delete(struct portal_req *req, struct portal_value *view);
int announcement_attachment(struct portal_req *req, struct portal_value *view);
int announcement_home_fill(struct portal_req *req, const long long *property_ids, size_t count,
                           struct portal_value *view);

/* What the routes read (announcements.c). */
extern const struct portal_input announcement_create_inputs[];
extern const struct portal_input announcement_patch_inputs[];
extern const struct portal_input announcement_edit_inputs[];
extern const struct portal_input announcement_list_inputs[];
extern const struct portal_input announcement_detail_inputs[];

/* The API answers both roles on one route (the handler scopes by role); the
 * pages are one route per area, so the router keeps each role on its own. A
 * refused form is shown again around what its page's GET fills. */
/* A table reads as a table, one route an entry: */
/* clang-format off */
#define ANNOUNCEMENT_ROUTES                                                                   \
	{"GET", NULL, "/app/content", PORTAL_ACCESS_MANAGER, 0, announcement_hub,             \
	 "announcements_hub", "content.nav"},                                                 \
	{"GET", NULL, "/app/content/announcement/new", PORTAL_ACCESS_MANAGER, 0,              \
	 announcement_new_form, "announcement_new", "announcements.new_title"},               \
	{"POST", "/announcements", "/app/content/announcement/new", PORTAL_ACCESS_MANAGER, 0, \
	 announcement_create, "announcement_new", "announcements.new_title",                  \
	 announcement_create_inputs, announcement_new_form},                                  \
	{"GET", "/announcements", NULL, PORTAL_ACCESS_SIGNED_IN, 0, announcement_list, NULL,  \
	 NULL, announcement_list_inputs},                                                     \
	{"GET", NULL, "/app/content/announcements", PORTAL_ACCESS_MANAGER, 0,                 \
	 announcement_list, "announcements_list", "announcements.list_title",                 \
	 announcement_list_inputs},                                                           \
	{"GET", "/announcements/{id}", NULL, PORTAL_ACCESS_SIGNED_IN, 0, announcement_show,   \
	 NULL, NULL},                                                                         \
	{"GET", NULL, "/app/content/announcements/{id}", PORTAL_ACCESS_MANAGER, 0,            \
	 announcement_show, "announcement_detail", "announcements.detail_title",              \
	 announcement_detail_inputs},                                                         \
	{"GET", NULL, "/portal/announcements/{id}", PORTAL_ACCESS_RESIDENT, 0,                \
	 announcement_show, "announcement_resident", "announcements.detail_title"},           \
	{"PATCH", "/announcements/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, announcement_update, \
	 NULL, NULL, announcement_patch_inputs},                                              \
	{"POST", NULL, "/app/content/announcements/{id}", PORTAL_ACCESS_MANAGER, 0,           \
	 announcement_update, "announcement_detail", "announcements.detail_title",            \
	 announcement_edit_inputs, announcement_show},                                        \
	{"DELETE", "/announcements/{id}", NULL, PORTAL_ACCESS_MANAGER, 0,                     \
	 announcement_delete, NULL, NULL},                                                    \
	{"POST", NULL, "/app/content/announcements/{id}/delete", PORTAL_ACCESS_MANAGER, 0,    \
	 announcement_delete, "announcement_detail", "announcements.detail_title"},           \
	{"GET", "/announcements/{id}/attachments/{attachment_id}", NULL,                      \
	 PORTAL_ACCESS_SIGNED_IN, 0, announcement_attachment, NULL, NULL},
/* clang-format on */

#define ANNOUNCEMENT_HOME {"home_announcements", announcement_home_fill, PORTAL_HOME_SHARED},

#endif
