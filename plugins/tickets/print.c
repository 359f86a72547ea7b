/* The print view of a ticket, /app/tickets/{id}/print and
 * /portal/tickets/{id}/print: the ticket and its public history with its
 * photos laid out for A4, the reporter's record of having reported the
 * defect. Internal notes (and their photos) only for managers who ask for
 * them (internal=1). A neighbour has nothing to print: 404. */
#include <string.h>

#include <portal/datetime.h>
#include <portal/input.h>

#include "tickets.h"

const struct portal_input tickets_print_inputs[] = {
    {"internal", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

/* Takes the notes, and the photos of notes, out of the manager's view. */
static int without_notes(struct portal_req *req, struct portal_value *ticket)
{
	struct portal_arena *a = req->arena;
	struct portal_value *events = pv_list(a), *photos = pv_list(a);
	if (!events || !photos)
		return 500;
	pv_foreach(m, pv_get(ticket, "events")) {
		if (!pv_truthy(pv_get(m->value, "is_note")) && pv_push(a, events, m->value))
			return 500;
	}
	pv_foreach(m, pv_get(ticket, "attachments")) {
		long long event = pv_get_int(m->value, "event_id", 0);
		bool of_note = false;
		pv_foreach(e, pv_get(ticket, "events")) {
			if (pv_get_int(e->value, "id", 0) == event &&
			    pv_truthy(pv_get(e->value, "is_note")))
				of_note = true;
		}
		if (!of_note && pv_push(a, photos, m->value))
			return 500;
	}
	return pv_set(a, ticket, "events", events) || pv_set(a, ticket, "attachments", photos) ||
	               pv_set_bool(a, ticket, "any_photos", pv_first(photos) != NULL)
	           ? 500
	           : 0;
}

int tickets_print(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	bool manager = portal_is_manager(req);
	int status = tickets_find(req, id, false, &ticket, &viewer);
	if (!status && viewer == TICKETS_NEIGHBOUR)
		status = portal_not_found(req);
	if (status || (status = tickets_detail_of(req, id, viewer, view)) ||
	    (status = tickets_page_detail(req, view, manager ? "app" : "portal")))
		return status;
	bool internal = manager && portal_in_bool(req, "internal", false);
	if (!internal && (status = without_notes(req, view)))
		return status;
	struct portal_arena *a = req->arena;
	if (pv_set_bool(a, view, "internal", internal) ||
	    pv_set_str(a, view, "printed_at",
	               portal_time_text(req, portal_time_parse(pv_get_str(view, "updated_at")),
	                                PORTAL_TIME_DATETIME)))
		return 500;
	return 200;
}
