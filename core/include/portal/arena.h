/* Per-request memory: everything a request allocates lives in its arena and is
 * released in one go when the request ends. */
#ifndef PORTAL_ARENA_H
#define PORTAL_ARENA_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct portal_arena;

/* Zeroed memory owned by the arena; NULL when the arena's limit is reached. */
void *portal_alloc(struct portal_arena *arena, size_t size);

/* Copies owned by the arena (always NUL-terminated); NULL on exhaustion. */
char *portal_strndup(struct portal_arena *arena, const char *s, size_t len);
char *portal_strdup(struct portal_arena *arena, const char *s);
char *portal_sprintf(struct portal_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs fn(arg) when the arena is freed (last registered runs first): for what is
 * not memory, such as temporary files. Returns 0, or 500 on exhaustion. */
int portal_on_free(struct portal_arena *arena, void (*fn)(void *), void *arg);

#ifdef __cplusplus
}
#endif

#endif
