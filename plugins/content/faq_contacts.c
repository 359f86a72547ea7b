/* FAQ (Fragen & Antworten) and contacts (Ansprechpartner): GET, POST /faq and
 * /contacts, PATCH, DELETE /faq/{id} and /contacts/{id}, the managers' pages
 * /app/content/faq and /app/content/contacts, and the two sections of the
 * residents' home. The two kinds differ only in their columns, so one
 * implementation serves both, driven by a description of each kind (struct
 * kind). Managers write and see their organisation's entries; residents read
 * those that target one of their active properties (or all of them). */
#include <stdlib.h>
#include <string.h>

#include <portal/input.h>
#include <portal/list.h>

#include "faq_contacts.h"

/* At most this many target properties per entry: bounds the checks per write. */
#define MAX_TARGETS 1000
/* The home shows at most this many entries per section. */
#define HOME_MAX 200

struct field {
	const char *name;
	size_t min, max; /* characters; min 0: optional, stored as '' when absent */
	/* What the value must also be (NULL: any text): false is a 422 on the field. */
	bool (*valid)(const char *value);
};

struct kind {
	const char *name;    /* API path, page path /app/content/<name>, locale prefix */
	const char *table;   /* also the alias-free name the SQL below uses */
	const char *targets; /* <table>_targets: (fk, property_id) */
	const char *fk;
	const char *columns; /* of the entry, with alias x */
	const struct field *fields;
	size_t nfields;
	/* (org_id, all_properties, position, fields...) */
	const char *insert_sql;
	/* all_properties, position, fields... (NULL keeps the column), id, org_id */
	const char *update_sql;
};

static const struct field faq_fields[] = {
    {"question", 1, 300, NULL},
    {"answer", 1, 5000, NULL},
};

/* A phone number residents can dial from the tel: link: digits and the usual
 * separators, nothing a dialler would choke on. */
static bool valid_phone(const char *s)
{
	size_t digits = 0;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (!strchr(" +-/().", *s))
			return false;
	}
	return digits > 0;
}

/* An address for the mailto: link: one @ with text on both sides, no spaces or
 * controls (it is not mailed by the portal, only shown). */
static bool valid_email(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("<>\\\",", *s))
			return false;
	return true;
}

static const struct field contact_fields[] = {
    {"name", 1, 200, NULL},		{"role", 1, 200, NULL},
    {"phone", 0, 50, valid_phone},	{"email", 0, 254, valid_email},
    {"note", 0, 1000, NULL},
};

#define NFIELDS(f) (sizeof(f) / sizeof((f)[0]))
#define MAX_FIELDS 5

static const struct kind faq_kind = {
    "faq",
    "faq",
    "faq_targets",
    "faq_id",
    "x.id, x.question, x.answer, x.position, x.all_properties",
    faq_fields,
    NFIELDS(faq_fields),
    "INSERT INTO faq (org_id, all_properties, position, question, answer) VALUES (?, ?, ?, ?, ?)",
    "UPDATE faq SET all_properties = COALESCE(?, all_properties), position = COALESCE(?, position),"
    " question = COALESCE(?, question), answer = COALESCE(?, answer) WHERE id = ? AND org_id = ?",
};

static const struct kind contact_kind = {
    "contacts",
    "contacts",
    "contact_targets",
    "contact_id",
    "x.id, x.name, x.role, x.phone, x.email, x.note, x.position, x.all_properties",
    contact_fields,
    NFIELDS(contact_fields),
    "INSERT INTO contacts (org_id, all_properties, position, name, role, phone, email, note)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "UPDATE contacts SET all_properties = COALESCE(?, all_properties),"
    " position = COALESCE(?, position), name = COALESCE(?, name), role = COALESCE(?, role),"
    " phone = COALESCE(?, phone), email = COALESCE(?, email), note = COALESCE(?, note)"
    " WHERE id = ? AND org_id = ?",
};

