/* The request-input parsers: UTF-8, forms, cookies, JSON and multipart. */
#include <dirent.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/value.h"
#include "harness.h"
#include "http/parse.h"

static const struct parse_limits limits = {
    .max_fields = 100,
    .max_parts = 20,
    .max_name = 64,
    .max_value = 4096,
    .max_file = 1 << 20,
    .max_depth = 16,
    .max_header = 1024,
};

static struct portal_arena *new_arena(void)
{
	struct portal_arena *a = arena_new(64 << 20);
	if (!a) {
		fprintf(stderr, "out of memory\n");
		abort();
	}
	return a;
}

/* ---- UTF-8 ---- */

static bool valid(const char *s)
{
	return utf8_valid(s, strlen(s));
}

static void test_utf8(void)
{
	CHECK(utf8_valid("", 0));
	CHECK(utf8_valid(NULL, 0));
	CHECK(valid("plain ASCII"));
	CHECK(valid("\xC3\xA9"));         /* é */
	CHECK(valid("\xE2\x82\xAC"));     /* € */
	CHECK(valid("\xF0\x9D\x84\x9E")); /* U+1D11E */
	CHECK(valid("\xF4\x8F\xBF\xBF")); /* U+10FFFF */
	CHECK(valid("\xED\x9F\xBF"));     /* U+D7FF, just below the surrogates */
	CHECK(valid("\xEE\x80\x80"));     /* U+E000, just above */
	CHECK(valid("\xC2\x80"));         /* U+0080, the smallest 2-byte form */
	CHECK(valid("\xE0\xA0\x80"));     /* U+0800 */
	CHECK(valid("\xF0\x90\x80\x80")); /* U+10000 */
	CHECK(utf8_valid("a\0b", 3));     /* NUL is well-formed */

	/* overlong forms */
	CHECK(!valid("\xC0\x80"));
	CHECK(!valid("\xC1\xBF"));
	CHECK(!valid("\xE0\x80\x80"));
	CHECK(!valid("\xE0\x9F\xBF"));
	CHECK(!valid("\xF0\x80\x80\x80"));
	CHECK(!valid("\xF0\x8F\xBF\xBF"));
	/* surrogates */
	CHECK(!valid("\xED\xA0\x80"));
	CHECK(!valid("\xED\xBF\xBF"));
	CHECK(!valid("\xED\xA0\xBD\xED\xB8\x80")); /* a CESU-8 pair */
	/* past U+10FFFF */
	CHECK(!valid("\xF4\x90\x80\x80"));
	CHECK(!valid("\xF5\x80\x80\x80"));
	CHECK(!valid("\xF8\x88\x80\x80\x80"));
	CHECK(!valid("\xFF"));
	CHECK(!valid("\xFE"));
	/* truncated sequences and stray continuations */
	CHECK(!valid("\xC3"));
	CHECK(!valid("\xE2\x82"));
	CHECK(!valid("\xF0\x9D\x84"));
	CHECK(!valid("a\xE2"));
	CHECK(!utf8_valid("\xE2\x82\xAC", 2));
	CHECK(!valid("\x80"));
	CHECK(!valid("\xBF"));
	CHECK(!valid("\xE2\x28\xA1"));
	CHECK(!valid("\xC3\x28"));
	CHECK(!valid("\xF0\x9D\x84\x28"));
}

/* ---- forms ---- */

static int form(struct portal_arena *a, const char *s, const struct parse_limits *lim,
                struct portal_value **obj)
{
	const char *why = NULL;
	*obj = pv_object(a);
	int rc = form_parse(a, s, strlen(s), lim, *obj, &why);
	if (rc && !why)
		return -1; /* a failure must say why */
	return rc;
}

static int form_status(const char *s, const struct parse_limits *lim)
{
	struct portal_arena *a = new_arena();
	struct portal_value *obj;
	int rc = form(a, s, lim, &obj);
	arena_free(a);
	return rc;
}

static const char *item(const struct portal_value *list, size_t i)
{
	if (!list || list->type != PV_LIST)
		return NULL;
	pv_foreach(m, list) {
		if (i-- == 0)
			return m->value->type == PV_STRING ? m->value->u.s.ptr : NULL;
	}
	return NULL;
}

