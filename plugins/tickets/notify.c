/* The mails of tickets, queued in the open transaction of the change (kind
 * "tickets", which residents can turn off). Who gets what:
 *   a new ticket: the property's responsible employee, or the
 *   organisation's managers when it has none;
 *   a manager's comment or status change: the reporter and the followers;
 *   a reporter's comment or answer: the assignee, or the managers when there
 *   is none;
 *   an internal note: nobody (the caller never asks).
 * Whoever caused the mail does not get it. The subject carries the number. */
#include <string.h>

#include <portal/mail.h>

#include "tickets.h"

#define RECIPIENT_COLUMNS "SELECT u.id, u.email, u.name, COALESCE(u.locale, o.locale) AS locale"

/* The assignee (assignee_id not 0) or every manager of the organisation. */
static const char staff_sql[] =
    RECIPIENT_COLUMNS " FROM users u JOIN orgs o ON o.id = u.org_id"
                      " WHERE u.org_id = ? AND u.role = 'manager' AND (? = 0 OR u.id = ?)"
                      " AND u.id <> ? AND " PORTAL_MAIL_WANTED("u.id", "tickets") " ORDER BY u.id";

/* A new ticket's: the property's responsible employee, or every manager of
 * the organisation when it has none or theirs has not activated the account
 * yet (no confirmed address: the ticket would reach nobody). The two cases
 * are a union, not an OR with a correlated subquery: MariaDB 10.11's
 * optimizer crashed a Galera node on that form (signal 11 in
 * Item_equal::sort) in the cluster test, as it had on residents_sql's. */
#define CONFIRMED_RESPONSIBLE                                        \
	" FROM properties p JOIN users u ON u.id = p.responsible_id" \
	" AND u.org_id = p.org_id AND u.email_confirmed_at IS NOT NULL"
#define NEW_STAFF_RESPONSIBLE                                                       \
	RECIPIENT_COLUMNS CONFIRMED_RESPONSIBLE                                     \
	    " JOIN orgs o ON o.id = u.org_id"                                       \
	    " WHERE p.id = ? AND p.org_id = ? AND u.role = 'manager' AND u.id <> ?" \
	    " AND " PORTAL_MAIL_WANTED("u.id", "tickets")
#define NEW_STAFF_ALL_MANAGERS                                                       \
	RECIPIENT_COLUMNS " FROM users u JOIN orgs o ON o.id = u.org_id"             \
	                  " WHERE u.org_id = ? AND u.role = 'manager' AND u.id <> ?" \
	                  " AND NOT EXISTS (SELECT 1" CONFIRMED_RESPONSIBLE          \
	                  " WHERE p.id = ?) AND " PORTAL_MAIL_WANTED("u.id", "tickets")
static const char new_staff_sql[] =
    NEW_STAFF_RESPONSIBLE " UNION " NEW_STAFF_ALL_MANAGERS " ORDER BY id";

/* The reporter and the followers. Their ids come from a union rather than an
 * OR with a correlated IN: MariaDB 10.11's optimizer crashed the server
 * (signal 11 in Item_equal::sort) on that form once, in a cluster test with
 * comments and "affected" on one ticket at one instant. */
static const char residents_sql[] = RECIPIENT_COLUMNS
    ", (u.id <=> t.reporter_id) AS is_reporter"
    " FROM (SELECT reporter_id AS user_id FROM tickets WHERE id = ?"
    " UNION SELECT user_id FROM ticket_followers WHERE ticket_id = ?) r"
    " JOIN users u ON u.id = r.user_id AND u.role = 'resident'"
    " JOIN tickets t ON t.id = ? AND t.org_id = u.org_id JOIN orgs o ON o.id = u.org_id"
    " WHERE u.id <> ? AND " PORTAL_MAIL_WANTED("u.id", "tickets") " ORDER BY u.id";

/* The view every mail of a ticket has: number, title, property_name, url
 * (the page of the ticket, the manager's or the resident's). */
static struct portal_value *mail_view(struct portal_req *req, const struct portal_value *ticket,
                                      bool staff)
{
	struct portal_arena *a = req->arena;
	const char *base = portal_config(req, "base_url");
	long long id = pv_get_int(ticket, "id", 0);
	struct portal_value *v = pv_object(a);
	const char *url =
	    portal_sprintf(a, "%s/%s/tickets/%lld", base ? base : "", staff ? "app" : "portal", id);
	if (!v || !url || pv_set_int(a, v, "number", pv_get_int(ticket, "number", 0)) ||
	    pv_set(a, v, "title", pv_get(ticket, "title")) ||
	    pv_set(a, v, "property_name", pv_get(ticket, "property_name")) ||
	    pv_set_str(a, v, "url", url))
		return NULL;
	return v;
}

/* Queues the mail to rows (id, email, name, locale) whose is_reporter is
 * reporters (-1: all of them). */
