/* A resident's notification settings: GET, PATCH /me/notifications and the
 * page /portal/settings. One switch per kind of mail; a resident who never
 * touched one has it on (sql/012: no row, or a column's default). Plugins that
 * mail residents read the table; every such mail links to the page. */
#include <string.h>

#include "portal/input.h"
#include "routes.h"

/* The kinds, in the order of API.md; each is a column of notification_settings. */
static const char *const kinds[] = {"announcements", "appointments", "documents", "tickets",
				    "board"};
#define KINDS (sizeof kinds / sizeof kinds[0])

/* The caller's settings into view as booleans, every kind on without a row. */
static int settings_load(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT n.announcements, n.appointments, n.documents, n.tickets, n.board"
	    " FROM notification_settings n JOIN users u ON u.id = n.user_id"
	    " WHERE n.user_id = ? AND u.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	const struct portal_value *row = rows->u.c.count ? rows->u.c.head->value : NULL;
	for (size_t i = 0; i < KINDS; i++)
		if (pv_set_bool(req->arena, view, kinds[i], pv_get_int(row, kinds[i], 1) != 0))
			return 500;
	return 0;
}

/* GET /me/notifications and the page /portal/settings ("saved" after a change). */
static int notifications_show(struct portal_req *req, struct portal_value *view)
{
	int status = settings_load(req, view);
	if (status)
		return status;
	if (!req->is_api) {
		const char *saved = pv_get_str(req->query, "saved");
		if (pv_set_bool(req->arena, view, "saved", saved && strcmp(saved, "1") == 0))
			return 500;
	}
	return 200;
}

/* PATCH /me/notifications: only the kinds sent change, unknown fields are
 * ignored. The page's form (POST /portal/settings) sends every kind as a
 * checkbox, so there a kind that is absent means off. */
static int notifications_update(struct portal_req *req, struct portal_value *view)
{
	struct portal_db_arg set[KINDS];
	int status;
	for (size_t i = 0; i < KINDS; i++) {
		bool on;
		bool sent = !req->is_api || portal_body_has(req, kinds[i]);
		if ((status = portal_body_bool(req, kinds[i], false, &on))) {
			/* The page shows the switches again around the error. */
			if (!req->is_api && settings_load(req, view))
				return 500;
			return status;
		}
		set[i] = sent ? PDB_I(on ? 1 : 0) : PDB_NUL;
	}
	/* A kind not sent keeps its value: on (1) in a new row, the row's otherwise.
	 * The row is only made for a user of the caller's organisation. */
	status = portal_db_exec(
	    req,
	    "INSERT INTO notification_settings"
	    " (user_id, announcements, appointments, documents, tickets, board)"
	    " SELECT u.id, COALESCE(?, 1), COALESCE(?, 1), COALESCE(?, 1), COALESCE(?, 1),"
	    " COALESCE(?, 1) FROM users u WHERE u.id = ? AND u.org_id = ?"
	    " ON DUPLICATE KEY UPDATE announcements = COALESCE(?, announcements),"
	    " appointments = COALESCE(?, appointments), documents = COALESCE(?, documents),"
	    " tickets = COALESCE(?, tickets), board = COALESCE(?, board)",
	    PORTAL_DB_ARGS(set[0], set[1], set[2], set[3], set[4], PDB_I(req->caller.user_id),
			   PDB_I(req->caller.org_id), set[0], set[1], set[2], set[3], set[4]),
	    NULL, NULL);
	if (status)
		return status;
	if (!req->is_api)
		return portal_redirect(req, "/portal/settings?saved=1");
	return (status = settings_load(req, view)) ? status : 200;
}

const struct portal_route routes_notifications[] = {
	{"GET", "/me/notifications", "/portal/settings", PORTAL_ACCESS_RESIDENT, 0,
	 notifications_show, "notifications", "notifications.title"},
	{"PATCH", "/me/notifications", NULL, PORTAL_ACCESS_RESIDENT, 0, notifications_update,
	 NULL, NULL},
	{"POST", NULL, "/portal/settings", PORTAL_ACCESS_RESIDENT, 0, notifications_update,
	 "notifications", "notifications.title"},
	{0},
};
