/* portalctl search rebuild: fills the search indexes from their objects now,
 * for properties written by other means than the portal (SQL, a restore). */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "features/search.h"

int ctl_search(struct ctl *c, int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "rebuild") != 0)
		return ctl_fail("usage: portalctl search rebuild");
	long long indexed = 0;
	if (search_rebuild_request(c->db, c->arena, &search_properties) ||
	    search_rebuild(c->db, 0, NULL, &indexed))
		return ctl_fail("the search index could not be rebuilt (see the log above)");
	printf("indexed %lld properties\n", indexed);
	return 0;
}
