/* The size of a serving process (memory.c). */
#ifndef CORE_POOL_MEMORY_H
#define CORE_POOL_MEMORY_H

#include <stdbool.h>

#include "lib/config.h"

/* Gives the heap's free memory back to the system, then says whether the
 * process is still larger than worker_max_rss: it then stops after its work
 * and the master starts another. A file read and a walk of the heap: for
 * after a large request, a job, or every so many requests. */
bool memory_outgrown(const struct config *cfg);

#endif
