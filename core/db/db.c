#include "db/db.h"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/metrics.h"
#include "portal/portal.h"
#include "lib/value.h"

#define STMT_CACHE_SIZE 256
#define MAX_COLUMNS 64
#define MAX_ARGS 4096

struct cached_stmt {
	char *sql;
	MYSQL_STMT *stmt;
};

struct db {
	const struct config *cfg;
	MYSQL *conn;
	bool in_transaction;
	bool lost_to_another; /* the last failure: see db_lost_to_another() */
	bool causal_reads;    /* a Galera node whose reads wait (wsrep_sync_wait) */
	bool clock_moved;     /* the session's timestamp is a test clock's */
	unsigned statements_this_request;
	/* What this request cost: round trips to the server (prepares,
	 * executions, transaction statements) and the time spent in them. */
	unsigned trips;
	long long busy_us;
	struct cached_stmt cache[STMT_CACHE_SIZE];
	size_t cached;
};

struct db *db_new(const struct config *cfg)
{
	struct db *db = calloc(1, sizeof *db);
	if (db)
		db->cfg = cfg;
	return db;
}

static void forget_statements(struct db *db)
{
	for (size_t i = 0; i < db->cached; i++) {
		if (db->conn)
			mysql_stmt_close(db->cache[i].stmt);
		free(db->cache[i].sql);
	}
	db->cached = 0;
}

static void disconnect(struct db *db)
{
	forget_statements(db);
	if (db->conn)
		mysql_close(db->conn);
	db->conn = NULL;
	db->in_transaction = false;
	db->clock_moved = false;
}

void db_free(struct db *db)
{
	if (!db)
		return;
	disconnect(db);
	free(db);
}

struct st_mysql *db_handle(struct db *db)
{
	return db->conn;
}

