/* How large a serving process grew, and giving memory back: a request or a
 * job that used much memory leaves the C library's heap large, and a process
 * that stays large is replaced (worker_max_rss). */
#include "pool/memory.h"

#include <malloc.h>
#include <stdio.h>
#include <unistd.h>

#include "portal/portal.h"

static long long resident_mib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long long size = 0, resident = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%lld %lld", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

bool memory_outgrown(const struct config *cfg)
{
	malloc_trim(0);
	long long mib = resident_mib(), limit = config_int(cfg, "worker_max_rss");
	if (mib <= limit)
		return false;
	portal_log("resident size %lld MiB is over worker_max_rss (%lld MiB): replaced", mib,
	           limit);
	return true;
}
