/* One request as a handler sees it: already parsed, bounded and validated. */
#ifndef PORTAL_REQUEST_H
#define PORTAL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A file part of a multipart body, streamed to a temporary file that is removed
 * when the request ends. */
struct portal_upload {
	const char *field;        /* form field name */
	const char *filename;     /* the client's name, for display only: never a path */
	const char *content_type; /* as the client declared it: not to be trusted */
	const char *path;         /* temporary file under the configured tmp folder */
	size_t size;
	struct portal_upload *next;
};

enum portal_role { PORTAL_ROLE_NONE = 0, PORTAL_ROLE_MANAGER = 1, PORTAL_ROLE_RESIDENT = 2 };

/* Who is calling. Filled by the session layer before routing. */
struct portal_caller {
	enum portal_role role;
	long long user_id;
	long long org_id;
	bool admin;
};

struct portal_req {
	struct portal_arena *arena;
	const char *method;         /* "GET", "POST", ... */
	const char *path;           /* decoded path without query, valid UTF-8 */
	bool is_api;                /* path under /api/v1: rendered as JSON */
	const char *client_addr;    /* the address nginx saw */
	const char *locale;         /* "de" or "en" */
	struct portal_value *query; /* the route's declared query members, typed (portal/input.h) */
	struct portal_value *body;  /* the route's declared body members, typed; never NULL */
	struct portal_value *cookies; /* object of strings */
	struct portal_value *params;  /* path parameters: ints for ids, strings otherwise */
	struct portal_upload *uploads;
	struct portal_caller caller;
	struct portal_worker *worker; /* opaque: the worker serving the request */
	void *plugin_state;           /* what the route's plugin returned from init */
	/* Fields may be appended in later ABI revisions, never reordered. */
};

/* Whether the caller is a manager of their organisation (an admin or not):
 * what a route open to both roles asks to choose between the manager's view
 * (the whole organisation) and a resident's (their properties). Access to a
 * route itself is the router's (struct portal_route's access), not this. */
static inline bool portal_is_manager(const struct portal_req *req)
{
	return req->caller.role == PORTAL_ROLE_MANAGER;
}

/* Path parameter {name}: an id (names "id" or ending in "_id") is a positive
 * integer, anything else a token. Return 0 / NULL when absent. */
long long portal_param_id(const struct portal_req *req, const char *name);
const char *portal_param_str(const struct portal_req *req, const char *name);

/* Request headers as FastCGI passed them (HTTP_X_CSRF_TOKEN, CONTENT_TYPE); NULL if absent. */
const char *portal_header(const struct portal_req *req, const char *cgi_name);

/* Response. A header containing CR or LF is refused with 500. */
int portal_set_header(struct portal_req *req, const char *name, const char *value);

/* Records an error for the response ({"error": {code, message, field}} or the error
 * page) and returns status, so a handler can `return portal_fail(...)`. The message
 * is a locale key or plain text; field may be NULL. */
int portal_fail(struct portal_req *req, int status, const char *code, const char *field,
                const char *message);

/* portal_fail's 404 "not_found": what the caller may not see does not exist
 * for them (never 403: ids leak nothing). */
int portal_not_found(struct portal_req *req);

/* The field of the error recorded so far (by portal_fail, or the check of
 * the declared inputs), NULL when none: a page's form handler marks that
 * field (aria-invalid) when the form is shown again. */
const char *portal_refused_field(const struct portal_req *req);

/* Answers with data as is (a calendar, an image, a stylesheet) instead of the
 * view, on the API and pages alike. data is copied. Returns 200, or 500. */
int portal_respond_raw(struct portal_req *req, const char *content_type, const void *data,
                       size_t len);

/* For pages: answer 303 to location (a local path). Returns 303. A page whose
 * unsafe request fails with a 4xx other than 401/404 is rendered again through
 * its template, with "error" ({code, message, field}) and "form" (the fields
 * sent) in the view, so the form shows what to correct. Every page's view
 * also has "csrf_token" for its forms and "enabled" ({"invites": true, ...}:
 * the running plugins, so a page links to another plugin's pages only when
 * they exist). */
int portal_redirect(struct portal_req *req, const char *location);

/* Whether the request is the post of the page form whose action is action
 * (its query and fragment ignored): the form refused and shown again, or a
 * search of its picker (portal/picker.h). Such a form shows what was sent
 * (req->body) instead of what is stored; on a page of many forms, this one
 * opens. */
bool portal_form_sent(const struct portal_req *req, const char *action);

/* The text of a locale key in the request's language (the key itself if unknown). */
const char *portal_t(const struct portal_req *req, const char *key);

/* A setting of the deployment ("key = value" in portal.conf: base_url,
 * time_zone, ...), NULL if unset. */
const char *portal_config(const struct portal_req *req, const char *key);

/* A setting of the calling plugin ("<plugin>.<key> = value", declared in its
 * settings table), or its default; NULL when neither. portal_setting_int: a
 * whole-number setting (the loader checked its range). */
const char *portal_setting(const struct portal_req *req, const char *key);
long long portal_setting_int(const struct portal_req *req, const char *key);

#ifdef __cplusplus
}
#endif

#endif
