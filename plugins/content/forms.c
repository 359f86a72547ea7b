/* The property picker of forms.h: what it holds, and the search behind its
 * button when there is no script. */
#include "forms.h"

#include <ctype.h>
#include <portal/input.h>
#include <portal/text.h>
#include <string.h>

bool content_picker_searched(const struct portal_req *req, long long *entry)
{
	*entry = portal_in_int(req, "picker", 0);
	return portal_in_has(req, "picker");
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

/* One id of a refused form's property_ids into out ("all" sets all). */
static void sent_id_add(struct portal_ids *out, long long *ids, const struct portal_value *v)
{
	const char *s = pv_str(v);
	long long id = id_of_text(s);
	if (s && strcmp(s, "all") == 0)
		out->all = true;
	else if (id > 0)
		ids[out->count++] = id;
}

/* The property_ids sent: checked ones, or after a refused form the body as
 * sent (then unchecked: the names come from a query scoped by the
 * organisation, where a foreign id finds nothing). *present: any were sent. */
static int sent_ids(struct portal_req *req, struct portal_ids *out, bool *present)
{
	*out = portal_in_ids(req, "property_ids");
	*present = out->all || out->count > 0;
	const struct portal_value *raw = pv_get(req->body, "property_ids");
	if (*present || !raw)
		return 0;
	long long *ids = portal_alloc(req->arena, (pv_count(raw) + 1) * sizeof *ids);
	if (!ids)
		return 500;
	if (raw->type == PV_LIST) {
		pv_foreach(m, raw)
			sent_id_add(out, ids, m->value);
	} else {
		sent_id_add(out, ids, raw);
	}
	out->ids = ids;
	*present = out->all || out->count > 0;
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

/* "%q%" for LIKE, the wildcards of q taken literally. */
static const char *like_pattern(struct portal_req *req, const char *q)
{
	struct portal_buf b = {.arena = req->arena};
	portal_buf_puts(&b, "%");
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			portal_buf_puts(&b, "\\");
		portal_buf_add(&b, q, 1);
	}
	portal_buf_puts(&b, "%");
	return b.failed ? NULL : b.data;
}

/* Up to CONTENT_PICKER_RESULTS + 1 properties (the one more says there are
 * more) that match q, or the first by name when q is NULL, without those
 * chosen. The search without script only: the script asks the properties
 * API, as integrators do, and both find the same (API.md: q in name, street
 * and city, case and umlauts folded by the collation). */
static int matches(struct portal_req *req, const char *q, const struct portal_value *chosen,
                   struct portal_value **out)
{
	size_t n = 0;
	long long *ids = portal_alloc(req->arena, (pv_count(chosen) + 1) * sizeof *ids);
	const char *pattern = q ? like_pattern(req, q) : "";
	if (!ids || !pattern)
		return 500;
	pv_foreach(m, chosen)
		ids[n++] = pv_get_int(m->value, "id", 0);
	return portal_db_query(req,
	                       "SELECT id, name, city FROM properties WHERE org_id = ?"
	                       " AND id NOT IN " PORTAL_DB_ID_LIST
	                       " AND (? = '' OR name LIKE ? OR street LIKE ?"
	                       " OR city LIKE ?) ORDER BY name, id LIMIT ?",
	                       PORTAL_DB_ARGS(PDB_I(req->caller.org_id), portal_db_ids(req, ids, n),
	                                      PDB_S(pattern), PDB_S(pattern), PDB_S(pattern),
	                                      PDB_S(pattern), PDB_I(CONTENT_PICKER_RESULTS + 1)),
	                       out);
}

/* What the picker says about its results, for sighted people and screen
 * readers alike: how many a search found, or that the first ones shown are
 * not all. "" when there is nothing to say. */
static const char *results_status(struct portal_req *req, bool searched, size_t count, bool more)
{
	if (!searched)
		return more ? portal_t(req, "content.picker_first") : "";
	const char *found = count == 0   ? portal_t(req, "content.picker_found_none")
	                    : count == 1 ? portal_t(req, "content.picker_found_one")
	                                 : portal_t(req, "content.picker_found_many");
	const char *n = strstr(found, "{n}");
	const char *text =
	    n ? portal_sprintf(req->arena, "%.*s%zu%s", (int)(n - found), found, count, n + 3)
	      : found;
	return text && more
	           ? portal_sprintf(req->arena, "%s %s", text, portal_t(req, "content.picker_more"))
	           : text;
}

/* The results, if the picker is open (a page's own picker always, an
 * entry's when its form was sent), and what to say about them. */
static int picker_results(struct portal_req *req, struct portal_value *into,
                          const struct content_picker *p, const char *q,
                          const struct portal_value *chosen)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows = NULL, *shown = pv_list(a);
	bool listed = p->entry == 0 || p->sent;
	int status = !shown ? 500 : listed ? matches(req, q, chosen, &rows) : 0;
	if (status)
		return status;
	/* the one row more only says that there are more */
	pv_foreach(m, rows) {
		if (pv_count(shown) < CONTENT_PICKER_RESULTS && pv_push(a, shown, m->value))
			return 500;
	}
	bool more = pv_count(rows) > CONTENT_PICKER_RESULTS;
	const char *said = listed ? results_status(req, q != NULL, pv_count(shown), more) : "";
	return !said || pv_set(a, into, "results", shown) ||
	               pv_set_str(a, into, "results_status", said) ||
	               pv_set_bool(a, into, "picker_open", listed)
	           ? 500
	           : 0;
}

