/* A growable byte buffer (heap, not arena: response bodies and generated text can
 * outgrow a request's arena budget and are freed explicitly). */
#ifndef CORE_BUF_H
#define CORE_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated when len > 0 */
	size_t len, cap;
	int failed; /* set once an allocation failed; later appends do nothing */
};

int buf_append(struct buf *b, const void *data, size_t len);
/* Room for extra more bytes and a NUL after them, for a writer that fills
 * data + len itself (and then moves len and writes the NUL). 0 or -1. */
int buf_reserve(struct buf *b, size_t extra);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s (valid UTF-8) as a JSON string, quotes included: for JSON
 * handed to the database as one argument (JSON_TABLE). */
int buf_json_string(struct buf *b, const char *s);
void buf_reset(struct buf *b);                /* len = 0, keeps the memory */
void buf_truncate(struct buf *b, size_t len); /* back to len bytes, if it has more */
void buf_free(struct buf *b);

#endif
