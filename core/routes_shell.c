/* The two shells' home pages: /app, the managers' overview, and /portal, the
 * residents' home. The frame around them (logo, colour, navigation, logout) is
 * the layout's; these fill only the page itself. */
#include <string.h>

#include "routes.h"
#include "worker.h"

/* The caller's name and organisation's name into view. 0 or an HTTP status. */
static int shell_names(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *rows;
	int status = portal_db_query(req,
				     "SELECT u.name AS user_name, o.name AS org_name"
				     " FROM users u JOIN orgs o ON o.id = u.org_id"
				     " WHERE u.id = ? AND o.id = ?",
				     PORTAL_DB_ARGS(PDB_I(req->caller.user_id),
						    PDB_I(req->caller.org_id)),
				     &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0) /* the account went while the session lived */
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	const struct portal_value *r = rows->u.c.head->value;
	if (pv_set_str(req->arena, view, "user_name", pv_get_str(r, "user_name")) ||
	    pv_set_str(req->arena, view, "org_name", pv_get_str(r, "org_name")))
		return 500;
	return 0;
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

/* GET /portal: the residents' home: their properties; until the content
 * plugins fill it, it says kindly that nothing has been shared yet. */
static int shell_portal(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *cards;
	int status = shell_names(req, view);
	if (!status)
		status = property_cards(req, 0, &cards);
	if (status)
		return status;
	return pv_set(req->arena, view, "properties", cards) ? 500 : 200;
}

const struct portal_route routes_shell[] = {
	{"GET", NULL, "/app", PORTAL_ACCESS_MANAGER, 0, shell_app, "app_home", "app_home.title"},
	{"GET", NULL, "/portal", PORTAL_ACCESS_RESIDENT, 0, shell_portal, "portal_home",
	 "portal_home.title"},
	{0},
};
