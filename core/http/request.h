/* What a request is served with inside core: the serving process's context
 * (struct portal_worker, the SDK's opaque req->worker) and the request itself
 * with what the pipeline records of its answer. The pool's processes fill
 * the context (pool/worker.h); everything that serves a request reads it. */
#ifndef CORE_HTTP_REQUEST_H
#define CORE_HTTP_REQUEST_H

#include <fcgiapp.h>
#include <stdbool.h>

#include "http/parse.h"
#include "lib/buf.h"
#include "lib/config.h"
#include "plugin/plugin.h"
#include "plugin/router.h"
#include "portal/portal.h"
#include "view/template.h"

struct slot;

struct portal_worker {
	const struct config *cfg;
	struct plugin_set *plugins;
	struct db *db;
	/* Per plugin (index as in plugins->items): its templates/ then core's, and
	 * its catalogs merged with core's, [0] German, [1] English. */
	struct tpl_set **templates;
	struct locale *(*locales)[2];
	struct slot *slot; /* the pool's scoreboard entry; NULL in portalctl */
	int number;
	struct parse_limits limits;
	/* The static files' version in the layout's links to them (worker.c). */
	char asset_version[13];
};

/* A request inside core: the public part first, so the SDK's struct portal_req
 * pointer converts back with request_of(). */
struct request {
	struct portal_req pub;
	FCGX_Request *fcgi; /* NULL for a job's request */
	/* The path as a log line may show it (worker.c: tokens masked, no query);
	 * NULL for a job's request, whose path is the job's name. */
	const char *log_path;
	struct route_match match;
	const struct plugin *plugin;
	int status;
	const char *error_code, *error_field, *error_message;
	const char *location; /* redirect target */
	const char *raw_type; /* portal_respond_raw: its content type and body */
	const char *raw_data;
	size_t raw_len;
	int raw_status;       /* the raw body goes out with this status too (not the error page) */
	long long session_id; /* 0: signed out */
	const char *csrf_token;
	/* What the session's one query gives besides the caller: what the layout
	 * shows, whether the caller's address is confirmed (GET /me), the
	 * generation of its categories (their cache), for a route with
	 * SESSION_ROUTE_HOME or _MEMBERSHIPS the organisation's content
	 * generation (the home's cache; -1 otherwise), and for a route with
	 * SESSION_ROUTE_MEMBERSHIPS the caller's memberships (NULL
	 * otherwise): a row each, by property name, with its property's card_id,
	 * card_name, card_street, card_zip, card_city, card_image_file and the
	 * card_state of the membership (one row with NULLs when there is none). */
	struct {
		const char *user_name, *org_name, *brand_color, *logo_url;
		bool email_confirmed;
		long long categories_generation, content_generation;
		struct portal_value *memberships;
	} signed_in;
	struct buf headers;             /* extra response header lines */
	struct portal_value *sent_body; /* the body as sent, for a form shown again */
	bool streamed;                  /* respond_stream_start sent the page's start */
	struct files_upload *uploading; /* stored files counted as in flight (http/files.h) */
	bool content_changed;           /* portal_content_changed in the open transaction */
};

static inline struct request *request_of(const struct portal_req *req)
{
	return (struct request *)req;
}

/* Reads and parses the FastCGI request into rq: request_read its head (arena,
 * path, query, cookies, locale), request_read_body its body, which the pool
 * reads only once the route and the caller are known to be allowed; a
 * refused request's body is skipped, read and dropped (nginx is sending it),
 * never parsed or spooled to disk. Return 0, or an error status with the
 * error recorded in rq. */
int request_read(struct request *rq, struct portal_worker *w);
int request_read_body(struct request *rq, struct portal_worker *w);
void request_skip_body(struct request *rq);

/* The catalog of plugin (NULL: core) in locale ("de"/"en"). */
const struct locale *worker_locale(const struct portal_worker *w, const char *locale,
                                   const struct plugin *plugin);

/* The text of a locale key in locale ("de"/"en"): the key itself if unknown. */
const char *worker_text(const struct portal_worker *w, const char *locale,
                        const struct plugin *plugin, const char *key);

/* Writes the response for rq: the view as JSON or page, or its error. */
void respond(struct request *rq, struct portal_worker *w, struct portal_value *view);

/* A page that works for seconds (the import) shows how far it got before it
 * is done, without script. respond_stream_start renders the route's page
 * with view ("streaming" set) and sends it at once as far as the mark
 * <!--portal:stream--> in its template, status 200; respond_stream_part
 * sends the template name rendered with view at once; when the handler
 * returns, the page is rendered again with its final view (or the error of
 * its status, shown inside the page: the status went out) and what follows
 * the mark is sent. Each returns 0, or 500 (nothing sent) when the route has
 * no page, its template no mark, or rendering failed. Pages only. */
int respond_stream_start(struct portal_req *req, struct portal_value *view);
int respond_stream_part(struct portal_req *req, const char *name, const struct portal_value *view);

#endif
