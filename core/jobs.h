/* The jobs worker: one process beside the request workers that runs the
 * periodic work of the deployment (the outbox, clean-ups). */
#ifndef CORE_JOBS_H
#define CORE_JOBS_H

#include <stdbool.h>

#include "config.h"
#include "plugin.h"
#include "scoreboard.h"

struct db;
struct portal_arena;

/* What a job runs with. The database connection lives as long as the worker
 * (a transaction left open by a job is rolled back after it); the arena is new
 * for each run of a job and freed after it. */
struct job_context {
	const struct config *cfg;
	struct plugin_set *plugins;
	struct db *db;
	struct portal_arena *arena;
};

/* Whether SIGTERM asked the jobs worker to stop: long jobs check it between
 * units of work (one mail) and return early. */
bool jobs_stopping(void);

void jobs_main(const struct config *cfg, struct plugin_set *plugins, struct slot *slot)
    __attribute__((noreturn));

#endif
