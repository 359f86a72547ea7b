/* Appointments (Termine), "Content" in API.md: created by managers for one,
 * several or all properties, mailed to the residents only when asked
 * ("Empfänger benachrichtigen", off by default), shown in the residents'
 * calendar and home, and published as iCalendar feeds.
 *
 * Times are stored and exchanged in UTC; people see and type Europe/Berlin
 * wall-clock time, converted by ical.c's rules (not the host's TZ). Who sees
 * what is one rule for every route: an appointment of the caller's
 * organisation that is for all properties, or for one of the properties in
 * the caller's scope (a resident's active memberships, or the one property
 * asked for). Every query is bound to the organisation of the caller, or, for
 * the public feed, of the resident the token belongs to. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <portal/crypto.h>
#include <portal/input.h>
#include <portal/list.h>
#include <portal/mail.h>

#include "appointments.h"
#include "ical.h"

#define TITLE_MAX_CHARS 200
#define BODY_MAX_CHARS 10000
#define LOCATION_MAX_CHARS 200
#define TARGETS_MAX 1000          /* property ids a request may name */
#define SCOPE_PROPERTIES_MAX 1000 /* a resident's active properties considered */
#define HOME_COUNT 3
#define MONTH_MAX_ITEMS 500              /* appointments one month of the calendar shows */
#define ICS_MAX_ITEMS 2000               /* events in one feed */
#define ICS_PAST_SECONDS (366LL * 86400) /* feeds carry the past year and the future */
#define SQL_TIME_BYTES 80                /* room for any int, though years stay 4 digits */

/* Which properties' appointments a caller sees: all of the organisation's
 * (a manager), or those for all properties plus those targeting one of ids
 * (a comma-separated list for FIND_IN_SET; "" when none). */
struct scope {
	long long org_id;
	bool everything;
	const char *ids;
};

/* The appointment as the query below reads it. */
#define APPOINTMENT_COLUMNS                                                                   \
	"SELECT a.id, a.title, a.body, a.location, a.starts_at, a.ends_at, a.all_properties," \
	" a.created_at, a.updated_at FROM appointments a"

/* The visibility rule (org, everything, ids, ids), an optional id, the range
 * (from twice, to twice: overlapping it), the cursor (key twice, key, id). */
static const char list_sql[] = APPOINTMENT_COLUMNS
    " WHERE a.org_id = ? AND (? = 1 OR (a.all_properties = 1 AND ? <> '')"
    " OR EXISTS (SELECT 1 FROM appointment_targets t WHERE t.appointment_id = a.id"
    " AND FIND_IN_SET(t.property_id, ?)))"
    " AND (? = 0 OR a.id = ?)"
    " AND (? IS NULL OR COALESCE(a.ends_at, a.starts_at) >= ?)"
    " AND (? IS NULL OR a.starts_at < ?)"
    " AND (? IS NULL OR a.starts_at > ? OR (a.starts_at = ? AND a.id > ?))"
    " ORDER BY a.starts_at, a.id LIMIT ?";

struct range {
	const char *from, *to; /* SQL DATETIME text, or NULL */
	const char *after_key; /* the cursor's starts_at as SQL DATETIME, or NULL */
	long long after_id;
	long long id; /* one appointment, or 0 */
	int limit;
};

/* ------------------------------------------------------------------ helpers */

