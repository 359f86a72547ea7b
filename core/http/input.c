/* Declared input (portal/input.h): the check before a handler runs, and the
 * reading of what it left. JSON gives typed values, forms and multipart give
 * strings; each type accepts both shapes and stores one: ids and integers as
 * PV_INT, booleans as PV_BOOL, lists of ids as a PV_LIST of PV_INT or the
 * string "all", everything else as a normalised string. */
#include "http/input.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/datetime.h"
#include "portal/categories.h"
#include "portal/input.h"
#include "portal/portal.h"
#include "portal/text.h"
#include "http/request.h"

#define IDS_MAX_DEFAULT 1000
#define ID_MAX_DIGITS 18

static int invalid(struct portal_req *req, const struct portal_input *in)
{
	return portal_fail(req, 422, "validation", in->name,
	                   in->message ? in->message : "error.invalid_field");
}

/* A positive id from a number or a string of digits; 0 when it is none. */
static long long id_of(const struct portal_value *v)
{
	if (v->type == PV_INT)
		return v->u.i > 0 ? v->u.i : 0;
	const char *s = pv_str(v);
	if (!s || !*s || strlen(s) > ID_MAX_DIGITS)
		return 0;
	long long id = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return 0;
		id = id * 10 + (*s - '0');
	}
	return id;
}

/* A boolean from JSON or a form ("true"/"false", "1"/"0", a checkbox's "on");
 * false when it is none. */
static bool bool_of(const struct portal_value *v, bool *out)
{
	const char *s = pv_str(v);
	if (v->type == PV_BOOL)
		*out = v->u.b;
	else if (s && (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "on")))
		*out = true;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "0")))
		*out = false;
	else
		return false;
	return true;
}

static bool is_all(const struct portal_value *v)
{
	const char *s = pv_str(v);
	return s && strcmp(s, "all") == 0;
}

/* The ids of v (a list, or one value), or "all" where allowed. */
static int read_ids(struct portal_req *req, const struct portal_input *in,
                    const struct portal_value *v, bool allow_all, struct portal_value **out)
{
	struct portal_arena *a = req->arena;
	size_t max = in->max > 0 ? (size_t)in->max : IDS_MAX_DEFAULT;
	struct portal_value *list = pv_list(a);
	if (!list)
		return 500;
	const struct pv_member single = {.value = (struct portal_value *)v};
	const struct pv_member *m = v->type == PV_LIST ? v->u.c.head : &single;
	for (; m; m = m->next) {
		if (allow_all && is_all(m->value)) {
			*out = pv_string(a, "all");
			return *out ? 0 : 500;
		}
		long long id = id_of(m->value);
		if (!id)
			return invalid(req, in);
		bool seen = false;
		pv_foreach(s, list)
			seen |= s->value->u.i == id;
		if (seen)
			continue; /* the same id twice is still one */
		if (pv_count(list) == max)
			return invalid(req, in);
		if (pv_push(a, list, pv_int(a, id)))
			return 500;
	}
	if (pv_count(list) == 0 && (in->flags & PORTAL_IN_REQUIRED))
		return invalid(req, in);
	*out = list;
	return 0;
}

/* Every id of ids names a property of the caller's organisation: one query. */
static int properties_of_org(struct portal_req *req, const struct portal_input *in,
                             const struct portal_value *ids)
{
	size_t n = pv_count(ids), i = 0;
	long long *list = n ? portal_alloc(req->arena, n * sizeof *list) : NULL;
	if (!n)
		return 0;
	if (!list)
		return 500;
	pv_foreach(m, ids)
		list[i++] = m->value->u.i;
	struct portal_value *row;
	int status = portal_db_one(
	    req,
	    "SELECT COUNT(*) AS n FROM properties WHERE org_id = ? AND id IN " PORTAL_DB_ID_LIST,
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), portal_db_ids(req, list, n)), &row);
	if (status)
		return status;
	return pv_get_int(row, "n", 0) == (long long)pv_count(ids) ? 0 : invalid(req, in);
}

