/* The property's contacts (Kontakte): its residents and the queue of sign-ups
 * waiting for approval, for the managers of the property's organisation
 * ("Residents and invitations" in API.md). A resident is shown by display name,
 * group, state and the day they joined, never by email: managers reach residents
 * through the portal, and a list of addresses is what leaks first. The email is
 * read only to tell a rejected person so, and never enters a view.
 *
 * Access is not cached anywhere: every route of the portal reads memberships on
 * each request, so removing a membership takes the property away at once, also
 * from the resident's open sessions, without touching the sessions themselves
 * (the resident may belong to other properties). Every query is scoped by the
 * caller's organisation; a property or member of another one is a 404. */
#include <portal/datetime.h>
#include <portal/input.h>
#include <portal/list.h>
#include <portal/mail.h>
#include <stdio.h>
#include <string.h>

#include "invites.h"

/* The queue above the list shows this many; the rest are a page of their own
 * (?state=pending). */
#define QUEUE_MAX 50

/* A search term longer than any display name could match nothing: it is
 * refused rather than made into a pattern. */
#define Q_MAX_CHARS 200

static const char *const groups[] = {"resident", "tenant", "owner", NULL};
#define GROUPS (sizeof groups / sizeof *groups - 1) /* without the NULL */
static const char *const states[] = {"active", "pending", NULL};
/* After a change the page says what happened ("residents.done_<word>"). */
static const char *const done_words[] = {"accepted", "rejected", "updated", "removed", NULL};

const struct portal_input residents_list_inputs[] = {
    {"q", PORTAL_IN_STRING, PORTAL_IN_QUERY, 0, Q_MAX_CHARS},
    {"group", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = groups,
     .message = "residents.filter_invalid"},
    {"state", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = states,
     .message = "residents.filter_invalid"},
    {"done", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = done_words},
    {"unit_id", PORTAL_IN_ID, PORTAL_IN_QUERY, .message = "residents.filter_invalid"},
    {0},
};
const struct portal_input residents_update_inputs[] = {
    {"group", PORTAL_IN_ENUM, 0, .choices = groups, .message = "residents.group_invalid"},
    {"unit_id", PORTAL_IN_ID, PORTAL_IN_NULLABLE, .message = "residents.unit_invalid"},
    {"unit_since", PORTAL_IN_DATE, 0, .message = "residents.unit_since_invalid"},
    {0},
};

/* What a resident is in every answer of this file: {id, display_name, group,
 * state, joined_at, unit}, and for pages email_confirmed (resident_typed: an
 * unconfirmed address gets no mail, which the manager should see; the API's
 * shape stays as API.md fixes it). users.org_id repeats the scope so that a
 * membership row pointing across organisations could still show nobody; the
 * unit is the property's own. */
#define RESIDENT_SELECT                                                                \
	"SELECT u.id, u.name AS display_name, m.resident_group AS `group`, m.state,"   \
	" m.joined_at, u.email_confirmed_at IS NOT NULL AS email_confirmed,"           \
	" un.id AS unit_id, un.name AS unit_name"                                      \
	" FROM memberships m JOIN users u ON u.id = m.user_id AND u.org_id = m.org_id" \
	" LEFT JOIN units un ON un.id = m.unit_id AND un.property_id = m.property_id"  \
	" WHERE m.property_id = ? AND m.org_id = ?"

/* One statement for every combination of filters: an absent filter is bound as
 * NULL and drops out, so the text never depends on input. Ordered by display
 * name then id, the keyset the cursor continues from. */
static const char list_sql[] =
    RESIDENT_SELECT " AND (? IS NULL OR m.resident_group = ?) AND (? IS NULL OR m.state = ?)"
                    " AND (? IS NULL OR u.name LIKE ?) AND (? = 0 OR m.unit_id = ?)"
                    " AND (? = 0 OR u.name > ? OR (u.name = ? AND u.id > ?))"
                    " ORDER BY u.name, u.id LIMIT ?";

struct filters {
	const char *q;       /* as typed, for the page; NULL: no search */
	const char *pattern; /* q as a LIKE pattern */
	const char *group;   /* one of groups, or NULL */
	const char *state;   /* one of states, or NULL */
	long long unit_id;   /* 0: any unit, or none */
};

/* The index of s in a NULL-terminated table, or -1. */
static int index_of(const char *const *table, const char *s)
{
	for (int i = 0; s && table[i]; i++)
		if (strcmp(table[i], s) == 0)
			return i;
	return -1;
}

