/* The tickets plugin (Vorgänge): what its files share. */
#ifndef TICKETS_H
#define TICKETS_H

#include <stdbool.h>

#include <portal/files.h>
#include <portal/portal.h>
#include <portal/search.h>

#define TICKETS_TITLE_MAX 200
#define TICKETS_TEXT_MAX 5000
#define TICKETS_NOTE_MAX 500
#define TICKETS_BULK_MAX 200
#define TICKETS_PHOTOS_MAX 10
#define TICKETS_SHARED_MAX 20 /* the resident's page: the house's shared tickets shown */

extern const char *const tickets_statuses[];
extern const char *const tickets_categories[];
/* The locale keys of their texts, in the same order. */
extern const char *const tickets_status_keys[];

/* How the caller sees a ticket: the organisation's manager, the resident who
 * reported it, or a resident of its property who may see it as shared (or
 * who follows it): then without reporter, photos and comments. */
enum tickets_viewer { TICKETS_MANAGER, TICKETS_REPORTER, TICKETS_NEIGHBOUR };

/* access.c: the ticket {id} as the caller may see it (the columns of
 * tickets), or 404; lock: FOR UPDATE (in an open transaction). */
int tickets_find(struct portal_req *req, long long id, bool lock, struct portal_value **ticket,
                 enum tickets_viewer *viewer);

/* events.c: writing the history, and changing a ticket as PATCH does */
int tickets_event(struct portal_req *req, const struct portal_value *ticket, const char *type,
                  const char *body, const char *from, const char *to, long long *event_id);
/* Sets the status (an event "status", or "reopened" when reopened is true,
 * then the comment if there is one) and mails the people the change
 * concerns. Nothing when it is the same. */
int tickets_set_status(struct portal_req *req, struct portal_value *ticket, const char *status,
                       bool reopened, const char *comment);
/* Sets the assignee (0: none; a manager of the organisation, else 422). */
int tickets_set_assignee(struct portal_req *req, struct portal_value *ticket,
                         long long assignee_id);

/* photos.c: the photos of a report or comment (multipart "files"), cleaned
 * and stored before the transaction; their rows in it; removed again when
 * the request fails after storing them. */
struct tickets_photo {
	char file[PORTAL_FILE_NAME_CHARS + 1], thumb[PORTAL_FILE_NAME_CHARS + 1];
	bool file_created, thumb_created;
	const char *name, *type, *thumb_type;
	size_t size;
};
struct tickets_photos {
	size_t count;
	struct tickets_photo items[TICKETS_PHOTOS_MAX];
};
int tickets_photos_take(struct portal_req *req, struct tickets_photos *photos);
void tickets_photos_discard(struct portal_req *req, const struct tickets_photos *photos);
int tickets_photos_save(struct portal_req *req, long long ticket_id, long long event_id,
                        const struct tickets_photos *photos);
extern const struct portal_input tickets_attachment_inputs[];
int tickets_attachment(struct portal_req *req, struct portal_value *view);

/* notify.c: mails, queued in the open transaction */
int tickets_mail_new(struct portal_req *req, const struct portal_value *ticket);
int tickets_mail_comment(struct portal_req *req, const struct portal_value *ticket,
                         const char *body);
int tickets_mail_status(struct portal_req *req, const struct portal_value *ticket, const char *from,
                        const char *comment);

/* search.c: the search index of tickets (sql/002); tickets_search_refresh
 * after each write of a ticket's title, description or reporter, in its
 * transaction (created: the ticket is new, its words are added). */
extern const struct portal_search_index tickets_search[];
int tickets_search_refresh(struct portal_req *req, long long id, bool created);

/* list_query.c: the list's statement. A search's terms, the rarest first for
 * a manager; asked when q was sent, count 0 when it has no words. */
struct tickets_search_terms {
	struct portal_word_term *terms;
	size_t count;
	bool asked;
};
int tickets_search_terms_of(struct portal_req *req, struct tickets_search_terms *s);
struct portal_page;
struct tickets_list_spec {
	const struct portal_page *page;
	const char *key; /* by activity: the cursor's time as the column holds it */
	bool activity, counts, employees;
	bool shared; /* the resident's page: the open shared tickets they do not follow */
	const struct tickets_search_terms *search;
};
int tickets_list_query(struct portal_req *req, const struct tickets_list_spec *l, const char **sql,
                       struct portal_db_arg **args, size_t *nargs);

/* The columns of a ticket as both the list and the detail read them, from t
 * (tickets), p (properties), ru (the reporter), au (the assignee). */
#define TICKETS_ITEM_COLUMNS                                                                      \
	" t.id, t.number, t.title, t.status, t.category, t.property_id, p.name AS property_name," \
	" COALESCE(ru.name, t.reporter_name) AS reporter_name, t.assignee_id,"                    \
	" au.name AS assignee_name, CAST((SELECT COUNT(*) FROM ticket_followers f"                \
	" WHERE f.ticket_id = t.id AND f.reason = 'affected') AS UNSIGNED) AS affected_count,"    \
	" DATE_FORMAT(t.due_on, '%Y-%m-%d') AS due_on, t.created_at, t.updated_at"

