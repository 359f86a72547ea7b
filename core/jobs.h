/* The jobs worker: one process beside the request workers that runs the
 * periodic work of the deployment. */
#ifndef CORE_JOBS_H
#define CORE_JOBS_H

#include "config.h"
#include "plugin.h"
#include "scoreboard.h"

void jobs_main(const struct config *cfg, struct plugin_set *plugins, struct slot *slot)
    __attribute__((noreturn));

#endif
