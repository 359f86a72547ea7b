#include <string.h>

#include "portal/arena.h"
#include "portal/value.h"
#include "lib/value.h"

static struct portal_value *make(struct portal_arena *a, enum pv_type type)
{
	struct portal_value *v = portal_alloc(a, sizeof *v);
	if (v)
		v->type = type;
	return v;
}

struct portal_value *pv_null(struct portal_arena *a)
{
	return make(a, PV_NULL);
}
struct portal_value *pv_list(struct portal_arena *a)
{
	return make(a, PV_LIST);
}
struct portal_value *pv_object(struct portal_arena *a)
{
	return make(a, PV_OBJECT);
}

struct portal_value *pv_bool(struct portal_arena *a, bool b)
{
	struct portal_value *v = make(a, PV_BOOL);
	if (v)
		v->u.b = b;
	return v;
}

struct portal_value *pv_int(struct portal_arena *a, long long i)
{
	struct portal_value *v = make(a, PV_INT);
	if (v)
		v->u.i = i;
	return v;
}

struct portal_value *pv_double(struct portal_arena *a, double d)
{
	struct portal_value *v = make(a, PV_DOUBLE);
	if (v)
		v->u.d = d;
	return v;
}

struct portal_value *pv_stringn(struct portal_arena *a, const char *s, size_t len)
{
	struct portal_value *v = make(a, PV_STRING);
	if (!v)
		return NULL;
	char *copy = portal_strndup(a, s ? s : "", s ? len : 0);
	if (!copy)
		return NULL;
	v->u.s.ptr = copy;
	v->u.s.len = s ? len : 0;
	return v;
}

struct portal_value *pv_string(struct portal_arena *a, const char *s)
{
	return pv_stringn(a, s, s ? strlen(s) : 0);
}

/* Members are found by walking an object's list: most names differ in their
 * first byte, which is compared before a call of strcmp. */
static bool same_key(const char *member, const char *key)
{
	return member[0] == key[0] && strcmp(member, key) == 0;
}

/* Adds a member; copy: key is copied into a, else used as it is. */
static int append(struct portal_arena *a, struct portal_value *c, const char *key, bool copy,
                  struct portal_value *value)
{
	struct pv_member *m = portal_alloc(a, sizeof *m);
	if (!m)
		return 500;
	m->key = key;
	if (key && copy && !(m->key = portal_strdup(a, key)))
		return 500;
	m->value = value;
	pv_link(c, m);
	return 0;
}

void pv_link(struct portal_value *c, struct pv_member *m)
{
	m->next = NULL;
	if (c->u.c.tail)
		c->u.c.tail->next = m;
	else
		c->u.c.head = m;
	c->u.c.tail = m;
	c->u.c.count++;
}

int pv_set(struct portal_arena *a, struct portal_value *obj, const char *key,
           struct portal_value *value)
{
	if (!obj || obj->type != PV_OBJECT || !key || !value)
		return 500;
	pv_foreach(m, obj) {
		if (same_key(m->key, key)) {
			m->value = value;
			return 0;
		}
	}
	return append(a, obj, key, true, value);
}

int pv_set_str(struct portal_arena *a, struct portal_value *obj, const char *key, const char *s)
{
	return pv_set(a, obj, key, s ? pv_string(a, s) : pv_null(a));
}

int pv_set_int(struct portal_arena *a, struct portal_value *obj, const char *key, long long i)
{
	return pv_set(a, obj, key, pv_int(a, i));
}

int pv_set_bool(struct portal_arena *a, struct portal_value *obj, const char *key, bool b)
{
	return pv_set(a, obj, key, pv_bool(a, b));
}

int pv_push(struct portal_arena *a, struct portal_value *list, struct portal_value *value)
{
	if (!list || list->type != PV_LIST || !value)
		return 500;
	return append(a, list, NULL, false, value);
}

struct portal_value *pv_get(const struct portal_value *obj, const char *key)
{
	if (!obj || obj->type != PV_OBJECT || !key)
		return NULL;
	pv_foreach(m, obj) {
		if (same_key(m->key, key))
			return m->value;
	}
	return NULL;
}

const char *pv_get_str(const struct portal_value *obj, const char *key)
{
	return pv_str(pv_get(obj, key));
}

long long pv_get_int(const struct portal_value *obj, const char *key, long long dflt)
{
	const struct portal_value *v = pv_get(obj, key);
	return v && v->type == PV_INT ? v->u.i : dflt;
}

size_t pv_count(const struct portal_value *v)
{
	return v && (v->type == PV_LIST || v->type == PV_OBJECT) ? v->u.c.count : 0;
}

struct portal_value *pv_first(const struct portal_value *list)
{
	return list && list->type == PV_LIST && list->u.c.head ? list->u.c.head->value : NULL;
}

const char *pv_str(const struct portal_value *v)
{
	return v && v->type == PV_STRING ? v->u.s.ptr : NULL;
}

bool pv_remove(struct portal_value *obj, const char *key)
{
	if (!obj || obj->type != PV_OBJECT || !key)
		return false;
	struct pv_member *prev = NULL;
	pv_foreach(m, obj) {
		if (same_key(m->key, key)) {
			if (prev)
				prev->next = m->next;
			else
				obj->u.c.head = m->next;
			if (obj->u.c.tail == m)
				obj->u.c.tail = prev;
			obj->u.c.count--;
			return true;
		}
		prev = m;
	}
	return false;
}

bool pv_truthy(const struct portal_value *v)
{
	if (!v)
		return false;
	switch (v->type) {
	case PV_NULL: return false;
	case PV_BOOL: return v->u.b;
	case PV_INT: return v->u.i != 0;
	case PV_DOUBLE: return v->u.d != 0;
	case PV_STRING: return v->u.s.len > 0;
	case PV_LIST: return v->u.c.count > 0;
	case PV_OBJECT: return true;
	}
	return false;
}
