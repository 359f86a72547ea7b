/* The pool's shared counters (core/lib/metrics.c): nothing without the board,
 * exact counts from processes counting at once, latency buckets, the database's
 * reach, and a full table. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "lib/metrics.h"

#define PROCESSES 4
#define PER_PROCESS 20000
#define ROUTES 20

static const struct metrics_entry *find(const char *method, const char *route, int status)
{
	const struct metrics_board *m = metrics_board();
	for (int i = 0; i < METRICS_ENTRIES; i++) {
		const struct metrics_entry *e = &m->entries[i];
		if (e->state == METRICS_READY && e->status == status &&
		    strcmp(e->method, method) == 0 && strcmp(e->route, route) == 0)
			return e;
	}
	return NULL;
}

static int ready_entries(void)
{
	int n = 0;
	for (int i = 0; i < METRICS_ENTRIES; i++)
		n += metrics_board()->entries[i].state == METRICS_READY;
	return n;
}

static void test_without_board(void)
{
	metrics_request("GET", "/x", 200, 10);
	metrics_db_reached();
	CHECK(metrics_board() == NULL);
	CHECK(!metrics_db_fresh(1000));
	int busy = 7, idle = 7;
	metrics_workers(&busy, &idle);
	CHECK(busy == 0 && idle == 0);
}

/* Processes counting the same keys at the same time lose nothing and make no
 * key twice. */
static void test_concurrent_counting(void)
{
	pid_t kids[PROCESSES];
	for (int p = 0; p < PROCESSES; p++) {
		if ((kids[p] = fork()) == 0) {
			char route[32];
			for (int i = 0; i < PER_PROCESS; i++) {
				snprintf(route, sizeof route, "/r/%d/{id}", i % ROUTES);
				metrics_request("GET", route, i % 3 ? 200 : 404, 1000);
			}
			_exit(0);
		}
	}
	int clean = 1;
	for (int p = 0; p < PROCESSES; p++) {
		int st;
		clean &=
		    waitpid(kids[p], &st, 0) == kids[p] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	CHECK(clean);
	CHECK(ready_entries() == ROUTES * 2);
	unsigned long long total = 0;
	char route[32];
	for (int r = 0; r < ROUTES; r++) {
		snprintf(route, sizeof route, "/r/%d/{id}", r);
		for (int s = 0; s < 2; s++) {
			const struct metrics_entry *e = find("GET", route, s ? 404 : 200);
			CHECK(e != NULL);
			if (!e)
				continue;
			total += e->count;
			CHECK(e->sum_us == e->count * 1000);
			CHECK(e->buckets[0] == e->count); /* 1 ms: the first bucket, 5 ms */
		}
	}
	CHECK(total == (unsigned long long)PROCESSES * PER_PROCESS);
	CHECK(metrics_board()->uncounted == 0);
}

static void test_buckets_and_labels(void)
{
	metrics_request("POST", "/b", 201, 30000);    /* 30 ms: the 0.05 bucket */
	metrics_request("POST", "/b", 201, 20000000); /* 20 s: above every bound */
	const struct metrics_entry *e = find("POST", "/b", 201);
	CHECK(e && e->count == 2 && e->buckets[3] == 1);
	unsigned long long in_buckets = 0;
	for (int k = 0; e && k < METRICS_BUCKETS; k++)
		in_buckets += e->buckets[k];
	CHECK(in_buckets == 1);
	metrics_request("PROPFIND", NULL, 405, 5);
	metrics_request(NULL, NULL, 400, 5);
	CHECK(find("OTHER", "", 405) != NULL);
	CHECK(find("OTHER", "", 400) != NULL);
}

static void test_database_reach(void)
{
	CHECK(!metrics_db_fresh(1000));
	metrics_db_reached();
	CHECK(metrics_db_fresh(1000));
	metrics_db_lost();
	CHECK(!metrics_db_fresh(1000));
	metrics_db_reached();
	CHECK(metrics_db_fresh(1000));
}

static void test_exits(void)
{
	metrics_worker_exited(true);
	metrics_worker_exited(false);
	metrics_worker_exited(false);
	CHECK(metrics_board()->exits_clean == 1 && metrics_board()->exits_failed == 2);
}

static void count_two(int *busy, int *idle)
{
	*busy = 1;
	*idle = 1;
}

static void test_workers(void)
{
	metrics_set_worker_counter(count_two);
	int busy, idle;
	metrics_workers(&busy, &idle);
	CHECK(busy == 1 && idle == 1);
}

/* Last: a full table counts what does not fit as uncounted. */
static void test_full_table(void)
{
	int free_entries = METRICS_ENTRIES - ready_entries();
	char route[32];
	for (int i = 0; i < free_entries + 10; i++) {
		snprintf(route, sizeof route, "/full/%d", i);
		metrics_request("GET", route, 200, 1);
	}
	CHECK(ready_entries() == METRICS_ENTRIES);
	CHECK(metrics_board()->uncounted == 10);
	metrics_request("GET", "/r/3/{id}", 200, 1); /* a known key still counts */
	const struct metrics_entry *e = find("GET", "/r/3/{id}", 200);
	CHECK(e != NULL);
}

int main(void)
{
	test_without_board();
	CHECK(metrics_init() == 0);
	test_concurrent_counting();
	test_buckets_and_labels();
	test_database_reach();
	test_exits();
	test_workers();
	test_full_table();
	HARNESS_END();
}