/* "%q%" for LIKE, with the wildcards of q taken literally. NULL when out of memory. */
static char *like_pattern(struct portal_req *req, const char *q)
{
	size_t n = strlen(q);
	char *p = portal_alloc(req->arena, 2 * n + 3), *o = p;
	if (!p)
		return NULL;
	*o++ = '%';
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			*o++ = '\\';
		*o++ = *q;
	}
	*o++ = '%';
	return p;
}

/* The list's filters (residents_list_inputs); absent ones filter nothing. */
static int filters_read(struct portal_req *req, struct filters *f)
{
	*f = (struct filters){
	    .q = portal_in_str(req, "q"),
	    .group = portal_in_str(req, "group"),
	    .state = portal_in_str(req, "state"),
	    .unit_id = portal_in_int(req, "unit_id", 0),
	};
	return !f->q || (f->pattern = like_pattern(req, f->q)) ? 0 : 500;
}

/* The property {id} of the caller's organisation, with what a rejection mail
 * names: {id, name, org_name}; or a 404 that says nothing about other
 * organisations. */
static int property_find(struct portal_req *req, struct portal_value **out)
{
	return portal_db_one(
	    req,
	    "SELECT p.id, p.name, o.name AS org_name FROM properties p"
	    " JOIN orgs o ON o.id = p.org_id WHERE p.id = ? AND p.org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)), out);
}

/* A row of RESIDENT_SELECT as the answer shows it: unit {id, name} or null;
 * for pages email_confirmed a boolean, for the API without it. */
static int resident_typed(struct portal_req *req, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	long long unit_id = pv_get_int(row, "unit_id", 0);
	struct portal_value *unit = unit_id ? pv_object(a) : pv_null(a);
	if (!unit || (unit_id && (pv_set_int(a, unit, "id", unit_id) ||
	                          pv_set_str(a, unit, "name", pv_get_str(row, "unit_name")))))
		return 500;
	pv_remove(row, "unit_id");
	pv_remove(row, "unit_name");
	if (pv_set(a, row, "unit", unit))
		return 500;
	if (req->is_api) {
		pv_remove(row, "email_confirmed");
		return 0;
	}
	return pv_set_bool(req->arena, row, "email_confirmed",
	                   pv_get_int(row, "email_confirmed", 0) != 0)
	           ? 500
	           : 0;
}

static int residents_typed(struct portal_req *req, struct portal_value *rows)
{
	pv_foreach(m, rows) {
		if (resident_typed(req, m->value))
			return 500;
	}
	return 0;
}

/* The member {user_id} of the property, or a 404 (not a member, or not of this
 * organisation's property: the same answer). */
static int resident_find(struct portal_req *req, long long property_id, struct portal_value **out)
{
	int status = portal_db_one(req, RESIDENT_SELECT " AND m.user_id = ?",
	                           PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id),
	                                          PDB_I(portal_param_id(req, "user_id"))),
	                           out);
	return status ? status : resident_typed(req, *out);
}

/* One page of the property's members matching f, in state (NULL: any; the
 * page's default differs from the API's, so it is passed apart from f), after
 * the cursor (after_id 0: from the start), at most limit rows. */
static int residents_query(struct portal_req *req, long long property_id, const struct filters *f,
                           const char *state, const char *after_key, long long after_id, int limit,
                           struct portal_value **rows)
{
	const char *key = after_key ? after_key : "";
	int status = portal_db_query(
	    req, list_sql,
	    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id), PDB_S(f->group),
	                   PDB_S(f->group), PDB_S(state), PDB_S(state), PDB_S(f->pattern),
	                   PDB_S(f->pattern), PDB_I(f->unit_id), PDB_I(f->unit_id), PDB_I(after_id),
	                   PDB_S(key), PDB_S(key), PDB_I(after_id), PDB_I(limit)),
	    rows);
	return status ? status : residents_typed(req, *rows);
}

/* What the page needs beside the API's fields: pending, the date to show and
 * the options of the group select. */
