/* MariaDB access: prepared statements with bound arguments, nothing else. Each
 * worker holds one connection; statements are prepared once per connection and
 * prepared again after a reconnect. */
#ifndef PORTAL_DB_H
#define PORTAL_DB_H

#include <stddef.h>

#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

struct portal_req;

enum portal_db_type { PDB_NULL, PDB_INT, PDB_DOUBLE, PDB_STR };

struct portal_db_arg {
	enum portal_db_type type;
	long long i;
	double d;
	const char *s;
	size_t len;
};

#define PDB_I(v) ((struct portal_db_arg){.type = PDB_INT, .i = (v)})
#define PDB_D(v) ((struct portal_db_arg){.type = PDB_DOUBLE, .d = (v)})
/* A NULL string binds SQL NULL. (Members in order, without designators: this
 * header is also read as C++, which has them only from C++20.) */
static inline struct portal_db_arg portal_db_str(const char *s)
{
	struct portal_db_arg a = {s ? PDB_STR : PDB_NULL, 0, 0, s, (size_t)-1};
	return a;
}
#define PDB_S(v) portal_db_str(v)
#define PDB_NUL ((struct portal_db_arg){.type = PDB_NULL})
/* Bytes that are not text, e.g. a SHA-256 for a BINARY(32) column. */
#define PDB_B(ptr, n) \
	((struct portal_db_arg){.type = PDB_STR, .s = (const char *)(ptr), .len = (n)})
/* PORTAL_DB_ARGS(PDB_I(id), PDB_S(name)) expands to the array and its length. */
#define PORTAL_DB_ARGS(...)                          \
	(const struct portal_db_arg[]){__VA_ARGS__}, \
	    sizeof((const struct portal_db_arg[]){__VA_ARGS__}) / sizeof(struct portal_db_arg)
#define PORTAL_DB_NOARGS NULL, 0

/* A list of ids as one argument, so that a statement's text (and its prepared
 * form) does not depend on how many there are:
 *     "SELECT ... WHERE p.id IN " PORTAL_DB_ID_LIST, ... portal_db_ids(req, ids, n)
 * A NULL string (out of memory) binds NULL, which matches nothing. */
#define PORTAL_DB_ID_LIST \
	"(SELECT id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT PATH '$')) AS id_list_)"
struct portal_db_arg portal_db_ids(struct portal_req *req, const long long *ids, size_t count);

/* For the few ids of a hot query (a resident's properties on the home), a
 * plain list instead: returns "?,?,?" with one placeholder per id and appends
 * the ids to args from *n on (args must have room for them). The optimizer
 * reads a plain IN list as ranges of an index where the JSON list above is a
 * join; the price is one statement text per count, so keep count small.
 * NULL when out of memory. */
const char *portal_db_placeholders(struct portal_req *req, const long long *ids, size_t count,
                                   struct portal_db_arg *args, size_t *n);

/* All calls return 0 on success or an HTTP status a handler can return as is:
 * 503 when the database is unreachable (the worker reconnects on its next
 * request), 409 on a duplicate key, 500 otherwise (logged, never shown).
 *
 * portal_db_query: *rows becomes a list of objects keyed by column label, in the
 * request's arena; integers are PV_INT, DATETIME/TIMESTAMP an RFC 3339 UTC string,
 * NULL PV_NULL, everything else a string. */
int portal_db_query(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                    size_t nargs, struct portal_value **rows);

/* A query for one row: *row is it, or 404 "not_found" is recorded and
 * returned when there is none (an object of another organisation is not
 * found either: scope the query by the caller's org_id). */
int portal_db_one(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                  size_t nargs, struct portal_value **row);

/* A statement that must change a row (delete or update one object of the
 * caller's): 404 "not_found" is recorded and returned when it changed none. */
int portal_db_exec_one(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                       size_t nargs);

/* For statements without a result. affected and insert_id may be NULL. */
int portal_db_exec(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                   size_t nargs, unsigned long long *affected, unsigned long long *insert_id);

/* Transactions. A transaction still open when the handler returns is rolled back. */
int portal_db_begin(struct portal_req *req);
int portal_db_commit(struct portal_req *req);
int portal_db_rollback(struct portal_req *req);

/* A transaction that is run again when the database chose another over it.
 * body(req, ctx) runs between begin and commit; a status it returns rolls
 * back and is returned. When the database refused the transaction for
 * another's sake (a deadlock, a lock wait that timed out, or on a Galera
 * cluster another host's write certified first: on a cluster two hosts that
 * change one row at one instant), nothing of it was written, and it is run
 * again after a short random pause (at most 20 ms, doubling each time),
 * five tries in all; then 503. So body must have no effect outside the
 * database that a second run would repeat (files are stored before it and
 * removed by the caller on failure; mail goes through the outbox, which is
 * the database; listeners of the events it emits run again). What a try set
 * of the request, its response headers and its session (a sign-in's
 * portal_session_start), is undone before the next. */
int portal_db_transaction(struct portal_req *req, int (*body)(struct portal_req *req, void *ctx),
                          void *ctx);

#ifdef __cplusplus
}
#endif

#endif
