#include "lib/metrics.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define KEY_WAIT_SPINS 1000

const double metrics_bucket_bounds[METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                       0.5,   1,    2.5,   5,    10};

static struct metrics_board *board;
static void (*worker_counter)(int *busy, int *idle);

int metrics_init(void)
{
	void *p =
	    mmap(NULL, sizeof *board, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	board = p;
	return 0;
}

const struct metrics_board *metrics_board(void)
{
	return board;
}

long long metrics_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static unsigned key_hash(const char *method, const char *route, int status)
{
	unsigned h = 2166136261u ^ (unsigned)status;
	for (const char *s = method; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (const char *s = route; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool key_is(const struct metrics_entry *e, const char *method, const char *route, int status)
{
	return e->status == status && strcmp(e->method, method) == 0 &&
	       strcmp(e->route, route) == 0;
}

/* The entry of a key, claimed when new: open addressing where a process
 * claims an empty entry with a compare-and-swap and publishes its key with a
 * release store. Another process writing a key takes a moment; one killed in
 * that moment leaves an entry that is skipped. NULL when the table is full. */
static struct metrics_entry *entry_for(const char *method, const char *route, int status)
{
	unsigned h = key_hash(method, route, status);
	for (unsigned i = 0; i < METRICS_ENTRIES; i++) {
		struct metrics_entry *e = &board->entries[(h + i) % METRICS_ENTRIES];
		unsigned state = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
		if (state == METRICS_EMPTY &&
		    __atomic_compare_exchange_n(&e->state, &state, METRICS_WRITING, false,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			e->status = status;
			snprintf(e->method, sizeof e->method, "%s", method);
			snprintf(e->route, sizeof e->route, "%s", route);
			__atomic_store_n(&e->state, METRICS_READY, __ATOMIC_RELEASE);
			return e;
		}
		for (int spins = 0; state == METRICS_WRITING && spins < KEY_WAIT_SPINS; spins++) {
			sched_yield();
			state = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
		}
		if (state == METRICS_READY && key_is(e, method, route, status))
			return e;
	}
	return NULL;
}

/* Only the methods nginx lets through name a series; anything else is one. */
static const char *known_method(const char *method)
{
	static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (method && strcmp(method, known[i]) == 0)
			return known[i];
	return "OTHER";
}

void metrics_request(const char *method, const char *route, int status, long long micros)
{
	if (!board)
		return;
	struct metrics_entry *e = entry_for(known_method(method), route ? route : "", status);
	if (!e) {
		__atomic_fetch_add(&board->uncounted, 1, __ATOMIC_RELAXED);
		return;
	}
	unsigned long long us = micros > 0 ? (unsigned long long)micros : 0;
	int b = 0;
	while (b < METRICS_BUCKETS && (double)us > metrics_bucket_bounds[b] * 1e6)
		b++;
	if (b < METRICS_BUCKETS)
		__atomic_fetch_add(&e->buckets[b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&e->sum_us, us, __ATOMIC_RELAXED);
	__atomic_fetch_add(&e->count, 1, __ATOMIC_RELAXED);
}

void metrics_db_reached(void)
{
	if (board)
		__atomic_store_n(&board->db_reached_ms, metrics_now_us() / 1000, __ATOMIC_RELAXED);
}

void metrics_db_lost(void)
{
	if (board)
		__atomic_store_n(&board->db_reached_ms, 0, __ATOMIC_RELAXED);
}

bool metrics_db_fresh(long long max_age_ms)
{
	if (!board)
		return false;
	long long reached = __atomic_load_n(&board->db_reached_ms, __ATOMIC_RELAXED);
	return reached > 0 && metrics_now_us() / 1000 - reached <= max_age_ms;
}

void metrics_worker_exited(bool clean)
{
	if (board)
		__atomic_fetch_add(clean ? &board->exits_clean : &board->exits_failed, 1,
		                   __ATOMIC_RELAXED);
}

void metrics_set_worker_counter(void (*count)(int *busy, int *idle))
{
	worker_counter = count;
}

void metrics_workers(int *busy, int *idle)
{
	*busy = *idle = 0;
	if (worker_counter)
		worker_counter(busy, idle);
}
