#include "lib/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 8192
/* Blocks grow with the request (each as large as all before it, up to this):
 * a small request keeps to a block or two, a large one takes few big blocks,
 * which the C library maps apart and gives back to the system when freed. */
#define MAX_BLOCK_SIZE (1u << 20)
#define ALIGN 16

struct block {
	struct block *next;
	size_t size, used;
	_Alignas(ALIGN) unsigned char data[];
};

struct cleanup {
	void (*fn)(void *);
	void *arg;
	struct cleanup *next;
};

struct portal_arena {
	struct block *blocks;
	struct cleanup *cleanups;
	size_t limit, total;
};

struct portal_arena *arena_new(size_t limit)
{
	struct portal_arena *a = calloc(1, sizeof *a);
	if (a)
		a->limit = limit;
	return a;
}

void arena_free(struct portal_arena *a)
{
	if (!a)
		return;
	for (struct cleanup *c = a->cleanups; c; c = c->next)
		c->fn(c->arg);
	struct block *b = a->blocks;
	while (b) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

size_t arena_used(const struct portal_arena *a)
{
	return a->total;
}

void *portal_alloc(struct portal_arena *a, size_t size)
{
	if (!a || size > SIZE_MAX - ALIGN)
		return NULL;
	size_t need = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (need == 0)
		need = ALIGN;
	if (need > a->limit - a->total || a->total > a->limit)
		return NULL;
	struct block *b = a->blocks;
	if (!b || b->size - b->used < need) {
		size_t grow = a->total < BLOCK_SIZE       ? BLOCK_SIZE
		              : a->total > MAX_BLOCK_SIZE ? MAX_BLOCK_SIZE
		                                          : a->total;
		size_t cap = need > grow ? need : grow;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->size = cap;
		b->used = 0;
		/* A big one-off block goes behind the current one so the current
		 * block's free space stays usable. */
		if (need > grow && a->blocks) {
			b->next = a->blocks->next;
			a->blocks->next = b;
		} else {
			b->next = a->blocks;
			a->blocks = b;
		}
	}
	void *p = b->data + b->used;
	b->used += need;
	a->total += need;
	memset(p, 0, need);
	return p;
}

char *portal_strndup(struct portal_arena *a, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *p = portal_alloc(a, len + 1);
	if (p && len)
		memcpy(p, s, len);
	return p;
}

char *portal_strdup(struct portal_arena *a, const char *s)
{
	return s ? portal_strndup(a, s, strlen(s)) : NULL;
}

char *portal_sprintf(struct portal_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = portal_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int portal_on_free(struct portal_arena *a, void (*fn)(void *), void *arg)
{
	struct cleanup *c = portal_alloc(a, sizeof *c);
	if (!c)
		return 500;
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}
