#include "features/home.h"

#include "features/home_cache.h"
#include "http/request.h"

#define MAX_PROPERTIES 1000

/* The section's html into the list of sections. */
static int push_html(struct portal_req *req, struct portal_value *sections, const char *html,
                     size_t len)
{
	struct portal_arena *a = req->arena;
	struct portal_value *entry = pv_object(a);
	return !entry || pv_set(a, entry, "html", pv_stringn(a, html, len)) ||
	               pv_push(a, sections, entry)
	           ? 500
	           : 0;
}

/* One section: filled as its own plugin (its state, texts and templates),
 * rendered with that plugin's template set; *shown false when it left itself
 * out (204). */
static int render_section(struct portal_req *req, const struct plugin *p,
                          const struct portal_home_section *s, const long long *ids, size_t n,
                          struct buf *html, bool *shown)
{
	struct portal_worker *w = req->worker;
	struct request *rq = request_of(req);
	struct portal_value *view = pv_object(req->arena);
	if (!view)
		return 500;
	const struct plugin *saved_plugin = rq->plugin;
	void *saved_state = req->plugin_state;
	rq->plugin = p;
	req->plugin_state = p->state;
	int status = s->fill(req, ids, n, view);
	rq->plugin = saved_plugin;
	req->plugin_state = saved_state;
	*shown = status != 204;
	if (status == 204)
		return 0;
	if (status)
		return status;
	size_t i = (size_t)(p - w->plugins->items);
	char err[256];
	const struct tpl *t = tpl_get(w->templates[i], s->template_name, err, sizeof err);
	if (!t || tpl_render(w->templates[i], t, view, worker_locale(w, req->locale, p), html)) {
		portal_log("home section %s/%s: %s", p->def->name, s->template_name,
		           t ? "rendering failed" : err);
		return 500;
	}
	return 0;
}

/* A section from the cache when it is shared and there, else rendered (and
 * kept when shared). */
static int add_section(struct portal_req *req, size_t plugin, size_t section, const long long *ids,
                       size_t n, struct portal_value *sections)
{
	const struct plugin *p = &req->worker->plugins->items[plugin];
	const struct portal_home_section *s = &p->home[section];
	long long generation = request_of(req)->signed_in.content_generation;
	/* Cached only where the route read the generation (SESSION_ROUTE_HOME). */
	bool shared = (s->flags & PORTAL_HOME_SHARED) && generation >= 0, shown;
	struct home_key key = {.plugin = plugin,
	                       .section = section,
	                       .org_id = req->caller.org_id,
	                       .generation = generation,
	                       .locale = req->locale,
	                       .ids = ids,
	                       .count = n};
	const char *cached;
	size_t len;
	if (shared && home_cache_get(&key, &cached, &len, &shown))
		return shown ? push_html(req, sections, cached, len) : 0;
	struct buf html = {0};
	int status = render_section(req, p, s, ids, n, &html, &shown);
	if (!status && shared)
		home_cache_put(&key, html.data ? html.data : "", html.len, shown);
	if (!status && shown)
		status = push_html(req, sections, html.data ? html.data : "", html.len);
	buf_free(&html);
	return status;
}

int home_sections(struct portal_req *req, const struct portal_value *cards,
                  struct portal_value *view)
{
	struct portal_arena *a = req->arena;
	long long *ids = portal_alloc(a, MAX_PROPERTIES * sizeof *ids);
	struct portal_value *sections = pv_list(a);
	size_t n = 0;
	if (!ids || !sections)
		return 500;
	pv_foreach(m, cards) {
		if (n < MAX_PROPERTIES)
			ids[n++] = pv_get_int(m->value, "id", 0);
	}
	const struct plugin_set *set = req->worker->plugins;
	for (size_t i = 0; n && i < set->count; i++) {
		for (size_t k = 0; set->items[i].home && set->items[i].home[k].template_name; k++) {
			int status = add_section(req, i, k, ids, n, sections);
			if (status)
				return status;
		}
	}
	return pv_set(a, view, "sections", sections) ? 500 : 0;
}
