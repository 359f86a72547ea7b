/* The plugin loader: core's own tables and the enabled plugins, checked and
 * entered into one router. Used by the master (to check and migrate), by
 * portalctl, and inherited by each worker generation. */
#ifndef CORE_PLUGIN_H
#define CORE_PLUGIN_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/config.h"
#include "portal/portal.h"
#include "plugin/router.h"
#include "lib/schedule.h"

/* The member m of a plugin's struct, or NULL when the plugin was built
 * before the struct had it (its struct_size ends before it). */
#define PLUGIN_MEMBER(def, m)                                                                  \
	((def)->struct_size >= offsetof(struct portal_plugin, m) + sizeof((def)->m) ? (def)->m \
	                                                                            : NULL)

/* A plugin's settings as this deployment sets them (portal_context_setting). */
struct portal_plugin_settings {
	const struct portal_setting *decl; /* the plugin's table */
	const char **values;               /* per declared key: portal.conf's or the default */
	size_t count;
};

struct plugin {
	const struct portal_plugin *def;
	void *handle;    /* from dlopen; NULL for core */
	char *share_dir; /* <plugin_share>/<name>: its sql/ and templates/; NULL for core */
	struct portal_route *routes;      /* its routes in this SDK's layout, handler NULL last */
	struct portal_home_section *home; /* its home sections likewise, NULL when none */
	struct portal_plugin_settings settings;
	void *state; /* what init returned, in a worker */
	int initialised;
};

/* A job of core or a plugin, with its parsed schedule. */
struct plugin_job {
	const struct portal_job *def;
	struct plugin *owner;
	struct schedule schedule;
	char text[24]; /* the schedule as written, a setting's value put in ("daily 07:00") */
};

/* A kind of mail a plugin declares. */
struct plugin_notification {
	const struct portal_notification *def;
	const struct plugin *owner;
};

/* Core, declared like a plugin (features/core_routes.c): its definition and
 * its routes, one table per file, NULL-terminated. */
struct plugin_core {
	const struct portal_plugin *def;
	const struct portal_route *const *route_tables;
};

struct plugin_set {
	const struct plugin_core *core;
	struct plugin *items; /* items[0] is core */
	size_t count;
	struct router *router;
	struct plugin_job *jobs; /* core's, then the plugins', in the order loaded */
	size_t job_count;
	struct plugin_notification *notifications; /* every plugin's, in the order loaded */
	size_t notification_count;
	char *copy_dir; /* the copies of the plugin files this set runs */
	pid_t owner;    /* the process that made copy_dir */
};

/* Loads core and the plugins the configuration names, in that order. Refuses a
 * missing file, a wrong ABI version or struct size, a name that differs from
 * the file, a missing sql/ folder, a duplicate, a clashing route, job or kind
 * of mail, a malformed input or schedule, and a setting the plugin does not
 * declare or accept, with one line in err. */
struct plugin_set *plugins_load(const struct config *cfg, const struct plugin_core *core, char *err,
                                size_t errlen);

/* Calls each plugin's init with its context (in a process that serves, after
 * fork); -1 with a line in err. */
int plugins_init(struct plugin_set *set, const struct config *cfg, char *err, size_t errlen);

/* Calls fini of the initialised plugins, closes the handles, frees the set. */
void plugins_free(struct plugin_set *set);

/* The job called name, NULL when none. */
const struct plugin_job *plugins_job(const struct plugin_set *set, const char *name);

/* Checks the tables of p once loaded (plugin_check.c): copies its routes into
 * this SDK's layout, checks their inputs, its jobs, settings against cfg, and
 * kinds of mail against those of the plugins before it. */
int plugin_check(struct plugin_set *set, struct plugin *p, const struct config *cfg, char *err,
                 size_t errlen);

/* The folder of copies (plugin_copies.c): made for each load, removed by the
 * process that made it, and left-overs of dead processes removed. */
int plugin_copies_make(const struct config *cfg, struct plugin_set *set, char *err, size_t errlen);
int plugin_copy_file(const char *from, const char *to);
void plugin_copies_remove(const char *dir);
/* Hands the folder of copies to the user a process is about to become, so
 * that it can remove them; 0 or -1. */
int plugin_copies_give(const char *dir, uid_t uid, gid_t gid);

#endif
