/* portalctl export: the tables (export.c) and the zip with its README and
 * files (export_zip.c). */
#ifndef CTL_EXPORT_H
#define CTL_EXPORT_H

#include <zip.h>

#include "ctl/ctl.h"
#include "ctl/tables.h"
#include "features/routes.h"
#include "lib/buf.h"

struct export
{
	struct ctl *c;
	struct plugin_set *set;
	long long org_id;
	char work[4096]; /* a private folder for the CSV files until the zip is closed */
	char tmp[4200];  /* the zip while it is written */
	char out[4096];
	zip_t *zip;
	struct buf readme;
	struct buf files_csv; /* table, stored file, its path in the zip */
	char **used;          /* the paths given to files so far */
	size_t used_count, used_cap;
	unsigned table_count, file_count;
};

int export_open(struct export *x, const char *out);
/* The README's entry of a table, then of each column it holds. */
int export_readme_table(struct export *x, const char *table);
int export_readme_column(struct export *x, const char *column, const char *sep);
/* Adds the table's CSV file (written at path) to the zip. */
int export_add_table(struct export *x, const char *table, const char *path, long long rows);
/* The stored file a row of the declared table names, under its display name. */
int export_file_of(struct export *x, const struct portal_table *decl,
                   const struct portal_value *row);
/* README.txt and files.csv. */
int export_finish(struct export *x);
/* Writes the zip and renames it to out (ok), or throws it away; removes the
 * work folder either way. */
int export_close(struct export *x, bool ok);

#endif
