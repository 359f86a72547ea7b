/* The session layer of the request pipeline (the SDK part is portal/session.h). */
#ifndef CORE_SESSION_H
#define CORE_SESSION_H

#include <stdbool.h>

struct request;
struct portal_worker;

/* A core route's flag beside the SDK's (enum portal_route_flags keeps the
 * low bits): the caller's memberships and their properties come with the
 * session's one query, in the request's signed_in.memberships, so that the
 * residents' home needs no query of its own for its cards. */
#define SESSION_ROUTE_MEMBERSHIPS (1u << 30)

const char *session_cookie_name(const struct portal_worker *w);

/* Fills the caller from the session cookie, if it names a live session, and
 * with memberships its memberships too (SESSION_ROUTE_MEMBERSHIPS). Returns
 * 0, or an HTTP status when the database failed. */
int session_resolve(struct request *rq, bool memberships);

/* 0, or 403 csrf recorded in rq. */
int session_check_csrf(struct request *rq);

#endif
