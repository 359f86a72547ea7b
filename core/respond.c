/* Rendering a response: the view as JSON under /api/v1, as a page through its
 * template inside the layout elsewhere, and errors in the same two shapes. */
#include <stdio.h>
#include <string.h>

#include "worker.h"

/* Every dynamic response carries these; nginx adds nosniff to static files. */
static const char security_headers[] =
	"X-Content-Type-Options: nosniff\r\n"
	"Referrer-Policy: same-origin\r\n"
	"X-Frame-Options: DENY\r\n"
	"Cache-Control: no-store\r\n"
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

/* Formatted with our own printf: libfcgi's FCGX_FPrintF knows only a subset. */
static void write_head(struct request *rq, int status, const char *content_type, size_t length)
{
	struct buf h = {0};
	buf_printf(&h, "Status: %d %s\r\n%s", status, reason(status), security_headers);
	if (content_type)
		buf_printf(&h, "Content-Type: %s\r\nContent-Length: %zu\r\n", content_type, length);
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
	static const char json[] = "{\"error\":{\"code\":\"internal\",\"message\":\"Internal error\"}}";
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

/* The layout's navigation: every plugin's entries of the page's area. */
static struct portal_value *nav_view(struct request *rq, struct portal_worker *w,
				     const char *area)
{
	struct portal_arena *a = rq->pub.arena;
	struct portal_value *list = pv_list(a);
	for (size_t i = 0; list && i < w->plugins->count; i++) {
		for (const struct portal_nav *n = w->plugins->items[i].def->nav; n && n->label;
		     n++) {
			if (strcmp(n->area, area) != 0)
				continue;
			struct portal_value *e = pv_object(a);
			size_t hl = strlen(n->href);
			bool current = strncmp(rq->pub.path, n->href, hl) == 0 &&
				       (rq->pub.path[hl] == '\0' || rq->pub.path[hl] == '/');
			if (!e || pv_set_str(a, e, "href", n->href) ||
			    pv_set_str(a, e, "label",
				       worker_text(w, rq->pub.locale, &w->plugins->items[i],
						   n->label)) ||
			    pv_set_bool(a, e, "current", current) || pv_push(a, list, e))
				return NULL;
		}
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

/* Renders template name of the plugin's set into the layout. */
static int render_page(struct request *rq, struct portal_worker *w, size_t set_index,
		       const char *name, const char *title, struct portal_value *view,
		       struct buf *out)
{
	struct portal_arena *a = rq->pub.arena;
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
	struct portal_value *nav = nav_view(rq, w, area);
	if (rc == 0 &&
	    (!ctx || !nav || pv_set_str(a, ctx, "lang", rq->pub.locale) ||
	     pv_set_str(a, ctx, "title", worker_text(w, rq->pub.locale, rq->plugin, title)) ||
	     pv_set(a, ctx, "content", pv_stringn(a, content.data ? content.data : "", content.len)) ||
	     pv_set_str(a, ctx, "area", area) || pv_set(a, ctx, "nav", nav) ||
	     pv_set_str(a, ctx, "org_name", "")))
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
	return !rq->pub.is_api && r && r->template && status >= 400 && status < 500 &&
	       status != 401 && status != 404 && status != 405 &&
	       strcmp(rq->pub.method, "GET") != 0 && strcmp(rq->pub.method, "HEAD") != 0;
}

static void respond_page(struct request *rq, struct portal_worker *w, int status,
			 struct portal_value *view)
{
	struct portal_arena *a = rq->pub.arena;
	const struct portal_route *route = rq->match.route;
	size_t set_index = (size_t)(rq->plugin - w->plugins->items);
	const char *csrf = rq->csrf_token;
	struct buf b = {0};
	int rc = pv_set_str(a, view, "csrf_token", csrf ? csrf : "");
	if (rc == 0 && status >= 400) {
		struct portal_value *err = error_view(rq, w, status);
		rc = !err || pv_set(a, view, "error", pv_get(err, "error")) ||
		     pv_set(a, view, "form", rq->pub.body);
	}
	if (rc == 0)
		rc = render_page(rq, w, set_index, route->template, route->title ? route->title : "",
				 view, &b);
	if (rc == 0)
		write_body(rq, status, "text/html; charset=utf-8", &b);
	else
		write_internal(rq);
	buf_free(&b);
}

void respond(struct request *rq, struct portal_worker *w, struct portal_value *view)
{
	int status = rq->status;
	if (form_again(rq, status) && view) {
		respond_page(rq, w, status, view);
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
	if (!rq->pub.is_api && rq->match.route->template) {
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
