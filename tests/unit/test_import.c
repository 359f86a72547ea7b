/* The spreadsheet readers of the property import: every fixture in
 * tests/fixtures/import/ (see make-fixtures.py there), CSV variants in memory, small
 * .xlsx packages built here with libzip, the limits and the header mapping. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zip.h>

#include "harness.h"
#include "import/import.h"

#define FIXTURES "tests/fixtures/import/"

static char err[512];

/* ---- Helpers ---- */

static struct import_table *fixture(const char *file, const struct import_limits *lim, int want)
{
	char path[256];
	struct import_table *t = NULL;

	snprintf(path, sizeof path, FIXTURES "%s", file);
	int rc = import_read(path, file, lim, &t, err, sizeof err);
	if (rc != want)
		fprintf(stderr, "%s: status %d, wanted %d (%s)\n", file, rc, want, err);
	CHECK(rc == want);
	CHECK((rc == 0) == (t != NULL));
	CHECK(rc == 0 || err[0] != '\0');
	return t;
}

static struct import_table *mem(const char *data, size_t len, const char *name,
                                const struct import_limits *lim, int want)
{
	struct import_table *t = NULL;
	int rc = import_read_mem(data, len, name, lim, &t, err, sizeof err);

	if (rc != want)
		fprintf(stderr, "in memory: status %d, wanted %d (%s)\n", rc, want, err);
	CHECK(rc == want);
	CHECK((rc == 0) == (t != NULL));
	CHECK(rc == 0 || err[0] != '\0');
	return t;
}

static struct import_table *text(const char *s, int want)
{
	return mem(s, strlen(s), "upload.csv", NULL, want);
}

/* The row numbered number, or NULL. */
static const struct import_row *row(const struct import_table *t, unsigned long number)
{
	for (size_t i = 0; t && i < t->nrows; i++) {
		if (t->rows[i].number == number)
			return &t->rows[i];
	}
	return NULL;
}

/* Checks a whole row: its number and its cells, "" for empty ones, NULL-terminated. */
static void check_row(const struct import_table *t, size_t index, unsigned long number,
                      const char *const *cells)
{
	size_t n = 0;

	CHECK(t && index < t->nrows);
	if (!t || index >= t->nrows)
		return;
	const struct import_row *r = &t->rows[index];
	while (cells[n])
		n++;
	if (r->number != number || r->ncells != n)
		fprintf(stderr, "row index %zu: number %lu, %zu cells; wanted %lu, %zu\n", index,
		        r->number, r->ncells, number, n);
	CHECK(r->number == number);
	CHECK(r->ncells == n);
	for (size_t i = 0; i < n && i < r->ncells; i++)
		CHECK_STR(r->cells[i], cells[i]);
}

#define ROW(t, index, number, ...) \
	check_row(t, index, number, (const char *const[]){__VA_ARGS__, NULL})

/* An .xlsx package in memory with the given parts (name, text pairs, NULL-ended). */
static char *make_zip(size_t *len, const char *const *parts)
{
	zip_error_t ze;
	char *data = NULL;

	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	zip_t *z = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
	if (!z) {
		fprintf(stderr, "libzip: %s\n", zip_error_strerror(&ze));
		abort();
	}
	zip_source_keep(src);
	for (size_t i = 0; parts[i]; i += 2) {
		zip_source_t *s = zip_source_buffer(z, parts[i + 1], strlen(parts[i + 1]), 0);
		if (!s || zip_file_add(z, parts[i], s, ZIP_FL_OVERWRITE) < 0)
			abort();
	}
	if (zip_close(z) || zip_source_open(src) || zip_source_seek(src, 0, SEEK_END) ||
	    (*len = (size_t)zip_source_tell(src), zip_source_seek(src, 0, SEEK_SET)))
		abort();
	if (!(data = malloc(*len ? *len : 1)) ||
	    zip_source_read(src, data, *len) != (zip_int64_t)*len)
		abort();
	zip_source_close(src);
	zip_source_free(src);
	zip_error_fini(&ze);
	return data;
}

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

static const char pkg_rels[] =
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
    "<Relationship Id=\"rId1\" Type=\"" NS_REL "/officeDocument\" Target=\"xl/workbook.xml\"/>"
    "</Relationships>";
static const char workbook[] =
    "<workbook xmlns=\"" NS_MAIN "\" xmlns:r=\"" NS_REL "\"><sheets>"
    "<sheet name=\"A\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
#define WB_RELS_SHEET                                                                            \
	"<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">" \
	"<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" Target=\"worksheets/s.xml\"/>"
static const char wb_rels[] = WB_RELS_SHEET "</Relationships>";
static const char wb_rels_sst[] =
    WB_RELS_SHEET "<Relationship Id=\"rId2\" Type=\"" NS_REL "/sharedStrings\" "
                  "Target=\"sharedStrings.xml\"/></Relationships>";

