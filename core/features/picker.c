/* The property picker of portal/picker.h: what it shows, and the search
 * behind its button when there is no script (templates/picker.html). */
#include "features/picker.h"

#include <ctype.h>
#include <string.h>

#include "features/properties.h"
#include "portal/input.h"
#include "portal/text.h"

/* The longest search the field takes (its maxlength), in characters. */
#define SEARCH_MAX_CHARS 100

/* A field of the body as sent: a value sent twice counts once, the last. */
static const char *sent_text(const struct portal_req *req, const char *name)
{
	const struct portal_value *v = pv_get(req->body, name);
	if (v && v->type == PV_LIST)
		v = v->u.c.tail ? v->u.c.tail->value : NULL;
	return v ? pv_str(v) : NULL;
}

bool picker_searched(const struct portal_req *req)
{
	const char *button = sent_text(req, "picker");
	return button && strcmp(button, "search") == 0;
}

/* The search as typed: without white space around it, at most
 * SEARCH_MAX_CHARS characters; NULL when empty (no search: the first by
 * name). The body was not checked, as no route declares the field. */
static const char *search_text(struct portal_req *req)
{
	const char *s = sent_text(req, "picker_q");
	if (!s)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	size_t len = 0, chars = 0;
	for (const char *p = s; *p && chars < SEARCH_MAX_CHARS; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80) /* a character's first byte */
			chars++;
		if (!isspace((unsigned char)*p))
			len = (size_t)(p - s) + 1;
	}
	/* a character cut at the limit would leave a broken sequence */
	while (((unsigned char)s[len] & 0xc0) == 0x80)
		len++;
	return len ? portal_strndup(req->arena, s, len) : NULL;
}

/* A positive id from a form's text, 0 when it is none. */
static long long id_of_text(const char *s)
{
	long long id = 0;
	if (!s || !*s || strlen(s) > 18)
		return 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		id = id * 10 + (*s - '0');
	}
	return id;
}

/* One sent value into out: "all", or an id (a checked one is a number). */
static void sent_id_add(struct portal_ids *out, long long *ids, const struct portal_value *v)
{
	const char *s = pv_str(v);
	long long id = v->type == PV_INT ? v->u.i : id_of_text(s);
	if (s && strcmp(s, "all") == 0)
		out->all = true;
	else if (id > 0)
		ids[out->count++] = id;
}

/* The choice sent in field: as checked (the handler refused the form after
 * its input passed), or as sent (the input was refused, or the picker
 * searched). Sent ids are not checked here: their names come from a query
 * scoped by the organisation, where a foreign id finds nothing. */
static int sent_ids(struct portal_req *req, const char *field, struct portal_ids *out)
{
	const struct portal_value *v = pv_get(req->body, field);
	*out = (struct portal_ids){0};
	if (!v)
		return 0;
	long long *ids = portal_alloc(req->arena, (pv_count(v) + 1) * sizeof *ids);
	if (!ids)
		return 500;
	if (v->type == PV_LIST) {
		pv_foreach(m, v)
			sent_id_add(out, ids, m->value);
	} else {
		sent_id_add(out, ids, v);
	}
	out->ids = ids;
	return 0;
}

/* The names of ids among the organisation's properties, [{id, name}] by name. */
static int chosen_named(struct portal_req *req, const struct portal_ids *ids,
                        struct portal_value **out)
{
	if (ids->count == 0)
		return (*out = pv_list(req->arena)) ? 0 : 500;
	return portal_db_query(
	    req,
	    "SELECT id, name FROM properties WHERE org_id = ?"
	    " AND id IN " PORTAL_DB_ID_LIST " ORDER BY name, id",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), portal_db_ids(req, ids->ids, ids->count)),
	    out);
}

/* What the picker says about its results, for sighted people and screen
 * readers alike: how many a search found, or that the first ones shown are
 * not all. "" when there is nothing to say. */
static const char *results_status(struct portal_req *req, bool searched, size_t count, bool more)
{
	if (!searched)
		return more ? portal_t(req, "picker.first") : "";
	const char *found = count == 0   ? portal_t(req, "picker.found_none")
	                    : count == 1 ? portal_t(req, "picker.found_one")
	                                 : portal_t(req, "picker.found_many");
	const char *n = strstr(found, "{n}");
	const char *text =
	    n ? portal_sprintf(req->arena, "%.*s%zu%s", (int)(n - found), found, count, n + 3)
	      : found;
	return text && more
	           ? portal_sprintf(req->arena, "%s %s", text, portal_t(req, "picker.more"))
	           : text;
}

/* The matches of q (NULL: the first by name) without the chosen ones, and
 * what to say about them. */
static int results_fill(struct portal_req *req, struct portal_value *picker, const char *q,
                        const struct portal_value *chosen)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows = NULL, *shown = pv_list(a);
	long long *except = portal_alloc(a, (pv_count(chosen) + 1) * sizeof *except);
	size_t n = 0;
	if (!shown || !except)
		return 500;
	pv_foreach(m, chosen)
		except[n++] = pv_get_int(m->value, "id", 0);
	/* one row more than shown says that there are more */
	int status = property_search(req, q, except, n, PORTAL_PICKER_RESULTS + 1, &rows);
	if (status)
		return status;
	pv_foreach(m, rows) {
		if (pv_count(shown) < PORTAL_PICKER_RESULTS && pv_push(a, shown, m->value))
			return 500;
	}
	const char *said =
	    results_status(req, q != NULL, pv_count(shown), pv_count(rows) > pv_count(shown));
	return !said || pv_set(a, picker, "results", shown) || pv_set_str(a, picker, "status", said)
	           ? 500
	           : 0;
}

int portal_picker(struct portal_req *req, struct portal_value *into, const struct portal_picker *p)
{
	struct portal_arena *a = req->arena;
	struct portal_value *picker = pv_object(a);
	bool sent = portal_form_sent(req, p->action);
	const char *q = sent && picker_searched(req) ? search_text(req) : NULL;
	bool all = p->all;
	struct portal_value *chosen = (struct portal_value *)p->chosen;
	struct portal_ids ids;
	int status = picker ? 0 : 500;
	/* What was sent replaces what is stored, also by nothing. */
	if (!status && sent && !(status = sent_ids(req, p->field, &ids))) {
		all = ids.all;
		status = chosen_named(req, &ids, &chosen);
	}
	if (!status && !chosen)
		status = (chosen = pv_list(a)) ? 0 : 500;
	if (!status)
		status = results_fill(req, picker, q, chosen);
	if (status)
		return status;
	return pv_set_str(a, picker, "id", p->id) || pv_set_str(a, picker, "field", p->field) ||
	               pv_set_str(a, picker, "legend", p->legend) ||
	               pv_set_bool(a, picker, "required", p->required) ||
	               pv_set_bool(a, picker, "all", all) || pv_set(a, picker, "chosen", chosen) ||
	               pv_set_bool(a, picker, "has_chosen", pv_count(chosen) > 0) ||
	               pv_set_str(a, picker, "q", q ? q : "") ||
	               pv_set_str(a, picker, "action", p->action) ||
	               pv_set(a, into, "picker", picker)
	           ? 500
	           : 0;
}
