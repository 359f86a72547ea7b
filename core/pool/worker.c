/* A request worker: set up after fork, then accept, parse, route, check access,
 * handle, render and log, one request at a time, each in a fresh arena. */
#include "pool/worker.h"

#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/datetime.h"
#include "db/db.h"
#include "http/categories.h"
#include "http/files.h"
#include "http/input.h"
#include "features/home_cache.h"
#include "features/picker.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "pool/memory.h"
#include "portal/crypto.h"
#include "http/session.h"

#define LARGE_REQUEST_BYTES (1u << 20)
#define SIZE_CHECK_EVERY 100

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending(); /* makes a blocked accept return */
}

static void die(const char *what)
{
	portal_log("cannot start: %s", what);
	_exit(3);
}

void child_start(const char *role, void (*term_handler)(int))
{
	log_set_role(role);
	/* A child never outlives its master (kill -9 of the master included). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	struct sigaction sa = {.sa_handler = term_handler};
	sigaction(SIGTERM, &sa, NULL);
	/* The master handles these for the whole pool. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* A plugin's catalogs are core's plus its own locale/<lang>.txt, if it has one. */
/* The layout links the style sheet and the script as /static/NAME?v=VERSION,
 * VERSION from their contents: a deploy that changes them changes the links,
 * so no browser combines new pages with the old files it may keep for an hour
 * (nginx's Cache-Control). A file that cannot be read counts as empty. */
static void set_asset_version(struct portal_worker *w, const char *template_dir)
{
	static const char *const files[] = {"portal.css", "portal.js"};
	struct buf all = {0};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/static/%s", template_dir, files[i]);
		FILE *f = fopen(path, "rb");
		char chunk[8192];
		size_t n;
		while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
			buf_append(&all, chunk, n);
		if (f)
			fclose(f);
	}
	unsigned char hash[PORTAL_HASH_BYTES];
	portal_hash(all.data ? all.data : "", all.len, hash);
	buf_free(&all);
	for (size_t i = 0; i < (sizeof w->asset_version - 1) / 2; i++)
		snprintf(w->asset_version + 2 * i, 3, "%02x", hash[i]);
}

static int load_locales(struct portal_worker *w, size_t i, char *err, size_t errlen)
{
	static const char *const langs[2] = {"de", "en"};
	const struct plugin *p = &w->plugins->items[i];
	char core[4096], own[4096];
	for (int l = 0; l < 2; l++) {
		snprintf(core, sizeof core, "%s/locale/%s.txt", config_get(w->cfg, "template_dir"),
		         langs[l]);
		snprintf(own, sizeof own, "%s/locale/%s.txt", p->share_dir ? p->share_dir : "",
		         langs[l]);
		const char *paths[2] = {core, own};
		size_t n = p->share_dir && access(own, F_OK) == 0 ? 2 : 1;
		if (!(w->locales[i][l] = locale_load_files(paths, n, err, errlen)))
			return -1;
	}
	return 0;
}

int worker_setup(struct portal_worker *w, char *err, size_t errlen)
{
	char path[4096];
	const struct config *cfg = w->cfg;
	datetime_set_zone(config_get(cfg, "time_zone"));
	clock_use_file(config_get(cfg, "test_clock"));
	w->limits = (struct parse_limits){
	    .max_fields = (size_t)config_int(cfg, "max_fields"),
	    .max_parts = (size_t)config_int(cfg, "max_parts"),
	    .max_name = 256,
	    .max_value = (size_t)config_int(cfg, "max_form_bytes"),
	    .max_file = (size_t)config_int(cfg, "max_file_bytes"),
	    .max_depth = 32,
	    .max_header = 4096,
	};
	size_t n = w->plugins->count;
	if (!(w->db = db_new(cfg)) || !(w->templates = calloc(n, sizeof *w->templates)) ||
	    !(w->locales = calloc(n, sizeof *w->locales))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (load_locales(w, i, err, errlen))
			return -1;
		const struct plugin *p = &w->plugins->items[i];
		if (!(w->templates[i] = tpl_set_new())) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (p->share_dir) {
			snprintf(path, sizeof path, "%s/templates", p->share_dir);
			tpl_set_add_dir(w->templates[i], path);
		}
		tpl_set_add_dir(w->templates[i], config_get(cfg, "template_dir"));
	}
	set_asset_version(w, config_get(cfg, "template_dir"));
	return plugins_init(w->plugins, cfg, err, errlen);
}

