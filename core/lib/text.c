/* portal/text.h: character counts and the arena string buffer. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "portal/arena.h"
#include "portal/text.h"

size_t portal_utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* Room for extra bytes and the NUL; arena memory is not given back, so the
 * buffer doubles to keep the copies few. */
static int reserve(struct portal_buf *b, size_t extra)
{
	if (b->failed)
		return 500;
	if (extra > SIZE_MAX / 4 - b->len) {
		b->failed = 1;
		return 500;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = b->arena ? portal_alloc(b->arena, cap) : NULL;
	if (!p) {
		b->failed = 1;
		return 500;
	}
	if (b->len)
		memcpy(p, b->data, b->len);
	b->data = p;
	b->cap = cap;
	return 0;
}

int portal_buf_add(struct portal_buf *b, const char *data, size_t len)
{
	if (reserve(b, len))
		return 500;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int portal_buf_puts(struct portal_buf *b, const char *s)
{
	return portal_buf_add(b, s, strlen(s));
}

int portal_buf_printf(struct portal_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n)) {
		b->failed = 1;
		return 500;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