int db_connect(struct db *db, bool multi, char *err, size_t errlen)
{
	disconnect(db);
	if (!(db->conn = mysql_init(NULL))) {
		snprintf(err, errlen, "database: out of memory");
		return -1;
	}
	unsigned timeout = 3;
	/* A request's statements end within its time; the migrator's scripts
	 * (multi) may rebuild a big table's key for minutes, and a connection
	 * that gave up would leave the migration unrecorded and its lock held. */
	unsigned io_timeout = multi ? 3600 : (unsigned)config_int(db->cfg, "request_timeout") + 5;
	mysql_options(db->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(db->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(db->conn, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_options(db->conn, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	/* We reconnect and re-prepare ourselves: the connector's automatic
	 * reconnect would silently drop transactions and statements. */
	my_bool no = 0;
	mysql_options(db->conn, MYSQL_OPT_RECONNECT, &no);
	const char *host = config_get(db->cfg, "db_host");
	const char *sock = host && *host ? NULL : config_get(db->cfg, "db_socket");
	if (!mysql_real_connect(db->conn, host && *host ? host : "localhost",
	                        config_get(db->cfg, "db_user"), config_get(db->cfg, "db_password"),
	                        config_get(db->cfg, "db_name"),
	                        (unsigned)config_int(db->cfg, "db_port"), sock,
	                        multi ? CLIENT_MULTI_STATEMENTS : 0)) {
		snprintf(err, errlen, "database: %s", mysql_error(db->conn));
		disconnect(db);
		return -1;
	}
	/* Times are stored and read as UTC; strict mode refuses silent truncation. */
	if (mysql_query(db->conn, "SET time_zone = '+00:00', sql_mode = "
	                          "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'")) {
		snprintf(err, errlen, "database: %s", mysql_error(db->conn));
		disconnect(db);
		return -1;
	}
	db->causal_reads = false;
	if (!mysql_query(db->conn, "SELECT @@wsrep_on AND @@wsrep_sync_wait <> 0")) {
		MYSQL_RES *res = mysql_store_result(db->conn);
		MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
		db->causal_reads = row && row[0] && strcmp(row[0], "1") == 0;
		mysql_free_result(res);
	}
	return 0;
}

/* On a Galera node whose reads wait for causality (wsrep_sync_wait), the
 * reads inside a transaction do not wait: its START TRANSACTION waited
 * already. A read that waited in a transaction that another host's write
 * had just aborted came back without the error, as if the transaction were
 * still open: what it wrote before was gone, and a COMMIT after it answered
 * success (MariaDB 10.11; in the cluster test a report whose COMMIT had
 * succeeded was not stored). Without the wait the read reports the abort
 * far more often; transaction_still_open catches the rest. The text is the
 * statement's own in the statement cache. */
#define NO_CAUSAL_WAIT "SET STATEMENT wsrep_sync_wait = 0 FOR "

static const char *statement_text(struct db *db, struct portal_arena *a, const char *sql)
{
	if (!db->in_transaction || !db->causal_reads)
		return sql;
	size_t n = strlen(sql) + 1;
	char *text = portal_alloc(a, sizeof NO_CAUSAL_WAIT - 1 + n);
	if (text) {
		memcpy(text, NO_CAUSAL_WAIT, sizeof NO_CAUSAL_WAIT - 1);
		memcpy(text + sizeof NO_CAUSAL_WAIT - 1, sql, n);
	}
	return text;
}

/* A Galera node ends a local transaction that a write of another host,
 * certified first, conflicts with (a BF abort). Its next statement should
 * fail as a deadlock; on MariaDB 10.11 a read now and then ran instead,
 * outside any transaction, and so did everything after it: a COMMIT then
 * answered success for a transaction that was gone (in the cluster test, a
 * report whose COMMIT succeeded and that was not stored; its mail, written
 * after the read, was sent on its own). Every answer of the server says
 * whether a transaction is open (SERVER_STATUS_IN_TRANS): one that closed
 * under an open transaction of ours is taken for the deadlock it was, so
 * the transaction is rolled back (and run again where the caller does). */
static int transaction_still_open(struct db *db)
{
	if (!db->in_transaction || (db->conn->server_status & SERVER_STATUS_IN_TRANS))
		return 0;
	db->lost_to_another = true;
	portal_log("database: the server ended the open transaction (another host's write"
	           " aborted it); it is rolled back");
	return 503;
}

static bool connection_lost(unsigned err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST || err == CR_CONNECTION_ERROR ||
	       err == CR_CONN_HOST_ERROR || err == CR_SERVER_LOST_EXTENDED ||
	       err == ER_CONNECTION_KILLED || err == ER_SERVER_SHUTDOWN;
}

/* Maps a failed call to the status the SDK promises, and forgets a dead
 * connection so that the next request reconnects. */
static int failure(struct db *db, unsigned err, const char *msg, const char *sql)
{
	db->lost_to_another = err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT;
	if (connection_lost(err) || err == CR_SERVER_HANDSHAKE_ERR) {
		portal_log("database connection lost (%u); will reconnect", err);
		disconnect(db);
		return 503;
	}
	if (err == ER_DUP_ENTRY)
		return 409;
	/* On a Galera cluster a transaction that lost certification to another
	 * node's commits as a deadlock: nothing of it was written. */
	if (err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT)
		return 503;
	/* A Galera node that is joining, or cut off from the cluster's primary
	 * component, refuses statements until it is in sync: the request may go
	 * to another pool (nginx's upstream) or be tried again. */
	if (err == ER_UNKNOWN_COM_ERROR) {
		portal_log("database node not ready (%u): %s", err, msg);
		return 503;
	}
	portal_log("database error %u: %s (statement: %.80s)", err, msg, sql);
	return 500;
}

void db_request_start(struct db *db)
{
	db->statements_this_request = 0;
	db->trips = 0;
	db->busy_us = 0;
}

void db_request_stats(const struct db *db, unsigned *trips, long long *busy_us)
{
	*trips = db->trips;
	*busy_us = db->busy_us;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool db_in_transaction(const struct db *db)
{
	return db->in_transaction;
}

void db_request_end(struct db *db)
{
	if (db->in_transaction)
		db_rollback(db);
}

static struct cached_stmt *prepared(struct db *db, const char *sql, int *status)
{
	for (size_t i = 0; i < db->cached; i++)
		if (strcmp(db->cache[i].sql, sql) == 0)
			return &db->cache[i];
	if (db->cached == STMT_CACHE_SIZE) /* generated SQL should not grow without bound */
		forget_statements(db);
	MYSQL_STMT *st = mysql_stmt_init(db->conn);
	if (!st) {
		*status = 500;
		return NULL;
	}
	db->trips++;
	if (mysql_stmt_prepare(st, sql, strlen(sql))) {
		*status = failure(db, mysql_stmt_errno(st), mysql_stmt_error(st), sql);
		mysql_stmt_close(st);
		return NULL;
	}
	char *copy = strdup(sql);
	if (!copy) {
		mysql_stmt_close(st);
		*status = 500;
		return NULL;
	}
	my_bool update_max = 1;
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
	db->cache[db->cached] = (struct cached_stmt){copy, st};
	return &db->cache[db->cached++];
}

static int bind_args(MYSQL_STMT *st, const struct portal_db_arg *args, size_t nargs,
                     MYSQL_BIND *bind, unsigned long *lengths)
{
	if (mysql_stmt_param_count(st) != nargs)
		return -1;
	for (size_t i = 0; i < nargs; i++) {
		MYSQL_BIND *b = &bind[i];
		memset(b, 0, sizeof *b);
		switch (args[i].type) {
		case PDB_NULL: b->buffer_type = MYSQL_TYPE_NULL; break;
		case PDB_INT:
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = (void *)&args[i].i;
			break;
		case PDB_DOUBLE:
			b->buffer_type = MYSQL_TYPE_DOUBLE;
			b->buffer = (void *)&args[i].d;
			break;
		case PDB_STR:
			lengths[i] = args[i].len == (size_t)-1 ? strlen(args[i].s) : args[i].len;
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer = (void *)args[i].s;
			b->buffer_length = lengths[i];
			b->length = &lengths[i];
			break;
		}
	}
	return nargs ? mysql_stmt_bind_param(st, bind) : 0;
}

static bool is_integer_type(enum enum_field_types t)
{
	return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
	       t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_YEAR;
}

static bool is_time_type(enum enum_field_types t)
{
	return t == MYSQL_TYPE_DATETIME || t == MYSQL_TYPE_TIMESTAMP;
}

/* A DATETIME as the API writes it (2024-05-01T08:30:00Z) into iso (32
 * bytes); returns its length. */
static size_t iso_time(const MYSQL_TIME *t, char *iso)
{
	if (t->year > 9999 || t->month > 99 || t->day > 99 || t->hour > 99 || t->minute > 99 ||
	    t->second > 99)
		return (size_t)snprintf(iso, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ", t->year,
		                        t->month, t->day, t->hour, t->minute, t->second);
	const unsigned parts[6] = {t->year / 100, t->year % 100, t->month,
	                           t->day,        t->hour,       t->minute};
	static const char after[6] = {0, '-', '-', 'T', ':', ':'};
	char *d = iso;
	for (int i = 0; i < 6; i++) {
		*d++ = (char)('0' + parts[i] / 10);
		*d++ = (char)('0' + parts[i] % 10);
		if (after[i])
			*d++ = after[i];
	}
	*d++ = (char)('0' + t->second / 10);
	*d++ = (char)('0' + t->second % 10);
	*d++ = 'Z';
	*d = '\0';
	return (size_t)(d - iso);
}

/* How a statement's columns become a row's members: keys, the columns'
 * names copied once per statement; first[c], the first column of column c's
 * name (c itself but for a name that comes twice, whose later value wins in
 * the first one's place, as pv_set would have it). */
struct row_shape {
	unsigned ncol;
	const char *keys[MAX_COLUMNS];
	unsigned char first[MAX_COLUMNS];
};

/* Appends the fetched columns of the current row to list as an object, all
 * of it in one allocation: the list's member, the object, a member and a
 * value per column, and the texts. Returns 0 or 500. */
static int row_append(struct portal_arena *a, struct portal_value *list,
                      const struct row_shape *shape, const MYSQL_BIND *bind, const my_bool *nulls,
                      const unsigned long *lens)
{
	unsigned ncol = shape->ncol;
	size_t size = sizeof(struct pv_member) + sizeof(struct portal_value) +
	              ncol * (sizeof(struct pv_member) + sizeof(struct portal_value));
	for (unsigned c = 0; c < ncol; c++) {
		if (nulls[c] || bind[c].buffer_type == MYSQL_TYPE_LONGLONG)
			continue;
		size += bind[c].buffer_type == MYSQL_TYPE_DATETIME ? 32 : lens[c] + 1;
	}
	unsigned char *p = portal_alloc(a, size);
	if (!p)
		return 500;
	struct pv_member *item = (struct pv_member *)p;
	struct portal_value *row = (struct portal_value *)(item + 1);
	struct pv_member *members = (struct pv_member *)(row + 1);
	struct portal_value *values = (struct portal_value *)(members + ncol);
	char *text = (char *)(values + ncol);
	row->type = PV_OBJECT;
	for (unsigned c = 0; c < ncol; c++) {
		struct portal_value *v = &values[c];
		if (nulls[c]) {
			v->type = PV_NULL;
		} else if (bind[c].buffer_type == MYSQL_TYPE_LONGLONG) {
			v->type = PV_INT;
			v->u.i = *(const long long *)bind[c].buffer;
		} else {
			size_t len = bind[c].buffer_type == MYSQL_TYPE_DATETIME
			                 ? iso_time(bind[c].buffer, text)
			                 : lens[c];
			if (bind[c].buffer_type != MYSQL_TYPE_DATETIME)
				memcpy(text, bind[c].buffer, len);
			text[len] = '\0';
			v->type = PV_STRING;
			v->u.s.ptr = text;
			v->u.s.len = len;
			text += bind[c].buffer_type == MYSQL_TYPE_DATETIME ? 32 : len + 1;
		}
		if (shape->first[c] == c) {
			members[c].key = shape->keys[c];
			members[c].value = v;
			pv_link(row, &members[c]);
		} else {
			members[shape->first[c]].value = v;
		}
	}
	item->value = row;
	pv_link(list, item);
	return 0;
}

static int fetch_rows(struct db *db, const struct cached_stmt *cs, struct portal_arena *a,
                      const char *sql, struct portal_value **rows)
{
	MYSQL_STMT *st = cs->stmt;
	/* Metadata is fetched per execution: the connector may replace the
	 * statement's fields when a table changed. */
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	if (!meta)
		return rows ? (*rows = pv_list(a)) ? 0 : 500 : 0;
	int status = 0;
	unsigned ncol = mysql_num_fields(meta);
	MYSQL_FIELD *fields = mysql_fetch_fields(meta);
	MYSQL_BIND bind[MAX_COLUMNS];
	my_bool nulls[MAX_COLUMNS];
	unsigned long lens[MAX_COLUMNS];
	struct portal_value *list = pv_list(a);
	if (ncol > MAX_COLUMNS || !list) {
		status = 500;
		goto out;
	}
	if (mysql_stmt_store_result(st)) {
		status = failure(db, mysql_stmt_errno(st), mysql_stmt_error(st), sql);
		goto out;
	}
	memset(bind, 0, sizeof bind);
	for (unsigned c = 0; c < ncol; c++) {
		MYSQL_BIND *b = &bind[c];
		b->is_null = &nulls[c];
		b->length = &lens[c];
		if (is_integer_type(fields[c].type)) {
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer_length = sizeof(long long);
		} else if (is_time_type(fields[c].type)) {
			b->buffer_type = MYSQL_TYPE_DATETIME;
			b->buffer_length = sizeof(MYSQL_TIME);
		} else {
			b->buffer_type = MYSQL_TYPE_STRING;
			b->buffer_length = fields[c].max_length + 1;
		}
		b->is_unsigned = (fields[c].flags & UNSIGNED_FLAG) != 0;
		if (!(b->buffer = portal_alloc(a, b->buffer_length))) {
			status = 500;
			goto out;
		}
	}
	if (mysql_stmt_bind_result(st, bind)) {
		status = 500;
		goto out;
	}
	struct row_shape shape = {.ncol = ncol};
	for (unsigned c = 0; c < ncol; c++) {
		if (!(shape.keys[c] = portal_strdup(a, fields[c].name))) {
			status = 500;
			goto out;
		}
		unsigned first = 0;
		while (strcmp(shape.keys[first], shape.keys[c]) != 0)
			first++;
		shape.first[c] = (unsigned char)first;
	}
	int rc;
	while ((rc = mysql_stmt_fetch(st)) == 0) {
		if ((status = row_append(a, list, &shape, bind, nulls, lens)))
			break;
	}
	if (status == 0 && rc == 1)
		status = failure(db, mysql_stmt_errno(st), mysql_stmt_error(st), sql);
	if (status == 0 && rows)
		*rows = list;
out:
	mysql_stmt_free_result(st);
	mysql_free_result(meta);
	return status;
}

/* For /healthz: a statement the server answered (whatever it said) reached
 * it; a connection that is gone afterwards did not. */
static void note_reach(const struct db *db, int status)
{
	if (db->conn)
		metrics_db_reached();
	else if (status == 503)
		metrics_db_lost();
}

/* A moved test clock (lib/clock.h) moves NOW(), UTC_TIMESTAMP() and the
 * columns' defaults too: the session's timestamp is set before each
 * statement, so that time still runs between statements as it does in C (a
 * timestamp once set stands still). The server's clock again once the test
 * clock is back at 0. Not counted as a round trip of the request: without a
 * moved test clock it is not there. */
static int follow_clock(struct db *db)
{
	long long offset = clock_offset();
	if (!offset && !db->clock_moved)
		return 0;
	char sql[64] = "SET timestamp = DEFAULT";
	if (offset) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(sql, sizeof sql, "SET timestamp = %lld.%06ld",
		         (long long)ts.tv_sec + offset, ts.tv_nsec / 1000);
	}
	if (mysql_query(db->conn, sql))
		return failure(db, mysql_errno(db->conn), mysql_error(db->conn), sql);
	db->clock_moved = offset != 0;
	return 0;
}

static int run_once(struct db *db, struct portal_arena *a, const char *sql,
                    const struct portal_db_arg *args, size_t nargs, struct portal_value **rows,
                    unsigned long long *affected, unsigned long long *insert_id)
{
	char err[256];
	if (!db->conn && db_connect(db, false, err, sizeof err)) {
		portal_log("%s", err);
		return 503;
	}
	int status = follow_clock(db);
	const char *text = status ? NULL : statement_text(db, a, sql);
	if (!status && !text)
		return 500;
	struct cached_stmt *cs = status ? NULL : prepared(db, text, &status);
	if (!cs)
		return status;
	MYSQL_STMT *st = cs->stmt;
	/* Multi-row inserts bind hundreds of arguments: the arrays come from the
	 * request's arena. */
	MYSQL_BIND *bind = nargs ? portal_alloc(a, nargs * sizeof *bind) : NULL;
	unsigned long *lengths = nargs ? portal_alloc(a, nargs * sizeof *lengths) : NULL;
	if (nargs > MAX_ARGS || (nargs && (!bind || !lengths)) ||
	    bind_args(st, args, nargs, bind, lengths)) {
		portal_log("database: wrong arguments for statement: %.80s", sql);
		return 500;
	}
	db->trips++;
	if (mysql_stmt_execute(st))
		return failure(db, mysql_stmt_errno(st), mysql_stmt_error(st), sql);
	if (affected)
		*affected = mysql_stmt_affected_rows(st);
	if (insert_id)
		*insert_id = mysql_stmt_insert_id(st);
	status = fetch_rows(db, cs, a, sql, rows);
	return status ? status : transaction_still_open(db);
}

int db_run(struct db *db, struct portal_arena *a, const char *sql, const struct portal_db_arg *args,
           size_t nargs, struct portal_value **rows, unsigned long long *affected,
           unsigned long long *insert_id)
{
	bool first = db->statements_this_request++ == 0 && !db->in_transaction;
	bool had_connection = db->conn != NULL;
	long long start = now_us();
	int status = run_once(db, a, sql, args, nargs, rows, affected, insert_id);
	/* After a server restart the first statement on an old connection fails.
	 * Retrying it is safe only when nothing has run yet in this request. */
	if (status == 503 && first && had_connection && !db->conn)
		status = run_once(db, a, sql, args, nargs, rows, affected, insert_id);
	db->busy_us += now_us() - start;
	note_reach(db, status);
	return status;
}

static int simple(struct db *db, const char *sql)
{
	char err[256];
	if (!db->conn && db_connect(db, false, err, sizeof err)) {
		portal_log("%s", err);
		metrics_db_lost();
		return 503;
	}
	long long start = now_us();
	db->trips++;
	int failed = mysql_query(db->conn, sql);
	db->busy_us += now_us() - start;
	int status = failed ? failure(db, mysql_errno(db->conn), mysql_error(db->conn), sql) : 0;
	note_reach(db, status);
	return status;
}

int db_begin(struct db *db)
{
	db->lost_to_another = false;
	bool first = db->statements_this_request++ == 0;
	bool had_connection = db->conn != NULL;
	int status = simple(db, "START TRANSACTION");
	if (status == 503 && first && had_connection && !db->conn)
		status = simple(db, "START TRANSACTION");
	if (status == 0)
		db->in_transaction = true;
	return status;
}

bool db_lost_to_another(const struct db *db)
{
	return db->lost_to_another && db->conn;
}

int db_commit(struct db *db)
{
	int status = simple(db, "COMMIT");
	db->in_transaction = false;
	return status;
}

int db_rollback(struct db *db)
{
	int status = db->conn ? simple(db, "ROLLBACK") : 0;
	db->in_transaction = false;
	return status;
}
