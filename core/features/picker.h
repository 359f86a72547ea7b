/* The property picker (portal/picker.h): what the pool asks of it. */
#ifndef CORE_PICKER_H
#define CORE_PICKER_H

#include <stdbool.h>

#include "portal/picker.h"

/* Whether a page's form was sent by its picker's search button (the body as
 * sent: "picker" is "search"). The pool then runs the route's form handler
 * instead of its handler. */
bool picker_searched(const struct portal_req *req);

#endif
