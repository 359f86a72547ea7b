/* Appointments (Termine), "Content" in API.md: created by managers for one,
 * several or all properties, mailed to the residents only when asked
 * ("Empfänger benachrichtigen", off by default), shown in the residents'
 * calendar and home, and published as iCalendar feeds.
 *
 * Times are stored and exchanged in UTC; people see and type the local time
 * of the deployment (portal/datetime.h), while the feeds carry Europe/Berlin
 * time by ical.c's rules, as their VTIMEZONE says. Who sees
 * what is one rule for every route: an appointment of the caller's
 * organisation that is for all properties, or for one of the properties in
 * the caller's scope (a resident's active memberships, or the one property
 * asked for). Every query is bound to the organisation of the caller, or, for
 * the public feed, of the resident the token belongs to. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <portal/crypto.h>
#include <portal/datetime.h>
#include <portal/input.h>
#include <portal/list.h>
#include <portal/mail.h>
#include <portal/picker.h>
#include <portal/text.h>

#include "appointments.h"
#include "ical.h"

#define TITLE_MAX_CHARS 200
#define BODY_MAX_CHARS 10000
#define LOCATION_MAX_CHARS 200
#define SCOPE_PROPERTIES_MAX 1000 /* a resident's active properties considered */
#define HOME_COUNT 3
#define MONTH_MAX_ITEMS 500              /* appointments one month of the calendar shows */
#define ICS_MAX_ITEMS 2000               /* events in one feed */
#define ICS_PAST_SECONDS (366LL * 86400) /* feeds carry the past year and the future */

/* An instant bound as seconds since the epoch, as a UTC DATETIME (the
 * connection speaks UTC; FROM_UNIXTIME would stop in 2038). */
#define SQL_AT "TIMESTAMPADD(SECOND, ?, '1970-01-01')"

/* Which properties' appointments a caller sees: all of the organisation's
 * (a manager), or those for all properties plus those targeting one of ids
 * (a comma-separated list for FIND_IN_SET; "" when none). */
struct scope {
	long long org_id;
	bool everything;
	const char *ids;
	const char *name; /* of the one property asked for, to name its calendar */
};

/* The appointment as the query below reads it. */
#define APPOINTMENT_COLUMNS                                                                   \
	"SELECT a.id, a.title, a.body, a.location, a.starts_at, a.ends_at, a.all_properties," \
	" a.created_at, a.updated_at FROM appointments a"

/* The visibility rule (org, everything, ids, ids), an optional id, the range
 * (from twice, to twice: overlapping it), the cursor (id, key twice, id). */
static const char list_sql[] = APPOINTMENT_COLUMNS
    " WHERE a.org_id = ? AND (? = 1 OR (a.all_properties = 1 AND ? <> '')"
    " OR EXISTS (SELECT 1 FROM appointment_targets t WHERE t.appointment_id = a.id"
    " AND FIND_IN_SET(t.property_id, ?)))"
    " AND (? = 0 OR a.id = ?)"
    " AND (? IS NULL OR COALESCE(a.ends_at, a.starts_at) >= " SQL_AT ")"
    " AND (? IS NULL OR a.starts_at < " SQL_AT ")"
    " AND (? = 0 OR a.starts_at > " SQL_AT " OR (a.starts_at = " SQL_AT " AND a.id > ?))"
    " ORDER BY a.starts_at, a.id LIMIT ?";

/* Instants are seconds since the epoch; 0 is "none". */
struct range {
	long long from, to;
	long long after_key; /* the cursor's starts_at */
	long long after_id;
	long long id; /* one appointment, or 0 */
	int limit;
};

/* ------------------------------------------------------------------ helpers */

/* An instant for SQL_AT, NULL for none. */
static struct portal_db_arg at_arg(long long t)
{
	return t ? PDB_I(t) : PDB_NUL;
}

/* base_url without trailing slashes. */
static const char *base_url(struct portal_req *req)
{
	const char *base = portal_config(req, "base_url");
	size_t n = base ? strlen(base) : 0;
	while (n > 0 && base[n - 1] == '/')
		n--;
	return portal_strndup(req->arena, base ? base : "", n);
}

/* The host of base_url, for UIDs that stay the same on every fetch. */
static const char *base_host(struct portal_req *req)
{
	const char *base = base_url(req);
	if (!base)
		return NULL;
	const char *p = strstr(base, "://");
	p = p ? p + 3 : base;
	size_t n = strcspn(p, "/:?#");
	return portal_strndup(req->arena, p, n);
}

/* ---------------------------------------------------------------- scopes */

/* A resident's active properties of their organisation as a FIND_IN_SET list. */
static int resident_ids(struct portal_req *req, long long user_id, long long org_id,
                        const char **ids)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT property_id FROM memberships WHERE user_id = ? AND org_id = ?"
	    " AND state = 'active' ORDER BY property_id LIMIT ?",
	    PORTAL_DB_ARGS(PDB_I(user_id), PDB_I(org_id), PDB_I(SCOPE_PROPERTIES_MAX)), &rows);
	if (status)
		return status;
	struct portal_buf list = {.arena = req->arena};
	pv_foreach(m, rows)
		portal_buf_printf(&list, "%s%lld", list.len ? "," : "",
		                  pv_get_int(m->value, "property_id", 0));
	*ids = list.data ? list.data : "";
	return list.failed ? 500 : 0;
}

