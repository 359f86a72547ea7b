/* The iCalendar writer (RFC 5545) and Europe/Berlin's time rules. Kept free of
 * the process's TZ setting (the feeds speak Berlin time whatever the
 * deployment's zone), so the unit test compiles this file alone. */
#include "ical.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ lines */

/* Whether byte c continues a UTF-8 sequence (10xxxxxx): a fold never goes
 * before one, or a client would see two broken characters. */
static bool utf8_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

/* Appends n octets of s to the content line being written, folding (CRLF
 * and a space) where the line would pass 75 octets: the first line holds 75,
 * each continuation the space and 74. The fold goes before a whole UTF-8
 * character, or where the octets end when the line holds no character
 * boundary at all (not UTF-8). *used: the octets on the physical line. */
static void fold_add(struct portal_buf *b, const char *s, size_t n, size_t *used)
{
	while (n > 0) {
		size_t take = n;
		if (*used + n > ICAL_LINE_OCTETS) {
			size_t room = ICAL_LINE_OCTETS - *used;
			take = room;
			while (take > 0 && utf8_continuation((unsigned char)s[take]))
				take--;
			if (take == 0 && *used <= 1)
				take = room;
		}
		portal_buf_add(b, s, take);
		s += take;
		n -= take;
		*used += take;
		if (n > 0) {
			portal_buf_add(b, "\r\n ", 3);
			*used = 1;
		}
	}
}

static void line_start(struct portal_buf *b, const char *name, size_t *used)
{
	*used = 0;
	fold_add(b, name, strlen(name), used);
	fold_add(b, ":", 1, used);
}

int ical_line(struct portal_buf *b, const char *name, const char *value)
{
	size_t used;
	line_start(b, name, &used);
	fold_add(b, value, strlen(value), &used);
	return portal_buf_add(b, "\r\n", 2);
}

/* What TEXT escapes, and the control characters it drops (RFC 5545 3.3.11:
 * all but the tab; line breaks become \n). */
static bool text_special(unsigned char c)
{
	return c == '\\' || c == ',' || c == ';' || (c < 0x20 && c != '\t') || c == 0x7F;
}

int ical_text_line(struct portal_buf *b, const char *name, const char *value)
{
	size_t used;
	line_start(b, name, &used);
	for (const char *p = value; *p;) {
		size_t run = 0;
		while (p[run] && !text_special((unsigned char)p[run]))
			run++;
		fold_add(b, p, run, &used);
		p += run;
		if (!*p)
			break;
		char c = *p++;
		if (c == '\r' && *p == '\n')
			p++; /* CRLF and a lone CR are one line break, like LF */
		if (c == '\r' || c == '\n')
			fold_add(b, "\\n", 2, &used);
		else if (c == '\\' || c == ',' || c == ';')
			fold_add(b, (const char[]){'\\', c}, 2, &used);
	}
	return portal_buf_add(b, "\r\n", 2);
}

/* ------------------------------------------------------------------- time */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
	z += 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* 01:00 UTC of the last Sunday of the month (31 days in March and October). */
static time_t last_sunday_0100(int year, int month)
{
	long long day31 = days_from_civil(year, month, 31);
	long long weekday = ((day31 % 7) + 7 + 4) % 7; /* 1970-01-01 was a Thursday */
	return (time_t)((day31 - weekday) * 86400LL + 3600);
}

int berlin_offset(time_t utc)
{
	int y, m, d;
	long long days = (long long)utc / 86400 - ((long long)utc % 86400 < 0);
	civil_from_days(days, &y, &m, &d);
	return utc >= last_sunday_0100(y, 3) && utc < last_sunday_0100(y, 10) ? 7200 : 3600;
}

void berlin_from_utc(time_t utc, struct tm *local)
{
	int offset = berlin_offset(utc);
	long long t = (long long)utc + offset;
	long long days = t / 86400 - (t % 86400 < 0);
	long long secs = t - days * 86400;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	*local = (struct tm){
	    .tm_year = y - 1900,
	    .tm_mon = m - 1,
	    .tm_mday = d,
	    .tm_hour = (int)(secs / 3600),
	    .tm_min = (int)(secs / 60 % 60),
	    .tm_sec = (int)(secs % 60),
	    .tm_wday = (int)(((days % 7) + 7 + 4) % 7),
	    .tm_isdst = offset == 7200,
	};
}

