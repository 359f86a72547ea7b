/* The checks of a plugin's tables at load, so that a mistake in them is one
 * line from portald -t instead of a failure at the first request that meets
 * it: routes (copied into this SDK's layout) and their inputs, jobs and their
 * schedules, settings against portal.conf, kinds of mail. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/plugin.h"
#include "features/search.h"
#include "portal/categories.h"
#include "portal/data.h"
#include "portal/files.h"

#define MAX_ROUTES 1024
#define MAX_JOBS 256
#define JOB_NAME_MAX 48
#define SETTING_KEY_MAX 48
#define KIND_MAX 32
#define MAX_KINDS 64

/* The sizes of the first SDK's entries: a route up to and with title, a home
 * section without flags. */
#define ROUTE_SIZE_V1 offsetof(struct portal_route, inputs)
#define HOME_SIZE_V1 offsetof(struct portal_home_section, flags)
#define MAX_HOME 32

static int fail(char *err, size_t errlen, const char *plugin, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, const char *plugin, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "plugin %s: %s", plugin, what);
	return -1;
}

static int name_ok(const char *s, size_t max, const char *extra)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

static int check_route(const struct portal_plugin *def, const struct portal_route *r, char *err,
                       size_t errlen)
{
	const char *plugin = def->name;
	const char *path = r->api_path ? r->api_path : r->page_path;
	if ((r->flags & PORTAL_ROUTE_ANONYMOUS) && r->access != PORTAL_ACCESS_PUBLIC)
		return fail(err, errlen, plugin, "route %s is anonymous but not public", path);
	for (const struct portal_input *in = r->inputs; in && in->name; in++) {
		const char *why = NULL;
		if (!*in->name || strlen(in->name) > 64)
			why = "has an input without a name";
		else if (in->type < PORTAL_IN_ID || in->type > PORTAL_IN_CATEGORY)
			why = "has an input of an unknown type";
		else if (in->type == PORTAL_IN_CATEGORY && !PLUGIN_MEMBER(def, categories))
			why = "has a category input but the plugin declares no categories";
		else if (in->type == PORTAL_IN_ENUM && (!in->choices || !in->choices[0]))
			why = "has an enum input without choices";
		else if ((in->type == PORTAL_IN_STRING || in->type == PORTAL_IN_STRINGS) &&
		         (in->max < 1 || in->min > in->max))
			why = "has a string input without a maximum length";
		else if ((in->flags & PORTAL_IN_EACH) &&
		         (in->type == PORTAL_IN_IDS || in->type == PORTAL_IN_PROPERTIES ||
		          in->type == PORTAL_IN_STRINGS || in->type == PORTAL_IN_NOTIFICATIONS))
			why = "has a list input read item by item (PORTAL_IN_EACH)";
		else if (in->type == PORTAL_IN_INT && in->min > in->max)
			why = "has an integer input whose minimum lies above its maximum";
		else if (strcmp(in->name, "limit") == 0 || strcmp(in->name, "after") == 0 ||
		         strcmp(in->name, "csrf_token") == 0)
			why = "declares an input the core reads itself (limit, after, csrf_token)";
		if (why)
			return fail(err, errlen, plugin, "route %s %s", path, why);
	}
	return 0;
}

/* Appends one table to p->routes, reading entries of stride bytes. */
static int copy_routes(struct plugin *p, const void *table, size_t stride, size_t *n, char *err,
                       size_t errlen)
{
	const char *name = p->def->name;
	for (const char *e = table; e; e += stride) {
		struct portal_route r = {0};
		memcpy(&r, e, stride < sizeof r ? stride : sizeof r);
		if (!r.handler)
			break;
		if (*n == MAX_ROUTES)
			return fail(err, errlen, name, "has more than %d routes", MAX_ROUTES);
		if (check_route(p->def, &r, err, errlen))
			return -1;
		p->routes[(*n)++] = r;
	}
	return 0;
}

static int check_routes(const struct plugin_set *set, struct plugin *p, char *err, size_t errlen)
{
	const struct portal_plugin *d = p->def;
	size_t stride = d->route_size ? d->route_size : ROUTE_SIZE_V1;
	if (stride < ROUTE_SIZE_V1)
		return fail(err, errlen, d->name, "has a route_size that is too small");
	if (!(p->routes = calloc(MAX_ROUTES + 1, sizeof *p->routes)))
		return fail(err, errlen, d->name, "out of memory");
	size_t n = 0;
	if (p != &set->items[0])
		return d->routes ? copy_routes(p, d->routes, stride, &n, err, errlen) : 0;
	for (const struct portal_route *const *t = set->core->route_tables; *t; t++)
		if (copy_routes(p, *t, sizeof **t, &n, err, errlen))
			return -1;
	return 0;
}

