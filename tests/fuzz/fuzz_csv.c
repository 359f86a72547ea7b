/* libFuzzer target: import_read_mem on text, as the CSV reader sees it (and on
 * whatever else arrives: the format is detected by content). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "http/parse.h"

static const struct import_limits limits = {
    .max_rows = 500,
    .max_file = 1 << 20,
    .max_columns = 64,
    .max_cell = 4096,
    .max_strings = 10000,
    .max_entries = 64,
    .max_inflated = 4 << 20,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What import.h promises about a table that was read. */
static void check_table(const struct import_table *t)
{
	unsigned long last = 0;

	if (t->nrows == 0 || t->nrows > limits.max_rows + 1)
		abort();
	for (size_t i = 0; i < t->nrows; i++) {
		const struct import_row *r = &t->rows[i];
		if (r->number <= last || r->ncells == 0 || r->ncells > limits.max_columns)
			abort();
		last = r->number;
		if (!*r->cells[r->ncells - 1]) /* trailing empty cells are not counted */
			abort();
		for (size_t c = 0; c < r->ncells; c++) {
			size_t len = strlen(r->cells[c]);
			if (len > limits.max_cell || !utf8_valid(r->cells[c], len))
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_table *t = NULL;
	char err[256];
	int cols[IMPORT_FIELD__MAX];

	int rc = import_read_mem(data, size, "upload.csv", &limits, &t, err, sizeof err);
	if (rc != 0 && rc != 400 && rc != 413 && rc != 415)
		abort();
	if ((rc == 0) != (t != NULL) || (rc && !err[0]))
		abort();
	if (!t)
		return 0;
	check_table(t);
	rc = import_map_headers(t, cols, err, sizeof err);
	if (rc != 0 && rc != 422)
		abort();
	for (int f = 0; f < IMPORT_FIELD__MAX; f++) {
		char zip[6];
		if (cols[f] >= (int)t->rows[0].ncells || (rc == 0 && cols[IMPORT_FIELD_NAME] < 0))
			abort();
		const char *cell = import_cell(&t->rows[t->nrows - 1], cols[f]);
		if (strlen(import_fix_zip(cell, zip)) > strlen(cell) + 1)
			abort();
	}
	import_table_free(t);
	return 0;
}