static void sql_time(time_t t, char out[SQL_TIME_BYTES])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, SQL_TIME_BYTES, "1970-01-01 00:00:00");
		return;
	}
	snprintf(out, SQL_TIME_BYTES, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static const char *sql_time_dup(struct portal_req *req, time_t t)
{
	char text[SQL_TIME_BYTES];
	sql_time(t, text);
	return portal_strdup(req->arena, text);
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

/* Berlin's wall-clock text of a UTC instant: "dd.mm.yyyy" and "HH:MM". */
static int set_local(struct portal_req *req, struct portal_value *obj, const char *prefix,
                     time_t utc)
{
	struct tm t;
	berlin_from_utc(utc, &t);
	struct portal_arena *a = req->arena;
	const char *date =
	    portal_sprintf(a, "%02d.%02d.%04d", t.tm_mday, t.tm_mon + 1, t.tm_year + 1900);
	const char *clock = portal_sprintf(a, "%02d:%02d", t.tm_hour, t.tm_min);
	const char *input = portal_sprintf(a, "%04d-%02d-%02dT%02d:%02d", t.tm_year + 1900,
	                                   t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min);
	const char *k_date = portal_sprintf(a, "%s_date", prefix);
	const char *k_time = portal_sprintf(a, "%s_time", prefix);
	const char *k_input = portal_sprintf(a, "%s_local", prefix);
	if (!date || !clock || !input || !k_date || !k_time || !k_input ||
	    pv_set_str(a, obj, k_date, date) || pv_set_str(a, obj, k_time, clock) ||
	    pv_set_str(a, obj, k_input, input))
		return 500;
	return 0;
}

/* A time field of the body: RFC 3339 on the API, a datetime-local value in
 * Berlin time on the pages. *given false when absent (or null / ""). */
static int read_time(struct portal_req *req, const char *field, time_t *out, bool *given)
{
	const char *text;
	*given = false;
	int status = portal_body_str(req, field, 0, 64, &text);
	if (status)
		return status;
	if (!text)
		return 0;
	int bad = req->is_api ? ical_parse_rfc3339(text, out) : ical_parse_berlin_local(text, out);
	if (bad)
		return portal_fail(req, 422, "validation", field, "appointments.error_time");
	*given = true;
	return 0;
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
	size_t cap = rows->u.c.count * 21 + 1, len = 0;
	char *list = portal_alloc(req->arena, cap);
	if (!list)
		return 500;
	pv_foreach(m, rows)
	{
		int n = snprintf(list + len, cap - len, "%s%lld", len ? "," : "",
		                 pv_get_int(m->value, "property_id", 0));
		if (n < 0 || (size_t)n >= cap - len)
			return 500;
		len += (size_t)n;
	}
	*ids = list;
	return 0;
}

/* The caller's scope; with property_id, only that property (404 when the
 * caller may not see it: another organisation's, or not the resident's). */
static int caller_scope(struct portal_req *req, long long property_id, struct scope *out)
{
	*out = (struct scope){.org_id = req->caller.org_id, .ids = ""};
	int status;
	if (req->caller.role == PORTAL_ROLE_MANAGER) {
		if (!property_id) {
			out->everything = true;
			return 0;
		}
		struct portal_value *rows;
		status = portal_db_query(
		    req, "SELECT id FROM properties WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id)), &rows);
		if (status)
			return status;
		if (rows->u.c.count == 0)
			return portal_fail(req, 404, "not_found", NULL, "error.title.404");
		out->ids = portal_sprintf(req->arena, "%lld", property_id);
		return out->ids ? 0 : 500;
	}
	if (req->caller.role != PORTAL_ROLE_RESIDENT)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	if ((status = resident_ids(req, req->caller.user_id, req->caller.org_id, &out->ids)))
		return status;
	if (!property_id)
		return 0;
	/* the property must be one of the resident's active ones */
	char needle[32];
	snprintf(needle, sizeof needle, "%lld", property_id);
	size_t nlen = strlen(needle);
	for (const char *p = out->ids; *p;) {
		size_t len = strcspn(p, ",");
		if (len == nlen && memcmp(p, needle, nlen) == 0) {
			out->ids = portal_strdup(req->arena, needle);
			return out->ids ? 0 : 500;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return portal_fail(req, 404, "not_found", NULL, "error.title.404");
}

static int query_visible(struct portal_req *req, const struct scope *s, const struct range *r,
                         struct portal_value **rows)
{
	return portal_db_query(req, list_sql,
	                       PORTAL_DB_ARGS(PDB_I(s->org_id), PDB_I(s->everything ? 1 : 0),
	                                      PDB_S(s->ids), PDB_S(s->ids), PDB_I(r->id),
	                                      PDB_I(r->id), PDB_S(r->from), PDB_S(r->from),
	                                      PDB_S(r->to), PDB_S(r->to), PDB_S(r->after_key),
	                                      PDB_S(r->after_key), PDB_S(r->after_key),
	                                      PDB_I(r->after_id), PDB_I(r->limit)),
	                       rows);
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

/* Adds what pages show (Berlin times) to a row. */
static int item_display(struct portal_req *req, struct portal_value *item)
{
	time_t starts, ends;
	const char *ends_at = pv_get_str(item, "ends_at");
	if (ical_parse_rfc3339(pv_get_str(item, "starts_at"), &starts))
		return 500;
	int status = set_local(req, item, "starts", starts);
	if (!status && ends_at) {
		if (ical_parse_rfc3339(ends_at, &ends))
			return 500;
		status = set_local(req, item, "ends", ends);
		/* "18:00 – 20:00" reads better than repeating the day */
		if (!status && pv_set_bool(req->arena, item, "same_day",
		                           strcmp(pv_get_str(item, "starts_date"),
		                                  pv_get_str(item, "ends_date")) == 0))
			status = 500;
	}
	return status;
}

static int items_finish(struct portal_req *req, const struct scope *s, struct portal_value *rows,
                        bool display)
{
	pv_foreach(m, rows)
	{
		int status = item_properties(req, s, m->value);
		if (!status && display)
			status = item_display(req, m->value);
		if (status)
			return status;
	}
	return 0;
}

/* One appointment the caller may see into view, or 404. */
static int load_one(struct portal_req *req, const struct scope *s, long long id,
                    struct portal_value *view)
{
	struct range r = {.id = id, .limit = 1};
	struct portal_value *rows;
	int status = query_visible(req, s, &r, &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	struct portal_value *item = rows->u.c.head->value;
	if ((status = items_finish(req, s, rows, !req->is_api)))
		return status;
	pv_foreach(m, item)
	{
		if (pv_set(req->arena, view, m->key, m->value))
			return 500;
	}
	return 0;
}

/* ------------------------------------------------------------ recipients */

struct targets {
	bool all;
	long long *ids;
	size_t count;
};

static int targets_fail(struct portal_req *req)
{
	return portal_fail(req, 422, "validation", "property_ids", "appointments.error_properties");
}

/* One id of property_ids: a JSON number or a string of digits. */
static int target_id(const struct portal_value *v, long long *out)
{
	if (v->type == PV_INT) {
		*out = v->u.i;
		return *out > 0 ? 0 : -1;
	}
	if (v->type != PV_STRING || v->u.s.len == 0 || v->u.s.len > 18)
		return -1;
	long long id = 0;
	for (size_t i = 0; i < v->u.s.len; i++) {
		char c = v->u.s.ptr[i];
		if (c < '0' || c > '9')
			return -1;
		id = id * 10 + (c - '0');
	}
	*out = id;
	return id > 0 ? 0 : -1;
}

/* property_ids: a list of ids of the caller's organisation, or "all" (a form
 * sends the field once per checked box; "all" among them wins). Empty, a
 * foreign or unknown id, or anything else: 422 on the field. */
static int targets_read(struct portal_req *req, struct targets *out)
{
	*out = (struct targets){0};
	const struct portal_value *v = pv_get(req->body, "property_ids");
	if (!v)
		return targets_fail(req);
	const struct portal_value *single = v->type == PV_LIST ? NULL : v;
	size_t n = single ? 1 : v->u.c.count;
	if (n == 0 || n > TARGETS_MAX)
		return targets_fail(req);
	out->ids = portal_alloc(req->arena, n * sizeof *out->ids);
	if (!out->ids)
		return 500;
	const struct pv_member *m = single ? NULL : v->u.c.head;
	for (size_t i = 0; i < n; i++, m = m ? m->next : NULL) {
		const struct portal_value *item = single ? single : m->value;
		if (item->type == PV_STRING && strcmp(item->u.s.ptr, "all") == 0) {
			out->all = true;
			continue;
		}
		long long id;
		if (target_id(item, &id))
			return targets_fail(req);
		bool seen = false;
		for (size_t j = 0; j < out->count && !seen; j++)
			seen = out->ids[j] == id;
		if (!seen)
			out->ids[out->count++] = id;
	}
	if (out->all) {
		out->count = 0;
		return 0;
	}
	for (size_t i = 0; i < out->count; i++) {
		struct portal_value *rows;
		int status = portal_db_query(
		    req, "SELECT id FROM properties WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(out->ids[i]), PDB_I(req->caller.org_id)), &rows);
		if (status)
			return status;
		if (rows->u.c.count == 0)
			return targets_fail(req);
	}
	return 0;
}

static int targets_write(struct portal_req *req, long long id, const struct targets *t)
{
	int status =
	    portal_db_exec(req,
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
	    " AND " PORTAL_MAIL_WANTED("u.id", "appointments")
	    " AND (a.all_properties = 1 OR m.property_id IN (SELECT t.property_id"
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
	pv_foreach(m, item)
	{
		if (pv_set(a, view, m->key, m->value))
			return 500;
	}
	/* the mail shows Berlin times whichever rendering the request has */
	if ((status = item_display(req, view)))
		return status;
	if (pv_set_str(a, view, "calendar_url", portal_sprintf(a, "%s/portal/calendar", base)) ||
	    pv_set_bool(a, view, "changed", changed))
		return 500;
	pv_foreach(m, rows)
	{
		const struct portal_value *r = m->value;
		const char *locale = pv_get_str(r, "locale");
		if (pv_set_str(a, view, "display_name", pv_get_str(r, "name")) ||
		    pv_set_str(a, view, "org_name", pv_get_str(r, "org_name")))
			return 500;
		struct portal_mail mail = {
		    .to = pv_get_str(r, "email"),
		    .to_name = pv_get_str(r, "name"),
		    .locale = locale && strcmp(locale, "en") == 0 ? "en" : "de",
		    .kind = "appointments",
		    .template_name = "appointment",
		    .subject =
		        changed ? "appointments.mail_subject_changed" : "appointments.mail_subject",
		    .org_id = req->caller.org_id,
		    .view = view,
		};
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

/* The organisation's properties for the recipients' checkboxes, each marked
 * when the failed form had chosen it; with no form sent yet, when the stored
 * appointment (item, or NULL) targets it, so the edit page opens as saved. */
static int form_properties(struct portal_req *req, const struct portal_value *item,
                           struct portal_value *view)
{
	struct portal_value *rows;
	int status = portal_db_query(req,
	                             "SELECT id, name, city FROM properties WHERE org_id = ?"
	                             " ORDER BY name, id LIMIT 1000",
	                             PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	struct portal_arena *a = req->arena;
	const struct portal_value *chosen = pv_get(req->body, "property_ids");
	bool all = false;
	pv_foreach(m, rows)
	{
		bool checked = false;
		char id[32];
		snprintf(id, sizeof id, "%lld", pv_get_int(m->value, "id", 0));
		if (chosen && chosen->type == PV_STRING) {
			checked = strcmp(chosen->u.s.ptr, id) == 0;
			all = all || strcmp(chosen->u.s.ptr, "all") == 0;
		} else if (chosen && chosen->type == PV_LIST) {
			pv_foreach(c, chosen)
			{
				if (c->value->type != PV_STRING)
					continue;
				checked = checked || strcmp(c->value->u.s.ptr, id) == 0;
				all = all || strcmp(c->value->u.s.ptr, "all") == 0;
			}
		}
		if (!chosen && item) {
			pv_foreach(t, pv_get(item, "properties"))
			{
				checked = checked || pv_get_int(t->value, "id", 0) ==
				                         pv_get_int(m->value, "id", 0);
			}
		}
		if (pv_set_bool(a, m->value, "checked", checked))
			return 500;
	}
	if (!chosen && item)
		all = pv_truthy(pv_get(item, "all_properties"));
	/* the shape templates/targets.html reads, as every content form gives it */
	if (pv_set(a, view, "choices", rows) || pv_set_bool(a, view, "all_checked", all) ||
	    pv_set_str(a, view, "targets_id", "appointment-targets") ||
	    pv_set_str(a, view, "targets_legend", "appointments.recipients"))
		return 500;
	return 0;
}

int appointment_new_form(struct portal_req *req, struct portal_value *view)
{
	int status = form_properties(req, NULL, view);
	return status ? status : 200;
}

/* --------------------------------------------------------------- create */

struct fields {
	const char *title, *body, *location;
	time_t starts, ends;
	bool has_title, has_body, has_location, has_starts, has_ends, clear_ends;
};

/* The create and update fields; on create title and starts_at are required. */
static int fields_read(struct portal_req *req, bool create, struct fields *f)
{
	*f = (struct fields){0};
	int status = portal_body_str(req, "title", create ? 1 : 0, TITLE_MAX_CHARS, &f->title);
	if (status)
		return status;
	if (!create && portal_body_has(req, "title") && !f->title)
		return portal_fail(req, 422, "validation", "title", "appointments.error_title");
	f->has_title = f->title != NULL;
	if ((status = portal_body_str(req, "body", 0, BODY_MAX_CHARS, &f->body)))
		return status;
	f->has_body = portal_body_has(req, "body");
	if ((status = portal_body_str(req, "location", 0, LOCATION_MAX_CHARS, &f->location)))
		return status;
	f->has_location = portal_body_has(req, "location");
	if ((status = read_time(req, "starts_at", &f->starts, &f->has_starts)))
		return status;
	if ((create || portal_body_has(req, "starts_at")) && !f->has_starts)
		return portal_fail(req, 422, "validation", "starts_at", "appointments.error_time");
	if ((status = read_time(req, "ends_at", &f->ends, &f->has_ends)))
		return status;
	f->clear_ends = !f->has_ends && portal_body_has(req, "ends_at");
	return 0;
}

int appointment_create(struct portal_req *req, struct portal_value *view)
{
	int status;
	/* a page that fails is rendered again: it needs its checkboxes */
	if (!req->is_api && (status = form_properties(req, NULL, view)))
		return status;
	struct fields f;
	struct targets t;
	bool notify;
	if ((status = fields_read(req, true, &f)))
		return status;
	if (f.has_ends && f.ends < f.starts)
		return portal_fail(req, 422, "validation", "ends_at", "appointments.error_ends_at");
	if ((status = targets_read(req, &t)) ||
	    (status = portal_body_bool(req, "notify", false, &notify)))
		return status;

	unsigned long long id = 0;
	if ((status = portal_db_begin(req)))
		return status;
	status = portal_db_exec(
	    req,
	    "INSERT INTO appointments (org_id, title, body, location, starts_at, ends_at,"
	    " all_properties, author_id, created_at, updated_at)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(), UTC_TIMESTAMP())",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(f.title), PDB_S(f.body ? f.body : ""),
	                   PDB_S(f.location ? f.location : ""), PDB_S(sql_time_dup(req, f.starts)),
	                   f.has_ends ? PDB_S(sql_time_dup(req, f.ends)) : PDB_NUL,
	                   PDB_I(t.all ? 1 : 0), PDB_I(req->caller.user_id)),
	    NULL, &id);
	if (!status)
		status = targets_write(req, (long long)id, &t);
	struct scope s = {.org_id = req->caller.org_id, .everything = true, .ids = ""};
	struct portal_value *item = pv_object(req->arena);
	if (!status && !item)
		status = 500;
	if (!status)
		status = load_one(req, &s, (long long)id, item);
	if (!status && notify)
		status = notify_residents(req, (long long)id, item, false);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	if (!req->is_api)
		return portal_redirect(req, "/app/content/appointments?created=1");
	pv_foreach(m, item)
	{
		if (pv_set(req->arena, view, m->key, m->value))
			return 500;
	}
	return 201;
}

/* ---------------------------------------------------------- show, list */

int appointment_show(struct portal_req *req, struct portal_value *view)
{
	struct scope s;
	int status = caller_scope(req, 0, &s);
	if (!status)
		status = load_one(req, &s, portal_param_id(req, "id"), view);
	return status ? status : 200;
}

/* A query time (RFC 3339) as SQL DATETIME text, NULL when absent; 422 on the
 * field when malformed. */
static int query_time(struct portal_req *req, const char *name, const char **out)
{
	const char *text = pv_get_str(req->query, name);
	*out = NULL;
	if (!text || !*text)
		return 0;
	time_t t;
	if (ical_parse_rfc3339(text, &t))
		return portal_fail(req, 422, "validation", name, "appointments.error_time");
	*out = sql_time_dup(req, t);
	return *out ? 0 : 500;
}

/* The cursor's key (the last item's starts_at) back into SQL text. */
static int cursor_range(struct portal_req *req, struct range *r)
{
	const char *key;
	int status = portal_cursor_read(req, &key, &r->after_id);
	if (status)
		return status;
	if (!r->after_id)
		return 0;
	time_t t;
	if (!key || ical_parse_rfc3339(key, &t))
		return portal_fail(req, 400, "bad_request", "after", "error.title.400");
	r->after_key = sql_time_dup(req, t);
	return r->after_key ? 0 : 500;
}

int appointment_list(struct portal_req *req, struct portal_value *view)
{
	struct scope s;
	struct range r = {0};
	int status = caller_scope(req, 0, &s);
	if (status)
		return status;
	if (!req->is_api && req->caller.role != PORTAL_ROLE_MANAGER)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	int limit = portal_list_limit(req);
	if (!limit)
		return 400;
	r.limit = limit + 1;
	if ((status = query_time(req, "from", &r.from)) ||
	    (status = query_time(req, "to", &r.to)) || (status = cursor_range(req, &r)))
		return status;
	/* the manager's page shows what is still to come unless asked otherwise */
	if (!req->is_api && !r.from)
		r.from = sql_time_dup(req, time(NULL));
	struct portal_value *rows;
	if ((status = query_visible(req, &s, &r, &rows)))
		return status;
	if ((status = items_finish(req, &s, rows, !req->is_api)))
		return status;
	if (portal_list_view(req, view, rows, limit, "starts_at"))
		return 500;
	if (!req->is_api &&
	    (pv_set_bool(req->arena, view, "created", pv_get_str(req->query, "created") != NULL) ||
	     pv_set_bool(req->arena, view, "deleted", pv_get_str(req->query, "deleted") != NULL) ||
	     pv_set_bool(req->arena, view, "updated", pv_get_str(req->query, "updated") != NULL)))
		return 500;
	return 200;
}

/* ------------------------------------------------------- update, delete */

/* The edit page's view: the appointment, its recipients ticked, and the
 * fields as the form shows them (Berlin wall-clock time); a failed save
 * replaces form with what was sent (core's doing). */
static int edit_view(struct portal_req *req, struct portal_value *item, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *form = pv_object(a);
	const char *ends = pv_get_str(item, "ends_at") ? pv_get_str(item, "ends_local") : "";
	pv_foreach(m, item)
	{
		if (pv_set(a, view, m->key, m->value))
			return 500;
	}
	int status = form_properties(req, item, view);
	if (status)
		return status;
	if (!form || pv_set_str(a, form, "title", pv_get_str(item, "title")) ||
	    pv_set_str(a, form, "body", pv_get_str(item, "body")) ||
	    pv_set_str(a, form, "location", pv_get_str(item, "location")) ||
	    pv_set_str(a, form, "starts_at", pv_get_str(item, "starts_local")) ||
	    pv_set_str(a, form, "ends_at", ends) || pv_set(a, view, "form", form))
		return 500;
	return 0;
}

/* GET /app/content/appointments/{id}: the edit page (404 outside the
 * caller's organisation, as load_one answers). */
int appointment_edit_form(struct portal_req *req, struct portal_value *view)
{
	struct scope s = {.org_id = req->caller.org_id, .everything = true, .ids = ""};
	struct portal_value *item = pv_object(req->arena);
	if (!item)
		return 500;
	int status = load_one(req, &s, portal_param_id(req, "id"), item);
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
	struct portal_value *current = pv_object(req->arena);
	if (!current)
		return 500;
	int status = load_one(req, &s, id, current);
	/* a page that fails is rendered again: it needs the appointment and boxes */
	if (!status && !req->is_api)
		status = edit_view(req, current, view);
	if (status)
		return status;
	struct fields f;
	struct targets t = {0};
	bool renotify = false;
	/* the page's form always sends its boxes: none ticked is no recipient */
	bool retarget = !req->is_api || portal_body_has(req, "property_ids");
	if ((status = fields_read(req, false, &f)) ||
	    (retarget && (status = targets_read(req, &t))) ||
	    (status = portal_body_bool(req, "renotify", false, &renotify)))
		return status;
	time_t starts, ends;
	bool has_ends = f.has_ends;
	if (f.has_starts)
		starts = f.starts;
	else if (ical_parse_rfc3339(pv_get_str(current, "starts_at"), &starts))
		return 500;
	if (f.has_ends)
		ends = f.ends;
	else if (!f.clear_ends && pv_get_str(current, "ends_at")) {
		if (ical_parse_rfc3339(pv_get_str(current, "ends_at"), &ends))
			return 500;
		has_ends = true;
	}
	if (has_ends && ends < starts)
		return portal_fail(req, 422, "validation", "ends_at", "appointments.error_ends_at");

	if ((status = portal_db_begin(req)))
		return status;
	status = portal_db_exec(
	    req,
	    "UPDATE appointments SET title = COALESCE(?, title), body = COALESCE(?, body),"
	    " location = COALESCE(?, location), starts_at = ?, ends_at = ?,"
	    " all_properties = IF(?, ?, all_properties), updated_at = UTC_TIMESTAMP()"
	    " WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_S(f.has_title ? f.title : NULL),
	                   f.has_body ? PDB_S(f.body ? f.body : "") : PDB_NUL,
	                   f.has_location ? PDB_S(f.location ? f.location : "") : PDB_NUL,
	                   PDB_S(sql_time_dup(req, starts)),
	                   has_ends ? PDB_S(sql_time_dup(req, ends)) : PDB_NUL,
	                   PDB_I(retarget ? 1 : 0), PDB_I(t.all ? 1 : 0), PDB_I(id),
	                   PDB_I(req->caller.org_id)),
	    NULL, NULL);
	if (!status && retarget)
		status = targets_write(req, id, &t);
	struct portal_value *item = renotify ? pv_object(req->arena) : NULL;
	if (!status && renotify && !item)
		status = 500;
	if (!status && renotify)
		status = load_one(req, &s, id, item);
	if (!status && renotify)
		status = notify_residents(req, id, item, true);
	if (!status)
		status = portal_db_commit(req);
	if (status) {
		if (portal_db_rollback(req))
			portal_log("appointments: rollback after a failed update failed");
		return status;
	}
	if (!req->is_api)
		return portal_redirect(req, "/app/content/appointments?updated=1");
	status = load_one(req, &s, id, view);
	return status ? status : 200;
}

int appointment_delete(struct portal_req *req, struct portal_value *view)
{
	unsigned long long affected = 0;
	int status = portal_db_exec(
	    req, "DELETE FROM appointments WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)), &affected,
	    NULL);
	if (status)
		return status;
	if (affected == 0)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	return req->is_api ? 204 : portal_redirect(req, "/app/content/appointments?deleted=1");
}

/* ------------------------------------------------------------- iCalendar */

/* The calendar of a scope as text/calendar: the past year and the future. */
static int respond_ics(struct portal_req *req, const struct scope *s, const char *name)
{
	struct range r = {.limit = ICS_MAX_ITEMS};
	r.from = sql_time_dup(req, time(NULL) - (time_t)ICS_PAST_SECONDS);
	struct portal_value *rows;
	int status = query_visible(req, s, &r, &rows);
	if (status)
		return status;
	const char *host = base_host(req);
	if (!host || !r.from)
		return 500;
	struct ical_buf b = {0};
	int bad = ical_begin(&b, "-//Portal//Termine//DE", name ? name : "");
	pv_foreach(m, rows)
	{
		const struct portal_value *row = m->value;
		const char *ends_at = pv_get_str(row, "ends_at");
		struct ical_event e = {
		    .id = pv_get_int(row, "id", 0),
		    .title = pv_get_str(row, "title"),
		    .body = pv_get_str(row, "body"),
		    .location = pv_get_str(row, "location"),
		    .ends = (time_t)-1,
		};
		if (bad || ical_parse_rfc3339(pv_get_str(row, "starts_at"), &e.starts) ||
		    ical_parse_rfc3339(pv_get_str(row, "updated_at"), &e.stamp) ||
		    (ends_at && ical_parse_rfc3339(ends_at, &e.ends)) || ical_event(&b, &e, host)) {
			bad = -1;
			break;
		}
	}
	if (bad || ical_end(&b)) {
		ical_free(&b);
		return 500;
	}
	status = portal_respond_raw(req, "text/calendar; charset=utf-8", b.data, b.len);
	ical_free(&b);
	return status;
}

int appointment_property_ics(struct portal_req *req, struct portal_value *view)
{
	long long property_id = portal_param_id(req, "id");
	struct scope s;
	int status = caller_scope(req, property_id, &s);
	if (status)
		return status;
	struct portal_value *rows;
	status =
	    portal_db_query(req, "SELECT name FROM properties WHERE id = ? AND org_id = ?",
	                    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	return respond_ics(req, &s, pv_get_str(rows->u.c.head->value, "name"));
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

/* The caller's feed generation, made on first use: generation 1 follows from
 * the user alone, so showing it changes nothing anyone can observe; the row
 * only makes the token findable. lock: FOR UPDATE inside a transaction. */
static int feed_generation(struct portal_req *req, bool lock, long long *generation)
{
	long long user_id = req->caller.user_id;
	unsigned char hash[PORTAL_HASH_BYTES];
	struct portal_db_arg hash_arg;
	int status = feed_hash_arg(req, user_id, 1, hash, &hash_arg);
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO calendar_feeds (user_id, generation, token_hash)"
		    " SELECT u.id, 1, ? FROM users u WHERE u.id = ? AND u.org_id = ?"
		    " AND u.role = 'resident'"
		    " ON DUPLICATE KEY UPDATE user_id = calendar_feeds.user_id",
		    PORTAL_DB_ARGS(hash_arg, PDB_I(user_id), PDB_I(req->caller.org_id)), NULL,
		    NULL);
	struct portal_value *rows = NULL;
	if (!status)
		status = portal_db_query(req,
		                         lock ? "SELECT f.generation FROM calendar_feeds f JOIN "
		                                "users u ON u.id = f.user_id"
		                                " WHERE f.user_id = ? AND u.org_id = ? FOR UPDATE"
		                              : "SELECT f.generation FROM calendar_feeds f JOIN "
		                                "users u ON u.id = f.user_id"
		                                " WHERE f.user_id = ? AND u.org_id = ?",
		                         PORTAL_DB_ARGS(PDB_I(user_id), PDB_I(req->caller.org_id)),
		                         &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0) {
		portal_log("appointments: the calendar feed of user %lld was not stored", user_id);
		return 500;
	}
	*generation = pv_get_int(rows->u.c.head->value, "generation", 0);
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
 * when it commits, so the old address is dead at once. */
int appointment_feed_rotate(struct portal_req *req, struct portal_value *view)
{
	long long generation;
	unsigned char hash[PORTAL_HASH_BYTES];
	struct portal_db_arg hash_arg;
	const char *url;
	int status = portal_db_begin(req);
	if (!status)
		status = feed_generation(req, true, &generation);
	if (!status)
		status = feed_hash_arg(req, req->caller.user_id, generation + 1, hash, &hash_arg);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE calendar_feeds f JOIN users u ON u.id = f.user_id"
		    " SET f.generation = ?, f.token_hash = ? WHERE f.user_id = ? AND u.org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(generation + 1), hash_arg, PDB_I(req->caller.user_id),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	if (!status)
		status = portal_db_commit(req);
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
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(token, strlen(token), hash);
	struct portal_db_arg hash_arg = PDB_B(hash, PORTAL_HASH_BYTES);
	struct portal_value *rows;
	int status =
	    portal_db_query(req,
	                    "SELECT u.id, u.org_id, o.name AS org_name FROM calendar_feeds f"
	                    " JOIN users u ON u.id = f.user_id JOIN orgs o ON o.id = u.org_id"
	                    " WHERE f.token_hash = ? AND u.role = 'resident'",
	                    PORTAL_DB_ARGS(hash_arg), &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return portal_fail(req, 404, "not_found", NULL, "error.title.404");
	const struct portal_value *row = rows->u.c.head->value;
	struct scope s = {.org_id = pv_get_int(row, "org_id", 0), .ids = ""};
	if ((status = resident_ids(req, pv_get_int(row, "id", 0), s.org_id, &s.ids)))
		return status;
	return respond_ics(req, &s, pv_get_str(row, "org_name"));
}

/* ------------------------------------------------------ calendar, home */

/* "YYYY-MM" of the query, else the current month in Berlin. */
static void calendar_month(struct portal_req *req, int *year, int *month)
{
	struct tm now;
	berlin_from_utc(time(NULL), &now);
	*year = now.tm_year + 1900;
	*month = now.tm_mon + 1;
	const char *q = pv_get_str(req->query, "month");
	int y, m;
	char tail;
	if (q && strlen(q) == 7 && sscanf(q, "%4d-%2d%c", &y, &m, &tail) == 2 && y >= 1970 &&
	    y <= 9998 && m >= 1 && m <= 12) {
		*year = y;
		*month = m;
	}
}

/* The month as weeks of Monday..Sunday cells, each with its appointments. */
static int calendar_weeks(struct portal_req *req, int year, int month,
                          const struct portal_value *items, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct tm today;
	berlin_from_utc(time(NULL), &today);
	time_t first;
	if (berlin_to_utc(year, month, 1, 12, 0, &first))
		return 500;
	struct tm t;
	berlin_from_utc(first, &t);
	int lead = (t.tm_wday + 6) % 7; /* cells before the 1st: the week starts on Monday */
	int days = 31;
	time_t probe;
	while (days > 28 && berlin_to_utc(year, month, days, 12, 0, &probe))
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
		bool is_today = today.tm_year + 1900 == year && today.tm_mon + 1 == month &&
		                today.tm_mday == day;
		pv_foreach(m, items)
		{
			time_t starts;
			struct tm st;
			if (ical_parse_rfc3339(pv_get_str(m->value, "starts_at"), &starts))
				return 500;
			berlin_from_utc(starts, &st);
			if (st.tm_year + 1900 == year && st.tm_mon + 1 == month &&
			    st.tm_mday == day && pv_push(a, list, m->value))
				return 500;
		}
		if (pv_set_int(a, c, "day", day) || pv_set_bool(a, c, "today", is_today) ||
		    pv_set(a, c, "items", list) || pv_set_bool(a, c, "busy", list->u.c.count > 0))
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
	time_t from, to;
	if (berlin_to_utc(year, month, 1, 0, 0, &from) ||
	    berlin_to_utc(next_year, next_month, 1, 0, 0, &to))
		return 500;
	struct range r = {
	    .limit = MONTH_MAX_ITEMS, .from = sql_time_dup(req, from), .to = sql_time_dup(req, to)};
	struct portal_value *rows;
	if (!r.from || !r.to)
		return 500;
	if ((status = query_visible(req, &s, &r, &rows)) ||
	    (status = items_finish(req, &s, rows, true)))
		return status;
	/* the layout: "list" or "month"; none lets narrow screens show the list */
	const char *mode = pv_get_str(req->query, "view");
	if (mode && strcmp(mode, "list") != 0 && strcmp(mode, "month") != 0)
		mode = NULL;
	const char *suffix = mode ? portal_sprintf(a, "&view=%s", mode) : "";
	long long generation;
	const char *feed;
	if ((status = feed_generation(req, false, &generation)) ||
	    (status = feed_url(req, generation, &feed)))
		return status;
	if (!suffix || calendar_weeks(req, year, month, rows, view) ||
	    pv_set(a, view, "items", rows) || pv_set_bool(a, view, "any", rows->u.c.count > 0) ||
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
	size_t cap = count * 21 + 1, len = 0;
	char *ids = portal_alloc(a, cap);
	if (!ids)
		return 500;
	for (size_t i = 0; i < count; i++) {
		int n = snprintf(ids + len, cap - len, "%s%lld", len ? "," : "", property_ids[i]);
		if (n < 0 || (size_t)n >= cap - len)
			return 500;
		len += (size_t)n;
	}
	struct scope s = {.org_id = req->caller.org_id, .ids = ids};
	struct range r = {.limit = HOME_COUNT, .from = sql_time_dup(req, time(NULL))};
	struct portal_value *rows;
	if (!r.from)
		return 500;
	int status = query_visible(req, &s, &r, &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return 204;
	pv_foreach(m, rows)
	{
		if ((status = item_display(req, m->value)))
			return status;
	}
	return pv_set(a, view, "items", rows) ? 500 : 0;
}
