/* The master: forks and watches the request workers and the jobs worker. */
#ifndef CORE_POOL_H
#define CORE_POOL_H

/* Runs the pool for the configuration file at path until SIGTERM or SIGINT.
 * Returns the process exit status. */
int pool_run(const char *config_path);

/* Loads and checks the configuration and plugins (portald -t); 0 when good,
 * otherwise prints one line to stderr and returns 1. */
int pool_check(const char *config_path);

#endif
