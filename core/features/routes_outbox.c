/* GET /api/v1/outbox?status=queued|sent|failed&limit=&after=: the caller's
 * organisation's mails, newest first, for its admins (whether a mail went out,
 * and why not). Keyset pagination on the id: "after" is the last id of the
 * previous page, so every page costs the same. */
#include <string.h>

#include "portal/list.h"
#include "features/routes.h"

static const char *const statuses[] = {"queued", "sent", "failed", NULL};

static const struct portal_input list_inputs[] = {
    {"status", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = statuses},
    {0},
};

static int outbox_list(struct portal_req *req, struct portal_value *view)
{
	const char *status = portal_in_str(req, "status");
	struct portal_page page;
	int rc = portal_list_page(req, &page);
	if (rc)
		return rc;
	/* One more row than asked tells whether there is a next page. */
	struct portal_value *rows;
	rc = portal_db_query(
	    req,
	    "SELECT id, to_addr AS `to`, subject, kind, status, attempts, last_error,"
	    " created_at, sent_at FROM outbox"
	    " WHERE org_id = ? AND (? IS NULL OR status = ?) AND (? = 0 OR id < ?)"
	    " ORDER BY id DESC LIMIT ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(status), PDB_S(status),
	                   PDB_I(page.after), PDB_I(page.after), PDB_I(page.limit + 1)),
	    &rows);
	return rc ? rc : portal_list_view(req, view, rows, page.limit, NULL) ? 500 : 200;
}

const struct portal_route routes_outbox[] = {
    {"GET", "/outbox", NULL, PORTAL_ACCESS_ADMIN, 0, outbox_list, NULL, NULL, list_inputs},
    {0},
};
