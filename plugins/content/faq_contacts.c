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
#include <portal/picker.h>
#include <portal/text.h>

#include "faq_contacts.h"

/* The home shows at most this many entries per section. */
#define HOME_MAX 200
/* The managers' page shows this many entries unless asked for more. */
#define PAGE_ENTRIES 20

/* A kind's input: its text fields (flags: required on create; a PATCH may
 * leave them out but not empty them), then position and targets. */
/* clang-format off */
#define FAQ_FIELDS(flags)                                                               \
	{"question", PORTAL_IN_STRING, flags, 1, 300},                                  \
	    {"answer", PORTAL_IN_STRING, flags | PORTAL_IN_MULTILINE, 1, 5000}
/* An optional field sent empty is cleared (NULLABLE: null is "set to none"). */
#define CONTACT_FIELDS(flags)                                                           \
	{"name", PORTAL_IN_STRING, flags, 1, 200},                                      \
	    {"role", PORTAL_IN_STRING, flags, 1, 200},                                  \
	    {"phone", PORTAL_IN_STRING, PORTAL_IN_NULLABLE, 0, 50},                     \
	    {"email", PORTAL_IN_EMAIL, PORTAL_IN_NULLABLE},                             \
	    {"note", PORTAL_IN_STRING, PORTAL_IN_NULLABLE | PORTAL_IN_MULTILINE, 0, 1000}
/* The position is an INT column; "all" or ids of the organisation's properties,
 * refused with the kind's message. */
#define ENTRY_PLACE(flags, targets_message)                                             \
	{"position", PORTAL_IN_INT, 0, -2147483647LL, 2147483647LL},                    \
	    {"property_ids", PORTAL_IN_PROPERTIES, flags, .message = targets_message}
/* clang-format on */
#define FAQ_TARGETS_MESSAGE "faq.property_ids_invalid"
#define CONTACT_TARGETS_MESSAGE "contacts.property_ids_invalid"

#define FAQ_NFIELDS 2
#define CONTACT_NFIELDS 5
#define MAX_FIELDS 5

const struct portal_input faq_create_inputs[] = {
    FAQ_FIELDS(PORTAL_IN_REQUIRED),
    ENTRY_PLACE(PORTAL_IN_REQUIRED, FAQ_TARGETS_MESSAGE),
    {0},
};
const struct portal_input faq_update_inputs[] = {
    FAQ_FIELDS(0),
    ENTRY_PLACE(0, FAQ_TARGETS_MESSAGE),
    {0},
};
const struct portal_input contacts_create_inputs[] = {
    CONTACT_FIELDS(PORTAL_IN_REQUIRED),
    ENTRY_PLACE(PORTAL_IN_REQUIRED, CONTACT_TARGETS_MESSAGE),
    {0},
};
const struct portal_input contacts_update_inputs[] = {
    CONTACT_FIELDS(0),
    ENTRY_PLACE(0, CONTACT_TARGETS_MESSAGE),
    {0},
};
/* The list: one property's entries; the page's notice after a change. */
static const char *const notices[] = {"created", "updated", "deleted", NULL};
const struct portal_input faq_contacts_list_inputs[] = {
    {"property_id", PORTAL_IN_ID, PORTAL_IN_QUERY},
    {"saved", PORTAL_IN_ENUM, PORTAL_IN_QUERY, .choices = notices},
    {0},
};
/* The fields of an entry's edit form, filled from what is stored. */
static const char *const faq_form_fields[] = {"question", "answer", "position", NULL};
static const char *const contact_form_fields[] = {"name", "role",     "phone", "email",
                                                  "note", "position", NULL};
static const char *const directions[] = {"up", "down", NULL};
const struct portal_input faq_contacts_move_inputs[] = {
    {"direction", PORTAL_IN_ENUM, PORTAL_IN_REQUIRED, .choices = directions},
    {0},
};

