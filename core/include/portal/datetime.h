/* Times as people read them: in the deployment's time zone (time_zone in
 * portal.conf, Europe/Berlin unless set) and the caller's language. Data
 * keeps UTC (the database, the API's RFC 3339); only text for people is
 * local. */
#ifndef PORTAL_DATETIME_H
#define PORTAL_DATETIME_H

#ifdef __cplusplus
extern "C" {
#endif

struct portal_req;

enum portal_time_style {
	PORTAL_TIME_DATE,     /* de "24.12.2026", en "24 Dec 2026" */
	PORTAL_TIME_CLOCK,    /* "18:30" */
	PORTAL_TIME_DATETIME, /* de "24.12.2026, 18:30", en "24 Dec 2026, 18:30" */
	PORTAL_TIME_INPUT,    /* "2026-12-24T18:30", for <input type="datetime-local"> */
	PORTAL_TIME_DAY,      /* "2026-12-24", for <input type="date"> and calendars */
};

/* Local wall-clock parts of an instant. */
struct portal_local_time {
	int year, month, day; /* month 1-12 */
	int hour, minute;
	int weekday; /* 0 Monday .. 6 Sunday */
};

/* Now, in seconds since the epoch: the system's clock, or a test's
 * (test_clock in portal.conf) moved as MariaDB's NOW() is. Use it, not
 * time(), for every time a rule depends on (due, expired, today); durations
 * and files' ages stay with the system's clocks. */
long long portal_now(void);

/* The text of an instant (seconds since the epoch) in style, for the caller's
 * language; "" when out of memory. */
const char *portal_time_text(struct portal_req *req, long long utc, enum portal_time_style style);

/* The same for an RFC 3339 text, as database rows and the API carry times,
 * or for a calendar day ("2026-12-24", a DATE column); "" for NULL or
 * malformed text. */
const char *portal_time_text_of(struct portal_req *req, const char *rfc3339,
                                enum portal_time_style style);

/* Parses RFC 3339 with a zone ("...Z", "...+01:00"); -1 when malformed. */
long long portal_time_parse(const char *rfc3339);

/* Local time of an instant, and the instant of a local time (-1 for a
 * day or time that does not exist; a time the clocks skip is moved forward). */
void portal_time_local(long long utc, struct portal_local_time *out);
long long portal_time_from_local(int year, int month, int day, int hour, int minute);

/* An instant as RFC 3339 in UTC ("2026-12-24T17:30:00Z"), in the arena. */
const char *portal_time_rfc3339(struct portal_req *req, long long utc);

#ifdef __cplusplus
}
#endif

#endif
