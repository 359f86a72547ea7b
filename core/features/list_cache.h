/* A worker's cache of managers' lists (list_cache.c). */
#ifndef CORE_FEATURES_LIST_CACHE_H
#define CORE_FEATURES_LIST_CACHE_H

#include "portal/db.h"
#include "portal/request.h"

/* portal_db_query for a statement whose rows depend only on its text, its
 * arguments and the caller's organisation's data that bumps the content
 * generation (properties: sql/027): the rows of an earlier request of any
 * manager of the organisation while the generation is the same, copied into
 * the request's arena (the caller may change them). */
int list_cache_query(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                     size_t nargs, struct portal_value **rows);

void list_cache_free(void);

#endif
