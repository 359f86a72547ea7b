/* The iCalendar writer (RFC 5545) and the Europe/Berlin time rules it needs.
 * Pure C without the SDK, so tests/unit/test_ical.c can compile it as is: the
 * calendar is built in a malloc'd buffer the caller frees with ical_free. */
#ifndef CONTENT_ICAL_H
#define CONTENT_ICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define ICAL_LINE_OCTETS 75 /* RFC 5545 3.1, without the CRLF */

/* A calendar being written. Zero-initialise; every call after a failure (out
 * of memory) does nothing and returns -1, so the caller checks once at the end
 * too. data is NUL-terminated when len > 0. */
struct ical_buf {
	char *data;
	size_t len, cap;
	bool failed;
};

struct ical_event {
	long long id;         /* the UID is "<id>@<host>": stable across fetches */
	const char *title;    /* SUMMARY */
	const char *body;     /* DESCRIPTION; NULL or "" leaves it out */
	const char *location; /* LOCATION; NULL or "" leaves it out */
	time_t starts;        /* UTC */
	time_t ends;          /* UTC; (time_t)-1 when the appointment has no end */
	time_t stamp;         /* DTSTAMP, UTC: when the appointment last changed */
};

/* BEGIN:VCALENDAR with PRODID, VERSION, CALSCALE, METHOD:PUBLISH,
 * X-WR-CALNAME (name, escaped) and the VTIMEZONE of Europe/Berlin. 0 or -1. */
int ical_begin(struct ical_buf *b, const char *prodid, const char *name);
/* One VEVENT with times in Europe/Berlin (DTSTART;TZID=...). 0 or -1. */
int ical_event(struct ical_buf *b, const struct ical_event *e, const char *host);
/* END:VCALENDAR. 0, or -1 when anything before failed. */
int ical_end(struct ical_buf *b);
void ical_free(struct ical_buf *b);

/* One content line: name (with parameters) and value as is, folded at 75
 * octets (never inside a UTF-8 sequence), ended by CRLF. 0 or -1. */
int ical_line(struct ical_buf *b, const char *name, const char *value);
/* value escaped as TEXT (backslash, comma, semicolon; newlines as \n; other
 * control characters dropped), then as ical_line. 0 or -1. */
int ical_text_line(struct ical_buf *b, const char *name, const char *value);

/* Europe/Berlin by the EU rule: summer time (UTC+2) from the last Sunday of
 * March 01:00 UTC to the last Sunday of October 01:00 UTC, else UTC+1. */
int berlin_offset(time_t utc); /* seconds east of UTC: 3600 or 7200 */
/* The local wall-clock time of utc in Berlin, as broken-down fields (tm_wday
 * set, tm_isdst 1 in summer). */
void berlin_from_utc(time_t utc, struct tm *local);
/* The UTC instant of a Berlin wall-clock time. A time in the spring gap
 * (02:00-03:00) is read as winter time, one that occurs twice in autumn as
 * the first (summer) one. Returns 0, or -1 for an invalid date or time. */
int berlin_to_utc(int year, int month, int day, int hour, int minute, time_t *out);

/* Seconds since 1970 of a UTC calendar time, without the process's TZ. */
time_t ical_utc_time(int year, int month, int day, int hour, int minute, int second);
/* Parses RFC 3339 ("2026-12-01T18:00:00Z", fractions and +hh:mm offsets
 * allowed) into *out. Returns 0, or -1 when malformed or out of range. */
int ical_parse_rfc3339(const char *s, time_t *out);
/* Parses an HTML datetime-local value ("2026-12-01T18:00", seconds allowed)
 * as Berlin time. Returns 0 or -1. */
int ical_parse_berlin_local(const char *s, time_t *out);

#endif
