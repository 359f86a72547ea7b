/* POST /tickets: a resident reports for one of their properties, a manager
 * records a report on someone's behalf (reporter_name). The number is the
 * organisation's next, taken in the insert's transaction from its counter
 * row, whose lock orders concurrent reports: numbers come in the order of
 * arrival, without gaps or repeats (a refused report gives its number back
 * with the rollback). */
#include <portal/input.h>
#include <portal/session.h>

#include "tickets.h"

/* A report's fields; reporter_name is required of managers (the API route
 * serves both roles, so its handler checks that). */
/* clang-format off */
#define REPORT_INPUTS(reporter_flags) \
	{"property_id", PORTAL_IN_ID, PORTAL_IN_REQUIRED, .message = "tickets.property_invalid"}, \
	{"title", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, TICKETS_TITLE_MAX, \
	 .message = "tickets.title_invalid"}, \
	{"description", PORTAL_IN_STRING, PORTAL_IN_REQUIRED | PORTAL_IN_MULTILINE, 1, \
	 TICKETS_TEXT_MAX, .message = "tickets.description_invalid"}, \
	{"category", PORTAL_IN_CATEGORY, 0, .message = "tickets.category_invalid"}, \
	{"unit_id", PORTAL_IN_ID, 0, .message = "tickets.unit_invalid"}, \
	{"contact_consent", PORTAL_IN_BOOL}, \
	{"access_note", PORTAL_IN_STRING, PORTAL_IN_MULTILINE, 0, TICKETS_NOTE_MAX, \
	 .message = "tickets.access_note_invalid"}, \
	{"reporter_name", PORTAL_IN_STRING, reporter_flags, 1, 200, \
	 .message = "tickets.reporter_name_invalid"}, \
	{0}
/* clang-format on */

const struct portal_input tickets_create_inputs[] = {REPORT_INPUTS(0)};

/* The manager's page (app_new.c): a refused form is shown again with what
 * was sent, which the core does for the fields it checks. */
const struct portal_input tickets_record_inputs[] = {REPORT_INPUTS(PORTAL_IN_REQUIRED)};

/* The property as the caller may report for it (a resident: an active
 * membership, with their unit), and the unit asked for if it is the
 * property's; a property that is not theirs is a 422 on property_id. */
static int check_place(struct portal_req *req, long long property_id, long long *unit_id)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req,
	    "SELECT p.id, m.user_id AS member, m.unit_id AS own_unit,"
	    " (SELECT un.id FROM units un WHERE un.id = ? AND un.property_id = p.id) AS unit"
	    " FROM properties p LEFT JOIN memberships m ON m.property_id = p.id"
	    " AND m.org_id = p.org_id AND m.user_id = ? AND m.state = 'active'"
	    " WHERE p.id = ? AND p.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(*unit_id), PDB_I(req->caller.user_id), PDB_I(property_id),
	                   PDB_I(req->caller.org_id)),
	    &row);
	if (status == 404 || (!status && !portal_is_manager(req) && !pv_get_int(row, "member", 0)))
		return portal_fail(req, 422, "validation", "property_id",
		                   "tickets.property_invalid");
	if (status)
		return status;
	if (*unit_id && !pv_get_int(row, "unit", 0))
		return portal_fail(req, 422, "validation", "unit_id", "tickets.unit_invalid");
	if (!*unit_id) /* a resident's own unit, when the manager set one */
		*unit_id = pv_get_int(row, "own_unit", 0);
	return 0;
}

/* The organisation's next number, locked until the transaction ends. */
static int next_number(struct portal_req *req, long long *number)
{
	unsigned long long n = 0;
	int status = portal_db_exec(
	    req,
	    "INSERT INTO ticket_numbers (org_id, last_number) VALUES (?, LAST_INSERT_ID(1))"
	    " ON DUPLICATE KEY UPDATE last_number = LAST_INSERT_ID(last_number + 1)",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), NULL, &n);
	if (!status && !n)
		status = 500;
	*number = (long long)n;
	return status;
}

