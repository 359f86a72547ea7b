/* Arena lifecycle, internal to core (plugins only allocate: see portal/arena.h). */
#ifndef CORE_ARENA_H
#define CORE_ARENA_H

#include <stddef.h>

#include "portal/arena.h"

/* A new arena that refuses allocations past limit bytes in total; NULL on OOM. */
struct portal_arena *arena_new(size_t limit);

/* Runs the cleanups, then frees every block. NULL is fine. */
void arena_free(struct portal_arena *arena);

/* Bytes handed out so far. */
size_t arena_used(const struct portal_arena *arena);

#endif