void worker_teardown(struct portal_worker *w)
{
	for (size_t i = 0; w->templates && w->locales && i < w->plugins->count; i++) {
		tpl_set_free(w->templates[i]);
		locale_free(w->locales[i][0]);
		locale_free(w->locales[i][1]);
	}
	free(w->templates);
	free(w->locales);
	plugins_free(w->plugins);
	db_free(w->db);
	home_cache_free();
	categories_cache_free();
	files_columns_free();
}

/* Refuses callers of the wrong role before any handler runs: signed out 401,
 * the wrong kind of account 404 (it need not learn the route exists), a manager
 * without the admin flag 403. */
static int check_access(struct request *rq)
{
	const struct portal_caller *c = &rq->pub.caller;
	switch (rq->match.route->access) {
	case PORTAL_ACCESS_PUBLIC: return 0;
	case PORTAL_ACCESS_SIGNED_IN: return c->role == PORTAL_ROLE_NONE ? 401 : 0;
	case PORTAL_ACCESS_MANAGER:
		return c->role == PORTAL_ROLE_NONE ? 401 : c->role != PORTAL_ROLE_MANAGER ? 404 : 0;
	case PORTAL_ACCESS_ADMIN:
		if (c->role == PORTAL_ROLE_NONE)
			return 401;
		return c->role != PORTAL_ROLE_MANAGER ? 404 : c->admin ? 0 : 403;
	case PORTAL_ACCESS_RESIDENT:
		return c->role == PORTAL_ROLE_NONE       ? 401
		       : c->role != PORTAL_ROLE_RESIDENT ? 404
		                                         : 0;
	}
	return 404;
}