static bool is_manager(const struct portal_req *req)
{
	return req->caller.role == PORTAL_ROLE_MANAGER;
}

static int not_found(struct portal_req *req)
{
	return portal_fail(req, 404, "not_found", NULL, "error.title.404");
}

/* The SELECT of entries the caller may see, from fixed fragments only (the
 * kind's names are constants, never request data). Arguments in order: org_id;
 * a resident's user_id; the property filter; the cursor (position, position,
 * id); the id; then the caller appends what follows (LIMIT). A resident sees
 * an entry through an active membership of the organisation whose property the
 * entry targets, or any active membership when it targets all properties. */
static const char *select_sql(struct portal_req *req, const struct kind *k, bool property,
			      bool cursor, bool by_id, bool limit)
{
	const char *scope = "";
	if (is_manager(req) && property)
		scope = portal_sprintf(
		    req->arena,
		    " AND (x.all_properties = 1 OR EXISTS (SELECT 1 FROM %s t"
		    " WHERE t.%s = x.id AND t.property_id = ?))",
		    k->targets, k->fk);
	else if (!is_manager(req))
		scope = portal_sprintf(
		    req->arena,
		    " AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = ?"
		    " AND m.org_id = x.org_id AND m.state = 'active'%s"
		    " AND (x.all_properties = 1 OR EXISTS (SELECT 1 FROM %s t"
		    " WHERE t.%s = x.id AND t.property_id = m.property_id)))",
		    property ? " AND m.property_id = ?" : "", k->targets, k->fk);
	if (!scope)
		return NULL;
	const char *after = " AND (x.position > ? OR (x.position = ? AND x.id > ?))";
	return portal_sprintf(req->arena,
			      "SELECT %s FROM %s x WHERE x.org_id = ?%s%s%s"
			      " ORDER BY x.position, x.id%s",
			      k->columns, k->table, scope, cursor ? after : "",
			      by_id ? " AND x.id = ?" : "", limit ? " LIMIT ?" : "");
}

/* The targets of the organisation's entries, for managers: adds all_properties
 * (bool), property_ids ("all" or [ids]) and properties ([{id, name}]) to each
 * row of rows. One query for the whole organisation: FAQ and contacts are
 * short lists. 0 or an HTTP status. */
static int add_targets(struct portal_req *req, const struct kind *k, struct portal_value *rows)
{
	struct portal_arena *a = req->arena;
	bool manager = is_manager(req);
	struct portal_value *targets = NULL;
	if (manager && rows->u.c.count) {
		const char *sql = portal_sprintf(
		    a,
		    "SELECT t.%s AS item_id, p.id, p.name FROM %s t JOIN %s x ON x.id = t.%s"
		    " JOIN properties p ON p.id = t.property_id AND p.org_id = x.org_id"
		    " WHERE x.org_id = ? ORDER BY p.name, p.id",
		    k->fk, k->targets, k->table, k->fk);
		if (!sql)
			return 500;
		int status = portal_db_query(req, sql, PORTAL_DB_ARGS(PDB_I(req->caller.org_id)),
					     &targets);
		if (status)
			return status;
	}
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		bool all = pv_get_int(row, "all_properties", 0) != 0;
		if (pv_set_bool(a, row, "all_properties", all))
			return 500;
		if (!manager)
			continue;
		long long id = pv_get_int(row, "id", 0);
		struct portal_value *ids = pv_list(a), *props = pv_list(a);
		if (!ids || !props)
			return 500;
		pv_foreach(t, targets) {
			if (pv_get_int(t->value, "item_id", 0) != id)
				continue;
			struct portal_value *p = pv_object(a);
			long long pid = pv_get_int(t->value, "id", 0);
			if (!p || pv_set_int(a, p, "id", pid) ||
			    pv_set_str(a, p, "name", pv_get_str(t->value, "name")) ||
			    pv_push(a, props, p) || pv_push(a, ids, pv_int(a, pid)))
				return 500;
		}
		if (pv_set(a, row, "property_ids", all ? pv_string(a, "all") : ids) ||
		    pv_set(a, row, "properties", props))
			return 500;
	}
	return 0;
}

