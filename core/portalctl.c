/* portalctl: the operators' tool. Usage:
 *   portalctl [-c FILE] migrate    apply pending migrations of core and the plugins
 *   portalctl [-c FILE] plugins    list the enabled plugins and their versions */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "migrate.h"
#include "plugin.h"

static int usage(void)
{
	fprintf(stderr, "usage: portalctl [-c CONFIG] migrate | plugins\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *path = "var/portal.conf";
	int opt;
	while ((opt = getopt(argc, argv, "c:")) != -1) {
		if (opt != 'c')
			return usage();
		path = optarg;
	}
	if (optind != argc - 1)
		return usage();
	const char *cmd = argv[optind];
	if (strcmp(cmd, "migrate") != 0 && strcmp(cmd, "plugins") != 0)
		return usage();

	char err[512];
	struct config *cfg = config_load(path, err, sizeof err);
	struct plugin_set *set = cfg ? plugins_load(cfg, err, sizeof err) : NULL;
	int rc = 0;
	if (!set) {
		fprintf(stderr, "portalctl: %s\n", err);
		rc = 1;
	} else if (strcmp(cmd, "migrate") == 0) {
		if (migrate_run(cfg, set, 1, err, sizeof err)) {
			fprintf(stderr, "portalctl: %s\n", err);
			rc = 1;
		}
	} else {
		for (size_t i = 1; i < set->count; i++)
			printf("%s %s\n", set->items[i].def->name, set->items[i].def->version);
	}
	plugins_free(set);
	config_free(cfg);
	return rc;
}
