/* Placeholder: filled by the notification settings work (issue 6). */
#include "routes.h"

const struct portal_route routes_notifications[] = {
	{0},
};
