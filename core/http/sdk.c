/* The SDK calls a handler makes on its request (portal/request.h, portal/db.h,
 * portal/portal.h). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "portal/text.h"
#include "view/template.h"
#include "http/request.h"

static const struct route_param *find_param(const struct portal_req *req, const char *name)
{
	const struct route_match *m = &request_of(req)->match;
	for (int i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return &m->params[i];
	return NULL;
}

long long portal_param_id(const struct portal_req *req, const char *name)
{
	const struct route_param *p = find_param(req, name);
	return p && p->is_id ? p->id : 0;
}

const char *portal_param_str(const struct portal_req *req, const char *name)
{
	const struct route_param *p = find_param(req, name);
	return p ? portal_strndup(req->arena, p->value, p->len) : NULL;
}

const char *portal_header(const struct portal_req *req, const char *cgi_name)
{
	const FCGX_Request *fcgi = request_of(req)->fcgi;
	return fcgi ? FCGX_GetParam(cgi_name, fcgi->envp) : NULL; /* a job has none */
}

static bool header_safe(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

int portal_set_header(struct portal_req *req, const char *name, const char *value)
{
	if (!name || !value || !header_safe(name) || !header_safe(value) || strchr(name, ':'))
		return 500;
	return buf_printf(&request_of(req)->headers, "%s: %s\r\n", name, value) ? 500 : 0;
}

int portal_fail(struct portal_req *req, int status, const char *code, const char *field,
                const char *message)
{
	struct request *rq = request_of(req);
	rq->status = status;
	rq->error_code = code;
	rq->error_field = field;
	rq->error_message = message;
	return status;
}

int portal_not_found(struct portal_req *req)
{
	return portal_fail(req, 404, "not_found", NULL, "error.title.404");
}

const char *portal_refused_field(const struct portal_req *req)
{
	return request_of(req)->error_field;
}

int portal_respond_raw(struct portal_req *req, const char *content_type, const void *data,
                       size_t len)
{
	struct request *rq = request_of(req);
	if (!content_type || !header_safe(content_type) ||
	    !(rq->raw_type = portal_strdup(req->arena, content_type)) ||
	    !(rq->raw_data = portal_strndup(req->arena, data, len)))
		return 500;
	rq->raw_len = len;
	return 200;
}

int portal_redirect(struct portal_req *req, const char *location)
{
	struct request *rq = request_of(req);
	/* Only local paths: an open redirect would help phishing. */
	if (!location || location[0] != '/' || location[1] == '/' || location[1] == '\\' ||
	    !header_safe(location))
		location = "/";
	rq->location = portal_strdup(req->arena, location);
	rq->status = 303;
	return 303;
}

bool portal_form_sent(const struct portal_req *req, const char *action)
{
	size_t n = action ? strcspn(action, "?#") : 0;
	return !req->is_api && strcmp(req->method, "POST") == 0 && n > 0 &&
	       strncmp(req->path, action, n) == 0 && req->path[n] == '\0';
}

int portal_db_query(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                    size_t nargs, struct portal_value **rows)
{
	return db_run(req->worker->db, req->arena, sql, args, nargs, rows, NULL, NULL);
}

struct portal_db_arg portal_db_ids(struct portal_req *req, const long long *ids, size_t count)
{
	struct portal_buf json = {.arena = req->arena};
	portal_buf_puts(&json, "[");
	for (size_t i = 0; i < count; i++)
		portal_buf_printf(&json, "%s%lld", i ? "," : "", ids[i]);
	portal_buf_puts(&json, "]");
	return PDB_S(json.failed ? NULL : json.data);
}

const char *portal_db_placeholders(struct portal_req *req, const long long *ids, size_t count,
                                   struct portal_db_arg *args, size_t *n)
{
	struct portal_buf marks = {.arena = req->arena};
	for (size_t i = 0; i < count; i++) {
		portal_buf_puts(&marks, i ? ",?" : "?");
		args[(*n)++] = PDB_I(ids[i]);
	}
	return marks.failed ? NULL : marks.data;
}

int portal_db_one(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                  size_t nargs, struct portal_value **row)
{
	struct portal_value *rows;
	int status = portal_db_query(req, sql, args, nargs, &rows);
	if (status)
		return status;
	if (!(*row = pv_first(rows)))
		return portal_not_found(req);
	return 0;
}

int portal_db_exec(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                   size_t nargs, unsigned long long *affected, unsigned long long *insert_id)
{
	return db_run(req->worker->db, req->arena, sql, args, nargs, NULL, affected, insert_id);
}

int portal_db_exec_one(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                       size_t nargs)
{
	unsigned long long affected = 0;
	int status = portal_db_exec(req, sql, args, nargs, &affected, NULL);
	if (!status && affected == 0)
		status = portal_not_found(req);
	return status;
}

int portal_db_begin(struct portal_req *req)
{
	return db_begin(req->worker->db);
}

/* What lost to another write at the same instant is tried again after a
 * pause at random, so that the losers do not meet once more. Eight reports
 * at one instant on two hosts, all taking the organisation's next ticket
 * number: each round of certification lets one through per host, so the
 * pause doubles (at most 20, 40, 80, 160 ms). */
#define TRIES 5
#define PAUSE_MS 10

static void pause_before_try(int try)
{
	/* the winner is committing: a moment later its rows are free */
	long ms = 1 + (long)randombytes_uniform(PAUSE_MS << try);
	nanosleep(&(struct timespec){0, ms * 1000000L}, NULL);
}

/* The organisation's content generation goes up in a statement of its own
 * (autocommit), after what changed is committed and before the request is
 * answered. Inside the writing transaction the raised row would be held to
 * the commit, and on a cluster every write would meet the other hosts' raises
 * in certification. Afterwards it holds no other lock, so it only ever waits
 * (or loses certification, below); and no worker can keep a home of before
 * the change under the new generation, which it reads only once the change
 * is committed.
 *
 * It raises one of the organisation's slots (sql/027), at random: raises at
 * one instant on two hosts of a cluster then rarely meet in one row, and when
 * they do, the one that lost certification (503) is tried again, up to five
 * times with the pauses above (three tries without them were once not
 * enough for sixteen creates on two hosts). A slot not
 * there yet (a new organisation) is made by its first raise; an insert every
 * time would check its foreign key, holding the organisation's row. A
 * failure that stays (the connection lost) is logged, not returned: the
 * change is committed, and a caller told otherwise would undo what goes with
 * it (stored files); cached homes expire within a minute. */
#define GENERATION_SLOTS 8

static int raise_generation_slot(struct portal_req *req, long long slot)
{
	unsigned long long raised = 0;
	int status =
	    portal_db_exec(req,
	                   "UPDATE content_generations SET generation = generation + 1"
	                   " WHERE org_id = ? AND slot = ?",
	                   PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(slot)), &raised, NULL);
	if (status || raised)
		return status;
	return portal_db_exec(
	    req,
	    "INSERT INTO content_generations (org_id, slot, generation)"
	    " VALUES (?, ?, 1) ON DUPLICATE KEY UPDATE generation = generation + 1",
	    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_I(slot)), NULL, NULL);
}

