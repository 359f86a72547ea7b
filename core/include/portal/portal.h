/* The plugin SDK. A plugin is a shared object exporting one constant symbol,
 *
 *     const struct portal_plugin portal_plugin_v1 = { PORTAL_PLUGIN_V1, ... };
 *
 * with declarative tables (routes with their inputs, navigation, event
 * listeners, home sections, jobs, settings, kinds of mail) and two hooks. The
 * loader refuses a plugin whose abi_version differs, whose struct_size is too
 * small, whose name differs from its file, whose tables are malformed (a bad
 * schedule, a setting's bad value) or clash with another's, or that lacks its
 * sql/ folder. Copy plugins/example to start a new one; README.md beside this
 * header is the guide.
 *
 * Return convention, throughout the SDK: a call that can fail returns an HTTP
 * status, 0 for success, so a handler can pass a failure on as it is
 * (`if ((status = portal_db_exec(...))) return status;`). Calls that are
 * themselves an answer (portal_fail, portal_redirect, portal_respond_raw,
 * portal_file_send) return the status to answer with, and handlers return the
 * status of their answer (200, 201, 204, ...). Pointers that may be NULL say
 * so; what a call returns lives in the request's arena unless it says
 * otherwise. */
#ifndef PORTAL_PORTAL_H
#define PORTAL_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "data.h"
#include "db.h"
#include "input.h"
#include "request.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_ABI_VERSION 1u

struct portal_search_index;

/* A handler reads typed input from req, fills view and returns the HTTP status:
 * 200/201/204 on success, or what portal_fail / portal_db_* returned. */
typedef int (*portal_handler)(struct portal_req *req, struct portal_value *view);

/* Who may call a route; the router refuses everyone else before the handler runs
 * (401 signed out, 404 wrong role, 403 a manager without the admin flag). */
enum portal_access {
	PORTAL_ACCESS_PUBLIC = 0,
	PORTAL_ACCESS_SIGNED_IN,
	PORTAL_ACCESS_MANAGER,
	PORTAL_ACCESS_ADMIN,
	PORTAL_ACCESS_RESIDENT,
};

enum portal_route_flags {
	/* No CSRF token required: routes that create a session (sign-in, sign-up)
	 * and webhooks. A foreign Origin header is refused all the same. */
	PORTAL_ROUTE_NO_CSRF = 1u << 0,
	/* Serves every caller alike (a feed, a stylesheet, a health check): the
	 * session is not looked up, which saves the request its query, and
	 * req->caller is empty. Only on PORTAL_ACCESS_PUBLIC routes. */
	PORTAL_ROUTE_ANONYMOUS = 1u << 1,
};

/* One handler, two renderings: api_path is served under /api/v1 as JSON,
 * page_path as HTML through page_template inside the layout. Either may be
 * NULL. Patterns use {name} segments: "id" and "*_id" must be positive
 * integers (anything else is a 404), other names are tokens of
 * [A-Za-z0-9_.-]{1,128}.
 *
 * inputs declares what the route reads from the body and the query (see
 * portal/input.h): the pipeline checks them before the handler runs and
 * answers 422 on the first bad one; the handler sees only what is declared.
 * NULL: the route reads no input. */
struct portal_route {
	const char *method;
	const char *api_path;
	const char *page_path;
	enum portal_access access;
	unsigned flags;
	portal_handler handler;
	const char *page_template;         /* file below the plugin's templates/, without .html */
	const char *title;                 /* locale key of the page title */
	const struct portal_input *inputs; /* terminated by name NULL; may be NULL */
	/* Pages: when the inputs were refused, fills the view so that the page's
	 * form can be shown again around the error (the choices of a select, say);
	 * usually the handler of the page's GET. May be NULL. */
	portal_handler form;
};

/* An entry of the manager menu (area "app") or the resident menu ("portal"). */
struct portal_nav {
	const char *area;
	const char *label; /* locale key */
	const char *href;
	int order;
};

