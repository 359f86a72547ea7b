#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "http/parse.h"
#include "lib/value.h"

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
	pv_link(c, m);
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

/* yajl's generator stopped at this depth of containers; the writer keeps its
 * limit, which also bounds the recursion. */
#define RENDER_DEPTH_MAX 128

/* What an ASCII byte becomes inside a JSON string: 0 itself, else the
 * character after the backslash ('u': \u00XX). "/" is escaped so that "</"
 * never appears; the escapes are yajl's, whose output this keeps byte for byte. */
static const char escapes[128] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b',         't',         'n',           'u',
    'f', 'r', 'u', 'u', 'u', 'u', 'u', 'u', 'u',         'u',         'u',           'u',
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', ['"'] = '"', ['/'] = '/', ['\\'] = '\\',
};

/* Input bytes of a string that one reservation of room covers: each becomes
 * at most 6 bytes of output (\u00XX), so a long string never asks for six
 * times its length at once. */
#define STRING_CHUNK 4096

/* Appends n bytes: most writes are a few bytes into room already there. */
static int put_bytes(struct buf *out, const char *p, size_t n)
{
	if (out->cap - out->len <= n)
		return buf_append(out, p, n);
	memcpy(out->data + out->len, p, n);
	out->len += n;
	return 0;
}

static char *put_escape(char *d, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	*d++ = '\\';
	*d++ = escapes[c];
	if (escapes[c] == 'u') {
		memcpy(d, "00", 2);
		d[2] = hex[c >> 4];
		d[3] = hex[c & 15];
		d += 4;
	}
	return d;
}

/* Whether eight bytes are all ASCII that stays as it is: none below 0x20,
 * none of '"', '/' and '\\', none of 0x80 and above. Text is mostly such
 * runs, copied a word at a time. (v - ones) & ~v has the high bit of a byte
 * set where v has a zero byte, (x - 0x20 each) & ~x where x has one below 0x20. */
