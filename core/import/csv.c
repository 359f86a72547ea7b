/* The CSV reader of the import: UTF-8 (with or without BOM) or Windows-1252, which is
 * what German Excel's "CSV (Trennzeichen-getrennt)" writes; ',', ';' or TAB; RFC 4180
 * quoting; CRLF, LF or CR (Excel for Mac) line ends. */
#include "import/import.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/parse.h"

struct csv {
	const char *s; /* the text, UTF-8 by now */
	size_t len, pos;
	char delim;
	unsigned long row; /* of the record being read, as a spreadsheet numbers it */
	struct buf cell;
	struct import_builder b;
	struct import_err *e;
};

enum csv_end { CSV_END_CELL, CSV_END_ROW, CSV_END_FILE };

/* ---- Encoding ---- */

/* Windows-1252 0x80..0x9F; 0 marks the five bytes it leaves undefined. 0xA0..0xFF
 * are U+00A0..U+00FF as in Latin-1. */
static const uint16_t csv_cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

static size_t csv_put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	out[0] = (char)(0xE0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* Every byte becomes at most three, so the size is known before converting. */
static int csv_from_cp1252(const char *in, size_t len, char **out, size_t *outlen,
                           struct import_err *e)
{
	if (len > (SIZE_MAX - 1) / 3)
		return import_fail(e, 413, "the file is too large");
	char *p = malloc(len * 3 + 1);
	size_t n = 0;

	if (!p)
		return import_fail(e, 500, "out of memory");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		unsigned cp = c;
		if (c >= 0x80 && c <= 0x9F)
			cp = csv_cp1252_high[c - 0x80];
		if (cp == 0) {
			free(p);
			return import_fail(e, 415,
			                   "the text is neither UTF-8 nor Windows-1252 "
			                   "(byte 0x%02X at offset %zu)",
			                   c, i);
		}
		n += csv_put_utf8(p + n, cp);
	}
	p[n] = '\0';
	*out = p;
	*outlen = n;
	return 0;
}

/* Valid UTF-8 is taken as UTF-8: Windows-1252 text with umlauts is practically never
 * valid UTF-8, while UTF-8 text read as Windows-1252 would silently become "MÃ¼ller". */
static int csv_decode(struct csv *c, const char *data, size_t len, struct import_table *t,
                      char **owned)
{
	*owned = NULL;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		if (!utf8_valid(data + 3, len - 3))
			return import_fail(c->e, 400, "the file starts as UTF-8 but is not UTF-8");
		t->encoding = IMPORT_UTF8_BOM;
		c->s = data + 3;
		c->len = len - 3;
		return 0;
	}
	if (utf8_valid(data, len)) {
		t->encoding = IMPORT_UTF8;
		c->s = data;
		c->len = len;
		return 0;
	}
	t->encoding = IMPORT_CP1252;
	int rc = csv_from_cp1252(data, len, owned, &c->len, c->e);
	c->s = *owned;
	return rc;
}

/* ---- The delimiter ---- */

/* Excel's own hint: a first line "sep=;" names the delimiter and is not a row. */
static bool csv_sep_line(struct csv *c)
{
	const char *s = c->s;

	if (c->len < 5 || strncasecmp(s, "sep=", 4) != 0 || !s[4] || !strchr(",;\t", s[4]))
		return false;
	size_t end = 5;
	if (end < c->len && s[end] == '\r')
		end++;
	if (end < c->len && s[end] == '\n')
		end++;
	if (end < c->len && end == 5)
		return false; /* "sep=;x": text, not the hint */
	c->delim = s[4];
	c->pos = end;
	return true;
}

/* Counts the candidates on the first line with text, outside quotes. ';' wins ties
 * because German Excel writes ';' and addresses hold commas ("Hauptstr. 1, Hof"). */
