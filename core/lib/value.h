/* What core adds to the SDK's values (portal/value.h) for its own hot paths. */
#ifndef CORE_LIB_VALUE_H
#define CORE_LIB_VALUE_H

#include "portal/value.h"

/* Adds obj[key] without looking for a member of that key and without copying
 * key: for a caller that knows obj has none yet (a database row's columns,
 * whose names were checked once per statement) and that key lives as long as
 * obj (in the same arena). Returns 0, or 500 on exhaustion or a bad argument. */
int pv_append_unique(struct portal_arena *a, struct portal_value *obj, const char *key,
                     struct portal_value *value);

#endif