/* One entry the caller may see, with its targets, or 404. */
static int load_item(struct portal_req *req, const struct kind *k, long long id,
		     struct portal_value **out)
{
	const char *sql = select_sql(req, k, false, false, true, false);
	struct portal_value *rows;
	if (!sql)
		return 500;
	int status =
	    is_manager(req)
		? portal_db_query(req, sql, PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(id)),
				  &rows)
		: portal_db_query(req, sql,
				  PORTAL_DB_ARGS(PDB_I(req->caller.org_id),
						 PDB_I(req->caller.user_id), PDB_I(id)),
				  &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return not_found(req);
	if ((status = add_targets(req, k, rows)))
		return status;
	*out = rows->u.c.head->value;
	return 0;
}

/* A positive id of digits, or 0 when s is anything else. */
static long long parse_id(const char *s)
{
	long long id = 0;
	if (!s || !*s || strlen(s) > 18)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		id = id * 10 + (*s - '0');
	}
	return id;
}

/* The organisation's properties ({id, name, city}), for the pages' recipient choices. */
static int org_properties(struct portal_req *req, struct portal_value **rows)
{
	return portal_db_query(req,
			       "SELECT id, name, city FROM properties WHERE org_id = ?"
			       " ORDER BY name, id",
			       PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), rows);
}

/* The page's extras: for each entry, the recipient choices of its edit form
 * ([{id, name, city, checked, item_id}]); the choices of the create form. Both
 * in the shape templates/targets.html reads; each picker needs its own
 * targets_id, and an entry sets every key so none falls through to the
 * create form's. */
static int page_view(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *props, *items = pv_get(view, "items");
	int status = org_properties(req, &props);
	if (status)
		return status;
	pv_foreach(m, items) {
		struct portal_value *row = m->value, *choices = pv_list(a);
		const struct portal_value *ids = pv_get(row, "property_ids");
		if (!choices)
			return 500;
		pv_foreach(p, props) {
			long long pid = pv_get_int(p->value, "id", 0);
			bool checked = false;
			if (ids && ids->type == PV_LIST)
				pv_foreach(i, ids) checked = checked || i->value->u.i == pid;
			struct portal_value *c = pv_object(a);
			if (!c || pv_set_int(a, c, "id", pid) ||
			    pv_set_str(a, c, "name", pv_get_str(p->value, "name")) ||
			    pv_set_str(a, c, "city", pv_get_str(p->value, "city")) ||
			    pv_set_bool(a, c, "checked", checked) ||
			    pv_set_int(a, c, "item_id", pv_get_int(row, "id", 0)) ||
			    pv_push(a, choices, c))
				return 500;
		}
		const char *targets_id =
		    portal_sprintf(a, "%s-%lld-targets", k->name, pv_get_int(row, "id", 0));
		if (!targets_id || pv_set(a, row, "choices", choices) ||
		    pv_set_bool(a, row, "all_checked", pv_truthy(pv_get(row, "all_properties"))) ||
		    pv_set_str(a, row, "targets_id", targets_id) ||
		    pv_set_bool(a, row, "targets_required", false) ||
		    pv_set_bool(a, row, "first", m == items->u.c.head) ||
		    pv_set_bool(a, row, "last", m->next == NULL))
			return 500;
	}
	const char *saved = pv_get_str(req->query, "saved");
	const char *notice = NULL;
	/* Only known notices: the query names a locale key, never free text. */
	if (saved && (!strcmp(saved, "created") || !strcmp(saved, "updated") ||
		      !strcmp(saved, "deleted")))
		notice = portal_sprintf(a, "%s.%s", k->name, saved);
	const char *next = pv_get_str(view, "next");
	if (pv_set(a, view, "choices", props) || pv_set_bool(a, view, "all_checked", false) ||
	    pv_set_str(a, view, "targets_id", portal_sprintf(a, "%s-targets", k->name)) ||
	    pv_set_str(a, view, "targets_legend", portal_sprintf(a, "%s.recipients", k->name)) ||
	    pv_set_bool(a, view, "targets_required", true) ||
	    pv_set_bool(a, view, "any", items && items->u.c.count > 0) ||
	    pv_set_str(a, view, "notice", notice ? portal_t(req, notice) : "") ||
	    pv_set_str(a, view, "next_url",
		       next ? portal_sprintf(a, "/app/content/%s?after=%s", k->name, next) : ""))
		return 500;
	return 0;
}