static void test_form(void)
{
	struct portal_arena *a = new_arena();
	struct portal_value *obj;
	const char *why = NULL;

	CHECK(form(a, "a=1&b=hello+world&c=%41%42%e2%82%AC&d=%2B%26%3D&a+b=x", &limits, &obj) == 0);
	CHECK_STR(pv_get_str(obj, "a"), "1");
	CHECK_STR(pv_get_str(obj, "b"), "hello world");
	CHECK_STR(pv_get_str(obj, "c"), "AB\xE2\x82\xAC");
	CHECK_STR(pv_get_str(obj, "d"), "+&=");
	CHECK_STR(pv_get_str(obj, "a b"), "x");

	CHECK(form(a, "x=1&y=only&x=2&x=3", &limits, &obj) == 0);
	struct portal_value *x = pv_get(obj, "x");
	CHECK(x && x->type == PV_LIST && x->u.c.count == 3);
	CHECK_STR(item(x, 0), "1");
	CHECK_STR(item(x, 1), "2");
	CHECK_STR(item(x, 2), "3");
	CHECK_STR(pv_get_str(obj, "y"), "only");
	CHECK(obj->u.c.count == 2);

	/* empty names and pairs are skipped, a name without '=' has an empty value */
	CHECK(form(a, "=1&&a=2&&flag&", &limits, &obj) == 0);
	CHECK(obj->u.c.count == 2);
	CHECK_STR(pv_get_str(obj, "a"), "2");
	CHECK_STR(pv_get_str(obj, "flag"), "");
	CHECK(form(a, "", &limits, &obj) == 0 && obj->u.c.count == 0);
	CHECK(form_parse(a, NULL, 0, &limits, obj, &why) == 0);
	CHECK(form(a, "a=b=c", &limits, &obj) == 0);
	CHECK_STR(pv_get_str(obj, "a"), "b=c");

	/* bad escapes */
	CHECK(form_status("a=%", &limits) == 400);
	CHECK(form_status("a=%4", &limits) == 400);
	CHECK(form_status("a=%zz", &limits) == 400);
	CHECK(form_status("a=%4g&b=1", &limits) == 400);
	CHECK(form_status("%g1=x", &limits) == 400);
	CHECK(form_status("a=1&b=%%41", &limits) == 400);

	/* invalid UTF-8 after decoding, and NUL */
	CHECK(form_status("a=%C3%28", &limits) == 400);
	CHECK(form_status("%FF=1", &limits) == 400);
	CHECK(form_status("a=%ED%A0%80", &limits) == 400);
	CHECK(form_status("a=%C0%80", &limits) == 400);
	CHECK(form_status("a=\xC3", &limits) == 400);
	CHECK(form_status("a=%00", &limits) == 400);
	CHECK(form_status("a%00b=1", &limits) == 400);
	CHECK(form_status("a=%C3%A9", &limits) == 0);

	/* limits */
	struct parse_limits lim = limits;
	lim.max_fields = 2;
	CHECK(form_status("a=1&b=2", &lim) == 0);
	CHECK(form_status("a=1&b=2&c=3", &lim) == 413);
	CHECK(form_status("a=1&a=2&a=3", &lim) == 413);
	CHECK(form_status("a=1&&&&=x&b=2", &lim) == 0);
	lim = limits;
	lim.max_name = 4;
	CHECK(form_status("abcd=1", &lim) == 0);
	CHECK(form_status("%41%42%43%44=1", &lim) == 0); /* counted once decoded */
	CHECK(form_status("abcde=1", &lim) == 413);
	lim = limits;
	lim.max_value = 5;
	CHECK(form_status("a=12345", &lim) == 0);
	CHECK(form_status("a=%31%32%33%34%35", &lim) == 0);
	CHECK(form_status("a=123456", &lim) == 413);

	why = NULL;
	obj = pv_object(a);
	CHECK(form_parse(a, "a=%", 3, &limits, obj, &why) == 400 && why);

	/* a tiny arena: exhaustion is a 413, never a crash */
	struct portal_arena *small = arena_new(512);
	const char *many =
	    "aaaaaaaaaaaaaaaa=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "&c=dddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	    "&e=dddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	    "&f=dddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	    "&g=dddddddddddddddddddddddddddddddddddddddddddddddddddddd";
	obj = pv_object(small);
	CHECK(obj && form_parse(small, many, strlen(many), &limits, obj, &why) == 413);
	arena_free(small);
	arena_free(a);
}

/* ---- cookies ---- */

static void test_cookies(void)
{
	struct portal_arena *a = new_arena();
	struct portal_value *obj = pv_object(a);

	CHECK(cookies_parse(a, "a=1; b=2", obj) == 0);
	CHECK_STR(pv_get_str(obj, "a"), "1");
	CHECK_STR(pv_get_str(obj, "b"), "2");
	CHECK(obj->u.c.count == 2);

	obj = pv_object(a);
	CHECK(cookies_parse(a, "sid=first; sid=second;lang=en;  c = 3 ;q=\"quoted\";tok=a=b",
	                    obj) == 0);
	CHECK_STR(pv_get_str(obj, "sid"), "first");
	CHECK_STR(pv_get_str(obj, "lang"), "en");
	CHECK_STR(pv_get_str(obj, "c"), "3");
	CHECK_STR(pv_get_str(obj, "q"), "quoted");
	CHECK_STR(pv_get_str(obj, "tok"), "a=b");

	obj = pv_object(a);
	CHECK(cookies_parse(a,
	                    "novalue; =x; good=1; bad name=2; ctl=a\x01; utf=\xC3\x28; "
	                    "sl/sh=1;;; empty=",
	                    obj) == 0);
	CHECK(obj->u.c.count == 2);
	CHECK_STR(pv_get_str(obj, "good"), "1");
	CHECK_STR(pv_get_str(obj, "empty"), "");

	obj = pv_object(a);
	CHECK(cookies_parse(a, "", obj) == 0 && obj->u.c.count == 0);
	CHECK(cookies_parse(a, NULL, obj) == 0 && obj->u.c.count == 0);
	CHECK(cookies_parse(a, ";;; ;", obj) == 0 && obj->u.c.count == 0);
	CHECK(cookies_parse(a, "u=gr\xC3\xBC\xC3\x9F", obj) == 0);
	CHECK_STR(pv_get_str(obj, "u"), "gr\xC3\xBC\xC3\x9F");

	struct portal_arena *small = arena_new(256);
	obj = pv_object(small);
	CHECK(cookies_parse(small,
	                    "a=1111111111111111111111111111111111111111111111111111111; "
	                    "b=1111111111111111111111111111111111111111111111111111111; "
	                    "c=1111111111111111111111111111111111111111111111111111111; "
	                    "d=1111111111111111111111111111111111111111111111111111111",
	                    obj) == -1);
	arena_free(small);
	arena_free(a);
}

/* ---- JSON ---- */

static int json(struct portal_arena *a, const char *s, const struct parse_limits *lim,
                struct portal_value **out)
{
	const char *why = NULL;
	*out = NULL;
	int rc = json_parse(a, s, strlen(s), lim, out, &why);
	if (rc && !why)
		return -1;
	if (!rc && (!*out || (*out)->type != PV_OBJECT))
		return -2;
	return rc;
}

static int json_status(const char *s, const struct parse_limits *lim)
{
	struct portal_arena *a = new_arena();
	struct portal_value *v;
	int rc = json(a, s, lim, &v);
	arena_free(a);
	return rc;
}

/* Renders v into a static buffer (NULL on failure). */
static const char *render(const struct portal_value *v)
{
	static char text[4096];
	struct buf b = {0};
	int rc = json_render(v, &b);
	if (rc || b.len >= sizeof text) {
		buf_free(&b);
		return NULL;
	}
	memcpy(text, b.data, b.len + 1);
	buf_free(&b);
	return text;
}

