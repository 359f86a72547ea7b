/* A worker process: what it holds for its whole life, and the request it serves. */
#ifndef CORE_WORKER_H
#define CORE_WORKER_H

#include <fcgiapp.h>
#include <stdbool.h>

#include "buf.h"
#include "config.h"
#include "parse.h"
#include "plugin.h"
#include "portal/portal.h"
#include "router.h"
#include "scoreboard.h"
#include "template.h"

struct portal_worker {
	const struct config *cfg;
	struct plugin_set *plugins;
	struct db *db;
	/* Per plugin (index as in plugins->items): its templates/ then core's, and
	 * its catalogs merged with core's, [0] German, [1] English. */
	struct tpl_set **templates;
	struct locale *(*locales)[2];
	struct slot *slot;
	int number;
	struct parse_limits limits;
};

/* A request inside core: the public part first, so the SDK's struct portal_req
 * pointer converts back with request_of(). */
struct request {
	struct portal_req pub;
	FCGX_Request *fcgi;
	struct route_match match;
	const struct plugin *plugin;
	int status;
	const char *error_code, *error_field, *error_message;
	const char *location; /* redirect target */
	const char *raw_type; /* portal_respond_raw: its content type and body */
	const char *raw_data;
	size_t raw_len;
	long long session_id; /* 0: signed out */
	const char *csrf_token;
	struct buf headers;   /* extra response header lines */
	struct portal_value *sent_body; /* the body as sent, for a form shown again */
};

static inline struct request *request_of(const struct portal_req *req)
{
	return (struct request *)req;
}

/* The start of every child of the master (request and jobs workers): its log
 * role, death with the master, SIGTERM to term_handler, the master's signals ignored
 * and the signal mask cleared. */
void child_start(const char *role, void (*term_handler)(int));

/* Sets up a process that serves (a request worker, the jobs worker,
 * portalctl's run of a job) from w's cfg and plugins: the time zone, the
 * database handle, each plugin's templates and catalogs, and the plugins'
 * init. 0, or -1 with one line in err. worker_teardown frees it all, the
 * plugin set included. */
int worker_setup(struct portal_worker *w, char *err, size_t errlen);
void worker_teardown(struct portal_worker *w);

/* Serves requests until told to stop or max_requests is reached; then exits. */
void worker_main(const struct config *cfg, struct plugin_set *plugins, int listen_fd,
		 struct slot *slot, int number) __attribute__((noreturn));

/* Reads and parses the FastCGI request into rq (arena, path, query, cookies,
 * body). Returns 0, or an error status with the error recorded in rq. */
int request_read(struct request *rq, struct portal_worker *w);

/* The catalog of plugin (NULL: core) in locale ("de"/"en"). */
const struct locale *worker_locale(const struct portal_worker *w, const char *locale,
				   const struct plugin *plugin);

/* The text of a locale key in locale ("de"/"en"): the key itself if unknown. */
const char *worker_text(const struct portal_worker *w, const char *locale,
			const struct plugin *plugin, const char *key);

/* Writes the response for rq: the view as JSON or page, or its error. */
void respond(struct request *rq, struct portal_worker *w, struct portal_value *view);

#endif
