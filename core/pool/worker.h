/* The pool's processes that serve: a request worker's loop, and the set-up
 * every serving process shares (a request worker, the jobs worker,
 * portalctl's run of a job). */
#ifndef CORE_POOL_WORKER_H
#define CORE_POOL_WORKER_H

#include "http/request.h"
#include "lib/config.h"
#include "plugin/plugin.h"
#include "pool/scoreboard.h"

/* The start of every child of the master (request and jobs workers): its log
 * role, death with the master, SIGTERM to term_handler, the master's signals ignored
 * and the signal mask cleared. */
void child_start(const char *role, void (*term_handler)(int));

/* Sets up a process that serves from w's cfg and plugins: the time zone,
 * the database handle, each plugin's templates and catalogs, and the
 * plugins' init. 0, or -1 with one line in err. worker_teardown frees it
 * all, the plugin set included. */
int worker_setup(struct portal_worker *w, char *err, size_t errlen);
void worker_teardown(struct portal_worker *w);

/* Serves requests until told to stop or max_requests is reached; then exits. */
void worker_main(const struct config *cfg, struct plugin_set *plugins, int listen_fd,
                 struct slot *slot, int number) __attribute__((noreturn));

#endif