static void test_json_parse(void)
{
	struct portal_arena *a = new_arena();
	struct portal_value *v;

	CHECK(json(a, "{\"a\":{\"b\":[1,2,{\"c\":null}]},\"t\":true,\"f\":false,\"e\":{},\"l\":[]}",
	           &limits, &v) == 0);
	struct portal_value *in = pv_get(v, "a");
	CHECK(in && in->type == PV_OBJECT);
	struct portal_value *list = pv_get(in, "b");
	CHECK(list && list->type == PV_LIST && list->u.c.count == 3);
	if (list && list->u.c.count == 3) {
		CHECK(list->u.c.head->value->type == PV_INT && list->u.c.head->value->u.i == 1);
		struct portal_value *last = list->u.c.tail->value;
		CHECK(last->type == PV_OBJECT && pv_get(last, "c") &&
		      pv_get(last, "c")->type == PV_NULL);
	}
	CHECK(pv_get(v, "t")->type == PV_BOOL && pv_get(v, "t")->u.b);
	CHECK(pv_get(v, "f")->type == PV_BOOL && !pv_get(v, "f")->u.b);
	CHECK(pv_get(v, "e")->type == PV_OBJECT && pv_get(v, "e")->u.c.count == 0);
	CHECK(pv_get(v, "l")->type == PV_LIST && pv_get(v, "l")->u.c.count == 0);
	CHECK(v->u.c.head && strcmp(v->u.c.head->key, "a") == 0); /* order kept */

	/* numbers */
	CHECK(json(a,
	           "{\"i\":42,\"n\":-7,\"max\":9223372036854775807,\"min\":-9223372036854775808,"
	           "\"over\":9223372036854775808,\"d\":1.5,\"e\":1e3,\"z\":-0,\"tiny\":1e-400}",
	           &limits, &v) == 0);
	CHECK(pv_get_int(v, "i", 0) == 42);
	CHECK(pv_get_int(v, "n", 0) == -7);
	CHECK(pv_get_int(v, "max", 0) == LLONG_MAX);
	CHECK(pv_get_int(v, "min", 0) == LLONG_MIN);
	CHECK(pv_get_int(v, "z", 1) == 0);
	struct portal_value *d = pv_get(v, "over");
	CHECK(d && d->type == PV_DOUBLE && d->u.d == 9223372036854775808.0);
	d = pv_get(v, "d");
	CHECK(d && d->type == PV_DOUBLE && d->u.d == 1.5);
	d = pv_get(v, "e");
	CHECK(d && d->type == PV_DOUBLE && d->u.d == 1000.0);
	d = pv_get(v, "tiny");
	CHECK(d && d->type == PV_DOUBLE && d->u.d == 0.0);
	CHECK(json_status("{\"x\":1e400}", &limits) == 400);
	CHECK(json_status("{\"x\":-1e400}", &limits) == 400);

	/* escapes */
	CHECK(json(a, "{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud834\\udd1e\",\"k\\u00e9\":1}",
	           &limits, &v) == 0);
	CHECK_STR(pv_get_str(v, "s"), "a\"b\\c/d\n\t\xC3\xA9\xF0\x9D\x84\x9E");
	CHECK(pv_get_int(v, "k\xC3\xA9", 0) == 1);
	CHECK(pv_get(v, "s") && pv_get(v, "s")->u.s.len == 15);

	/* UTF-8 and NUL */
	CHECK(json_status("{\"s\":\"\\udc00\"}", &limits) == 400);
	CHECK(json_status("{\"s\":\"\\u0000\"}", &limits) == 400);
	CHECK(json_status("{\"\\u0000\":1}", &limits) == 400);
	CHECK(json_status("{\"s\":\"\xC3\x28\"}", &limits) == 400);
	CHECK(json_status("{\"s\":\"\xC0\x80\"}", &limits) == 400);
	CHECK(json_status("{\"s\":\"\xED\xA0\x80\"}", &limits) == 400);
	CHECK(json_status("{\"s\":\"\xF4\x90\x80\x80\"}", &limits) == 400);
	CHECK(json_status("{\"\xC3\x28\":1}", &limits) == 400);
	CHECK(json_status("{\"s\":\"\xC3\xA9\"}", &limits) == 0);

	/* duplicate keys, at any level; the same key in two objects is fine */
	CHECK(json_status("{\"a\":1,\"a\":2}", &limits) == 400);
	CHECK(json_status("{\"o\":{\"k\":1,\"k\":{}}}", &limits) == 400);
	CHECK(json_status("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}", &limits) == 0);

	/* depth */
	struct parse_limits lim = limits;
	lim.max_depth = 3;
	CHECK(json_status("{\"a\":{\"b\":{}}}", &lim) == 0);
	CHECK(json_status("{\"a\":{\"b\":{\"c\":{}}}}", &lim) == 413);
	CHECK(json_status("{\"a\":[[]]}", &lim) == 0);
	CHECK(json_status("{\"a\":[[[]]]}", &lim) == 413);
	char deep[4096];
	size_t n = 0;
	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	while (n < sizeof deep - 10)
		deep[n++] = '[';
	deep[n] = '\0';
	CHECK(json_status(deep, &limits) == 413);

	/* members, all levels, list items included */
	lim = limits;
	lim.max_fields = 3;
	CHECK(json_status("{\"a\":1,\"b\":2,\"c\":3}", &lim) == 0);
	CHECK(json_status("{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", &lim) == 413);
	CHECK(json_status("{\"a\":[1,2]}", &lim) == 0);
	CHECK(json_status("{\"a\":[1,2,3]}", &lim) == 413);
	CHECK(json_status("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", &lim) == 413);

	/* name and value lengths */
	lim = limits;
	lim.max_name = 3;
	lim.max_value = 4;
	CHECK(json_status("{\"abc\":\"1234\"}", &lim) == 0);
	CHECK(json_status("{\"abcd\":1}", &lim) == 413);
	CHECK(json_status("{\"a\":\"12345\"}", &lim) == 413);
	CHECK(json_status("{\"a\":[\"12345\"]}", &lim) == 413);

	/* malformed */
	static const char *const bad[] = {
	    "",
	    " ",
	    "{",
	    "}",
	    "{\"a\":}",
	    "{\"a\":1",
	    "{'a':1}",
	    "{\"a\":1,}",
	    "{a:1}",
	    "{\"a\" 1}",
	    "{\"a\":01}",
	    "{\"a\":.5}",
	    "{\"a\":1.}",
	    "{\"a\":tru}",
	    "{\"a\":\"x\n\"}",
	    "/* c */{}",
	    "{}// c",
	    "{\"a\":NaN}",
	    "{\"a\":\"\\x41\"}",
	    "{\"a\":\"\\u12\"}",
	    "{\"a\":[1,]}",
	    "{\"a\":-}",
	    "\xEF\xBB\xBF{}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = json_status(bad[i], &limits);
		CHECK(rc == 400);
		if (rc != 400)
			fprintf(stderr, "  accepted: %s (%d)\n", bad[i], rc);
	}
	/* trailing garbage; trailing blanks are fine */
	CHECK(json_status("{} x", &limits) == 400);
	CHECK(json_status("{}{}", &limits) == 400);
	CHECK(json_status("{}]", &limits) == 400);
	CHECK(json_status("{}\0", &limits) == 0); /* strlen stops at the NUL */
	const char *why = NULL;
	CHECK(json_parse(a, "{}\0", 3, &limits, &v, &why) == 400 && why);
	CHECK(json_status("{} \n\t\r", &limits) == 0);
	CHECK(json_status(" \n{}", &limits) == 0);

	/* the top level is an object */
	CHECK(json_status("[1]", &limits) == 400);
	CHECK(json_status("[]", &limits) == 400);
	CHECK(json_status("\"s\"", &limits) == 400);
	CHECK(json_status("1", &limits) == 400);
	CHECK(json_status("null", &limits) == 400);
	CHECK(json_status("true", &limits) == 400);

	/* a tiny arena: exhaustion is a 413, never a crash */
	struct portal_arena *small = arena_new(300);
	why = NULL;
	const char *big = "{\"a\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}";
	CHECK(json_parse(small, big, strlen(big), &limits, &v, &why) == 413 && why);
	arena_free(small);

	/* under a locale whose decimal separator is a comma, when one is installed */
	if (setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
		CHECK(json(a, "{\"d\":1.5}", &limits, &v) == 0);
		d = pv_get(v, "d");
		CHECK(d && d->type == PV_DOUBLE && d->u.d == 1.5);
		CHECK_STR(render(v), "{\"d\":1.5}");
		setlocale(LC_NUMERIC, "C");
	}
	arena_free(a);
}

