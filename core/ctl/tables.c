/* The schema with the declarations of core and the plugins. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ctl/tables.h"
#include "lib/buf.h"

int tables_each_decl(const struct plugin_set *set,
                     int (*each)(const struct portal_table *decl, void *arg), void *arg)
{
	for (size_t i = 0; i < set->count; i++) {
		const struct portal_table *t = PLUGIN_MEMBER(set->items[i].def, tables);
		for (; t && t->table; t++) {
			int rc = each(t, arg);
			if (rc)
				return rc;
		}
	}
	return 0;
}

struct lookup {
	const char *name;
	const struct portal_table *found;
};

static int match(const struct portal_table *decl, void *arg)
{
	struct lookup *l = arg;
	if (strcmp(decl->table, l->name) != 0)
		return 0;
	l->found = decl;
	return 1;
}

const struct portal_table *tables_decl(const struct plugin_set *set, const char *table)
{
	struct lookup l = {table, NULL};
	tables_each_decl(set, match, &l);
	return l.found;
}

bool tables_listed(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

int tables_all(struct ctl *c, struct portal_value **rows)
{
	return db_run(c->db, c->arena,
	              "SELECT table_name AS name FROM information_schema.tables"
	              " WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'"
	              " ORDER BY table_name",
	              PORTAL_DB_NOARGS, rows, NULL, NULL);
}

int tables_columns(struct ctl *c, const char *table, struct portal_value **rows)
{
	return db_run(c->db, c->arena,
	              "SELECT column_name AS name, data_type AS type,"
	              " CAST(column_key = 'PRI' AS SIGNED) AS `key`"
	              " FROM information_schema.columns"
	              " WHERE table_schema = DATABASE() AND table_name = ?"
	              " ORDER BY ordinal_position",
	              PORTAL_DB_ARGS(PDB_S(table)), rows, NULL, NULL);
}

static bool has_column(struct ctl *c, const char *table, const char *column)
{
	struct portal_value *cols;
	if (tables_columns(c, table, &cols))
		return false;
	pv_foreach(m, cols) {
		if (strcmp(pv_get_str(m->value, "name"), column) == 0)
			return true;
	}
	return false;
}

/* Names come from the schema and the plugins' declarations, checked by the
 * loader's rules; still, only [a-z0-9_] goes into SQL. */
static bool plain_name(const char *s)
{
	return s && *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static const char *condition(struct ctl *c, const struct plugin_set *set, const char *table,
                             const char *alias, int depth)
{
	if (!plain_name(table) || depth > 4)
		return NULL;
	char *out = portal_alloc(c->arena, 512);
	if (!out)
		return NULL;
	if (strcmp(table, "orgs") == 0) {
		snprintf(out, 512, "%s.id = ?", alias);
		return out;
	}
	if (has_column(c, table, "org_id")) {
		snprintf(out, 512, "%s.org_id = ?", alias);
		return out;
	}
	const struct portal_table *decl = tables_decl(set, table);
	if (!decl || !plain_name(decl->parent) || !plain_name(decl->parent_column))
		return NULL;
	char inner_alias[16];
	snprintf(inner_alias, sizeof inner_alias, "p%d", depth);
	const char *inner = condition(c, set, decl->parent, inner_alias, depth + 1);
	if (!inner)
		return NULL;
	size_t need = strlen(inner) + 256;
	out = portal_alloc(c->arena, need);
	if (out)
		snprintf(out, need, "%s.`%s` IN (SELECT %s.id FROM `%s` %s WHERE %s)", alias,
		         decl->parent_column, inner_alias, decl->parent, inner_alias, inner);
	return out;
}

const char *tables_org_condition(struct ctl *c, const struct plugin_set *set, const char *table)
{
	return condition(c, set, table, "t", 0);
}