static int page_item(struct portal_req *req, struct portal_value *item)
{
	struct portal_arena *a = req->arena;
	const char *group = pv_get_str(item, "group");
	const char *state = pv_get_str(item, "state");
	/* The day in the deployment's time zone, as people there saw it. */
	const char *date =
	    portal_time_text_of(req, pv_get_str(item, "joined_at"), PORTAL_TIME_DATE);
	struct portal_value *options = pv_list(a);
	bool pending = state && strcmp(state, "pending") == 0;
	if (!options || pv_set_bool(a, item, "pending", pending) ||
	    pv_set_str(a, item, "joined_date", date) || pv_set(a, item, "options", options))
		return 500;
	for (size_t i = 0; i < GROUPS; i++) {
		struct portal_value *o = pv_object(a);
		if (!o || pv_set_str(a, o, "value", groups[i]) ||
		    pv_set_bool(a, o, "selected", group && !strcmp(group, groups[i])) ||
		    pv_push(a, options, o))
			return 500;
	}
	return 0;
}

static int page_items(struct portal_req *req, struct portal_value *rows)
{
	pv_foreach(m, rows) {
		if (page_item(req, m->value))
			return 500;
	}
	return 0;
}

/* Percent-encoding for a query value (RFC 3986 unreserved characters stay). */
static int url_append(struct portal_req *req, char **url, const char *name, const char *value)
{
	if (!value || !*value)
		return 0;
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(value);
	char *enc = portal_alloc(req->arena, 3 * n + 1), *o = enc;
	if (!enc)
		return 500;
	for (const unsigned char *s = (const unsigned char *)value; *s; s++) {
		if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~", *s)) {
			*o++ = (char)*s;
		} else {
			*o++ = '%';
			*o++ = hex[*s >> 4];
			*o++ = hex[*s & 15];
		}
	}
	*o = '\0';
	char *joined =
	    portal_sprintf(req->arena, "%s%s%s=%s", *url, strchr(*url, '?') ? "&" : "?", name, enc);
	if (!joined)
		return 500;
	*url = joined;
	return 0;
}

/* What the page shows of the whole property, whatever the filters, in one
 * statement: the members per group and state (rows of kind 'count': group,
 * state, n) and the property's units by name (rows of kind 'unit': id, name),
 * which the page's unit choices offer. The counts' id is an unsigned NULL:
 * a plain NULL or 0 beside the units' BIGINT UNSIGNED would make the column
 * a DECIMAL, which comes back as text. */
static const char property_facts_sql[] =
    "SELECT 'count' AS kind, m.resident_group AS `group`, m.state, COUNT(*) AS n,"
    " CAST(NULL AS UNSIGNED) AS id, NULL AS name FROM memberships m"
    " JOIN users u ON u.id = m.user_id AND u.org_id = m.org_id"
    " WHERE m.property_id = ? AND m.org_id = ? GROUP BY m.resident_group, m.state"
    " UNION ALL SELECT 'unit', NULL, NULL, NULL, id, name FROM units"
    " WHERE property_id = ? AND org_id = ?"
    " ORDER BY kind, name, id";

/* The page's counts from rows {group, state, n}: active members per group
 * ({group, n} in the order of groups) and those waiting. */
static int counts_fill(struct portal_req *req, struct portal_value *view,
                       const struct portal_value *rows)
{
	struct portal_arena *a = req->arena;
	long long active[GROUPS] = {0}, pending = 0, total = 0;
	pv_foreach(m, rows) {
		long long n = pv_get_int(m->value, "n", 0);
		int g = index_of(groups, pv_get_str(m->value, "group"));
		const char *state = pv_get_str(m->value, "state");
		if (state && strcmp(state, "pending") == 0) {
			pending += n;
		} else if (g >= 0) {
			active[g] += n;
			total += n;
		}
	}
	struct portal_value *list = pv_list(a);
	if (!list)
		return 500;
	for (size_t i = 0; i < GROUPS; i++) {
		struct portal_value *o = pv_object(a);
		if (!o || pv_set_str(a, o, "group", groups[i]) ||
		    pv_set_int(a, o, "n", active[i]) || pv_push(a, list, o))
			return 500;
	}
	if (pv_set(a, view, "group_counts", list) || pv_set_int(a, view, "active_count", total) ||
	    pv_set_int(a, view, "pending_count", pending))
		return 500;
	return 0;
}

/* The page's unit choice of each listed resident: units, the property's by
 * name, as {value, name, selected} in unit_options, and has_units. Set there,
 * a new unit starts the resident's tenancy of it that moment (documents of
 * the unit shared before it stay theirs not to see). */