static void test_json_render(void)
{
	struct portal_arena *a = new_arena();
	struct portal_value *v, *cur;

	/* round trip */
	const char *doc = "{\"a\":{\"b\":[1,2,{\"c\":null}]},\"t\":true,\"f\":false,\"d\":1.5,"
	                  "\"i\":-9223372036854775808,\"s\":\"x\\\"y\\\\z\\n\\u0001\",\"e\":{},"
	                  "\"l\":[],\"w\":2.0,\"big\":1e+300,\"u\":\"\xC3\xA9\"}";
	CHECK(json(a, doc, &limits, &v) == 0);
	CHECK_STR(render(v), doc);

	/* "</" never appears, U+2028 and U+2029 are escaped */
	v = pv_object(a);
	CHECK(pv_set_str(a, v, "h", "</script><script>alert(1)</script>") == 0);
	CHECK(pv_set_str(a, v, "ls", "a\xE2\x80\xA8z\xE2\x80\xA9\xE2\x80\xA8") == 0);
	CHECK(pv_set_str(a, v, "near", "\xE2\x80\xA7\xE2\x80\xAA") == 0);
	const char *out = render(v);
	CHECK_STR(out, "{\"h\":\"<\\/script><script>alert(1)<\\/script>\","
	               "\"ls\":\"a\\u2028z\\u2029\\u2028\",\"near\":\"\xE2\x80\xA7\xE2\x80\xAA\"}");
	CHECK(out && !strstr(out, "</"));
	/* and the escaped text reads back as the same strings */
	struct portal_value *back;
	CHECK(out && json(a, out, &limits, &back) == 0);
	CHECK_STR(pv_get_str(back, "ls"), "a\xE2\x80\xA8z\xE2\x80\xA9\xE2\x80\xA8");
	CHECK_STR(pv_get_str(back, "h"), "</script><script>alert(1)</script>");

	/* doubles */
	v = pv_list(a);
	CHECK(pv_push(a, v, pv_double(a, NAN)) == 0);
	CHECK(pv_push(a, v, pv_double(a, INFINITY)) == 0);
	CHECK(pv_push(a, v, pv_double(a, -INFINITY)) == 0);
	CHECK(pv_push(a, v, pv_double(a, 0.1)) == 0);
	CHECK(pv_push(a, v, pv_double(a, 2.0)) == 0);
	CHECK(pv_push(a, v, pv_double(a, -0.0)) == 0);
	CHECK(pv_push(a, v, pv_double(a, 1.0 / 3)) == 0);
	CHECK(pv_push(a, v, pv_double(a, 1e21)) == 0);
	CHECK_STR(render(v), "[null,null,null,0.1,2.0,-0.0,0.3333333333333333,1e+21]");

	/* scalars, and NULL as null */
	CHECK_STR(render(pv_string(a, "a/b")), "\"a\\/b\"");
	CHECK_STR(render(pv_int(a, 7)), "7");
	CHECK_STR(render(NULL), "null");

	/* appends to what the buffer holds; a failure leaves it as it was */
	struct buf b = {0};
	CHECK(buf_puts(&b, "x=") == 0);
	CHECK(json_render(pv_int(a, 1), &b) == 0);
	CHECK_STR(b.data, "x=1");
	v = pv_object(a);
	CHECK(pv_set(a, v, "ok", pv_string(a, "fine")) == 0);
	CHECK(pv_set(a, v, "bad", pv_stringn(a, "\xED\xA0\x80", 3)) == 0);
	CHECK(json_render(v, &b) == -1);
	CHECK_STR(b.data, "x=1");
	CHECK(b.len == 3);
	v = pv_object(a);
	CHECK(pv_set(a, v, "\xC3\x28", pv_int(a, 1)) == 0);
	CHECK(json_render(v, &b) == -1 && b.len == 3);
	CHECK(json_render(pv_stringn(a, "\xC0\x80", 2), &b) == -1 && b.len == 3);
	buf_free(&b);

	/* every escape as yajl's generator wrote it: the output stays byte for byte */
	CHECK_STR(render(pv_stringn(a, "\b\f\n\r\t\x01\x1F\x7F\0\"\\/", 12)),
	          "\"\\b\\f\\n\\r\\t\\u0001\\u001F\x7F\\u0000\\\"\\\\\\/\"");
	/* keys are escaped as strings are; members and items are comma-separated */
	v = pv_object(a);
	CHECK(pv_set(a, v, "k\"/\n", pv_list(a)) == 0);
	CHECK(pv_push(a, pv_get(v, "k\"/\n"), pv_int(a, 9223372036854775807LL)) == 0);
	CHECK(pv_push(a, pv_get(v, "k\"/\n"), pv_bool(a, false)) == 0);
	CHECK(pv_set(a, v, "n", pv_int(a, -10)) == 0);
	CHECK_STR(render(v), "{\"k\\\"\\/\\n\":[9223372036854775807,false],\"n\":-10}");
	/* four-byte characters pass, a character cut short or a lone continuation fails */
	CHECK_STR(render(pv_string(a, "\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF")),
	          "\"\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\"");
	CHECK(render(pv_string(a, "ab\xE2\x80")) == NULL);
	CHECK(render(pv_string(a, "\x80")) == NULL);
	CHECK(render(pv_string(a, "\xF4\x90\x80\x80")) == NULL);
	CHECK(utf8_char_len((const unsigned char *)"\xE2\x80\xA8", 3) == 3);
	CHECK(utf8_char_len((const unsigned char *)"\xE2\x80\xA8", 2) == 0);
	CHECK(utf8_char_len((const unsigned char *)"\xC3\xA9", 2) == 2);
	CHECK(utf8_char_len((const unsigned char *)"\xE0\x9F\x80", 3) == 0);

	/* each ASCII byte at each place of words copied eight bytes at a time */
	int ascii_wrong = 0;
	for (int c = 0; c < 0x80; c++) {
		for (int at = 0; at < 16; at++) {
			char in[16], expect[32];
			memset(in, 'a', sizeof in);
			in[at] = (char)c;
			const char *e = c == '"'    ? "\\\""
			                : c == '\\' ? "\\\\"
			                : c == '/'  ? "\\/"
			                : c == '\b' ? "\\b"
			                : c == '\f' ? "\\f"
			                : c == '\n' ? "\\n"
			                : c == '\r' ? "\\r"
			                : c == '\t' ? "\\t"
			                            : NULL;
			char one[8] = {(char)c, 0};
			if (!e && c < 0x20)
				snprintf(one, sizeof one, "\\u%04X", c);
			snprintf(expect, sizeof expect, "\"%.*s%s%.*s\"", at, in, e ? e : one,
			         15 - at, in + at + 1);
			const char *got = render(pv_stringn(a, in, sizeof in));
			ascii_wrong += !got || strcmp(got, expect) != 0;
		}
	}
	CHECK(ascii_wrong == 0);

	/* objects that share their members' names (one pointer each, as a
	 * database row's keys), enough of them that the buffer moves */
	static const char *const shared[] = {"id", "na\"me", "</x>", "z"};
	struct portal_value *rows = pv_list(a);
	for (int i = 0; i < 400; i++) {
		struct portal_value *row = pv_object(a);
		for (int k = 0; k < 4; k++) {
			struct pv_member *m = portal_alloc(a, sizeof *m);
			if (m) {
				*m = (struct pv_member){shared[k], pv_int(a, i * 4 + k), NULL};
				pv_link(row, m);
			}
		}
		CHECK(pv_push(a, rows, row) == 0);
	}
	struct buf shared_out = {0};
	CHECK(json_render(rows, &shared_out) == 0);
	const char *row1 = "{\"id\":4,\"na\\\"me\":5,\"<\\/x>\":6,\"z\":7}";
	const char *last = "{\"id\":1596,\"na\\\"me\":1597,\"<\\/x>\":1598,\"z\":1599}]";
	CHECK(shared_out.data && strstr(shared_out.data, row1) &&
	      strcmp(shared_out.data + shared_out.len - strlen(last), last) == 0);
	buf_free(&shared_out);

	/* a long string is written in chunks: a character across a chunk's end
	 * and escapes that grow it sixfold come out whole */
	char *lng = portal_alloc(a, 4095 + 3 + 5000 + 1), *want = portal_alloc(a, 36110);
	memset(lng, 'a', 4095);
	memcpy(lng + 4095, "\xE2\x80\xA8", 3);
	memset(lng + 4098, 1, 5000);
	CHECK(want && lng);
	if (want && lng) {
		char *w = want;
		*w++ = '"';
		memset(w, 'a', 4095);
		w += 4095;
		w += sprintf(w, "\\u2028");
		for (int i = 0; i < 5000; i++)
			w += sprintf(w, "\\u0001");
		*w++ = '"';
		*w = '\0';
		struct buf big = {0};
		CHECK(json_render(pv_stringn(a, lng, 4095 + 3 + 5000), &big) == 0);
		CHECK(big.len == strlen(want) && strcmp(big.data, want) == 0);
		buf_free(&big);
	}

	/* 127 containers deep is the most, as yajl's generator allowed */
	v = pv_list(a);
	cur = v;
	for (int i = 1; i < 127; i++) {
		struct portal_value *next = pv_list(a);
		CHECK(pv_push(a, cur, next) == 0);
		cur = next;
	}
	const char *deep = render(v);
	CHECK(deep && strlen(deep) == 254 && deep[126] == '[' && deep[127] == ']');
	CHECK(pv_push(a, cur, pv_list(a)) == 0);
	CHECK(render(v) == NULL);

	/* deeper than the generator allows: an error, not a crash */
	v = pv_list(a);
	cur = v;
	for (int i = 0; i < 300; i++) {
		struct portal_value *next = pv_list(a);
		CHECK(pv_push(a, cur, next) == 0);
		cur = next;
	}
	CHECK(render(v) == NULL);
	arena_free(a);
}