/* GET /<kind> (property_id, limit, after) and the page /app/content/<kind>. */
static int item_list(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	int limit = portal_list_limit(req);
	const char *key;
	long long after_id;
	if (!limit)
		return 400;
	int status = portal_cursor_read(req, &key, &after_id);
	if (status)
		return status;
	const char *filter = pv_get_str(req->query, "property_id");
	long long property_id = 0;
	if (filter && *filter && !(property_id = parse_id(filter)))
		return portal_fail(req, 400, "bad_request", "property_id", "error.title.400");
	long long after_pos = 0;
	if (after_id) {
		char *end;
		after_pos = key ? strtoll(key, &end, 10) : 0;
		if (!key || !*key || *end)
			return portal_fail(req, 400, "bad_request", "after", "error.title.400");
	}
	const char *sql = select_sql(req, k, property_id != 0, after_id != 0, false, true);
	if (!sql)
		return 500;
	struct portal_db_arg args[8];
	size_t n = 0;
	args[n++] = PDB_I(req->caller.org_id);
	if (!is_manager(req))
		args[n++] = PDB_I(req->caller.user_id);
	if (property_id)
		args[n++] = PDB_I(property_id);
	if (after_id) {
		args[n++] = PDB_I(after_pos);
		args[n++] = PDB_I(after_pos);
		args[n++] = PDB_I(after_id);
	}
	args[n++] = PDB_I(limit + 1);
	struct portal_value *rows;
	if ((status = portal_db_query(req, sql, args, n, &rows)))
		return status;
	/* The cursor is the last shown entry's (position, id). */
	struct portal_value *next = pv_null(a);
	if (rows->u.c.count > (size_t)limit) {
		struct pv_member *m = rows->u.c.head;
		for (int i = 1; i < limit; i++)
			m = m->next;
		m->next = NULL;
		rows->u.c.tail = m;
		rows->u.c.count = (size_t)limit;
		const char *pos = portal_sprintf(a, "%lld", pv_get_int(m->value, "position", 0));
		const char *c = pos ? portal_cursor(req, pos, pv_get_int(m->value, "id", 0)) : NULL;
		if (!c || !(next = pv_string(a, c)))
			return 500;
	}
	if ((status = add_targets(req, k, rows)))
		return status;
	if (pv_set(a, view, "items", rows) || pv_set(a, view, "next", next))
		return 500;
	if (!req->is_api && (status = page_view(req, k, view)))
		return status;
	return 200;
}

static int bad_position(struct portal_req *req)
{
	return portal_fail(req, 422, "validation", "position", "error.invalid_field");
}

/* position: an integer (JSON number, or digits with an optional sign from a
 * form); absent or "" leaves *set false. 0 or 422. */
