/* One MariaDB connection with its cache of prepared statements (a worker's, or
 * the master's while it migrates). The SDK calls in portal/db.h wrap these. */
#ifndef CORE_DB_H
#define CORE_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/config.h"
#include "portal/arena.h"
#include "portal/db.h"

struct db;
struct st_mysql;

/* A handle that connects on first use; NULL on OOM. */
struct db *db_new(const struct config *cfg);
void db_free(struct db *db);

/* Connects now (0, or -1 with one line in err). With multi_statements the
 * connection may run migration files, and waits up to an hour for each
 * statement; never use that for request data. */
int db_connect(struct db *db, bool multi_statements, char *err, size_t errlen);
struct st_mysql *db_handle(struct db *db);

/* Brackets a request: a transaction left open is rolled back at the end. */
void db_request_start(struct db *db);
void db_request_end(struct db *db);
/* Between db_begin and db_commit or db_rollback. */
bool db_in_transaction(const struct db *db);

/* What the request cost the database so far: round trips to the server
 * (prepares, executions, transaction statements) and microseconds in them. */
void db_request_stats(const struct db *db, unsigned *trips, long long *busy_us);

/* Prepares (once per connection), binds, executes. rows (may be NULL) gets a list
 * of objects in arena. Returns 0, 409 duplicate key, 503 unreachable, 500 else. */
int db_run(struct db *db, struct portal_arena *arena, const char *sql,
           const struct portal_db_arg *args, size_t nargs, struct portal_value **rows,
           unsigned long long *affected, unsigned long long *insert_id);

int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/* The transaction begun last failed because the server chose another over it:
 * a deadlock, a lock wait that timed out, or on a Galera cluster another
 * host's write certified first. Nothing of it was committed, and the
 * connection is alive: it may be rolled back and run again. Not so after a
 * lost connection, when a COMMIT may have happened. */
bool db_lost_to_another(const struct db *db);

#endif
