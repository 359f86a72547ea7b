/* What the pool counts for /healthz and /metrics, in memory shared by the
 * master and every worker it forks: requests by method, route pattern and
 * status with their latency, when a process last reached the database, and
 * the workers the master replaced. Writers use atomics only, so counting
 * takes no lock on the request path. In a process that never called
 * metrics_init (portalctl) every call does nothing. */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdbool.h>

#define METRICS_ROUTE_MAX 112
#define METRICS_ENTRIES 1024
#define METRICS_BUCKETS 11

/* The upper bounds of the latency buckets, in seconds (+Inf is the count). */
extern const double metrics_bucket_bounds[METRICS_BUCKETS];

enum metrics_entry_state { METRICS_EMPTY, METRICS_WRITING, METRICS_READY };

/* One method, route and status. The key is written once, before state becomes
 * METRICS_READY; the counters only grow. */
struct metrics_entry {
	unsigned state;
	int status;
	char method[8];
	char route[METRICS_ROUTE_MAX];
	unsigned long long count;
	unsigned long long sum_us;
	unsigned long long buckets[METRICS_BUCKETS]; /* each counts its own range only */
};

struct metrics_board {
	/* CLOCK_MONOTONIC ms of the last statement that reached MariaDB; 0 when
	 * the last one could not (the last store wins, in any process). */
	long long db_reached_ms;
	unsigned long long exits_clean;  /* workers that exited by themselves (recycled, reload) */
	unsigned long long exits_failed; /* workers that crashed or were killed */
	unsigned long long uncounted;    /* requests that found the table full */
	struct metrics_entry entries[METRICS_ENTRIES];
};

/* Maps the shared board; the master calls it once before forking. 0 or -1. */
int metrics_init(void);
/* The board, for reading (NULL without metrics_init). */
const struct metrics_board *metrics_board(void);

long long metrics_now_us(void); /* CLOCK_MONOTONIC */

/* A request ended. route is the matched pattern ("/api/v1/properties/{id}"),
 * NULL when none matched: a raw path must never become a label. */
void metrics_request(const char *method, const char *route, int status, long long micros);

/* The database layer reports each statement's reach: reached, or the server
 * could not be reached (a lost connection, a refused connect). */
void metrics_db_reached(void);
void metrics_db_lost(void);
/* Whether the last statement reached MariaDB, within the last max_age_ms. */
bool metrics_db_fresh(long long max_age_ms);

/* The master reaped a worker. */
void metrics_worker_exited(bool clean);

/* The request workers busy and idle; the master installs the counting
 * (it owns the scoreboard) before it forks. Both 0 without it. */
void metrics_set_worker_counter(void (*count)(int *busy, int *idle));
void metrics_workers(int *busy, int *idle);

#endif
