/* Rendering a response: the view as JSON under /api/v1, as a page through its
 * template inside the layout elsewhere, and errors in the same two shapes. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/request.h"

/* Every dynamic response carries these; nginx adds nosniff to static files. */
static const char security_headers[] =
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: same-origin\r\n"
    "X-Frame-Options: DENY\r\n"
    "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n";

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status >= 500 ? "Internal Server Error" : "Error";
	}
}

static const char *default_code(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthenticated";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "too_large";
	case 415: return "unsupported_media_type";
	case 422: return "validation";
	case 429: return "rate_limited";
	case 503: return "unavailable";
	default: return "internal";
	}
}

/* Whether the handler set header name itself (a download's "private,
 * no-store"): then the default is left out rather than sent twice. */
static bool handler_set(const struct request *rq, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = rq->headers.data, *end = p + rq->headers.len; p && p < end;) {
		if ((size_t)(end - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':')
			return true;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		p = eol ? eol + 1 : end;
	}
	return false;
}

/* A body's length not known in advance: a page sent as it is made. */
#define LENGTH_STREAMED ((size_t)-1)

/* Formatted with our own printf: libfcgi's FCGX_FPrintF knows only a subset. */
static void write_head(struct request *rq, int status, const char *content_type, size_t length)
{
	struct buf h = {0};
	buf_printf(&h, "Status: %d %s\r\n%s", status, reason(status), security_headers);
	if (!handler_set(rq, "Cache-Control"))
		buf_puts(&h, "Cache-Control: no-store\r\n");
	if (content_type)
		buf_printf(&h, "Content-Type: %s\r\n", content_type);
	if (content_type && length != LENGTH_STREAMED)
		buf_printf(&h, "Content-Length: %zu\r\n", length);
	if (length == LENGTH_STREAMED) /* nginx passes each part on at once */
		buf_puts(&h, "X-Accel-Buffering: no\r\n");
	if (status == 503)
		buf_puts(&h, "Retry-After: 2\r\n");
	if (rq->location)
		buf_printf(&h, "Location: %s\r\n", rq->location);
	if (rq->headers.len)
		buf_append(&h, rq->headers.data, rq->headers.len);
	buf_puts(&h, "\r\n");
	if (!h.failed)
		FCGX_PutStr(h.data, (int)h.len, rq->fcgi->out);
	buf_free(&h);
}

static void write_body(struct request *rq, int status, const char *type, const struct buf *b)
{
	write_head(rq, status, type, b->len);
	if (strcmp(rq->pub.method, "HEAD") != 0 && b->len)
		FCGX_PutStr(b->data, (int)b->len, rq->fcgi->out);
}

/* The last resort when even rendering failed: a fixed answer in the right shape. */
static void write_internal(struct request *rq)
{
	static const char json[] =
	    "{\"error\":{\"code\":\"internal\",\"message\":\"Internal error\"}}";
	static const char html[] = "<!doctype html><title>500</title><h1>500</h1>";
	struct buf b = {0};
	bool api = rq->pub.is_api;
	buf_puts(&b, api ? json : html);
	rq->headers.len = 0;
	write_body(rq, 500, api ? "application/json; charset=utf-8" : "text/html; charset=utf-8",
	           &b);
	buf_free(&b);
}

static struct portal_value *error_view(struct request *rq, struct portal_worker *w, int status)
{
	struct portal_arena *a = rq->pub.arena;
	const char *code = rq->error_code ? rq->error_code : default_code(status);
	const char *message = rq->error_message;
	char key[32];
	if (!message || status >= 500) { /* nothing internal ever reaches the client */
		snprintf(key, sizeof key, "error.title.%d", status);
		message = key;
	}
	struct portal_value *err = pv_object(a), *view = pv_object(a);
	if (!err || !view || pv_set_str(a, err, "code", code) ||
	    pv_set_str(a, err, "message", worker_text(w, rq->pub.locale, rq->plugin, message)) ||
	    (rq->error_field && pv_set_str(a, err, "field", rq->error_field)) ||
	    pv_set(a, view, "error", err))
		return NULL;
	return view;
}

/* The layout's menu for area: every plugin's entries in their declared order
 * (a plugin's "Neuer Inhalt" belongs between core's entries), and at most one
 * current: the page's section (view.nav_section, an href: /app/employees
 * belongs to the settings) or else the most specific entry the path lies
 * under, where the area's home (/app) counts only for itself. */
#define NAV_MAX 64

struct nav_entry {
	const struct plugin *plugin;
	const struct portal_nav *nav;
};

