#include "plugin/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <mysql.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/arena.h"
#include "db/db.h"
#include "portal/files.h"

#define MAX_FILES 512
#define MAX_SQL_BYTES (4 << 20)

static int is_migration(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && name[0] >= '0' && name[0] <= '9' && strcmp(name + n - 4, ".sql") == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted file names of dir; a missing folder has none. */
static int list_files(const char *dir, char **names, size_t *count, char *err, size_t errlen)
{
	*count = 0;
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT
		           ? 0
		           : (snprintf(err, errlen, "%s: %s", dir, strerror(errno)), -1);
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (!is_migration(e->d_name))
			continue;
		if (*count == MAX_FILES || !(names[*count] = strdup(e->d_name))) {
			snprintf(err, errlen, "%s: too many migrations", dir);
			rc = -1;
			break;
		}
		(*count)++;
	}
	closedir(d);
	qsort(names, *count, sizeof *names, by_name);
	return rc;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = malloc(MAX_SQL_BYTES + 1);
	size_t n = text ? fread(text, 1, MAX_SQL_BYTES + 1, f) : 0;
	fclose(f);
	if (!text || n > MAX_SQL_BYTES) {
		snprintf(err, errlen, "%s: too large", path);
		free(text);
		return NULL;
	}
	text[n] = '\0';
	return text;
}

static int drain_results(MYSQL *conn)
{
	int status;
	do {
		MYSQL_RES *res = mysql_store_result(conn);
		if (res)
			mysql_free_result(res);
		else if (mysql_field_count(conn) != 0)
			return -1;
	} while ((status = mysql_next_result(conn)) == 0);
	return status > 0 ? -1 : 0;
}

static int exec_sql(MYSQL *conn, const char *sql, const char *what, char *err, size_t errlen)
{
	if (mysql_query(conn, sql) || drain_results(conn)) {
		snprintf(err, errlen, "migration %s: %s", what, mysql_error(conn));
		return -1;
	}
	return 0;
}

/* Whether key was applied: 0 with *done set, or -1 with a line in err. */
static int applied(struct db *db, struct portal_arena *arena, const char *key, int *done, char *err,
                   size_t errlen)
{
	struct portal_value *rows;
	if (db_run(db, arena, "SELECT 1 FROM schema_migrations WHERE name = ?",
	           PORTAL_DB_ARGS(PDB_S(key)), &rows, NULL, NULL)) {
		snprintf(err, errlen, "migrations: cannot read schema_migrations");
		return -1;
	}
	*done = rows->u.c.count > 0;
	return 0;
}

static int record(struct db *db, struct portal_arena *arena, const char *key, char *err,
                  size_t errlen)
{
	if (db_run(db, arena,
	           "INSERT INTO schema_migrations (name, applied_at) VALUES (?, UTC_TIMESTAMP())",
	           PORTAL_DB_ARGS(PDB_S(key)), NULL, NULL, NULL)) {
		snprintf(err, errlen, "migrations: cannot record %s", key);
		return -1;
	}
	return 0;
}

/* Applies the pending files of one folder; owner names them in schema_migrations. */
static int migrate_dir(struct db *db, struct portal_arena *arena, const char *owner,
                       const char *dir, int verbose, char *err, size_t errlen)
{
	char *names[MAX_FILES];
	size_t count;
	if (list_files(dir, names, &count, err, errlen))
		return -1;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < count; i++) {
		char key[300], path[4096];
		snprintf(key, sizeof key, "%s/%s", owner, names[i]);
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		int done = 0;
		if ((rc = applied(db, arena, key, &done, err, errlen)) || done)
			continue;
		char *sql = read_file(path, err, errlen);
		if (!sql) {
			rc = -1;
			continue;
		}
		rc = exec_sql(db_handle(db), sql, key, err, errlen);
		free(sql);
		if (rc == 0 && (rc = record(db, arena, key, err, errlen)) == 0 && verbose)
			printf("migrated %s\n", key);
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	return rc;
}

/* The columns the plugin declares to name stored files, kept for good:
 * files of a plugin disabled later stay while its rows name them. */