static int read_position(struct portal_req *req, bool *set, long long *out)
{
	const struct portal_value *v = pv_get(req->body, "position");
	*set = false;
	if (!v || v->type == PV_NULL || (v->type == PV_STRING && v->u.s.len == 0))
		return 0;
	long long n = 0;
	if (v->type == PV_INT) {
		n = v->u.i;
	} else if (v->type == PV_STRING && v->u.s.len <= 11) {
		const char *s = v->u.s.ptr;
		bool negative = *s == '-';
		s += negative;
		if (!*s)
			return bad_position(req);
		for (; *s; s++) {
			if (*s < '0' || *s > '9')
				return bad_position(req);
			n = n * 10 + (*s - '0');
		}
		n = negative ? -n : n;
	} else {
		return bad_position(req);
	}
	/* The column is an INT. */
	if (n < -2147483647LL || n > 2147483647LL)
		return bad_position(req);
	*set = true;
	*out = n;
	return 0;
}

struct targets {
	bool all;
	size_t count;
	long long ids[MAX_TARGETS];
};

/* The message is the kind's: "<kind>.property_ids_invalid". */
static int bad_targets(struct portal_req *req, const struct kind *k)
{
	const char *key = portal_sprintf(req->arena, "%s.property_ids_invalid", k->name);
	return portal_fail(req, 422, "validation", "property_ids",
			   key ? key : "error.invalid_field");
}

/* One member of property_ids: "all", an id (number or digits), else 422. */
static int add_target(struct portal_req *req, const struct kind *k, const struct portal_value *v,
		      struct targets *t)
{
	long long id = 0;
	if (v->type == PV_STRING && strcmp(v->u.s.ptr, "all") == 0) {
		t->all = true;
		return 0;
	}
	if (v->type == PV_INT)
		id = v->u.i;
	else if (v->type == PV_STRING)
		id = parse_id(v->u.s.ptr);
	if (id <= 0)
		return bad_targets(req, k);
	for (size_t i = 0; i < t->count; i++)
		if (t->ids[i] == id)
			return 0;
	if (t->count == MAX_TARGETS)
		return bad_targets(req, k);
	t->ids[t->count++] = id;
	return 0;
}

/* property_ids: "all", or a non-empty list of the organisation's property ids
 * (a form repeats the field, one value per checkbox; "all" among them wins).
 * Empty, malformed or naming a property of another organisation: 422. */
static int read_targets(struct portal_req *req, const struct kind *k, struct targets *t)
{
	const struct portal_value *v = pv_get(req->body, "property_ids");
	int status;
	t->all = false;
	t->count = 0;
	if (!v)
		return bad_targets(req, k);
	if (v->type == PV_LIST) {
		pv_foreach(m, v) {
			if ((status = add_target(req, k, m->value, t)))
				return status;
		}
	} else if ((status = add_target(req, k, v, t))) {
		return status;
	}
	if (t->all) {
		t->count = 0;
		return 0;
	}
	if (t->count == 0)
		return bad_targets(req, k);
	for (size_t i = 0; i < t->count; i++) {
		struct portal_value *rows;
		status = portal_db_query(
		    req, "SELECT id FROM properties WHERE id = ? AND org_id = ?",
		    PORTAL_DB_ARGS(PDB_I(t->ids[i]), PDB_I(req->caller.org_id)), &rows);
		if (status)
			return status;
		if (rows->u.c.count == 0)
			return bad_targets(req, k);
	}
	return 0;
}

/* Replaces the entry's targets (inside the caller's transaction). */
static int write_targets(struct portal_req *req, const struct kind *k, long long id,
			 const struct targets *t)
{
	const char *del =
	    portal_sprintf(req->arena, "DELETE FROM %s WHERE %s = ?", k->targets, k->fk);
	const char *ins = portal_sprintf(
	    req->arena, "INSERT INTO %s (%s, property_id) VALUES (?, ?)", k->targets, k->fk);
	if (!del || !ins)
		return 500;
	int status = portal_db_exec(req, del, PORTAL_DB_ARGS(PDB_I(id)), NULL, NULL);
	for (size_t i = 0; !status && i < t->count; i++)
		status = portal_db_exec(req, ins, PORTAL_DB_ARGS(PDB_I(id), PDB_I(t->ids[i])), NULL,
					NULL);
	return status;
}

