/* Core's side of declared input (portal/input.h). */
#ifndef CORE_INPUT_H
#define CORE_INPUT_H

#include "portal/input.h"

struct portal_req;

/* Checks req's raw body and query against inputs (terminated by name NULL)
 * and on success replaces them with objects of the declared members only,
 * typed. Returns 0, or 422 (recorded, with the member as field), 500 or the
 * database's status (the property check), leaving body and query as sent. */
int input_check(struct portal_req *req, const struct portal_input *inputs);

#endif
