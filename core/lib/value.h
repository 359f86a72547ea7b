/* What core adds to the SDK's values (portal/value.h) for its own hot paths. */
#ifndef CORE_LIB_VALUE_H
#define CORE_LIB_VALUE_H

#include "portal/value.h"

/* Appends m, which the caller allocated in c's arena and filled, to the
 * list or object c without looking for a member of m's key and without
 * copying it: for a builder that allocates many members at once and knows
 * each key is new (a database row's columns, whose names were checked once
 * per statement) and lives as long as c. m's key is NULL in a list. */
void pv_link(struct portal_value *c, struct pv_member *m);

/* A deep copy of v in a, keys included; NULL when a is exhausted. */
struct portal_value *pv_copy(struct portal_arena *a, const struct portal_value *v);

/* A deep copy of v in one block of malloc of exactly the bytes it needs
 * (*size; free() the value to free it all), for a copy kept long beside the
 * requests' arenas; NULL when out of memory or when it would need more than
 * max bytes. */
struct portal_value *pv_pack(const struct portal_value *v, size_t max, size_t *size);

#endif
