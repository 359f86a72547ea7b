/* portal/datetime.h: local times in the deployment's zone. Every process sets
 * TZ from time_zone at start (datetime_set_zone), so localtime_r and mktime
 * speak that zone. */
#include "lib/datetime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "portal/arena.h"
#include "portal/request.h"

bool datetime_zone_valid(const char *zone)
{
	if (!zone || !*zone || strlen(zone) > 64 || zone[0] == '/' || strstr(zone, ".."))
		return false;
	for (const char *p = zone; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("/_+-", *p)))
			return false;
	char path[128];
	struct stat st;
	snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void datetime_set_zone(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

void portal_time_local(long long utc, struct portal_local_time *out)
{
	time_t t = (time_t)utc;
	struct tm tm = {0};
	localtime_r(&t, &tm);
	*out = (struct portal_local_time){
	    .year = tm.tm_year + 1900,
	    .month = tm.tm_mon + 1,
	    .day = tm.tm_mday,
	    .hour = tm.tm_hour,
	    .minute = tm.tm_min,
	    .weekday = (tm.tm_wday + 6) % 7,
	};
}

long long datetime_from_local_normalized(int year, int month, int day, int hour, int minute)
{
	struct tm tm = {.tm_year = year - 1900,
	                .tm_mon = month - 1,
	                .tm_mday = day,
	                .tm_hour = hour,
	                .tm_min = minute,
	                .tm_isdst = -1};
	time_t t = mktime(&tm);
	return t == (time_t)-1 ? -1 : (long long)t;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

long long portal_time_from_local(int year, int month, int day, int hour, int minute)
{
	if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59)
		return -1;
	return datetime_from_local_normalized(year, month, day, hour, minute);
}

/* n digits at *p into *value. */
static bool digits(const char **p, int n, int *value)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		v = v * 10 + (**p - '0');
	}
	*value = v;
	return true;
}

long long portal_time_parse(const char *s)
{
	int y, mo, d, h, mi, sec = 0;
	if (!s || !digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) || *s++ != '-' ||
	    !digits(&s, 2, &d) || (*s != 'T' && *s != 't'))
		return -1;
	s++;
	if (!digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi))
		return -1;
	if (*s == ':' && (s++, !digits(&s, 2, &sec)))
		return -1;
	if (*s == '.') /* fractions of a second are dropped */
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	long long offset = 0;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om;
		if (!digits(&s, 2, &oh) || *s++ != ':' || !digits(&s, 2, &om) || oh > 23 || om > 59)
			return -1;
		offset = sign * (oh * 3600LL + om * 60LL);
	} else {
		return -1;
	}
	if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = sec > 59 ? 59 : sec};
	return (long long)timegm(&tm) - offset;
}

const char *portal_time_rfc3339(struct portal_req *req, long long utc)
{
	time_t t = (time_t)utc;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return "";
	const char *s =
	    portal_sprintf(req->arena, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return s ? s : "";
}

const char *portal_time_text(struct portal_req *req, long long utc, enum portal_time_style style)
{
	static const char *const months_en[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct portal_local_time t;
	portal_time_local(utc, &t);
	bool de = strcmp(req->locale ? req->locale : "de", "en") != 0;
	char date[32];
	if (de)
		snprintf(date, sizeof date, "%02d.%02d.%04d", t.day, t.month, t.year);
	else
		snprintf(date, sizeof date, "%d %s %04d", t.day, months_en[t.month - 1], t.year);
	const char *s = NULL;
	switch (style) {
	case PORTAL_TIME_DATE: s = portal_strdup(req->arena, date); break;
	case PORTAL_TIME_CLOCK:
		s = portal_sprintf(req->arena, "%02d:%02d", t.hour, t.minute);
		break;
	case PORTAL_TIME_DATETIME:
		s = portal_sprintf(req->arena, "%s, %02d:%02d", date, t.hour, t.minute);
		break;
	case PORTAL_TIME_INPUT:
		s = portal_sprintf(req->arena, "%04d-%02d-%02dT%02d:%02d", t.year, t.month, t.day,
		                   t.hour, t.minute);
		break;
	case PORTAL_TIME_DAY:
		s = portal_sprintf(req->arena, "%04d-%02d-%02d", t.year, t.month, t.day);
		break;
	}
	return s ? s : "";
}

const char *portal_time_text_of(struct portal_req *req, const char *rfc3339,
                                enum portal_time_style style)
{
	long long t = portal_time_parse(rfc3339);
	int y, m, d;
	char extra;
	if (t < 0 && rfc3339 && strlen(rfc3339) == 10 &&
	    sscanf(rfc3339, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3)
		t = portal_time_from_local(y, m, d, 12, 0); /* a day: its local noon */
	return t < 0 ? "" : portal_time_text(req, t, style);
}
