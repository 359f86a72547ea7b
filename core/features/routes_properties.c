/* Properties and units: the API of "Properties and units" in API.md and the
 * manager's pages. Managers see their organisation's properties, residents the
 * ones they are active members of; everything else is 404. */
#include <string.h>

#include "portal/files.h"
#include "portal/input.h"
#include "portal/list.h"
#include "portal/text.h"
#include "features/home.h"
#include "features/properties.h"
#include "features/routes.h"
#include "features/search.h"
#include "http/request.h"
#include "http/session.h"
#include "portal/words.h"

/* The responsible employee's name comes with the row (a join on its primary
 * key: cheaper for MariaDB than a subquery per row), not from a query of its
 * own. */
#define COLUMNS                                                                      \
	"p.id, p.reference_id, p.name, p.street, p.zip, p.city, p.country, p.notes," \
	" p.responsible_id, ru.name AS responsible_name, p.image_file"
#define RESPONSIBLE " LEFT JOIN users ru ON ru.id = p.responsible_id"

/* A manager's rows count the property's active residents: a column the
 * database keeps with every write of memberships (sql/024). */
#define COUNTED ", p.residents_count"

/* Who may see property rows: a manager's organisation, a resident's
 * memberships. */
#define SCOPE_MANAGER " FROM properties p" RESPONSIBLE " WHERE p.org_id = ?"
#define SCOPE_RESIDENT                                                                       \
	" FROM properties p JOIN memberships ms ON ms.property_id = p.id AND ms.user_id = ?" \
	" AND ms.state = 'active'" RESPONSIBLE " WHERE 1 = 1"

static struct portal_db_arg scope_arg(const struct portal_req *req)
{
	return PDB_I(portal_is_manager(req) ? req->caller.org_id : req->caller.user_id);
}

/* A manager's row shows its responsible employee as {id, name} or null in
 * place of responsible_id and responsible_name. */
static int responsible_set(struct portal_arena *a, struct portal_value *row)
{
	long long id = pv_get_int(row, "responsible_id", 0);
	struct portal_value *who = id ? pv_object(a) : pv_null(a);
	if (!who || (id && (pv_set_int(a, who, "id", id) ||
	                    pv_set(a, who, "name", pv_get(row, "responsible_name")))))
		return 500;
	pv_remove(row, "responsible_name");
	pv_foreach(m, row) {
		if (strcmp(m->key, "responsible_id") == 0) {
			m->key = "responsible";
			m->value = who;
		}
	}
	return 0;
}

/* image_file is internal: the API shows where the image is served instead.
 * The notes, the reference ID, the responsible employee and the count of
 * residents are the managers'. */
static int finish_row(struct portal_req *req, struct portal_value *row)
{
	struct portal_arena *a = req->arena;
	if (!portal_is_manager(req)) {
		pv_remove(row, "notes");
		pv_remove(row, "reference_id");
		pv_remove(row, "residents_count");
		pv_remove(row, "responsible_id");
		pv_remove(row, "responsible_name");
	} else if (pv_get(row, "responsible_id") && responsible_set(a, row)) {
		return 500;
	}
	const char *file = pv_get_str(row, "image_file");
	char *url =
	    file ? portal_sprintf(a, "/api/v1/properties/%lld/image", pv_get_int(row, "id", 0))
	         : NULL;
	struct portal_value *v = url ? pv_string(a, url) : pv_null(a);
	/* Replace image_file by image_url in place, keeping the member order. */
	pv_foreach(m, row) {
		if (strcmp(m->key, "image_file") == 0) {
			m->key = "image_url";
			m->value = v;
		}
	}
	return v ? 0 : 500;
}