/* A resident's reports of the last 24 hours against tickets.max_reports_per_day
 * (exact: the counter's lock orders the organisation's reports). */
static int rate_check(struct portal_req *req)
{
	return portal_rate_check(req,
	                         "SELECT COUNT(*) AS n FROM tickets WHERE reporter_id = ?"
	                         " AND created_at > UTC_TIMESTAMP() - INTERVAL 1 DAY",
	                         PORTAL_DB_ARGS(PDB_I(req->caller.user_id)), "max_reports_per_day",
	                         "3600", "tickets.rate_limited");
}

static int insert_ticket(struct portal_req *req, long long number, long long unit_id, long long *id)
{
	bool manager = portal_is_manager(req);
	const char *category = portal_in_str(req, "category");
	const char *note = portal_in_str(req, "access_note");
	unsigned long long new_id = 0;
	int status = portal_db_exec(
	    req,
	    "INSERT INTO tickets (org_id, number, property_id, unit_id, reporter_id, reporter_name,"
	    " created_by, title, description, category, contact_consent, access_note, created_at,"
	    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(),"
	    " UTC_TIMESTAMP())",
	    PORTAL_DB_ARGS(
	        PDB_I(req->caller.org_id), PDB_I(number),
	        PDB_I(portal_in_int(req, "property_id", 0)), unit_id ? PDB_I(unit_id) : PDB_NUL,
	        manager ? PDB_NUL : PDB_I(req->caller.user_id),
	        PDB_S(manager ? portal_in_str(req, "reporter_name") : NULL),
	        PDB_I(req->caller.user_id), PDB_S(portal_in_str(req, "title")),
	        PDB_S(portal_in_str(req, "description")), PDB_S(category ? category : "Sonstiges"),
	        PDB_I(portal_in_bool(req, "contact_consent", false) ? 1 : 0),
	        PDB_S(note ? note : "")),
	    NULL, &new_id);
	*id = (long long)new_id;
	return status;
}

/* What the report's transaction writes; run again when another host's
 * report took the organisation's next number at the same instant. */
struct report {
	long long unit_id, id;
	const struct tickets_photos *photos;
};

static int write_report(struct portal_req *req, void *ctx)
{
	struct report *r = ctx;
	long long number;
	struct portal_value *ticket;
	enum tickets_viewer viewer;
	int status;
	if (!(status = next_number(req, &number)) && !(status = rate_check(req)) &&
	    !(status = insert_ticket(req, number, r->unit_id, &r->id)) &&
	    !(status = tickets_search_refresh(req, r->id, true)) &&
	    !(status = tickets_photos_save(req, r->id, 0, r->photos)) &&
	    !(status = tickets_find(req, r->id, false, &ticket, &viewer)) &&
	    !(status = tickets_event(req, ticket, "created", NULL, NULL, NULL, NULL)))
		status = tickets_mail_new(req, ticket);
	return status;
}

int tickets_create(struct portal_req *req, struct portal_value *view)
{
	long long property_id = portal_in_int(req, "property_id", 0);
	if (portal_is_manager(req) && !portal_in_str(req, "reporter_name"))
		return portal_fail(req, 422, "validation", "reporter_name",
		                   "tickets.reporter_name_invalid");
	struct tickets_photos photos;
	struct report r = {.unit_id = portal_in_int(req, "unit_id", 0), .photos = &photos};
	int status = check_place(req, property_id, &r.unit_id);
	if (status || (status = tickets_photos_take(req, &photos)))
		return status;
	if ((status = portal_db_transaction(req, write_report, &r))) {
		tickets_photos_discard(req, &photos);
		return status;
	}
	if (!req->is_api) /* the page's form: on to the ticket */
		return portal_redirect(
		    req, portal_sprintf(req->arena, "/%s/tickets/%lld",
		                        portal_is_manager(req) ? "app" : "portal", r.id));
	status = tickets_detail(req, r.id, view);
	return status ? status : 201;
}
