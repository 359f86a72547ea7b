/* The plugin loader: core's own routes and the enabled plugins, checked and
 * entered into one router. Used by the master (to check and migrate) and by each
 * worker generation. */
#ifndef CORE_PLUGIN_H
#define CORE_PLUGIN_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "portal/portal.h"
#include "router.h"

struct plugin {
	const struct portal_plugin *def;
	void *handle;     /* from dlopen; NULL for core */
	char *share_dir;  /* <plugin_share>/<name>: its sql/ and templates/; NULL for core */
	void *state;      /* what init returned, in a worker */
	int initialised;
};

struct plugin_set {
	struct plugin *items; /* items[0] is core */
	size_t count;
	struct router *router;
	char *copy_dir; /* the copies of the plugin files this set runs */
	pid_t owner;    /* the process that made copy_dir */
};

/* Loads core and the plugins the configuration names, in that order. Refuses a
 * missing file, a wrong ABI version or struct size, a name that differs from
 * the file, a duplicate, or a clashing route, with one line in err. */
struct plugin_set *plugins_load(const struct config *cfg, char *err, size_t errlen);

/* Calls each plugin's init (in a worker, after fork); -1 with a line in err. */
int plugins_init(struct plugin_set *set, char *err, size_t errlen);

/* Calls fini of the initialised plugins, closes the handles, frees the set. */
void plugins_free(struct plugin_set *set);

/* Core, declared like a plugin (core/core_routes.c); its routes are in the
 * tables of core_route_tables, one per file (core/routes_*.c), NULL-terminated. */
extern const struct portal_plugin core_plugin;
extern const struct portal_route *const core_route_tables[];

#endif