/* One property the caller may see, or 404. */
static int load_property(struct portal_req *req, long long id, struct portal_value **out)
{
	struct portal_value *rows;
	int status = portal_db_query(req,
	                             portal_is_manager(req)
	                                 ? "SELECT " COLUMNS COUNTED SCOPE_MANAGER " AND p.id = ?"
	                                 : "SELECT " COLUMNS SCOPE_RESIDENT " AND p.id = ?",
	                             PORTAL_DB_ARGS(scope_arg(req), PDB_I(id)), &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return portal_not_found(req);
	*out = rows->u.c.head->value;
	return finish_row(req, *out);
}

/* The SQL of a list query without search: one of six fixed texts. A
 * manager's rows count their residents unless counted is false. The rows
 * after a cursor (name, id), here and in the searches, are one range of the
 * index from its name on and a filter within it: the same rows as name > key
 * OR (name = key AND id > after), for less of the optimizer's work. */
static const char *list_sql(bool manager, bool counted, bool after)
{
	static const char *const sql[6] = {
#define LIST(select, scope, c) select scope c " ORDER BY p.name, p.id LIMIT ?"
#define C " AND p.name >= ? AND (p.name > ? OR p.id > ?)"
	    LIST("SELECT " COLUMNS, SCOPE_RESIDENT, ""),
	    LIST("SELECT " COLUMNS, SCOPE_RESIDENT, C),
	    LIST("SELECT " COLUMNS, SCOPE_MANAGER, ""),
	    LIST("SELECT " COLUMNS, SCOPE_MANAGER, C),
	    LIST("SELECT " COLUMNS COUNTED, SCOPE_MANAGER, ""),
	    LIST("SELECT " COLUMNS COUNTED, SCOPE_MANAGER, C),
#undef LIST
#undef C
	};
	return sql[(manager ? (counted ? 4 : 2) : 0) + (after ? 1 : 0)];
}

/* A manager's search through the index (sql/019): the rows of the first
 * term's key come in the list's order, each further term is checked on the
 * same row, which holds all the property's words (sql/024), and the page ends
 * after limit properties, however many the organisation has. STRAIGHT_JOIN
 * keeps that order of reading; GROUP BY makes one property of several of its
 * words that fit the first term. One text per number of terms, with and
 * without a cursor. */
static const char *manager_search_sql(struct portal_arena *a, size_t count, bool counted,
                                      bool after)
{
	struct portal_buf sql = {.arena = a};
	portal_buf_puts(&sql, counted ? "SELECT STRAIGHT_JOIN " COLUMNS COUNTED
	                              : "SELECT STRAIGHT_JOIN " COLUMNS);
	portal_buf_puts(
	    &sql, " FROM property_words w0"
	          " JOIN properties p ON p.id = w0.property_id AND p.org_id = w0.org_id" RESPONSIBLE
	          " WHERE w0.org_id = ? AND w0.prefix = ? AND w0.word LIKE ?");
	for (size_t i = 1; i < count; i++)
		portal_buf_puts(&sql, " AND w0.words LIKE ?");
	if (after)
		portal_buf_puts(&sql, " AND w0.name >= ? AND (w0.name > ? OR w0.property_id > ?)");
	portal_buf_puts(&sql, " GROUP BY w0.name, w0.property_id"
	                      " ORDER BY w0.name, w0.property_id LIMIT ?");
	return sql.failed ? NULL : sql.data;
}

/* The texts a resident may see, and one she may not, as a term finds its
 * word in them (PORTAL_SEARCH_FOLD). */
#define REFERENCE_TEXT PORTAL_SEARCH_FOLD("COALESCE(p.reference_id, '')")
#define SEEN_TEXT PORTAL_SEARCH_FOLD("CONCAT_WS(' ', p.name, p.street, p.zip, p.city)")

/* A resident's search: their few properties, each term a look-up. The index
 * holds the words of the reference ID too, which residents may not see: a
 * term found in it counts only when the name, street, zip or city hold it as
 * well (PORTAL_SEARCH_FOLD), so that a search cannot spell the reference ID
 * out. */
static const char *resident_search_sql(struct portal_arena *a, size_t count, bool after)
{
	struct portal_buf sql = {.arena = a};
	portal_buf_puts(&sql, "SELECT " COLUMNS SCOPE_RESIDENT);
	for (size_t i = 0; i < count; i++)
		portal_buf_puts(&sql,
		                " AND EXISTS (SELECT 1 FROM property_words w"
		                " WHERE w.org_id = p.org_id AND w.prefix = ? AND w.name = p.name"
		                " AND w.property_id = p.id AND w.word LIKE ?)"
		                " AND (" REFERENCE_TEXT " NOT LIKE CONCAT('%', ?)"
		                " OR " SEEN_TEXT " LIKE CONCAT('%', ?))");
	if (after)
		portal_buf_puts(&sql, " AND p.name >= ? AND (p.name > ? OR p.id > ?)");
	portal_buf_puts(&sql, " ORDER BY p.name, p.id LIMIT ?");
	return sql.failed ? NULL : sql.data;
}

/* Room for list_query's arguments: the scope, four a term (a resident's),
 * the cursor's three and the limit. */
#define LIST_ARGS_MAX (4 * PORTAL_SEARCH_TERMS_MAX + 5)

/* The list query of page, with the search's terms (count of them, none for
 * the whole list), a manager's rows counted or not: its SQL into *sql and its
 * arguments into args (room for LIST_ARGS_MAX). 0 or an HTTP status. */
static int list_query(struct portal_req *req, const struct portal_page *page,
                      struct portal_word_term *terms, size_t count, bool counted, const char **sql,
                      struct portal_db_arg *args, size_t *nargs)
{
	bool manager = portal_is_manager(req), after = page->after != 0;
	size_t n = 0;
	if (manager && count >= 2) {
		size_t first;
		int status = search_driver(req->worker->db, req->arena, &search_properties,
		                           req->caller.org_id, terms, count, &first);
		if (status)
			return status;
		struct portal_word_term t = terms[0];
		terms[0] = terms[first];
		terms[first] = t;
	}
	args[n++] = scope_arg(req);
	for (size_t i = 0; i < count; i++) {
		if (manager && i) { /* a further term: among the row's words */
			const char *in_words =
			    portal_sprintf(req->arena, "%% %s", terms[i].pattern);
			if (!in_words)
				return 500;
			args[n++] = PDB_S(in_words);
		} else {
			args[n++] = PDB_S(terms[i].prefix);
			args[n++] = PDB_S(terms[i].pattern);
		}
		if (!manager) { /* not the reference ID's alone (resident_search_sql) */
			args[n++] = PDB_S(terms[i].pattern);
			args[n++] = PDB_S(terms[i].pattern);
		}
	}
	if (after) {
		args[n++] = PDB_S(page->key ? page->key : "");
		args[n++] = PDB_S(page->key ? page->key : "");
		args[n++] = PDB_I(page->after);
	}
	args[n++] = PDB_I(page->limit + 1);
	*nargs = n;
	*sql = !count    ? list_sql(manager, counted, after)
	       : manager ? manager_search_sql(req->arena, count, counted, after)
	                 : resident_search_sql(req->arena, count, after);
	return *sql ? 0 : 500;
}

/* GET /properties and the page /app/properties. q finds the prefix of any
 * word of the name, street, zip, city or reference ID; several words must
 * all be found. */
static int properties_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_page page;
	int status = portal_list_page(req, &page);
	if (status)
		return status;
	const char *q = portal_in_str(req, "q");
	struct portal_word_term *terms = NULL;
	size_t count = 0;
	int over = 0;
	bool search = q && *q;
	if (search &&
	    portal_words_terms(req->arena, q, PORTAL_SEARCH_TERMS_MAX, &terms, &count, &over))
		return 500;
	if (over)
		return portal_fail(req, 422, "validation", "q", "properties.search_too_many");
	struct portal_value *rows = pv_list(req->arena);
	if (!rows)
		return 500;
	/* A search without words (only punctuation) finds nothing. */
	if (!search || count) {
		struct portal_db_arg args[LIST_ARGS_MAX];
		size_t nargs;
		const char *sql;
		status = list_query(req, &page, terms, count, true, &sql, args, &nargs);
		if (!status)
			status = portal_db_query(req, sql, args, nargs, &rows);
		if (status)
			return status;
	}
	pv_foreach(m, rows) {
		if (finish_row(req, m->value))
			return 500;
	}
	if (pv_set_bool(req->arena, view, "any", rows->u.c.count > 0) ||
	    portal_list_view(req, view, rows, page.limit, "name") ||
	    pv_set_str(req->arena, view, "q", search ? q : ""))
		return 500;
	return 200;
}

