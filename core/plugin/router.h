/* The router: method and path patterns of core's and the plugins' routes, with
 * typed parameters. A route with api_path is entered under /api/v1, one with
 * page_path as a page; a route may be both. */
#ifndef CORE_ROUTER_H
#define CORE_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "portal/portal.h"

#define ROUTE_MAX_PARAMS 8

struct router;

struct route_param {
	const char *name;
	bool is_id;
	const char *value; /* points into the matched path copy */
	size_t len;
	long long id;
};

struct route_match {
	const struct portal_route *route;
	void *owner; /* what router_add was given: the plugin */
	bool api;
	struct route_param params[ROUTE_MAX_PARAMS];
	int nparams;
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

struct router *router_new(void);
void router_free(struct router *r);

/* Adds both renderings of route. Fails, with one line in err, on a malformed
 * pattern or one that clashes with a route already added (same method and the
 * same shape of path). */
int router_add(struct router *r, const struct portal_route *route, void *owner,
               const char *owner_name, char *err, size_t errlen);

/* Matches path (which must not contain a query). For a path under /api/v1 only
 * API routes are considered, elsewhere only pages. Literal segments win over
 * parameters. */
enum route_result router_match(const struct router *r, const char *method, const char *path,
                               struct route_match *m);

/* Whether path names the API (/api/v1 or below it). */
bool router_is_api(const char *path);

#endif