static int units_fill(struct portal_req *req, struct portal_value *view,
                      const struct portal_value *units)
{
	struct portal_arena *a = req->arena;
	if (pv_set_bool(a, view, "has_units", pv_count(units) > 0))
		return 500;
	pv_foreach(m, pv_get(view, "items")) {
		long long current = pv_get_int(pv_get(m->value, "unit"), "id", 0);
		struct portal_value *options = pv_list(a);
		if (!options || pv_set(a, m->value, "unit_options", options))
			return 500;
		pv_foreach(u, units) {
			struct portal_value *o = pv_object(a);
			long long id = pv_get_int(u->value, "id", 0);
			if (!o || pv_set_int(a, o, "value", id) ||
			    pv_set_str(a, o, "name", pv_get_str(u->value, "name")) ||
			    pv_set_bool(a, o, "selected", id == current) || pv_push(a, options, o))
				return 500;
		}
	}
	return 0;
}

/* The counts and the unit choices, from one query (property_facts_sql). */
static int property_facts_fill(struct portal_req *req, struct portal_value *view,
                               long long property_id)
{
	struct portal_value *facts, *counts = pv_list(req->arena), *units = pv_list(req->arena);
	int status = counts && units ? 0 : 500;
	if (!status)
		status =
		    portal_db_query(req, property_facts_sql,
		                    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(req->caller.org_id),
		                                   PDB_I(property_id), PDB_I(req->caller.org_id)),
		                    &facts);
	if (status)
		return status;
	pv_foreach(m, facts) {
		const char *kind = pv_get_str(m->value, "kind");
		bool unit = kind && strcmp(kind, "unit") == 0;
		if (pv_push(req->arena, unit ? units : counts, m->value))
			return 500;
	}
	status = counts_fill(req, view, counts);
	return status ? status : units_fill(req, view, units);
}

/* The pending queue above the list (unless a state is asked for: then the list
 * itself is that state), with the same search and group filter. */
static int queue_fill(struct portal_req *req, struct portal_value *view, long long property_id,
                      const struct filters *f)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows, *queue = pv_list(a);
	int status = residents_query(req, property_id, f, "pending", NULL, 0, QUEUE_MAX + 1, &rows);
	if (status)
		return status;
	bool more = pv_count(rows) > QUEUE_MAX;
	if (!queue)
		return 500;
	pv_foreach(m, rows) {
		if (pv_count(queue) == QUEUE_MAX)
			break;
		if (pv_push(a, queue, m->value))
			return 500;
	}
	char *more_url = portal_sprintf(a, "/app/properties/%lld/residents", property_id);
	if (!more_url || url_append(req, &more_url, "q", f->q) ||
	    url_append(req, &more_url, "group", f->group) ||
	    url_append(req, &more_url, "state", "pending"))
		return 500;
	if (page_items(req, queue) || pv_set(a, view, "queue", queue) ||
	    pv_set_bool(a, view, "has_queue", pv_count(queue) > 0) ||
	    pv_set_str(a, view, "queue_more_url", more ? more_url : ""))
		return 500;
	return 0;
}

/* Whether a list of residents holds one whose address nobody confirmed. */
static bool any_unconfirmed(const struct portal_value *list)
{
	pv_foreach(m, list) {
		if (!pv_truthy(pv_get(m->value, "email_confirmed")))
			return true;
	}
	return false;
}

/* The list into view: {items, next} for the API; on pages also the property,
 * the queue, the counts, the filters as sent and the link to the next page.
 * filtered: the list's own query asks for it; a form's page shown again lists
 * everyone (its body's group is a resident's new group, not a filter).
 * 0 or an HTTP status (recorded). */
static int residents_fill(struct portal_req *req, struct portal_value *view,
                          struct portal_value *property, bool filtered)
{
	struct portal_arena *a = req->arena;
	long long property_id = pv_get_int(property, "id", 0);
	struct filters f = {0};
	struct portal_page page;
	int status = portal_list_page(req, &page);
	if (!status && filtered)
		status = filters_read(req, &f);
	if (status)
		return status;
	/* On the page the pending wait in their queue above the list; the API
	 * lists everyone unless asked for one state. */
	const char *state = f.state ? f.state : req->is_api ? NULL : "active";
	struct portal_value *rows;
	status = residents_query(req, property_id, &f, state, page.key, page.after, page.limit + 1,
	                         &rows);
	if (status)
		return status;
	if (!req->is_api && page_items(req, rows))
		return 500;
	if (portal_list_view(req, view, rows, page.limit, "display_name"))
		return 500;
	if (req->is_api)
		return 0;

