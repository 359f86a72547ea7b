/* The session layer of the request pipeline (the SDK part is portal/session.h). */
#ifndef CORE_SESSION_H
#define CORE_SESSION_H

#include <stdbool.h>

struct request;
struct portal_worker;

/* Core routes' flags beside the SDK's (enum portal_route_flags keeps the
 * low bits). SESSION_ROUTE_HOME: the route shows the residents' home, whose
 * shared sections are cached by the organisation's content generation; the
 * session's query reads it (signed_in.content_generation; -1 on other
 * routes: it costs MariaDB a table more). SESSION_ROUTE_MEMBERSHIPS (implies
 * the former): the caller's memberships and their properties come with the
 * session's one query too, in signed_in.memberships, so that the residents'
 * home needs no query of its own for its cards. */
#define SESSION_ROUTE_HOME (1u << 29)
#define SESSION_ROUTE_MEMBERSHIPS (1u << 30)

const char *session_cookie_name(const struct portal_worker *w);

/* Fills the caller from the session cookie, if it names a live session, and
 * what the route's flags (SESSION_ROUTE_*) ask for besides. Returns 0, or an
 * HTTP status when the database failed. */
int session_resolve(struct request *rq, unsigned route_flags);

/* 0, or 403 csrf recorded in rq. */
int session_check_csrf(struct request *rq);

#endif
