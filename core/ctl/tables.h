/* The tables of the deployment as export and erasure see them: the live
 * schema (information_schema) with what core and the enabled plugins declare
 * of them (portal/data.h). */
#ifndef CTL_TABLES_H
#define CTL_TABLES_H

#include <stdbool.h>

#include "ctl/ctl.h"
#include "plugin/plugin.h"

/* The declaration of table by core or an enabled plugin, NULL when none. */
const struct portal_table *tables_decl(const struct plugin_set *set, const char *table);

/* Calls each(decl, arg) for every declaration of core and the plugins until
 * one returns non-zero, which it returns. */
int tables_each_decl(const struct plugin_set *set,
                     int (*each)(const struct portal_table *decl, void *arg), void *arg);

/* Whether word is one of the space-separated words of list (NULL: none). */
bool tables_listed(const char *list, const char *word);

/* The base tables of the database, by name: a list of objects {name}. */
int tables_all(struct ctl *c, struct portal_value **rows);

/* table's columns in order: objects {name, type (DATA_TYPE), key (1 for a
 * primary key column)}. */
int tables_columns(struct ctl *c, const char *table, struct portal_value **rows);

/* A WHERE condition on alias "t" that keeps the rows of organisation "?"
 * (one placeholder): org_id = ?, orgs' id = ?, or the way through declared
 * parents; NULL when the table belongs to no organisation. */
const char *tables_org_condition(struct ctl *c, const struct plugin_set *set, const char *table);

#endif
