/* What the content plugin's parts share about their forms: the property
 * picker every form shows (templates/targets.html).
 *
 * The picker offers "Alle Liegenschaften", shows the chosen properties as
 * chips and finds others by a search, so a page never holds more than a few
 * of the organisation's properties, however many it has. portal.js searches
 * GET /api/v1/properties as the manager types. Without script the picker's
 * search button asks its page again (GET, the form's fields in the query:
 * CONTENT_PICKER_INPUTS and the page's own fields), and the page answers with
 * the matches as checkboxes, the chosen ones kept. */
#ifndef CONTENT_FORMS_H
#define CONTENT_FORMS_H

#include <portal/portal.h>

/* At most this many matches: a search shows them, an empty one the first by name. */
#define CONTENT_PICKER_RESULTS 20

/* The query of a page whose picker searched without script: which form
 * searched (picker: the id of the entry whose edit form it is, 0 for the
 * page's own form), the search text, and the properties chosen so far. */
/* clang-format off */
#define CONTENT_PICKER_INPUTS                                                          \
	{"picker", PORTAL_IN_INT, PORTAL_IN_QUERY, 0, 9223372036854775807LL},          \
	    {"property_q", PORTAL_IN_STRING, PORTAL_IN_QUERY, 0, 100},                 \
	    {"property_ids", PORTAL_IN_IDS, PORTAL_IN_QUERY | PORTAL_IN_ALL}
/* clang-format on */

struct content_picker {
	const char *id;     /* unique on the page: the fieldset's, and its fields' prefix */
	const char *legend; /* locale key */
	const char *action; /* the page the search without script asks */
	long long entry;    /* the entry whose edit form holds it (a list page), or 0 */
	bool required;
	/* Its form is the one sent: its search, or its refused submission. It
	 * then shows what was sent instead of what is stored. */
	bool sent;
	/* What the entry targets now: all properties, or stored ([{id, name}],
	 * NULL for none). */
	bool stored_all;
	const struct portal_value *stored;
};

/* Fills into (the page's view, or an entry of it) with what targets.html
 * reads: targets_id, targets_legend, targets_required, all_checked, chosen
 * [{id, name}] and has_chosen, picker_open, property_q, results [{id, name,
 * city}] (the matches of the search, or the first properties by name,
 * without the chosen) and results_status, picker_action and picker_entry.
 * The picker of an entry whose form was not sent is closed (no search, no
 * results; a button opens it): a list page holds many. Every key is set, so
 * that an entry's picker never shows its page's. 0 or an HTTP status. */
int content_picker(struct portal_req *req, struct portal_value *into,
                   const struct content_picker *p);

/* Whether the page was asked by a picker's search without script; *entry
 * says which form's (content_picker's entry). */
bool content_picker_searched(const struct portal_req *req, long long *entry);

/* The fields names (a NULL-terminated list) as the form sent them (a search
 * without script, or a refused submission), as into[key] ({name: text}), so
 * that the form shows what was typed. 0 or 500. */
int content_form_echo(struct portal_req *req, struct portal_value *into, const char *key,
                      const char *const *names);

#endif
