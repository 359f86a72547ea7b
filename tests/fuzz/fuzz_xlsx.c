/* libFuzzer target: the .xlsx reader through import_read_mem.
 *
 * Random bytes rarely survive a zip's checksums, so the XML behind them would hardly be
 * reached. An input starting with a NUL byte is therefore a list of parts separated
 * by NUL bytes (which XML cannot contain): the sheet, the shared strings, the
 * workbook, its relationships and the package's relationships; parts left out get a
 * valid default. They are stored uncompressed in a zip made here with libzip. Any
 * other input is taken as the zip itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

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

#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

enum { PART_SHEET, PART_STRINGS, PART_WORKBOOK, PART_WB_RELS, PART_PKG_RELS, PART__MAX };

static const char *const part_names[PART__MAX] = {
    "xl/worksheets/sheet1.xml",   "xl/sharedStrings.xml", "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels", "_rels/.rels",
};

static const char *const part_defaults[PART__MAX] = {
    [PART_WORKBOOK] = "<workbook xmlns:r=\"" NS_REL "\"><sheets><sheet name=\"T\" "
                      "sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
    [PART_WB_RELS] = "<Relationships><Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" "
                     "Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" "
                     "Type=\"" NS_REL "/sharedStrings\" Target=\"sharedStrings.xml\"/>"
                     "</Relationships>",
    [PART_PKG_RELS] = "<Relationships><Relationship Id=\"rId1\" Type=\"" NS_REL
                      "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int add_part(zip_t *z, const char *name, const void *text, size_t len)
{
	zip_source_t *s = zip_source_buffer(z, text, len, 0);
	if (!s)
		return -1;
	zip_int64_t i = zip_file_add(z, name, s, ZIP_FL_OVERWRITE);
	if (i < 0) {
		zip_source_free(s);
		return -1;
	}
	return zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0);
}

/* Copies what zip_close wrote into src to a heap buffer. */
static char *source_bytes(zip_source_t *src, size_t *len)
{
	char *out = NULL;

	if (zip_source_open(src))
		return NULL;
	if (zip_source_seek(src, 0, SEEK_END) == 0) {
		zip_int64_t n = zip_source_tell(src);
		if (n >= 0 && zip_source_seek(src, 0, SEEK_SET) == 0 && (out = malloc(n ? n : 1)) &&
		    zip_source_read(src, out, (zip_uint64_t)n) != n) {
			free(out);
			out = NULL;
		}
		*len = (size_t)n;
	}
	zip_source_close(src);
	return out;
}

/* The zip of the parts in data (after the leading NUL), or NULL. */
static char *build_zip(const uint8_t *data, size_t size, size_t *len)
{
	const char *text[PART__MAX] = {0};
	size_t lens[PART__MAX] = {0};
	size_t pos = 1;
	char *out = NULL;

	for (int p = 0; p < PART__MAX && pos <= size; p++) {
		const uint8_t *end = memchr(data + pos, 0, size - pos);
		size_t n = end ? (size_t)(end - (data + pos)) : size - pos;
		text[p] = (const char *)data + pos;
		lens[p] = n;
		pos += n + 1;
	}
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_t *z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
	if (!z) {
		zip_source_free(src);
		zip_error_fini(&ze);
		return NULL;
	}
	zip_source_keep(src);
	int failed = 0;
	for (int p = 0; p < PART__MAX && !failed; p++) {
		if (!text[p] && part_defaults[p])
			failed =
			    add_part(z, part_names[p], part_defaults[p], strlen(part_defaults[p]));
		else if (text[p])
			failed = add_part(z, part_names[p], text[p], lens[p]);
	}
	if (failed)
		zip_discard(z);
	else if (zip_close(z) == 0)
		out = source_bytes(src, len);
	else
		zip_discard(z);
	zip_source_free(src);
	zip_error_fini(&ze);
	return out;
}

/* What import.h promises about a table that was read. */
static void check_table(const struct import_table *t)
{
	unsigned long last = 0;

	if (t->nrows == 0 || t->nrows > limits.max_rows + 1 || t->format != IMPORT_XLSX)
		abort();
	for (size_t i = 0; i < t->nrows; i++) {
		const struct import_row *r = &t->rows[i];
		if (r->number <= last || r->number > 1048576 || r->ncells == 0 ||
		    r->ncells > limits.max_columns || !*r->cells[r->ncells - 1])
			abort();
		last = r->number;
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
	char *zip = NULL;
	size_t len = size;
	const void *input = data;
	int cols[IMPORT_FIELD__MAX];

	if (size > 0 && data[0] == 0) {
		if (!(zip = build_zip(data, size, &len)))
			return 0;
		input = zip;
	}
	int rc = import_read_mem(input, len, "upload.xlsx", &limits, &t, err, sizeof err);
	free(zip);
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
	import_table_free(t);
	return 0;
}
