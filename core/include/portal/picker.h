/* The property picker: a form's choice of "all properties" or some of the
 * organisation's, for organisations of any size. A page never lists all
 * properties: the picker shows "Alle Liegenschaften", the chosen properties
 * as chips, and the matches of a search (at most PORTAL_PICKER_RESULTS;
 * before a search the first by name).
 *
 * The form's route has a form handler (struct portal_route's form, usually
 * the page's GET handler), which calls portal_picker; the page's template
 * includes core's partial {{>picker}} inside the form. The choice is sent as
 * the field p->field ("all", or ids), which the route that saves the form
 * declares as PORTAL_IN_PROPERTIES:
 *
 *     struct portal_picker picker = {
 *             .id = "notes-properties", .field = "property_ids",
 *             .legend = "notes.for", .action = "/app/notes", .required = true,
 *     };
 *     if ((status = portal_picker(req, view, &picker)))
 *             return status;
 *
 * With script (core's portal.js) the search asks GET /api/v1/properties?q=
 * as one types, and the chips get a "remove" button. Without script the
 * picker's search button (name "picker", value "search") posts its form to
 * the form's action: the core then runs the route's form handler instead of
 * its handler and answers the page (200) with the matches and the form as
 * sent (the view's "form", as after a refused form). A search never writes,
 * and the form's CSRF token never goes into a URL. */
#ifndef PORTAL_PICKER_H
#define PORTAL_PICKER_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct portal_req;
struct portal_value;

/* At most this many matches are shown (the script asks for as many). */
#define PORTAL_PICKER_RESULTS 20

struct portal_picker {
	const char *id;     /* unique on the page: the fieldset's id, its fields' prefix */
	const char *field;  /* the name the choice is sent as ("property_ids") */
	const char *legend; /* locale key of its legend */
	/* Its form's action (a page path, a query allowed): the search without
	 * script posts the form there, and a post there is its form sent. */
	const char *action;
	bool required; /* the legend says so; the saving route's input refuses none */
	/* The choice as stored, shown unless the form was sent (portal_form_sent:
	 * then what was sent, its names looked up in the organisation, where a
	 * foreign id finds nothing): all properties, or chosen [{id, name}]
	 * (NULL: none). */
	bool all;
	const struct portal_value *chosen;
};

/* Sets into's member "picker" to what {{>picker}} shows: {id, field, legend,
 * required, all, chosen [{id, name}], has_chosen, q, results [{id, name,
 * city}] (the matches, without the chosen), status (what to say about them),
 * action}. One picker per object: an entry's picker goes into
 * the entry. Two queries at most (the names of what was sent, the matches).
 * Returns 0 or an HTTP status. */
int portal_picker(struct portal_req *req, struct portal_value *into, const struct portal_picker *p);

#ifdef __cplusplus
}
#endif

#endif