/* ---- multipart ---- */

struct reader {
	const char *data;
	size_t len, pos, step;
	bool fail; /* -1 once the data is used up, instead of 0 */
};

static long reader_read(void *ctx, char *dst, size_t n)
{
	struct reader *r = ctx;
	size_t left = r->len - r->pos;

	if (left == 0)
		return r->fail ? -1 : 0;
	if (n > left)
		n = left;
	if (r->step && n > r->step)
		n = r->step;
	memcpy(dst, r->data + r->pos, n);
	r->pos += n;
	return (long)n;
}

static char tmp_dir[] = "/tmp/test-parse-XXXXXX";

static int files_in_tmp(void)
{
	DIR *d = opendir(tmp_dir);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

struct mp_result {
	struct portal_arena *a;
	struct portal_value *obj;
	struct portal_upload *uploads;
	const char *why;
	int rc;
};

/* Parses body with content_length = len + extra, served step bytes at a time. */
static struct mp_result mp_run(const char *ct, const char *body, size_t len, size_t extra,
                               size_t step, const struct parse_limits *lim)
{
	struct mp_result r = {.a = new_arena()};
	struct reader rd = {.data = body, .len = len, .step = step};

	r.obj = pv_object(r.a);
	r.rc = multipart_parse(r.a, ct, reader_read, &rd, len + extra, tmp_dir, lim, r.obj,
	                       &r.uploads, &r.why);
	if (r.rc && !r.why)
		r.rc = -1;
	if (r.rc) /* nothing stays on disk after a failure, even before the arena goes */
		CHECK(files_in_tmp() == 0);
	return r;
}

static int mp_status(const char *ct, const char *body, size_t extra, const struct parse_limits *lim)
{
	struct mp_result r = mp_run(ct, body, strlen(body), extra, 0, lim);
	arena_free(r.a);
	CHECK(files_in_tmp() == 0);
	return r.rc;
}

/* The whole content of a file, or NULL. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *data = malloc(4 << 20);
	*len = data ? fread(data, 1, 4 << 20, f) : 0;
	fclose(f);
	return data;
}

static bool file_is(const struct portal_upload *up, const char *want, size_t want_len)
{
	size_t len = 0;
	char *data = slurp(up->path, &len);
	bool same = data && len == want_len && up->size == want_len && memcmp(data, want, len) == 0;
	free(data);
	return same;
}

static const char ct_b[] = "multipart/form-data; boundary=XyZ";

#define FORM_BODY                                                                  \
	"This preamble is ignored.\r\n"                                            \
	"--XyZ\r\n"                                                                \
	"Content-Disposition: form-data; name=\"title\"\r\n"                       \
	"\r\n"                                                                     \
	"Heizung defekt \xE2\x80\x93 3. OG\r\n"                                    \
	"--XyZ  \r\n"                                                              \
	"content-disposition: Form-Data; name=\"tag\"\r\n"                         \
	"\r\n"                                                                     \
	"a\r\n"                                                                    \
	"--XyZ\r\n"                                                                \
	"Content-Disposition: form-data; name=\"photo\"; filename=\"k\xC3\xBC"     \
	"che.jpg\"\r\n"                                                            \
	"Content-Type: image/jpeg\r\n"                                             \
	"\r\n"                                                                     \
	"\xFF\xD8\x00"                                                             \
	"binary\r\n-XyZ--XyZnot\r\r\n\n\r\n--Xy\r\n"                               \
	"--XyZ\r\n"                                                                \
	"Content-Disposition: form-data; name=tag\r\n"                             \
	"\r\n"                                                                     \
	"b\r\n"                                                                    \
	"--XyZ\r\n"                                                                \
	"Content-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"        \
	"Content-Type: application/octet-stream\r\n"                               \
	"\r\n"                                                                     \
	"\r\n"                                                                     \
	"--XyZ\r\n"                                                                \
	"Content-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n"     \
	"\r\n"                                                                     \
	"second file\r\n"                                                          \
	"--XyZ\r\n"                                                                \
	"Content-Disposition: form-data; name=\"none\"; filename=\"zero.txt\"\r\n" \
	"\r\n"                                                                     \
	"\r\n"                                                                     \
	"--XyZ--\r\n"                                                              \
	"epilogue, ignored\r\n"

static const char photo[] = "\xFF\xD8\x00"
                            "binary\r\n-XyZ--XyZnot\r\r\n\n\r\n--Xy";

static void check_form_body(struct mp_result *r, size_t step)
{
	CHECK(r->rc == 0);
	if (r->rc) {
		fprintf(stderr, "  step %zu: %d %s\n", step, r->rc, r->why ? r->why : "");
		return;
	}
	CHECK_STR(pv_get_str(r->obj, "title"), "Heizung defekt \xE2\x80\x93 3. OG");
	struct portal_value *tag = pv_get(r->obj, "tag");
	CHECK_STR(item(tag, 0), "a");
	CHECK_STR(item(tag, 1), "b");
	CHECK(r->obj->u.c.count == 2);

	struct portal_upload *up = r->uploads;
	CHECK(up != NULL);
	if (!up)
		return;
	CHECK_STR(up->field, "photo");
	CHECK_STR(up->filename, "k\xC3\xBC"
	                        "che.jpg");
	CHECK_STR(up->content_type, "image/jpeg");
	CHECK(file_is(up, photo, sizeof photo - 1));
	CHECK(strncmp(up->path, tmp_dir, strlen(tmp_dir)) == 0);
	CHECK(strstr(up->path, "/upload-") != NULL);
	struct stat st;
	CHECK(stat(up->path, &st) == 0 && (st.st_mode & 0777) == 0600);

	up = up->next;
	CHECK(up != NULL);
	if (!up)
		return;
	CHECK_STR(up->field, "doc");
	CHECK_STR(up->filename, "a.txt");
	CHECK(up->content_type == NULL);
	CHECK(file_is(up, "second file", 11));

	up = up->next;
	CHECK(up != NULL);
	if (!up)
		return;
	CHECK_STR(up->field, "none");
	CHECK(up->size == 0 && file_is(up, "", 0));
	CHECK(up->next == NULL);
	CHECK(files_in_tmp() == 3);
}

static void test_multipart_basic(void)
{
	static const size_t steps[] = {0, 1, 2, 3, 5, 7, 13, 64};

	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		struct mp_result r =
		    mp_run(ct_b, FORM_BODY, sizeof FORM_BODY - 1, 0, steps[i], &limits);
		check_form_body(&r, steps[i]);
		arena_free(r.a);
		CHECK(files_in_tmp() == 0);
	}

	/* quoted boundaries, other parameters, no preamble */
	const char *body = "--a b:c\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n"
	                   "--a b:c--";
	struct mp_result r = mp_run("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"", body,
	                            strlen(body), 0, 0, &limits);
	CHECK(r.rc == 0);
	CHECK_STR(pv_get_str(r.obj, "x"), "1");
	CHECK(r.uploads == NULL);
	arena_free(r.a);

	/* a boundary at the 70-byte limit */
	char ct[200], b[71];
	memset(b, 'q', 70);
	b[70] = '\0';
	snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", b);
	char body2[300];
	snprintf(body2, sizeof body2,
	         "--%s\r\nContent-Disposition: form-data; name=\"v\"\r\n\r\nok\r\n--%s--", b, b);
	CHECK(mp_status(ct, body2, 0, &limits) == 0);

	/* uploads already listed stay first */
	struct portal_upload earlier = {.field = "earlier"};
	struct portal_arena *a = new_arena();
	struct portal_value *obj = pv_object(a);
	struct portal_upload *list = &earlier;
	struct reader rd = {.data = FORM_BODY, .len = sizeof FORM_BODY - 1};
	CHECK(multipart_parse(a, ct_b, reader_read, &rd, rd.len, tmp_dir, &limits, obj, &list,
	                      NULL) == 0);
	CHECK(list == &earlier && earlier.next && strcmp(earlier.next->field, "photo") == 0);
	arena_free(a);
	CHECK(files_in_tmp() == 0);
}

