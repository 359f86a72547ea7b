/* Readers of uploaded spreadsheets for the property import (POST /properties/import):
 * an .xlsx (the first worksheet) or a .csv becomes a table of rows of trimmed UTF-8
 * cells. Pure: no database, no HTTP; the only I/O is reading the uploaded file.
 *
 * Every call that can fail returns 0 or an HTTP status, and writes a short English
 * explanation (with the spreadsheet's row number where there is one) to err:
 *   400 a corrupt file: an .xlsx that is no zip or a broken one, a missing or
 *       malformed workbook, sheet or shared-strings part, an unterminated CSV quote,
 *       and a zip that inflates beyond the limits (a zip bomb is a corrupt file, not
 *       a large one: issue 4 asks for 400 there),
 *   413 over a limit of the table itself: the file's size, rows, columns, cell size,
 *       distinct texts,
 *   415 neither an .xlsx nor a text file (a PDF, an image, an old .xls, UTF-16),
 *   422 import_map_headers only: no Name column, or two columns for one field,
 *   500 out of memory, or the uploaded file cannot be read. */
#ifndef CORE_IMPORT_H
#define CORE_IMPORT_H

#include <stddef.h>

#include "lib/buf.h"

/* Bounds of one import. import_limits_default is what the route uses; tests set
 * small values. A zero field is taken from the default. With the defaults one import
 * holds at most about the file, its inflated shared strings (< 100 MiB) and 20 MiB of
 * cell pointers; expat's own memory is capped at 32 MiB per part besides. */
struct import_limits {
	size_t max_rows;     /* data rows, the header not counted: 10,000 (then 413) */
	size_t max_file;     /* bytes of the uploaded file: 10 MiB (then 413) */
	size_t max_columns;  /* a cell with text right of column 256: 413 */
	size_t max_cell;     /* bytes of one cell's text, 64 KiB: 413 */
	size_t max_strings;  /* distinct texts of an .xlsx (its shared strings), 1e6: 413 */
	size_t max_entries;  /* entries of the zip, 1000: 400 */
	size_t max_inflated; /* bytes inflated from the zip, all parts read together,
	                        100 MiB: 400 (the declared sizes first, then counted) */
};

extern const struct import_limits import_limits_default;

enum import_format { IMPORT_XLSX = 1, IMPORT_CSV = 2 };

/* How a CSV was encoded (an .xlsx is always IMPORT_UTF8): for the preview page. */
enum import_encoding { IMPORT_UTF8 = 0, IMPORT_UTF8_BOM = 1, IMPORT_CP1252 = 2 };

struct import_row {
	unsigned long number; /* as the spreadsheet shows it: the file's first row is 1 */
	size_t ncells;        /* up to the last cell with text; later columns are empty */
	const char **cells;   /* ncells NUL-terminated, trimmed, valid UTF-8; "" when empty */
};

/* Rows without any text are left out, their numbers are not reused: an empty row 5
 * makes rows[3] row 4 and rows[4] row 6. rows[0] is the header row. */
struct import_table {
	struct import_row *rows;
	size_t nrows; /* at least 1: a file without any text is 400 */
	enum import_format format;
	enum import_encoding encoding;
	char delimiter; /* CSV: ',', ';' or '\t'; 0 for an .xlsx */

	/* Private to the readers. */
	char *strings_;   /* the .xlsx shared strings, which cells point into */
	size_t rows_cap_; /* allocated rows */
};

/* Reads the uploaded file at path (the multipart temporary file). The format comes
 * from the content: a zip is read as .xlsx, text as CSV, anything else is 415.
 * name is the client's file name (may be NULL), used only so that a file called
 * *.xlsx that is no zip is 400 rather than read as text. lim NULL means the
 * defaults. On 0 *out is a table the caller frees with import_table_free; on
 * failure *out is NULL and err (errlen bytes, may be NULL/0) says why. */
int import_read(const char *path, const char *name, const struct import_limits *lim,
                struct import_table **out, char *err, size_t errlen);

/* The same on a file already in memory; data must stay valid during the call only. */
int import_read_mem(const void *data, size_t len, const char *name, const struct import_limits *lim,
                    struct import_table **out, char *err, size_t errlen);

void import_table_free(struct import_table *t); /* NULL is fine */

/* The cell of row in column col (0-based), "" when the row is shorter or col < 0:
 * so that columns[] from import_map_headers can be used without checks. */
