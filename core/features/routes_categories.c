/* The organisation's categories (portal/categories.h), a tab of the
 * settings: GET /api/v1/categories and the page /app/settings/categories
 * show every list of the running plugins; POST /categories {kind, name} adds
 * a category at the end of a list, POST /categories/remove {kind, name}
 * takes one out (the last of a list stays). Admins change them, other
 * managers see them. What already carries a removed category keeps it. */
#include <string.h>

#include "features/routes.h"
#include "http/categories.h"
#include "http/request.h"
#include "portal/categories.h"

/* An organisation's list, at most. */
#define LIST_MAX 100

static const struct portal_input show_inputs[] = {
    {"done", PORTAL_IN_ENUM, PORTAL_IN_QUERY,
     .choices = (const char *const[]){"added", "removed", NULL}},
    {0},
};
static const struct portal_input change_inputs[] = {
    {"kind", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, 32, .message = "categories.kind_invalid"},
    {"name", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, PORTAL_CATEGORY_MAX_CHARS,
     .message = "categories.name_invalid"},
    {0},
};

/* The running plugin whose list kind names, NULL when none has one. */
static const struct plugin *plugin_of_kind(const struct portal_req *req, const char *kind)
{
	const struct plugin_set *set = req->worker->plugins;
	for (size_t i = 1; kind && i < set->count; i++)
		if (PLUGIN_MEMBER(set->items[i].def, categories) &&
		    strcmp(set->items[i].def->name, kind) == 0)
			return &set->items[i];
	return NULL;
}

/* One list as the API and the page show it: {kind, label, names: [{name,
 * text}]}. */
static int list_item(struct portal_req *req, const struct plugin *p, struct portal_value **item)
{
	struct portal_arena *a = req->arena;
	struct portal_value *names, *shown = pv_list(a);
	char *label_key = portal_sprintf(a, "%s.categories", p->def->name);
	int status = categories_read(req, p, &names);
	if (status)
		return status;
	if (!shown || !label_key || !(*item = pv_object(a)))
		return 500;
	pv_foreach(m, names) {
		struct portal_value *n = pv_object(a);
		if (!n || pv_set(a, n, "name", m->value) ||
		    pv_set_str(a, n, "text", categories_text(req, p, pv_str(m->value))) ||
		    pv_push(a, shown, n))
			return 500;
	}
	const char *label = worker_text(req->worker, req->locale, p, label_key);
	return pv_set_str(a, *item, "kind", p->def->name) || pv_set_str(a, *item, "label", label) ||
	               pv_set(a, *item, "names", shown)
	           ? 500
	           : 0;
}

static int categories_fill(struct portal_req *req, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	const struct plugin_set *set = req->worker->plugins;
	struct portal_value *items = pv_list(a), *item;
	if (!items)
		return 500;
	for (size_t i = 1; i < set->count; i++) {
		if (!PLUGIN_MEMBER(set->items[i].def, categories))
			continue;
		int status = list_item(req, &set->items[i], &item);
		if (status || (status = pv_push(a, items, item)))
			return status;
	}
	if (pv_set(a, view, "items", items))
		return 500;
	if (req->is_api)
		return 0;
	const char *done = portal_in_str(req, "done");
	return pv_set_bool(a, view, "can_edit", req->caller.admin) ||
	               pv_set_bool(a, view, "added", done && strcmp(done, "added") == 0) ||
	               pv_set_bool(a, view, "removed", done && strcmp(done, "removed") == 0)
	           ? 500
	           : 0;
}

/* GET /api/v1/categories and the page. */
static int categories_show(struct portal_req *req, struct portal_value *view)
{
	int status = categories_fill(req, view);
	return status ? status : 200;
}

/* The page again around a refused change, or the API's error. */
static int refused(struct portal_req *req, struct portal_value *view, int status, const char *code,
                   const char *field, const char *message)
{
	if (!req->is_api && (categories_fill(req, view) || page_mark_invalid(req, view, field)))
		portal_log("settings: the categories are shown without the field marked");
	return portal_fail(req, status, code, field, message);
}