static void bump_content_generation(struct portal_req *req)
{
	request_of(req)->content_changed = false;
	int status = raise_generation_slot(req, randombytes_uniform(GENERATION_SLOTS));
	for (int try = 1; status == 503 && try < TRIES; try++) {
		pause_before_try(try);
		status = raise_generation_slot(req, randombytes_uniform(GENERATION_SLOTS));
	}
	if (status)
		portal_log("organisation %lld: content changed, but its generation was not raised"
		           " (cached homes may show the old content for up to a minute)",
		           req->caller.org_id);
}

int portal_db_commit(struct portal_req *req)
{
	int status = db_commit(req->worker->db);
	if (!status && request_of(req)->content_changed)
		bump_content_generation(req);
	request_of(req)->content_changed = false;
	return status;
}

int portal_db_rollback(struct portal_req *req)
{
	request_of(req)->content_changed = false;
	return db_rollback(req->worker->db);
}

int portal_db_transaction(struct portal_req *req, int (*body)(struct portal_req *req, void *ctx),
                          void *ctx)
{
	/* What a try may change of the request besides the database: its
	 * headers and its session (portal_session_start, which sets a cookie).
	 * A rerun starts from the request as it was before the first. */
	struct request *rq = request_of(req);
	const size_t headers = rq->headers.len;
	const struct portal_caller caller = req->caller;
	const long long session_id = rq->session_id;
	const char *const csrf_token = rq->csrf_token;
	for (int try = 1;; try++) {
		int status;
		if (!(status = portal_db_begin(req)) && !(status = body(req, ctx)) &&
		    !(status = portal_db_commit(req)))
			return 0;
		bool again = status == 503 && db_lost_to_another(req->worker->db);
		portal_db_rollback(req);
		if (!again)
			return status;
		buf_truncate(&rq->headers, headers);
		req->caller = caller;
		rq->session_id = session_id;
		rq->csrf_token = csrf_token;
		if (try == TRIES) {
			/* Never the raw path: a sign-up's holds its link's token. */
			portal_log("%s %s: its transaction lost to others %d times", req->method,
			           rq->log_path ? rq->log_path : req->path, TRIES);
			return status;
		}
		pause_before_try(try);
	}
}