/* Moves *s past leading white space; returns the length without the
 * trailing white space. */
static size_t trim(const char **s)
{
	size_t len = strlen(*s);
	while (len && isspace((unsigned char)**s))
		(*s)++, len--;
	while (len && isspace((unsigned char)(*s)[len - 1]))
		len--;
	return len;
}

/* Whether the UTF-8 text s (len bytes) holds a control character: C0 (but
 * line breaks and tabs where multiline), DEL, C1 (U+0080..U+009F, NEL among
 * them), or the line and paragraph separators U+2028 and U+2029 but where
 * multiline. None is text anyone types on one line; they would also sort a
 * name before the shorter name it begins with. */
static bool has_control(const char *s, size_t len, bool multiline)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len; i++) {
		bool line_break = u[i] == '\n' || u[i] == '\r' || u[i] == '\t';
		if ((u[i] < 0x20 && !(multiline && line_break)) || u[i] == 0x7f)
			return true;
		if (u[i] == 0xC2 && i + 1 < len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F)
			return true;
		if (!multiline && u[i] == 0xE2 && i + 2 < len && u[i + 1] == 0x80 &&
		    (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
			return true;
	}
	return false;
}

/* Text without surrounding white space, of min..max characters, without
 * control characters (has_control). */
static int read_string(struct portal_req *req, const struct portal_input *in, const char *s,
                       struct portal_value **out)
{
	size_t len = in->flags & PORTAL_IN_VERBATIM ? strlen(s) : trim(&s);
	if (has_control(s, len, in->flags & PORTAL_IN_MULTILINE))
		return invalid(req, in);
	char *copy = portal_strndup(req->arena, s, len);
	if (!copy)
		return 500;
	size_t n = portal_utf8_chars(copy);
	if ((long long)n < in->min || (long long)n > in->max)
		return invalid(req, in);
	*out = pv_stringn(req->arena, copy, len);
	return *out ? 0 : 500;
}

/* Each string of a list (or the one string), as read_string; empty ones
 * dropped. */
static int read_strings(struct portal_req *req, const struct portal_input *in,
                        const struct portal_value *v, struct portal_value **out)
{
	struct portal_input item = *in;
	item.min = 0;
	struct portal_value *list = pv_list(req->arena);
	if (!list)
		return 500;
	const struct pv_member single = {.value = (struct portal_value *)v};
	for (const struct pv_member *m = v->type == PV_LIST ? v->u.c.head : &single; m;
	     m = m->next) {
		struct portal_value *text;
		const char *s = pv_str(m->value);
		int status = s ? read_string(req, &item, s, &text) : invalid(req, in);
		if (status)
			return status;
		if (!pv_str(text)[0])
			continue;
		if (pv_count(list) == IDS_MAX_DEFAULT)
			return invalid(req, in);
		if (pv_push(req->arena, list, text))
			return 500;
	}
	if (pv_count(list) == 0 && (in->flags & PORTAL_IN_REQUIRED))
		return invalid(req, in);
	*out = list;
	return 0;
}

static bool is_date(const char *s)
{
	int y, m, d;
	char extra;
	return strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3 &&
	       s[4] == '-' && s[7] == '-' && isdigit((unsigned char)s[0]) &&
	       isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[8]) &&
	       portal_time_from_local(y, m, d, 12, 0) >= 0;
}

/* RFC 3339 with a zone, or a form's local "YYYY-MM-DDTHH:MM[:SS]". */
static long long read_instant(const char *s)
{
	long long t = portal_time_parse(s);
	int y, mo, d, h, mi, sec = 0;
	char extra;
	size_t n = strlen(s);
	if (t >= 0 || (n != 16 && n != 19))
		return t;
	int got = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &extra);
	if (got != (n == 16 ? 5 : 6) || s[4] != '-' || s[10] != 'T' || s[13] != ':')
		return -1;
	return portal_time_from_local(y, mo, d, h, mi);
}

