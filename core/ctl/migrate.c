/* portalctl migrate, and portalctl plugins [enable|disable NAME]. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "plugin/migrate.h"
#include "features/routes.h"
#include "plugin/plugin.h"

int ctl_migrate(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return ctl_fail("migrate takes no arguments");
	char err[512];
	struct plugin_set *set = plugins_load(c->cfg, &core_definition, err, sizeof err);
	int rc = !set || migrate_run(c->cfg, set, 1, err, sizeof err) ? ctl_fail("%s", err) : 0;
	plugins_free(set);
	return rc;
}

/* Writes the configuration again with plugins = list, through a temporary file
 * and a rename, so a reader never sees half a file. */
static int write_plugins(struct ctl *c, const char *list)
{
	char tmp[4096], line[4096];
	snprintf(tmp, sizeof tmp, "%s.new", c->config_path);
	FILE *in = fopen(c->config_path, "r"), *out = fopen(tmp, "w");
	if (!in || !out) {
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		return ctl_fail("cannot rewrite %s", c->config_path);
	}
	int written = 0;
	while (fgets(line, sizeof line, in)) {
		const char *p = line + strspn(line, " \t");
		if (strncmp(p, "plugins", 7) == 0 && strchr(" \t=", p[7])) {
			if (!written++)
				fprintf(out, "plugins = %s\n", list);
			continue;
		}
		fputs(line, out);
	}
	if (!written)
		fprintf(out, "plugins = %s\n", list);
	fclose(in);
	if (fclose(out) || rename(tmp, c->config_path))
		return ctl_fail("cannot rewrite %s", c->config_path);
	return 0;
}

/* The running pool reloads: it checks the new set first and keeps serving with
 * the old one if that fails (see the pool's log). */
static void signal_pool(struct ctl *c)
{
	const char *pid_file = config_get(c->cfg, "pid_file");
	FILE *f = pid_file && *pid_file ? fopen(pid_file, "r") : NULL;
	int pid = 0;
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	if (pid > 1 && kill(pid, SIGHUP) == 0)
		printf("reloading portald (pid %d)\n", pid);
	else
		printf("portald is not running: the change applies at its next start\n");
}

static int change_plugins(struct ctl *c, const char *verb, const char *name)
{
	char list[1024] = "", err[512];
	const char *cur = config_get(c->cfg, "plugins");
	int present = 0;
	for (const char *p = cur; p && *p;) {
		p += strspn(p, " \t,");
		size_t n = strcspn(p, " \t,");
		if (!n)
			break;
		if (strlen(name) == n && strncmp(p, name, n) == 0)
			present = 1;
		else if (strlen(list) + n + 2 < sizeof list)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%.*s",
			         *list ? " " : "", (int)n, p);
		p += n;
	}
	bool enable = strcmp(verb, "enable") == 0;
	if (enable == (present != 0))
		return ctl_fail("plugin %s is already %s", name, enable ? "enabled" : "disabled");
	if (enable)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? " " : "",
		         name);
	if (write_plugins(c, list))
		return 1;
	struct config *cfg = config_load(c->config_path, err, sizeof err);
	struct plugin_set *set = cfg ? plugins_load(cfg, &core_definition, err, sizeof err) : NULL;
	int rc = 0;
	if (!set) {
		write_plugins(c, cur ? cur : ""); /* put back what worked */
		rc = ctl_fail("%s", err);
	}
	plugins_free(set);
	config_free(cfg);
	if (rc == 0)
		signal_pool(c);
	return rc;
}

int ctl_plugins(struct ctl *c, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[0], "enable") == 0 || strcmp(argv[0], "disable") == 0))
		return change_plugins(c, argv[0], argv[1]);
	if (argc)
		return ctl_fail("usage: portalctl plugins [enable NAME | disable NAME]");
	char err[512];
	struct plugin_set *set = plugins_load(c->cfg, &core_definition, err, sizeof err);
	if (!set)
		return ctl_fail("%s", err);
	for (size_t i = 1; i < set->count; i++)
		printf("%s %s\n", set->items[i].def->name, set->items[i].def->version);
	plugins_free(set);
	return 0;
}
