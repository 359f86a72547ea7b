#include "plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PLUGINS 64
#define NAME_MAX_LEN 32

static int valid_name(const char *name, size_t len)
{
	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* The oldest struct a plugin may have been built with: up to fini. */
#define MIN_STRUCT_SIZE (offsetof(struct portal_plugin, fini) + sizeof(void (*)(void *)))

static int open_plugin(const struct config *cfg, const char *name, struct plugin *p,
		       char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s.so", config_get(cfg, "plugin_dir"), name);
	p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle) {
		snprintf(err, errlen, "plugin %s: cannot load %s: %s", name, path, dlerror());
		return -1;
	}
	const struct portal_plugin *def = dlsym(p->handle, "portal_plugin_v1");
	if (!def) {
		snprintf(err, errlen, "plugin %s: %s exports no portal_plugin_v1", name, path);
		return -1;
	}
	if (def->abi_version != PORTAL_ABI_VERSION) {
		snprintf(err, errlen, "plugin %s: %s was built for ABI %u, portald has ABI %u",
			 name, path, def->abi_version, PORTAL_ABI_VERSION);
		return -1;
	}
	if (def->struct_size < MIN_STRUCT_SIZE) {
		snprintf(err, errlen, "plugin %s: %s has a struct_size of %u, too small", name,
			 path, def->struct_size);
		return -1;
	}
	if (!def->name || strcmp(def->name, name) != 0) {
		snprintf(err, errlen, "plugin %s: %s calls itself \"%s\", not \"%s\"", name, path,
			 def->name ? def->name : "", name);
		return -1;
	}
	p->def = def;
	char share[4096];
	snprintf(share, sizeof share, "%s/%s", config_get(cfg, "plugin_share"), name);
	if (!(p->share_dir = strdup(share))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int add_table(struct plugin_set *set, struct plugin *p, const struct portal_route *r,
		     char *err, size_t errlen)
{
	for (; r && r->handler; r++)
		if (router_add(set->router, r, p, p->def->name, err, errlen))
			return -1;
	return 0;
}

/* Core keeps its routes in one table per file (core_route_tables). */
static int add_routes(struct plugin_set *set, struct plugin *p, char *err, size_t errlen)
{
	if (p->def != &core_plugin)
		return add_table(set, p, p->def->routes, err, errlen);
	for (const struct portal_route *const *t = core_route_tables; *t; t++)
		if (add_table(set, p, *t, err, errlen))
			return -1;
	return 0;
}

struct plugin_set *plugins_load(const struct config *cfg, char *err, size_t errlen)
{
	struct plugin_set *set = calloc(1, sizeof *set);
	if (set) {
		set->items = calloc(MAX_PLUGINS + 1, sizeof *set->items);
		set->router = router_new();
	}
	if (!set || !set->items || !set->router) {
		snprintf(err, errlen, "out of memory");
		plugins_free(set);
		return NULL;
	}
	set->items[set->count++].def = &core_plugin;
	if (add_routes(set, &set->items[0], err, errlen))
		goto fail;

	const char *list = config_get(cfg, "plugins");
	while (list && *list) {
		list += strspn(list, " \t,");
		size_t len = strcspn(list, " \t,");
		if (len == 0)
			break;
		char name[NAME_MAX_LEN + 1];
		if (!valid_name(list, len)) {
			snprintf(err, errlen, "plugins: \"%.*s\" is not a plugin name", (int)len,
				 list);
			goto fail;
		}
		memcpy(name, list, len);
		name[len] = '\0';
		list += len;
		for (size_t i = 0; i < set->count; i++) {
			if (strcmp(set->items[i].def->name, name) == 0) {
				snprintf(err, errlen, "plugins: %s is named twice", name);
				goto fail;
			}
		}
		if (set->count > MAX_PLUGINS) {
			snprintf(err, errlen, "plugins: more than %d plugins", MAX_PLUGINS);
			goto fail;
		}
		struct plugin *p = &set->items[set->count++];
		if (open_plugin(cfg, name, p, err, errlen) || add_routes(set, p, err, errlen))
			goto fail;
	}
	return set;
fail:
	plugins_free(set);
	return NULL;
}

int plugins_init(struct plugin_set *set, char *err, size_t errlen)
{
	for (size_t i = 0; i < set->count; i++) {
		struct plugin *p = &set->items[i];
		if (p->def->init && p->def->init(&p->state) != 0) {
			snprintf(err, errlen, "plugin %s: init failed", p->def->name);
			return -1;
		}
		p->initialised = 1;
	}
	return 0;
}

void plugins_free(struct plugin_set *set)
{
	if (!set)
		return;
	/* fini in reverse order of init, like destructors */
	for (size_t i = set->count; i-- > 0;) {
		struct plugin *p = &set->items[i];
		if (p->initialised && p->def->fini)
			p->def->fini(p->state);
	}
	router_free(set->router);
	for (size_t i = 0; set->items && i < set->count; i++) {
		free(set->items[i].share_dir);
		if (set->items[i].handle)
			dlclose(set->items[i].handle);
	}
	free(set->items);
	free(set);
}
