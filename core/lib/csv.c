#include "lib/csv.h"

#include <stdbool.h>
#include <string.h>

/* What spreadsheets take as the start of a formula (OWASP, "CSV injection"):
 * a sign too, since "-1+2" or "+cmd|..." are formulas all the same. */
static bool formula_start(char c)
{
	return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

int csv_cell(struct buf *b, const char *s)
{
	buf_puts(b, formula_start(s[0]) ? "\"'" : "\"");
	const char *quote;
	while ((quote = strchr(s, '"'))) {
		buf_append(b, s, (size_t)(quote - s) + 1); /* up to the quote, and it */
		buf_puts(b, "\"");                         /* once more: doubled */
		s = quote + 1;
	}
	buf_puts(b, s);
	buf_puts(b, "\"");
	return b->failed ? -1 : 0;
}