/* The caller's scope; with property_id, only that property (404 when the
 * caller may not see it: another organisation's, or not the resident's). */
static int caller_scope(struct portal_req *req, long long property_id, struct scope *out)
{
	*out = (struct scope){.org_id = req->caller.org_id, .ids = ""};
	bool manager = portal_is_manager(req);
	if (!manager && req->caller.role != PORTAL_ROLE_RESIDENT)
		return portal_not_found(req);
	if (!property_id && manager) {
		out->everything = true;
		return 0;
	}
	if (!property_id)
		return resident_ids(req, req->caller.user_id, req->caller.org_id, &out->ids);
	/* a resident's must be one of their active ones */
	long long uid = manager ? 0 : req->caller.user_id;
	struct portal_value *property;
	int status = portal_db_one(
	    req,
	    "SELECT p.name FROM properties p WHERE p.id = ? AND p.org_id = ? AND (? = 0 OR EXISTS"
	    " (SELECT 1 FROM memberships m WHERE m.property_id = p.id AND m.user_id = ?"
	    " AND m.state = 'active'))",
	    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id), PDB_I(uid), PDB_I(uid)),
	    &property);
	if (status)
		return status;
	out->name = pv_get_str(property, "name");
	out->ids = portal_sprintf(req->arena, "%lld", property_id);
	return out->ids ? 0 : 500;
}

/* list_sql's arguments for a scope and a range. */
#define VISIBLE_ARGS(s, r)                                                                        \
	PORTAL_DB_ARGS(PDB_I((s)->org_id), PDB_I((s)->everything ? 1 : 0), PDB_S((s)->ids),       \
	               PDB_S((s)->ids), PDB_I((r)->id), PDB_I((r)->id), at_arg((r)->from),        \
	               at_arg((r)->from), at_arg((r)->to), at_arg((r)->to), PDB_I((r)->after_id), \
	               PDB_I((r)->after_key), PDB_I((r)->after_key), PDB_I((r)->after_id),        \
	               PDB_I((r)->limit))

static int query_visible(struct portal_req *req, const struct scope *s, const struct range *r,
                         struct portal_value **rows)
{
	return portal_db_query(req, list_sql, VISIBLE_ARGS(s, r), rows);
}

/* --------------------------------------------------------------- items */

/* The properties an appointment names, as the caller may see them: a
 * manager every target, a resident only their own in scope. */
static int item_properties(struct portal_req *req, const struct scope *s, struct portal_value *item)
{
	long long id = pv_get_int(item, "id", 0);
	bool all = pv_get_int(item, "all_properties", 0) != 0;
	struct portal_value *rows;
	int status;
	if (s->everything)
		status = portal_db_query(
		    req,
		    "SELECT p.id, p.name FROM appointment_targets t JOIN properties p"
		    " ON p.id = t.property_id WHERE t.appointment_id = ? AND p.org_id = ?"
		    " ORDER BY p.name, p.id",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(s->org_id)), &rows);
	else
		status = portal_db_query(
		    req,
		    "SELECT p.id, p.name FROM properties p WHERE p.org_id = ?"
		    " AND FIND_IN_SET(p.id, ?) AND (? = 1 OR EXISTS (SELECT 1 FROM"
		    " appointment_targets t WHERE t.appointment_id = ? AND t.property_id = p.id))"
		    " ORDER BY p.name, p.id",
		    PORTAL_DB_ARGS(PDB_I(s->org_id), PDB_S(s->ids), PDB_I(all ? 1 : 0), PDB_I(id)),
		    &rows);
	if (status)
		return status;
	struct portal_arena *a = req->arena;
	if (pv_set(a, item, "properties", rows) || pv_set_bool(a, item, "all_properties", all))
		return 500;
	return 0;
}

/* Adds what pages and mails show to a row: its local days and times. */
static int item_display(struct portal_req *req, struct portal_value *item)
{
	struct portal_arena *a = req->arena;
	const char *starts = pv_get_str(item, "starts_at"), *ends = pv_get_str(item, "ends_at");
	const char *starts_date = portal_time_text_of(req, starts, PORTAL_TIME_DATE);
	if (pv_set_str(a, item, "starts_date", starts_date) ||
	    pv_set_str(a, item, "starts_time", portal_time_text_of(req, starts, PORTAL_TIME_CLOCK)))
		return 500;
	if (!ends)
		return 0;
	const char *ends_date = portal_time_text_of(req, ends, PORTAL_TIME_DATE);
	/* "18:00 – 20:00" reads better than repeating the day */
	if (pv_set_str(a, item, "ends_date", ends_date) ||
	    pv_set_str(a, item, "ends_time", portal_time_text_of(req, ends, PORTAL_TIME_CLOCK)) ||
	    pv_set_bool(a, item, "same_day", strcmp(starts_date, ends_date) == 0))
		return 500;
	return 0;
}

static int item_finish(struct portal_req *req, const struct scope *s, struct portal_value *item,
                       bool display)
{
	int status = item_properties(req, s, item);
	return !status && display ? item_display(req, item) : status;
}

static int items_finish(struct portal_req *req, const struct scope *s, struct portal_value *rows,
                        bool display)
{
	pv_foreach(m, rows) {
		int status = item_finish(req, s, m->value, display);
		if (status)
			return status;
	}
	return 0;
}