static int categories_refused(struct portal_req *req, struct portal_value *view)
{
	if (!req->is_api && categories_fill(req, view))
		return 500;
	return page_mark_refused(req, view);
}

/* The organisation's list of kind replaced by names, in their order; the
 * caller holds the organisation's row, whose categories generation goes up
 * with the change (the workers' caches of the lists, http/categories.c). */
static int list_store(struct portal_req *req, const char *kind, const struct portal_value *names)
{
	int status = portal_db_exec(
	    req, "UPDATE orgs SET categories_generation = categories_generation + 1 WHERE id = ?",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), NULL, NULL);
	if (!status)
		status = portal_db_exec(
		    req, "DELETE FROM org_categories WHERE org_id = ? AND kind = ?",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(kind)), NULL, NULL);
	long long position = 0;
	pv_foreach(m, names) {
		if (status)
			break;
		status = portal_db_exec(req,
		                        "INSERT INTO org_categories (org_id, kind, name, position)"
		                        " VALUES (?, ?, ?, ?)",
		                        PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(kind),
		                                       PDB_S(pv_str(m->value)), PDB_I(++position)),
		                        NULL, NULL);
	}
	return status ? status : portal_content_changed(req);
}

static bool listed(const struct portal_value *names, const char *name)
{
	pv_foreach(m, names)
		if (strcmp(pv_str(m->value), name) == 0)
			return true;
	return false;
}

/* Adds (remove false) or removes name in the list of kind, in one
 * transaction that holds the organisation's row: two admins at once change
 * the list one after the other. */
static int list_change(struct portal_req *req, struct portal_value *view, bool remove)
{
	const char *kind = portal_in_str(req, "kind"), *name = portal_in_str(req, "name");
	const struct plugin *p = plugin_of_kind(req, kind);
	if (!p)
		return refused(req, view, 422, "validation", "kind", "categories.kind_invalid");
	struct portal_value *row, *names, *changed = pv_list(req->arena);
	int status = changed ? portal_db_begin(req) : 500;
	if (!status)
		status = portal_db_one(req, "SELECT id FROM orgs WHERE id = ? FOR UPDATE",
		                       PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &row);
	if (!status)
		status = categories_read(req, p, &names);
	if (status)
		return status;
	if (!remove && listed(names, name))
		return refused(req, view, 422, "validation", "name", "categories.name_taken");
	if (remove && !listed(names, name))
		return refused(req, view, 422, "validation", "name", "categories.name_unknown");
	if (remove && pv_count(names) == 1)
		return refused(req, view, 422, "validation", "name", "categories.last_stays");
	if (!remove && pv_count(names) >= LIST_MAX)
		return refused(req, view, 422, "validation", "name", "categories.too_many");
	pv_foreach(m, names)
		if ((!remove || strcmp(pv_str(m->value), name) != 0) &&
		    pv_push(req->arena, changed, m->value))
			return 500;
	if (!remove && pv_push(req->arena, changed, pv_string(req->arena, name)))
		return 500;
	if ((status = list_store(req, kind, changed)) || (status = portal_db_commit(req)))
		return status;
	if (!req->is_api)
		return portal_redirect(req, remove ? "/app/settings/categories?done=removed"
		                                   : "/app/settings/categories?done=added");
	struct portal_value *item;
	if ((status = list_item(req, p, &item)))
		return status;
	*view = *item;
	return remove ? 200 : 201;
}

static int categories_add(struct portal_req *req, struct portal_value *view)
{
	return list_change(req, view, false);
}

static int categories_remove(struct portal_req *req, struct portal_value *view)
{
	return list_change(req, view, true);
}

const struct portal_route routes_categories[] = {
    {"GET", "/categories", "/app/settings/categories", PORTAL_ACCESS_MANAGER, 0, categories_show,
     "categories", "categories.title", show_inputs},
    {"POST", "/categories", "/app/settings/categories", PORTAL_ACCESS_ADMIN, 0, categories_add,
     "categories", "categories.title", change_inputs, categories_refused},
    {"POST", "/categories/remove", "/app/settings/categories/remove", PORTAL_ACCESS_ADMIN, 0,
     categories_remove, "categories", "categories.title", change_inputs, categories_refused},
    {0},
};