static bool under(const char *path, const char *href)
{
	size_t n = strlen(href);
	return strncmp(path, href, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static struct portal_value *nav_view(struct request *rq, struct portal_worker *w, const char *area,
                                     const char *section)
{
	struct portal_arena *a = rq->pub.arena;
	struct nav_entry e[NAV_MAX];
	size_t n = 0, current = NAV_MAX;
	for (size_t i = 0; i < w->plugins->count; i++) {
		for (const struct portal_nav *nv = w->plugins->items[i].def->nav;
		     nv && nv->label && n < NAV_MAX; nv++) {
			if (strcmp(nv->area, area) != 0)
				continue;
			size_t at = n++; /* insertion sort: stable, and the lists are short */
			while (at && e[at - 1].nav->order > nv->order) {
				e[at] = e[at - 1];
				at--;
			}
			e[at] = (struct nav_entry){&w->plugins->items[i], nv};
		}
	}
	const char *path = rq->pub.path;
	for (size_t i = 0; i < n; i++) {
		const char *href = e[i].nav->href;
		bool home = strcmp(href + 1, area) == 0;
		bool match = section ? strcmp(href, section) == 0
		             : home  ? strcmp(path, href) == 0
		                     : under(path, href);
		if (match && (current == NAV_MAX || strlen(href) > strlen(e[current].nav->href)))
			current = i;
	}
	struct portal_value *list = pv_list(a);
	for (size_t i = 0; list && i < n; i++) {
		struct portal_value *o = pv_object(a);
		if (!o || pv_set_str(a, o, "href", e[i].nav->href) ||
		    pv_set_str(a, o, "label",
		               worker_text(w, rq->pub.locale, e[i].plugin, e[i].nav->label)) ||
		    pv_set_bool(a, o, "current", i == current) || pv_push(a, list, o))
			return NULL;
	}
	return list;
}

static const char *page_area(const char *path)
{
	if (strncmp(path, "/app", 4) == 0 && (path[4] == '\0' || path[4] == '/'))
		return "app";
	if (strncmp(path, "/portal", 7) == 0 && (path[7] == '\0' || path[7] == '/'))
		return "portal";
	return "";
}

/* Renders template name of the plugin's set into the layout. The layout gets
 * the page's frame: language, title, content, area and menu, and the caller's
 * organisation (name, logo, brand stylesheet), name and logout token, all from
 * one query. Two keys of a page's view speak to the layout: nav_section (the
 * href of the menu entry the page belongs to) and, for a signed-out page of an
 * organisation (a join page), layout_org {id, name, brand_color, logo_url}. */
static int render_page(struct request *rq, struct portal_worker *w, size_t set_index,
                       const char *name, const char *title, struct portal_value *view,
                       struct buf *out)
{
	struct portal_arena *a = rq->pub.arena;
	const struct portal_caller *caller = &rq->pub.caller;
	char err[256];
	const struct locale *loc = worker_locale(w, rq->pub.locale, &w->plugins->items[set_index]);
	const struct tpl *page = tpl_get(w->templates[set_index], name, err, sizeof err);
	const struct tpl *layout = tpl_get(w->templates[0], "layout", err, sizeof err);
	if (!page || !layout) {
		portal_log("template: %s", err);
		return -1;
	}
	struct buf content = {0};
	int rc = tpl_render(w->templates[set_index], page, view, loc, &content);
	const char *area = page_area(rq->pub.path);
	struct portal_value *ctx = pv_object(a);
	struct portal_value *nav = nav_view(rq, w, area, pv_get_str(view, "nav_section"));

	/* The organisation: the caller's (from the session's query), or the one
	 * a signed-out page names (a join page). */
	const struct portal_value *org = NULL;
	const char *user_name = NULL;
	if (caller->role != PORTAL_ROLE_NONE) {
		struct portal_value *o = pv_object(a);
		if (o && !pv_set_int(a, o, "id", caller->org_id) &&
		    !pv_set_str(a, o, "name", rq->signed_in.org_name) &&
		    !pv_set_str(a, o, "brand_color", rq->signed_in.brand_color) &&
		    !pv_set_str(a, o, "logo_url", rq->signed_in.logo_url))
			org = o;
		user_name = rq->signed_in.user_name;
	} else {
		const struct portal_value *o = pv_get(view, "layout_org");
		org = o && o->type == PV_OBJECT ? o : NULL;
	}
	long long org_id = pv_get_int(org, "id", 0);
	const char *color = pv_get_str(org, "brand_color");
	/* A signed-out visitor is offered the sign-in, except on the pages that
	 * sign in or lead there. */
	static const char *const account_pages[] = {"/login", "/activate/", "/password/", "/join/"};
	bool offer_login = caller->role == PORTAL_ROLE_NONE;
	for (size_t i = 0; i < sizeof account_pages / sizeof *account_pages; i++)
		if (strncmp(rq->pub.path, account_pages[i], strlen(account_pages[i])) == 0)
			offer_login = false;

	if (rc == 0 &&
	    (!ctx || !nav || pv_set_str(a, ctx, "lang", rq->pub.locale) ||
	     pv_set_str(a, ctx, "title", worker_text(w, rq->pub.locale, rq->plugin, title)) ||
	     pv_set(a, ctx, "content",
	            pv_stringn(a, content.data ? content.data : "", content.len)) ||
	     pv_set_str(a, ctx, "area", area) || pv_set(a, ctx, "nav", nav) ||
	     pv_set_str(a, ctx, "asset_version", w->asset_version) ||
	     pv_set_str(a, ctx, "org_name", org ? pv_get_str(org, "name") : "") ||
	     pv_set_str(a, ctx, "brand_color", color ? color : "") ||
	     pv_set_str(a, ctx, "brand_css",
	                org_id > 0 ? portal_sprintf(a, "/brand/%lld.css", org_id) : "") ||
	     pv_set_str(a, ctx, "logo_url", org ? pv_get_str(org, "logo_url") : "") ||
	     pv_set_str(a, ctx, "user_name", user_name ? user_name : "") ||
	     pv_set_str(a, ctx, "logout_csrf", user_name && rq->csrf_token ? rq->csrf_token : "") ||
	     pv_set_bool(a, ctx, "offer_login", offer_login)))
		rc = -1;
	buf_free(&content);
	if (rc == 0)
		rc = tpl_render(w->templates[0], layout, ctx, loc, out);
	if (rc)
		portal_log("template %s: rendering failed", name);
	return rc;
}

static void respond_error(struct request *rq, struct portal_worker *w, int status)
{
	struct portal_value *view = error_view(rq, w, status);
	struct buf b = {0};
	int rc = -1;
	if (view && rq->pub.is_api) {
		rc = json_render(view, &b);
		if (rc == 0)
			write_body(rq, status, "application/json; charset=utf-8", &b);
	} else if (view) {
		/* The page shows the title by status; a message that only repeats it goes. */
		if (!rq->error_message || strncmp(rq->error_message, "error.title.", 12) == 0)
			pv_set_str(rq->pub.arena, pv_get(view, "error"), "message", "");
		char title[32];
		snprintf(title, sizeof title, "error.title.%d", status);
		pv_set_int(rq->pub.arena, view, "status", status);
		rc = render_page(rq, w, 0, "error", title, view, &b);
		if (rc == 0)
			write_body(rq, status, "text/html; charset=utf-8", &b);
	}
	if (rc)
		write_internal(rq);
	buf_free(&b);
}

/* A form whose submission failed is shown again with what to correct. */
static bool form_again(const struct request *rq, int status)
{
	const struct portal_route *r = rq->match.route;
	return !rq->pub.is_api && r && r->page_template && status >= 400 && status < 500 &&
	       status != 401 && status != 404 && status != 405 &&
	       strcmp(rq->pub.method, "GET") != 0 && strcmp(rq->pub.method, "HEAD") != 0;
}

/* The route's page with view (and the error recorded for status >= 400). */
static int page_html(struct request *rq, struct portal_worker *w, int status,
                     struct portal_value *view, struct buf *b)
{
	struct portal_arena *a = rq->pub.arena;
	const struct portal_route *route = rq->match.route;
	size_t set_index = (size_t)(rq->plugin - w->plugins->items);
	const char *csrf = rq->csrf_token;
	int rc = pv_set_str(a, view, "csrf_token", csrf ? csrf : "");
	/* Which plugins run ({{#enabled.invites}}): a core page links to a
	 * plugin's pages only when they exist. */
	struct portal_value *enabled = pv_object(a);
	for (size_t i = 1; rc == 0 && enabled && i < w->plugins->count; i++)
		rc = pv_set_bool(a, enabled, w->plugins->items[i].def->name, true);
	if (rc == 0)
		rc = !enabled || pv_set(a, view, "enabled", enabled);
	/* Which page it is ({{#page_is.settings}}): a partial that several pages
	 * include (the settings' tabs) marks the one shown. */
	struct portal_value *page_is = pv_object(a);
	if (rc == 0)
		rc = !page_is || pv_set_bool(a, page_is, route->page_template, true) ||
		     pv_set(a, view, "page_is", page_is);
	if (rc == 0 && status >= 400) {
		struct portal_value *err = error_view(rq, w, status);
		rc = !err || pv_set(a, view, "error", pv_get(err, "error")) ||
		     pv_set(a, view, "form", rq->sent_body ? rq->sent_body : rq->pub.body);
	}
	if (rc == 0)
		rc = render_page(rq, w, set_index, route->page_template,
		                 route->title ? route->title : "", view, b);
	return rc;
}

static void respond_page(struct request *rq, struct portal_worker *w, int status,
                         struct portal_value *view)
{
	struct buf b = {0};
	if (page_html(rq, w, status, view, &b) == 0)
		write_body(rq, status, "text/html; charset=utf-8", &b);
	else
		write_internal(rq);
	buf_free(&b);
}

/* A page that works for seconds and shows how far it got: see
 * respond_stream_start. */
#define STREAM_MARK "<!--portal:stream-->"

static void send_now(struct request *rq, const char *data, size_t len)
{
	if (len)
		FCGX_PutStr(data, (int)len, rq->fcgi->out);
	FCGX_FFlush(rq->fcgi->out);
}

int respond_stream_start(struct portal_req *req, struct portal_value *view)
{
	struct request *rq = request_of(req);
	struct buf b = {0};
	if (!rq->fcgi || rq->pub.is_api || !rq->match.route->page_template ||
	    pv_set_bool(req->arena, view, "streaming", true) ||
	    page_html(rq, req->worker, 200, view, &b)) {
		buf_free(&b);
		return 500;
	}
	const char *mark = strstr(b.data ? b.data : "", STREAM_MARK);
	if (!mark) {
		portal_log("template %s: no %s to stream to", rq->match.route->page_template,
		           STREAM_MARK);
		buf_free(&b);
		return 500;
	}
	write_head(rq, 200, "text/html; charset=utf-8", LENGTH_STREAMED);
	send_now(rq, b.data, (size_t)(mark - b.data));
	rq->streamed = true;
	buf_free(&b);
	return 0;
}

int respond_stream_part(struct portal_req *req, const char *name, const struct portal_value *view)
{
	struct request *rq = request_of(req);
	struct portal_worker *w = req->worker;
	size_t set_index = (size_t)(rq->plugin - w->plugins->items);
	char err[256];
	const struct tpl *t =
	    rq->streamed ? tpl_get(w->templates[set_index], name, err, sizeof err) : NULL;
	struct buf b = {0};
	int rc = t ? tpl_render(w->templates[set_index], t, view,
	                        worker_locale(w, req->locale, rq->plugin), &b)
	           : -1;
	if (rc == 0)
		send_now(rq, b.data, b.len);
	buf_free(&b);
	return rc ? 500 : 0;
}

/* The rest of a streamed page: rendered again with the final view (or the
 * error), from the mark on. The status line went out with the start. */
static void respond_stream_end(struct request *rq, struct portal_worker *w, int status,
                               struct portal_value *view)
{
	struct buf b = {0};
	if (view && !pv_set_bool(rq->pub.arena, view, "streaming", true) &&
	    page_html(rq, w, status, view, &b) == 0) {
		const char *mark = strstr(b.data ? b.data : "", STREAM_MARK);
		if (mark)
			send_now(rq, mark + strlen(STREAM_MARK),
			         b.len - (size_t)(mark - b.data) - strlen(STREAM_MARK));
	}
	buf_free(&b);
}

void respond(struct request *rq, struct portal_worker *w, struct portal_value *view)
{
	int status = rq->status;
	if (rq->streamed) {
		respond_stream_end(rq, w, status < 100 ? 500 : status, view);
		return;
	}
	if (form_again(rq, status) && view) {
		respond_page(rq, w, status, view);
		return;
	}
	if (rq->raw_type && rq->raw_status == status) {
		struct buf raw = {.data = (char *)rq->raw_data, .len = rq->raw_len};
		write_body(rq, status, rq->raw_type, &raw);
		return;
	}
	if (status >= 400 || status < 100) {
		respond_error(rq, w, status < 100 ? 500 : status);
		return;
	}
	if (rq->raw_type) {
		struct buf raw = {.data = (char *)rq->raw_data, .len = rq->raw_len};
		write_body(rq, status, rq->raw_type, &raw);
		return;
	}
	if (status == 303) {
		write_head(rq, 303, NULL, 0);
		return;
	}
	if (status == 204) {
		write_head(rq, 204, NULL, 0);
		return;
	}
	if (!rq->pub.is_api && rq->match.route->page_template) {
		respond_page(rq, w, status, view);
		return;
	}
	struct buf b = {0};
	if (json_render(view, &b) == 0)
		write_body(rq, status, "application/json; charset=utf-8", &b);
	else
		write_internal(rq);
	buf_free(&b);
}
