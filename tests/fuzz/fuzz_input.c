/* libFuzzer target for the declared inputs (portal/input.h).
 *
 * The first byte chooses how the body came (bit 0: JSON, else a form); the
 * rest is cut at the first line break into the query string and the body.
 * Each parsed request is checked against every declared input alone and
 * against all of them at once. The check may only accept or answer 422 (500
 * never: nothing here runs out of memory), and what it accepts must hold
 * what the type promises: text of its length without control characters,
 * positive ids of a checked organisation, times that parse, lower-case valid
 * addresses, and only declared members. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "http/parse.h"
#include "http/request.h"
#include "plugin/plugin.h"

/* input.c calls the SDK functions defined below, so it is compiled in here
 * rather than linked by tests/fuzz/run.sh with the pure sources. */
#include "../../core/http/input.c"

/* Properties 1..ORG_PROPERTIES are the caller's organisation's. */
#define ORG_PROPERTIES 100

static const struct parse_limits limits = {
    .max_fields = 64,
    .max_parts = 8,
    .max_name = 64,
    .max_value = 4096,
    .max_file = 4096,
    .max_depth = 16,
    .max_header = 256,
};

static const char *const colours[] = {"red", "green", NULL};

/* clang-format off */
static const struct portal_input inputs[] = {
    {"id",        PORTAL_IN_ID,            PORTAL_IN_REQUIRED, 0, 0, NULL, NULL},
    {"ids",       PORTAL_IN_IDS,           0, 0, 5, NULL, NULL},
    {"ids_all",   PORTAL_IN_IDS,           PORTAL_IN_ALL | PORTAL_IN_REQUIRED, 0, 0, NULL, NULL},
    {"props",     PORTAL_IN_PROPERTIES,    PORTAL_IN_REQUIRED, 0, 0, NULL, NULL},
    {"name",      PORTAL_IN_STRING,        PORTAL_IN_REQUIRED, 1, 20, NULL, NULL},
    {"note",      PORTAL_IN_STRING,        PORTAL_IN_NULLABLE | PORTAL_IN_MULTILINE, 0, 200, NULL, NULL},
    {"raw",       PORTAL_IN_STRING,        PORTAL_IN_VERBATIM, 0, 50, NULL, NULL},
    {"colour",    PORTAL_IN_ENUM,          0, 0, 0, colours, NULL},
    {"flag",      PORTAL_IN_BOOL,          0, 0, 0, NULL, NULL},
    {"day",       PORTAL_IN_DATE,          PORTAL_IN_NULLABLE, 0, 0, NULL, NULL},
    {"at",        PORTAL_IN_DATETIME,      0, 0, 0, NULL, NULL},
    {"email",     PORTAL_IN_EMAIL,         0, 0, 0, NULL, NULL},
    {"count",     PORTAL_IN_INT,           0, -5, 1000, NULL, NULL},
    {"tags",      PORTAL_IN_STRINGS,       0, 0, 30, NULL, NULL},
    {"mails",     PORTAL_IN_NOTIFICATIONS, 0, 0, 0, NULL, NULL},
    {"size",      PORTAL_IN_INT,           PORTAL_IN_QUERY, 1, 100, NULL, NULL},
    {"q",         PORTAL_IN_STRING,        PORTAL_IN_QUERY, 0, 40, NULL, NULL},
    {"titles",    PORTAL_IN_STRING,        PORTAL_IN_EACH, 0, 30, NULL, NULL},
    {"units",     PORTAL_IN_ID,            PORTAL_IN_EACH, 0, 0, NULL, NULL},
    {"acks",      PORTAL_IN_BOOL,          PORTAL_IN_EACH | PORTAL_IN_REQUIRED, 0, 0, NULL, NULL},
    {"kind",      PORTAL_IN_CATEGORY,      PORTAL_IN_EACH, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL},
};
/* clang-format on */

static const struct portal_notification kinds[] = {{"announcements", "l", NULL},
                                                   {"tickets", "l", NULL}};
static struct plugin_notification notifications[] = {{&kinds[0], NULL}, {&kinds[1], NULL}};
static struct plugin_set plugins = {.notifications = notifications, .notification_count = 2};
static struct portal_worker worker = {.plugins = &plugins};

static bool json_body;
static long long property_ids[1000];
static size_t property_count;

/* The SDK functions input.c calls, as the fuzzer needs them. */
const char *portal_header(const struct portal_req *req, const char *cgi_name)
{
	(void)req;
	return strcmp(cgi_name, "CONTENT_TYPE") == 0 && json_body
	           ? "application/json"
	           : "application/x-www-form-urlencoded";
}