int content_picker(struct portal_req *req, struct portal_value *into,
                   const struct content_picker *p)
{
	struct portal_arena *a = req->arena;
	long long entry;
	bool searched = content_picker_searched(req, &entry) && p->sent;
	const char *q = searched ? portal_in_str(req, "property_q") : NULL;
	struct portal_ids ids = {0};
	bool present = false;
	int status = p->sent ? sent_ids(req, &ids, &present) : 0;
	bool all = p->stored_all;
	struct portal_value *chosen = (struct portal_value *)p->stored;
	/* What was sent replaces what is stored, also none after a search. */
	if (!status && (present || searched)) {
		all = ids.all;
		status = chosen_named(req, &ids, &chosen);
	}
	if (!status && !chosen)
		status = (chosen = pv_list(a)) ? 0 : 500;
	if (!status)
		status = picker_results(req, into, p, q, chosen);
	if (status)
		return status;
	return pv_set_str(a, into, "targets_id", p->id) ||
	               pv_set_str(a, into, "targets_legend", p->legend) ||
	               pv_set_bool(a, into, "targets_required", p->required) ||
	               pv_set_bool(a, into, "all_checked", all) ||
	               pv_set(a, into, "chosen", chosen) ||
	               pv_set_bool(a, into, "has_chosen", pv_count(chosen) > 0) ||
	               pv_set_str(a, into, "property_q", q ? q : "") ||
	               pv_set_str(a, into, "picker_action", p->action) ||
	               pv_set_int(a, into, "picker_entry", p->entry)
	           ? 500
	           : 0;
}

int content_form_echo(struct portal_req *req, struct portal_value *into, const char *key,
                      const char *const *names)
{
	struct portal_value *form = pv_object(req->arena);
	if (!form)
		return 500;
	for (; *names; names++) {
		const char *value = portal_in_str(req, *names);
		/* a refused form's checked numbers (a position) are numbers */
		if (!value && portal_in_has(req, *names) && !portal_in_null(req, *names))
			value = portal_sprintf(req->arena, "%lld", portal_in_int(req, *names, 0));
		if (value && pv_set_str(req->arena, form, *names, value))
			return 500;
	}
	return pv_set(req->arena, into, key, form) ? 500 : 0;
}