/* An .xlsx whose first sheet has the given <sheetData> content. */
static struct import_table *xlsx(const char *rows, const char *sst, const struct import_limits *lim,
                                 int want)
{
	char sheet[8192];
	size_t len = 0;

	snprintf(sheet, sizeof sheet,
	         "<worksheet xmlns=\"" NS_MAIN "\"><sheetData>%s</sheetData>"
	         "</worksheet>",
	         rows);
	const char *parts[] = {"_rels/.rels",
	                       pkg_rels,
	                       "xl/workbook.xml",
	                       workbook,
	                       "xl/_rels/workbook.xml.rels",
	                       sst ? wb_rels_sst : wb_rels,
	                       "xl/worksheets/s.xml",
	                       sheet,
	                       sst ? "xl/sharedStrings.xml" : NULL,
	                       sst,
	                       NULL};
	char *data = make_zip(&len, parts);
	struct import_table *t = mem(data, len, "x.xlsx", lim, want);
	free(data);
	return t;
}

static void xlsx_status(const char *rows, const char *sst, int want)
{
	import_table_free(xlsx(rows, sst, NULL, want));
}

/* The text of a cell <c> in row 1 (a row 2 keeps the sheet from being empty). */
static void check_cell(const char *cell, const char *want)
{
	char rows[1024];

	snprintf(rows, sizeof rows, "<row r=\"1\">%s</row><row r=\"2\"><c><v>0</v></c></row>",
	         cell);
	struct import_table *t = xlsx(rows, NULL, NULL, 0);
	CHECK_STR(import_cell(row(t, 1), 0), want);
	import_table_free(t);
}

/* ---- The fixtures ---- */

static void test_xlsx_fixture(void)
{
	struct import_table *t = fixture("properties.xlsx", NULL, 0);
	int cols[IMPORT_FIELD__MAX];
	char zip[6];

	if (!t)
		return;
	CHECK(t->format == IMPORT_XLSX);
	CHECK(t->encoding == IMPORT_UTF8);
	CHECK(t->delimiter == 0);
	CHECK(t->nrows == 14); /* header, 13 properties; row 8 is empty */
	ROW(t, 0, 1, "Name", "Referenz-ID", "Straße", "PLZ", "Ort", "Land", "Notizen", "Fläche m²");
	ROW(t, 1, 2, "Müller Wohnbau", "REF-001", "Müllerstraße 12", "10115", "Berlin",
	    "Deutschland", "", "120.5");
	ROW(t, 2, 3, "Haus am Elbufer", "REF-002", "Königsbrücker Straße 3", "1067", "Dresden",
	    "Deutschland", "Schlüssel beim Hausmeister, Tel. 0351 123", "98");
	ROW(t, 3, 4, "Kölner Hof", "REF-003", "Domstraße 1", "50667", "Köln", "Deutschland",
	    "Eingang \"Hinterhof\", 2. Tür", "250.75");
	ROW(t, 4, 5, "Am Stadtpark", "1004", "Parkweg 7", "80331", "München", "Deutschland");
	ROW(t, 5, 6, "Weiße Villa", "123456789012", "Lindenallee 22", "4109", "Leipzig",
	    "Deutschland", "Denkmalschutz", "310");
	ROW(t, 6, 7, "Hafenblick", "REF-006", "Große Elbstraße 145", "22767", "Hamburg",
	    "Deutschland");
	ROW(t, 7, 9, "Rheinterrassen", "REF-008", "Rheinuferstraße 9", "40213", "Düsseldorf",
	    "Deutschland", "Tiefgarage");
	ROW(t, 9, 11, "Bergblick", "REF-010", "Alpenstraße 3", "6020", "Innsbruck", "Österreich",
	    "Österreichische PLZ");
	ROW(t, 11, 13, "Gartenhaus", "", "Gartenweg 2", "9111", "Chemnitz", "Deutschland",
	    "ohne Referenz");
	ROW(t, 12, 14, "Zum Löwen", "REF-013", "Marktplatz 1", "99084", "Erfurt", "Deutschland",
	    "Gewerbe: Café \"Löwe\"");
	ROW(t, 13, 15, "Neubau Nord", "REF-014", "Nordstraße 8", "24103", "Kiel", "Deutschland");
	CHECK(row(t, 8) == NULL);

	CHECK(import_map_headers(t, cols, err, sizeof err) == 0);
	CHECK(cols[IMPORT_FIELD_NAME] == 0 && cols[IMPORT_FIELD_REFERENCE_ID] == 1);
	CHECK(cols[IMPORT_FIELD_STREET] == 2 && cols[IMPORT_FIELD_ZIP] == 3);
	CHECK(cols[IMPORT_FIELD_CITY] == 4 && cols[IMPORT_FIELD_COUNTRY] == 5);
	CHECK(cols[IMPORT_FIELD_NOTES] == 6);
	/* The postcodes LibreOffice stored as numbers get their zero back. */
	CHECK_STR(import_fix_zip(import_cell(row(t, 3), cols[IMPORT_FIELD_ZIP]), zip), "01067");
	CHECK_STR(import_fix_zip(import_cell(row(t, 13), cols[IMPORT_FIELD_ZIP]), zip), "09111");
	CHECK_STR(import_fix_zip(import_cell(row(t, 2), cols[IMPORT_FIELD_ZIP]), zip), "10115");
	import_table_free(t);
}