/* The kind's text fields: all of them on create, those sent on PATCH. */
static int read_fields(struct portal_req *req, const struct kind *k, bool partial,
		       const char **values)
{
	for (size_t i = 0; i < k->nfields; i++) {
		const struct field *f = &k->fields[i];
		values[i] = NULL;
		if (partial && !portal_body_has(req, f->name))
			continue;
		int status = portal_body_str(req, f->name, f->min, f->max, &values[i]);
		if (status)
			return status;
		if (values[i] && f->valid && !f->valid(values[i]))
			return portal_fail(req, 422, "validation", f->name, "error.invalid_field");
		/* An optional field sent empty is cleared, not kept. */
		if (!values[i] && (!partial || portal_body_has(req, f->name)))
			values[i] = "";
	}
	return 0;
}

/* Answers a write: the page goes back to its list with a notice, the API gets
 * the entry as a manager sees it. */
static int answer_write(struct portal_req *req, const struct kind *k, long long id,
			const char *notice, int status, struct portal_value *view)
{
	if (!req->is_api)
		return portal_redirect(req, portal_sprintf(req->arena, "/app/content/%s?saved=%s",
							   k->name, notice));
	struct portal_value *item;
	int rc = load_item(req, k, id, &item);
	if (rc)
		return rc;
	*view = *item;
	return status;
}

/* A page's write fills the list first, so a failed form is shown within it. */
static int page_prepare(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	if (req->is_api)
		return 0;
	struct portal_value *list = pv_object(req->arena);
	if (!list)
		return 500;
	int status = item_list(req, k, list);
	if (status != 200)
		return status;
	pv_foreach(m, list) {
		if (pv_set(req->arena, view, m->key, m->value))
			return 500;
	}
	return 0;
}

/* POST /<kind> and the create form of /app/content/<kind>. */
static int item_create(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	const char *values[MAX_FIELDS];
	struct targets *t = portal_alloc(req->arena, sizeof *t);
	bool has_position;
	long long position = 0;
	int status = t ? page_prepare(req, k, view) : 500;
	if (!status)
		status = read_fields(req, k, false, values);
	if (!status)
		status = read_position(req, &has_position, &position);
	if (!status)
		status = read_targets(req, k, t);
	if (!status)
		status = portal_db_begin(req);
	if (status)
		return status;
	/* Without a position a new entry goes last. */
	if (!has_position) {
		struct portal_value *rows;
		const char *sql = portal_sprintf(
		    req->arena,
		    "SELECT COALESCE(MAX(position), 0) + 1 AS next FROM %s WHERE org_id = ?",
		    k->table);
		if (!sql)
			return 500;
		if ((status = portal_db_query(req, sql, PORTAL_DB_ARGS(PDB_I(req->caller.org_id)),
					      &rows)))
			return status;
		position = pv_get_int(rows->u.c.head ? rows->u.c.head->value : NULL, "next", 1);
	}
	struct portal_db_arg args[3 + MAX_FIELDS];
	size_t n = 0;
	args[n++] = PDB_I(req->caller.org_id);
	args[n++] = PDB_I(t->all ? 1 : 0);
	args[n++] = PDB_I(position);
	for (size_t i = 0; i < k->nfields; i++)
		args[n++] = PDB_S(values[i]);
	unsigned long long id = 0;
	status = portal_db_exec(req, k->insert_sql, args, n, NULL, &id);
	if (!status)
		status = write_targets(req, k, (long long)id, t);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	return answer_write(req, k, (long long)id, "created", 201, view);
}

