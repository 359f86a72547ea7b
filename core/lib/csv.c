#include "lib/csv.h"

#include <stdbool.h>
#include <string.h>

#include "portal/text.h"

/* What spreadsheets take as the start of a formula (OWASP, "CSV injection"):
 * a sign too, since "-1+2" or "+cmd|..." are formulas all the same. */
static bool formula_start(char c)
{
	return c != '\0' && strchr("=+-@\t\r", c) != NULL;
}

/* One cell through put (the heap buffer's or the SDK's arena buffer's
 * append), so that both write exactly the same cells. */
static void cell_write(void *out, int (*put)(void *out, const char *data, size_t len),
                       const char *s)
{
	const char *open = formula_start(s[0]) ? "\"'" : "\"";
	put(out, open, strlen(open));
	const char *quote;
	while ((quote = strchr(s, '"'))) {
		put(out, s, (size_t)(quote - s) + 1); /* up to the quote, and it */
		put(out, "\"", 1);                    /* once more: doubled */
		s = quote + 1;
	}
	put(out, s, strlen(s));
	put(out, "\"", 1);
}

static int heap_put(void *out, const char *data, size_t len)
{
	return buf_append(out, data, len);
}

static int arena_put(void *out, const char *data, size_t len)
{
	return portal_buf_add(out, data, len);
}

int csv_cell(struct buf *b, const char *s)
{
	cell_write(b, heap_put, s);
	return b->failed ? -1 : 0;
}

int portal_csv_cell(struct portal_buf *b, const char *s)
{
	cell_write(b, arena_put, s ? s : "");
	return b->failed ? 500 : 0;
}
