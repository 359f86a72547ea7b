/* The residents' home is made of the plugins' sections (portal_home_section). */
#ifndef CORE_HOME_H
#define CORE_HOME_H

#include "portal/portal.h"

/* Renders every enabled plugin's home sections for the properties in cards (a
 * list of objects with "id") into view["sections"] ([{html}]), in plugin order.
 * Returns 0 or an HTTP status. */
int home_sections(struct portal_req *req, const struct portal_value *cards,
                  struct portal_value *view);

#endif
