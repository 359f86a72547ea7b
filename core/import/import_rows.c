/* The import's entry points and what both readers share: telling the formats apart
 * by content, building rows under the limits, trimming, and matching headers. */
#include "import/import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/parse.h"

const struct import_limits import_limits_default = {
    .max_rows = 10000,
    .max_file = 10 << 20,
    .max_columns = 256,
    .max_cell = 64 << 10,
    .max_strings = 1000000,
    .max_entries = 1000,
    .max_inflated = 100 << 20,
};

static const char import_empty[] = "";

int import_fail(struct import_err *e, int status, const char *fmt, ...)
{
	if (e && e->text && e->len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->text, e->len, fmt, ap);
		va_end(ap);
	}
	return status;
}

/* ---- Limits ---- */

/* A zero field means the default, so a test can set only what it exercises. */
static struct import_limits import_limits_fill(const struct import_limits *lim)
{
	const struct import_limits *d = &import_limits_default;
	struct import_limits l = lim ? *lim : *d;

	l.max_rows = l.max_rows ? l.max_rows : d->max_rows;
	l.max_file = l.max_file ? l.max_file : d->max_file;
	l.max_columns = l.max_columns ? l.max_columns : d->max_columns;
	l.max_cell = l.max_cell ? l.max_cell : d->max_cell;
	l.max_strings = l.max_strings ? l.max_strings : d->max_strings;
	l.max_entries = l.max_entries ? l.max_entries : d->max_entries;
	l.max_inflated = l.max_inflated ? l.max_inflated : d->max_inflated;
	return l;
}

/* ---- Trimming ---- */

/* White space a cell may start or end with: what spreadsheets and copy-paste from web
 * pages leave there (no-break spaces, zero-width spaces, a stray BOM). */
static const char *const import_spaces[] = {
    " ",
    "\t",
    "\n",
    "\r",
    "\v",
    "\f",
    "\xC2\xA0",     /* U+00A0 no-break space */
    "\xE2\x80\x8B", /* U+200B zero-width space */
    "\xE2\x80\xAF", /* U+202F narrow no-break space */
    "\xE3\x80\x80", /* U+3000 ideographic space */
    "\xEF\xBB\xBF", /* U+FEFF byte order mark */
};

static size_t import_space_at_start(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof import_spaces / sizeof import_spaces[0]; i++) {
		size_t n = strlen(import_spaces[i]);
		if (n <= len && memcmp(s, import_spaces[i], n) == 0)
			return n;
	}
	return 0;
}

static size_t import_space_at_end(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof import_spaces / sizeof import_spaces[0]; i++) {
		size_t n = strlen(import_spaces[i]);
		if (n <= len && memcmp(s + len - n, import_spaces[i], n) == 0)
			return n;
	}
	return 0;
}

const char *import_trim(const char *s, size_t *len)
{
	size_t n;

	while ((n = import_space_at_start(s, *len)) > 0) {
		s += n;
		*len -= n;
	}
	while ((n = import_space_at_end(s, *len)) > 0)
		*len -= n;
	return s;
}

/* ---- Building rows ---- */

