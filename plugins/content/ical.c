/* The iCalendar writer (RFC 5545) and Europe/Berlin's time rules. Kept free of
 * the SDK and of the process's TZ setting (a worker serves every request with
 * the same rules, whatever the host's zone), so the unit test compiles this
 * file alone. */
#include "ical.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- the buffer */

static int buf_grow(struct ical_buf *b, size_t more)
{
	if (b->failed)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more + 1) {
		if (cap > ((size_t)-1) / 2) {
			b->failed = true;
			return -1;
		}
		cap *= 2;
	}
	char *data = realloc(b->data, cap);
	if (!data) {
		b->failed = true;
		return -1;
	}
	b->data = data;
	b->cap = cap;
	return 0;
}

static int buf_add(struct ical_buf *b, const char *s, size_t n)
{
	if (buf_grow(b, n))
		return -1;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void ical_free(struct ical_buf *b)
{
	free(b->data);
	*b = (struct ical_buf){0};
}

/* ------------------------------------------------------------------ lines */

/* Whether byte c continues a UTF-8 sequence (10xxxxxx): a fold never goes
 * before one, or a client would see two broken characters. */
static bool utf8_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

int ical_line(struct ical_buf *b, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	size_t total = nlen + 1 + vlen;
	char *line = malloc(total + 1);
	if (!line) {
		b->failed = true;
		return -1;
	}
	memcpy(line, name, nlen);
	line[nlen] = ':';
	memcpy(line + nlen + 1, value, vlen);
	line[total] = '\0';

	/* The first line holds 75 octets, each continuation a space and 74. */
	size_t pos = 0, room = ICAL_LINE_OCTETS;
	int status = 0;
	while (!status) {
		size_t take = total - pos;
		if (take > room) {
			take = room;
			while (take > 0 && utf8_continuation((unsigned char)line[pos + take]))
				take--;
			if (take == 0) /* not UTF-8 at all: cut where the octets end */
				take = room;
		}
		status = buf_add(b, line + pos, take) || buf_add(b, "\r\n", 2) ? -1 : 0;
		pos += take;
		if (pos >= total)
			break;
		if (!status)
			status = buf_add(b, " ", 1);
		room = ICAL_LINE_OCTETS - 1;
	}
	free(line);
	return status;
}

int ical_text_line(struct ical_buf *b, const char *name, const char *value)
{
	size_t n = strlen(value);
	if (n > ((size_t)-1) / 2 - 1) {
		b->failed = true;
		return -1;
	}
	char *escaped = malloc(2 * n + 1), *o = escaped;
	if (!escaped) {
		b->failed = true;
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p == '\\' || *p == ',' || *p == ';') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p == '\r') {
			/* CRLF and a lone CR are one line break, like LF */
			*o++ = '\\';
			*o++ = 'n';
			if (p[1] == '\n')
				p++;
		} else if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (*p < 0x20 && *p != '\t') {
			continue; /* RFC 5545 3.3.11: no other control characters */
		} else if (*p == 0x7F) {
			continue;
		} else {
			*o++ = (char)*p;
		}
	}
	*o = '\0';
	int status = ical_line(b, name, escaped);
	free(escaped);
	return status;
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

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

time_t ical_utc_time(int year, int month, int day, int hour, int minute, int second)
{
	return (time_t)(days_from_civil(year, month, day) * 86400LL + hour * 3600LL +
	                minute * 60LL + second);
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

int berlin_to_utc(int year, int month, int day, int hour, int minute, time_t *out)
{
	if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59)
		return -1;
	time_t wall = ical_utc_time(year, month, day, hour, minute, 0);
	/* Summer time if reading it so is consistent; else winter time, which
	 * also moves a time in the spring gap one hour on, as clocks do. */
	time_t summer = wall - 7200;
	*out = berlin_offset(summer) == 7200 ? summer : wall - 3600;
	return 0;
}

/* n digits at *p into *value; advances *p. 0 or -1. */
static int digits(const char **p, int n, int *value)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*value = v;
	return 0;
}

