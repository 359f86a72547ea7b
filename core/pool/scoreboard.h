/* The scoreboard: shared memory where each worker says what it is doing, so
 * the master can find and kill a stuck request and log what it was. */
#ifndef CORE_SCOREBOARD_H
#define CORE_SCOREBOARD_H

#include <sys/types.h>

#define SLOT_PATH_MAX 120

enum slot_kind { SLOT_FREE, SLOT_REQUESTS, SLOT_JOBS };

struct slot {
	pid_t pid;
	int kind;
	int generation;
	long long started_ms; /* when the process started */
	long long busy_ms;    /* when the current request started; 0 when idle */
	unsigned long served;
	char method[8];
	char path[SLOT_PATH_MAX]; /* safe for logs: tokens masked, no query */
};

/* Shared anonymous memory for n slots, inherited by forked workers. */
struct slot *scoreboard_new(int n);
long long now_ms(void); /* CLOCK_MONOTONIC in milliseconds */

#endif
