#include "features/home.h"

#include "http/request.h"

#define MAX_PROPERTIES 1000

/* One section: filled as its own plugin (its state, texts and templates),
 * rendered with that plugin's template set. */
static int render_section(struct portal_req *req, const struct plugin *p,
                          const struct portal_home_section *s, const long long *ids, size_t n,
                          struct portal_value *sections)
{
	struct portal_worker *w = req->worker;
	struct request *rq = request_of(req);
	struct portal_arena *a = req->arena;
	struct portal_value *view = pv_object(a);
	if (!view)
		return 500;
	const struct plugin *saved_plugin = rq->plugin;
	void *saved_state = req->plugin_state;
	rq->plugin = p;
	req->plugin_state = p->state;
	int status = s->fill(req, ids, n, view);
	rq->plugin = saved_plugin;
	req->plugin_state = saved_state;
	if (status == 204)
		return 0;
	if (status)
		return status;
	size_t i = (size_t)(p - w->plugins->items);
	char err[256];
	const struct tpl *t = tpl_get(w->templates[i], s->template_name, err, sizeof err);
	struct buf html = {0};
	if (!t || tpl_render(w->templates[i], t, view, worker_locale(w, req->locale, p), &html)) {
		portal_log("home section %s/%s: %s", p->def->name, s->template_name,
		           t ? "rendering failed" : err);
		buf_free(&html);
		return 500;
	}
	struct portal_value *entry = pv_object(a);
	status = !entry ||
	         pv_set(a, entry, "html", pv_stringn(a, html.data ? html.data : "", html.len)) ||
	         pv_push(a, sections, entry);
	buf_free(&html);
	return status ? 500 : 0;
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
		for (const struct portal_home_section *s = set->items[i].def->home;
		     s && s->template_name; s++) {
			int status = render_section(req, &set->items[i], s, ids, n, sections);
			if (status)
				return status;
		}
	}
	return pv_set(a, view, "sections", sections) ? 500 : 0;
}
