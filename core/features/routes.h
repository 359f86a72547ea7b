/* Core's route tables, one per file, each terminated by an entry without handler. */
#ifndef CORE_ROUTES_H
#define CORE_ROUTES_H

#include "plugin/plugin.h"
#include "portal/portal.h"

/* core_routes.c: core, declared like a plugin, for plugins_load. */
extern const struct plugin_core core_definition;

/* cleanup.c: core's jobs (the outbox, the clean-ups), core's job table. */
extern const struct portal_job core_jobs[];
/* file_sweep.c: the job that removes stored files no row names any more. */
int files_sweep(struct portal_req *req);

extern const struct portal_route routes_misc[];          /* routes_misc.c: /, plugins, health */
extern const struct portal_route routes_session[];       /* routes_session.c: sign-in, /me */
extern const struct portal_route routes_password[];      /* routes_password.c: activation, reset */
extern const struct portal_route routes_confirm[];       /* routes_confirm.c: /confirm */
extern const struct portal_route routes_org[];           /* routes_org.c: organisation settings */
extern const struct portal_route routes_categories[];    /* routes_categories.c: their categories */
extern const struct portal_route routes_employees[];     /* routes_employees.c */
extern const struct portal_route routes_outbox[];        /* routes_outbox.c: GET /outbox */
extern const struct portal_route routes_shell[];         /* routes_shell.c: /app, /portal */
extern const struct portal_route routes_properties[];    /* routes_properties.c */
extern const struct portal_route routes_import[];        /* routes_import.c: the property import */
extern const struct portal_route routes_notifications[]; /* routes_notifications.c */
extern const struct portal_route routes_ops[];           /* routes_ops.c: /healthz, /metrics */
extern const struct portal_route routes_export[];        /* routes_export.c: the admin's export */

/* routes_org.c: the view of the settings page, for another handler that
 * shows it again with an error (routes_export.c). */
int org_settings_fill(struct portal_req *req, struct portal_value *view);

/* Throttling scope of failed sign-ins per account (throttle_events.scope). */
#define SCOPE_LOGIN_EMAIL "login_email"

/* routes_password.c: the links people get by mail (activation, reset,
 * confirmation), per client address. Their pages tell a live link from a
 * dead one, so each dead link followed counts, the pages' GET included (a
 * guess, not a change of anything the portal shows). link_throttled: 0 while
 * the address followed fewer than LINK_DEAD_PER_HOUR dead links within the
 * hour, else 429 with Retry-After, nothing written (or a database status).
 * link_dead: rolls back an open transaction, counts one and answers 404 with
 * message (a locale key). */
#define LINK_DEAD_PER_HOUR 30
int link_throttled(struct portal_req *req);
int link_dead(struct portal_req *req, const char *message);

/* routes_session.c: the answer of every route that signs someone in (sign-in,
 * activation, reset): a new session, then {user, csrf_token} for the API or a
 * redirect to the person's home for pages. */
int session_sign_in(struct portal_req *req, long long user_id, struct portal_value *view);

/* routes_misc.c: pages of the core mark the field of a form to correct
 * ("invalid": {field: true} in the view, which the templates turn into
 * aria-invalid). page_mark_invalid marks field (NULL: none); 0 or 500.
 * page_mark_refused, in a route's form handler, marks the member the declared
 * inputs refused; alone it is the form handler of a page that needs nothing
 * else to show its form again. */
int page_mark_invalid(struct portal_req *req, struct portal_value *view, const char *field);
int page_mark_refused(struct portal_req *req, struct portal_value *view);

/* routes_properties.c: the property cards of the residents' home: the caller's
 * (a resident's active memberships; with pending not NULL, the properties
 * whose membership still waits go there, from the same query, or from none
 * when the route's session query brought them: SESSION_ROUTE_MEMBERSHIPS),
 * or, for a manager's preview, the one property only_id of their
 * organisation. 0 or an HTTP status. */
int property_cards(struct portal_req *req, long long only_id, struct portal_value **cards,
                   struct portal_value **pending);

#endif
