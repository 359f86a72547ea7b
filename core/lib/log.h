/* Logging to stderr, one line per event, each naming the process:
 * "portald[PID] master: ..." or "portald[PID] worker 3: ...". */
#ifndef CORE_LOG_H
#define CORE_LOG_H

/* Sets the role part of the prefix ("master", "worker 3", "jobs"). */
void log_set_role(const char *role);

#endif