/* Called, inside the emitting request and its transaction, for every event of
 * that name. A non-zero return (an HTTP status) fails the emitting request. */
struct portal_listener {
	const char *event;
	int (*on_event)(struct portal_req *req, const char *event,
	                const struct portal_value *payload);
};

enum portal_home_flags {
	/* What every resident of these properties sees alike (no reads, nothing
	 * of the person): each worker keeps the rendered section per properties
	 * and language, and serves it again until the organisation's content
	 * changes (portal_content_changed) or a minute passed. */
	PORTAL_HOME_SHARED = 1u << 0,
};

/* A section of the residents' home (/portal), also shown in a manager's
 * preview of a property. fill gets the ids of the properties whose content
 * the home shows (a resident's active ones, or the one previewed: then the
 * caller is a manager, and fill must change nothing, e.g. record no reads) and
 * fills view for template_name (the plugin's); it returns 0 to show the
 * section, 204 to leave it out (nothing to show), or an HTTP status. */
struct portal_home_section {
	const char *template_name;
	int (*fill)(struct portal_req *req, const long long *property_ids, size_t count,
	            struct portal_value *view);
	unsigned flags; /* enum portal_home_flags; since SDK 2 (home_size) */
};

enum portal_job_flags {
	/* Runs on every host (work on local files); other jobs run once per
	 * period in the whole deployment, claimed in the database. */
	PORTAL_JOB_EACH_HOST = 1u << 0,
};

/* Work the jobs worker does on a schedule, one job at a time:
 *   "every 30s", "every 15m", "every 2h"  periods counted from the epoch;
 *   "daily 06:30"                        in the deployment's time_zone;
 *   "daily @key"                         the time HH:MM of the plugin's setting
 *                                        key (check it with a setting check).
 * Each period runs once, as soon as the jobs worker is free after it began (a
 * period missed while the portal was down runs when it is up again, once).
 * run gets a request without a caller, in a fresh arena, with the database
 * and the whole SDK (portal_mail included; pass each mail's org_id and the
 * recipient's locale); a transaction left open is rolled back. It returns 0,
 * or an HTTP status for a failure (logged; portalctl jobs list shows it), and
 * should return early when portal_job_stopping() says so. A run may overlap a
 * run started by hand (portalctl jobs run): claim rows, not the job. */
struct portal_job {
	const char *name; /* [a-z0-9_-]{1,48}, unique in the deployment */
	const char *schedule;
	int (*run)(struct portal_req *req);
	unsigned flags;
};

/* A setting of the plugin's own, in portal.conf as "<plugin>.<key> = value".
 * The loader refuses (portald -t, and a reload keeps the running generation)
 * a key the plugin does not declare and a value it does not accept, with one
 * line naming them. */
struct portal_setting {
	const char *key;  /* [a-z0-9_]{1,48} */
	const char *dflt; /* when the file does not set it; NULL: unset */
	/* Both 0: text. Otherwise a whole number from min to max. */
	long long min, max;
	/* Further checks of the plugin: NULL when value is usable, else a short
	 * reason ("is not a time zone"). May be NULL. */
	const char *(*check)(const char *value);
};

/* A kind of mail to residents that each of them can turn off: the plugin's
 * switch of GET/PATCH /api/v1/me/notifications and the settings page. */
struct portal_notification {
	const char *kind;  /* [a-z_]{1,32}: the key in the API */
	const char *label; /* locale key of the switch's label */
	const char *hint;  /* locale key of the line that says what it sends; may be NULL */
};

/* What init gets: the plugin's place in the deployment. Valid during init;
 * copy what you keep. */
struct portal_context {
	const char *plugin;    /* its name */
	const char *share_dir; /* its sql/, templates/ and locale/ (read only) */
	const char *files_dir; /* the deployment's stored files (portal/files.h) */
	const char *tmp_dir;   /* for temporary files */
	const struct portal_plugin_settings *settings; /* for portal_context_setting */
};

/* The plugin's setting key (declared in its table), or its default; NULL when
 * neither. portal_setting (portal/request.h) reads the same in a request. */