/* "A", "B", ..., "Z", "AA": how a spreadsheet names the column, for messages. */
static void import_column_name(size_t col, char out[16])
{
	char tmp[16];
	size_t n = 0;

	col++;
	while (col > 0 && n < sizeof tmp - 1) {
		tmp[n++] = (char)('A' + (col - 1) % 26);
		col = (col - 1) / 26;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

void import_builder_init(struct import_builder *b, struct import_table *t,
                         const struct import_limits *lim, struct import_err *e)
{
	*b = (struct import_builder){.table = t, .lim = lim, .err = e};
}

void import_builder_free(struct import_builder *b)
{
	buf_free(&b->text);
	free(b->cells);
	b->cells = NULL;
	b->ncells = b->cap = 0;
}

/* Checks the position of a cell with text and makes room for it. */
static int import_builder_place(struct import_builder *b, size_t col)
{
	char name[16];

	import_column_name(col, name);
	if (col < b->next_col)
		return import_fail(b->err, 400,
		                   "row %lu: cell %s%lu comes after a cell to its right", b->row,
		                   name, b->row);
	if (col >= b->lim->max_columns)
		return import_fail(b->err, 413,
		                   "row %lu: cell %s%lu is beyond the %zu columns read", b->row,
		                   name, b->row, b->lim->max_columns);
	if (b->ncells == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct import_pending *p = realloc(b->cells, cap * sizeof *p);
		if (!p)
			return import_fail(b->err, 500, "out of memory");
		b->cells = p;
		b->cap = cap;
	}
	b->next_col = col + 1;
	return 0;
}

int import_builder_cell(struct import_builder *b, size_t col, const char *s, size_t len)
{
	char name[16];
	int rc;

	if (!utf8_valid(s, len) || memchr(s, '\0', len)) {
		import_column_name(col, name);
		return import_fail(b->err, 400, "row %lu: cell %s%lu is not valid text", b->row,
		                   name, b->row);
	}
	s = import_trim(s, &len);
	if (len == 0)
		return 0;
	if (len > b->lim->max_cell) {
		import_column_name(col, name);
		return import_fail(b->err, 413, "row %lu: cell %s%lu is longer than %zu bytes",
		                   b->row, name, b->row, b->lim->max_cell);
	}
	if ((rc = import_builder_place(b, col)) != 0)
		return rc;
	size_t offset = b->text.len;
	if (buf_append(&b->text, s, len) || buf_append(&b->text, "", 1))
		return import_fail(b->err, 500, "out of memory");
	b->cells[b->ncells++] = (struct import_pending){.col = col, .offset = offset};
	return 0;
}

int import_builder_shared(struct import_builder *b, size_t col, const char *s)
{
	int rc;

	if (!*s)
		return 0;
	if ((rc = import_builder_place(b, col)) != 0)
		return rc;
	b->cells[b->ncells++] = (struct import_pending){.col = col, .shared = s};
	return 0;
}

static int import_table_grow(struct import_table *t, struct import_err *e)
{
	if (t->nrows < t->rows_cap_)
		return 0;
	size_t cap = t->rows_cap_ ? t->rows_cap_ * 2 : 64;
	struct import_row *rows = realloc(t->rows, cap * sizeof *rows);
	if (!rows)
		return import_fail(e, 500, "out of memory");
	t->rows = rows;
	t->rows_cap_ = cap;
	return 0;
}

/* One allocation per row: the cell pointers, then the row's own texts. */
int import_builder_row(struct import_builder *b)
{
	struct import_table *t = b->table;
	size_t ncells = b->ncells ? b->cells[b->ncells - 1].col + 1 : 0;

	b->next_col = 0;
	if (b->ncells == 0)
		return 0;
	if (b->text.failed)
		return import_fail(b->err, 500, "out of memory");
	if (t->nrows > b->lim->max_rows) /* the header plus max_rows are there already */
		return import_fail(b->err, 413, "row %lu: more than %zu rows", b->row,
		                   b->lim->max_rows);
	if (import_table_grow(t, b->err))
		return 500;

	size_t ptrs = ncells * sizeof(char *);
	char *block = malloc(ptrs + b->text.len + 1);
	if (!block)
		return import_fail(b->err, 500, "out of memory");
	const char **cells = (const char **)(void *)block;
	char *text = block + ptrs;
	if (b->text.len)
		memcpy(text, b->text.data, b->text.len);
	for (size_t i = 0; i < ncells; i++)
		cells[i] = import_empty;
	for (size_t i = 0; i < b->ncells; i++) {
		const struct import_pending *p = &b->cells[i];
		cells[p->col] = p->shared ? p->shared : text + p->offset;
	}
	t->rows[t->nrows++] =
	    (struct import_row){.number = b->row, .ncells = ncells, .cells = cells};
	b->ncells = 0;
	buf_reset(&b->text);
	return 0;
}

void import_table_free(struct import_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows; i++)
		free((void *)t->rows[i].cells);
	free(t->rows);
	free(t->strings_);
	free(t);
}

const char *import_cell(const struct import_row *row, int col)
{
	if (!row || col < 0 || (size_t)col >= row->ncells)
		return import_empty;
	return row->cells[col];
}

/* ---- Telling the formats apart ---- */

static bool import_has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);
	return n >= m && strcasecmp(name + n - m, suffix) == 0;
}

static bool import_starts(const unsigned char *d, size_t len, const char *magic, size_t n)
{
	return len >= n && memcmp(d, magic, n) == 0;
}

/* Control characters other than tab, line ends and form feed never appear in a CSV
 * that a spreadsheet wrote (FileMaker breaks lines in a cell with a vertical tab), and
 * NUL bytes are how binary files give themselves away. */
static bool import_is_text(const unsigned char *d, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (d[i] == 0 || (d[i] < 0x20 && !strchr("\t\n\v\f\r", d[i])) || d[i] == 0x7F)
			return false;
	}
	return true;
}

struct import_magic {
	const char *bytes;
	size_t len;
	int status;
	const char *why;
};

/* Files people upload by mistake, named so that the message helps. */
static const struct import_magic import_magics[] = {
    {"%PDF-", 5, 415, "a PDF document, not a spreadsheet"},
    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8, 415,
     "an old Excel file (.xls) or a password-protected workbook: save it as .xlsx without "
     "a password, or as CSV"},
    {"\xFF\xFE", 2, 415, "UTF-16 text: save it as CSV (UTF-8) instead"},
    {"\xFE\xFF", 2, 415, "UTF-16 text: save it as CSV (UTF-8) instead"},
};

