/* What core knows of stored files besides the SDK's portal/files.h: the
 * condition the sweep asks of many names at once. */
#ifndef CORE_HTTP_FILES_H
#define CORE_HTTP_FILES_H

#include "portal/portal.h"

/* SQL that is true when any column the enabled plugins declare (.files)
 * names the stored file expr (an expression of the statement, e.g. "j.f");
 * NULL when the arena is exhausted. */
const char *files_named_sql(struct portal_req *req, const char *expr);

#endif
