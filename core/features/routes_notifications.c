/* A resident's notification settings: GET, PATCH /me/notifications and the
 * page /portal/settings. One switch per kind of mail that a running plugin
 * declares (struct portal_notification); a resident who never touched one has
 * it on (no row in notification_settings). Every mail to residents links to
 * the page. */
#include <string.h>

#include "portal/text.h"
#include "features/routes.h"
#include "http/request.h"

static const struct portal_input show_inputs[] = {
    {"saved", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

/* Every running plugin's kinds, in the order the plugins load, as
 * {kind, label, hint, on} in the caller's language, each on unless a row
 * turned it off. */
static int settings_load(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows, *kinds = pv_list(a);
	int status = portal_db_query(
	    req,
	    "SELECT n.kind, n.enabled FROM notification_settings n JOIN users u ON u.id = n.user_id"
	    " WHERE n.user_id = ? AND u.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	const struct plugin_set *set = req->worker->plugins;
	for (size_t i = 0; kinds && i < set->notification_count; i++) {
		const struct portal_notification *n = set->notifications[i].def;
		const struct plugin *p = set->notifications[i].owner;
		bool on = true;
		pv_foreach(m, rows) {
			if (strcmp(pv_get_str(m->value, "kind"), n->kind) == 0)
				on = pv_get_int(m->value, "enabled", 1) != 0;
		}
		struct portal_value *k = pv_object(a);
		const char *hint =
		    n->hint ? worker_text(req->worker, req->locale, p, n->hint) : NULL;
		if (!k || pv_set_str(a, k, "kind", n->kind) ||
		    pv_set_str(a, k, "label", worker_text(req->worker, req->locale, p, n->label)) ||
		    pv_set_str(a, k, "hint", hint) || pv_set_bool(a, k, "on", on) ||
		    pv_push(a, kinds, k) || pv_set_bool(a, view, n->kind, on))
			return 500;
	}
	/* The API answers the switches by name; the page lists them. */
	return req->is_api || (kinds && !pv_set(a, view, "kinds", kinds)) ? 0 : 500;
}

/* GET /me/notifications and the page /portal/settings ("saved" after a change). */
static int notifications_show(struct portal_req *req, struct portal_value *view)
{
	int status = settings_load(req, view);
	if (status)
		return status;
	if (!req->is_api &&
	    pv_set_bool(req->arena, view, "saved", portal_in_bool(req, "saved", false)))
		return 500;
	return 200;
}

/* PATCH /me/notifications: only the kinds sent change. The page's form (POST
 * /portal/settings) sends every kind as a checkbox, so there a kind that is
 * absent means off. One statement for all kinds; rows only for a user of the
 * caller's organisation. */
static int notifications_update(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const struct plugin_set *set = req->worker->plugins;
	struct portal_buf sql = {.arena = a};
	/* Two per kind, then the user and the organisation. */
	struct portal_db_arg *args =
	    portal_alloc(a, (2 * set->notification_count + 2) * sizeof *args);
	size_t nargs = 0;
	if (!args)
		return 500;
	portal_buf_puts(&sql, "INSERT INTO notification_settings (user_id, kind, enabled) SELECT "
	                      "u.id, k.kind, k.enabled FROM users u JOIN (");
	for (size_t i = 0; i < set->notification_count; i++) {
		const char *kind = set->notifications[i].def->kind;
		if (req->is_api && !portal_in_has(req, kind))
			continue;
		portal_buf_puts(&sql, nargs ? " UNION ALL SELECT ?, ?"
		                            : "SELECT ? AS kind, ? AS enabled");
		args[nargs++] = PDB_S(kind);
		args[nargs++] = PDB_I(portal_in_bool(req, kind, false) ? 1 : 0);
	}
	portal_buf_puts(&sql, ") k WHERE u.id = ? AND u.org_id = ?"
	                      " ON DUPLICATE KEY UPDATE enabled = VALUES(enabled)");
	if (sql.failed)
		return 500;
	int status = 0;
	if (nargs) {
		args[nargs++] = PDB_I(req->caller.user_id);
		args[nargs++] = PDB_I(req->caller.org_id);
		status = portal_db_exec(req, sql.data, args, nargs, NULL, NULL);
	}
	if (status)
		return status;
	if (!req->is_api)
		return portal_redirect(req, "/portal/settings?saved=1");
	return (status = settings_load(req, view)) ? status : 200;
}

/* The switches: a boolean per kind of mail of the running plugins. */
static const struct portal_input update_inputs[] = {
    {"kinds", PORTAL_IN_NOTIFICATIONS},
    {0},
};

const struct portal_route routes_notifications[] = {
    {"GET", "/me/notifications", "/portal/settings", PORTAL_ACCESS_RESIDENT, 0, notifications_show,
     "notifications", "notifications.title", show_inputs},
    {"PATCH", "/me/notifications", NULL, PORTAL_ACCESS_RESIDENT, 0, notifications_update, NULL,
     NULL, update_inputs},
    {"POST", NULL, "/portal/settings", PORTAL_ACCESS_RESIDENT, 0, notifications_update,
     "notifications", "notifications.title", update_inputs, notifications_show},
    {0},
};