static int record_file_columns(struct db *db, struct portal_arena *arena,
                               const struct portal_plugin *def, char *err, size_t errlen)
{
	for (const struct portal_table *t = PLUGIN_MEMBER(def, tables); t && t->table; t++) {
		if (t->file &&
		    db_run(db, arena,
		           "INSERT IGNORE INTO stored_file_columns (table_name, column_name)"
		           " VALUES (?, ?)",
		           PORTAL_DB_ARGS(PDB_S(t->table), PDB_S(t->file)), NULL, NULL, NULL)) {
			snprintf(err, errlen, "migrations: cannot record the file columns of %s",
			         def->name);
			return -1;
		}
	}
	return 0;
}

/* The migration lock of the whole cluster. GET_LOCK is one server's only: on a
 * Galera cluster two hosts starting at once would both migrate. The lock is
 * a row claimed by one autocommit UPDATE, which Galera certifies across the
 * nodes (the loser's retry finds it taken); its lease (migration_lease_seconds)
 * lets a later start take over from a migrator that died, and is renewed
 * while migrations run (struct lease_keeper). */
#define LOCK_WAIT_MS 120000
#define LOCK_POLL_MS 250

static void lock_holder(char *out, size_t len)
{
	char host[64] = "";
	if (gethostname(host, sizeof host - 1))
		snprintf(host, sizeof host, "unknown");
	snprintf(out, len, "%s:%ld", host, (long)getpid());
}

static int claim_lock(struct db *db, struct portal_arena *arena, const char *holder, long lease,
                      char *err, size_t errlen)
{
	if (db_run(db, arena, "INSERT IGNORE INTO schema_lock (id) VALUES (1)", PORTAL_DB_NOARGS,
	           NULL, NULL, NULL)) {
		snprintf(err, errlen, "migrations: cannot make the lock row");
		return -1;
	}
	for (int waited = 0; waited < LOCK_WAIT_MS; waited += LOCK_POLL_MS) {
		unsigned long long got = 0;
		/* A failure (a certification conflict) is tried again like a miss. */
		if (!db_run(db, arena,
		            "UPDATE schema_lock SET holder = ?,"
		            " until = UTC_TIMESTAMP() + INTERVAL ? SECOND"
		            " WHERE id = 1 AND (holder IS NULL OR until < UTC_TIMESTAMP())",
		            PORTAL_DB_ARGS(PDB_S(holder), PDB_I(lease)), NULL, &got, NULL) &&
		    got == 1)
			return 0;
		struct timespec pause = {0, LOCK_POLL_MS * 1000000L};
		nanosleep(&pause, NULL);
	}
	snprintf(err, errlen,
	         "migrations: another process holds the migration lock (table schema_lock)");
	return -1;
}

static void release_lock(struct db *db, struct portal_arena *arena, const char *holder, long lease)
{
	if (db_run(db, arena, "UPDATE schema_lock SET holder = NULL WHERE id = 1 AND holder = ?",
	           PORTAL_DB_ARGS(PDB_S(holder)), NULL, NULL, NULL))
		portal_log("migrations: the lock was not released; it lapses within %ld s", lease);
}

/* A migration may run longer than the lease (a key built over a big table):
 * a thread renews the lease every third of it over a connection of its own,
 * the migrator's being busy with the migration, until told to stop (a byte
 * on its pipe). */
struct lease_keeper {
	const struct config *cfg;
	const char *holder;
	long lease;
	int stop[2]; /* the pipe: written to stop */
	pthread_t thread;
};

static void *keep_lease(void *arg)
{
	struct lease_keeper *k = arg;
	struct db *db = db_new(k->cfg);
	struct portal_arena *arena = arena_new(1 << 16);
	struct pollfd stop = {.fd = k->stop[0], .events = POLLIN};
	for (;;) {
		int ready = poll(&stop, 1, (int)(k->lease * 1000 / 3));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready != 0)
			break;
		if (!db || !arena ||
		    db_run(db, arena,
		           "UPDATE schema_lock SET until = UTC_TIMESTAMP() + INTERVAL ? SECOND"
		           " WHERE id = 1 AND holder = ?",
		           PORTAL_DB_ARGS(PDB_I(k->lease), PDB_S(k->holder)), NULL, NULL, NULL))
			portal_log("migrations: the lock's lease was not renewed");
	}
	db_free(db);
	arena_free(arena);
	return NULL;
}