int portal_fail(struct portal_req *req, int status, const char *code, const char *field,
                const char *message)
{
	(void)req;
	if (status != 422 || !code || !field || !message)
		abort();
	return status;
}

struct portal_db_arg portal_db_ids(struct portal_req *req, const long long *ids, size_t count)
{
	(void)req;
	if (count > sizeof property_ids / sizeof *property_ids)
		abort();
	memcpy(property_ids, ids, count * sizeof *ids);
	property_count = count;
	return PDB_I(0);
}

/* The organisation's categories (portal/categories.h): two of its own. */
static const char *const categories[] = {"Hausordnung", "Mietvertrag", NULL};

int portal_category_known(struct portal_req *req, const char *name, bool *known)
{
	(void)req;
	*known = false;
	for (size_t i = 0; categories[i]; i++)
		*known |= strcmp(categories[i], name) == 0;
	return 0;
}

/* The count query of properties_of_org, answered from the ids it bound. */
int portal_db_one(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                  size_t nargs, struct portal_value **row)
{
	(void)sql, (void)args, (void)nargs;
	long long n = 0;
	for (size_t i = 0; i < property_count; i++)
		n += property_ids[i] <= ORG_PROPERTIES;
	*row = pv_object(req->arena);
	if (!*row || pv_set_int(req->arena, *row, "n", n))
		abort();
	return 0;
}

/* The input of table that made the member name: its own, or for a kind of
 * mail the NOTIFICATIONS one (as a boolean). */
static const struct portal_input *declared(const struct portal_input *table, const char *name,
                                           struct portal_input *kind)
{
	for (const struct portal_input *in = table; in->name; in++) {
		if (strcmp(in->name, name) == 0)
			return in;
		for (size_t i = 0; in->type == PORTAL_IN_NOTIFICATIONS && i < 2; i++) {
			if (strcmp(kinds[i].kind, name) == 0) {
				*kind = (struct portal_input){name, PORTAL_IN_BOOL, in->flags, 0,
				                              0,    NULL,           NULL};
				return kind;
			}
		}
	}
	return NULL;
}

static void check_text(const struct portal_input *in, const char *s)
{
	size_t n = portal_utf8_chars(s);
	if ((long long)n < in->min || (long long)n > in->max)
		abort();
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		bool line_break = c == '\n' || c == '\r' || c == '\t';
		if ((c < 0x20 && !(line_break && (in->flags & PORTAL_IN_MULTILINE))) || c == 0x7f)
			abort();
	}
}

static void check_value(const struct portal_req *req, const struct portal_input *in,
                        const struct portal_value *v);

/* What the check left for one member holds what its type promises. */
static void check_member(const struct portal_req *req, const struct portal_input *in,
                         const struct portal_value *v)
{
	if (in->flags & PORTAL_IN_EACH) {
		/* A list of at most 1000 items, each typed, or null where it was
		 * empty (never with REQUIRED). */
		if (v->type != PV_LIST || pv_count(v) > IDS_MAX_DEFAULT ||
		    portal_in_each(req, in->name) != v)
			abort();
		pv_foreach(m, v) {
			if (m->value->type != PV_NULL)
				check_value(req, in, m->value);
			else if (in->flags & PORTAL_IN_REQUIRED)
				abort();
		}
		return;
	}
	if (v->type == PV_NULL) {
		if (!(in->flags & PORTAL_IN_NULLABLE))
			abort();
		return;
	}
	check_value(req, in, v);
}