/* A NULL with the type of ids and numbers, for the columns of a union that
 * another part fills (list_query.c, view.c): a bare NULL beside them would
 * make the union's column text, and numbers would come back as strings. A
 * count (signed) beside it is cast to UNSIGNED too: signed and unsigned
 * numbers make the union's column a DECIMAL, which comes back as a string. */
#define TICKETS_NULL_NUMBER "CAST(NULL AS UNSIGNED)"

/* view.c: the rows of such a union of two parts (a column part of 1 or 2)
 * apart, in their order, into *first and *second, each row without the part
 * and the other part's columns (second_only, first_only: NULL-terminated). */
int tickets_parts(struct portal_arena *a, struct portal_value *rows, const char *const *first_only,
                  const char *const *second_only, struct portal_value **first,
                  struct portal_value **second);

/* view.c: the answers' shapes. A row of TICKETS_ITEM_COLUMNS as the list's
 * item, in place; the ticket with its attachments and history as the viewer
 * may see it (tickets_detail asks who that is first). */
int tickets_item(struct portal_req *req, struct portal_value *row, enum tickets_viewer viewer);
int tickets_detail_of(struct portal_req *req, long long id, enum tickets_viewer viewer,
                      struct portal_value *view);
int tickets_detail(struct portal_req *req, long long id, struct portal_value *view);
/* One event of the ticket as its history shows it. */
int tickets_event_view(struct portal_req *req, long long ticket_id, long long event_id,
                       struct portal_value *view);

/* page_view.c: the pages' texts. area is "app" or "portal" (the pages'
 * addresses). */
const char *tickets_status_text(struct portal_req *req, const char *status);
/* A page's form done: back to the ticket's page (303). */
int tickets_page_back(struct portal_req *req, long long id);
int tickets_page_item(struct portal_req *req, struct portal_value *item, const char *area);
int tickets_page_items(struct portal_req *req, struct portal_value *items, const char *area);
int tickets_page_detail(struct portal_req *req, struct portal_value *ticket, const char *area);
struct portal_value *tickets_category_choices(struct portal_req *req, const char *selected);
struct portal_value *tickets_choices(struct portal_req *req, const char *const *values,
                                     const char *const *keys, const char *selected);

/* create.c, list.c, change.c, flow.c, autoclose.c: the routes and the job */
extern const struct portal_input tickets_create_inputs[];
extern const struct portal_input tickets_list_inputs[];
extern const struct portal_input tickets_shared_inputs[];
extern const struct portal_input tickets_comment_inputs[];
extern const struct portal_input tickets_update_inputs[];
extern const struct portal_input tickets_bulk_inputs[];
extern const struct portal_input tickets_bulk_page_inputs[];
extern const struct portal_input tickets_merge_inputs[];
extern const struct portal_input tickets_confirm_inputs[];
int tickets_create(struct portal_req *req, struct portal_value *view);
int tickets_list(struct portal_req *req, struct portal_value *view);
/* The list of GET /tickets; with the counts per status (counts) and the
 * organisation's employees as "employees" [{id, name}] (employees). */
int tickets_list_of(struct portal_req *req, struct portal_value *view, bool counts, bool employees);
int tickets_shared(struct portal_req *req, struct portal_value *view);
int tickets_get(struct portal_req *req, struct portal_value *view);
int tickets_comment(struct portal_req *req, struct portal_value *view);
int tickets_update(struct portal_req *req, struct portal_value *view);
int tickets_bulk(struct portal_req *req, struct portal_value *view);
int tickets_affected(struct portal_req *req, struct portal_value *view);
int tickets_merge(struct portal_req *req, struct portal_value *view);
int tickets_confirm(struct portal_req *req, struct portal_value *view);
int tickets_reopen(struct portal_req *req, struct portal_value *view);
int tickets_autoclose(struct portal_req *req);

/* portal_pages.c: the resident's pages and home sections */
extern const struct portal_input tickets_new_page_inputs[];
extern const struct portal_input tickets_confirm_page_inputs[];
int tickets_portal_list(struct portal_req *req, struct portal_value *view);
int tickets_portal_new(struct portal_req *req, struct portal_value *view);
int tickets_portal_ticket(struct portal_req *req, struct portal_value *view);
int tickets_portal_confirm(struct portal_req *req, struct portal_value *view);
int tickets_home(struct portal_req *req, const long long *property_ids, size_t count,
                 struct portal_value *view);
/* print.c: the print view of both areas */
extern const struct portal_input tickets_print_inputs[];
int tickets_print(struct portal_req *req, struct portal_value *view);
/* app_pages.c: the manager's pages */
int tickets_app_list(struct portal_req *req, struct portal_value *view);
int tickets_app_ticket(struct portal_req *req, struct portal_value *view);
/* app_new.c: the manager's form for a report taken on the phone */
extern const struct portal_input tickets_app_new_inputs[];
extern const struct portal_input tickets_record_inputs[]; /* create.c */
int tickets_app_new(struct portal_req *req, struct portal_value *view);
int tickets_home_shared(struct portal_req *req, const long long *property_ids, size_t count,
                        struct portal_value *view);

#endif
