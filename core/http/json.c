#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "http/parse.h"

/* ---- numbers, independent of the process locale ----
 * strtod and printf follow LC_NUMERIC: under a German locale "1.5" would stop at
 * the dot and 1.5 would print as "1,5". JSON numbers always use a dot. */

static locale_t c_locale(void)
{
	static locale_t c;

	if (!c)
		c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	return c; /* (locale_t)0 when that failed: then the process locale is used */
}

static double c_strtod(const char *s, char **end)
{
	locale_t c = c_locale();
	return c ? strtod_l(s, end, c) : strtod(s, end);
}

/* ---- parsing ---- */

/* An open object or list, innermost first. */
struct frame {
	struct portal_value *container;
	char *key; /* the object's pending member name, NULL between members */
	struct frame *up;
};

struct json_ctx {
	struct portal_arena *a;
	const struct parse_limits *lim;
	struct portal_value *root;
	struct frame *top, *spare; /* spare: popped frames, reused */
	size_t depth, members;
	int status;
	const char *why;
};

static int stop(struct json_ctx *c, int status, const char *why)
{
	c->status = status;
	c->why = why;
	return 0; /* to yajl: cancel */
}

static int out_of_memory(struct json_ctx *c)
{
	return stop(c, 413, "JSON body exceeds the request's memory");
}

/* Appends without pv_set's search: the key's uniqueness was checked when yajl
 * handed it over, and a second search would make big objects quadratic twice. */
static int member_append(struct portal_arena *a, struct portal_value *c, char *key,
                         struct portal_value *v)
{
	struct pv_member *m = portal_alloc(a, sizeof *m);
	if (!m)
		return -1;
	m->key = key;
	m->value = v;
	if (c->u.c.tail)
		c->u.c.tail->next = m;
	else
		c->u.c.head = m;
	c->u.c.tail = m;
	c->u.c.count++;
	return 0;
}

/* Puts v where the parser stands: into the open container, or as the root. */
static int add_value(struct json_ctx *c, struct portal_value *v)
{
	if (!v)
		return out_of_memory(c);
	if (!c->top) {
		if (v->type != PV_OBJECT)
			return stop(c, 400, "JSON body must be an object");
		c->root = v;
		return 1;
	}
	if (c->members == c->lim->max_fields)
		return stop(c, 413, "too many members in JSON body");
	c->members++;
	struct frame *f = c->top;
	if (member_append(c->a, f->container, f->key, v))
		return out_of_memory(c);
	f->key = NULL;
	return 1;
}

/* Strings reach the value tree only as well-formed UTF-8 without NUL: yajl's own
 * check lets overlongs and surrogates through, and "\u0000" decodes to a NUL
 * that would cut the C string short of its length. */
static int check_string(struct json_ctx *c, const unsigned char *s, size_t len, size_t max)
{
	if (len > max)
		return stop(c, 413, "JSON string too long");
	if (memchr(s, '\0', len))
		return stop(c, 400, "NUL character in JSON string");
	if (!utf8_valid((const char *)s, len))
		return stop(c, 400, "JSON string is not valid UTF-8");
	return 1;
}

static int on_null(void *ctx)
{
	struct json_ctx *c = ctx;
	return add_value(c, pv_null(c->a));
}

static int on_boolean(void *ctx, int b)
{
	struct json_ctx *c = ctx;
	return add_value(c, pv_bool(c->a, b != 0));
}

/* yajl hands over the number's text (a valid JSON number): an integer that fits
 * a long long stays exact, anything else becomes a double. */
static int on_number(void *ctx, const char *s, size_t len)
{
	struct json_ctx *c = ctx;
	char small[64];
	char *text = small;

	if (len >= sizeof small) {
		text = portal_strndup(c->a, s, len);
		if (!text)
			return out_of_memory(c);
	} else {
		memcpy(small, s, len);
		small[len] = '\0';
	}
	if (!strpbrk(text, ".eE")) {
		errno = 0;
		long long i = strtoll(text, NULL, 10);
		if (errno == 0)
			return add_value(c, pv_int(c->a, i));
	}
	double d = c_strtod(text, NULL);
	if (!isfinite(d))
		return stop(c, 400, "JSON number out of range");
	return add_value(c, pv_double(c->a, d));
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
	struct json_ctx *c = ctx;
	if (!check_string(c, s, len, c->lim->max_value))
		return 0;
	return add_value(c, pv_stringn(c->a, (const char *)s, len));
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct json_ctx *c = ctx;
	if (!check_string(c, s, len, c->lim->max_name))
		return 0;
	char *key = portal_strndup(c->a, (const char *)s, len);
	if (!key)
		return out_of_memory(c);
	if (pv_get(c->top->container, key))
		return stop(c, 400, "duplicate key in JSON object");
	c->top->key = key;
	return 1;
}

static int open_container(struct json_ctx *c, struct portal_value *v)
{
	if (c->depth == c->lim->max_depth)
		return stop(c, 413, "JSON body nested too deeply");
	if (!add_value(c, v))
		return 0;
	struct frame *f = c->spare;
	if (f)
		c->spare = f->up;
	else if (!(f = portal_alloc(c->a, sizeof *f)))
		return out_of_memory(c);
	f->container = v;
	f->key = NULL;
	f->up = c->top;
	c->top = f;
	c->depth++;
	return 1;
}

static int close_container(void *ctx)
{
	struct json_ctx *c = ctx;
	struct frame *f = c->top;

	c->top = f->up;
	f->up = c->spare;
	c->spare = f;
	c->depth--;
	return 1;
}

static int on_start_map(void *ctx)
{
	struct json_ctx *c = ctx;
	return open_container(c, pv_object(c->a));
}