/* One appointment the caller may see, complete, or 404. */
static int load_one(struct portal_req *req, const struct scope *s, long long id,
                    struct portal_value **item)
{
	struct range r = {.id = id, .limit = 1};
	int status = portal_db_one(req, list_sql, VISIBLE_ARGS(s, &r), item);
	return status ? status : item_finish(req, s, *item, !req->is_api);
}

/* ------------------------------------------------------------------ input */

#define TARGETS_MESSAGE "appointments.error_properties"
#define TITLE_MESSAGE "appointments.error_title"
#define TIME_MESSAGE "appointments.error_time"

/* The create fields; title, start and targets with flags (a PATCH may leave
 * them out, but not empty them). An optional field sent empty is cleared. */
/* clang-format off */
#define APPOINTMENT_FIELDS(flags)                                                          \
	{"title", PORTAL_IN_STRING, flags, 1, TITLE_MAX_CHARS, .message = TITLE_MESSAGE},  \
	    {"body", PORTAL_IN_STRING, PORTAL_IN_NULLABLE | PORTAL_IN_MULTILINE, 0,        \
	     BODY_MAX_CHARS},                                                              \
	    {"location", PORTAL_IN_STRING, PORTAL_IN_NULLABLE, 0, LOCATION_MAX_CHARS},     \
	    {"starts_at", PORTAL_IN_DATETIME, flags, .message = TIME_MESSAGE},             \
	    {"ends_at", PORTAL_IN_DATETIME, PORTAL_IN_NULLABLE, .message = TIME_MESSAGE}
/* clang-format on */