static int send_to(struct portal_req *req, struct portal_mail *mail, struct portal_value *rows,
                   int reporters)
{
	struct portal_recipient *to = portal_alloc(req->arena, (pv_count(rows) + 1) * sizeof *to);
	size_t n = 0;
	if (!to)
		return 500;
	pv_foreach(m, rows) {
		if (reporters >= 0 && pv_get_int(m->value, "is_reporter", 0) != reporters)
			continue;
		to[n++] = (struct portal_recipient){pv_get_str(m->value, "email"),
		                                    pv_get_str(m->value, "name"),
		                                    pv_get_str(m->value, "locale")};
	}
	mail->org_id = req->caller.org_id;
	return n ? portal_mail_many(req, mail, to, n, NULL) : 0;
}

static int staff_of(struct portal_req *req, long long assignee_id, struct portal_value **rows)
{
	return portal_db_query(req, staff_sql,
	                       PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(assignee_id),
	                                      PDB_I(assignee_id), PDB_I(req->caller.user_id)),
	                       rows);
}

static int residents_of(struct portal_req *req, const struct portal_value *ticket,
                        struct portal_value **rows)
{
	long long id = pv_get_int(ticket, "id", 0);
	return portal_db_query(
	    req, residents_sql,
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(id), PDB_I(id), PDB_I(req->caller.user_id)), rows);
}

int tickets_mail_new(struct portal_req *req, const struct portal_value *ticket)
{
	struct portal_value *rows, *v = mail_view(req, ticket, true);
	long long property_id = pv_get_int(ticket, "property_id", 0), org_id = req->caller.org_id,
	          caller = req->caller.user_id;
	int status =
	    v ? portal_db_query(req, new_staff_sql,
	                        PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(org_id), PDB_I(caller),
	                                       PDB_I(org_id), PDB_I(caller), PDB_I(property_id)),
	                        &rows)
	      : 500;
	struct portal_mail mail = {.kind = "tickets",
	                           .template_name = "ticket_new",
	                           .subject = "tickets.mail_subject_new",
	                           .view = v};
	if (!status &&
	    (pv_set_str(req->arena, v, "description", portal_in_str(req, "description"))))
		status = 500;
	return status ? status : send_to(req, &mail, rows, -1);
}

/* A change by a resident (the reporter) goes to the staff; anyone else's
 * (a manager's, or the portal's own in a job) to the residents. */
static bool by_resident(const struct portal_req *req)
{
	return req->caller.role == PORTAL_ROLE_RESIDENT;
}

int tickets_mail_comment(struct portal_req *req, const struct portal_value *ticket,
                         const char *body)
{
	bool staff = by_resident(req);
	struct portal_value *rows, *v = mail_view(req, ticket, staff);
	if (!v || pv_set_str(req->arena, v, "body", body))
		return 500;
	int status = staff ? staff_of(req, pv_get_int(ticket, "assignee_id", 0), &rows)
	                   : residents_of(req, ticket, &rows);
	struct portal_mail mail = {.kind = "tickets",
	                           .template_name = "ticket_comment",
	                           .subject = "tickets.mail_subject_comment",
	                           .view = v};
	return status ? status : send_to(req, &mail, rows, -1);
}

/* to_STATUS and from_STATUS true, for the templates to name them. */
static int statuses_set(struct portal_req *req, struct portal_value *v, const char *from,
                        const char *to)
{
	struct portal_arena *a = req->arena;
	return pv_set_bool(a, v, portal_sprintf(a, "to_%s", to), true) ||
	       (from && *from && pv_set_bool(a, v, portal_sprintf(a, "from_%s", from), true));
}

int tickets_mail_status(struct portal_req *req, const struct portal_value *ticket, const char *from,
                        const char *comment)
{
	bool staff = by_resident(req);
	const char *to = pv_get_str(ticket, "status");
	struct portal_value *rows, *v = mail_view(req, ticket, staff);
	if (!v || statuses_set(req, v, from, to) ||
	    (comment && pv_set_str(req->arena, v, "body", comment)))
		return 500;
	int status = staff ? staff_of(req, pv_get_int(ticket, "assignee_id", 0), &rows)
	                   : residents_of(req, ticket, &rows);
	struct portal_mail mail = {.kind = "tickets",
	                           .template_name = "ticket_status",
	                           .subject = "tickets.mail_subject_status",
	                           .view = v};
	if (status || staff || !to || strcmp(to, "resolved") != 0)
		return status ? status : send_to(req, &mail, rows, -1);
	/* Resolved: the reporter is asked whether it is done (the links open a
	 * page with the form), the followers only told. */
	if ((status = send_to(req, &mail, rows, 0)))
		return status;
	const char *base = portal_config(req, "base_url");
	const char *page = portal_sprintf(req->arena, "%s/portal/tickets/%lld/confirm",
	                                  base ? base : "", pv_get_int(ticket, "id", 0));
	if (!page ||
	    pv_set_str(req->arena, v, "yes_url", portal_sprintf(req->arena, "%s?solved=1", page)) ||
	    pv_set_str(req->arena, v, "no_url", portal_sprintf(req->arena, "%s?solved=0", page)))
		return 500;
	mail.template_name = "ticket_resolved";
	mail.subject = "tickets.mail_subject_resolved";
	return send_to(req, &mail, rows, 1);
}