static int read_scalar(struct portal_req *req, const struct portal_input *in,
                       const struct portal_value *v, struct portal_value **out)
{
	struct portal_arena *a = req->arena;
	const char *s = pv_str(v);
	switch (in->type) {
	case PORTAL_IN_ID: {
		long long id = id_of(v);
		return id ? ((*out = pv_int(a, id)) ? 0 : 500) : invalid(req, in);
	}
	case PORTAL_IN_INT: {
		long long n = v->type == PV_INT ? v->u.i : 0;
		if (s) {
			const char *p = s + (*s == '-');
			if (!*p || strlen(p) > ID_MAX_DIGITS)
				return invalid(req, in);
			for (; *p; p++)
				if (!isdigit((unsigned char)*p))
					return invalid(req, in);
			n = strtoll(s, NULL, 10);
		} else if (v->type != PV_INT) {
			return invalid(req, in);
		}
		if (n < in->min || n > in->max)
			return invalid(req, in);
		return (*out = pv_int(a, n)) ? 0 : 500;
	}
	case PORTAL_IN_BOOL: {
		bool b;
		return !bool_of(v, &b) ? invalid(req, in) : (*out = pv_bool(a, b)) ? 0 : 500;
	}
	case PORTAL_IN_STRING: return s ? read_string(req, in, s, out) : invalid(req, in);
	case PORTAL_IN_STRINGS: return read_strings(req, in, v, out);
	case PORTAL_IN_NOTIFICATIONS: /* stands for members of other names: check_kinds */ break;
	case PORTAL_IN_ENUM:
		for (const char *const *c = in->choices; s && *c; c++)
			if (strcmp(*c, s) == 0)
				return (*out = pv_string(a, s)) ? 0 : 500;
		return invalid(req, in);
	case PORTAL_IN_CATEGORY: {
		bool known = false;
		int status = s ? portal_category_known(req, s, &known) : 0;
		if (status)
			return status;
		return known ? ((*out = pv_string(a, s)) ? 0 : 500) : invalid(req, in);
	}
	case PORTAL_IN_DATE:
		return s && is_date(s) ? ((*out = pv_string(a, s)) ? 0 : 500) : invalid(req, in);
	case PORTAL_IN_DATETIME: {
		long long t = s ? read_instant(s) : -1;
		return t >= 0 ? ((*out = pv_string(a, portal_time_rfc3339(req, t))) ? 0 : 500)
		              : invalid(req, in);
	}
	case PORTAL_IN_EMAIL: {
		size_t len = s ? trim(&s) : 0; /* pasted addresses come with spaces */
		char *lower = s ? portal_strndup(a, s, len) : NULL;
		for (char *p = lower; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!lower || !portal_email_valid(lower))
			return s && !lower ? 500 : invalid(req, in);
		return (*out = pv_string(a, lower)) ? 0 : 500;
	}
	case PORTAL_IN_IDS: return read_ids(req, in, v, in->flags & PORTAL_IN_ALL, out);
	case PORTAL_IN_PROPERTIES: {
		int status = read_ids(req, in, v, true, out);
		return status ? status : properties_of_org(req, in, *out);
	}
	}
	return invalid(req, in);
}

/* A form's empty value, JSON null and "" are absent, or null where nullable. */
static bool blank(const struct portal_value *v)
{
	return v->type == PV_NULL || (v->type == PV_STRING && v->u.s.len == 0) ||
	       (v->type == PV_LIST && v->u.c.count == 0);
}

/* Whether the body came as JSON, which says what it sends: there a list is
 * never a scalar's value. */
static bool body_is_json(const struct portal_req *req)
{
	const char *type = portal_header(req, "CONTENT_TYPE");
	return type && strncasecmp(type, "application/json", 16) == 0;
}

