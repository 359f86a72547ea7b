/* portalctl export --org ID --out FILE.zip: everything of one organisation,
 * for a customer who leaves. Each table that belongs to the organisation
 * (an org_id column, or a declared way to one: portal/data.h) is one UTF-8
 * CSV under tables/, secrets left out; the stored files its rows name are
 * under files/<table>/ with the names users saw; README.txt says how. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/export.h"
#include "lib/arena.h"
#include "lib/csv.h"

#define PAGE_ROWS 2000

/* The export leaves out what opens a door: whatever is declared secret, and
 * any column named like one. */
static bool secret_column(const struct portal_table *decl, const char *name)
{
	static const char *const words[] = {"password", "token", "hash", "secret", NULL};
	for (const char *const *w = words; *w; w++)
		if (strstr(name, *w))
			return true;
	return decl && tables_listed(decl->secret, name);
}

/* The SELECT list: text of each column kept, times as UTC in ISO 8601. */
static int select_list(struct export *x, const struct portal_table *decl,
                       const struct portal_value *cols, struct buf *sql, struct buf *order)
{
	const char *sep = "", *osep = "";
	pv_foreach(m, cols) {
		const char *name = pv_get_str(m->value, "name");
		const char *type = pv_get_str(m->value, "type");
		if (pv_get_int(m->value, "key", 0)) {
			buf_printf(order, "%st.`%s`", osep, name);
			osep = ", ";
		}
		if (secret_column(decl, name) || strstr(type, "blob") || strstr(type, "binary"))
			continue;
		if (strcmp(type, "datetime") == 0 || strcmp(type, "timestamp") == 0)
			buf_printf(sql, "%sDATE_FORMAT(t.`%s`, '%%Y-%%m-%%dT%%H:%%i:%%sZ') AS `%s`",
			           sep, name, name);
		else
			buf_printf(sql, "%sCAST(t.`%s` AS CHAR) AS `%s`", sep, name, name);
		if (export_readme_column(x, name, sep))
			return -1;
		sep = ", ";
	}
	return sql->failed || order->failed ? -1 : 0;
}

static int write_row(FILE *f, const struct portal_value *row, struct buf *line)
{
	buf_reset(line);
	const char *sep = "";
	pv_foreach(m, row) {
		buf_puts(line, sep);
		const char *v = m->value->type == PV_STRING ? m->value->u.s.ptr : NULL;
		csv_cell(line, v ? v : "");
		sep = ",";
	}
	buf_puts(line, "\r\n");
	return line->failed || fwrite(line->data, 1, line->len, f) != line->len ? -1 : 0;
}

/* One table's rows, page by page in a fresh arena each. */
static int export_rows(struct export *x, const struct portal_table *decl, const char *query,
                       FILE *f, long long *count)
{
	struct buf line = {0};
	int rc = 0;
	for (long long offset = 0;; offset += PAGE_ROWS) {
		struct portal_arena *arena = arena_new(256 << 20);
		struct portal_value *rows = NULL;
		struct portal_db_arg args[] = {PDB_I(x->org_id), PDB_I(PAGE_ROWS), PDB_I(offset)};
		int status =
		    arena ? db_run(x->c->db, arena, query, args, 3, &rows, NULL, NULL) : 500;
		size_t n = status ? 0 : rows->u.c.count;
		if (status)
			rc = ctl_fail("reading %s failed (status %d)",
			              decl ? decl->table : "a table", status);
		pv_foreach(m, rows) {
			if (rc || (rc = write_row(f, m->value, &line)))
				break;
			if (decl && decl->file)
				rc = export_file_of(x, decl, m->value);
			++*count;
		}
		arena_free(arena);
		if (rc || n < PAGE_ROWS)
			break;
	}
	buf_free(&line);
	return rc;
}