/* A file bigger than the read chunk, with near-delimiters across chunk edges. */
static void test_multipart_large(void)
{
	size_t n = 300 * 1024;
	char *file = malloc(n);
	char *body = malloc(n + 512);
	if (!file || !body) {
		free(file);
		free(body);
		CHECK(!"out of memory");
		return;
	}
	unsigned int seed = 12345;
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245 + 12345;
		file[i] = (char)(seed >> 16);
	}
	int h = snprintf(body, 512,
	                 "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"b\"\r\n"
	                 "\r\n");
	/* partial delimiters that straddle the edges of 64 KiB reads */
	for (size_t at = 65536 - (size_t)h - 3; at + 16 < n; at += 65536) {
		memcpy(file + at, "\r\n--Xy", 6);
		memcpy(file + at + 6, "\r\n--X", 5);
	}
	memcpy(body + h, file, n);
	memcpy(body + h + n, "\r\n--XyZ--\r\n", 11);
	size_t len = (size_t)h + n + 11;

	static const size_t steps[] = {0, 4096, 65535, 65537, 100000};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		struct mp_result r = mp_run(ct_b, body, len, 0, steps[i], &limits);
		CHECK(r.rc == 0);
		CHECK(r.uploads && file_is(r.uploads, file, n));
		arena_free(r.a);
	}
	struct parse_limits lim = limits;
	lim.max_file = n - 1;
	struct mp_result r = mp_run(ct_b, body, len, 0, 0, &lim);
	CHECK(r.rc == 413);
	arena_free(r.a);
	lim.max_file = n;
	r = mp_run(ct_b, body, len, 0, 0, &lim);
	CHECK(r.rc == 0);
	arena_free(r.a);
	CHECK(files_in_tmp() == 0);
	free(file);
	free(body);
}