const char *portal_context_setting(const struct portal_context *ctx, const char *key);

struct portal_plugin {
	uint32_t abi_version; /* PORTAL_ABI_VERSION */
	uint32_t struct_size; /* sizeof(struct portal_plugin) when built */
	const char *name;     /* must equal the file name: <name>.so */
	const char *version;
	const char *description;
	const struct portal_route *routes;       /* terminated by handler NULL */
	const struct portal_nav *nav;            /* terminated by label NULL; may be NULL */
	const struct portal_listener *listeners; /* terminated by event NULL; may be NULL */
	/* The first SDK's init, kept for plugins built with it; leave it NULL and
	 * use init below. */
	int (*init_v1)(void **state);
	void (*fini)(void *state); /* when the process exits; may be NULL */
	/* Sections of the residents' home, terminated by template_name NULL; may be NULL. */
	const struct portal_home_section *home;
	/* The members below took reserved slots; plugins built before them read
	 * as NULL or 0 there. */
	const struct portal_job *jobs;                   /* terminated by name NULL; may be NULL */
	const struct portal_setting *settings;           /* terminated by key NULL; may be NULL */
	const struct portal_notification *notifications; /* terminated by kind NULL; may be NULL */
	/* Once in every process that serves (each request worker and the jobs
	 * worker, after fork); *state is handed back in req->plugin_state. Returns
	 * 0, or non-zero to stop the process from starting. May be NULL. */
	int (*init)(const struct portal_context *ctx, void **state);
	/* sizeof(struct portal_route) when built (PORTAL_PLUGIN_V1 sets it), so
	 * routes of an older, shorter layout are still read right; 0: the first
	 * SDK's layout, without inputs and form. */
	size_t route_size;
	/* sizeof(struct portal_home_section) when built, likewise; 0: the first
	 * SDK's layout, without flags. */
	size_t home_size;
	/* How the plugin's tables hold an organisation's and a person's data
	 * (portal/data.h), terminated by table NULL; may be NULL. A column named
	 * as .file there names stored files: a stored file goes once no such
	 * column of any plugin names it. Read only when struct_size covers it. */
	const struct portal_table *tables;
	/* The default list of the plugin's categories (portal/categories.h),
	 * NULL-terminated; may be NULL. Read only when struct_size covers it. */
	const char *const *categories;
	/* The plugin's search indexes (portal/search.h), terminated by name
	 * NULL; may be NULL. Read only when struct_size covers it. The struct
	 * grows at its end from here on (struct_size tells what a plugin has). */
	const struct portal_search_index *search;
};

#define PORTAL_PLUGIN_V1                                            \
	PORTAL_ABI_VERSION, (uint32_t)sizeof(struct portal_plugin), \
	    .route_size = sizeof(struct portal_route),              \
	    .home_size = sizeof(struct portal_home_section)

/* The one symbol a plugin exports; plugins are built with hidden visibility,
 * so everything else of theirs stays their own. */
#define PORTAL_EXPORT __attribute__((visibility("default")))
extern PORTAL_EXPORT const struct portal_plugin portal_plugin_v1;

/* Emits an event to every enabled plugin listening for it, in this request.
 * Returns 0, or the first listener's failure status. */
int portal_emit(struct portal_req *req, const char *event, const struct portal_value *payload);

/* Something every resident of the caller's organisation sees alike changed
 * (an announcement, an FAQ entry): the organisation's content generation is
 * raised when the open transaction commits (portal_db_commit; at once without
 * one), so that no worker serves a cached home section of before the change
 * once the request is answered. A rollback forgets it. 0 or an HTTP status. */
int portal_content_changed(struct portal_req *req);

/* Logs one line with the process's prefix; never pass secrets. */
void portal_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* In a job: whether the jobs worker was asked to stop (return soon, the next
 * period or run continues). Always false in a request. */
bool portal_job_stopping(void);

#ifdef __cplusplus
}
#endif

#endif
