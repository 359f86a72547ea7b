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

#endif