/* The home sections in this SDK's layout, read with the plugin's stride. */
static int check_home(struct plugin *p, char *err, size_t errlen)
{
	const struct portal_plugin *d = p->def;
	size_t stride = d->home_size ? d->home_size : HOME_SIZE_V1, n = 0;
	if (!d->home)
		return 0;
	if (stride < HOME_SIZE_V1)
		return fail(err, errlen, d->name, "has a home_size that is too small");
	if (!(p->home = calloc(MAX_HOME + 1, sizeof *p->home)))
		return fail(err, errlen, d->name, "out of memory");
	for (const char *e = (const char *)d->home;; e += stride) {
		struct portal_home_section s = {0};
		memcpy(&s, e, stride < sizeof s ? stride : sizeof s);
		if (!s.template_name)
			return 0;
		if (!s.fill || n == MAX_HOME)
			return fail(err, errlen, d->name,
			            "has a home section without fill, or too many");
		p->home[n++] = s;
	}
}

/* A job's schedule as text: "daily @key" takes the time from the plugin's
 * setting key (read after check_settings), so a deployment may move it. */
static const char *schedule_text(const struct plugin *p, const char *schedule, char *out,
                                 size_t outlen)
{
	if (!schedule || strncmp(schedule, "daily @", 7) != 0)
		return schedule;
	for (size_t i = 0; i < p->settings.count; i++)
		if (strcmp(p->settings.decl[i].key, schedule + 7) == 0 && p->settings.values[i]) {
			snprintf(out, outlen, "daily %s", p->settings.values[i]);
			return out;
		}
	return NULL;
}

static int check_jobs(struct plugin_set *set, struct plugin *p, char *err, size_t errlen)
{
	const char *name = p->def->name;
	for (const struct portal_job *j = p->def->jobs; j && j->name; j++) {
		if (!name_ok(j->name, JOB_NAME_MAX, "_-") || !j->run)
			return fail(err, errlen, name,
			            "job \"%s\" needs a name of [a-z0-9_-] and a run", j->name);
		struct schedule s;
		char buf[24];
		const char *text = schedule_text(p, j->schedule, buf, sizeof buf);
		if (!text || strlen(text) >= sizeof buf || schedule_parse(text, &s))
			return fail(err, errlen, name,
			            "job %s: schedule \"%s\" is none of \"every N[smh]\", "
			            "\"daily HH:MM\" and \"daily @setting\" (with a time HH:MM)",
			            j->name,
			            text          ? text
			            : j->schedule ? j->schedule
			                          : "");
		if (plugins_job(set, j->name))
			return fail(err, errlen, name, "job %s clashes with another of that name",
			            j->name);
		if (set->job_count == MAX_JOBS)
			return fail(err, errlen, name, "more than %d jobs", MAX_JOBS);
		if (!set->jobs && !(set->jobs = calloc(MAX_JOBS, sizeof *set->jobs)))
			return fail(err, errlen, name, "out of memory");
		struct plugin_job *pj = &set->jobs[set->job_count++];
		*pj = (struct plugin_job){.def = j, .owner = p, .schedule = s};
		snprintf(pj->text, sizeof pj->text, "%s", text);
	}
	return 0;
}

/* Why value is not acceptable for s, NULL when it is. */
static const char *setting_refused(const struct portal_setting *s, const char *value, char *why,
                                   size_t whylen)
{
	if (s->min || s->max) {
		char *end;
		long long n = strtoll(value, &end, 10);
		if (!*value || *end || n < s->min || n > s->max) {
			snprintf(why, whylen, "must be a whole number from %lld to %lld", s->min,
			         s->max);
			return why;
		}
	}
	return s->check ? s->check(value) : NULL;
}

static int check_settings(struct plugin *p, const struct config *cfg, char *err, size_t errlen)
{
	const struct portal_plugin *d = p->def;
	const struct portal_setting *decl = d->settings;
	size_t count = 0, nentries, len = strlen(d->name);
	char why[128];
	while (decl && decl[count].key)
		count++;
	p->settings = (struct portal_plugin_settings){.decl = decl, .count = count};
	if (count && !(p->settings.values = calloc(count, sizeof *p->settings.values)))
		return fail(err, errlen, d->name, "out of memory");
	for (size_t i = 0; i < count; i++) {
		if (!name_ok(decl[i].key, SETTING_KEY_MAX, "_"))
			return fail(err, errlen, d->name,
			            "setting \"%s\" needs a name of [a-z0-9_]",
			            decl[i].key ? decl[i].key : "");
		const char *reason;
		p->settings.values[i] = decl[i].dflt;
		if (decl[i].dflt &&
		    (reason = setting_refused(&decl[i], decl[i].dflt, why, sizeof why)))
			return fail(err, errlen, d->name, "the default of %s %s", decl[i].key,
			            reason);
	}
	const struct config_entry *e = config_plugin_entries(cfg, &nentries);
	for (size_t k = 0; k < nentries; k++) {
		if (strncmp(e[k].key, d->name, len) != 0 || e[k].key[len] != '.')
			continue; /* another plugin's, perhaps one not enabled */
		const char *key = e[k].key + len + 1, *reason = NULL;
		size_t i = 0;
		while (i < count && strcmp(decl[i].key, key) != 0)
			i++;
		if (i == count) {
			snprintf(why, sizeof why, "is not a setting of plugin %s", d->name);
			reason = why;
		} else {
			reason = setting_refused(&decl[i], e[k].value, why, sizeof why);
		}
		if (reason) {
			snprintf(err, errlen, "%s:%d: %s %s", config_path(cfg), e[k].line, e[k].key,
			         reason);
			return -1;
		}
		p->settings.values[i] = e[k].value;
	}
	return 0;
}