	const char *next = pv_get_str(view, "next");
	char *next_url = portal_sprintf(a, "/app/properties/%lld/residents", property_id);
	if (!next_url || url_append(req, &next_url, "q", f.q) ||
	    url_append(req, &next_url, "group", f.group) ||
	    url_append(req, &next_url, "state", f.state) ||
	    url_append(req, &next_url, "limit", portal_in_str(req, "limit")) ||
	    url_append(req, &next_url, "after", next))
		return 500;
	const char *done = filtered ? portal_in_str(req, "done") : NULL;
	const char *notice =
	    done ? portal_t(req, portal_sprintf(a, "residents.done_%s", done)) : "";
	struct portal_value *filter_options = pv_list(a);
	if (!filter_options || !notice)
		return 500;
	for (size_t i = 0; i < GROUPS; i++) {
		struct portal_value *o = pv_object(a);
		if (!o || pv_set_str(a, o, "value", groups[i]) ||
		    pv_set_bool(a, o, "selected", f.group && !strcmp(f.group, groups[i])) ||
		    pv_push(a, filter_options, o))
			return 500;
	}
	if (pv_set(a, view, "property", property) || pv_set_str(a, view, "q", f.q ? f.q : "") ||
	    pv_set(a, view, "filter_options", filter_options) ||
	    pv_set_bool(a, view, "filtered", f.q || f.group) ||
	    pv_set_bool(a, view, "narrowed", f.q || f.group || f.state) ||
	    pv_set_str(a, view, "state", f.state ? f.state : "") ||
	    pv_set_bool(a, view, "showing_pending", f.state && !strcmp(f.state, "pending")) ||
	    pv_set_bool(a, view, "any", pv_count(rows) > 0) ||
	    pv_set_str(a, view, "next_url", next ? next_url : "") ||
	    pv_set_str(a, view, "notice", notice))
		return 500;
	if (!f.state && (status = queue_fill(req, view, property_id, &f)))
		return status;
	/* The page explains its marks only when it shows one. */
	bool unconfirmed =
	    any_unconfirmed(pv_get(view, "items")) || any_unconfirmed(pv_get(view, "queue"));
	if (pv_set_bool(a, view, "has_unconfirmed", unconfirmed))
		return 500;
	return property_facts_fill(req, view, property_id);
}

/* A page whose action failed (409, 422) is rendered again by the core with the
 * reason; it shows the contacts around it, so the manager sees the list they
 * acted on. The API answers the error alone. */
static int fail_again(struct portal_req *req, struct portal_value *view,
                      struct portal_value *property, int status)
{
	if (req->is_api || !property || status < 400 || status >= 500 || status == 401 ||
	    status == 404)
		return status;
	int fill = residents_fill(req, view, property, false);
	/* Without the list the reason alone is shown, by the error page. */
	if (fill)
		return portal_fail(req, fill, NULL, NULL, NULL);
	return status;
}

/* Where a page goes after a change: the contacts, saying what was done. */
static int page_done(struct portal_req *req, long long property_id, const char *done)
{
	return portal_redirect(req,
	                       portal_sprintf(req->arena, "/app/properties/%lld/residents?done=%s",
	                                      property_id, done));
}

/* GET /properties/{id}/residents and the page /app/properties/{id}/residents. */
int residents_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *property;
	int status = property_find(req, &property);
	if (!status)
		status = residents_fill(req, view, property, true);
	return status ? status : 200;
}

/* The form handler of the page's group form: the contacts around the error. */
int residents_again(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *property;
	int status = property_find(req, &property);
	if (!status)
		status = residents_fill(req, view, property, false);
	return status ? status : 200;
}

/* POST /properties/{id}/residents/{user_id}/accept: a pending member becomes
 * active and sees the property from their next request on. Accepting someone
 * already active answers 200 with them unchanged: two managers working the
 * same queue, or a second click, want the same outcome, and nothing is lost. */
int residents_accept(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *property = NULL, *resident = NULL;
	int status = property_find(req, &property);
	long long property_id = pv_get_int(property, "id", 0);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE memberships SET state = 'active' WHERE property_id = ? AND user_id = ?"
		    " AND org_id = ? AND state = 'pending'",
		    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(portal_param_id(req, "user_id")),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	if (!status)
		status = resident_find(req, property_id, &resident);
	if (status)
		return fail_again(req, view, property, status);
	if (!req->is_api)
		return page_done(req, property_id, "accepted");
	*view = *resident;
	return 200;
}