struct kind {
	const char *name;    /* API path, page path /app/content/<name>, locale prefix */
	const char *table;   /* also the alias-free name the SQL below uses */
	const char *targets; /* <table>_targets: (fk, property_id) */
	const char *fk;
	const char *columns;         /* of the entry, with alias x */
	const char *targets_message; /* locale key of a 422 on property_ids */
	/* The text fields: the first nfields of the create inputs. */
	const struct portal_input *fields;
	size_t nfields;
	/* The fields of an entry's edit form (NULL-terminated). */
	const char *const *form_fields;
	/* What a field must also be beyond its input type (NULL: nothing): false
	 * is a 422 on the field. */
	bool (*valid)(const char *field, const char *value);
	/* (org_id, all_properties, position, fields...) */
	const char *insert_sql;
	/* all_properties, position, fields... (NULL keeps the column), id, org_id */
	const char *update_sql;
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

static bool contact_valid(const char *field, const char *value)
{
	return strcmp(field, "phone") != 0 || valid_phone(value);
}

static const struct kind faq_kind = {
    "faq",
    "faq",
    "faq_targets",
    "faq_id",
    "x.id, x.question, x.answer, x.position, x.all_properties",
    FAQ_TARGETS_MESSAGE,
    faq_create_inputs,
    FAQ_NFIELDS,
    faq_form_fields,
    NULL,
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
    CONTACT_TARGETS_MESSAGE,
    contacts_create_inputs,
    CONTACT_NFIELDS,
    contact_form_fields,
    contact_valid,
    "INSERT INTO contacts (org_id, all_properties, position, name, role, phone, email, note)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "UPDATE contacts SET all_properties = COALESCE(?, all_properties),"
    " position = COALESCE(?, position), name = COALESCE(?, name), role = COALESCE(?, role),"
    " phone = COALESCE(?, phone), email = COALESCE(?, email), note = COALESCE(?, note)"
    " WHERE id = ? AND org_id = ?",
};

/* A manager's entry comes with its targets in one text, by name: each
 * target's id and name, the id ended by US (0x1f), each target ended by RS
 * (0x1e) but the last; control characters that no name holds (the inputs and
 * the import refuse them). One statement reads the entries and their
 * targets, and a small sort per entry orders them. */
#define TARGET_ID_END '\x1f'
#define TARGET_END '\x1e'
#define TARGETS_SQL                                                                   \
	", (SELECT GROUP_CONCAT(p.id, '\x1f', p.name ORDER BY p.name, p.id SEPARATOR" \
	" '\x1e') FROM %s t JOIN properties p ON p.id = t.property_id"                \
	" AND p.org_id = x.org_id WHERE t.%s = x.id) AS targets"

/* The SELECT of entries the caller may see, from fixed fragments only (the
 * kind's names are constants, never request data); a manager's with their
 * targets (TARGETS_SQL). Arguments in order: org_id; a resident's user_id; the
 * property filter; the cursor (position, position, id); the id; then the
 * caller appends what follows (LIMIT). A resident sees an entry through an
 * active membership of the organisation whose property the entry targets, or
 * any active membership when it targets all properties. */
static const char *select_sql(struct portal_req *req, const struct kind *k, bool property,
                              bool cursor, bool by_id, bool limit)
{
	const char *scope = "";
	if (portal_is_manager(req) && property)
		scope = portal_sprintf(req->arena,
		                       " AND (x.all_properties = 1 OR EXISTS (SELECT 1 FROM %s t"
		                       " WHERE t.%s = x.id AND t.property_id = ?))",
		                       k->targets, k->fk);
	else if (!portal_is_manager(req))
		scope =
		    portal_sprintf(req->arena,
		                   " AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = ?"
		                   " AND m.org_id = x.org_id AND m.state = 'active'%s"
		                   " AND (x.all_properties = 1 OR EXISTS (SELECT 1 FROM %s t"
		                   " WHERE t.%s = x.id AND t.property_id = m.property_id)))",
		                   property ? " AND m.property_id = ?" : "", k->targets, k->fk);
	const char *targets = portal_is_manager(req)
	                          ? portal_sprintf(req->arena, TARGETS_SQL, k->targets, k->fk)
	                          : "";
	if (!scope || !targets)
		return NULL;
	const char *after = " AND (x.position > ? OR (x.position = ? AND x.id > ?))";
	return portal_sprintf(req->arena,
	                      "SELECT %s%s FROM %s x WHERE x.org_id = ?%s%s%s"
	                      " ORDER BY x.position, x.id%s",
	                      k->columns, targets, k->table, scope, cursor ? after : "",
	                      by_id ? " AND x.id = ?" : "", limit ? " LIMIT ?" : "");
}

/* The targets of a manager's row (TARGETS_SQL's text) into ids and props. */
static int parse_targets(struct portal_arena *a, const char *text, struct portal_value *ids,
                         struct portal_value *props)
{
	for (const char *at = text; at && *at;) {
		char *end;
		long long id = strtoll(at, &end, 10);
		const char *name = *end == TARGET_ID_END ? end + 1 : NULL;
		const char *next = name ? strchr(name, TARGET_END) : NULL;
		struct portal_value *p = pv_object(a);
		if (!name || !p || pv_set_int(a, p, "id", id) ||
		    pv_set(a, p, "name",
		           pv_stringn(a, name, next ? (size_t)(next - name) : strlen(name))) ||
		    pv_push(a, props, p) || pv_push(a, ids, pv_int(a, id)))
			return 500;
		at = next ? next + 1 : NULL;
	}
	return 0;
}

/* Completes the rows of select_sql: all_properties as a bool, and for
 * managers property_ids ("all" or [ids]) and properties ([{id, name}]) from
 * their targets. 0 or an HTTP status. */
static int add_targets(struct portal_req *req, struct portal_value *rows)
{
	struct portal_arena *a = req->arena;
	pv_foreach(m, rows) {
		struct portal_value *row = m->value;
		bool all = pv_get_int(row, "all_properties", 0) != 0;
		if (pv_set_bool(a, row, "all_properties", all))
			return 500;
		if (!portal_is_manager(req))
			continue;
		struct portal_value *ids = pv_list(a), *props = pv_list(a);
		if (!ids || !props || parse_targets(a, pv_get_str(row, "targets"), ids, props) ||
		    pv_set(a, row, "property_ids", all ? pv_string(a, "all") : ids) ||
		    pv_set(a, row, "properties", props))
			return 500;
		pv_remove(row, "targets");
	}
	return 0;
}

/* One entry the caller may see, with its targets, or 404. */
static int load_item(struct portal_req *req, const struct kind *k, long long id,
                     struct portal_value **out)
{
	const char *sql = select_sql(req, k, false, false, true, false);
	if (!sql)
		return 500;
	long long org_id = req->caller.org_id;
	int status =
	    portal_is_manager(req)
	        ? portal_db_one(req, sql, PORTAL_DB_ARGS(PDB_I(org_id), PDB_I(id)), out)
	        : portal_db_one(
	              req, sql,
	              PORTAL_DB_ARGS(PDB_I(org_id), PDB_I(req->caller.user_id), PDB_I(id)), out);
	if (status)
		return status;
	/* add_targets completes a list: here one of one */
	struct portal_value *rows = pv_list(req->arena);
	if (!rows || pv_push(req->arena, rows, *out))
		return 500;
	return add_targets(req, rows);
}

/* The fields of an entry's edit form as stored. */
static struct portal_value *draft_stored(struct portal_req *req, const struct kind *k,
                                         const struct portal_value *row)
{
	struct portal_value *draft = pv_object(req->arena);
	for (const char *const *f = k->form_fields; draft && *f; f++) {
		struct portal_value *v = pv_get(row, *f);
		if (v && pv_set(req->arena, draft, *f, v))
			return NULL;
	}
	return draft;
}

/* The page of an entry's form (faq_form.html, contacts_form.html): a new one
 * (id 0) or a stored one, its fields (draft: as stored, or as sent when its
 * form was sent), its picker, and the action it posts to. Its search without
 * script and a refused form come back here. */
static int form_page(struct portal_req *req, const struct kind *k, long long id,
                     struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *item = NULL;
	int status = id ? load_item(req, k, id, &item) : 0;
	if (status)
		return status;
	const char *action = id ? portal_sprintf(a, "/app/content/%s/%lld", k->name, id)
	                        : portal_sprintf(a, "/app/content/%s", k->name);
	struct portal_picker picker = {
	    .id = portal_sprintf(a, "%s-targets", k->name),
	    .field = "property_ids",
	    .legend = portal_sprintf(a, "%s.recipients", k->name),
	    .action = action,
	    .required = !id, /* a change may keep the targets as they are */
	    .all = item && pv_truthy(pv_get(item, "all_properties")),
	    .chosen = item ? pv_get(item, "properties") : NULL,
	};
	if (!action || !picker.id || !picker.legend)
		return 500;
	bool sent = portal_form_sent(req, action);
	struct portal_value *draft = sent   ? req->body
	                             : item ? draft_stored(req, k, item)
	                                    : pv_object(a);
	if ((status = portal_picker(req, view, &picker)))
		return status;
	return !draft || pv_set(a, view, "draft", draft) || pv_set_str(a, view, "action", action) ||
	               pv_set_int(a, view, "id", id) || pv_set_bool(a, view, "editing", id != 0) ||
	               (item && pv_set(a, view, "item", item))
	           ? 500
	           : 0;
}

/* The list page's extras: each entry's place (first, last: no move that
 * way), the notice after a change, the link to the next entries. The forms
 * are pages of their own (form_page), so that the list holds no picker and
 * no entry twice. */
static int page_view(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	struct portal_value *items = pv_get(view, "items");
	pv_foreach(m, items) {
		if (pv_set_bool(a, m->value, "first", m->value == pv_first(items)) ||
		    pv_set_bool(a, m->value, "last", m->next == NULL))
			return 500;
	}
	/* Only known notices (an enum): the query names a locale key, never free text. */
	const char *saved = portal_in_str(req, "saved");
	const char *notice = saved ? portal_sprintf(a, "%s.%s", k->name, saved) : NULL;
	const char *next = pv_get_str(view, "next");
	if (pv_set_bool(a, view, "any", pv_count(items) > 0) ||
	    pv_set_str(a, view, "notice", notice ? portal_t(req, notice) : "") ||
	    pv_set_str(a, view, "next_url",
	               next ? portal_sprintf(a, "/app/content/%s?after=%s", k->name, next) : ""))
		return 500;
	return 0;
}

/* The page of rows as a list view: the cursor is the last shown entry's
 * (position, id), its position lent to the entry as a text key for it. */
static int list_view(struct portal_req *req, struct portal_value *view, struct portal_value *rows,
                     int limit)
{
	struct portal_value *last = NULL;
	size_t i = 0;
	pv_foreach(m, rows) {
		if (++i == (size_t)limit && pv_count(rows) > i)
			last = m->value;
	}
	const char *position =
	    last ? portal_sprintf(req->arena, "%lld", pv_get_int(last, "position", 0)) : NULL;
	if (last && (!position || pv_set_str(req->arena, last, "cursor_key", position)))
		return 500;
	int status = portal_list_view(req, view, rows, limit, "cursor_key");
	if (last)
		pv_remove(last, "cursor_key");
	return status;
}

/* GET /<kind> (property_id, limit, after) and the page /app/content/<kind>. */
static int item_list(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	struct portal_page page;
	int status = portal_list_page(req, &page);
	if (status)
		return status;
	long long property_id = portal_in_int(req, "property_id", 0);
	long long after_id = page.after, after_pos = 0;
	int limit = req->is_api || portal_in_has(req, "limit") ? page.limit : PAGE_ENTRIES;
	if (after_id) { /* the cursor's key is the last item's position */
		char *end;
		after_pos = page.key ? strtoll(page.key, &end, 10) : 0;
		if (!page.key || !*page.key || *end)
			return portal_fail(req, 400, "bad_request", "after", "error.title.400");
	}
	const char *sql = select_sql(req, k, property_id != 0, after_id != 0, false, true);
	if (!sql)
		return 500;
	struct portal_db_arg args[8];
	size_t n = 0;
	args[n++] = PDB_I(req->caller.org_id);
	if (!portal_is_manager(req))
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
	if ((status = portal_db_query(req, sql, args, n, &rows)) ||
	    (status = list_view(req, view, rows, limit)) || (status = add_targets(req, rows)))
		return status;
	if (!req->is_api && (status = page_view(req, k, view)))
		return status;
	return 200;
}

/* Writes the entry's targets (inside the caller's transaction). replace: an
 * update's, whose old targets go first. A new entry has none, and deleting
 * them anyway would lock the gap at the end of the targets' key, where
 * parallel creates then deadlock over inserting. */
static int write_targets(struct portal_req *req, const struct kind *k, long long id,
                         const struct portal_ids *t, bool replace)
{
	const char *del =
	    portal_sprintf(req->arena, "DELETE FROM %s WHERE %s = ?", k->targets, k->fk);
	const char *ins = portal_sprintf(
	    req->arena, "INSERT INTO %s (%s, property_id) VALUES (?, ?)", k->targets, k->fk);
	if (!del || !ins)
		return 500;
	int status = replace ? portal_db_exec(req, del, PORTAL_DB_ARGS(PDB_I(id)), NULL, NULL) : 0;
	for (size_t i = 0; !status && i < t->count; i++)
		status = portal_db_exec(req, ins, PORTAL_DB_ARGS(PDB_I(id), PDB_I(t->ids[i])), NULL,
		                        NULL);
	return status;
}

/* The kind's text fields: all of them on create, those sent on PATCH (NULL:
 * kept); an optional one sent empty is cleared, a required one refused. */
static int read_fields(struct portal_req *req, const struct kind *k, bool create,
                       const char **values)
{
	for (size_t i = 0; i < k->nfields; i++) {
		const struct portal_input *f = &k->fields[i];
		values[i] = portal_in_str(req, f->name);
		if (values[i] && k->valid && !k->valid(f->name, values[i]))
			return portal_fail(req, 422, "validation", f->name, "error.invalid_field");
		if (!values[i] && (create || portal_in_has(req, f->name)))
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
		return portal_redirect(
		    req, portal_sprintf(req->arena, "/app/content/%s?saved=%s", k->name, notice));
	struct portal_value *item;
	int rc = load_item(req, k, id, &item);
	if (rc)
		return rc;
	*view = *item;
	return status;
}

/* A page's write that its handler refused shows its form's page again
 * around the refusal; the API answers the refusal as it is. */
static int page_again(struct portal_req *req, const struct kind *k, long long id,
                      struct portal_value *view, int refused)
{
	if (req->is_api)
		return refused;
	int status = form_page(req, k, id, view);
	return status ? status : refused;
}

/* POST /<kind> and the create form of /app/content/<kind>. */
static int item_create(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	const char *values[MAX_FIELDS];
	struct portal_ids targets = portal_in_ids(req, "property_ids");
	long long position = portal_in_int(req, "position", 0);
	int status = read_fields(req, k, true, values);
	if (status)
		return page_again(req, k, 0, view, status);
	if ((status = portal_db_begin(req)))
		return status;
	/* Without a position a new entry goes last. */
	if (!portal_in_has(req, "position")) {
		struct portal_value *row;
		const char *sql = portal_sprintf(
		    req->arena,
		    "SELECT COALESCE(MAX(position), 0) + 1 AS next FROM %s WHERE org_id = ?",
		    k->table);
		if (!sql)
			return 500;
		if ((status =
		         portal_db_one(req, sql, PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &row)))
			return status;
		position = pv_get_int(row, "next", 1);
	}
	struct portal_db_arg args[3 + MAX_FIELDS];
	size_t n = 0;
	args[n++] = PDB_I(req->caller.org_id);
	args[n++] = PDB_I(targets.all ? 1 : 0);
	args[n++] = PDB_I(position);
	for (size_t i = 0; i < k->nfields; i++)
		args[n++] = PDB_S(values[i]);
	unsigned long long id = 0;
	status = portal_db_exec(req, k->insert_sql, args, n, NULL, &id);
	if (!status)
		status = write_targets(req, k, (long long)id, &targets, false);
	if (!status) /* what residents see changed: no cached home of before */
		status = portal_content_changed(req);
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
	struct portal_ids targets = portal_in_ids(req, "property_ids");
	struct portal_value *item;
	bool has_position = portal_in_has(req, "position");
	bool has_targets = portal_in_has(req, "property_ids");
	long long position = portal_in_int(req, "position", 0);
	int status = load_item(req, k, id, &item);
	if (status)
		return status;
	if ((status = read_fields(req, k, false, values)))
		return page_again(req, k, id, view, status);
	if ((status = portal_db_begin(req)))
		return status;
	struct portal_db_arg args[4 + MAX_FIELDS];
	size_t n = 0;
	args[n++] = has_targets ? PDB_I(targets.all ? 1 : 0) : PDB_NUL;
	args[n++] = has_position ? PDB_I(position) : PDB_NUL;
	for (size_t i = 0; i < k->nfields; i++)
		args[n++] = PDB_S(values[i]);
	args[n++] = PDB_I(id);
	args[n++] = PDB_I(req->caller.org_id);
	status = portal_db_exec(req, k->update_sql, args, n, NULL, NULL);
	if (!status && has_targets)
		status = write_targets(req, k, id, &targets, true);
	if (!status) /* what residents see changed: no cached home of before */
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	return answer_write(req, k, id, "updated", 200, view);
}

/* DELETE /<kind>/{id} and the page's delete form; the targets go by foreign
 * key. Its only refusal is a 404, which shows no form. */
static int item_delete(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	const char *sql =
	    portal_sprintf(req->arena, "DELETE FROM %s WHERE id = ? AND org_id = ?", k->table);
	int status = sql ? 0 : 500;
	if (!status)
		status = portal_db_exec_one(
		    req, sql,
		    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "id")), PDB_I(req->caller.org_id)));
	if (!status)
		status = portal_content_changed(req);
	if (status)
		return status;
	if (req->is_api)
		return 204;
	const char *to = portal_sprintf(req->arena, "/app/content/%s?saved=deleted", k->name);
	return portal_redirect(req, to);
}

