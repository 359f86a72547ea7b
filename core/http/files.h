/* What core knows of stored files besides the SDK's portal/files.h: the
 * condition the sweep asks of many names at once. */
#ifndef CORE_HTTP_FILES_H
#define CORE_HTTP_FILES_H

#include "portal/portal.h"

/* SQL in *sql that is true when any column a plugin declared (.file in .tables, also
 * of a plugin disabled since) names the stored file expr (an expression of
 * the statement, e.g. "j.f"). 0 or an HTTP status. */
int files_named_sql(struct portal_req *req, const char *expr, const char **sql);

/* The process's list of those columns goes (when it exits). */
void files_columns_free(void);

#endif
