/* A dump's DEFINER clauses left out on the way into the mariadb client. */
#ifndef CTL_DEFINER_H
#define CTL_DEFINER_H

#include <sys/types.h>

/* Takes DEFINER=`user`@`host` (and the version comment around it) out of
 * a dump's line that creates a trigger, routine, event or view, in place;
 * other lines stay as they are. Returns the line's new length. */
size_t definer_strip(char *line, size_t len);

/* Starts a process that copies the file at path to a pipe, each line through
 * definer_strip, and gives the pipe's reading end (close-on-exec but for the
 * reader's stdin) and the process's id. 0, or -1 with errno. */
int definer_filter(const char *path, int *read_fd, pid_t *pid);

#endif
