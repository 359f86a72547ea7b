/* Migrations: numbered SQL files in sql/ and in each enabled plugin's sql/,
 * applied once each in order and recorded in schema_migrations. */
#ifndef CORE_MIGRATE_H
#define CORE_MIGRATE_H

#include <stddef.h>

#include "lib/config.h"
#include "plugin/plugin.h"

/* Applies what is pending; prints one line per applied file to stdout when
 * verbose. Returns 0, or -1 with one line in err. */
int migrate_run(const struct config *cfg, const struct plugin_set *set, int verbose, char *err,
                size_t errlen);

#endif