/* PATCH /<kind>/{id} and the edit forms of the page: only what is sent changes. */
static int item_update(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	const char *values[MAX_FIELDS];
	struct targets *t = portal_alloc(req->arena, sizeof *t);
	struct portal_value *item;
	bool has_position, has_targets = portal_body_has(req, "property_ids");
	long long position = 0;
	int status = t ? page_prepare(req, k, view) : 500;
	if (!status)
		status = load_item(req, k, id, &item);
	if (!status)
		status = read_fields(req, k, true, values);
	if (!status)
		status = read_position(req, &has_position, &position);
	if (!status && has_targets)
		status = read_targets(req, k, t);
	if (!status)
		status = portal_db_begin(req);
	if (status)
		return status;
	struct portal_db_arg args[4 + MAX_FIELDS];
	size_t n = 0;
	args[n++] = has_targets ? PDB_I(t->all ? 1 : 0) : PDB_NUL;
	args[n++] = has_position ? PDB_I(position) : PDB_NUL;
	for (size_t i = 0; i < k->nfields; i++)
		args[n++] = PDB_S(values[i]);
	args[n++] = PDB_I(id);
	args[n++] = PDB_I(req->caller.org_id);
	status = portal_db_exec(req, k->update_sql, args, n, NULL, NULL);
	if (!status && has_targets)
		status = write_targets(req, k, id, t);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	return answer_write(req, k, id, "updated", 200, view);
}

/* DELETE /<kind>/{id} and the page's delete form; the targets go by foreign key. */
static int item_delete(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	unsigned long long n = 0;
	const char *sql = portal_sprintf(req->arena, "DELETE FROM %s WHERE id = ? AND org_id = ?",
					 k->table);
	int status = sql ? page_prepare(req, k, view) : 500;
	if (!status)
		status = portal_db_exec(req, sql,
					PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")),
						       PDB_I(req->caller.org_id)),
					&n, NULL);
	if (status)
		return status;
	if (n == 0)
		return not_found(req);
	if (req->is_api)
		return 204;
	const char *to = portal_sprintf(req->arena, "/app/content/%s?saved=deleted", k->name);
	return portal_redirect(req, to);
}

/* The page's move buttons (POST /app/content/<kind>/{id}/move, direction up
 * or down): the entry trades places with its neighbour in the organisation's
 * order. Positions the manager gave are kept where they differ; entries that
 * share a position are numbered 1..n first, or trading would change nothing. */
static int item_move(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	const char *direction = NULL;
	int status = page_prepare(req, k, view);
	if (!status)
		status = portal_body_str(req, "direction", 2, 4, &direction);
	if (!status && strcmp(direction, "up") != 0 && strcmp(direction, "down") != 0)
		status = portal_fail(req, 422, "validation", "direction", "error.invalid_field");
	const char *select = portal_sprintf(
	    req->arena,
	    "SELECT id, position FROM %s WHERE org_id = ? ORDER BY position, id FOR UPDATE",
	    k->table);
	const char *update = portal_sprintf(
	    req->arena, "UPDATE %s SET position = ? WHERE id = ? AND org_id = ?", k->table);
	if (!status && (!select || !update))
		status = 500;
	if (!status)
		status = portal_db_begin(req);
	struct portal_value *rows;
	if (!status)
		status = portal_db_query(req, select, PORTAL_DB_ARGS(PDB_I(req->caller.org_id)),
					 &rows);
	if (status)
		return status;
	size_t n = rows->u.c.count, at = n;
	long long *ids = portal_alloc(req->arena, (n + 1) * sizeof *ids);
	long long *pos = portal_alloc(req->arena, (n + 1) * sizeof *pos);
	if (!ids || !pos)
		return 500;
	size_t i = 0;
	pv_foreach(m, rows) {
		ids[i] = pv_get_int(m->value, "id", 0);
		pos[i] = pv_get_int(m->value, "position", 0);
		if (ids[i] == id)
			at = i;
		i++;
	}
	if (at == n)
		return not_found(req);
	bool up = strcmp(direction, "up") == 0;
	/* The first cannot go up nor the last down: nothing to change. */
	if ((up && at > 0) || (!up && at + 1 < n)) {
		size_t other = up ? at - 1 : at + 1;
		long long swap = ids[at];
		ids[at] = ids[other];
		ids[other] = swap;
		/* The positions stay in their places; the entries move between them. */
		bool shared = pos[at] == pos[other];
		for (i = 0; !status && i < n; i++) {
			if (!shared && i != at && i != other)
				continue;
			long long to = shared ? (long long)i + 1 : pos[i];
			status = portal_db_exec(
			    req, update,
			    PORTAL_DB_ARGS(PDB_I(to), PDB_I(ids[i]), PDB_I(req->caller.org_id)),
			    NULL, NULL);
		}
	}
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	return portal_redirect(req, portal_sprintf(req->arena, "/app/content/%s?saved=updated",
						   k->name));
}