static int on_start_array(void *ctx)
{
	struct json_ctx *c = ctx;
	return open_container(c, pv_list(c->a));
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_boolean,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = close_container,
    .yajl_start_array = on_start_array,
    .yajl_end_array = close_container,
};

int json_parse(struct portal_arena *a, const char *s, size_t len, const struct parse_limits *lim,
               struct portal_value **out, const char **why)
{
	struct json_ctx c = {.a = a, .lim = lim};
	yajl_handle h = yajl_alloc(&callbacks, NULL, &c);
	yajl_status st;

	if (!h) {
		c.status = 500;
		c.why = "out of memory";
		goto done;
	}
	/* Every option stays off: strings are validated, comments, trailing garbage,
	 * several values and partial values are errors. */
	st = yajl_parse(h, (const unsigned char *)(s ? s : ""), len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok && !c.status) {
		c.status = 400;
		c.why = "malformed JSON";
	}
	if (!c.status && !c.root) {
		c.status = 400;
		c.why = "JSON body must be an object";
	}
	yajl_free(h);
done:
	if (c.status) {
		if (why)
			*why = c.why;
		return c.status;
	}
	*out = c.root;
	return 0;
}

/* ---- rendering ---- */

/* The shortest of %.15g..%.17g that reads back as the same double, with ".0"
 * added to integral values so that they read back as doubles too. */
static int format_double(double d, char *dst, size_t size)
{
	locale_t c = c_locale();
	locale_t old = c ? uselocale(c) : (locale_t)0;
	int n = 0;

	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(dst, size, "%.*g", prec, d);
		if (n < 0 || (size_t)n >= size)
			break;
		if (c_strtod(dst, NULL) == d)
			break;
	}
	if (old)
		uselocale(old);
	if (n < 0 || (size_t)n + 2 >= size)
		return -1;
	if (strspn(dst, "-0123456789") == (size_t)n)
		memcpy(dst + n, ".0", 3);
	return 0;
}

static int gen_string(yajl_gen g, const char *s, size_t len)
{
	/* yajl_gen_validate_utf8 only checks the shape of sequences: ours also
	 * refuses overlongs, surrogates and code points past U+10FFFF. */
	if (!s || !utf8_valid(s, len))
		return -1;
	return yajl_gen_string(g, (const unsigned char *)s, len) == yajl_gen_status_ok ? 0 : -1;
}

static int gen_value(yajl_gen g, const struct portal_value *v);

static int gen_container(yajl_gen g, const struct portal_value *v)
{
	bool object = v->type == PV_OBJECT;
	yajl_gen_status st = object ? yajl_gen_map_open(g) : yajl_gen_array_open(g);

	/* yajl stops at a depth of 128, which also bounds this recursion. */
	if (st != yajl_gen_status_ok)
		return -1;
	pv_foreach(m, v) {
		if (object && (!m->key || gen_string(g, m->key, strlen(m->key))))
			return -1;
		if (gen_value(g, m->value))
			return -1;
	}
	st = object ? yajl_gen_map_close(g) : yajl_gen_array_close(g);
	return st == yajl_gen_status_ok ? 0 : -1;
}

static int gen_value(yajl_gen g, const struct portal_value *v)
{
	char num[64];
	yajl_gen_status st;

	if (!v)
		return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
	switch (v->type) {
	case PV_NULL: st = yajl_gen_null(g); break;
	case PV_BOOL: st = yajl_gen_bool(g, v->u.b); break;
	case PV_INT: st = yajl_gen_integer(g, v->u.i); break;
	case PV_DOUBLE:
		if (!isfinite(v->u.d)) {
			st = yajl_gen_null(g); /* JSON has no NaN or infinity */
			break;
		}
		if (format_double(v->u.d, num, sizeof num))
			return -1;
		st = yajl_gen_number(g, num, strlen(num));
		break;
	case PV_STRING: return gen_string(g, v->u.s.ptr, v->u.s.len);
	case PV_LIST:
	case PV_OBJECT: return gen_container(g, v);
	default: return -1;
	}
	return st == yajl_gen_status_ok ? 0 : -1;
}

/* Copies JSON text into out with U+2028 and U+2029 escaped: JavaScript before
 * ES2019 ends a line there, which breaks JSON embedded in a script. The text is
 * valid UTF-8, so those byte sequences can only be the two characters. */
static int append_escaped(struct buf *out, const unsigned char *s, size_t len)
{
	size_t from = 0;

	for (size_t i = 0; i + 2 < len; i++) {
		if (s[i] != 0xE2 || s[i + 1] != 0x80 || (s[i + 2] != 0xA8 && s[i + 2] != 0xA9))
			continue;
		if (buf_append(out, s + from, i - from) ||
		    buf_puts(out, s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029"))
			return -1;
		i += 2;
		from = i + 1;
	}
	return buf_append(out, s + from, len - from);
}

int json_render(const struct portal_value *v, struct buf *out)
{
	size_t start = out->len;
	const unsigned char *text;
	size_t len;
	int rc = -1;
	yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		return -1;
	if (!yajl_gen_config(g, yajl_gen_beautify, 0) ||
	    !yajl_gen_config(g, yajl_gen_validate_utf8, 1) ||
	    !yajl_gen_config(g, yajl_gen_escape_solidus, 1))
		goto done;
	if (gen_value(g, v))
		goto done;
	if (yajl_gen_get_buf(g, &text, &len) != yajl_gen_status_ok)
		goto done;
	rc = append_escaped(out, text, len);
done:
	yajl_gen_free(g);
	if (rc && out->data) {
		out->len = start; /* nothing half-written stays behind */
		out->data[start] = '\0';
	}
	return rc;
}
