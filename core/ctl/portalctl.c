/* portalctl: the operators' tool. It works on the local deployment with no
 * flags (var/portal.conf), or on another with -c FILE. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/crypto.h"
#include "lib/clock.h"
#include "ctl/ctl.h"

static const char usage_text[] =
    "usage: portalctl [-c CONFIG] COMMAND\n"
    "  migrate                                   apply pending migrations\n"
    "  plugins                                   list the enabled plugins\n"
    "  plugins enable NAME | plugins disable NAME\n"
    "  org create --name NAME --admin-email EMAIL [--admin-name NAME]\n"
    "  org list\n"
    "  user reset-password EMAIL                 print a password reset link\n"
    "  throttle reset [--email EMAIL] [--ip ADDRESS]\n"
    "  demo                                      create the demo organisation once\n"
    "  jobs list                                 each job: schedule, last run, outcome, next run\n"
    "  jobs run NAME                             run a job now (e.g. digest)\n"
    "  search rebuild                            index every property for search again\n"
    "  backup --out DIR                          the database and the stored files, while serving\n"
    "  restore DIR [--force]                     a fresh deployment back to a backup\n"
    "  export --org ID --out FILE.zip            everything of one organisation, CSV and files\n"
    "  resident erase EMAIL                      a resident's account and personal data\n";

struct command {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
};

static const struct command commands[] = {
    {"migrate", ctl_migrate}, {"plugins", ctl_plugins},   {"org", ctl_org},
    {"user", ctl_user},       {"throttle", ctl_throttle}, {"demo", ctl_demo},
    {"jobs", ctl_jobs},       {"search", ctl_search},     {"backup", ctl_backup},
    {"restore", ctl_restore}, {"export", ctl_export},     {"resident", ctl_resident},
};

int ctl_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("portalctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

const char *ctl_option(int argc, char **argv, const char *name, const char *const *names, int *bad)
{
	const char *found = NULL;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			*bad = -1;
			continue;
		}
		int known = 0;
		for (const char *const *n = names; *n; n++)
			known |= strcmp(argv[i] + 2, *n) == 0;
		if (!known || i + 1 >= argc) {
			*bad = -1;
			continue;
		}
		if (strcmp(argv[i] + 2, name) == 0)
			found = argv[i + 1];
		i++;
	}
	return found;
}

int main(int argc, char **argv)
{
	struct ctl c = {.config_path = "var/portal.conf"};
	int opt;
	while ((opt = getopt(argc, argv, "+c:h")) != -1) {
		if (opt != 'c') {
			fputs(usage_text, opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
		c.config_path = optarg;
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	const struct command *cmd = NULL;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd)
		return ctl_fail("unknown command \"%s\" (portalctl -h lists them)", argv[optind]);

	char err[512];
	if (!(c.cfg = config_load(c.config_path, err, sizeof err)))
		return ctl_fail("%s", err);
	clock_use_file(config_get(c.cfg, "test_clock"));
	if (crypto_init())
		return ctl_fail("libsodium failed to initialise");
	c.db = db_new(c.cfg);
	c.arena = arena_new(64 << 20);
	int rc = c.db && c.arena ? cmd->run(&c, argc - optind - 1, argv + optind + 1)
	                         : ctl_fail("out of memory");
	arena_free(c.arena);
	db_free(c.db);
	config_free(c.cfg);
	return rc;
}