static char csv_guess_delimiter(const struct csv *c)
{
	size_t semi = 0, comma = 0, tab = 0, i = c->pos;
	bool quoted = false, text = false;

	for (; i < c->len; i++) {
		char ch = c->s[i];
		if (ch == '"')
			quoted = !quoted;
		else if (!quoted && (ch == '\n' || ch == '\r') && text)
			break;
		else if (!quoted && ch == ';')
			semi++;
		else if (!quoted && ch == ',')
			comma++;
		else if (!quoted && ch == '\t')
			tab++;
		if (ch != '\n' && ch != '\r')
			text = true;
	}
	if (semi > 0 && semi >= comma && semi >= tab)
		return ';';
	if (comma > 0 && comma >= tab)
		return ',';
	if (tab > 0)
		return '\t';
	return ';';
}

/* ---- Records ---- */

/* Appends s[0..n) turning CRLF into LF, as line breaks inside cells of an .xlsx are. */
static int csv_append_text(struct buf *b, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		if (s[i] == '\r' && s[i + 1] == '\n') {
			if (buf_append(b, s + start, i - start))
				return -1;
			start = i + 1;
		}
	}
	return buf_append(b, s + start, n - start);
}

/* A quoted beginning of a cell: "..." with "" for a quote, line breaks allowed. */
static int csv_quoted(struct csv *c)
{
	c->pos++; /* the opening quote */
	for (;;) {
		const char *q = memchr(c->s + c->pos, '"', c->len - c->pos);
		if (!q)
			return import_fail(c->e, 400, "row %lu: a quoted cell is not closed",
			                   c->row);
		size_t at = (size_t)(q - c->s);
		if (csv_append_text(&c->cell, c->s + c->pos, at - c->pos))
			return import_fail(c->e, 500, "out of memory");
		if (at + 1 < c->len && c->s[at + 1] == '"') {
			if (buf_append(&c->cell, "\"", 1))
				return import_fail(c->e, 500, "out of memory");
			c->pos = at + 2;
			continue;
		}
		c->pos = at + 1;
		return 0;
	}
}

/* One cell into c->cell. Text after a closing quote, or a quote inside an unquoted
 * cell, is kept as it is, as Excel does, rather than refusing the file. */
static int csv_cell(struct csv *c, enum csv_end *end)
{
	int rc;

	buf_reset(&c->cell);
	if (buf_append(&c->cell, "", 0))
		return import_fail(c->e, 500, "out of memory");
	if (c->pos < c->len && c->s[c->pos] == '"' && (rc = csv_quoted(c)) != 0)
		return rc;

	size_t start = c->pos;
	while (c->pos < c->len && c->s[c->pos] != c->delim && c->s[c->pos] != '\n' &&
	       c->s[c->pos] != '\r')
		c->pos++;
	if (buf_append(&c->cell, c->s + start, c->pos - start))
		return import_fail(c->e, 500, "out of memory");

	if (c->pos >= c->len) {
		*end = CSV_END_FILE;
	} else if (c->s[c->pos] == c->delim) {
		*end = CSV_END_CELL;
		c->pos++;
	} else {
		*end = CSV_END_ROW;
		if (c->s[c->pos] == '\r' && c->pos + 1 < c->len && c->s[c->pos + 1] == '\n')
			c->pos++;
		c->pos++;
	}
	return 0;
}

static int csv_record(struct csv *c)
{
	enum csv_end end = CSV_END_CELL;
	size_t col = 0;
	int rc;

	c->b.row = c->row;
	while (end == CSV_END_CELL) {
		if ((rc = csv_cell(c, &end)) != 0)
			return rc;
		if ((rc = import_builder_cell(&c->b, col, c->cell.data, c->cell.len)) != 0)
			return rc;
		col++;
	}
	c->row++;
	return import_builder_row(&c->b);
}

int import_csv_read(const char *data, size_t len, const struct import_limits *lim,
                    struct import_table *t, struct import_err *e)
{
	struct csv c = {.row = 1, .e = e};
	char *owned = NULL;
	int rc;

	import_builder_init(&c.b, t, lim, e);
	rc = csv_decode(&c, data, len, t, &owned);
	if (rc == 0) {
		if (!csv_sep_line(&c))
			c.delim = csv_guess_delimiter(&c);
		t->delimiter = c.delim;
	}
	while (rc == 0 && c.pos < c.len)
		rc = csv_record(&c);
	import_builder_free(&c.b);
	buf_free(&c.cell);
	free(owned);
	return rc;
}