int property_search(struct portal_req *req, const char *q, const long long *except, size_t n,
                    int limit, struct portal_value **rows)
{
	struct portal_word_term *terms = NULL;
	size_t count = 0;
	int over = 0;
	struct portal_value *found = NULL, *shown = pv_list(req->arena);
	if (!shown || (q && portal_words_terms(req->arena, q, PORTAL_SEARCH_TERMS_MAX, &terms,
	                                       &count, &over)))
		return 500;
	*rows = shown;
	if (q && !count)
		return 0;
	/* the list's first page, long enough to hold limit beside the excepted */
	struct portal_page page = {.limit = limit + (int)n};
	struct portal_db_arg args[LIST_ARGS_MAX];
	size_t nargs;
	const char *sql;
	/* a picker shows names, never the count of residents */
	int status = list_query(req, &page, terms, count, false, &sql, args, &nargs);
	if (!status)
		status = portal_db_query(req, sql, args, nargs, &found);
	if (status)
		return status;
	pv_foreach(m, found) {
		long long id = pv_get_int(m->value, "id", 0);
		size_t i = 0;
		while (i < n && except[i] != id)
			i++;
		if (i < n || pv_count(shown) >= (size_t)limit)
			continue;
		struct portal_value *row = pv_object(req->arena);
		if (!row || pv_set_int(req->arena, row, "id", id) ||
		    pv_set_str(req->arena, row, "name", pv_get_str(m->value, "name")) ||
		    pv_set_str(req->arena, row, "city", pv_get_str(m->value, "city")) ||
		    pv_push(req->arena, shown, row))
			return 500;
	}
	return 0;
}

