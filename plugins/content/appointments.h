/* Appointments (Termine): the manager's "Neuer Termin" and list, the residents'
 * calendar (month and list), the iCalendar feeds and the home section. */
#ifndef CONTENT_APPOINTMENTS_H
#define CONTENT_APPOINTMENTS_H

#include <portal/portal.h>

int appointment_create(struct portal_req *req, struct portal_value *view);
int appointment_new_form(struct portal_req *req, struct portal_value *view);
int appointment_list(struct portal_req *req, struct portal_value *view);
int appointment_show(struct portal_req *req, struct portal_value *view);
int appointment_edit_form(struct portal_req *req, struct portal_value *view);
int appointment_update(struct portal_req *req, struct portal_value *view);
int appointment_delete(struct portal_req *req, struct portal_value *view);
int appointment_calendar_page(struct portal_req *req, struct portal_value *view);
int appointment_property_ics(struct portal_req *req, struct portal_value *view);
int appointment_feed_ics(struct portal_req *req, struct portal_value *view);
int appointment_feed_show(struct portal_req *req, struct portal_value *view);
int appointment_feed_rotate(struct portal_req *req, struct portal_value *view);
int appointment_home(struct portal_req *req, const long long *property_ids, size_t count,
                     struct portal_value *view);

/* What the routes read (appointments.c). */
extern const struct portal_input appointment_create_inputs[];
extern const struct portal_input appointment_patch_inputs[];
extern const struct portal_input appointment_edit_inputs[];
extern const struct portal_input appointment_list_inputs[];
extern const struct portal_input appointment_calendar_inputs[];

/* The API under /api/v1 and the pages; /me/calendar is listed in API.md's core
 * section but lives here, beside the feed it hands out (core has no such route).
 * A refused form is shown again around what its page's GET fills. */
/* A table reads as a table, one route an entry: */
/* clang-format off */
#define APPOINTMENT_ROUTES                                                                   \
	{"GET", NULL, "/app/content/appointment/new", PORTAL_ACCESS_MANAGER, 0,              \
	 appointment_new_form, "appointment_new", "appointments.new_title"},                 \
	{"POST", "/appointments", "/app/content/appointment/new", PORTAL_ACCESS_MANAGER, 0, \
	 appointment_create, "appointment_new", "appointments.new_title",                    \
	 appointment_create_inputs, appointment_new_form},                                   \
	{"GET", "/appointments", "/app/content/appointments", PORTAL_ACCESS_SIGNED_IN, 0,   \
	 appointment_list, "appointments", "appointments.list_title",                        \
	 appointment_list_inputs},                                                           \
	{"GET", "/appointments/{id}", NULL, PORTAL_ACCESS_SIGNED_IN, 0, appointment_show,   \
	 NULL, NULL},                                                                        \
	{"PATCH", "/appointments/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, appointment_update, \
	 NULL, NULL, appointment_patch_inputs},                                              \
	{"GET", NULL, "/app/content/appointments/{id}", PORTAL_ACCESS_MANAGER, 0,            \
	 appointment_edit_form, "appointment_edit", "appointments.edit_title"},              \
	{"POST", NULL, "/app/content/appointments/{id}", PORTAL_ACCESS_MANAGER, 0,           \
	 appointment_update, "appointment_edit", "appointments.edit_title",                  \
	 appointment_edit_inputs, appointment_edit_form},                                    \
	{"DELETE", "/appointments/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, appointment_delete, \
	 NULL, NULL},                                                                        \
	{"POST", NULL, "/app/content/appointment/{id}/delete", PORTAL_ACCESS_MANAGER, 0,    \
	 appointment_delete, "appointments", "appointments.list_title"},                     \
	{"GET", NULL, "/portal/calendar", PORTAL_ACCESS_RESIDENT, 0,                         \
	 appointment_calendar_page, "calendar", "appointments.calendar_title",               \
	 appointment_calendar_inputs},                                                       \
	{"GET", "/properties/{id}/calendar.ics", NULL, PORTAL_ACCESS_SIGNED_IN, 0,          \
	 appointment_property_ics, NULL, NULL},                                              \
	{"GET", "/calendar/{token}.ics", NULL, PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_ANONYMOUS,  \
	 appointment_feed_ics, NULL, NULL},                                                  \
	{"GET", "/me/calendar", NULL, PORTAL_ACCESS_RESIDENT, 0, appointment_feed_show, NULL, \
	 NULL},                                                                              \
	{"POST", "/me/calendar/rotate", NULL, PORTAL_ACCESS_RESIDENT, 0,                     \
	 appointment_feed_rotate, NULL, NULL},
/* clang-format on */

#define APPOINTMENT_HOME {"home_appointments", appointment_home, PORTAL_HOME_SHARED},

#endif
