/* What backup, restore and export share: running the MariaDB client
 * programs with the deployment's credentials, and files with their SHA-256. */
#ifndef CTL_ARCHIVE_H
#define CTL_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/config.h"

#define SHA256_HEX_CHARS 64

/* Runs program argv[0] (found on PATH) with "--defaults-file=<a private
 * option file with the deployment's user, password and socket>" as its first
 * argument followed by argv[1..]; stdin from in_fd (-1: /dev/null). Returns its
 * exit status, or -1 with a line in err when it could not run. */
int archive_run_client(const struct config *cfg, const char *const *argv, int in_fd, char *err,
                       size_t errlen);

/* Copies from to to (a new file, mode 0640, synced) and gives the content's
 * SHA-256 in hex; to may be NULL to only hash. 0, or -1 with err. */
int archive_copy(const char *from, const char *to, char hex[SHA256_HEX_CHARS + 1], char *err,
                 size_t errlen);

/* Whether name is a stored file's: 64 lower-case hex digits. */
bool archive_stored_name(const char *name);

/* fsync of a folder, so that a rename in it lasts. */
int archive_sync_dir(const char *dir);

#endif