/* A PORTAL_IN_EACH member: every item typed, or null where it was empty, so
 * that positions still pair with the items they belong to. */
static int check_each(struct portal_req *req, const struct portal_input *in,
                      const struct portal_value *v, struct portal_value *typed)
{
	struct portal_arena *a = req->arena;
	if (!v)
		return in->flags & PORTAL_IN_REQUIRED ? invalid(req, in) : 0;
	struct portal_value *list = pv_list(a);
	if (!list)
		return 500;
	const struct pv_member single = {.value = (struct portal_value *)v};
	for (const struct pv_member *m = v->type == PV_LIST ? v->u.c.head : &single; m;
	     m = m->next) {
		struct portal_value *item = NULL;
		int status = 0;
		if (pv_count(list) == IDS_MAX_DEFAULT)
			return invalid(req, in);
		if (m->value->type == PV_LIST)
			status = invalid(req, in);
		else if (!blank(m->value))
			status = read_scalar(req, in, m->value, &item);
		else if (in->flags & PORTAL_IN_REQUIRED)
			status = invalid(req, in);
		else
			item = pv_null(a);
		/* Text that trims to nothing is empty too. */
		if (!status && item && item->type == PV_STRING && item->u.s.len == 0)
			item = in->flags & PORTAL_IN_REQUIRED ? NULL : pv_null(a);
		if (!status && !item)
			status = in->flags & PORTAL_IN_REQUIRED ? invalid(req, in) : 500;
		if (status || (status = pv_push(a, list, item)))
			return status;
	}
	return pv_set(a, typed, in->name, list);
}

static int check_one(struct portal_req *req, const struct portal_input *in, bool json,
                     const struct portal_value *raw, struct portal_value *typed)
{
	struct portal_arena *a = req->arena;
	const struct portal_value *v = pv_get(raw, in->name);
	if (in->flags & PORTAL_IN_EACH)
		return check_each(req, in, v, typed);
	/* A scalar sent twice in a form: the last one counts, as browsers mean it. */
	bool listed = in->type == PORTAL_IN_IDS || in->type == PORTAL_IN_PROPERTIES ||
	              in->type == PORTAL_IN_STRINGS;
	if (v && v->type == PV_LIST && !listed) {
		if (json)
			return invalid(req, in);
		v = v->u.c.tail ? v->u.c.tail->value : v;
	}
	if (!v || blank(v)) {
		/* Sent empty where that cannot mean "none": text with a minimum
		 * length (a PATCH that would clear a name), and JSON's explicit
		 * null or [] on a member that is not nullable. A form's empty
		 * optional field is simply one not filled in. */
		bool emptied = v && !(in->flags & PORTAL_IN_NULLABLE) &&
		               ((in->type == PORTAL_IN_STRING && in->min > 0) ||
		                (json && v->type != PV_STRING));
		if ((in->flags & PORTAL_IN_REQUIRED) || emptied)
			return invalid(req, in);
		if (v && (in->flags & PORTAL_IN_NULLABLE))
			return pv_set(a, typed, in->name, pv_null(a));
		return 0;
	}
	struct portal_value *out = NULL;
	int status = read_scalar(req, in, v, &out);
	return status ? status : pv_set(a, typed, in->name, out);
}

/* Each kind of mail of the running plugins, as a boolean member. */
static int check_kinds(struct portal_req *req, const struct portal_input *in, bool json,
                       const struct portal_value *raw, struct portal_value *typed)
{
	const struct plugin_set *set = req->worker->plugins;
	for (size_t i = 0; i < set->notification_count; i++) {
		struct portal_input kind = {set->notifications[i].def->kind, PORTAL_IN_BOOL,
		                            in->flags};
		int status = check_one(req, &kind, json, raw, typed);
		if (status)
			return status;
	}
	return 0;
}