const struct portal_input appointment_create_inputs[] = {
    APPOINTMENT_FIELDS(PORTAL_IN_REQUIRED),
    {"property_ids", PORTAL_IN_PROPERTIES, PORTAL_IN_REQUIRED, .message = TARGETS_MESSAGE},
    {"notify", PORTAL_IN_BOOL},
    {0},
};
const struct portal_input appointment_patch_inputs[] = {
    APPOINTMENT_FIELDS(0),
    {"property_ids", PORTAL_IN_PROPERTIES, 0, .message = TARGETS_MESSAGE},
    {"renotify", PORTAL_IN_BOOL},
    {0},
};
/* The edit page's form sends every field: none ticked is no recipient. */
const struct portal_input appointment_edit_inputs[] = {
    APPOINTMENT_FIELDS(PORTAL_IN_REQUIRED),
    {"property_ids", PORTAL_IN_PROPERTIES, PORTAL_IN_REQUIRED, .message = TARGETS_MESSAGE},
    {"renotify", PORTAL_IN_BOOL},
    {0},
};
/* The list: from and to (RFC 3339) on the API; the page's notices after a change. */
const struct portal_input appointment_list_inputs[] = {
    {"from", PORTAL_IN_DATETIME, PORTAL_IN_QUERY, .message = TIME_MESSAGE},
    {"to", PORTAL_IN_DATETIME, PORTAL_IN_QUERY, .message = TIME_MESSAGE},
    {"created", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {"updated", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {"deleted", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};
/* The calendar: "YYYY-MM" (else the current month) and the layout. */
static const char *const calendar_views[] = {"list", "month", NULL};
const struct portal_input appointment_calendar_inputs[] = {
    {"month", PORTAL_IN_STRING, PORTAL_IN_QUERY, 0, 7},
    {"view", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = calendar_views},
    {0},
};

/* ------------------------------------------------------------ recipients */

/* Writes the targets (property_ids, checked to be the organisation's; the
 * insert stays scoped by it all the same).
 * replace: an update's, whose old targets go first. A new item has none, and
 * deleting them anyway would lock the gap at the end of the targets' key,
 * where parallel creates then deadlock over inserting. */
static int targets_write(struct portal_req *req, long long id, const struct portal_ids *t,
                         bool replace)
{
	int status =
	    !replace
	        ? 0
	        : portal_db_exec(req,
	                         "DELETE t FROM appointment_targets t JOIN appointments a"
	                         " ON a.id = t.appointment_id WHERE t.appointment_id = ?"
	                         " AND a.org_id = ?",
	                         PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), NULL, NULL);
	for (size_t i = 0; !status && i < t->count; i++)
		status = portal_db_exec(
		    req,
		    "INSERT INTO appointment_targets (appointment_id, property_id)"
		    " SELECT a.id, p.id FROM appointments a JOIN properties p ON p.org_id = "
		    "a.org_id"
		    " WHERE a.id = ? AND p.id = ? AND a.org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(t->ids[i]), PDB_I(req->caller.org_id)), NULL,
		    NULL);
	return status;
}

/* One mail per resident of the targeted properties (DISTINCT: one per person
 * also when they live in two), unless they turned appointment mails off (no
 * settings row: on), in their language, queued in the open transaction. */
static int notify_residents(struct portal_req *req, long long id, const struct portal_value *item,
                            bool changed)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT DISTINCT u.id, u.email, u.name, COALESCE(u.locale, o.locale) AS locale,"
	    " o.name AS org_name FROM memberships m"
	    " JOIN users u ON u.id = m.user_id AND u.org_id = m.org_id"
	    " JOIN orgs o ON o.id = u.org_id"
	    " JOIN appointments a ON a.id = ? AND a.org_id = m.org_id"
	    " WHERE m.org_id = ? AND m.state = 'active' AND u.role = 'resident'"
	    " AND " PORTAL_MAIL_WANTED(
	        "u.id",
	        "appointments") " AND (a.all_properties = 1 OR m.property_id IN (SELECT "
	                        "t.property_id"
	                        " FROM appointment_targets t WHERE t.appointment_id = a.id))"
	                        " ORDER BY u.id",
	    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	struct portal_arena *a = req->arena;
	const char *base = base_url(req);
	struct portal_value *view = pv_object(a);
	if (!base || !view)
		return 500;
	pv_foreach(m, item) {
		if (pv_set(a, view, m->key, m->value))
			return 500;
	}
	/* the mail shows local times whichever rendering the request has */
	if ((status = item_display(req, view)))
		return status;
	if (pv_set_str(a, view, "calendar_url", portal_sprintf(a, "%s/portal/calendar", base)) ||
	    pv_set_bool(a, view, "changed", changed))
		return 500;
	pv_foreach(m, rows) {
		const struct portal_value *r = m->value;
		if (pv_set_str(a, view, "display_name", pv_get_str(r, "name")) ||
		    pv_set_str(a, view, "org_name", pv_get_str(r, "org_name")))
			return 500;
		struct portal_mail mail = {
		    .kind = "appointments",
		    .template_name = "appointment",
		    .subject =
		        changed ? "appointments.mail_subject_changed" : "appointments.mail_subject",
		    .org_id = req->caller.org_id,
		    .view = view,
		};
		portal_mail_to(&mail, r);
		status = portal_mail(req, &mail);
		if (status == 422) {
			/* one unusable stored address must not stop the others' mail */
			portal_log("appointments: resident %lld has an unusable address",
			           pv_get_int(r, "id", 0));
			continue;
		}
		if (status)
			return status;
	}
	return 0;
}

/* -------------------------------------------------------------- the form */

#define NEW_PAGE "/app/content/appointment/new"

/* The recipients (core's picker.html) of the form of the page at action:
 * the targets of item (NULL: a new appointment, none), or what was sent when
 * the form was (its picker's search, or its refused submission: the other
 * fields as sent are then the core's form). */
static int form_picker(struct portal_req *req, const char *action, const struct portal_value *item,
                       struct portal_value *view)
{
	struct portal_picker picker = {
	    .id = "appointment-targets",
	    .field = "property_ids",
	    .legend = "appointments.recipients",
	    .action = action,
	    .all = item && pv_truthy(pv_get(item, "all_properties")),
	    .chosen = item ? pv_get(item, "properties") : NULL,
	};
	return action ? portal_picker(req, view, &picker) : 500;
}

/* A page refused after its input was read shows the fields sent again (core
 * puts them in form), but those hold the times as RFC 3339 in UTC: here they
 * are in the local form the datetime-local fields take. */
static int sent_times(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *times = pv_object(a);
	const char *starts = portal_in_str(req, "starts_at"), *ends = portal_in_str(req, "ends_at");
	if (!times ||
	    pv_set_str(a, times, "starts_at",
	               portal_time_text_of(req, starts, PORTAL_TIME_INPUT)) ||
	    pv_set_str(a, times, "ends_at", portal_time_text_of(req, ends, PORTAL_TIME_INPUT)) ||
	    pv_set(a, view, "sent_times", times))
		return 500;
	return 0;
}

/* GET /app/content/appointment/new, and its form shown again (refused, or
 * its picker's search). */
int appointment_new_form(struct portal_req *req, struct portal_value *view)
{
	int status = form_picker(req, NEW_PAGE, NULL, view);
	return status ? status : 200;
}

/* "Neuer Termin" shown again around its refused form. */
static int new_again(struct portal_req *req, struct portal_value *view, int refused)
{
	if (req->is_api)
		return refused;
	int status = form_picker(req, NEW_PAGE, NULL, view);
	if (!status)
		status = sent_times(req, view);
	return status ? status : refused;
}

/* --------------------------------------------------------------- create */

struct fields {
	const char *title, *body, *location; /* NULL: not sent */
	long long starts, ends;              /* 0: not sent */
	bool clear_ends;                     /* ends_at sent empty */
};

/* The create and update fields. */
static void fields_read(struct portal_req *req, struct fields *f)
{
	*f = (struct fields){
	    .title = portal_in_str(req, "title"),
	    .body = portal_in_patch(req, "body"),
	    .location = portal_in_patch(req, "location"),
	    .starts = portal_in_time(req, "starts_at"),
	    .ends = portal_in_time(req, "ends_at"),
	    .clear_ends = portal_in_null(req, "ends_at"),
	};
}

static int ends_before_starts(struct portal_req *req)
{
	return portal_fail(req, 422, "validation", "ends_at", "appointments.error_ends_at");
}

int appointment_create(struct portal_req *req, struct portal_value *view)
{
	struct fields f;
	struct portal_ids targets = portal_in_ids(req, "property_ids");
	bool notify = portal_in_bool(req, "notify", false);
	fields_read(req, &f);
	if (f.ends && f.ends < f.starts)
		return new_again(req, view, ends_before_starts(req));

	unsigned long long id = 0;
	int status = portal_db_begin(req);
	if (status)
		return status;
	status = portal_db_exec(
	    req,
	    "INSERT INTO appointments (org_id, title, body, location, starts_at, ends_at,"
	    " all_properties, author_id, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, " SQL_AT ", " SQL_AT ", ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(f.title), PDB_S(f.body ? f.body : ""),
	                   PDB_S(f.location ? f.location : ""), PDB_I(f.starts), at_arg(f.ends),
	                   PDB_I(targets.all ? 1 : 0), PDB_I(req->caller.user_id)),
	    NULL, &id);
	if (!status)
		status = targets_write(req, (long long)id, &targets, false);
	struct scope s = {.org_id = req->caller.org_id, .everything = true, .ids = ""};
	struct portal_value *item = NULL;
	if (!status)
		status = load_one(req, &s, (long long)id, &item);
	if (!status && notify)
		status = notify_residents(req, (long long)id, item, false);
	if (!status) /* what residents see changed: no cached home of before */
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	if (!req->is_api)
		return portal_redirect(req, "/app/content/appointments?created=1");
	*view = *item;
	return 201;
}

