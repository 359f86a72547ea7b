/* Search indexes: the words of objects (lib/words.h) kept in a table beside
 * them, written in the same transaction as the objects, so that a search reads
 * keys instead of an organisation's rows. Properties have one (sql/019); the
 * residents' and the tickets' searches are to follow with tables of the same
 * shape: (org_id, prefix, <sort>, <id>, word), primary key in that order, a
 * key on <id> and a foreign key that removes the rows with their object; and
 * optionally a column that holds, in every row, all the words of its object
 * (" word word ..."), so that a search of several terms reads the rows of one
 * and checks the others on each row it reads (sql/024). */
#ifndef CORE_SEARCH_H
#define CORE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "db/db.h"
#include "lib/words.h"

struct search_index {
	const char *name;    /* in search_rebuilds */
	const char *table;   /* e.g. "property_words" */
	const char *id;      /* the object's column, e.g. "property_id" */
	const char *sort;    /* the list's order kept in each row, e.g. "name" */
	const char *objects; /* the objects' table, whose "id" is the rows' id */
	/* The column of all the object's words, each after a space (NULL: none):
	 * a term is in it as LIKE '% term%'. */
	const char *words;
	/* Indexes the objects ids as they are now (search_properties_refresh). */
	int (*refresh)(struct db *db, const long long *ids, size_t count);
};

extern const struct search_index search_properties;

/* Terms beyond this make a search 422: each is a look-up per row read. */
#define SEARCH_TERMS_MAX 8

/* Indexes the properties ids (count of them) as they are now in the
 * database, replacing their rows: after a property was created or changed,
 * in the same transaction. 0 or an HTTP status. */
int search_properties_refresh(struct db *db, const long long *ids, size_t count);

/* Of a search's terms (count >= 2), the one with the fewest rows in the
 * organisation by the database's estimate: the one to read in order while the
 * others are looked up. The process keeps each term's estimate for a minute,
 * so that only terms it has not seen lately cost a round trip. 0 or an HTTP
 * status; *driver is its index. */
int search_driver(struct db *db, struct portal_arena *a, const struct search_index *ix,
                  long long org_id, const struct word_term *terms, size_t count, size_t *driver);

/* Fills the indexes named in search_rebuilds, a slice of objects at a time,
 * until all are done or budget_ms passed (0: no limit) or stop() says so
 * (may be NULL). *indexed (may be NULL) counts the objects. 0 or an HTTP
 * status. */
int search_rebuild(struct db *db, long long budget_ms, bool (*stop)(void), long long *indexed);

/* The job search-index: search_rebuild for a while. */
struct portal_req;
int search_index_job(struct portal_req *req);

/* Names index (by its name) for a rebuild from its first object on. */
int search_rebuild_request(struct db *db, struct portal_arena *a, const struct search_index *ix);

#endif
