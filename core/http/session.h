/* The session layer of the request pipeline (the SDK part is portal/session.h). */
#ifndef CORE_SESSION_H
#define CORE_SESSION_H

struct request;
struct portal_worker;

const char *session_cookie_name(const struct portal_worker *w);

/* Fills the caller from the session cookie, if it names a live session.
 * Returns 0, or an HTTP status when the database failed. */
int session_resolve(struct request *rq);

/* 0, or 403 csrf recorded in rq. */
int session_check_csrf(struct request *rq);

#endif