static int export_table(struct export *x, const char *table)
{
	const struct portal_table *decl = tables_decl(x->set, table);
	if (decl && decl->secret && strcmp(decl->secret, "*") == 0)
		return 0;
	const char *where = tables_org_condition(x->c, x->set, table);
	if (!where)
		return 0;
	struct portal_value *cols;
	if (tables_columns(x->c, table, &cols))
		return ctl_fail("cannot read the columns of %s", table);
	struct buf sql = {0}, order = {0}, header = {0};
	buf_puts(&sql, "SELECT ");
	export_readme_table(x, table);
	int rc = select_list(x, decl, cols, &sql, &order);
	buf_printf(&sql, " FROM `%s` t WHERE %s ORDER BY %s LIMIT ? OFFSET ?", table, where,
	           order.len ? order.data : "1");
	const char *sep = "";
	pv_foreach(m, cols) {
		const char *name = pv_get_str(m->value, "name");
		const char *type = pv_get_str(m->value, "type");
		if (secret_column(decl, name) || strstr(type, "blob") || strstr(type, "binary"))
			continue;
		buf_puts(&header, sep);
		csv_cell(&header, name);
		sep = ",";
	}
	buf_puts(&header, "\r\n");
	char path[4200];
	snprintf(path, sizeof path, "%s/%s.csv", x->work, table);
	FILE *f = rc || sql.failed || header.failed ? NULL : fopen(path, "wx");
	if (!rc && !f)
		rc = ctl_fail("cannot write %s: %s", path, strerror(errno));
	long long count = 0;
	if (!rc && fwrite(header.data, 1, header.len, f) != header.len)
		rc = ctl_fail("cannot write %s", path);
	if (!rc)
		rc = export_rows(x, decl, sql.data, f, &count);
	if (f && fclose(f) && !rc)
		rc = ctl_fail("cannot write %s", path);
	if (!rc)
		rc = export_add_table(x, table, path, count);
	buf_free(&sql);
	buf_free(&order);
	buf_free(&header);
	return rc;
}

static int check_org(struct ctl *c, const char *text, long long *id)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno || *end || v <= 0)
		return ctl_fail(
		    "--org must be an organisation's id (portalctl org list), not \"%s\"", text);
	struct portal_value *rows;
	if (db_run(c->db, c->arena, "SELECT name FROM orgs WHERE id = ?", PORTAL_DB_ARGS(PDB_I(v)),
	           &rows, NULL, NULL))
		return ctl_fail("the database cannot be reached");
	if (rows->u.c.count == 0)
		return ctl_fail("no organisation has the id %lld (portalctl org list shows them)",
		                v);
	*id = v;
	return 0;
}

/* One transaction (InnoDB's repeatable read: one snapshot from its first
 * read on), so that the tables agree with each other while the portal
 * serves. It only reads: rolled back at the end. */
static int export_all(struct export *x)
{
	struct portal_value *tables;
	if (tables_all(x->c, &tables))
		return ctl_fail("cannot read the list of tables");
	if (db_begin(x->c->db))
		return ctl_fail("the database cannot be reached");
	int rc = 0;
	pv_foreach(m, tables) {
		if ((rc = export_table(x, pv_get_str(m->value, "name"))))
			break;
	}
	db_rollback(x->c->db);
	return rc ? rc : export_finish(x);
}

int ctl_export(struct ctl *c, int argc, char **argv)
{
	static const char *const names[] = {"org", "out", NULL};
	int bad = 0;
	const char *org = ctl_option(argc, argv, "org", names, &bad);
	const char *out = ctl_option(argc, argv, "out", names, &bad);
	if (bad || !org || !out || !*out)
		return ctl_fail("usage: portalctl export --org ID --out FILE.zip");
	struct export x = {.c = c};
	int rc = check_org(c, org, &x.org_id);
	if (rc)
		return rc;
	if (access(out, F_OK) == 0)
		return ctl_fail("%s exists already: name a new file", out);
	char err[512];
	x.set = plugins_load(c->cfg, &core_definition, err, sizeof err);
	if (!x.set)
		return ctl_fail("%s", err);
	rc = export_open(&x, out);
	if (!rc)
		rc = export_all(&x);
	rc = export_close(&x, rc == 0) ? 1 : rc;
	plugins_free(x.set);
	if (!rc)
		printf("export: %s (%u tables, %u files)\n", out, x.table_count, x.file_count);
	return rc;
}
