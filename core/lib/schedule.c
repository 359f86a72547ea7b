#include "lib/schedule.h"

#include <stdio.h>
#include <string.h>

#include "lib/datetime.h"

#define MAX_EVERY_SECONDS (7L * 24 * 3600)

int schedule_parse(const char *text, struct schedule *out)
{
	long n;
	char unit, extra;
	int h, m;
	*out = (struct schedule){.daily_minute = -1};
	if (!text)
		return -1;
	if (sscanf(text, "every %ld%c%c", &n, &unit, &extra) == 2 && text[6] >= '1' &&
	    text[6] <= '9') {
		long scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
		if (!scale || n < 1 || n > MAX_EVERY_SECONDS / scale)
			return -1;
		out->every_seconds = n * scale;
		return 0;
	}
	/* Exactly "daily HH:MM": two digits each. */
	if (strlen(text) == 11 && sscanf(text, "daily %2d:%2d%c", &h, &m, &extra) == 2 &&
	    text[6] >= '0' && text[6] <= '9' && text[7] >= '0' && text[7] <= '9' &&
	    text[9] >= '0' && text[9] <= '9' && text[10] >= '0' && text[10] <= '9' && h < 24 &&
	    m < 60) {
		out->daily_minute = h * 60 + m;
		return 0;
	}
	return -1;
}

/* Today's HH:MM (in the local zone) of the day holding t, shifted by days. */
static long long daily_at(const struct schedule *s, long long t, int days)
{
	struct portal_local_time lt;
	portal_time_local(t, &lt);
	return datetime_from_local_normalized(lt.year, lt.month, lt.day + days,
	                                      s->daily_minute / 60, s->daily_minute % 60);
}

long long schedule_period(const struct schedule *s, long long now)
{
	if (s->every_seconds)
		return now - now % s->every_seconds;
	long long today = daily_at(s, now, 0);
	return today <= now ? today : daily_at(s, now, -1);
}

long long schedule_next(const struct schedule *s, long long period)
{
	if (s->every_seconds)
		return period + s->every_seconds;
	/* The same HH:MM a calendar day later: 23 or 25 hours across a change
	 * of the clocks. */
	return daily_at(s, period, 1);
}