static int import_sniff(const unsigned char *d, size_t len, const char *name,
                        enum import_format *format, struct import_err *e)
{
	if (import_starts(d, len, "PK\x03\x04", 4) || import_starts(d, len, "PK\x05\x06", 4)) {
		*format = IMPORT_XLSX;
		return 0;
	}
	if (name && (import_has_suffix(name, ".xlsx") || import_has_suffix(name, ".xlsm")))
		return import_fail(e, 400, "the .xlsx file is not a zip archive: it is damaged");
	for (size_t i = 0; i < sizeof import_magics / sizeof import_magics[0]; i++) {
		const struct import_magic *m = &import_magics[i];
		if (import_starts(d, len, m->bytes, m->len))
			return import_fail(e, m->status, "the file is %s", m->why);
	}
	if (len == 0)
		return import_fail(e, 400, "the file is empty");
	if (!import_is_text(d, len))
		return import_fail(e, 415,
		                   "the file is neither an .xlsx spreadsheet nor a CSV text");
	*format = IMPORT_CSV;
	return 0;
}

/* ---- Entry points ---- */

int import_read_mem(const void *data, size_t len, const char *name, const struct import_limits *lim,
                    struct import_table **out, char *err, size_t errlen)
{
	struct import_err e = {err, errlen};
	struct import_limits l = import_limits_fill(lim);
	enum import_format format = IMPORT_CSV;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > l.max_file)
		return import_fail(&e, 413, "the file is larger than %zu bytes", l.max_file);
	if ((rc = import_sniff(data, len, name, &format, &e)) != 0)
		return rc;

	struct import_table *t = calloc(1, sizeof *t);
	if (!t)
		return import_fail(&e, 500, "out of memory");
	t->format = format;
	if (format == IMPORT_XLSX)
		rc = import_xlsx_read(data, len, &l, t, &e);
	else
		rc = import_csv_read(data, len, &l, t, &e);
	if (rc == 0 && t->nrows == 0)
		rc = import_fail(&e, 400, "the file has no rows with text");
	if (rc) {
		import_table_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

/* Reads the whole file: it is at most max_file bytes, checked before reading. */
static int import_slurp(int fd, size_t max, char **data, size_t *len, struct import_err *e)
{
	struct stat st;

	if (fstat(fd, &st))
		return import_fail(e, 500, "cannot read the uploaded file: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return import_fail(e, 500, "the uploaded file is not a regular file");
	if ((uintmax_t)st.st_size > max)
		return import_fail(e, 413, "the file is larger than %zu bytes", max);

	size_t size = (size_t)st.st_size, got = 0;
	char *p = malloc(size ? size : 1);
	if (!p)
		return import_fail(e, 500, "out of memory");
	while (got < size) {
		ssize_t n = read(fd, p + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* shorter than fstat said: someone changed it, do not guess */
			free(p);
			return import_fail(e, 500, "cannot read the uploaded file: %s",
			                   n ? strerror(errno) : "it shrank");
		}
		got += (size_t)n;
	}
	*data = p;
	*len = size;
	return 0;
}

int import_read(const char *path, const char *name, const struct import_limits *lim,
                struct import_table **out, char *err, size_t errlen)
{
	struct import_err e = {err, errlen};
	struct import_limits l = import_limits_fill(lim);
	char *data = NULL;
	size_t len = 0;

	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return import_fail(&e, 500, "cannot open the uploaded file: %s", strerror(errno));
	int rc = import_slurp(fd, l.max_file, &data, &len, &e);
	close(fd);
	if (rc)
		return rc;
	rc = import_read_mem(data, len, name, &l, out, err, errlen);
	free(data);
	return rc;
}

/* ---- Headers ---- */

static const char *const import_field_keys[IMPORT_FIELD__MAX] = {
    [IMPORT_FIELD_NAME] = "name",     [IMPORT_FIELD_REFERENCE_ID] = "reference_id",
    [IMPORT_FIELD_STREET] = "street", [IMPORT_FIELD_ZIP] = "zip",
    [IMPORT_FIELD_CITY] = "city",     [IMPORT_FIELD_COUNTRY] = "country",
    [IMPORT_FIELD_NOTES] = "notes",
};

const char *import_field_key(enum import_field f)
{
	if ((int)f < 0 || f >= IMPORT_FIELD__MAX)
		return NULL;
	return import_field_keys[f];
}

struct import_alias {
	const char *key; /* as import_header_key makes it */
	enum import_field field;
};

static const struct import_alias import_aliases[] = {
    {"name", IMPORT_FIELD_NAME},
    {"referenzid", IMPORT_FIELD_REFERENCE_ID},
    {"referenceid", IMPORT_FIELD_REFERENCE_ID},
    {"strasse", IMPORT_FIELD_STREET},
    {"street", IMPORT_FIELD_STREET},
    {"plz", IMPORT_FIELD_ZIP},
    {"zip", IMPORT_FIELD_ZIP},
    {"zipcode", IMPORT_FIELD_ZIP},
    {"postleitzahl", IMPORT_FIELD_ZIP},
    {"postalcode", IMPORT_FIELD_ZIP},
    {"ort", IMPORT_FIELD_CITY},
    {"city", IMPORT_FIELD_CITY},
    {"stadt", IMPORT_FIELD_CITY},
    {"land", IMPORT_FIELD_COUNTRY},
    {"country", IMPORT_FIELD_COUNTRY},
    {"notizen", IMPORT_FIELD_NOTES},
    {"notes", IMPORT_FIELD_NOTES},
};

struct import_fold {
	const char *utf8;
	const char *ascii;
};

/* German letters as they are spelt without them, so "Straße", "Strasse" and
 * "STRASSE" are one key; U+0308 is the combining diaeresis of decomposed umlauts,
 * U+00A0 a no-break space ("Reference ID" copied from a web page). */
static const struct import_fold import_folds[] = {
    {"\xC3\x9F", "ss"}, {"\xE1\xBA\x9E", "ss"}, {"\xC3\xA4", "ae"}, {"\xC3\x84", "ae"},
    {"\xC3\xB6", "oe"}, {"\xC3\x96", "oe"},     {"\xC3\xBC", "ue"}, {"\xC3\x9C", "ue"},
    {"\xCC\x88", "e"},  {"\xC2\xA0", ""},
};

/* Appends what s starts with to key as folded, returns the bytes of s consumed. */
static size_t import_fold_char(const char *s, char *key, size_t *n, size_t cap)
{
	unsigned char c = (unsigned char)*s;
	const char *add = NULL;
	char one[2] = {0, 0};
	size_t used = 1;

	if (strchr(" -_.*\t", c)) {
		return 1;
	} else if (c < 0x80) {
		one[0] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
		add = one;
	} else {
		for (size_t i = 0; i < sizeof import_folds / sizeof import_folds[0]; i++) {
			size_t m = strlen(import_folds[i].utf8);
			if (strncmp(s, import_folds[i].utf8, m) == 0) {
				add = import_folds[i].ascii;
				used = m;
				break;
			}
		}
		if (!add) { /* a letter no header has: keep the byte so nothing matches */
			one[0] = (char)c;
			add = one;
		}
	}
	for (; *add && *n < cap; add++)
		key[(*n)++] = *add;
	return used;
}

/* The header folded for comparison; too long for any alias is "". */
static void import_header_key(const char *header, char *key, size_t size)
{
	size_t n = 0;

	while (*header && n < size - 1)
		header += import_fold_char(header, key, &n, size - 1);
	if (*header)
		n = 0;
	key[n] = '\0';
}

static int import_header_field(const char *header)
{
	char key[32];

	import_header_key(header, key, sizeof key);
	for (size_t i = 0; i < sizeof import_aliases / sizeof import_aliases[0]; i++) {
		if (strcmp(key, import_aliases[i].key) == 0)
			return (int)import_aliases[i].field;
	}
	return -1;
}

int import_map_headers(const struct import_table *t, int columns[IMPORT_FIELD__MAX], char *err,
                       size_t errlen)
{
	struct import_err e = {err, errlen};

	for (int f = 0; f < IMPORT_FIELD__MAX; f++)
		columns[f] = -1;
	if (!t || t->nrows == 0)
		return import_fail(&e, 422, "the file has no header row");

	const struct import_row *head = &t->rows[0];
	for (size_t col = 0; col < head->ncells && col < INT32_MAX; col++) {
		int f = import_header_field(head->cells[col]);
		if (f < 0)
			continue;
		if (columns[f] >= 0)
			return import_fail(&e, 422, "the columns \"%s\" and \"%s\" are both the %s",
			                   head->cells[columns[f]], head->cells[col],
			                   import_field_keys[f]);
		columns[f] = (int)col;
	}
	if (columns[IMPORT_FIELD_NAME] < 0)
		return import_fail(&e, 422, "the first row has no column \"Name\"");
	return 0;
}

const char *import_fix_zip(const char *cell, char out[6])
{
	for (int i = 0; i < 4; i++) {
		if (cell[i] < '0' || cell[i] > '9')
			return cell;
	}
	if (cell[4] != '\0')
		return cell;
	out[0] = '0';
	memcpy(out + 1, cell, 5);
	return out;
}
