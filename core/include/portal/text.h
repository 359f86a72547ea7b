/* Text: lengths users understand, and a growable string in the request's
 * arena for what a plugin writes piece by piece (a calendar, a CSV, SQL with
 * a variable number of placeholders). */
#ifndef PORTAL_TEXT_H
#define PORTAL_TEXT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct portal_arena;

/* The UTF-8 characters (code points) of s, which must be valid UTF-8 (all
 * input is checked so before a handler sees it). */
size_t portal_utf8_chars(const char *s);

/* A string that grows in arena. Start with {0} and the arena:
 *     struct portal_buf b = {.arena = req->arena};
 *     portal_buf_printf(&b, "%d", n); ... use b.data (NUL-terminated) ...
 * A failed append (the arena is exhausted) marks the buffer failed and makes
 * every later append a no-op, so check once at the end. Nothing is freed:
 * the arena goes with the request. */
struct portal_buf {
	struct portal_arena *arena;
	char *data; /* NULL until something was added */
	size_t len, cap;
	int failed;
};

/* Each returns 0, or 500 when this or an earlier append failed. */
int portal_buf_add(struct portal_buf *b, const char *data, size_t len);
int portal_buf_puts(struct portal_buf *b, const char *s);
int portal_buf_printf(struct portal_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends s (NULL: empty) as one CSV cell: in double quotes, quotes doubled,
 * and a cell a spreadsheet would run as a formula (one starting with '=',
 * '+', '-', '@', a tab or a CR) with an apostrophe in front, so that it shows
 * as text. Every CSV a plugin writes goes through it; the separator and line
 * ends are the caller's. Returns 0, or 500 as the appends above. */
int portal_csv_cell(struct portal_buf *b, const char *s);

#ifdef __cplusplus
}
#endif

#endif