static void test_csv_fixture(void)
{
	struct import_table *t = fixture("properties-excel-de.csv", NULL, 0);
	int cols[IMPORT_FIELD__MAX];
	char zip[6];

	if (!t)
		return;
	CHECK(t->format == IMPORT_CSV);
	CHECK(t->encoding == IMPORT_CP1252);
	CHECK(t->delimiter == ';');
	CHECK(t->nrows == 7); /* row 6 is ";;;;;;", the CRLF at the end adds nothing */
	ROW(t, 0, 1, "Name", "Referenz-ID", "Straße", "PLZ", "Ort", "Land", "Notizen");
	ROW(t, 1, 2, "Müller Wohnbau", "REF-001", "Müllerstraße 12", "10115", "Berlin",
	    "Deutschland");
	ROW(t, 2, 3, "Haus am Elbufer", "REF-002", "Königsbrücker Straße 3", "1067", "Dresden",
	    "Deutschland", "Schlüssel beim Hausmeister; Tel. 0351 123");
	ROW(t, 3, 4, "Kölner Hof", "REF-003", "Domstraße 1", "50667", "Köln", "Deutschland",
	    "Eingang „Hinterhof“; Miete 1.200 €");
	ROW(t, 4, 5, "Weiße Villa", "1004", "Lindenallee 22", "04109", "Leipzig", "Deutschland",
	    "Denkmalschutz, Fassade \"Jugendstil\"");
	ROW(t, 5, 7, "Zum Löwen", "REF-006", "Marktplatz 1", "99084", "Erfurt", "Deutschland",
	    "Erdgeschoss: Café\nObergeschoss: Büros");
	ROW(t, 6, 8, "Grüner Weg", "", "Grüner Weg 5", "09111", "Chemnitz", "Deutschland",
	    "Nebenkosten 3,50 €/m²");
	CHECK(import_map_headers(t, cols, err, sizeof err) == 0);
	CHECK(cols[IMPORT_FIELD_NAME] == 0 && cols[IMPORT_FIELD_NOTES] == 6);
	CHECK_STR(import_fix_zip(import_cell(row(t, 3), cols[IMPORT_FIELD_ZIP]), zip), "01067");
	import_table_free(t);
}

static void test_xlsx_edge_cases(void)
{
	struct import_table *t = fixture("edge-cases.xlsx", NULL, 0);

	if (!t)
		return;
	/* The hidden first sheet is passed over; the visible one is not sheet1.xml. */
	CHECK(t->nrows == 4);
	ROW(t, 0, 1, "Name", "PLZ", "Referenz-ID");
	/* Rich text without its phonetic run, an exponent that is an integer, an error
	 * cell empty, a boolean as written. */
	ROW(t, 1, 3, "Rich Text", "1067", "123456789012", "", "", "1");
	/* Cells without r, _x000D_ and _x005F_, a formula's value, a str trimmed. */
	ROW(t, 2, 4, "Zeile 1\nZeile 2 _x0041_", "3.14", "6", "x");
	const struct import_row *r7 = row(t, 7);
	CHECK(r7 && r7->ncells == 27);
	CHECK_STR(import_cell(r7, 0), "Müller");
	CHECK_STR(import_cell(r7, 3), "1E-3");
	CHECK_STR(import_cell(r7, 26), "-250");
	CHECK_STR(import_cell(r7, 27), "");
	CHECK(row(t, 8) == NULL); /* cells without values are empty */
	import_table_free(t);
}