static int units_of(struct portal_req *req, long long property_id, struct portal_value **rows)
{
	return portal_db_query(req,
	                       "SELECT id, name FROM units WHERE property_id = ? ORDER BY name, id",
	                       PORTAL_DB_ARGS(PDB_I(property_id)), rows);
}

/* The page's units of the property and the choices of its responsible
 * employee [{id, name, selected}] (the organisation's managers), read in one
 * statement so that the page costs what it did before the choice. */
static int units_and_employees(struct portal_req *req, struct portal_value *p)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows, *units = pv_list(a), *employees = pv_list(a);
	int status = portal_db_query(
	    req,
	    "SELECT 0 AS employee, id, name FROM units WHERE property_id = ?"
	    " UNION ALL SELECT 1, id, name FROM users WHERE org_id = ? AND role = 'manager'"
	    " ORDER BY employee, name, id",
	    PORTAL_DB_ARGS(PDB_I(pv_get_int(p, "id", 0)), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	if (!units || !employees)
		return 500;
	long long responsible = pv_get_int(pv_get(p, "responsible"), "id", 0);
	pv_foreach(m, rows) {
		bool employee = pv_get_int(m->value, "employee", 0) != 0;
		pv_remove(m->value, "employee");
		if ((employee && pv_set_bool(a, m->value, "selected",
		                             pv_get_int(m->value, "id", 0) == responsible)) ||
		    pv_push(a, employee ? employees : units, m->value))
			return 500;
	}
	return pv_set(a, p, "units", units) || pv_set(a, p, "employees", employees) ? 500 : 0;
}

/* GET /properties/{id} and the page /app/properties/{id}. */
static int property_show(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *p, *units;
	int status = load_property(req, portal_param_id(req, "id"), &p);
	if (status)
		return status;
	/* The page gets the property as "property", with the employees to choose
	 * from; the API answers the property itself. */
	if (!req->is_api) {
		status = units_and_employees(req, p);
		return status ? status : pv_set(req->arena, view, "property", p) ? 500 : 200;
	}
	if ((status = units_of(req, pv_get_int(p, "id", 0), &units)))
		return status;
	if (pv_set(req->arena, p, "units", units))
		return 500;
	*view = *p;
	return 200;
}

/* The create and edit fields; an optional one sent empty (or null) clears it. */
/* clang-format off */
#define PROPERTY_FIELDS(name_flags)                                                  \
	{"name", PORTAL_IN_STRING, name_flags, 1, 200},                              \
	    {"reference_id", PORTAL_IN_STRING, PORTAL_IN_NULLABLE, 0, 64},           \
	    {"street", PORTAL_IN_STRING, PORTAL_IN_NULLABLE, 0, 200},                \
	    {"zip", PORTAL_IN_STRING, PORTAL_IN_NULLABLE, 0, 20},                    \
	    {"city", PORTAL_IN_STRING, PORTAL_IN_NULLABLE, 0, 200},                  \
	    {"country", PORTAL_IN_STRING, PORTAL_IN_NULLABLE, 0, 100},               \
	    {"notes", PORTAL_IN_STRING, PORTAL_IN_NULLABLE | PORTAL_IN_MULTILINE, 0, 5000}, \
	    {"responsible_id", PORTAL_IN_ID, PORTAL_IN_NULLABLE, .message = "properties.responsible_invalid"}
/* clang-format on */

static const struct portal_input create_inputs[] = {
    PROPERTY_FIELDS(PORTAL_IN_REQUIRED),
    {"another", PORTAL_IN_BOOL}, /* the page's "save and create another" */
    {0},
};
static const struct portal_input update_inputs[] = {PROPERTY_FIELDS(0), {0}};
static const struct portal_input list_inputs[] = {
    {"q", PORTAL_IN_STRING, PORTAL_IN_QUERY, 0, 200},
    {0},
};
static const struct portal_input unit_inputs[] = {
    {"name", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, 200},
    {0},
};
static const struct portal_input new_form_inputs[] = {
    {"created", PORTAL_IN_ID, PORTAL_IN_QUERY},
    {0},
};

static void read_fields(const struct portal_req *req, struct property_fields *f)
{
	*f = (struct property_fields){
	    .name = portal_in_str(req, "name"),
	    .reference_id = portal_in_str(req, "reference_id"),
	    .street = portal_in_str(req, "street"),
	    .zip = portal_in_str(req, "zip"),
	    .city = portal_in_str(req, "city"),
	    .country = portal_in_str(req, "country"),
	    .notes = portal_in_str(req, "notes"),
	    .responsible_id = portal_in_int(req, "responsible_id", 0),
	};
}

/* After a change: the page goes back to the property, the API answers it
 * with done (200, or 201 for a new one). */
static int property_answer(struct portal_req *req, long long id, struct portal_value *view,
                           int done)
{
	if (!req->is_api)
		return portal_redirect(req, portal_sprintf(req->arena, "/app/properties/%lld", id));
	struct portal_value *p;
	int status = load_property(req, id, &p);
	if (status)
		return status;
	*view = *p;
	return done;
}

/* The property a form of its page changes, or 404: on a page also into view,
 * so that a form that fails shows the property again around the errors. */
static int property_of_form(struct portal_req *req, long long id, struct portal_value *view)
{
	struct portal_value *p;
	int status = load_property(req, id, &p);
	if (!status && !req->is_api && pv_set(req->arena, view, "property", p))
		status = 500;
	return status;
}

/* POST /properties, and the page form /app/properties/new. */
static int property_create(struct portal_req *req, struct portal_value *view)
{
	struct property_fields f;
	read_fields(req, &f);
	long long id = 0;
	int status = portal_db_begin(req);
	if (!status)
		status = property_responsible_check(req);
	if (!status)
		status = property_insert(req->worker->db, req->arena, req->caller.org_id, &f, &id);
	if (!status)
		status = portal_db_commit(req);
	if (status == 409)
		return portal_fail(req, 409, "conflict", "reference_id",
		                   "properties.reference_taken");
	if (status)
		return status;
	if (!req->is_api && portal_in_bool(req, "another", false))
		return portal_redirect(
		    req, portal_sprintf(req->arena, "/app/properties/new?created=%lld", id));
	return property_answer(req, id, view, 201);
}

/* PATCH /properties/{id}, and the page's edit form (POST /app/properties/{id}). */
static int property_update(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	int status = property_of_form(req, id, view);
	if (status)
		return status;
	/* Only what was sent changes: COALESCE keeps a column whose value is NULL.
	 * The name and reference ID cannot be cleared. The search words change
	 * with the property, in one transaction. */
	if ((status = portal_db_begin(req)))
		return status;
	/* The responsible employee changes when sent: null (a form's "") clears. */
	long long responsible = portal_in_int(req, "responsible_id", 0);
	status = property_responsible_check(req);
	if (!status)
		status = portal_db_exec(
		    req,
		    "UPDATE properties SET name = COALESCE(?, name), reference_id = COALESCE(?, "
		    "reference_id),"
		    " street = COALESCE(?, street), zip = COALESCE(?, zip), city = COALESCE(?, "
		    "city),"
		    " country = COALESCE(?, country), notes = COALESCE(?, notes),"
		    " responsible_id = IF(?, ?, responsible_id)"
		    " WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(
		        PDB_S(portal_in_str(req, "name")),
		        PDB_S(portal_in_str(req, "reference_id")),
		        PDB_S(portal_in_patch(req, "street")), PDB_S(portal_in_patch(req, "zip")),
		        PDB_S(portal_in_patch(req, "city")), PDB_S(portal_in_patch(req, "country")),
		        PDB_S(portal_in_patch(req, "notes")),
		        PDB_I(portal_in_has(req, "responsible_id") ? 1 : 0),
		        responsible ? PDB_I(responsible) : PDB_NUL, PDB_I(id),
		        PDB_I(req->caller.org_id)),
		    NULL, NULL);
	if (!status)
		status = search_properties_refresh(req->worker->db, &id, 1);
	if (!status)
		status = portal_db_commit(req);
	if (status == 409)
		return portal_fail(req, 409, "conflict", "reference_id",
		                   "properties.reference_taken");
	if (status)
		return status;
	return property_answer(req, id, view, 200);
}