static bool unsafe_method(const char *m)
{
	return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

/* A browser names its origin on unsafe requests; a foreign one is a cross-site
 * request, refused on every route (session tokens add the CSRF token check). */
static int check_origin(struct request *rq, struct portal_worker *w)
{
	const char *origin = portal_header(&rq->pub, "HTTP_ORIGIN");
	if (!origin || !unsafe_method(rq->pub.method))
		return 0;
	const char *base = config_get(w->cfg, "base_url");
	size_t n = strlen(origin);
	if (strncmp(base, origin, n) == 0 && (base[n] == '\0' || base[n] == '/'))
		return 0;
	return portal_fail(&rq->pub, 403, "csrf", NULL, "error.csrf");
}

/* The path for logs and the scoreboard, which must never hold a secret: a
 * matched route's tokens (invite, reset links) are replaced by their names, ids
 * kept; on an unmatched path every long segment is masked. */
static void safe_path(const struct request *rq, char *out, size_t outlen)
{
	const char *path = rq->pub.path;
	size_t o = 0;
	if (rq->match.route) {
		for (int i = 0; i < rq->match.nparams; i++) {
			const struct route_param *p = &rq->match.params[i];
			if (p->is_id)
				continue;
			int before = (int)(p->value - path);
			o += (size_t)snprintf(out + o, o < outlen ? outlen - o : 0, "%.*s{%s}",
			                      before, path, p->name);
			path = p->value + p->len;
		}
		if (o < outlen)
			snprintf(out + o, outlen - o, "%s", path);
		return;
	}
	while (*path && o + 1 < outlen) {
		size_t seg = strcspn(path + 1, "/") + 1;
		if (seg > 16)
			o += (size_t)snprintf(out + o, outlen - o, "/{masked}");
		else
			o += (size_t)snprintf(out + o, outlen - o, "%.*s", (int)seg, path);
		path += seg;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

/* The route's declared input; when a page's is refused, the route's form
 * handler fills the view so the form can be shown again around the error. */
static int check_inputs(struct request *rq, struct portal_value *view)
{
	rq->sent_body = rq->pub.body;
	int status = input_check(&rq->pub, rq->match.route->inputs);
	portal_handler form = rq->match.route->form;
	if (status && !rq->pub.is_api && form) {
		struct request saved = *rq;
		form(&rq->pub, view);
		rq->status = saved.status;
		rq->error_code = saved.error_code;
		rq->error_field = saved.error_field;
		rq->error_message = saved.error_message;
		rq->location = NULL;
	}
	return status;
}

/* A page form's picker searched without script (portal/picker.h): the
 * route's form handler shows the page again, 200, with the matches and the
 * form as sent. The route's handler, which would save, never runs, and the
 * body goes unchecked to the form handler, as after a refusal. */
static int picker_search(struct request *rq, struct portal_value *view)
{
	portal_handler form = rq->match.route->form;
	struct portal_value *sent = rq->pub.body;
	if (!form)
		return portal_fail(&rq->pub, 400, "bad_request", "picker", "error.title.400");
	int status = form(&rq->pub, view);
	if (status != 200)
		return status;
	return pv_set(rq->pub.arena, view, "form", sent) ? 500 : 200;
}

/* The route's answer: its handler after its input's check, or a picker's
 * search. */
static int run_route(struct request *rq, struct portal_value *view)
{
	if (!view)
		return 500;
	if (!rq->pub.is_api && picker_searched(&rq->pub))
		return picker_search(rq, view);
	int status = check_inputs(rq, view);
	return status ? status : rq->match.route->handler(&rq->pub, view);
}

static int route_request(struct request *rq, struct portal_worker *w)
{
	enum route_result r =
	    router_match(w->plugins->router, rq->pub.method, rq->pub.path, &rq->match);
	if (r == ROUTE_BAD_METHOD)
		return portal_fail(&rq->pub, 405, "method_not_allowed", NULL, "error.title.405");
	if (r == ROUTE_NOT_FOUND)
		return portal_fail(&rq->pub, 404, "not_found", NULL, "error.title.404");
	rq->plugin = rq->match.owner;
	rq->pub.plugin_state = rq->plugin->state;
	return 0;
}

/* nginx's request id: 32 hex digits; anything else is not logged. */
static const char *request_id(const struct request *rq)
{
	const char *id = portal_header(&rq->pub, "REQUEST_ID");
	return id && strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32 ? id : "-";
}

/* One line a request: what it asked, how it ended, what it cost (the
 * database's round trips and time), and nginx's id of it, so that the line
 * and nginx's access line find each other. */
static void log_request(const struct request *rq, const struct portal_worker *w, const char *path,
                        long long ms)
{
	const struct portal_route *r = rq->match.route;
	const char *pattern = !r ? "-" : rq->pub.is_api ? r->api_path : r->page_path;
	unsigned trips;
	long long db_us;
	db_request_stats(w->db, &trips, &db_us);
	portal_log("%s %s %d %lldms worker=%d route=%s%s db=%u db_time=%lld.%03lldms id=%s",
	           rq->pub.method, path, rq->status, ms, w->number,
	           r && rq->pub.is_api ? "/api/v1" : "", pattern, trips, db_us / 1000, db_us % 1000,
	           request_id(rq));
}

/* Counts the request for /metrics under its route's pattern (the raw path
 * could hold ids and tokens). */
static void count_request(const struct request *rq, long long micros)
{
	const struct portal_route *r = rq->match.route;
	const char *pattern = !r ? NULL : rq->pub.is_api ? r->api_path : r->page_path;
	char route[METRICS_ROUTE_MAX];
	if (pattern)
		snprintf(route, sizeof route, "%s%s", rq->pub.is_api ? "/api/v1" : "", pattern);
	metrics_request(rq->pub.method, pattern ? route : NULL, rq->status, micros);
}

/* Serves one request; returns the arena bytes it used. */
static size_t serve(struct portal_worker *w, FCGX_Request *fr)
{
	long long start_us = metrics_now_us();
	struct request rq = {.fcgi = fr, .status = 200};
	rq.pub.worker = w;
	rq.plugin = &w->plugins->items[0];
	if (!(rq.pub.arena = arena_new((size_t)config_int(w->cfg, "arena_bytes")))) {
		FCGX_PutS("Status: 503 Service Unavailable\r\n\r\n", fr->out);
		return 0;
	}
	db_request_start(w->db);
	struct portal_value *view = pv_object(rq.pub.arena);
	int status = request_read(&rq, w);
	if (!status)
		status = route_request(&rq, w);
	/* Who is asking, also for the page of a route not found, unless the route
	 * serves everyone alike. */
	const struct portal_route *route = rq.match.route;
	bool anonymous = route && (route->flags & PORTAL_ROUTE_ANONYMOUS);
	if ((!status || status == 404 || status == 405) && !anonymous) {
		int session = session_resolve(&rq, route ? route->flags : 0);
		status = status ? status : session;
	}
	char path[SLOT_PATH_MAX];
	safe_path(&rq, path, sizeof path);
	rq.log_path = path;
	snprintf(w->slot->method, sizeof w->slot->method, "%s", rq.pub.method);
	snprintf(w->slot->path, sizeof w->slot->path, "%s", path);
	if (!status && (status = check_access(&rq)))
		portal_fail(&rq.pub, status, NULL, NULL, NULL);
	/* Only a request that may reach its handler has its body parsed. */
	if (!status)
		status = request_read_body(&rq, w);
	else
		request_skip_body(&rq);
	if (!status)
		status = check_origin(&rq, w);
	if (!status && unsafe_method(rq.pub.method) &&
	    !(rq.match.route->flags & PORTAL_ROUTE_NO_CSRF))
		status = session_check_csrf(&rq);
	if (!status)
		status = run_route(&rq, view);
	if (status == 401 && !rq.pub.is_api && strcmp(rq.pub.method, "GET") == 0)
		status = portal_redirect(&rq.pub, "/login");
	rq.status = status;
	db_request_end(w->db);
	files_request_end(&rq.pub);
	respond(&rq, w, view);
	long long micros = metrics_now_us() - start_us;
	log_request(&rq, w, path, micros / 1000);
	count_request(&rq, micros);
	buf_free(&rq.headers);
	size_t used = arena_used(rq.pub.arena);
	arena_free(rq.pub.arena);
	return used;
}

void worker_main(const struct config *cfg, struct plugin_set *plugins, int listen_fd,
                 struct slot *slot, int number)
{
	struct portal_worker w = {.cfg = cfg, .plugins = plugins, .slot = slot, .number = number};
	char role[32];
	snprintf(role, sizeof role, "worker %d", number);
	child_start(role, on_term);
	char err[512];
	if (worker_setup(&w, err, sizeof err))
		die(err);

	FCGX_Request fr;
	if (FCGX_InitRequest(&fr, listen_fd, 0))
		die("FCGX_InitRequest");
	long max = config_int(cfg, "max_requests");
	while (!stopping && slot->served < (unsigned long)max) {
		if (FCGX_Accept_r(&fr) < 0)
			break;
		__atomic_store_n(&slot->busy_ms, now_ms(), __ATOMIC_RELAXED);
		size_t used = serve(&w, &fr);
		FCGX_Finish_r(&fr);
		slot->served++;
		__atomic_store_n(&slot->busy_ms, 0, __ATOMIC_RELAXED);
		/* A large request leaves a large heap; otherwise look now and then. */
		if ((used > LARGE_REQUEST_BYTES || slot->served % SIZE_CHECK_EVERY == 0) &&
		    memory_outgrown(cfg))
			break;
	}
	worker_teardown(&w);
	_exit(0);
}