static int check_notifications(struct plugin_set *set, struct plugin *p, char *err, size_t errlen)
{
	const char *name = p->def->name;
	for (const struct portal_notification *n = p->def->notifications; n && n->kind; n++) {
		if (!name_ok(n->kind, KIND_MAX, "_") || !n->label)
			return fail(err, errlen, name,
			            "kind of mail \"%s\" needs a name of [a-z_] and a label",
			            n->kind);
		for (size_t i = 0; i < set->notification_count; i++)
			if (strcmp(set->notifications[i].def->kind, n->kind) == 0)
				return fail(err, errlen, name,
				            "kind of mail %s is also plugin %s's", n->kind,
				            set->notifications[i].owner->def->name);
		if (set->notification_count == MAX_KINDS)
			return fail(err, errlen, name, "more than %d kinds of mail", MAX_KINDS);
		if (!set->notifications &&
		    !(set->notifications = calloc(MAX_KINDS, sizeof *set->notifications)))
			return fail(err, errlen, name, "out of memory");
		set->notifications[set->notification_count++] =
		    (struct plugin_notification){.def = n, .owner = p};
	}
	return 0;
}

/* A default list of categories: at least one, each a name the settings
 * page could add (1 to PORTAL_CATEGORY_MAX_CHARS characters). */
static int check_categories(const struct plugin *p, char *err, size_t errlen)
{
	const char *const *c = PLUGIN_MEMBER(p->def, categories);
	if (c && !*c)
		return fail(err, errlen, p->def->name, "declares an empty list of categories");
	for (; c && *c; c++)
		if (!**c || strlen(*c) > PORTAL_CATEGORY_MAX_CHARS * 4)
			return fail(err, errlen, p->def->name,
			            "declares a category without a name");
	return 0;
}

/* The names of .tables are put into SQL text (portal_file_release, the
 * export and the erasure): only plain ones. */
static int check_tables(const struct plugin *p, char *err, size_t errlen)
{
	for (const struct portal_table *t = PLUGIN_MEMBER(p->def, tables); t && t->table; t++) {
		const char *names[] = {t->table,     t->parent, t->parent_column, t->file,
		                       t->file_name, t->author, t->email};
		for (size_t i = 0; i < sizeof names / sizeof *names; i++)
			if (names[i] && !name_ok(names[i], 64, "_"))
				return fail(err, errlen, p->def->name,
				            "declares a table or column that is not a plain name");
	}
	return 0;
}

struct index_name {
	const char *name;
	int seen;
};

static int count_named(const struct portal_search_index *ix, void *arg)
{
	struct index_name *n = arg;
	n->seen += strcmp(ix->name, n->name) == 0;
	return 0;
}

/* Search indexes (portal/search.h): their table's and columns' names go into
 * SQL text, and search_rebuilds knows each by its name among core's and
 * every plugin's. */
static int check_search(const struct plugin_set *set, const struct plugin *p, char *err,
                        size_t errlen)
{
	const char *name = p->def->name;
	for (const struct portal_search_index *ix = PLUGIN_MEMBER(p->def, search); ix && ix->name;
	     ix++) {
		const char *names[] = {ix->name, ix->table, ix->id, ix->objects};
		const char *optional[] = {ix->sort, ix->person};
		bool plain = ix->texts != NULL;
		for (size_t i = 0; i < sizeof names / sizeof *names; i++)
			plain = plain && name_ok(names[i], 48, "_");
		for (size_t i = 0; i < sizeof optional / sizeof *optional; i++)
			plain = plain && (!optional[i] || name_ok(optional[i], 64, "_"));
		if (!plain)
			return fail(
			    err, errlen, name,
			    "search index \"%s\" needs plain names of its table and columns,"
			    " and its texts",
			    ix->name);
		struct index_name n = {ix->name, 0};
		search_each_index(set, count_named, &n);
		if (n.seen > 1)
			return fail(err, errlen, name, "search index %s is also another's",
			            ix->name);
	}
	return 0;
}

int plugin_check(struct plugin_set *set, struct plugin *p, const struct config *cfg, char *err,
                 size_t errlen)
{
	return check_tables(p, err, errlen) || check_categories(p, err, errlen) ||
	               check_search(set, p, err, errlen) || check_routes(set, p, err, errlen) ||
	               check_home(p, err, errlen) || check_settings(p, cfg, err, errlen) ||
	               check_jobs(set, p, err, errlen) || check_notifications(set, p, err, errlen)
	           ? -1
	           : 0;
}
