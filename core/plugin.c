#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

/* The oldest struct a plugin may have been built with: up to fini. */
#define MIN_STRUCT_SIZE (offsetof(struct portal_plugin, fini) + sizeof(void (*)(void *)))

/* A folder of this process's copies: "<tmp_dir>/plugins.<pid>.<n>". */
#define COPY_PREFIX "plugins."

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = out < 0 ? -1 : 0;
	char chunk[65536];
	ssize_t n;
	while (!rc && (n = read(in, chunk, sizeof chunk)) != 0) {
		if (n < 0 || write(out, chunk, (size_t)n) != n)
			rc = -1;
	}
	close(in);
	if (out >= 0 && close(out))
		rc = -1;
	return rc;
}

static void remove_copies(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

/* Copies a process that is gone (killed before it could clean up) left behind. */
static void remove_stale_copies(const char *tmp_dir)
{
	DIR *d = opendir(tmp_dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d))) {
		int pid;
		if (sscanf(e->d_name, COPY_PREFIX "%d.", &pid) != 1 || pid == getpid() ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
		remove_copies(path);
	}
	closedir(d);
}

/* Each load copies the plugin files to a folder of its own and opens the
 * copies: dlopen of a path it already opened hands back the loaded object, so
 * without a new path a reload would keep running the code of a rebuilt file. */
static int make_copy_dir(const struct config *cfg, struct plugin_set *set, char *err,
			 size_t errlen)
{
	static unsigned loads;
	const char *tmp_dir = config_get(cfg, "tmp_dir");
	char dir[4096];
	remove_stale_copies(tmp_dir);
	snprintf(dir, sizeof dir, "%s/" COPY_PREFIX "%d.%u", tmp_dir, (int)getpid(), ++loads);
	if (mkdir(dir, 0700) || !(set->copy_dir = strdup(dir))) {
		snprintf(err, errlen, "plugins: cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	set->owner = getpid();
	return 0;
}

static int open_plugin(const struct config *cfg, const struct plugin_set *set, const char *name,
		       struct plugin *p, char *err, size_t errlen)
{
	char path[4096], copy[4096];
	snprintf(path, sizeof path, "%s/%s.so", config_get(cfg, "plugin_dir"), name);
	snprintf(copy, sizeof copy, "%s/%s.so", set->copy_dir, name);
	if (copy_file(path, copy)) {
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
	if (make_copy_dir(cfg, set, err, errlen))
		goto fail;
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
		if (open_plugin(cfg, set, name, p, err, errlen) || add_routes(set, p, err, errlen))
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
	/* Forked workers share the copies; the process that made them removes them. */
	if (set->copy_dir && set->owner == getpid())
		remove_copies(set->copy_dir);
	free(set->copy_dir);
	free(set);
}
