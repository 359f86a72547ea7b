/* Jobs: core's and the plugins' work on a schedule (struct portal_job). The
 * jobs worker, one process beside the request workers, runs each job when a
 * new period of its schedule begins, one at a time; portalctl runs one by
 * hand. Each run is recorded in the table jobs (sql/013). */
#ifndef CORE_JOBS_H
#define CORE_JOBS_H

#include <stddef.h>

#include "lib/config.h"
#include "plugin/plugin.h"
#include "pool/scoreboard.h"

struct portal_worker;

void jobs_main(const struct config *cfg, struct plugin_set *plugins, struct slot *slot)
    __attribute__((noreturn));

/* Runs job now, whatever its schedule, in w (set up as a worker is), and
 * records the run. Returns the job's status (0 for success); why gets a line
 * on failure. */
int jobs_run_now(struct portal_worker *w, const struct plugin_job *job, char *why, size_t whylen);

#endif
