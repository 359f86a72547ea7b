/* What core knows of stored files besides the SDK's portal/files.h: the
 * condition the sweep asks of many names at once, and the end of a request
 * that stored files. */
#ifndef CORE_HTTP_FILES_H
#define CORE_HTTP_FILES_H

#include "portal/portal.h"

/* A file being removed is renamed to this prefix, its name, the host's
 * name and the process's id (NAME-HOST-PID) while the removal is decided;
 * the sweep puts back one a process left there. */
#define FILES_ASIDE_PREFIX ".release-"

/* A host's name in the name of a file put aside: enough to tell hosts apart. */
#define HOST_TAG_MAX 64

/* This host's name as it goes into a file name: letters, digits, dots and
 * underscores for anything else, at most size - 1 characters. */
void files_host_tag(char *out, size_t size);

/* SQL in *sql that is true when any column a plugin declared (.file in .tables, also
 * of a plugin disabled since) names the stored file expr (an expression of
 * the statement, e.g. "j.f"). 0 or an HTTP status. */
int files_named_sql(struct portal_req *req, const char *expr, const char **sql);

/* After the request's transaction ended (db_request_end): the files it
 * stored outside a transaction are no longer in flight, so a removal may
 * count their rows now. */
void files_request_end(struct portal_req *req);

/* The process's list of those columns goes (when it exits). */
void files_columns_free(void);

#endif