static void test_broken_fixtures(void)
{
	struct import_limits small = {.max_inflated = 8 << 20};
	clock_t start = clock();

	CHECK(fixture("not-a-zip.xlsx", NULL, 400) == NULL);
	CHECK(strstr(err, "not a zip") != NULL);
	CHECK(fixture("truncated.xlsx", NULL, 400) == NULL);
	CHECK(fixture("missing-sheet.xlsx", NULL, 400) == NULL);
	CHECK(strstr(err, "xl/worksheets/sheet1.xml") != NULL);
	CHECK(fixture("not-a-spreadsheet.pdf", NULL, 415) == NULL);
	/* The bomb declares its 210 MiB: refused before inflating anything. */
	CHECK(fixture("bomb.xlsx", NULL, 400) == NULL);
	CHECK(strstr(err, "zip bomb") != NULL);
	/* This one claims 4 KiB: only counting while inflating stops it. */ CHECK(
	    fixture("bomb-lying.xlsx", &small, 400) == NULL);
	CHECK(strstr(err, "zip bomb") != NULL);
	/* Thirty million open elements: expat's memory is capped, not the machine's. */
	CHECK(fixture("nesting-bomb.xlsx", NULL, 400) == NULL);
	CHECK(strstr(err, "memory") != NULL);
	double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
	if (seconds > 20)
		fprintf(stderr, "the broken fixtures took %.1f s\n", seconds);
	CHECK(seconds < 20); /* generous for valgrind: without it, a few milliseconds */

	/* Without the name, text in a file called .xlsx is just text. */
	struct import_table *t = NULL;
	CHECK(import_read(FIXTURES "not-a-zip.xlsx", NULL, NULL, &t, err, sizeof err) == 0);
	CHECK(t && t->format == IMPORT_CSV);
	import_table_free(t);
	CHECK(import_read(FIXTURES "no-such-file.csv", NULL, NULL, &t, err, sizeof err) == 500);
	CHECK(t == NULL);
}

/* ---- CSV ---- */

static void test_csv_encodings(void)
{
	struct import_table *t;

	t = text("\xEF\xBB\xBFName;Ort\r\nMüller;Köln\r\n", 0);
	CHECK(t && t->encoding == IMPORT_UTF8_BOM && t->delimiter == ';');
	if (t) {
		ROW(t, 0, 1, "Name", "Ort");
		ROW(t, 1, 2, "Müller", "Köln");
	}
	import_table_free(t);

	t = text("Name,Ort\nM\xFCller,K\xF6ln \x80\x84\x93\x82\x91\x92\x96\x97\x85\x99\n", 0);
	CHECK(t && t->encoding == IMPORT_CP1252 && t->delimiter == ',');
	if (t)
		ROW(t, 1, 2, "Müller", "Köln €„“‚‘’–—…™");
	import_table_free(t);

	t = text("Name\nM\xC3\xBCller\n", 0);
	CHECK(t && t->encoding == IMPORT_UTF8);
	if (t)
		ROW(t, 1, 2, "Müller");
	import_table_free(t);

	/* Undefined in Windows-1252 (and ü in the old DOS code page): not guessed at. */
	CHECK(text("Name\nM\x81ller\n", 415) == NULL);
	/* A BOM promises UTF-8. */
	CHECK(text("\xEF\xBB\xBFName\nM\xFCller\n", 400) == NULL);
}

static void test_csv_delimiters(void)
{
	struct import_table *t;

	t = text("Name\tStraße\tOrt\nA\tB, 1\tC;D\n", 0);
	CHECK(t && t->delimiter == '\t');
	if (t)
		ROW(t, 1, 2, "A", "B, 1", "C;D");
	import_table_free(t);

	/* One of each on the header line: ';' wins, and commas stay in the cells. */
	t = text("Name;Straße, Nr.\nA;Weg 1, Hof\n", 0);
	CHECK(t && t->delimiter == ';');
	if (t)
		ROW(t, 1, 2, "A", "Weg 1, Hof");
	import_table_free(t);

	/* Delimiters inside quotes on the header line do not count. */
	t = text("\"Name;Nr\",Ort\n\"A;1\",B\n", 0);
	CHECK(t && t->delimiter == ',');
	if (t)
		ROW(t, 0, 1, "Name;Nr", "Ort");
	import_table_free(t);

	/* Excel's "sep=" line names the delimiter and is no row. */
	t = text("sep=,\r\nName;x,Ort\r\nA;b,C\r\n", 0);
	CHECK(t && t->delimiter == ',');
	if (t) {
		ROW(t, 0, 1, "Name;x", "Ort");
		ROW(t, 1, 2, "A;b", "C");
	}
	import_table_free(t);

	/* A single column, and leading empty lines keep their numbers. */
	t = text("\n\nName\nA, B\n", 0);
	CHECK(t && t->delimiter == ';' && t->nrows == 2);
	if (t) {
		ROW(t, 0, 3, "Name");
		ROW(t, 1, 4, "A, B");
	}
	import_table_free(t);
}

