#include "plugin/router.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_PREFIX "/api/v1"
#define MAX_SEGMENTS 16
#define TOKEN_MAX 128

enum seg_kind { SEG_LITERAL, SEG_ID, SEG_TOKEN };

struct segment {
	enum seg_kind kind;
	char *text;   /* literal, or the parameter's name */
	char *suffix; /* literal text after a parameter in the same segment ("{token}.ics") */
};

struct entry {
	const struct portal_route *route;
	void *owner;
	bool api;
	int nseg;
	struct segment seg[MAX_SEGMENTS];
};

struct router {
	struct entry *entries;
	size_t count, cap;
};

bool router_is_api(const char *path)
{
	size_t n = strlen(API_PREFIX);
	return strncmp(path, API_PREFIX, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

struct router *router_new(void)
{
	return calloc(1, sizeof(struct router));
}

static void entry_free(struct entry *e)
{
	for (int i = 0; i < e->nseg; i++) {
		free(e->seg[i].text);
		free(e->seg[i].suffix);
	}
}

void router_free(struct router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		entry_free(&r->entries[i]);
	free(r->entries);
	free(r);
}

static bool is_id_name(const char *name, size_t len)
{
	return (len == 2 && memcmp(name, "id", 2) == 0) ||
	       (len > 3 && memcmp(name + len - 3, "_id", 3) == 0);
}

/* Splits a pattern into segments; -1 on a malformed one. */
static int compile(struct entry *e, const char *pattern)
{
	if (pattern[0] != '/')
		return -1;
	const char *p = pattern + 1;
	if (*p == '\0')
		return 0; /* the root "/" has no segments */
	while (*p) {
		if (e->nseg == MAX_SEGMENTS)
			return -1;
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return -1;
		struct segment *s = &e->seg[e->nseg++];
		if (p[0] == '{') {
			const char *close = memchr(p, '}', len);
			if (!close || close == p + 1)
				return -1;
			size_t nlen = (size_t)(close - p - 1);
			s->kind = is_id_name(p + 1, nlen) ? SEG_ID : SEG_TOKEN;
			s->text = strndup(p + 1, nlen);
			s->suffix = strndup(close + 1, len - nlen - 2);
			if (!s->text || !s->suffix || memchr(s->suffix, '{', strlen(s->suffix)))
				return -1;
		} else {
			s->kind = SEG_LITERAL;
			if (!(s->text = strndup(p, len)) || strchr(s->text, '{'))
				return -1;
		}
		p += len;
		if (*p == '/')
			p++;
		if (*p == '\0' && p[-1] == '/')
			return -1; /* no trailing slash in patterns */
	}
	return 0;
}

static bool same_shape(const struct entry *a, const struct entry *b)
{
	if (a->api != b->api || a->nseg != b->nseg ||
	    strcmp(a->route->method, b->route->method) != 0)
		return false;
	for (int i = 0; i < a->nseg; i++) {
		const struct segment *x = &a->seg[i], *y = &b->seg[i];
		if ((x->kind == SEG_LITERAL) != (y->kind == SEG_LITERAL))
			return false;
		if (x->kind == SEG_LITERAL ? strcmp(x->text, y->text) != 0
		                           : strcmp(x->suffix, y->suffix) != 0)
			return false;
	}
	return true;
}

static int add_one(struct router *r, const struct portal_route *route, void *owner,
                   const char *owner_name, bool api, const char *pattern, char *err, size_t errlen)
{
	struct entry e = {.route = route, .owner = owner, .api = api};
	if (compile(&e, pattern)) {
		entry_free(&e);
		snprintf(err, errlen, "%s: malformed route pattern \"%s\"", owner_name, pattern);
		return -1;
	}
	for (size_t i = 0; i < r->count; i++) {
		if (same_shape(&r->entries[i], &e)) {
			entry_free(&e);
			snprintf(err, errlen, "%s: route %s %s%s clashes with another plugin's",
			         owner_name, route->method, api ? API_PREFIX : "", pattern);
			return -1;
		}
	}
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct entry *n = realloc(r->entries, cap * sizeof *n);
		if (!n) {
			entry_free(&e);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->entries = n;
		r->cap = cap;
	}
	r->entries[r->count++] = e;
	return 0;
}

int router_add(struct router *r, const struct portal_route *route, void *owner,
               const char *owner_name, char *err, size_t errlen)
{
	if (!route->method || !route->handler || (!route->api_path && !route->page_path)) {
		snprintf(err, errlen, "%s: a route needs a method, a handler and a path",
		         owner_name);
		return -1;
	}
	if (route->api_path &&
	    add_one(r, route, owner, owner_name, true, route->api_path, err, errlen))
		return -1;
	if (route->page_path &&
	    add_one(r, route, owner, owner_name, false, route->page_path, err, errlen))
		return -1;
	return 0;
}

static bool token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static bool parse_id(const char *s, size_t len, long long *out)
{
	if (len == 0 || len > 19 || s[0] == '0')
		return false;
	long long v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		int d = s[i] - '0';
		if (v > (LLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Matches one path segment; fills p for parameters. */
static bool match_segment(const struct segment *s, const char *text, size_t len,
                          struct route_param *p)
{
	if (s->kind == SEG_LITERAL)
		return strlen(s->text) == len && memcmp(s->text, text, len) == 0;
	size_t slen = strlen(s->suffix);
	if (len <= slen || memcmp(text + len - slen, s->suffix, slen) != 0)
		return false;
	len -= slen;
	p->name = s->text;
	p->value = text;
	p->len = len;
	p->is_id = s->kind == SEG_ID;
	if (p->is_id)
		return parse_id(text, len, &p->id);
	if (len > TOKEN_MAX || (len == 1 && text[0] == '.') ||
	    (len == 2 && text[0] == '.' && text[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!token_char(text[i]))
			return false;
	return true;
}

struct split {
	const char *start[MAX_SEGMENTS];
	size_t len[MAX_SEGMENTS];
	int n;
};

static bool split_path(const char *path, struct split *sp)
{
	sp->n = 0;
	const char *p = path + 1;
	size_t total = strlen(p);
	if (total && p[total - 1] == '/')
		total--; /* "/app/" is "/app" */
	const char *end = p + total;
	while (p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t len = slash ? (size_t)(slash - p) : (size_t)(end - p);
		if (len == 0 || sp->n == MAX_SEGMENTS)
			return false;
		sp->start[sp->n] = p;
		sp->len[sp->n++] = len;
		p += len + (slash ? 1 : 0);
	}
	return true;
}

/* Literal segments outrank parameters, earlier segments more than later ones. */
static unsigned specificity(const struct entry *e)
{
	unsigned score = 0;
	for (int i = 0; i < e->nseg; i++)
		if (e->seg[i].kind == SEG_LITERAL)
			score |= 1u << (MAX_SEGMENTS - 1 - i);
	return score;
}

enum route_result router_match(const struct router *r, const char *method, const char *path,
                               struct route_match *m)
{
	bool api = router_is_api(path);
	if (api)
		path += strlen(API_PREFIX);
	if (*path == '\0')
		path = "/";
	struct split sp;
	if (path[0] != '/' || !split_path(path, &sp))
		return ROUTE_NOT_FOUND;
	enum route_result result = ROUTE_NOT_FOUND;
	const struct entry *best = NULL;
	unsigned best_score = 0;
	struct route_param params[ROUTE_MAX_PARAMS];
	for (size_t i = 0; i < r->count; i++) {
		const struct entry *e = &r->entries[i];
		if (e->api != api || e->nseg != sp.n)
			continue;
		int np = 0;
		bool ok = true;
		for (int s = 0; ok && s < sp.n; s++) {
			struct route_param *p = np < ROUTE_MAX_PARAMS ? &params[np] : NULL;
			if (!p && e->seg[s].kind != SEG_LITERAL)
				ok = false;
			else if (!match_segment(&e->seg[s], sp.start[s], sp.len[s], p))
				ok = false;
			else if (e->seg[s].kind != SEG_LITERAL)
				np++;
		}
		if (!ok)
			continue;
		if (strcmp(e->route->method, method) != 0 &&
		    !(strcmp(method, "HEAD") == 0 && strcmp(e->route->method, "GET") == 0)) {
			result = ROUTE_BAD_METHOD;
			continue;
		}
		unsigned score = specificity(e);
		if (!best || score > best_score) {
			best = e;
			best_score = score;
			m->nparams = np;
			memcpy(m->params, params, sizeof params);
		}
	}
	if (!best)
		return result;
	m->route = best->route;
	m->owner = best->owner;
	m->api = api;
	return ROUTE_FOUND;
}
