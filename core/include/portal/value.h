/* The value tree: what handlers fill and what parsers produce. A view is rendered
 * as JSON for /api/v1 and through a template for pages. All nodes live in the
 * request's arena; nothing here is freed individually. */
#ifndef PORTAL_VALUE_H
#define PORTAL_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct portal_arena;

enum pv_type { PV_NULL, PV_BOOL, PV_INT, PV_DOUBLE, PV_STRING, PV_LIST, PV_OBJECT };

struct pv_member;

struct portal_value {
	enum pv_type type;
	union {
		bool b;
		long long i;
		double d;
		struct {
			const char *ptr; /* NUL-terminated, len excludes the NUL */
			size_t len;
		} s;
		struct {
			struct pv_member *head, *tail;
			size_t count;
		} c;
	} u;
};

/* A child of a list (key NULL) or an object (key set). */
struct pv_member {
	const char *key;
	struct portal_value *value;
	struct pv_member *next;
};

/* Constructors return NULL when the arena is exhausted. Strings are copied. */
struct portal_value *pv_null(struct portal_arena *a);
struct portal_value *pv_bool(struct portal_arena *a, bool b);
struct portal_value *pv_int(struct portal_arena *a, long long i);
struct portal_value *pv_double(struct portal_arena *a, double d);
struct portal_value *pv_string(struct portal_arena *a, const char *s);
struct portal_value *pv_stringn(struct portal_arena *a, const char *s, size_t len);
struct portal_value *pv_list(struct portal_arena *a);
struct portal_value *pv_object(struct portal_arena *a);

/* Adds or replaces obj[key] (key copied); returns 0, or 500 on exhaustion or
 * when obj is not an object or value is NULL. */
int pv_set(struct portal_arena *a, struct portal_value *obj, const char *key,
           struct portal_value *value);
int pv_set_str(struct portal_arena *a, struct portal_value *obj, const char *key, const char *s);
int pv_set_int(struct portal_arena *a, struct portal_value *obj, const char *key, long long i);
int pv_set_bool(struct portal_arena *a, struct portal_value *obj, const char *key, bool b);

/* Appends to a list; returns 0, or 500 as pv_set. */
int pv_push(struct portal_arena *a, struct portal_value *list, struct portal_value *value);

/* Lookups return NULL (or the default) when absent or of another type. */
struct portal_value *pv_get(const struct portal_value *obj, const char *key);
const char *pv_get_str(const struct portal_value *obj, const char *key);
long long pv_get_int(const struct portal_value *obj, const char *key, long long dflt);

/* Reading without reaching into the union. pv_count: the items of a list or
 * members of an object, else 0. pv_first: a list's first item, NULL when
 * empty (the row of a query for one row). pv_str: the text of a string value,
 * else NULL. pv_remove: takes obj[key] out; returns whether it was there. */
size_t pv_count(const struct portal_value *v);
struct portal_value *pv_first(const struct portal_value *list);
const char *pv_str(const struct portal_value *v);
bool pv_remove(struct portal_value *obj, const char *key);

/* Mustache truthiness: null, false, 0, "" and empty lists are false. */
bool pv_truthy(const struct portal_value *v);

#define pv_foreach(m, container) \
	for (struct pv_member *m = (container) ? (container)->u.c.head : NULL; m; m = m->next)

#ifdef __cplusplus
}
#endif

#endif
