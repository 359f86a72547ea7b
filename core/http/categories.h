/* Core's side of the organisations' categories (portal/categories.h): what
 * the settings page reads and changes. */
#ifndef CORE_HTTP_CATEGORIES_H
#define CORE_HTTP_CATEGORIES_H

#include "plugin/plugin.h"
#include "portal/portal.h"

/* The organisation's list of plugin p, read now (no cache): its own, or the
 * plugin's defaults while it has none. A list of strings in *names. */
int categories_read(struct portal_req *req, const struct plugin *p, struct portal_value **names);

/* portal_category_text for plugin p. */
const char *categories_text(struct portal_req *req, const struct plugin *p, const char *name);

/* The worker's cached lists go (when the worker exits). */
void categories_cache_free(void);

#endif