const struct locale *worker_locale(const struct portal_worker *w, const char *locale,
                                   const struct plugin *plugin)
{
	size_t i = plugin ? (size_t)(plugin - w->plugins->items) : 0;
	return w->locales[i][strcmp(locale, "en") == 0];
}

const char *worker_text(const struct portal_worker *w, const char *locale,
                        const struct plugin *plugin, const char *key)
{
	if (!key)
		return "";
	const char *t = locale_get(worker_locale(w, locale, plugin), key);
	return t ? t : key;
}

const char *portal_t(const struct portal_req *req, const char *key)
{
	return worker_text(req->worker, req->locale, request_of(req)->plugin, key);
}

const char *portal_config(const struct portal_req *req, const char *key)
{
	return config_get(req->worker->cfg, key);
}

const char *portal_setting(const struct portal_req *req, const char *key)
{
	struct portal_context ctx = {.settings = &request_of(req)->plugin->settings};
	return portal_context_setting(&ctx, key);
}

long long portal_setting_int(const struct portal_req *req, const char *key)
{
	const char *v = portal_setting(req, key);
	return v ? strtoll(v, NULL, 10) : 0;
}

int portal_content_changed(struct portal_req *req)
{
	request_of(req)->content_changed = true;
	if (!db_in_transaction(req->worker->db))
		bump_content_generation(req); /* the change is committed already */
	return 0;
}

int portal_emit(struct portal_req *req, const char *event, const struct portal_value *payload)
{
	const struct plugin_set *set = req->worker->plugins;
	for (size_t i = 0; i < set->count; i++) {
		for (const struct portal_listener *l = set->items[i].def->listeners; l && l->event;
		     l++) {
			if (strcmp(l->event, event) != 0)
				continue;
			/* The listener acts as its own plugin: its state, its templates
			 * and texts (portal_mail, portal_t). */
			struct request *rq = request_of(req);
			const struct plugin *saved_plugin = rq->plugin;
			void *saved = req->plugin_state;
			rq->plugin = &set->items[i];
			req->plugin_state = set->items[i].state;
			int status = l->on_event(req, event, payload);
			req->plugin_state = saved;
			rq->plugin = saved_plugin;
			if (status)
				return status;
		}
	}
	return 0;
}