static void test_csv_quoting(void)
{
	struct import_table *t;

	t = text("Name;Notizen\r\n\"A \"\"B\"\"\";\"Zeile 1\r\nZeile 2;\"\"x\"\"\"\r\nC;\"\"\r\n",
	         0);
	CHECK(t && t->nrows == 3);
	if (t) {
		ROW(t, 1, 2, "A \"B\"", "Zeile 1\nZeile 2;\"x\"");
		ROW(t, 2, 3, "C");
	}
	import_table_free(t);

	/* What Excel accepts: text after a closing quote, a quote inside a cell. */
	t = text("Name;Notiz\n\"A\"b;5\" Zoll\n", 0);
	if (t)
		ROW(t, 1, 2, "Ab", "5\" Zoll");
	import_table_free(t);

	/* The row where the quote opened is named. */
	CHECK(text("Name;Notiz\nA;ok\nB;\"open\nC;x\n", 400) == NULL);
	CHECK(strstr(err, "row 3") != NULL);
	CHECK(text("\"", 400) == NULL);

	/* CR alone ends rows (Excel for Mac); trimming takes no-break spaces too. */
	t = text("Name;Ort\r  A \xC2\xA0;\t B\t\r\r", 0);
	CHECK(t && t->nrows == 2);
	if (t)
		ROW(t, 1, 2, "A", "B");
	import_table_free(t);

	/* Rows with only empty cells are left out, the trailing line too. */
	t = text("Name;Ort\n;\n\"\" ; \nA;B\n\n", 0);
	CHECK(t && t->nrows == 2);
	if (t)
		ROW(t, 1, 4, "A", "B");
	import_table_free(
	    t); /* FileMaker's line break in a cell is a vertical tab: text, not binary. */
	t = text("Name;Notiz\nA;x\vy\n", 0);
	if (t)
		ROW(t, 1, 2, "A", "x\vy");
	import_table_free(t);

	/* No line end at the end of the file. */
	t = text("Name;Ort\nA;B", 0);
	if (t)
		ROW(t, 1, 2, "A", "B");
	import_table_free(t);
}