/* DELETE /properties/{id}, and the page's delete form. Everything of the
 * property (units, memberships, content) goes with it through foreign keys. */
static int property_delete(struct portal_req *req, struct portal_value *view)
{
	int status = portal_db_exec_one(
	    req, "DELETE FROM properties WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)));
	if (status)
		return status;
	return req->is_api ? 204 : portal_redirect(req, "/app/properties");
}

/* GET /properties/{id}/units */
static int units_list(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *p, *units;
	int status = load_property(req, portal_param_id(req, "id"), &p);
	if (!status)
		status = units_of(req, pv_get_int(p, "id", 0), &units);
	if (status)
		return status;
	/* A property's units are few: one page, never a cursor. */
	return pv_set(req->arena, view, "items", units) ||
	               pv_set(req->arena, view, "next", pv_null(req->arena))
	           ? 500
	           : 200;
}

/* POST /properties/{id}/units {name} */
static int unit_create(struct portal_req *req, struct portal_value *view)
{
	const char *name = portal_in_str(req, "name");
	long long property_id = portal_param_id(req, "id");
	int status = property_of_form(req, property_id, view);
	unsigned long long id = 0;
	if (!status)
		status = portal_db_exec(
		    req,
		    "INSERT INTO units (org_id, property_id, name, created_at)"
		    " VALUES (?, ?, ?, UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(property_id), PDB_S(name)),
		    NULL, &id);
	if (status)
		return status;
	if (!req->is_api)
		return portal_redirect(
		    req, portal_sprintf(req->arena, "/app/properties/%lld", property_id));
	struct portal_arena *a = req->arena;
	if (pv_set_int(a, view, "id", (long long)id) || pv_set_str(a, view, "name", name) ||
	    pv_set_int(a, view, "property_id", property_id))
		return 500;
	return 201;
}

/* PATCH /units/{id} {name} */
static int unit_update(struct portal_req *req, struct portal_value *view)
{
	const char *name = portal_in_str(req, "name");
	long long id = portal_param_id(req, "id");
	struct portal_value *rows;
	int status = portal_db_exec(
	    req, "UPDATE units SET name = ? WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_S(name), PDB_I(id), PDB_I(req->caller.org_id)), NULL, NULL);
	if (!status)
		status = portal_db_query(
		    req, "SELECT id, name, property_id FROM units WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return portal_not_found(req);
	*view = *rows->u.c.head->value;
	return 200;
}

/* DELETE /units/{id} */
static int unit_delete(struct portal_req *req, struct portal_value *view)
{
	int status = portal_db_exec_one(
	    req, "DELETE FROM units WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)));
	return status ? status : 204;
}

#define IMAGE_MAX_BYTES (5u * 1024 * 1024)

/* POST /properties/{id}/image (multipart "file", PNG or JPEG, at most 5 MiB),
 * and the page's upload form: the picture residents see of their building. */
static int property_image(struct portal_req *req, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	int status = property_of_form(req, id, view);
	if (status)
		return status;
	const struct portal_upload *up = portal_upload_of(req, "file");
	if (!up)
		return portal_fail(req, 422, "validation", "file", "properties.image_missing");
	if (up->size > IMAGE_MAX_BYTES)
		return portal_fail(req, 413, "too_large", "file", "properties.image_too_large");
	const char *type = portal_image_type(up);
	if (!type)
		return portal_fail(req, 415, "unsupported_media_type", "file",
		                   "properties.image_type");
	char name[PORTAL_FILE_NAME_CHARS + 1];
	bool created = false;
	if ((status = portal_file_store(req, up, name, &created)))
		return status;
	status = portal_db_exec(
	    req, "UPDATE properties SET image_file = ?, image_type = ? WHERE id = ? AND org_id = ?",
	    PORTAL_DB_ARGS(PDB_S(name), PDB_S(type), PDB_I(id), PDB_I(req->caller.org_id)), NULL,
	    NULL);
	if (status) {
		portal_file_discard(req, name, created);
		return status;
	}
	return property_answer(req, id, view, 200);
}

/* GET /properties/{id}/image: for whoever may see the property. */
static int property_image_file(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *p, *rows;
	long long id = portal_param_id(req, "id");
	int status = load_property(req, id, &p);
	if (!status)
		status = portal_db_query(
		    req, "SELECT image_file, image_type FROM properties WHERE id = ?",
		    PORTAL_DB_ARGS(PDB_I(id)), &rows);
	if (status)
		return status;
	const struct portal_value *r = rows->u.c.count ? rows->u.c.head->value : NULL;
	const char *type = pv_get_str(r, "image_type");
	if (!type || (strcmp(type, "image/png") != 0 && strcmp(type, "image/jpeg") != 0))
		return portal_not_found(req);
	return portal_file_send(req, pv_get_str(r, "image_file"), type, NULL);
}

/* What a property's card on the residents' home shows. */
#define CARD_COLUMNS "p.id, p.name, p.street, p.zip, p.city, p.image_file"
static const char *const card_columns[] = {"id",   "name",       "street", "zip",
                                           "city", "image_file", "state",  NULL};

/* The cards' rows from the memberships the session's query brought
 * (SESSION_ROUTE_MEMBERSHIPS), as the query below would read them. */
static int cards_of_session(struct portal_req *req, const struct portal_value *memberships,
                            struct portal_value **rows)
{
	struct portal_arena *a = req->arena;
	if (!(*rows = pv_list(a)))
		return 500;
	pv_foreach(m, memberships) {
		if (!pv_get_int(m->value, "card_id", 0))
			continue; /* the one row of a caller without memberships */
		struct portal_value *card = pv_object(a);
		for (const char *const *c = card_columns; card && *c; c++) {
			const char *key = portal_sprintf(a, "card_%s", *c);
			struct portal_value *v = key ? pv_get(m->value, key) : NULL;
			if (!v || pv_set(a, card, *c, v))
				card = NULL;
		}
		if (!card || pv_push(a, *rows, card))
			return 500;
	}
	return 0;
}

int property_cards(struct portal_req *req, long long only_id, struct portal_value **cards,
                   struct portal_value **pending)
{
	struct portal_value *rows;
	const struct portal_value *known = request_of(req)->signed_in.memberships;
	/* Every membership is active or pending (the column has no other value):
	 * a condition on its state would only cost the query a range of two. */
	int status =
	    only_id
	        ? portal_db_query(req,
	                          "SELECT " CARD_COLUMNS ", 'active' AS state FROM properties p"
	                          " WHERE p.org_id = ? AND p.id = ?",
	                          PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(only_id)), &rows)
	    : known
	        ? cards_of_session(req, known, &rows)
	        : portal_db_query(
	              req,
	              "SELECT " CARD_COLUMNS ", ms.state FROM properties p"
	              " JOIN memberships ms ON ms.property_id = p.id"
	              " AND ms.org_id = p.org_id AND ms.user_id = ?"
	              " WHERE p.org_id = ?"
	              " ORDER BY p.name, p.id",
	              PORTAL_DB_ARGS(PDB_I(req->caller.user_id), PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	struct portal_arena *a = req->arena;
	*cards = pv_list(a);
	if (pending)
		*pending = pv_list(a);
	if (!*cards || (pending && !*pending))
		return 500;
	pv_foreach(m, rows) {
		bool active = strcmp(pv_get_str(m->value, "state"), "active") == 0;
		pv_remove(m->value, "state");
		if (finish_row(req, m->value) || (active && pv_push(a, *cards, m->value)) ||
		    (!active && pending && pv_push(a, *pending, m->value)))
			return 500;
	}
	return 0;
}

/* GET /app/properties/{id}/preview: exactly the residents' home as a plain
 * resident of this property sees it, read-only, under a banner that says so. */
static int property_preview(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *cards;
	long long id = portal_param_id(req, "id");
	int status = property_cards(req, id, &cards, NULL);
	if (!status && cards->u.c.count == 0)
		status = portal_not_found(req);
	if (!status)
		status = home_sections(req, cards, view);
	if (status)
		return status;
	struct portal_arena *a = req->arena;
	if (pv_set(a, view, "properties", cards) || pv_set_bool(a, view, "preview", true) ||
	    pv_set(a, view, "property", cards->u.c.head->value) ||
	    pv_set_str(a, view, "org_name", request_of(req)->signed_in.org_name) ||
	    pv_set_str(a, view, "user_name", ""))
		return 500;
	return 200;
}

/* GET /app/properties/new: the empty form ("created" names the one just saved). */
static int property_new_form(struct portal_req *req, struct portal_value *view)
{
	return pv_set_bool(req->arena, view, "created", portal_in_has(req, "created")) ? 500 : 200;
}

const struct portal_route routes_properties[] = {
    /* The API serves residents too; the pages under /app are the managers'. */
    {"GET", "/properties", NULL, PORTAL_ACCESS_SIGNED_IN, 0, properties_list, NULL, NULL,
     list_inputs},
    {"GET", NULL, "/app/properties", PORTAL_ACCESS_MANAGER, 0, properties_list, "properties",
     "nav.properties", list_inputs},
    {"POST", "/properties", "/app/properties/new", PORTAL_ACCESS_MANAGER, 0, property_create,
     "property_new", "properties.new", create_inputs},
    {"GET", NULL, "/app/properties/new", PORTAL_ACCESS_MANAGER, 0, property_new_form,
     "property_new", "properties.new", new_form_inputs},
    {"GET", "/properties/{id}", NULL, PORTAL_ACCESS_SIGNED_IN, 0, property_show, NULL, NULL},
    {"GET", NULL, "/app/properties/{id}", PORTAL_ACCESS_MANAGER, 0, property_show, "property",
     "property"},
    {"PATCH", "/properties/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, property_update, NULL, NULL,
     update_inputs},
    {"POST", NULL, "/app/properties/{id}", PORTAL_ACCESS_MANAGER, 0, property_update, "property",
     "property", update_inputs, property_show},
    {"DELETE", "/properties/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, property_delete, NULL, NULL},
    {"POST", NULL, "/app/properties/{id}/delete", PORTAL_ACCESS_MANAGER, 0, property_delete,
     "property", "property"},
    {"POST", "/properties/{id}/image", "/app/properties/{id}/image", PORTAL_ACCESS_MANAGER, 0,
     property_image, "property", "property"},
    {"GET", "/properties/{id}/image", NULL, PORTAL_ACCESS_SIGNED_IN, 0, property_image_file, NULL,
     NULL},
    {"GET", NULL, "/app/properties/{id}/preview", PORTAL_ACCESS_MANAGER, SESSION_ROUTE_HOME,
     property_preview, "property_preview", "properties.preview"},
    {"GET", "/properties/{id}/units", NULL, PORTAL_ACCESS_SIGNED_IN, 0, units_list, NULL, NULL},
    {"POST", "/properties/{id}/units", "/app/properties/{id}/units", PORTAL_ACCESS_MANAGER, 0,
     unit_create, "property", "property", unit_inputs, property_show},
    {"PATCH", "/units/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, unit_update, NULL, NULL, unit_inputs},
    {"DELETE", "/units/{id}", NULL, PORTAL_ACCESS_MANAGER, 0, unit_delete, NULL, NULL},
    {0},
};