/* -------------------------------------------------------------- calendar */

/* Clients that know the TZID use their own rules; the rest read these, which
 * are the EU's since 1996. */
static const char *const berlin_vtimezone[][2] = {
    {"BEGIN", "VTIMEZONE"},
    {"TZID", "Europe/Berlin"},
    {"X-LIC-LOCATION", "Europe/Berlin"},
    {"BEGIN", "DAYLIGHT"},
    {"TZOFFSETFROM", "+0100"},
    {"TZOFFSETTO", "+0200"},
    {"TZNAME", "CEST"},
    {"DTSTART", "19700329T020000"},
    {"RRULE", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"},
    {"END", "DAYLIGHT"},
    {"BEGIN", "STANDARD"},
    {"TZOFFSETFROM", "+0200"},
    {"TZOFFSETTO", "+0100"},
    {"TZNAME", "CET"},
    {"DTSTART", "19701025T030000"},
    {"RRULE", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"},
    {"END", "STANDARD"},
    {"END", "VTIMEZONE"},
};

int ical_begin(struct portal_buf *b, const char *prodid, const char *name)
{
	int status = 0;
	ical_line(b, "BEGIN", "VCALENDAR");
	ical_text_line(b, "PRODID", prodid);
	ical_line(b, "VERSION", "2.0");
	ical_line(b, "CALSCALE", "GREGORIAN");
	ical_line(b, "METHOD", "PUBLISH");
	ical_text_line(b, "X-WR-CALNAME", name);
	ical_line(b, "X-WR-TIMEZONE", "Europe/Berlin");
	for (size_t i = 0; i < sizeof berlin_vtimezone / sizeof *berlin_vtimezone; i++)
		status = ical_line(b, berlin_vtimezone[i][0], berlin_vtimezone[i][1]);
	return status;
}

/* Sized for any int the compiler can imagine, though years stay 4 digits. */
#define STAMP_BYTES 80

static void format_local(time_t utc, char out[STAMP_BYTES])
{
	struct tm t;
	berlin_from_utc(utc, &t);
	snprintf(out, STAMP_BYTES, "%04d%02d%02dT%02d%02d%02d", t.tm_year + 1900, t.tm_mon + 1,
	         t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
}

static void format_utc(time_t utc, char out[STAMP_BYTES])
{
	struct tm t;
	if (!gmtime_r(&utc, &t) || !strftime(out, STAMP_BYTES, "%Y%m%dT%H%M%SZ", &t))
		snprintf(out, STAMP_BYTES, "19700101T000000Z");
}

int ical_event(struct portal_buf *b, const struct ical_event *e, const char *host)
{
	char uid[300], start[STAMP_BYTES], end[STAMP_BYTES], stamp[STAMP_BYTES];
	snprintf(uid, sizeof uid, "%lld@%s", e->id, host && *host ? host : "localhost");
	format_local(e->starts, start);
	format_utc(e->stamp, stamp);
	ical_line(b, "BEGIN", "VEVENT");
	ical_text_line(b, "UID", uid);
	ical_line(b, "DTSTAMP", stamp);
	ical_line(b, "DTSTART;TZID=Europe/Berlin", start);
	if (e->ends != (time_t)-1) {
		format_local(e->ends, end);
		ical_line(b, "DTEND;TZID=Europe/Berlin", end);
	}
	ical_text_line(b, "SUMMARY", e->title ? e->title : "");
	if (e->body && *e->body)
		ical_text_line(b, "DESCRIPTION", e->body);
	if (e->location && *e->location)
		ical_text_line(b, "LOCATION", e->location);
	return ical_line(b, "END", "VEVENT");
}

int ical_end(struct portal_buf *b)
{
	return ical_line(b, "END", "VCALENDAR");
}