static void test_not_spreadsheets(void)
{
	static const char nul[] = "Name;Ort\nA\0;B\n";
	static const char ole[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest";
	static const char utf16[] = "\xFF\xFEN\0a\0m\0e\0";
	static const char png[] = "\x89PNG\r\n\x1A\n";

	CHECK(mem(nul, sizeof nul - 1, "a.csv", NULL, 415) == NULL);
	CHECK(mem(ole, sizeof ole - 1, "a.xls", NULL, 415) == NULL);
	CHECK(strstr(err, ".xls") != NULL);
	CHECK(mem(utf16, sizeof utf16 - 1, "a.csv", NULL, 415) == NULL);
	CHECK(strstr(err, "UTF-16") != NULL);
	CHECK(mem(png, sizeof png - 1, "a.png", NULL, 415) == NULL);
	CHECK(mem("%PDF-1.7\n1 0 obj\n", 17, NULL, NULL, 415) == NULL);
	CHECK(mem("", 0, "a.csv", NULL, 400) == NULL);
	CHECK(text("\r\n ; ;\r\n", 400) == NULL); /* no text at all */
	/* A zip that is no spreadsheet, a broken zip. */
	CHECK(mem("PK\x03\x04garbage", 11, NULL, NULL, 400) == NULL);
	size_t len = 0;
	const char *ods[] = {"mimetype", "application/vnd.oasis.opendocument.spreadsheet",
	                     "content.xml", "<x/>", NULL};
	char *data = make_zip(&len, ods);
	CHECK(mem(data, len, "a.ods", NULL, 415) == NULL);
	free(data);
}

/* ---- .xlsx built here ---- */

static void test_xlsx_cells(void)
{
	/* Numbers: as written, but integers without ".0" and without exponent. */
	check_cell("<c r=\"A1\"><v>1067</v></c>", "1067");
	check_cell("<c r=\"A1\" t=\"n\"><v>1067.0</v></c>", "1067");
	check_cell("<c r=\"A1\"><v>3.50</v></c>", "3.50");
	check_cell("<c r=\"A1\"><v>0.1</v></c>", "0.1");
	check_cell("<c r=\"A1\"><v>1.5E+3</v></c>", "1500");
	check_cell("<c r=\"A1\"><v>1.2345678901234567E+19</v></c>", "12345678901234567000");
	check_cell("<c r=\"A1\"><v>-1.2E2</v></c>", "-120");
	check_cell("<c r=\"A1\"><v>1.25E+1</v></c>", "1.25E+1"); /* 12.5: as written */
	check_cell("<c r=\"A1\"><v>-0.0</v></c>", "0");
	check_cell("<c r=\"A1\"><v>1E+60</v></c>", "1E+60"); /* too long to spell out */
	check_cell("<c r=\"A1\"><v>12345678901234567890123</v></c>", "12345678901234567890123");
	check_cell("<c r=\"A1\"><v>abc</v></c>", "abc");
	/* Strings. */
	check_cell("<c r=\"A1\" t=\"inlineStr\"><is><t xml:space=\"preserve\"> a  b </t></is></c>",
	           "a  b");
	check_cell("<c r=\"A1\" t=\"str\"><f>1+1</f><v>&lt;&amp;&gt; &#x20AC;</v></c>", "<&> €");
	check_cell("<c r=\"A1\" t=\"d\"><v>2024-05-01T00:00:00</v></c>", "2024-05-01T00:00:00");
	check_cell("<c r=\"A1\" t=\"e\"><v>#N/A</v></c>", "");
	check_cell("<c r=\"A1\" t=\"inlineStr\"><is><t>a_x0001_b_x0000_c_xD800_</t></is></c>",
	           "abc_xD800_");
	check_cell("<c r=\"A1\" t=\"inlineStr\"><is><t>_x00e4_</t></is></c>", "ä");
}

static void test_xlsx_layout(void)
{
	static const char sst[] =
	    "<sst xmlns=\"" NS_MAIN "\"><si><t>Name</t></si><si><t>  </t></si>"
	    "<si><r><t>St</t></r><r><t>raße</t></r></si></sst>";
	struct import_table *t;

	/* Columns placed by their letters, a row number skipped, shared strings. */
	t = xlsx("<row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c><c r=\"C2\" t=\"s\"><v>2</v></c>"
	         "</row><row r=\"5\"><c r=\"B5\" t=\"s\"><v>1</v></c><c r=\"Z5\"><v>7</v></c></row>"
	         "<row><c><v>1</v></c><c r=\"b6\"><v>2</v></c><c><v>3</v></c></row>",
	         sst, NULL, 0);
	if (t) {
		CHECK(t->nrows == 3);
		ROW(t, 0, 2, "Name", "", "Straße");
		CHECK(t->rows[1].number == 5 && t->rows[1].ncells == 26);
		CHECK_STR(import_cell(&t->rows[1], 1), "");
		CHECK_STR(import_cell(&t->rows[1], 25), "7");
		ROW(t, 2, 6, "1", "2", "3");
	}
	import_table_free(t);

	/* Broken references and layouts are 400. */
	xlsx_status("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>3</v></c></row>", sst, 400);
	xlsx_status("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>x</v></c></row>", sst, 400);
	xlsx_status("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>", NULL, 400);
	xlsx_status("<row r=\"2\"><c><v>1</v></c></row><row r=\"2\"><c><v>1</v></c></row>", NULL,
	            400);
	xlsx_status("<row r=\"0\"><c><v>1</v></c></row>", NULL, 400);
	xlsx_status("<row r=\"1048577\"><c><v>1</v></c></row>", NULL, 400);
	xlsx_status("<row r=\"1\"><c r=\"B1\"><v>1</v></c><c r=\"A1\"><v>1</v></c></row>", NULL,
	            400);
	xlsx_status("<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>", NULL, 400);
	xlsx_status("<row r=\"1\"><c r=\"A1\" t=\"q\"><v>1</v></c></row>", NULL, 400);
	xlsx_status("<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row>", NULL, 400);
	xlsx_status("", NULL, 400); /* no rows */
	/* Far right, but within Excel: over the column limit, so 413. */
	xlsx_status("<row r=\"1\"><c r=\"XFD1\"><v>1</v></c></row>", NULL, 413);
}

static void test_xlsx_packages(void)
{
	size_t len = 0;
	char *data;
	char sheet[] =
	    "<worksheet xmlns=\"" NS_MAIN "\"><sheetData><row r=\"1\"><c t=\"inlineStr\">"
	    "<is><t>Name</t></is></c></row></sheetData></worksheet>";

	/* Without _rels/.rels: xl/workbook.xml is where it usually is. */
	const char *no_pkg_rels[] = {"xl/workbook.xml",
	                             workbook,
	                             "xl/_rels/workbook.xml.rels",
	                             wb_rels,
	                             "xl/worksheets/s.xml",
	                             sheet,
	                             NULL};
	data = make_zip(&len, no_pkg_rels);
	import_table_free(mem(data, len, NULL, NULL, 0));
	free(data);

	/* Without the workbook's relationships no sheet can be found. */
	const char *no_wb_rels[] = {
	    "_rels/.rels", pkg_rels, "xl/workbook.xml", workbook, "xl/worksheets/s.xml",
	    sheet,         NULL};
	data = make_zip(&len, no_wb_rels);
	CHECK(mem(data, len, NULL, NULL, 400) == NULL);
	free(data);

	/* A DTD (entity expansion) is refused; so is malformed XML. */
	const char *dtd[] = {"_rels/.rels",
	                     pkg_rels,
	                     "xl/workbook.xml",
	                     "<!DOCTYPE w [<!ENTITY a \"aaaa\">]><workbook/>",
	                     "xl/_rels/workbook.xml.rels",
	                     wb_rels,
	                     NULL};
	data = make_zip(&len, dtd);
	CHECK(mem(data, len, NULL, NULL, 400) == NULL);
	CHECK(strstr(err, "document type") != NULL);
	free(data);
	const char *bad_xml[] = {"_rels/.rels", pkg_rels, "xl/workbook.xml", "<workbook><sheets>",
	                         NULL};
	data = make_zip(&len, bad_xml);
	CHECK(mem(data, len, NULL, NULL, 400) == NULL);
	free(data);

	/* A target leaving the package. */
	const char *escape[] = {"_rels/.rels",
	                        "<Relationships><Relationship Id=\"r\" Type=\"x/officeDocument\" "
	                        "Target=\"../../etc/passwd\"/></Relationships>",
	                        NULL};
	data = make_zip(&len, escape);
	CHECK(mem(data, len, NULL, NULL, 400) == NULL);
	free(data);

	/* A workbook whose only sheet is a chart. */
	const char *chart_rels =
	    "<Relationships><Relationship Id=\"rId1\" Type=\"" NS_REL "/chartsheet\" "
	    "Target=\"chartsheets/c.xml\"/></Relationships>";
	const char *chart[] = {
	    "_rels/.rels", pkg_rels, "xl/workbook.xml", workbook, "xl/_rels/workbook.xml.rels",
	    chart_rels,    NULL};
	data = make_zip(&len, chart);
	CHECK(mem(data, len, NULL, NULL, 400) == NULL);
	CHECK(strstr(err, "no worksheet") != NULL);
	free(data);
}

/* ---- Limits ---- */

static void test_limits(void)
{
	struct import_limits lim = {.max_rows = 3};
	struct import_table *t;

	/* The header does not count; empty rows do not either. */
	t = mem("Name\na\nb\n\nc\n", 12, NULL, &lim, 0);
	CHECK(t && t->nrows == 4);
	import_table_free(t);
	CHECK(mem("Name\na\nb\nc\nd\n", 13, NULL, &lim, 413) == NULL);
	CHECK(strstr(err, "row 5") != NULL);

	lim = (struct import_limits){.max_rows = 12};
	CHECK(fixture("properties.xlsx", &lim, 413) == NULL);
	lim.max_rows = 13;
	import_table_free(fixture("properties.xlsx", &lim, 0));

	lim = (struct import_limits){.max_file = 1000};
	CHECK(fixture("properties.xlsx", &lim, 413) == NULL);
	import_table_free(fixture("properties-excel-de.csv", &lim, 0));
	lim.max_file = 599;
	CHECK(fixture("properties-excel-de.csv", &lim, 413) == NULL);
	CHECK(mem("Name\nA\n", 7, NULL, &(struct import_limits){.max_file = 6}, 413) == NULL);
	/* The default is 10 MiB: one byte more is refused before it is read. */
	CHECK(import_limits_default.max_file == 10 << 20);
	CHECK(import_limits_default.max_rows == 10000);

	lim = (struct import_limits){.max_columns = 2};
	import_table_free(mem("Name;Ort;;;;\nA;B;;;\n", 20, NULL, &lim, 0));
	CHECK(mem("Name;Ort;PLZ\n", 13, NULL, &lim, 413) == NULL);

	lim = (struct import_limits){.max_cell = 4};
	import_table_free(mem("Name\n  abcd  \n", 14, NULL, &lim, 0));
	CHECK(mem("Name\nabcde\n", 11, NULL, &lim, 413) == NULL);
	CHECK(strstr(err, "row 2") != NULL && strstr(err, "A2") != NULL);
	CHECK(fixture("properties.xlsx", &lim, 413) == NULL);

	lim = (struct import_limits){.max_strings = 10};
	CHECK(fixture("properties.xlsx", &lim, 413) == NULL);
	lim = (struct import_limits){.max_entries = 5};
	CHECK(fixture("properties.xlsx", &lim, 400) == NULL);
	lim = (struct import_limits){.max_inflated = 10000};
	CHECK(fixture("properties.xlsx", &lim, 400) == NULL);
}

/* 10,000 rows pass with the defaults and 10,001 do not. */
static void test_default_rows(void)
{
	size_t cap = 20 * 10002, len = 0;
	char *big = malloc(cap);

	if (!big)
		abort();
	len += (size_t)snprintf(big, cap, "Name;Ort\n");
	for (int i = 0; i < 10000; i++)
		len += (size_t)snprintf(big + len, cap - len, "P%d;X\n", i);
	struct import_table *t = mem(big, len, NULL, NULL, 0);
	CHECK(t && t->nrows == 10001 && t->rows[10000].number == 10001);
	import_table_free(t);
	len += (size_t)snprintf(big + len, cap - len, "last;X\n");
	CHECK(mem(big, len, NULL, NULL, 413) == NULL);
	free(big);
}

/* ---- Headers ---- */

static int map(const char *csv, int cols[IMPORT_FIELD__MAX])
{
	struct import_table *t = text(csv, 0);
	int rc = t ? import_map_headers(t, cols, err, sizeof err) : -1;

	import_table_free(t);
	return rc;
}

static void test_headers(void)
{
	int c[IMPORT_FIELD__MAX];

	CHECK(map("Notes,Country,City,Zip,Street,Reference ID,Name\n", c) == 0);
	CHECK(c[IMPORT_FIELD_NOTES] == 0 && c[IMPORT_FIELD_COUNTRY] == 1);
	CHECK(c[IMPORT_FIELD_CITY] == 2 && c[IMPORT_FIELD_ZIP] == 3);
	CHECK(c[IMPORT_FIELD_STREET] == 4 && c[IMPORT_FIELD_REFERENCE_ID] == 5);
	CHECK(c[IMPORT_FIELD_NAME] == 6);

	CHECK(map("STRASSE;name;Sonstiges;plz;ORT;referenz id\n", c) == 0);
	CHECK(c[IMPORT_FIELD_STREET] == 0 && c[IMPORT_FIELD_NAME] == 1);
	CHECK(c[IMPORT_FIELD_ZIP] == 3 && c[IMPORT_FIELD_CITY] == 4);
	CHECK(c[IMPORT_FIELD_REFERENCE_ID] == 5);
	CHECK(c[IMPORT_FIELD_COUNTRY] == -1 && c[IMPORT_FIELD_NOTES] == -1);

	CHECK(map(" Name ;Strasse;Postleitzahl;Stadt;LAND;Notizen;ReferenzID\n", c) == 0);
	CHECK(c[IMPORT_FIELD_STREET] == 1 && c[IMPORT_FIELD_ZIP] == 2);
	CHECK(c[IMPORT_FIELD_CITY] == 3 && c[IMPORT_FIELD_COUNTRY] == 4);
	CHECK(c[IMPORT_FIELD_NOTES] == 5 && c[IMPORT_FIELD_REFERENCE_ID] == 6);

	CHECK(map("NAME;STRAẞE;Zip code\n", c) == 0);
	CHECK(c[IMPORT_FIELD_STREET] == 1 && c[IMPORT_FIELD_ZIP] == 2);
	CHECK(map("name;postal_code;Referenz-Id;Stra\xC3\x9F"
	          "e\n",
	          c) == 0);
	CHECK(c[IMPORT_FIELD_ZIP] == 1 && c[IMPORT_FIELD_REFERENCE_ID] == 2);
	CHECK(c[IMPORT_FIELD_STREET] == 3);
	CHECK(map("Name;Reference\xC2\xA0ID\n", c) == 0); /* a no-break space */
	CHECK(c[IMPORT_FIELD_REFERENCE_ID] == 1);

	CHECK(map("Straße;Ort\n", c) == 422);
	CHECK(strstr(err, "Name") != NULL);
	CHECK(map("Name;Straße;Ort;Street\n", c) == 422);
	CHECK(strstr(err, "\"Straße\"") != NULL && strstr(err, "\"Street\"") != NULL);
	CHECK(map("Name;PLZ;Zip\n", c) == 422);
	CHECK(map("Namen;Nam;Name2\n", c) == 422);
	CHECK(import_map_headers(NULL, c, err, sizeof err) == 422);

	CHECK_STR(import_field_key(IMPORT_FIELD_REFERENCE_ID), "reference_id");
	CHECK_STR(import_field_key(IMPORT_FIELD_NOTES), "notes");
	CHECK(import_field_key(IMPORT_FIELD__MAX) == NULL);
}

static void test_fix_zip(void)
{
	char out[6];

	CHECK_STR(import_fix_zip("1067", out), "01067");
	CHECK_STR(import_fix_zip("01067", out), "01067");
	CHECK_STR(import_fix_zip("10115", out), "10115");
	CHECK_STR(import_fix_zip("123", out), "123");
	CHECK_STR(import_fix_zip("", out), "");
	CHECK_STR(import_fix_zip("1O67", out), "1O67");
	CHECK_STR(import_fix_zip("10670", out), "10670");
	CHECK_STR(import_fix_zip("1067 ", out), "1067 ");
	const char *same = "abc";
	CHECK(import_fix_zip(same, out) == same);
}

int main(void)
{
	test_xlsx_fixture();
	test_csv_fixture();
	test_xlsx_edge_cases();
	test_broken_fixtures();
	test_csv_encodings();
	test_csv_delimiters();
	test_csv_quoting();
	test_not_spreadsheets();
	test_xlsx_cells();
	test_xlsx_layout();
	test_xlsx_packages();
	test_limits();
	test_default_rows();
	test_headers();
	test_fix_zip();
	HARNESS_END();
}
