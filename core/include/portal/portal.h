/* The plugin SDK. A plugin is a shared object exporting one constant symbol,
 *
 *     const struct portal_plugin portal_plugin_v1 = { PORTAL_PLUGIN_V1, ... };
 *
 * with declarative tables (routes, navigation, event listeners) and two hooks.
 * The loader refuses a plugin whose abi_version differs, whose struct_size is too
 * small, whose name differs from its file, or whose routes clash with another's.
 * Copy plugins/example to start a new one. */
#ifndef PORTAL_PORTAL_H
#define PORTAL_PORTAL_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"
#include "request.h"
#include "value.h"

#define PORTAL_ABI_VERSION 1u

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
};

/* One handler, two renderings: api_path is served under /api/v1 as JSON,
 * page_path as HTML through template inside the layout. Either may be NULL.
 * Patterns use {name} segments: "id" and "*_id" must be positive integers
 * (anything else is a 404), other names are tokens of [A-Za-z0-9_.-]{1,128}. */
struct portal_route {
	const char *method;
	const char *api_path;
	const char *page_path;
	enum portal_access access;
	unsigned flags;
	portal_handler handler;
	const char *template; /* file name below the plugin's templates/, without .html */
	const char *title;    /* locale key of the page title */
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
	int (*on_event)(struct portal_req *req, const char *event, const struct portal_value *payload);
};

/* A section of the residents' home (/portal), also shown in a manager's
 * preview of a property. fill gets the ids of the properties whose content
 * the home shows (a resident's active ones, or the one previewed: then the
 * caller is a manager, and fill must change nothing, e.g. record no reads) and
 * fills view for template (the plugin's); it returns 0 to show the section,
 * 204 to leave it out (nothing to show), or an HTTP status on failure. */
struct portal_home_section {
	const char *template;
	int (*fill)(struct portal_req *req, const long long *property_ids, size_t count,
		    struct portal_value *view);
};

struct portal_plugin {
	uint32_t abi_version; /* PORTAL_ABI_VERSION */
	uint32_t struct_size; /* sizeof(struct portal_plugin) when built */
	const char *name;     /* must equal the file name: <name>/<name>.so */
	const char *version;
	const char *description;
	const struct portal_route *routes;       /* terminated by an entry with handler NULL */
	const struct portal_nav *nav;            /* terminated by label NULL; may be NULL */
	const struct portal_listener *listeners; /* terminated by event NULL; may be NULL */
	/* Once per worker after fork; *state is handed back in req->plugin_state.
	 * Returns 0, or non-zero to stop the worker from starting. May be NULL. */
	int (*init)(void **state);
	void (*fini)(void *state); /* when the worker exits; may be NULL */
	/* Sections of the residents' home, terminated by template NULL; may be NULL.
	 * (Added in place of a reserved slot: plugins built before see NULL.) */
	const struct portal_home_section *home;
	void *reserved[7]; /* room to grow without breaking the ABI */
};

#define PORTAL_PLUGIN_V1 PORTAL_ABI_VERSION, (uint32_t)sizeof(struct portal_plugin)

/* The one symbol a plugin exports; plugins are built with hidden visibility,
 * so everything else of theirs stays their own. */
#define PORTAL_EXPORT __attribute__((visibility("default")))
extern PORTAL_EXPORT const struct portal_plugin portal_plugin_v1;

/* Emits an event to every enabled plugin listening for it, in this request.
 * Returns 0, or the first listener's failure status. */
int portal_emit(struct portal_req *req, const char *event, const struct portal_value *payload);

/* Logs one line with the worker's prefix; never pass secrets. */
void portal_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
