/* Core's route tables, one per file, each terminated by an entry without handler. */
#ifndef CORE_ROUTES_H
#define CORE_ROUTES_H

#include "portal/portal.h"

extern const struct portal_route routes_misc[];      /* routes_misc.c: /, plugins, health */
extern const struct portal_route routes_session[];   /* routes_session.c: sign-in, /me */
extern const struct portal_route routes_password[];  /* routes_password.c: activation, reset */
extern const struct portal_route routes_org[];       /* routes_org.c: organisation settings */
extern const struct portal_route routes_employees[]; /* routes_employees.c */
extern const struct portal_route routes_outbox[];    /* routes_outbox.c: GET /outbox */
extern const struct portal_route routes_shell[];     /* routes_shell.c: /app, /portal */
extern const struct portal_route routes_properties[]; /* routes_properties.c */

#endif
