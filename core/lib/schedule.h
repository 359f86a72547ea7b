/* Job schedules (struct portal_job): "every 30s", "every 15m", "every 2h",
 * "daily 06:30". A schedule cuts time into periods; each period runs once. */
#ifndef CORE_SCHEDULE_H
#define CORE_SCHEDULE_H

struct schedule {
	long every_seconds; /* > 0 for "every", else 0 */
	int daily_minute;   /* minutes after local midnight for "daily", else -1 */
};

/* Parses text; 0, or -1 when it is none of the forms (1s to 7 days for every). */
int schedule_parse(const char *text, struct schedule *out);

/* The start of the period that holds now (seconds since the epoch): for
 * "every", now rounded down to a multiple of the interval; for "daily", the
 * latest local HH:MM at or before now, in the process's zone. */
long long schedule_period(const struct schedule *s, long long now);

/* The start of the period after the one that began at period. */
long long schedule_next(const struct schedule *s, long long period);

#endif
