/* Placeholder: filled by the accounts work (issue 3). */
#include "routes.h"

const struct portal_route routes_outbox[] = {
	{0},
};