/* The page's move buttons (POST /app/content/<kind>/{id}/move, direction up
 * or down): the entry trades places with its neighbour in the organisation's
 * order. Positions the manager gave are kept where they differ; entries that
 * share a position are numbered 1..n first, or trading would change nothing.
 * Its handler refuses only with a 404, which shows no form. */
static int item_move(struct portal_req *req, const struct kind *k, struct portal_value *view)
{
	long long id = portal_param_id(req, "id");
	bool up = strcmp(portal_in_str(req, "direction"), "up") == 0;
	int status = 0;
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
		status =
		    portal_db_query(req, select, PORTAL_DB_ARGS(PDB_I(req->caller.org_id)), &rows);
	if (status)
		return status;
	size_t n = pv_count(rows), at = n;
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
		return portal_not_found(req);
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
	if (!status) /* what residents see changed: no cached home of before */
		status = portal_content_changed(req);
	if (!status)
		status = portal_db_commit(req);
	if (status)
		return status;
	return portal_redirect(
	    req, portal_sprintf(req->arena, "/app/content/%s?saved=updated", k->name));
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
	struct portal_db_arg *args = portal_alloc(a, (count + 1) * sizeof *args);
	if (!args)
		return 500;
	size_t n = 0;
	args[n++] = PDB_I(req->caller.org_id);
	const char *marks = portal_db_placeholders(req, property_ids, count, args, &n);
	if (!marks)
		return 500;
	const char *sql = portal_sprintf(
	    a,
	    "SELECT %s FROM %s x WHERE x.org_id = ? AND (x.all_properties = 1 OR EXISTS (SELECT 1"
	    " FROM %s t WHERE t.%s = x.id AND t.property_id IN (%s))) ORDER BY x.position, x.id"
	    " LIMIT %d",
	    k->columns, k->table, k->targets, k->fk, marks, HOME_MAX);
	if (!sql)
		return 500;
	struct portal_value *rows;
	int status = portal_db_query(req, sql, args, n, &rows);
	if (status)
		return status;
	if (pv_count(rows) == 0)
		return 204;
	return pv_set(a, view, "items", rows) ? 500 : 0;
}

/* A form page's status: 200 once it is filled. */
static int page_shown(int status)
{
	return status ? status : 200;
}

int faq_list(struct portal_req *req, struct portal_value *view)
{
	return item_list(req, &faq_kind, view);
}

int faq_new_page(struct portal_req *req, struct portal_value *view)
{
	return page_shown(form_page(req, &faq_kind, 0, view));
}

int faq_edit_page(struct portal_req *req, struct portal_value *view)
{
	return page_shown(form_page(req, &faq_kind, portal_param_id(req, "id"), view));
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

int contacts_new_page(struct portal_req *req, struct portal_value *view)
{
	return page_shown(form_page(req, &contact_kind, 0, view));
}

int contacts_edit_page(struct portal_req *req, struct portal_value *view)
{
	return page_shown(form_page(req, &contact_kind, portal_param_id(req, "id"), view));
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