/* ---------------------------------------------------------- show, list */

int appointment_show(struct portal_req *req, struct portal_value *view)
{
	struct scope s;
	struct portal_value *item;
	int status = caller_scope(req, 0, &s);
	if (!status)
		status = load_one(req, &s, portal_param_id(req, "id"), &item);
	if (status)
		return status;
	*view = *item;
	return 200;
}

/* The page asked for; the cursor's key is the last item's starts_at. */
static int cursor_range(struct portal_req *req, struct range *r, int *limit)
{
	struct portal_page page;
	int status = portal_list_page(req, &page);
	if (status)
		return status;
	*limit = page.limit;
	r->limit = page.limit + 1;
	r->after_id = page.after;
	if (!page.after)
		return 0;
	r->after_key = portal_time_parse(page.key);
	if (r->after_key < 0)
		return portal_fail(req, 400, "bad_request", "after", "error.title.400");
	return 0;
}

int appointment_list(struct portal_req *req, struct portal_value *view)
{
	struct scope s;
	struct range r = {.from = portal_in_time(req, "from"), .to = portal_in_time(req, "to")};
	int status = caller_scope(req, 0, &s);
	if (status)
		return status;
	if (!req->is_api && !portal_is_manager(req))
		return portal_not_found(req);
	int limit;
	if ((status = cursor_range(req, &r, &limit)))
		return status;
	/* the manager's page shows what is still to come unless asked otherwise */
	if (!req->is_api && !r.from)
		r.from = portal_now();
	struct portal_value *rows;
	if ((status = query_visible(req, &s, &r, &rows)))
		return status;
	if ((status = items_finish(req, &s, rows, !req->is_api)))
		return status;
	if (portal_list_view(req, view, rows, limit, "starts_at"))
		return 500;
	if (!req->is_api &&
	    (pv_set_bool(req->arena, view, "created", portal_in_bool(req, "created", false)) ||
	     pv_set_bool(req->arena, view, "deleted", portal_in_bool(req, "deleted", false)) ||
	     pv_set_bool(req->arena, view, "updated", portal_in_bool(req, "updated", false))))
		return 500;
	return 200;
}

/* ------------------------------------------------------- update, delete */

/* The edit page's view: the appointment, its recipients (or those sent),
 * and the fields as the form shows them (local wall-clock time); a failed
 * save or a search of the picker replaces form with what was sent (core's
 * doing). */
static int edit_view(struct portal_req *req, struct portal_value *item, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *form = pv_object(a);
	pv_foreach(m, item) {
		if (pv_set(a, view, m->key, m->value))
			return 500;
	}
	const char *action =
	    portal_sprintf(a, "/app/content/appointments/%lld", pv_get_int(item, "id", 0));
	int status = form_picker(req, action, item, view);
	if (status)
		return status;
	const char *starts = pv_get_str(item, "starts_at"), *ends = pv_get_str(item, "ends_at");
	return !form || pv_set_str(a, form, "title", pv_get_str(item, "title")) ||
	               pv_set_str(a, form, "body", pv_get_str(item, "body")) ||
	               pv_set_str(a, form, "location", pv_get_str(item, "location")) ||
	               pv_set_str(a, form, "starts_at",
	                          portal_time_text_of(req, starts, PORTAL_TIME_INPUT)) ||
	               pv_set_str(a, form, "ends_at",
	                          portal_time_text_of(req, ends, PORTAL_TIME_INPUT)) ||
	               pv_set(a, view, "form", form)
	           ? 500
	           : 0;
}

/* GET /app/content/appointments/{id}: the edit page (404 outside the
 * caller's organisation, as load_one answers), and its form shown again. */
int appointment_edit_form(struct portal_req *req, struct portal_value *view)
{
	struct scope s = {.org_id = req->caller.org_id, .everything = true, .ids = ""};
	struct portal_value *item;
	int status = load_one(req, &s, portal_param_id(req, "id"), &item);
	if (!status)
		status = edit_view(req, item, view);
	return status ? status : 200;
}

/* PATCH /appointments/{id} and the edit page's form: the fields sent change;
 * renotify (off unless asked) mails the residents of the recipients as they
 * are after the change, as "Empfänger benachrichtigen" does on create. */
