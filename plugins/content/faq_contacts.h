/* FAQ (Fragen & Antworten) and contacts (Ansprechpartner): the handlers of
 * faq_contacts.c, and their routes and home sections as table entries for
 * content.c. Both kinds share one implementation driven by a description of
 * each kind's columns. */
#ifndef CONTENT_FAQ_CONTACTS_H
#define CONTENT_FAQ_CONTACTS_H

#include <portal/portal.h>

int faq_list(struct portal_req *req, struct portal_value *view);
int faq_new_page(struct portal_req *req, struct portal_value *view);
int faq_edit_page(struct portal_req *req, struct portal_value *view);
int faq_create(struct portal_req *req, struct portal_value *view);
int faq_update(struct portal_req *req, struct portal_value *view);
int faq_delete(struct portal_req *req, struct portal_value *view);
int faq_move(struct portal_req *req, struct portal_value *view);
int faq_home(struct portal_req *req, const long long *property_ids, size_t count,
             struct portal_value *view);

int contacts_list(struct portal_req *req, struct portal_value *view);
int contacts_new_page(struct portal_req *req, struct portal_value *view);
int contacts_edit_page(struct portal_req *req, struct portal_value *view);
int contacts_create(struct portal_req *req, struct portal_value *view);
int contacts_update(struct portal_req *req, struct portal_value *view);
int contacts_delete(struct portal_req *req, struct portal_value *view);
int contacts_move(struct portal_req *req, struct portal_value *view);
int contacts_home(struct portal_req *req, const long long *property_ids, size_t count,
                  struct portal_value *view);

/* What the routes read (faq_contacts.c). */
extern const struct portal_input faq_create_inputs[];
extern const struct portal_input faq_update_inputs[];
extern const struct portal_input contacts_create_inputs[];
extern const struct portal_input contacts_update_inputs[];
extern const struct portal_input faq_contacts_list_inputs[];
extern const struct portal_input faq_contacts_move_inputs[];

/* The API serves residents too (reading); the pages are the managers': the
 * list, and a page for the form of a new entry and of each stored one. A
 * form refused or searched without script shows its page again. */
/* A table reads as a table, one route an entry: */
/* clang-format off */
#define FAQ_CONTACT_ROUTES                                                                         \
	{"GET", "/faq", NULL, PORTAL_ACCESS_SIGNED_IN, 0, faq_list, NULL, NULL,                    \
	 faq_contacts_list_inputs},                                                                \
	{"GET", NULL, "/app/content/faq", PORTAL_ACCESS_MANAGER, 0, faq_list, "faq", "faq.title",  \
	 faq_contacts_list_inputs},                                                                \
	{"GET", NULL, "/app/content/faq/new", PORTAL_ACCESS_MANAGER, 0, faq_new_page, "faq_form",  \
	 "faq.new"},                                                                               \
	{"GET", NULL, "/app/content/faq/{id}", PORTAL_ACCESS_MANAGER, 0, faq_edit_page, "faq_form", \
	 "faq.edit_title"},                                                                        \
	{"POST", "/faq", "/app/content/faq", PORTAL_ACCESS_MANAGER, 0, faq_create, "faq_form",     \
	 "faq.new", faq_create_inputs, faq_new_page},                                              \
	{"PATCH", "/faq/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, faq_update, NULL, NULL,             \
	 faq_update_inputs},                                                                       \
	{"POST", NULL, "/app/content/faq/{id}", PORTAL_ACCESS_MANAGER, 0, faq_update, "faq_form",  \
	 "faq.edit_title", faq_update_inputs, faq_edit_page},                                      \
	{"DELETE", "/faq/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, faq_delete, NULL, NULL},           \
	{"POST", NULL, "/app/content/faq/{id}/delete", PORTAL_ACCESS_MANAGER, 0, faq_delete,       \
	 "faq", "faq.title"},                                                                      \
	{"POST", NULL, "/app/content/faq/{id}/move", PORTAL_ACCESS_MANAGER, 0, faq_move, "faq",    \
	 "faq.title", faq_contacts_move_inputs, faq_list},                                         \
	{"GET", "/contacts", NULL, PORTAL_ACCESS_SIGNED_IN, 0, contacts_list, NULL, NULL,          \
	 faq_contacts_list_inputs},                                                                \
	{"GET", NULL, "/app/content/contacts", PORTAL_ACCESS_MANAGER, 0, contacts_list,            \
	 "contacts", "contacts.title", faq_contacts_list_inputs},                                  \
	{"GET", NULL, "/app/content/contacts/new", PORTAL_ACCESS_MANAGER, 0, contacts_new_page,    \
	 "contacts_form", "contacts.new"},                                                         \
	{"GET", NULL, "/app/content/contacts/{id}", PORTAL_ACCESS_MANAGER, 0, contacts_edit_page,  \
	 "contacts_form", "contacts.edit_title"},                                                  \
	{"POST", "/contacts", "/app/content/contacts", PORTAL_ACCESS_MANAGER, 0, contacts_create,  \
	 "contacts_form", "contacts.new", contacts_create_inputs, contacts_new_page},              \
	{"PATCH", "/contacts/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, contacts_update, NULL, NULL,   \
	 contacts_update_inputs},                                                                  \
	{"POST", NULL, "/app/content/contacts/{id}", PORTAL_ACCESS_MANAGER, 0, contacts_update,    \
	 "contacts_form", "contacts.edit_title", contacts_update_inputs, contacts_edit_page},      \
	{"DELETE", "/contacts/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, contacts_delete, NULL, NULL}, \
	{"POST", NULL, "/app/content/contacts/{id}/delete", PORTAL_ACCESS_MANAGER, 0,              \
	 contacts_delete, "contacts", "contacts.title"},                                           \
	{"POST", NULL, "/app/content/contacts/{id}/move", PORTAL_ACCESS_MANAGER, 0,                \
	 contacts_move, "contacts", "contacts.title", faq_contacts_move_inputs, contacts_list},
/* clang-format on */

/* The residents' home: the FAQ, then the contacts, of the shown properties. */
#define FAQ_CONTACT_HOME                            \
	{"home_faq", faq_home, PORTAL_HOME_SHARED}, \
	    {"home_contacts", contacts_home, PORTAL_HOME_SHARED},

#endif
