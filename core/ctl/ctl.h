/* portalctl's commands, one file each; ctl.c dispatches. */
#ifndef CTL_CTL_H
#define CTL_CTL_H

#include "lib/arena.h"
#include "lib/config.h"
#include "db/db.h"

struct ctl {
	const char *config_path;
	struct config *cfg;
	struct db *db;
	struct portal_arena *arena;
};

/* Each returns the exit status; on failure it printed one line to stderr. */
int ctl_migrate(struct ctl *c, int argc, char **argv);
int ctl_plugins(struct ctl *c, int argc, char **argv);
int ctl_org(struct ctl *c, int argc, char **argv);
int ctl_user(struct ctl *c, int argc, char **argv);
int ctl_throttle(struct ctl *c, int argc, char **argv);
int ctl_demo(struct ctl *c, int argc, char **argv);
int ctl_jobs(struct ctl *c, int argc, char **argv);
int ctl_search(struct ctl *c, int argc, char **argv);
int ctl_backup(struct ctl *c, int argc, char **argv);
int ctl_restore(struct ctl *c, int argc, char **argv);
int ctl_export(struct ctl *c, int argc, char **argv);
int ctl_resident(struct ctl *c, int argc, char **argv);

/* One line "portalctl: ..." to stderr; returns 1. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The value of --name in argv (from index 0), NULL if absent; -1 in *bad when
 * an option lacks its value or is unknown (names lists the known ones, each
 * without dashes, NULL-terminated). */
const char *ctl_option(int argc, char **argv, const char *name, const char *const *names, int *bad);

#endif