int appointment_update(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	struct scope s = {.org_id = req->caller.org_id, .everything = true, .ids = ""};
	struct portal_value *current;
	struct portal_ids targets = portal_in_ids(req, "property_ids");
	bool retarget = portal_in_has(req, "property_ids");
	bool renotify = portal_in_bool(req, "renotify", false);
	struct fields f;
	fields_read(req, &f);
	int status = load_one(req, &s, id, &current);
	if (status)
		return status;
	long long starts =
	    f.starts ? f.starts : portal_time_parse(pv_get_str(current, "starts_at"));
	long long ends = f.ends;
	if (!ends && !f.clear_ends && pv_get_str(current, "ends_at"))
		ends = portal_time_parse(pv_get_str(current, "ends_at"));
	if (ends && ends < starts) {
		int refused = ends_before_starts(req);
		/* the page is shown again: it needs the appointment and its picker */
		if (!req->is_api &&
		    ((status = edit_view(req, current, view)) || (status = sent_times(req, view))))
			return status;
		return refused;
	}

	if ((status = portal_db_begin(req)))
		return status;
	status = portal_db_exec(
	    req,
	    "UPDATE appointments SET title = COALESCE(?, title), body = COALESCE(?, body),"
	    " location = COALESCE(?, location), starts_at = " SQL_AT ", ends_at = " SQL_AT ","
	    " all_properties = IF(?, ?, all_properties), updated_at = UTC_TIMESTAMP()"
	    " WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_S(f.title), PDB_S(f.body), PDB_S(f.location), PDB_I(starts),
	                   at_arg(ends), PDB_I(retarget ? 1 : 0), PDB_I(targets.all ? 1 : 0),
	                   PDB_I(id), PDB_I(req->caller.org_id)),
	    NULL, NULL);
	if (!status && retarget)
		status = targets_write(req, id, &targets, true);
	struct portal_value *item = NULL;
	if (!status && renotify)
		status = load_one(req, &s, id, &item);
	if (!status && renotify)
		status = notify_residents(req, id, item, true);
	if (!status) /* what residents see changed: no cached home of before */
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (status) {
		if (portal_db_rollback(req))
			portal_log("appointments: rollback after a failed update failed");
		return status;
	}
	if (!req->is_api)
		return portal_redirect(req, "/app/content/appointments?updated=1");
	if ((status = load_one(req, &s, id, &item)))
		return status;
	*view = *item;
	return 200;
}

int appointment_delete(struct portal_req *req, struct portal_value *view)
{
	int status = portal_db_exec_one(
	    req, "DELETE FROM appointments WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)));
	if (!status)
		status = portal_content_changed(req);
	if (status)
		return status;
	return req->is_api ? 204 : portal_redirect(req, "/app/content/appointments?deleted=1");
}

/* ------------------------------------------------------------- iCalendar */

/* The calendar of a scope as text/calendar: the past year and the future. */
static int respond_ics(struct portal_req *req, const struct scope *s, const char *name)
{
	struct range r = {.limit = ICS_MAX_ITEMS, .from = portal_now() - ICS_PAST_SECONDS};
	struct portal_value *rows;
	int status = query_visible(req, s, &r, &rows);
	if (status)
		return status;
	const char *host = base_host(req);
	if (!host)
		return 500;
	struct portal_buf b = {.arena = req->arena};
	ical_begin(&b, "-//Portal//Termine//DE", name ? name : "");
	pv_foreach(m, rows) {
		const struct portal_value *row = m->value;
		const char *ends_at = pv_get_str(row, "ends_at");
		struct ical_event e = {
		    .id = pv_get_int(row, "id", 0),
		    .title = pv_get_str(row, "title"),
		    .body = pv_get_str(row, "body"),
		    .location = pv_get_str(row, "location"),
		    .starts = (time_t)portal_time_parse(pv_get_str(row, "starts_at")),
		    .ends = ends_at ? (time_t)portal_time_parse(ends_at) : (time_t)-1,
		    .stamp = (time_t)portal_time_parse(pv_get_str(row, "updated_at")),
		};
		ical_event(&b, &e, host);
	}
	if (ical_end(&b))
		return 500;
	return portal_respond_raw(req, "text/calendar; charset=utf-8", b.data, b.len);
}

int appointment_property_ics(struct portal_req *req, struct portal_value *view)
{
	struct scope s;
	int status = caller_scope(req, portal_param_id(req, "id"), &s);
	return status ? status : respond_ics(req, &s, s.name);
}

/* ------------------------------------------------------------ the feed */

/* The feed token of a generation, as for invite links: derived, never stored;
 * the database keeps only its hash. 0 or 500 (logged: no secret_key). */
static int feed_token(struct portal_req *req, long long user_id, long long generation,
                      char token[PORTAL_TOKEN_CHARS + 1])
{
	return portal_link_token(req, "calendar", user_id, generation, token, NULL);
}

static int feed_hash_arg(struct portal_req *req, long long user_id, long long generation,
                         unsigned char hash[PORTAL_HASH_BYTES], struct portal_db_arg *arg)
{
	char token[PORTAL_TOKEN_CHARS + 1];
	*arg = PDB_B(hash, PORTAL_HASH_BYTES);
	return portal_link_token(req, "calendar", user_id, generation, token, hash);
}

/* The caller's feed generation (NULL rows: none yet). lock: FOR UPDATE
 * inside a transaction. */
static int feed_row(struct portal_req *req, bool lock, struct portal_value **row)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    lock ? "SELECT f.generation FROM calendar_feeds f JOIN "
	           "users u ON u.id = f.user_id"
	           " WHERE f.user_id = ? AND u.org_id = ? FOR UPDATE"
	         : "SELECT f.generation FROM calendar_feeds f JOIN "
	           "users u ON u.id = f.user_id"
	           " WHERE f.user_id = ? AND u.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)), &rows);
	*row = status ? NULL : pv_first(rows);
	return status;
}

