/* What the pages add to the API's answers: texts in the caller's language
 * (statuses, kinds of events, dates) and the addresses of the pages. */
#include <string.h>

#include <portal/categories.h>
#include <portal/datetime.h>

#include "tickets.h"

int tickets_page_back(struct portal_req *req, long long id)
{
	return portal_redirect(req, portal_sprintf(req->arena, "/%s/tickets/%lld",
	                                           portal_is_manager(req) ? "app" : "portal", id));
}

const char *tickets_status_text(struct portal_req *req, const char *status)
{
	return portal_t(req, portal_sprintf(req->arena, "tickets.status.%s", status ? status : ""));
}

int tickets_page_item(struct portal_req *req, struct portal_value *item, const char *area)
{
	struct portal_arena *a = req->arena;
	const char *status = pv_get_str(item, "status");
	const char *due = pv_get_str(item, "due_on");
	if (pv_set_str(a, item, "status_text", tickets_status_text(req, status)) ||
	    pv_set_str(a, item, "category_text",
	               portal_category_text(req, pv_get_str(item, "category"))) ||
	    pv_set_str(
	        a, item, "date",
	        portal_time_text_of(req, pv_get_str(item, "created_at"), PORTAL_TIME_DATE)) ||
	    pv_set_str(a, item, "url",
	               portal_sprintf(a, "/%s/tickets/%lld", area, pv_get_int(item, "id", 0))) ||
	    (due &&
	     pv_set_str(a, item, "due_text", portal_time_text_of(req, due, PORTAL_TIME_DATE))))
		return 500;
	return 0;
}

int tickets_page_items(struct portal_req *req, struct portal_value *items, const char *area)
{
	pv_foreach(m, items) {
		int status = tickets_page_item(req, m->value, area);
		if (status)
			return status;
	}
	return 0;
}

/* One event's texts: what happened, by whom, when, from what to what. */
static int event_texts(struct portal_req *req, struct portal_value *e)
{
	struct portal_arena *a = req->arena;
	const char *type = pv_get_str(e, "type");
	struct portal_value *by = pv_get(e, "by");
	const char *role = pv_get_str(by, "role");
	const char *name = pv_get_str(by, "display_name");
	const char *by_text = name;
	if (!role)
		by_text = portal_t(req, "tickets.by_portal");
	else if (!name)
		by_text = portal_t(req, strcmp(role, "manager") == 0 ? "tickets.by_manager"
		                                                     : "tickets.by_resident");
	bool statuses = strcmp(type, "status") == 0 || strcmp(type, "reopened") == 0;
	const char *from = pv_get_str(e, "from"), *to = pv_get_str(e, "to");
	if (pv_set_str(a, e, "type_text",
	               portal_t(req, portal_sprintf(a, "tickets.event.%s", type))) ||
	    pv_set_str(a, e, "by_text", by_text) ||
	    pv_set_str(a, e, "at_text",
	               portal_time_text_of(req, pv_get_str(e, "at"), PORTAL_TIME_DATETIME)) ||
	    pv_set_bool(a, e, "is_note", strcmp(type, "note") == 0) ||
	    (from && *from &&
	     pv_set_str(a, e, "from_text", statuses ? tickets_status_text(req, from) : from)) ||
	    (to && *to &&
	     pv_set_str(a, e, "to_text", statuses ? tickets_status_text(req, to) : to)))
		return 500;
	return 0;
}

int tickets_page_detail(struct portal_req *req, struct portal_value *ticket, const char *area)
{
	int status = tickets_page_item(req, ticket, area);
	if (!status && pv_set_bool(req->arena, ticket, "any_photos",
	                           pv_first(pv_get(ticket, "attachments")) != NULL))
		status = 500;
	pv_foreach(m, status ? NULL : pv_get(ticket, "events")) {
		if ((status = event_texts(req, m->value)))
			break;
	}
	return status;
}

/* The organisation's categories as the choices of a select, selected
 * marked; NULL when out of memory or the list cannot be read. */
struct portal_value *tickets_category_choices(struct portal_req *req, const char *selected)
{
	struct portal_arena *a = req->arena;
	struct portal_value *names, *list = pv_list(a);
	if (!list || portal_categories(req, &names))
		return NULL;
	pv_foreach(m, names) {
		const char *name = pv_str(m->value);
		struct portal_value *c = pv_object(a);
		if (!c || pv_set_str(a, c, "value", name) ||
		    pv_set_str(a, c, "text", portal_category_text(req, name)) ||
		    pv_set_bool(a, c, "selected", selected && strcmp(selected, name) == 0) ||
		    pv_push(a, list, c))
			return NULL;
	}
	return list;
}

/* The choices of a select: [{value, text, selected}] of values, their texts
 * the locale keys of keys (in the same order). */
struct portal_value *tickets_choices(struct portal_req *req, const char *const *values,
                                     const char *const *keys, const char *selected)
{
	struct portal_arena *a = req->arena;
	struct portal_value *list = pv_list(a);
	for (size_t i = 0; list && values[i]; i++) {
		struct portal_value *c = pv_object(a);
		const char *text = portal_t(req, keys[i]);
		if (!c || pv_set_str(a, c, "value", values[i]) || pv_set_str(a, c, "text", text) ||
		    pv_set_bool(a, c, "selected", selected && strcmp(selected, values[i]) == 0) ||
		    pv_push(a, list, c))
			return NULL;
	}
	return list;
}