/* The mail telling a person they were not accepted, in their language (the
 * organisation's unless they chose one), queued in the open transaction. An
 * address the outbox refuses (an account made before addresses were checked)
 * cannot be mailed: the rejection still happens, logged, rather than leaving
 * the person in the queue for good. Nor does an address nobody confirmed get
 * it: whoever signed up may have given someone else's. */
static int rejected_mail(struct portal_req *req, const struct portal_value *property,
                         const struct portal_value *person)
{
	if (!pv_get_int(person, "email_confirmed", 0))
		return 0;
	struct portal_arena *a = req->arena;
	struct portal_value *v = pv_object(a);
	if (!v || pv_set_str(a, v, "display_name", pv_get_str(person, "name")) ||
	    pv_set_str(a, v, "property_name", pv_get_str(property, "name")) ||
	    pv_set_str(a, v, "org_name", pv_get_str(property, "org_name")))
		return 500;
	struct portal_mail mail = {
	    .kind = "membership",
	    .template_name = "rejected",
	    .subject = "residents.mail_rejected_subject",
	    .org_id = req->caller.org_id,
	    .view = v,
	};
	portal_mail_to(&mail, person);
	int status = portal_mail(req, &mail);
	if (status == 422) {
		portal_log("residents: user %lld rejected without mail: address refused",
		           pv_get_int(person, "id", 0));
		return 0;
	}
	return status;
}

/* POST /properties/{id}/residents/{user_id}/reject: the pending membership is
 * deleted and the person is told by mail, in one transaction (no mail without
 * the rejection, no rejection without its mail). An active member is a 409:
 * taking access away is "Entfernen", which mails nobody. The account stays:
 * the person may belong to other properties, or ask again. */
int residents_reject(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *property = NULL, *rows = NULL;
	long long user_id = portal_param_id(req, "user_id");
	int status = property_find(req, &property);
	long long property_id = pv_get_int(property, "id", 0);
	if (!status)
		status = portal_db_begin(req);
	if (!status)
		status = portal_db_query(
		    req,
		    "SELECT u.id, u.name, u.email, COALESCE(u.locale, o.locale) AS locale, m.state,"
		    " u.email_confirmed_at IS NOT NULL AS email_confirmed FROM memberships m JOIN "
		    "users u ON u.id = m.user_id AND u.org_id = m.org_id"
		    " JOIN orgs o ON o.id = m.org_id"
		    " WHERE m.property_id = ? AND m.user_id = ? AND m.org_id = ? FOR UPDATE",
		    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(user_id), PDB_I(req->caller.org_id)),
		    &rows);
	const struct portal_value *person = status ? NULL : pv_first(rows);
	if (!status && !person)
		status = portal_not_found(req);
	const char *state = pv_get_str(person, "state");
	if (!status && (!state || strcmp(state, "pending") != 0))
		status = portal_fail(req, 409, "conflict", NULL, "residents.reject_active");
	if (!status)
		status = portal_db_exec(
		    req,
		    "DELETE FROM memberships WHERE property_id = ? AND user_id = ? AND org_id = ?"
		    " AND state = 'pending'",
		    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(user_id), PDB_I(req->caller.org_id)),
		    NULL, NULL);
	if (!status)
		status = rejected_mail(req, property, person);
	if (!status)
		status = portal_db_commit(req);
	if (status) {
		/* Release the row lock before the page reads the list again. */
		if (property && portal_db_rollback(req))
			portal_log("residents: rollback after a failed rejection failed");
		return fail_again(req, view, property, status);
	}
	return req->is_api ? 204 : page_done(req, property_id, "rejected");
}

/* How a change sets the start of the tenancy (memberships.unit_since). */
enum since_change { SINCE_KEEP, SINCE_NOW, SINCE_GIVEN, SINCE_NONE };

/* The start of the day unit_since in the deployment's time zone, which must
 * not lie in the future; 0 when none was sent, -1 (recorded 422) when it does. */
