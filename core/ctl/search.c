/* portalctl search rebuild: fills the search indexes of core and the enabled
 * plugins from their objects now, for objects written by other means than the
 * portal (SQL, a restore). */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "features/routes.h"
#include "features/search.h"

static int request(const struct portal_search_index *ix, void *arg)
{
	struct ctl *c = arg;
	return search_rebuild_request(c->db, c->arena, ix);
}

int ctl_search(struct ctl *c, int argc, char **argv)
{
	if (argc != 1 || strcmp(argv[0], "rebuild") != 0)
		return ctl_fail("usage: portalctl search rebuild");
	char err[512];
	struct plugin_set *set = plugins_load(c->cfg, &core_definition, err, sizeof err);
	if (!set)
		return ctl_fail("%s", err);
	long long indexed = 0;
	int status = search_each_index(set, request, c);
	if (!status)
		status = search_rebuild(c->db, set, 0, NULL, &indexed);
	plugins_free(set);
	if (status)
		return ctl_fail("the search indexes could not be rebuilt (see the log above)");
	printf("indexed %lld objects\n", indexed);
	return 0;
}
