/* Search indexes (portal/search.h): the words of objects kept in a table
 * beside them, written in the same transaction as the objects, so that a
 * search reads keys instead of an organisation's rows. Properties have one
 * (sql/019), plugins declare theirs (the tickets' in plugins/tickets). */
#ifndef CORE_SEARCH_H
#define CORE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"
#include "plugin/plugin.h"
#include "portal/search.h"

extern const struct portal_search_index search_properties;

/* Indexes the objects ids (count of them) of ix as they are now in the
 * database, replacing their rows: after an object was created or changed,
 * in the same transaction (portal_search_refresh). 0 or an HTTP status. */
int search_refresh(struct db *db, const struct portal_search_index *ix, const long long *ids,
                   size_t count);

/* search_refresh of objects just created, which have no rows to replace (the
 * removal of none would lock where parallel creates insert). */
int search_add(struct db *db, const struct portal_search_index *ix, const long long *ids,
               size_t count);

/* search_refresh of properties. */
int search_properties_refresh(struct db *db, const long long *ids, size_t count);

/* Of a search's terms (count >= 2), the one with the fewest rows in the
 * organisation by the database's estimate: the one to read in order while the
 * others are looked up. The process keeps each term's estimate for a minute,
 * so that only terms it has not seen lately cost a round trip. 0 or an HTTP
 * status; *driver is its index. */
int search_driver(struct db *db, struct portal_arena *a, const struct portal_search_index *ix,
                  long long org_id, const struct portal_word_term *terms, size_t count,
                  size_t *driver);

/* Fills the indexes named in search_rebuilds that core or a plugin of set
 * declares (a disabled plugin's wait for it), a slice of objects at a time,
 * until all are done or budget_ms passed (0: no limit) or stop() says so
 * (may be NULL). *indexed (may be NULL) counts the objects. 0 or an HTTP
 * status. */
int search_rebuild(struct db *db, const struct plugin_set *set, long long budget_ms,
                   bool (*stop)(void), long long *indexed);

/* The job search-index: search_rebuild for a while. */
struct portal_req;
int search_index_job(struct portal_req *req);

/* Names index (by its name) for a rebuild from its first object on. */
int search_rebuild_request(struct db *db, struct portal_arena *a,
                           const struct portal_search_index *ix);

/* Calls fn for each index of core and the plugins of set; stops at the first
 * non-zero return and returns it. */
int search_each_index(const struct plugin_set *set,
                      int (*fn)(const struct portal_search_index *ix, void *arg), void *arg);

#endif