/* The caller's feed generation, made on first use: generation 1 follows from
 * the user alone, so showing it changes nothing anyone can observe; the row
 * only makes the token findable. A page reads it first and writes only the
 * first time; lock (FOR UPDATE inside a transaction) makes the row first, so
 * that a missing row's gap is never what it locks. */
static int feed_generation(struct portal_req *req, bool lock, long long *generation)
{
	long long user_id = req->caller.user_id;
	unsigned char hash[PORTAL_HASH_BYTES];
	struct portal_db_arg hash_arg;
	struct portal_value *row = NULL;
	int status = lock ? 0 : feed_row(req, false, &row);
	if (!status && !row)
		status = feed_hash_arg(req, user_id, 1, hash, &hash_arg);
	if (!status && !row)
		status = portal_db_exec(
		    req,
		    "INSERT INTO calendar_feeds (user_id, generation, token_hash)"
		    " SELECT u.id, 1, ? FROM users u WHERE u.id = ? AND u.org_id = ?"
		    " AND u.role = 'resident'"
		    " ON DUPLICATE KEY UPDATE user_id = calendar_feeds.user_id",
		    PORTAL_DB_ARGS(hash_arg, PDB_I(user_id), PDB_I(req->caller.org_id)), NULL,
		    NULL);
	if (!status && !row)
		status = feed_row(req, lock, &row);
	if (status)
		return status;
	if (!row) {
		portal_log("appointments: the calendar feed of user %lld was not stored", user_id);
		return 500;
	}
	*generation = pv_get_int(row, "generation", 0);
	return 0;
}

static int feed_url(struct portal_req *req, long long generation, const char **url)
{
	char token[PORTAL_TOKEN_CHARS + 1];
	int status = feed_token(req, req->caller.user_id, generation, token);
	if (status)
		return status;
	const char *base = base_url(req);
	*url = base ? portal_sprintf(req->arena, "%s/api/v1/calendar/%s.ics", base, token) : NULL;
	return *url ? 0 : 500;
}

int appointment_feed_show(struct portal_req *req, struct portal_value *view)
{
	long long generation;
	const char *url;
	int status = feed_generation(req, false, &generation);
	if (!status)
		status = feed_url(req, generation, &url);
	if (status)
		return status;
	return pv_set_str(req->arena, view, "url", url) ? 500 : 200;
}

/* A new generation and hash in one transaction: the old token's hash is gone
 * when it commits, so the old address is dead at once. Two rotations at one
 * instant (a double click) each run the insert that makes the row on first
 * use and then lock the row, and InnoDB may end one of them as a deadlock:
 * portal_db_transaction runs that one again, where it was a 503. */
static int write_rotation(struct portal_req *req, void *ctx)
{
	long long *generation = ctx;
	unsigned char hash[PORTAL_HASH_BYTES];
	struct portal_db_arg hash_arg;
	int status = feed_generation(req, true, generation);
	if (!status)
		status = feed_hash_arg(req, req->caller.user_id, *generation + 1, hash, &hash_arg);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE calendar_feeds f JOIN users u ON u.id = f.user_id"
		    " SET f.generation = ?, f.token_hash = ? WHERE f.user_id = ? AND u.org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(*generation + 1), hash_arg, PDB_I(req->caller.user_id),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	return status;
}

int appointment_feed_rotate(struct portal_req *req, struct portal_value *view)
{
	long long generation = 0;
	const char *url;
	int status = portal_db_transaction(req, write_rotation, &generation);
	if (!status)
		status = feed_url(req, generation + 1, &url);
	if (status)
		return status;
	return pv_set_str(req->arena, view, "url", url) ? 500 : 200;
}

/* Public: the token is the only credential. Its resident's organisation
 * scopes every query from here on (the caller is signed out). */
int appointment_feed_ics(struct portal_req *req, struct portal_value *view)
{
	const char *token = portal_param_str(req, "token");
	if (!token || !portal_token_valid(token))
		return portal_not_found(req);
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(token, strlen(token), hash);
	struct portal_db_arg hash_arg = PDB_B(hash, PORTAL_HASH_BYTES);
	struct portal_value *row;
	int status =
	    portal_db_one(req,
	                  "SELECT u.id, u.org_id, o.name AS org_name FROM calendar_feeds f"
	                  " JOIN users u ON u.id = f.user_id JOIN orgs o ON o.id = u.org_id"
	                  " WHERE f.token_hash = ? AND u.role = 'resident'",
	                  PORTAL_DB_ARGS(hash_arg), &row);
	if (status)
		return status;
	struct scope s = {.org_id = pv_get_int(row, "org_id", 0), .ids = ""};
	if ((status = resident_ids(req, pv_get_int(row, "id", 0), s.org_id, &s.ids)))
		return status;
	return respond_ics(req, &s, pv_get_str(row, "org_name"));
}

/* ------------------------------------------------------ calendar, home */

