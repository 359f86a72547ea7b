/* The iCalendar writer (RFC 5545) and the Europe/Berlin time rules the feeds
 * need: they name that zone and carry its VTIMEZONE, whatever the deployment's
 * time_zone, so their wall-clock times follow these rules, not the process's.
 * The calendar is written into an SDK string buffer (portal/text.h); nothing
 * else of the SDK is used, so tests/unit/test_ical.c compiles this file as is. */
#ifndef CONTENT_ICAL_H
#define CONTENT_ICAL_H

#include <time.h>

#include <portal/text.h>

#define ICAL_LINE_OCTETS 75 /* RFC 5545 3.1, without the CRLF */

struct ical_event {
	long long id;         /* the UID is "<id>@<host>": stable across fetches */
	const char *title;    /* SUMMARY */
	const char *body;     /* DESCRIPTION; NULL or "" leaves it out */
	const char *location; /* LOCATION; NULL or "" leaves it out */
	time_t starts;        /* UTC */
	time_t ends;          /* UTC; (time_t)-1 when the appointment has no end */
	time_t stamp;         /* DTSTAMP, UTC: when the appointment last changed */
};

/* Each call returns 0, or 500 when the buffer failed (out of memory) in this
 * or an earlier write, as portal_buf's calls do: check once, at ical_end. */

/* BEGIN:VCALENDAR with PRODID, VERSION, CALSCALE, METHOD:PUBLISH,
 * X-WR-CALNAME (name, escaped) and the VTIMEZONE of Europe/Berlin. */
int ical_begin(struct portal_buf *b, const char *prodid, const char *name);
/* One VEVENT with times in Europe/Berlin (DTSTART;TZID=...). */
int ical_event(struct portal_buf *b, const struct ical_event *e, const char *host);
/* END:VCALENDAR. */
int ical_end(struct portal_buf *b);

/* One content line: name (with parameters) and value as is, folded at 75
 * octets (never inside a UTF-8 sequence), ended by CRLF. */
int ical_line(struct portal_buf *b, const char *name, const char *value);
/* value escaped as TEXT (backslash, comma, semicolon; newlines as \n; other
 * control characters dropped), then as ical_line. */
int ical_text_line(struct portal_buf *b, const char *name, const char *value);

/* Europe/Berlin by the EU rule: summer time (UTC+2) from the last Sunday of
 * March 01:00 UTC to the last Sunday of October 01:00 UTC, else UTC+1. */
int berlin_offset(time_t utc); /* seconds east of UTC: 3600 or 7200 */
/* The local wall-clock time of utc in Berlin, as broken-down fields (tm_wday
 * set, tm_isdst 1 in summer). */
void berlin_from_utc(time_t utc, struct tm *local);

#endif
