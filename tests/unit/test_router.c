/* The router: patterns, typed parameters, precedence, clashes, methods. */
#include "harness.h"
#include "plugin/router.h"

static int handler(struct portal_req *req, struct portal_value *view)
{
	(void)req;
	(void)view;
	return 200;
}

static const struct portal_route routes[] = {
    {"GET", "/tickets", "/app/tickets", PORTAL_ACCESS_MANAGER, 0, handler, "t", NULL},
    {"GET", "/tickets/{id}", "/app/tickets/{id}", PORTAL_ACCESS_MANAGER, 0, handler, "t", NULL},
    {"POST", "/tickets/{id}/comments", NULL, PORTAL_ACCESS_SIGNED_IN, 0, handler, NULL, NULL},
    {"GET", NULL, "/app/tickets/new", PORTAL_ACCESS_MANAGER, 0, handler, "n", NULL},
    {"GET", "/join/{token}", "/join/{token}", PORTAL_ACCESS_PUBLIC, 0, handler, "j", NULL},
    {"GET", "/calendar/{token}.ics", NULL, PORTAL_ACCESS_PUBLIC, 0, handler, NULL, NULL},
    {"DELETE", "/properties/{id}/residents/{user_id}", NULL, PORTAL_ACCESS_MANAGER, 0, handler,
     NULL, NULL},
    {"GET", NULL, "/", PORTAL_ACCESS_PUBLIC, 0, handler, "home", NULL},
};

static enum route_result match(struct router *r, const char *method, const char *path,
                               struct route_match *m)
{
	memset(m, 0, sizeof *m);
	return router_match(r, method, path, m);
}

int main(void)
{
	char err[256];
	struct router *r = router_new();
	int owner;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		CHECK(router_add(r, &routes[i], &owner, "test", err, sizeof err) == 0);

	struct route_match m;
	CHECK(match(r, "GET", "/api/v1/tickets", &m) == ROUTE_FOUND && m.api &&
	      m.route == &routes[0] && m.owner == &owner);
	CHECK(match(r, "GET", "/app/tickets", &m) == ROUTE_FOUND && !m.api);
	CHECK(match(r, "GET", "/app/tickets/", &m) == ROUTE_FOUND); /* trailing slash */

	/* typed ids: positive integers only */
	CHECK(match(r, "GET", "/api/v1/tickets/42", &m) == ROUTE_FOUND && m.nparams == 1 &&
	      m.params[0].is_id && m.params[0].id == 42);
	CHECK(match(r, "GET", "/api/v1/tickets/0", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "GET", "/api/v1/tickets/abc", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "GET", "/api/v1/tickets/-1", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "GET", "/api/v1/tickets/007", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "GET", "/api/v1/tickets/99999999999999999999", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "GET", "/api/v1/tickets/9223372036854775807", &m) == ROUTE_FOUND);

	/* a literal wins over a parameter */
	CHECK(match(r, "GET", "/app/tickets/new", &m) == ROUTE_FOUND && m.route == &routes[3]);
	CHECK(match(r, "GET", "/app/tickets/7", &m) == ROUTE_FOUND && m.route == &routes[1]);

	/* tokens */
	CHECK(match(r, "GET", "/join/Ab-_9.x", &m) == ROUTE_FOUND && m.params[0].len == 7);
	CHECK(match(r, "GET", "/join/..", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "GET", "/join/a%20b", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "GET", "/api/v1/calendar/abc123.ics", &m) == ROUTE_FOUND &&
	      m.params[0].len == 6);
	CHECK(match(r, "GET", "/api/v1/calendar/.ics", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "DELETE", "/api/v1/properties/3/residents/9", &m) == ROUTE_FOUND &&
	      m.nparams == 2 && m.params[1].id == 9 && strcmp(m.params[1].name, "user_id") == 0);

	/* API and pages are separate spaces; methods matter */
	CHECK(match(r, "GET", "/tickets", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "GET", "/api/v1/app/tickets", &m) == ROUTE_NOT_FOUND);
	CHECK(match(r, "POST", "/api/v1/tickets", &m) == ROUTE_BAD_METHOD);
	CHECK(match(r, "HEAD", "/api/v1/tickets", &m) == ROUTE_FOUND);
	CHECK(match(r, "GET", "/", &m) == ROUTE_FOUND && m.route == &routes[7]);
	CHECK(match(r, "GET", "/app//tickets", &m) == ROUTE_NOT_FOUND);
	CHECK(router_is_api("/api/v1") && router_is_api("/api/v1/x") && !router_is_api("/api/v10"));

	/* clashes: the same shape, even with other parameter names */
	struct portal_route clash = {"GET", "/tickets/{ticket_id}", NULL, 0, 0, handler, NULL,
	                             NULL};
	CHECK(router_add(r, &clash, &owner, "other", err, sizeof err) == -1);
	CHECK(strstr(err, "other") && strstr(err, "clashes"));
	struct portal_route other_method = {"PATCH", "/tickets/{id}", NULL, 0,
	                                    0,       handler,         NULL, NULL};
	CHECK(router_add(r, &other_method, &owner, "other", err, sizeof err) == 0);
	struct portal_route bad = {"GET", "tickets", NULL, 0, 0, handler, NULL, NULL};
	CHECK(router_add(r, &bad, &owner, "other", err, sizeof err) == -1);
	struct portal_route trailing = {"GET", "/x/", NULL, 0, 0, handler, NULL, NULL};
	CHECK(router_add(r, &trailing, &owner, "other", err, sizeof err) == -1);

	router_free(r);
	HARNESS_END();
}