/* "YYYY-MM" of the query, else the current local month. */
static void calendar_month(struct portal_req *req, int *year, int *month)
{
	struct portal_local_time now;
	portal_time_local(portal_now(), &now);
	*year = now.year;
	*month = now.month;
	const char *q = portal_in_str(req, "month");
	int y, m;
	char tail;
	if (q && strlen(q) == 7 && sscanf(q, "%4d-%2d%c", &y, &m, &tail) == 2 && y >= 1970 &&
	    y <= 9998 && m >= 1 && m <= 12) {
		*year = y;
		*month = m;
	}
}

/* Whether an instant (RFC 3339) falls on a local day. */
static bool on_day(const char *at, int year, int month, int day)
{
	struct portal_local_time t;
	portal_time_local(portal_time_parse(at), &t);
	return t.year == year && t.month == month && t.day == day;
}

/* The month as weeks of Monday..Sunday cells, each with its appointments. */
static int calendar_weeks(struct portal_req *req, int year, int month,
                          const struct portal_value *items, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_local_time first, now;
	portal_time_local(portal_time_from_local(year, month, 1, 12, 0), &first);
	portal_time_local(portal_now(), &now);
	int lead = first.weekday; /* cells before the 1st: the week starts on Monday */
	int days = 31;
	while (days > 28 && portal_time_from_local(year, month, days, 12, 0) < 0)
		days--;
	struct portal_value *weeks = pv_list(a), *week = NULL;
	if (!weeks)
		return 500;
	for (int cell = 0; cell < lead + days || cell % 7; cell++) {
		if (cell % 7 == 0) {
			struct portal_value *w = pv_object(a);
			week = pv_list(a);
			if (!w || !week || pv_set(a, w, "days", week) || pv_push(a, weeks, w))
				return 500;
		}
		struct portal_value *c = pv_object(a), *list = pv_list(a);
		if (!c || !list || pv_push(a, week, c))
			return 500;
		int day = cell - lead + 1;
		if (day < 1 || day > days)
			continue;
		pv_foreach(m, items) {
			if (on_day(pv_get_str(m->value, "starts_at"), year, month, day) &&
			    pv_push(a, list, m->value))
				return 500;
		}
		bool today = now.year == year && now.month == month && now.day == day;
		if (pv_set_int(a, c, "day", day) || pv_set_bool(a, c, "today", today) ||
		    pv_set(a, c, "items", list) || pv_set_bool(a, c, "busy", pv_count(list) > 0))
			return 500;
	}
	return pv_set(a, view, "weeks", weeks) ? 500 : 0;
}

int appointment_calendar_page(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct scope s;
	int status = caller_scope(req, 0, &s);
	if (status)
		return status;
	int year, month;
	calendar_month(req, &year, &month);
	int next_year = month == 12 ? year + 1 : year, next_month = month == 12 ? 1 : month + 1;
	int prev_year = month == 1 ? year - 1 : year, prev_month = month == 1 ? 12 : month - 1;
	struct range r = {.limit = MONTH_MAX_ITEMS,
	                  .from = portal_time_from_local(year, month, 1, 0, 0),
	                  .to = portal_time_from_local(next_year, next_month, 1, 0, 0)};
	struct portal_value *rows;
	if (r.from < 0 || r.to < 0)
		return 500;
	if ((status = query_visible(req, &s, &r, &rows)) ||
	    (status = items_finish(req, &s, rows, true)))
		return status;
	/* the layout: "list" or "month"; none lets narrow screens show the list */
	const char *mode = portal_in_str(req, "view");
	const char *suffix = mode ? portal_sprintf(a, "&view=%s", mode) : "";
	long long generation;
	const char *feed;
	if ((status = feed_generation(req, false, &generation)) ||
	    (status = feed_url(req, generation, &feed)))
		return status;
	if (!suffix || calendar_weeks(req, year, month, rows, view) ||
	    pv_set(a, view, "items", rows) || pv_set_bool(a, view, "any", pv_count(rows) > 0) ||
	    pv_set_int(a, view, "month", month) || pv_set_int(a, view, "year", year) ||
	    pv_set_str(a, view, "mode", mode ? mode : "auto") ||
	    pv_set_str(a, view, "month_param", portal_sprintf(a, "%04d-%02d", year, month)) ||
	    pv_set_str(a, view, "prev_url",
	               portal_sprintf(a, "/portal/calendar?month=%04d-%02d%s", prev_year,
	                              prev_month, suffix)) ||
	    pv_set_str(a, view, "next_url",
	               portal_sprintf(a, "/portal/calendar?month=%04d-%02d%s", next_year,
	                              next_month, suffix)) ||
	    pv_set_str(a, view, "feed_url", feed))
		return 500;
	return 200;
}

int appointment_home(struct portal_req *req, const long long *property_ids, size_t count,
                     struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_buf ids = {.arena = a};
	for (size_t i = 0; i < count; i++)
		portal_buf_printf(&ids, "%s%lld", i ? "," : "", property_ids[i]);
	if (ids.failed)
		return 500;
	struct scope s = {.org_id = req->caller.org_id, .ids = ids.data ? ids.data : ""};
	struct range r = {.limit = HOME_COUNT, .from = portal_now()};
	struct portal_value *rows;
	int status = query_visible(req, &s, &r, &rows);
	if (status)
		return status;
	if (pv_count(rows) == 0)
		return 204;
	pv_foreach(m, rows) {
		if ((status = item_display(req, m->value)))
			return status;
	}
	return pv_set(a, view, "items", rows) ? 500 : 0;
}