#define PART(name) "--XyZ\r\nContent-Disposition: form-data; name=\"" name "\"\r\n\r\nv\r\n"
#define FILE_PART(name, data)                                                                     \
	"--XyZ\r\nContent-Disposition: form-data; name=\"" name "\"; filename=\"f\"\r\n\r\n" data \
	"\r\n"

static void test_multipart_errors(void)
{
	/* truncated bodies */
	CHECK(mp_status(ct_b, PART("a") "--XyZ--", 10, &limits) == 400); /* short of its length */
	CHECK(mp_status(ct_b, PART("a") "--XyZ--", 0, &limits) == 0);
	CHECK(mp_status(ct_b, PART("a"), 0, &limits) == 400); /* no closing boundary */
	CHECK(mp_status(ct_b, PART("a") "--XyZ", 0, &limits) == 400);
	CHECK(mp_status(ct_b, PART("a") "--XyZ-", 0, &limits) == 400);
	CHECK(mp_status(ct_b, PART("a") "--XyZ\r\n", 0, &limits) == 400);
	CHECK(mp_status(ct_b, FILE_PART("f", "data"), 0, &limits) == 400);
	CHECK(mp_status(ct_b, FILE_PART("f", "data") "--XyZ\r\nContent-Dispo", 0, &limits) == 400);
	CHECK(mp_status(ct_b, "", 0, &limits) == 400);
	CHECK(mp_status(ct_b, "no boundary at all", 0, &limits) == 400);
	CHECK(mp_status(ct_b, "--XyZ--", 0, &limits) == 0); /* no parts is fine */

	/* the body stops early while a file is being written */
	const char *body = FILE_PART("f", "0123456789") "--XyZ--";
	struct mp_result r = mp_run(ct_b, body, strlen(body) - 12, 12, 3, &limits);
	CHECK(r.rc == 400);
	arena_free(r.a);
	/* a failing reader */
	struct portal_arena *a = new_arena();
	struct portal_value *obj = pv_object(a);
	struct portal_upload *ups = NULL;
	const char *why = NULL;
	struct reader rd = {.data = body, .len = strlen(body) - 12, .fail = true};
	CHECK(multipart_parse(a, ct_b, reader_read, &rd, strlen(body), tmp_dir, &limits, obj, &ups,
	                      &why) == 400);
	CHECK(ups == NULL && why != NULL);
	CHECK(files_in_tmp() == 0);
	arena_free(a);

	/* malformed boundary lines and headers */
	CHECK(mp_status(ct_b, "--XyZx\r\n" PART("a") "--XyZ--", 0, &limits) == 400);
	CHECK(mp_status(ct_b, PART("a") "--XyZ -\r\n--XyZ--", 0, &limits) == 400);
	CHECK(mp_status(ct_b, PART("a") "--XyZ\rx--XyZ--", 0, &limits) == 400);
	CHECK(mp_status(ct_b, "--XyZ\r\n\r\nv\r\n--XyZ--", 0, &limits) == 400);
	CHECK(mp_status(ct_b, "--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", 0,
	                &limits) == 400);
	CHECK(mp_status(ct_b, "--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--", 0,
	                &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--", 0,
	                &limits) == 400);
	CHECK(mp_status(ct_b, "--XyZ\r\nContent-Disposition form-data; name=a\r\n\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	CHECK(
	    mp_status(ct_b,
	              "--XyZ\r\nContent-Disposition: form-data; name=\"a\nb\"\r\n\r\nv\r\n--XyZ--",
	              0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--XyZ--", 0,
	                &limits) == 400);
	CHECK(mp_status(
	          ct_b,
	          "--XyZ\r\nContent-Disposition: form-data; name=\"\xC3\x28\"\r\n\r\nv\r\n--XyZ--",
	          0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
	                "Content-Disposition: form-data; name=b\r\n\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=a; filename=x\r\n"
	                "Content-Type: a\r\nContent-Type: b\r\n\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	/* filename* and repeated parameters */
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=a; "
	                "filename*=UTF-8''x.txt\r\n\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=a; filename=x; "
	                "filename*=UTF-8''y.txt\r\n\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n"
	                "\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; NAME=\"b\"\r\n"
	                "\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=\"a\\\"; name=\"b\"\r\n"
	                "\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=a; filename=x; "
	                "filename=y\r\n\r\nv\r\n--XyZ--",
	                0, &limits) == 400);
	/* values */
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\xC3\x28\r\n"
	                "--XyZ--",
	                0, &limits) == 400);
	static const char nul[] = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx\0y\r\n"
	                          "--XyZ--";
	r = mp_run(ct_b, nul, sizeof nul - 1, 0, 0, &limits);
	CHECK(r.rc == 400);
	arena_free(r.a);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nv\r\n"
	                "--XyZ--",
	                0, &limits) == 0);

	/* content types and boundaries */
	const char *ok = PART("a") "--XyZ--";
	CHECK(mp_status(NULL, ok, 0, &limits) == 400);
	CHECK(mp_status("application/json", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-datax; boundary=XyZ", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/mixed; boundary=XyZ", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data; boundary=", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data; boundary=\"\"", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data; boundary=\"XyZ", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data; boundary=XyZ; boundary=XyZ", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data; boundary*=XyZ", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data; boundary=\"Xy\r\nZ\"", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data; boundary=\"XyZ \"", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data; boundary=\"X\xC3\xA9\"", ok, 0, &limits) == 400);
	CHECK(mp_status("multipart/form-data ; boundary=XyZ", ok, 0, &limits) == 0);
	CHECK(mp_status("multipart/form-data;boundary=\"XyZ\";", ok, 0, &limits) == 0);
	char ct[200];
	memset(ct, 0, sizeof ct);
	strcpy(ct, "multipart/form-data; boundary=");
	memset(ct + strlen(ct), 'q', 71);
	CHECK(mp_status(ct, ok, 0, &limits) == 400);
}