/* A value that is not null holds what the type of in promises. */
static void check_value(const struct portal_req *req, const struct portal_input *in,
                        const struct portal_value *v)
{
	const char *s = pv_str(v);
	switch (in->type) {
	case PORTAL_IN_ID:
		if (v->type != PV_INT || v->u.i <= 0)
			abort();
		break;
	case PORTAL_IN_INT:
		if (v->type != PV_INT || v->u.i < in->min || v->u.i > in->max)
			abort();
		break;
	case PORTAL_IN_NOTIFICATIONS: abort(); /* stands for its kinds */
	case PORTAL_IN_BOOL:
		if (v->type != PV_BOOL)
			abort();
		break;
	case PORTAL_IN_STRING:
		if (!s)
			abort();
		check_text(in, s);
		break;
	case PORTAL_IN_STRINGS: {
		struct portal_strings list = portal_in_strings(req, in->name);
		if (list.count != pv_count(v) || (in->flags & PORTAL_IN_REQUIRED && !list.count))
			abort();
		for (size_t i = 0; i < list.count; i++) {
			if (!list.items[i][0])
				abort();
			check_text(in, list.items[i]);
		}
		break;
	}
	case PORTAL_IN_ENUM:
		if (!s || (strcmp(s, "red") && strcmp(s, "green")))
			abort();
		break;
	case PORTAL_IN_CATEGORY:
		if (!s || (strcmp(s, categories[0]) && strcmp(s, categories[1])))
			abort();
		break;
	case PORTAL_IN_DATE:
		if (!s || strlen(s) != 10 ||
		    portal_time_parse(portal_sprintf(req->arena, "%sT00:00:00Z", s)) < 0)
			abort();
		break;
	case PORTAL_IN_DATETIME:
		if (!s || portal_time_parse(s) < 0)
			abort();
		break;
	case PORTAL_IN_EMAIL:
		if (!s || !portal_email_valid(s))
			abort();
		for (const char *p = s; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
		break;
	case PORTAL_IN_IDS:
	case PORTAL_IN_PROPERTIES: {
		struct portal_ids ids = portal_in_ids(req, in->name);
		if (ids.all) {
			if (in->type == PORTAL_IN_IDS && !(in->flags & PORTAL_IN_ALL))
				abort();
			break;
		}
		size_t max = in->max > 0 ? (size_t)in->max : IDS_MAX_DEFAULT;
		if (ids.count != pv_count(v) || ids.count > max ||
		    (in->flags & PORTAL_IN_REQUIRED && !ids.count))
			abort();
		for (size_t i = 0; i < ids.count; i++) {
			if (ids.ids[i] <= 0 ||
			    (in->type == PORTAL_IN_PROPERTIES && ids.ids[i] > ORG_PROPERTIES))
				abort();
			for (size_t j = 0; j < i; j++)
				if (ids.ids[i] == ids.ids[j])
					abort();
		}
		break;
	}
	}
}

/* The members accepted, each declared by table; of the query also the
 * list keys, which input_check passes on as sent for portal_list_page. */
static void check_accepted(const struct portal_req *req, const struct portal_value *members,
                           const struct portal_input *table, bool query)
{
	pv_foreach(m, members) {
		struct portal_input kind;
		const struct portal_input *in = declared(table, m->key, &kind);
		if (query && (!strcmp(m->key, "limit") || !strcmp(m->key, "after")))
			continue;
		if (!in)
			abort();
		check_member(req, in, m->value);
	}
	struct buf b = {0};
	if (json_render(members, &b))
		abort();
	buf_free(&b);
}

/* Checks a copy of the parsed request against inputs (terminated by name NULL). */
static void check(struct portal_arena *a, struct portal_value *query, struct portal_value *body,
                  const struct portal_input *only)
{
	struct portal_input one[2] = {{0}};
	const struct portal_input *table = inputs;
	if (only) {
		one[0] = *only;
		table = one;
	}
	struct portal_req req = {.arena = a, .query = query, .body = body, .worker = &worker};
	req.caller.org_id = 1;
	int status = input_check(&req, table);
	if (status == 422) {
		if (req.query != query || req.body != body) /* refused: left as sent */
			abort();
		return;
	}
	if (status != 0)
		abort();
	check_accepted(&req, req.body, table, false);
	check_accepted(&req, req.query, table, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	json_body = data[0] & 1;
	const char *rest = (const char *)data + 1;
	size_t len = size - 1;
	const char *cut = memchr(rest, '\n', len);
	size_t qlen = cut ? (size_t)(cut - rest) : 0;
	const char *body_text = cut ? cut + 1 : rest;
	size_t blen = len - (size_t)(body_text - rest);

	struct portal_arena *a = arena_new(4 << 20);
	struct portal_value *query = a ? pv_object(a) : NULL, *body = a ? pv_object(a) : NULL;
	const char *why = NULL;
	if (!query || !body)
		abort();
	if (form_parse(a, rest, qlen, &limits, query, &why) ||
	    (json_body ? json_parse(a, body_text, blen, &limits, &body, &why)
	               : form_parse(a, body_text, blen, &limits, body, &why))) {
		arena_free(a);
		return 0;
	}
	for (const struct portal_input *in = inputs; in->name; in++)
		check(a, query, body, in);
	check(a, query, body, NULL);
	arena_free(a);
	return 0;
}