static bool word_plain(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
	uint64_t quote = x ^ (ones * '"'), solidus = x ^ (ones * '/'),
	         backslash = x ^ (ones * '\\');
	uint64_t special = ((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) |
	                   ((solidus - ones) & ~solidus) | ((backslash - ones) & ~backslash) | x;
	return (special & high) == 0;
}

/* Bytes s[*i..] up to about STRING_CHUNK of them, escaped into reserved room
 * at d; returns the end of what it wrote, NULL on invalid UTF-8 (overlongs,
 * surrogates and code points past U+10FFFF too). U+2028 and U+2029 are
 * escaped: JavaScript before ES2019 ends a line there, which breaks JSON
 * embedded in a script. */
static char *put_chunk(char *d, const unsigned char *s, size_t len, size_t *i)
{
	size_t k = *i, end = len - k > STRING_CHUNK ? k + STRING_CHUNK : len;

	while (k < end) {
		/* The chunk's last bytes are checked as a word too, filled up
		 * with a plain byte; all of the word fits the room (6 bytes a
		 * byte of input), what is past the string's bytes is written
		 * over or left behind the end. */
		uint64_t word = 0x0101010101010101u * 'a';
		size_t some = end - k < sizeof word ? end - k : sizeof word;
		memcpy(&word, s + k, some);
		if (word_plain(word)) {
			memcpy(d, &word, sizeof word);
			d += some;
			k += some;
			continue;
		}
		unsigned char c = s[k];
		if (c < 0x80) {
			if (escapes[c])
				d = put_escape(d, c);
			else
				*d++ = (char)c;
			k++;
			continue;
		}
		/* a character may end past end: the room has 6 bytes to spare */
		size_t n = utf8_char_len(s + k, len - k);
		if (n == 0)
			return NULL;
		if (n == 3 && c == 0xE2 && s[k + 1] == 0x80 && (s[k + 2] & 0xFE) == 0xA8) {
			memcpy(d, s[k + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
			d += 6;
		} else {
			memcpy(d, s + k, n);
			d += n;
		}
		k += n;
	}
	*i = k;
	return d;
}

/* A string in quotes, written straight into the buffer's room. */
static int put_string(struct buf *out, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	if (!s)
		return -1;
	do {
		size_t chunk = len - i > STRING_CHUNK ? STRING_CHUNK : len - i;
		/* 6 bytes out per byte in, 6 spare for a character across the
		 * chunk's end, and both quotes */
		if (buf_reserve(out, 6 * chunk + 8))
			return -1;
		char *start = out->data + out->len, *d = start;
		if (i == 0)
			*d++ = '"';
		if (!(d = put_chunk(d, s, len, &i)))
			return -1;
		if (i == len)
			*d++ = '"';
		out->len += (size_t)(d - start);
	} while (i < len);
	return 0;
}

static int put_int(struct buf *out, long long i)
{
	char digits[24], *p = digits + sizeof digits;
	unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		*--p = '-';
	return put_bytes(out, p, (size_t)(digits + sizeof digits - p));
}

/* A render's member names already written, each in the slot its address
 * picks: the objects of a list share their names (a database row's keys are
 * its statement's), so most names are a copy of their first writing. */
#define KEY_SLOTS 64

struct writer {
	struct buf *out;
	struct {
		const char *key;
		size_t at, len; /* where in out its quoted, escaped text and ':' are */
	} keys[KEY_SLOTS];
};

static int put_key(struct writer *w, const char *key)
{
	struct buf *out = w->out;
	uintptr_t address = (uintptr_t)key;
	size_t slot = (size_t)((address >> 4) ^ (address >> 10)) % KEY_SLOTS;

	if (w->keys[slot].key == key) {
		size_t len = w->keys[slot].len;
		if (buf_reserve(out, len))
			return -1;
		memcpy(out->data + out->len, out->data + w->keys[slot].at, len);
		out->len += len;
		return 0;
	}
	size_t at = out->len;
	if (put_string(out, key, strlen(key)) || put_bytes(out, ":", 1))
		return -1;
	w->keys[slot].key = key;
	w->keys[slot].at = at;
	w->keys[slot].len = out->len - at;
	return 0;
}

static int put_value(struct writer *w, const struct portal_value *v, int depth);

static int put_container(struct writer *w, const struct portal_value *v, int depth)
{
	bool object = v->type == PV_OBJECT;

	if (depth + 1 >= RENDER_DEPTH_MAX || put_bytes(w->out, object ? "{" : "[", 1))
		return -1;
	pv_foreach(m, v) {
		if (m != v->u.c.head && put_bytes(w->out, ",", 1))
			return -1;
		if (object && (!m->key || put_key(w, m->key)))
			return -1;
		if (put_value(w, m->value, depth + 1))
			return -1;
	}
	return put_bytes(w->out, object ? "}" : "]", 1);
}

static int put_value(struct writer *w, const struct portal_value *v, int depth)
{
	struct buf *out = w->out;
	char num[64];

	if (!v)
		return put_bytes(out, "null", 4);
	switch (v->type) {
	case PV_NULL: return put_bytes(out, "null", 4);
	case PV_BOOL: return v->u.b ? put_bytes(out, "true", 4) : put_bytes(out, "false", 5);
	case PV_INT: return put_int(out, v->u.i);
	case PV_DOUBLE:
		if (!isfinite(v->u.d)) /* JSON has no NaN or infinity */
			return put_bytes(out, "null", 4);
		return format_double(v->u.d, num, sizeof num) ? -1
		                                              : put_bytes(out, num, strlen(num));
	case PV_STRING: return put_string(out, v->u.s.ptr, v->u.s.len);
	case PV_LIST:
	case PV_OBJECT: return put_container(w, v, depth);
	}
	return -1;
}

/* The writers fill the buffer's room without its NUL, which is written
 * once at the end. */
int json_render(const struct portal_value *v, struct buf *out)
{
	struct writer w = {.out = out};
	size_t start = out->len;
	int rc = out->failed ? -1 : put_value(&w, v, 0);

	if (rc)
		out->len = start; /* nothing half-written stays behind */
	if (out->data)
		out->data[out->len] = '\0';
	return rc;
}