int input_check(struct portal_req *req, const struct portal_input *inputs)
{
	struct portal_arena *a = req->arena;
	struct portal_value *body = pv_object(a), *query = pv_object(a);
	if (!body || !query)
		return 500;
	/* The list keys are the core's (portal/list.h). */
	static const char *const list_keys[] = {"limit", "after"};
	for (size_t i = 0; i < 2; i++) {
		struct portal_value *v = pv_get(req->query, list_keys[i]);
		if (v && pv_set(a, query, list_keys[i], v))
			return 500;
	}
	bool json = body_is_json(req);
	for (const struct portal_input *in = inputs; in && in->name; in++) {
		bool from_query = in->flags & PORTAL_IN_QUERY;
		int (*check)(struct portal_req *, const struct portal_input *, bool,
		             const struct portal_value *, struct portal_value *) =
		    in->type == PORTAL_IN_NOTIFICATIONS ? check_kinds : check_one;
		int status = check(req, in, json && !from_query,
		                   from_query ? req->query : req->body, from_query ? query : body);
		if (status)
			return status;
	}
	req->body = body;
	req->query = query;
	return 0;
}

static const struct portal_value *input_of(const struct portal_req *req, const char *name)
{
	const struct portal_value *v = pv_get(req->body, name);
	return v ? v : pv_get(req->query, name);
}

const char *portal_in_str(const struct portal_req *req, const char *name)
{
	return pv_str(input_of(req, name));
}

long long portal_in_int(const struct portal_req *req, const char *name, long long dflt)
{
	const struct portal_value *v = input_of(req, name);
	long long id = v ? id_of(v) : 0;
	return v && v->type == PV_INT ? v->u.i : id ? id : dflt;
}

bool portal_in_bool(const struct portal_req *req, const char *name, bool dflt)
{
	const struct portal_value *v = input_of(req, name);
	bool b;
	return v && bool_of(v, &b) ? b : dflt;
}

long long portal_in_time(const struct portal_req *req, const char *name)
{
	long long t = portal_time_parse(portal_in_str(req, name));
	return t < 0 ? 0 : t;
}

bool portal_in_has(const struct portal_req *req, const char *name)
{
	return input_of(req, name) != NULL;
}

bool portal_in_null(const struct portal_req *req, const char *name)
{
	const struct portal_value *v = input_of(req, name);
	return v && v->type == PV_NULL;
}

const char *portal_in_patch(const struct portal_req *req, const char *name)
{
	return portal_in_null(req, name) ? "" : portal_in_str(req, name);
}

struct portal_ids portal_in_ids(const struct portal_req *req, const char *name)
{
	struct portal_ids ids = {0};
	const struct portal_value *v = input_of(req, name);
	if (!v || (v->type != PV_LIST && !is_all(v)))
		return ids;
	if (is_all(v)) {
		ids.all = true;
		return ids;
	}
	long long *out = portal_alloc(req->arena, (pv_count(v) + 1) * sizeof *out);
	if (!out)
		return ids;
	/* Only checked ids: a form handler that runs on the body as sent after a
	 * refusal finds none there. */
	pv_foreach(m, v) {
		if (m->value->type != PV_INT || m->value->u.i <= 0)
			return (struct portal_ids){0};
		out[ids.count++] = m->value->u.i;
	}
	ids.ids = out;
	return ids;
}

const struct portal_value *portal_in_each(const struct portal_req *req, const char *name)
{
	const struct portal_value *v = input_of(req, name);
	return v && v->type == PV_LIST ? v : NULL;
}

struct portal_strings portal_in_strings(const struct portal_req *req, const char *name)
{
	struct portal_strings out = {0};
	const struct portal_value *v = input_of(req, name);
	const char **items = v && v->type == PV_LIST
	                         ? portal_alloc(req->arena, (pv_count(v) + 1) * sizeof *items)
	                         : NULL;
	if (!items)
		return out;
	pv_foreach(m, v) {
		if (pv_str(m->value))
			items[out.count++] = pv_str(m->value);
	}
	out.items = items;
	return out;
}