static int lease_keeper_start(struct lease_keeper *k)
{
	if (pipe(k->stop))
		return -1;
	if (pthread_create(&k->thread, NULL, keep_lease, k) == 0)
		return 0;
	close(k->stop[0]);
	close(k->stop[1]);
	return -1;
}

static void lease_keeper_stop(struct lease_keeper *k)
{
	if (write(k->stop[1], "", 1) != 1)
		portal_log("migrations: cannot stop the lease's renewal: %s", strerror(errno));
	pthread_join(k->thread, NULL);
	close(k->stop[0]);
	close(k->stop[1]);
}

int migrate_run(const struct config *cfg, const struct plugin_set *set, int verbose, char *err,
                size_t errlen)
{
	struct db *db = db_new(cfg);
	struct portal_arena *arena = arena_new(1 << 20);
	if (!db || !arena || db_connect(db, true, err, errlen)) {
		db_free(db);
		arena_free(arena);
		return -1;
	}
	MYSQL *conn = db_handle(db);
	/* One migrator at a time, across processes (GET_LOCK, on this server) and
	 * hosts (the row of schema_lock, on a cluster). */
	char holder[128];
	lock_holder(holder, sizeof holder);
	int rc = exec_sql(conn, "DO GET_LOCK('portal_migrate', 60)", "lock", err, errlen);
	if (rc == 0)
		rc = exec_sql(conn,
		              "CREATE TABLE IF NOT EXISTS schema_lock ("
		              " id TINYINT UNSIGNED NOT NULL PRIMARY KEY,"
		              " holder VARCHAR(100) NULL,"
		              " until DATETIME NULL"
		              ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		              "schema_lock", err, errlen);
	struct lease_keeper keeper = {
	    .cfg = cfg, .holder = holder, .lease = config_int(cfg, "migration_lease_seconds")};
	bool locked = rc == 0 && claim_lock(db, arena, holder, keeper.lease, err, errlen) == 0;
	bool kept = locked && lease_keeper_start(&keeper) == 0;
	if (rc == 0 && !kept) {
		if (locked)
			snprintf(err, errlen, "migrations: cannot start renewing the lock's lease");
		rc = -1;
	}
	if (rc == 0)
		rc = exec_sql(conn,
		              "CREATE TABLE IF NOT EXISTS schema_migrations ("
		              " name VARCHAR(190) NOT NULL PRIMARY KEY,"
		              " applied_at DATETIME NOT NULL"
		              ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
		              "schema_migrations", err, errlen);
	/* The migrator's record of file columns (below), kept by the migrator
	 * like schema_migrations: it exists whatever the sql folder's age. */
	if (rc == 0)
		rc = exec_sql(conn,
		              "CREATE TABLE IF NOT EXISTS stored_file_columns ("
		              " table_name VARCHAR(64) NOT NULL,"
		              " column_name VARCHAR(64) NOT NULL,"
		              " PRIMARY KEY (table_name, column_name)"
		              ") ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin",
		              "stored_file_columns", err, errlen);
	if (rc == 0)
		rc = migrate_dir(db, arena, "core", config_get(cfg, "sql_dir"), verbose, err,
		                 errlen);
	if (rc == 0)
		rc = record_file_columns(db, arena, set->items[0].def, err, errlen);
	for (size_t i = 1; rc == 0 && i < set->count; i++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/sql", set->items[i].share_dir);
		rc = migrate_dir(db, arena, set->items[i].def->name, dir, verbose, err, errlen);
		if (rc == 0)
			rc = record_file_columns(db, arena, set->items[i].def, err, errlen);
	}
	if (kept)
		lease_keeper_stop(&keeper);
	if (locked)
		release_lock(db, arena, holder, keeper.lease);
	db_free(db); /* closing the connection releases GET_LOCK */
	arena_free(arena);
	return rc;
}
