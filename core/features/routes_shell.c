/* The two shells' home pages: /app, the managers' overview, and /portal, the
 * residents' home. The frame around them (logo, colour, navigation, logout) is
 * the layout's; these fill only the page itself. */
#include <string.h>

#include "features/home.h"
#include "features/routes.h"
#include "http/request.h"
#include "http/session.h"

/* ?property=ID chooses the property shown first. Read as text: a bad value
 * in a bookmark is no reason for an error (chosen_property). */
#define PROPERTY_TEXT_MAX 1000
static const struct portal_input home_inputs[] = {
    {"property", PORTAL_IN_STRING, PORTAL_IN_QUERY, 0, PROPERTY_TEXT_MAX},
    {0},
};

/* The caller's name and organisation's name into view (from the session's
 * query). 0 or 500. */
static int shell_names(struct portal_req *req, struct portal_value *view)
{
	const struct request *rq = request_of(req);
	return pv_set_str(req->arena, view, "user_name", rq->signed_in.user_name) ||
	               pv_set_str(req->arena, view, "org_name", rq->signed_in.org_name)
	           ? 500
	           : 0;
}

/* A quick link: label, address, and the hint "<label>.hint" when a catalog has
 * one (a plugin that adds a menu entry may add its hint too). */
static int push_link(struct portal_req *req, struct portal_value *links, const struct plugin *p,
                     const char *label_key, const char *href)
{
	struct portal_arena *a = req->arena;
	const struct portal_worker *w = req->worker;
	char *hint_key = portal_sprintf(a, "%s.hint", label_key);
	const char *hint = hint_key ? worker_text(w, req->locale, p, hint_key) : NULL;
	struct portal_value *l = pv_object(a);
	if (!l || !hint || pv_set_str(a, l, "href", href) ||
	    pv_set_str(a, l, "label", worker_text(w, req->locale, p, label_key)) ||
	    pv_set_str(a, l, "hint", strcmp(hint, hint_key) == 0 ? "" : hint) ||
	    pv_push(a, links, l))
		return -1;
	return 0;
}

/* GET /app: a welcome with the organisation's name and the quick links: the
 * entries of the managers' menu in their declared order (so a plugin's pages
 * appear as soon as it is enabled, and vanish with it) and, for admins, the
 * employees. */
static int shell_app(struct portal_req *req, struct portal_value *view)
{
	int status = shell_names(req, view);
	if (status)
		return status;
	const struct plugin_set *set = req->worker->plugins;
	struct entry {
		const struct plugin *plugin;
		const struct portal_nav *nav;
	} *entries = NULL;
	size_t count = 0, cap = 0;
	for (size_t i = 0; i < set->count; i++)
		for (const struct portal_nav *n = set->items[i].def->nav; n && n->label; n++)
			cap += strcmp(n->area, "app") == 0;
	if (cap && !(entries = portal_alloc(req->arena, cap * sizeof *entries)))
		return 500;
	for (size_t i = 0; i < set->count; i++)
		for (const struct portal_nav *n = set->items[i].def->nav; n && n->label; n++) {
			if (strcmp(n->area, "app") != 0 || strcmp(n->href, "/app") == 0)
				continue;
			size_t at = count++; /* insertion sort, stable: a handful of entries */
			while (at && entries[at - 1].nav->order > n->order) {
				entries[at] = entries[at - 1];
				at--;
			}
			entries[at] = (struct entry){&set->items[i], n};
		}
	struct portal_value *links = pv_list(req->arena);
	for (size_t i = 0; links && i < count; i++)
		if (push_link(req, links, entries[i].plugin, entries[i].nav->label,
		              entries[i].nav->href))
			return 500;
	if (!links || (req->caller.admin &&
	               push_link(req, links, &set->items[0], "nav.employees", "/app/employees")))
		return 500;
	return pv_set(req->arena, view, "links", links) ? 500 : 200;
}

/* The id of ?property=ID, or 0 when absent or malformed (then the home shows
 * its usual order). */
static long long chosen_property(const struct portal_req *req)
{
	const char *s = portal_in_str(req, "property");
	long long id = 0;
	if (!s || !*s || strlen(s) > 18)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		id = id * 10 + (*s - '0');
	}
	return id;
}

/* The property switcher: a link per card in name order, the shown one marked
 * current; cards becomes the same cards with the shown one first. NULL
 * switcher when there is nothing to switch. 0 or 500. */
static int portal_switcher(struct portal_req *req, struct portal_value **cards,
                           struct portal_value **switcher)
{
	struct portal_arena *a = req->arena;
	long long chosen = chosen_property(req), first = 0;
	pv_foreach(m, *cards) {
		long long id = pv_get_int(m->value, "id", 0);
		if (!first || id == chosen)
			first = id;
		if (id == chosen)
			break;
	}
	struct portal_value *ordered = pv_list(a), *links = pv_list(a);
	if (!ordered || !links)
		return 500;
	pv_foreach(m, *cards) {
		if (pv_get_int(m->value, "id", 0) == first && pv_push(a, ordered, m->value))
			return 500;
	}
	pv_foreach(m, *cards) {
		long long id = pv_get_int(m->value, "id", 0);
		struct portal_value *link = pv_object(a);
		if ((id != first && pv_push(a, ordered, m->value)) || !link ||
		    pv_set_int(a, link, "id", id) ||
		    pv_set_str(a, link, "name", pv_get_str(m->value, "name")) ||
		    pv_set_bool(a, link, "current", id == first) || pv_push(a, links, link))
			return 500;
	}
	*cards = ordered;
	*switcher = pv_count(links) > 1 ? links : NULL;
	return 0;
}

/* GET /portal: the residents' home: every property they are an active member
 * of, the one chosen with ?property=ID first, with links to switch when there
 * are several; until the content plugins fill it, it says kindly that nothing
 * has been shared yet. A pending membership grants nothing, so someone whose
 * every membership still waits for approval sees only that it waits. */
static int shell_portal(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *cards, *pending, *switcher = NULL;
	int status = shell_names(req, view);
	if (!status)
		status = property_cards(req, 0, &cards, &pending);
	if (status)
		return status;
	bool waiting = pv_count(cards) == 0 && pv_count(pending) > 0;
	if (!waiting && portal_switcher(req, &cards, &switcher))
		return 500;
	if (!waiting && (status = home_sections(req, cards, view)))
		return status;
	if (pv_set_bool(a, view, "waiting", waiting) || pv_set(a, view, "pending", pending) ||
	    pv_set_bool(a, view, "has_pending", pv_count(pending) > 0) ||
	    (!waiting && pv_set(a, view, "properties", cards)) ||
	    pv_set_bool(a, view, "has_switcher", switcher != NULL) ||
	    (switcher && pv_set(a, view, "switcher", switcher)))
		return 500;
	return 200;
}

const struct portal_route routes_shell[] = {
    {"GET", NULL, "/app", PORTAL_ACCESS_MANAGER, 0, shell_app, "app_home", "app_home.title"},
    {"GET", NULL, "/portal", PORTAL_ACCESS_RESIDENT, SESSION_ROUTE_MEMBERSHIPS, shell_portal,
     "portal_home", "portal_home.title", home_inputs},
    {0},
};