static void test_multipart_limits(void)
{
	struct parse_limits lim = limits;

	lim.max_parts = 3;
	CHECK(mp_status(ct_b, PART("a") PART("b") FILE_PART("c", "x") "--XyZ--", 0, &lim) == 0);
	CHECK(mp_status(ct_b, PART("a") PART("b") FILE_PART("c", "x") PART("d") "--XyZ--", 0,
	                &lim) == 413);
	CHECK(mp_status(ct_b,
	                FILE_PART("a", "1") FILE_PART("b", "2") FILE_PART("c", "3")
	                    FILE_PART("d", "4") "--XyZ--",
	                0, &lim) == 413);
	CHECK(mp_status(ct_b, PART("") PART("") PART("") PART("") "--XyZ--", 0, &lim) == 413);

	lim = limits;
	lim.max_fields = 2;
	CHECK(mp_status(ct_b, PART("a") PART("a") FILE_PART("c", "x") "--XyZ--", 0, &lim) == 0);
	CHECK(mp_status(ct_b, PART("a") PART("a") PART("a") "--XyZ--", 0, &lim) == 413);

	lim = limits;
	lim.max_file = 4;
	CHECK(mp_status(ct_b, FILE_PART("f", "1234") "--XyZ--", 0, &lim) == 0);
	CHECK(mp_status(ct_b, FILE_PART("g", "1") FILE_PART("f", "12345") "--XyZ--", 0, &lim) ==
	      413);

	lim = limits;
	lim.max_value = 4;
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1234\r\n"
	                "--XyZ--",
	                0, &lim) == 0);
	CHECK(mp_status(ct_b,
	                "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n12345\r\n"
	                "--XyZ--",
	                0, &lim) == 413);

	lim = limits;
	lim.max_name = 3;
	CHECK(mp_status(ct_b, PART("abc") "--XyZ--", 0, &lim) == 0);
	CHECK(mp_status(ct_b, PART("abcd") "--XyZ--", 0, &lim) == 413);

	/* the header block, however it is split into lines */
	lim = limits;
	lim.max_header = 60;
	CHECK(mp_status(ct_b, PART("a") "--XyZ--", 0, &lim) == 0);
	CHECK(
	    mp_status(ct_b,
	              "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: 1234567890\r\n"
	              "\r\nv\r\n--XyZ--",
	              0, &lim) == 413);
	char *endless = malloc(100000);
	if (endless) {
		strcpy(endless, "--XyZ\r\nContent-Disposition: form-data; name=\"a");
		size_t n = strlen(endless);
		memset(endless + n, 'a', 100000 - n - 1);
		endless[99999] = '\0';
		CHECK(mp_status(ct_b, endless, 0, &limits) == 413);
		free(endless);
	}
	/* an empty file input: no upload, and no file */
	const char *no_file = "--XyZ\r\nContent-Disposition: form-data; name=f; filename=\"\"\r\n"
	                      "\r\n\r\n--XyZ--";
	struct mp_result r = mp_run(ct_b, no_file, strlen(no_file), 0, 0, &limits);
	CHECK(r.rc == 0 && r.uploads == NULL && files_in_tmp() == 0);
	arena_free(r.a);
	/* an exhausted arena */
	struct portal_arena *a = arena_new(600);
	struct portal_value *obj = pv_object(a);
	struct portal_upload *ups = NULL;
	const char *big = FILE_PART("a", "1") FILE_PART("b", "2") FILE_PART("c", "3")
	    FILE_PART("d", "4") FILE_PART("e", "5") "--XyZ--";
	struct reader rd = {.data = big, .len = strlen(big)};
	CHECK(multipart_parse(a, ct_b, reader_read, &rd, rd.len, tmp_dir, &limits, obj, &ups,
	                      NULL) == 413);
	CHECK(files_in_tmp() == 0);
	arena_free(a);
	/* an unusable folder */
	a = new_arena();
	obj = pv_object(a);
	rd = (struct reader){.data = big, .len = strlen(big)};
	CHECK(multipart_parse(a, ct_b, reader_read, &rd, rd.len, "/nonexistent/folder", &limits,
	                      obj, &ups, NULL) == 500);
	arena_free(a);
}

int main(void)
{
	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_utf8();
	test_form();
	test_cookies();
	test_json_parse();
	test_json_render();
	test_multipart_basic();
	test_multipart_large();
	test_multipart_errors();
	test_multipart_limits();
	CHECK(files_in_tmp() == 0);
	rmdir(tmp_dir);
	HARNESS_END();
}