/* A home section: the entries for the shown properties (a resident's active
 * ones, or the previewed one), in the manager's order; 204 when there are none.
 * Read-only, as the preview requires. */
static int item_home(struct portal_req *req, const struct kind *k, const long long *property_ids,
		     size_t count, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	if (count == 0)
		return 204;
	char *marks = portal_alloc(a, 2 * count);
	struct portal_db_arg *args = portal_alloc(a, (count + 2) * sizeof *args);
	if (!marks || !args)
		return 500;
	for (size_t i = 0; i < count; i++) {
		marks[2 * i] = '?';
		marks[2 * i + 1] = i + 1 < count ? ',' : '\0';
	}
	const char *sql = portal_sprintf(
	    a,
	    "SELECT %s FROM %s x WHERE x.org_id = ? AND (x.all_properties = 1 OR EXISTS (SELECT 1"
	    " FROM %s t WHERE t.%s = x.id AND t.property_id IN (%s))) ORDER BY x.position, x.id"
	    " LIMIT %d",
	    k->columns, k->table, k->targets, k->fk, marks, HOME_MAX);
	if (!sql)
		return 500;
	args[0] = PDB_I(req->caller.org_id);
	for (size_t i = 0; i < count; i++)
		args[i + 1] = PDB_I(property_ids[i]);
	struct portal_value *rows;
	int status = portal_db_query(req, sql, args, count + 1, &rows);
	if (status)
		return status;
	if (rows->u.c.count == 0)
		return 204;
	return pv_set(a, view, "items", rows) ? 500 : 0;
}

int faq_list(struct portal_req *req, struct portal_value *view)
{
	return item_list(req, &faq_kind, view);
}

int faq_create(struct portal_req *req, struct portal_value *view)
{
	return item_create(req, &faq_kind, view);
}

int faq_update(struct portal_req *req, struct portal_value *view)
{
	return item_update(req, &faq_kind, view);
}

int faq_delete(struct portal_req *req, struct portal_value *view)
{
	return item_delete(req, &faq_kind, view);
}

int faq_move(struct portal_req *req, struct portal_value *view)
{
	return item_move(req, &faq_kind, view);
}

int faq_home(struct portal_req *req, const long long *property_ids, size_t count,
	     struct portal_value *view)
{
	return item_home(req, &faq_kind, property_ids, count, view);
}

int contacts_list(struct portal_req *req, struct portal_value *view)
{
	return item_list(req, &contact_kind, view);
}

int contacts_create(struct portal_req *req, struct portal_value *view)
{
	return item_create(req, &contact_kind, view);
}

int contacts_update(struct portal_req *req, struct portal_value *view)
{
	return item_update(req, &contact_kind, view);
}

int contacts_delete(struct portal_req *req, struct portal_value *view)
{
	return item_delete(req, &contact_kind, view);
}

int contacts_move(struct portal_req *req, struct portal_value *view)
{
	return item_move(req, &contact_kind, view);
}

int contacts_home(struct portal_req *req, const long long *property_ids, size_t count,
		  struct portal_value *view)
{
	return item_home(req, &contact_kind, property_ids, count, view);
}