static long long since_read(struct portal_req *req)
{
	const char *day = portal_in_str(req, "unit_since");
	int y, m, d;
	if (!day || sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	long long t = portal_time_from_local(y, m, d, 0, 0);
	if (t < 0 || t > portal_now()) {
		portal_fail(req, 422, "validation", "unit_since", "residents.unit_since_invalid");
		return -1;
	}
	return t;
}

/* The unit sent (unit_id), which must be one of the property's: its id, 0
 * for none, or an HTTP status (recorded) in *status. */
static long long unit_read(struct portal_req *req, long long property_id, int *status)
{
	long long unit_id = portal_in_int(req, "unit_id", 0);
	struct portal_value *rows;
	if (!unit_id)
		return 0;
	*status = portal_db_query(
	    req,
	    "SELECT id FROM units WHERE id = ? AND property_id = ?"
	    " AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(unit_id), PDB_I(property_id), PDB_I(req->caller.org_id)), &rows);
	if (!*status && !pv_first(rows))
		*status = portal_fail(req, 422, "validation", "unit_id", "residents.unit_invalid");
	return unit_id;
}

/* The unit and tenancy start after the change, from the resident as stored:
 * a new unit starts the tenancy now or at unit_since; unit_since alone moves
 * the start of the present tenancy; no unit has no start. 0 or a status. */
static int tenancy_plan(struct portal_req *req, long long property_id,
                        const struct portal_value *resident, long long *unit_id,
                        enum since_change *change, long long *since)
{
	const struct portal_value *unit = pv_get(resident, "unit");
	long long current = pv_get_int(unit, "id", 0);
	int status = 0;
	*since = since_read(req);
	if (*since < 0)
		return 422;
	*unit_id = portal_in_has(req, "unit_id") ? unit_read(req, property_id, &status) : current;
	if (status)
		return status;
	if (!*unit_id && *since)
		return portal_fail(req, 422, "validation", "unit_since",
		                   "residents.unit_since_without_unit");
	*change = !*unit_id             ? SINCE_NONE
	          : *since              ? SINCE_GIVEN
	          : *unit_id != current ? SINCE_NOW
	                                : SINCE_KEEP;
	return 0;
}

/* PATCH /properties/{id}/residents/{user_id} {group?, unit_id?, unit_since?},
 * and the page's small form (POST /app/properties/{id}/residents/{user_id}):
 * the resident's group and unit, which decide the documents they see. */
int residents_update(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *property = NULL, *resident = NULL;
	int status = property_find(req, &property);
	long long property_id = pv_get_int(property, "id", 0), unit_id = 0, since = 0;
	enum since_change change = SINCE_KEEP;
	if (!status)
		status = resident_find(req, property_id, &resident);
	if (!status)
		status = tenancy_plan(req, property_id, resident, &unit_id, &change, &since);
	const char *group = portal_in_str(req, "group");
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE memberships SET resident_group = COALESCE(?, resident_group),"
		    " unit_id = NULLIF(?, 0), unit_since = CASE ? WHEN 0 THEN unit_since"
		    " WHEN 1 THEN UTC_TIMESTAMP(6) WHEN 2 THEN FROM_UNIXTIME(?) ELSE NULL END"
		    " WHERE property_id = ? AND user_id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_S(group), PDB_I(unit_id), PDB_I(change), PDB_I(since),
		                   PDB_I(property_id), PDB_I(portal_param_id(req, "user_id")),
		                   PDB_I(req->caller.org_id)),
		    NULL, NULL);
	/* As stored now (removed meanwhile: 404). */
	if (!status)
		status = resident_find(req, property_id, &resident);
	if (status)
		return fail_again(req, view, property, status);
	if (!req->is_api)
		return page_done(req, property_id, "updated");
	*view = *resident;
	return 200;
}

/* DELETE /properties/{id}/residents/{user_id}, and the page's confirmed
 * "Entfernen": the membership goes (pending or active), so the property is
 * gone for the resident from their next request on, in every open session.
 * The account stays, even without memberships left: they may join again. */
int residents_remove(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *property = NULL;
	int status = property_find(req, &property);
	long long property_id = pv_get_int(property, "id", 0);
	if (!status)
		status = portal_db_exec_one(
		    req,
		    "DELETE FROM memberships WHERE property_id = ? AND user_id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(property_id), PDB_I(portal_param_id(req, "user_id")),
		                   PDB_I(req->caller.org_id)));
	if (status)
		return fail_again(req, view, property, status);
	return req->is_api ? 204 : page_done(req, property_id, "removed");
}
