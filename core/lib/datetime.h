/* Core's side of portal/datetime.h: the zone every process speaks. */
#ifndef CORE_DATETIME_H
#define CORE_DATETIME_H

#include <stdbool.h>

#include "portal/datetime.h"

/* Whether zone names a zone of the system's database (tzdata), e.g.
 * "Europe/Berlin"; nothing that leaves /usr/share/zoneinfo. */
bool datetime_zone_valid(const char *zone);

/* Makes zone the process's local time (before it forks its children). */
void datetime_set_zone(const char *zone);

/* As portal_time_from_local, but out-of-range parts carry over (day 0 is the
 * last of the month before): for counting days. */
long long datetime_from_local_normalized(int year, int month, int day, int hour, int minute);

#endif
