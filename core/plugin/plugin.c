/* Loading, initialising and freeing a set of plugins; their tables are
 * checked in plugin_check.c. */
#include "plugin/plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The oldest struct a plugin may have been built with: up to fini. The
 * members after it took reserved slots of the first SDK's 136 bytes (read as
 * NULL in a plugin built before them); a member beyond those (from files'
 * reserved slot on) is read only where struct_size covers it. Checked here so
 * that a change of the size cannot pass unnoticed. */
_Static_assert(sizeof(struct portal_plugin) == 152, "struct portal_plugin changed its size");
#define MIN_STRUCT_SIZE (offsetof(struct portal_plugin, fini) + sizeof(void (*)(void *)))

static int open_plugin(const struct config *cfg, const struct plugin_set *set, const char *name,
                       struct plugin *p, char *err, size_t errlen)
{
	char path[4096], copy[4096];
	snprintf(path, sizeof path, "%s/%s.so", config_get(cfg, "plugin_dir"), name);
	snprintf(copy, sizeof copy, "%s/%s.so", set->copy_dir, name);
	if (plugin_copy_file(path, copy)) {
		snprintf(err, errlen, "plugin %s: cannot load %s: %s", name, path, strerror(errno));
		return -1;
	}
	p->handle = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
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
	char share[4096], sql[4200];
	snprintf(share, sizeof share, "%s/%s", config_get(cfg, "plugin_share"), name);
	if (!(p->share_dir = strdup(share))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Without it the plugin's tables would be missing at its first request. */
	struct stat st;
	snprintf(sql, sizeof sql, "%s/sql", share);
	if (stat(sql, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen,
		         "plugin %s: no folder %s (its migrations; a plugin without tables has an "
		         "empty one)",
		         name, sql);
		return -1;
	}
	return 0;
}

static int add_routes(struct plugin_set *set, struct plugin *p, const struct config *cfg, char *err,
                      size_t errlen)
{
	if (plugin_check(set, p, cfg, err, errlen))
		return -1;
	for (const struct portal_route *r = p->routes; r->handler; r++)
		if (router_add(set->router, r, p, p->def->name, err, errlen))
			return -1;
	return 0;
}

struct plugin_set *plugins_load(const struct config *cfg, const struct plugin_core *core, char *err,
                                size_t errlen)
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
	if (plugin_copies_make(cfg, set, err, errlen))
		goto fail;
	set->core = core;
	set->items[set->count++].def = core->def;
	if (add_routes(set, &set->items[0], cfg, err, errlen))
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
		if (open_plugin(cfg, set, name, p, err, errlen) ||
		    add_routes(set, p, cfg, err, errlen))
			goto fail;
	}
	return set;
fail:
	plugins_free(set);
	return NULL;
}

int plugins_init(struct plugin_set *set, const struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < set->count; i++) {
		struct plugin *p = &set->items[i];
		const struct portal_plugin *d = p->def;
		struct portal_context ctx = {
		    .plugin = d->name,
		    .share_dir = p->share_dir,
		    .files_dir = config_get(cfg, "files_dir"),
		    .tmp_dir = config_get(cfg, "tmp_dir"),
		    .settings = &p->settings,
		};
		int rc = d->init      ? d->init(&ctx, &p->state)
		         : d->init_v1 ? d->init_v1(&p->state)
		                      : 0;
		if (rc) {
			snprintf(err, errlen, "plugin %s: init failed", d->name);
			return -1;
		}
		p->initialised = 1;
	}
	return 0;
}

const struct plugin_job *plugins_job(const struct plugin_set *set, const char *name)
{
	for (size_t i = 0; i < set->job_count; i++)
		if (strcmp(set->jobs[i].def->name, name) == 0)
			return &set->jobs[i];
	return NULL;
}

const char *portal_context_setting(const struct portal_context *ctx, const char *key)
{
	const struct portal_plugin_settings *s = ctx ? ctx->settings : NULL;
	for (size_t i = 0; s && key && i < s->count; i++)
		if (strcmp(s->decl[i].key, key) == 0)
			return s->values[i];
	return NULL;
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
		struct plugin *p = &set->items[i];
		free(p->share_dir);
		free(p->routes);
		free(p->home);
		free(p->settings.values);
		if (p->handle)
			dlclose(p->handle);
	}
	free(set->jobs);
	free(set->notifications);
	free(set->items);
	/* Forked workers share the copies; the process that made them removes them. */
	if (set->copy_dir && set->owner == getpid())
		plugin_copies_remove(set->copy_dir);
	free(set->copy_dir);
	free(set);
}