const char *import_cell(const struct import_row *row, int col);

/* The fields of a property that a column can fill (API.md, "Properties and units"). */
enum import_field {
	IMPORT_FIELD_NAME,
	IMPORT_FIELD_REFERENCE_ID,
	IMPORT_FIELD_STREET,
	IMPORT_FIELD_ZIP,
	IMPORT_FIELD_CITY,
	IMPORT_FIELD_COUNTRY,
	IMPORT_FIELD_NOTES,
	IMPORT_FIELD__MAX
};

/* The field's JSON key ("name", "reference_id", "street", "zip", "city", "country",
 * "notes"), NULL when f is out of range. */
const char *import_field_key(enum import_field f);

/* Matches the header row (rows[0]) to the fields, ignoring case, spaces, '-', '_',
 * '.', '*' and umlaut spelling (Straße = Strasse = STRASSE, ü = ue):
 *   Name; Referenz-ID, Reference ID, Referenz ID, ReferenzID; Straße, Street;
 *   PLZ, Zip, Postleitzahl, Zip code, Postal code; Ort, City, Stadt; Land, Country;
 *   Notizen, Notes.
 * columns[field] becomes the 0-based column, or -1 when no header matches. Unknown
 * headers are ignored. Returns 0, or 422 when there is no Name column or two
 * columns match one field (err names both headers). */
int import_map_headers(const struct import_table *t, int columns[IMPORT_FIELD__MAX], char *err,
                       size_t errlen);

/* A German postcode that a spreadsheet stored as a number lost its leading zero
 * (01067 Dresden became 1067). When cell is exactly four ASCII digits, writes them
 * with a leading '0' to out and returns out; otherwise returns cell unchanged.
 * Austria, Switzerland, Denmark, Belgium and others have four-digit postcodes,
 * so the mapping layer calls this only for German addresses (country empty or
 * Germany), which is why the readers themselves never change a cell. */
const char *import_fix_zip(const char *cell, char out[6]);

/* ---- Shared by the readers (core/import/import_rows.c, core/import/csv.c, core/import/xlsx.c)
 * ---- */

struct import_err {
	char *text; /* may be NULL */
	size_t len;
};

/* Writes the explanation and returns status, so readers can `return import_fail(...)`. */
int import_fail(struct import_err *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A cell of the row being built: col and either a text of the table (shared) or an
 * offset into the builder's text. */
struct import_pending {
	size_t col;
	const char *shared;
	size_t offset;
};

/* Collects the cells of one row at a time and appends finished rows to a table,
 * enforcing the row, column and cell limits as they come, so a reader stops at the
 * first row over a limit instead of after reading everything. */
struct import_builder {
	struct import_table *table;
	const struct import_limits *lim;
	struct import_err *err;
	struct buf text; /* the current row's own texts, each NUL-terminated */
	struct import_pending *cells;
	size_t ncells, cap;
	size_t next_col;   /* cells must come left to right */
	unsigned long row; /* the number of the row being built, set by the reader */
};

void import_builder_init(struct import_builder *b, struct import_table *t,
                         const struct import_limits *lim, struct import_err *e);
void import_builder_free(struct import_builder *b);

/* Trims s[0..len) and copies it as the cell in column col (0-based) of the current
 * row; an empty cell is not stored. 400 for invalid UTF-8 or a column left of an
 * earlier one, 413 over max_columns or max_cell, 500 out of memory. */
int import_builder_cell(struct import_builder *b, size_t col, const char *s, size_t len);

/* The same for a NUL-terminated text that is already trimmed, valid and owned by
 * the table (an .xlsx shared string): only the pointer is kept. */
int import_builder_shared(struct import_builder *b, size_t col, const char *s);

/* Ends the current row (number b->row) and appends it unless it has no text.
 * 413 over max_rows, 500 out of memory. */
int import_builder_row(struct import_builder *b);

/* Trims leading and trailing white space (ASCII, no-break space, zero-width space,
 * BOM, ideographic space) of the UTF-8 text s[0..*len): returns the new start. */
const char *import_trim(const char *s, size_t *len);

/* The readers behind import_read_mem; t is allocated and zeroed by the caller. */
int import_csv_read(const char *data, size_t len, const struct import_limits *lim,
                    struct import_table *t, struct import_err *e);
int import_xlsx_read(const void *data, size_t len, const struct import_limits *lim,
                     struct import_table *t, struct import_err *e);

#endif