/* "YYYY-MM-DDTHH:MM" (the T or a space), then optional ":SS"; *p after it. */
static int parse_wall(const char **p, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
	*s = 0;
	if (digits(p, 4, y) || *(*p)++ != '-' || digits(p, 2, mo) || *(*p)++ != '-' ||
	    digits(p, 2, d))
		return -1;
	if (**p != 'T' && **p != 't' && **p != ' ')
		return -1;
	(*p)++;
	if (digits(p, 2, h) || *(*p)++ != ':' || digits(p, 2, mi))
		return -1;
	if (**p == ':') {
		(*p)++;
		if (digits(p, 2, s) || *s > 59)
			return -1;
	}
	if (*y < 1970 || *y > 9999 || *mo < 1 || *mo > 12 || *d < 1 ||
	    *d > days_in_month(*y, *mo) || *h > 23 || *mi > 59)
		return -1;
	return 0;
}

int ical_parse_rfc3339(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = s;
	if (!s || parse_wall(&p, &y, &mo, &d, &h, &mi, &sec))
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	*out = ical_utc_time(y, mo, d, h, mi, sec) - sign * (oh * 3600 + om * 60);
	return 0;
}

int ical_parse_berlin_local(const char *s, time_t *out)
{
	int y, mo, d, h, mi, sec;
	const char *p = s;
	if (!s || parse_wall(&p, &y, &mo, &d, &h, &mi, &sec) || *p)
		return -1;
	if (berlin_to_utc(y, mo, d, h, mi, out))
		return -1;
	*out += sec;
	return 0;
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

int ical_begin(struct ical_buf *b, const char *prodid, const char *name)
{
	int status = ical_line(b, "BEGIN", "VCALENDAR") || ical_text_line(b, "PRODID", prodid) ||
	             ical_line(b, "VERSION", "2.0") || ical_line(b, "CALSCALE", "GREGORIAN") ||
	             ical_line(b, "METHOD", "PUBLISH") || ical_text_line(b, "X-WR-CALNAME", name) ||
	             ical_line(b, "X-WR-TIMEZONE", "Europe/Berlin");
	for (size_t i = 0; !status && i < sizeof berlin_vtimezone / sizeof *berlin_vtimezone; i++)
		status = ical_line(b, berlin_vtimezone[i][0], berlin_vtimezone[i][1]);
	return status ? -1 : 0;
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
	long long t = (long long)utc;
	long long days = t / 86400 - (t % 86400 < 0);
	long long secs = t - days * 86400;
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(out, STAMP_BYTES, "%04d%02d%02dT%02d%02d%02dZ", y, m, d, (int)(secs / 3600),
	         (int)(secs / 60 % 60), (int)(secs % 60));
}

int ical_event(struct ical_buf *b, const struct ical_event *e, const char *host)
{
	char uid[300], start[STAMP_BYTES], end[STAMP_BYTES], stamp[STAMP_BYTES];
	snprintf(uid, sizeof uid, "%lld@%s", e->id, host && *host ? host : "localhost");
	format_local(e->starts, start);
	format_utc(e->stamp, stamp);
	int status = ical_line(b, "BEGIN", "VEVENT") || ical_text_line(b, "UID", uid) ||
	             ical_line(b, "DTSTAMP", stamp) ||
	             ical_line(b, "DTSTART;TZID=Europe/Berlin", start);
	if (!status && e->ends != (time_t)-1) {
		format_local(e->ends, end);
		status = ical_line(b, "DTEND;TZID=Europe/Berlin", end);
	}
	if (!status)
		status = ical_text_line(b, "SUMMARY", e->title ? e->title : "");
	if (!status && e->body && *e->body)
		status = ical_text_line(b, "DESCRIPTION", e->body);
	if (!status && e->location && *e->location)
		status = ical_text_line(b, "LOCATION", e->location);
	if (!status)
		status = ical_line(b, "END", "VEVENT");
	return status ? -1 : 0;
}

int ical_end(struct ical_buf *b)
{
	if (ical_line(b, "END", "VCALENDAR"))
		return -1;
	return b->failed ? -1 : 0;
}
