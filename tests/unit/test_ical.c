/* The iCalendar writer of the content plugin (plugins/content/ical.c): folding
 * at 75 octets without splitting UTF-8, TEXT escaping, CRLF line ends, the
 * calendar's frame and VTIMEZONE, Europe/Berlin's summer time rule, and a
 * failed buffer failing the calendar. The plugin's file is compiled in here:
 * it needs only the SDK's string buffer, which core's library holds. */
#include "harness.h"

#include <stdlib.h>

#include "../../plugins/content/ical.c"

#include "lib/arena.h"

#define ARENA_BYTES (1u << 20)

static struct portal_arena *arena;

/* Seconds since 1970 of a UTC calendar time. */
static time_t utc(int year, int month, int day, int hour, int minute, int second)
{
	struct tm t = {.tm_year = year - 1900,
	               .tm_mon = month - 1,
	               .tm_mday = day,
	               .tm_hour = hour,
	               .tm_min = minute,
	               .tm_sec = second};
	return timegm(&t);
}

/* Every line of b ends in CRLF, holds at most 75 octets, has no bare CR or LF,
 * and no continuation line begins inside a UTF-8 sequence. */
static int check_lines(const struct portal_buf *b)
{
	size_t start = 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\n')
			return -1; /* an LF not after CR */
		if (b->data[i] != '\r')
			continue;
		if (i + 1 >= b->len || b->data[i + 1] != '\n')
			return -2;
		if (i - start > ICAL_LINE_OCTETS)
			return -3;
		/* the character after the fold's space must start a sequence */
		if (start > 0 && b->data[start] == ' ' && start + 1 < i &&
		    utf8_continuation((unsigned char)b->data[start + 1]))
			return -4;
		i++;
		start = i + 1;
	}
	return start == b->len ? 0 : -5;
}

/* The text of b with folds undone (CRLF + space removed). */
static char *unfold(const struct portal_buf *b)
{
	char *out = malloc(b->len + 1), *o = out;
	for (size_t i = 0; out && i < b->len; i++) {
		if (b->data[i] == '\r' && i + 2 < b->len && b->data[i + 1] == '\n' &&
		    b->data[i + 2] == ' ') {
			i += 2;
			continue;
		}
		*o++ = b->data[i];
	}
	if (out)
		*o = '\0';
	return out;
}

static void test_short_line(void)
{
	struct portal_buf b = {.arena = arena};
	CHECK(ical_line(&b, "VERSION", "2.0") == 0);
	CHECK_STR(b.data, "VERSION:2.0\r\n");
}

static void test_escaping(void)
{
	struct portal_buf b = {.arena = arena};
	CHECK(ical_text_line(&b, "SUMMARY", "a\\b,c;d\ne\r\nf\rg\x01h") == 0);
	CHECK_STR(b.data, "SUMMARY:a\\\\b\\,c\\;d\\ne\\nf\\ngh\r\n");
	CHECK(check_lines(&b) == 0);
}

static void test_folding_ascii(void)
{
	char value[301];
	memset(value, 'x', 300);
	value[300] = '\0';
	struct portal_buf b = {.arena = arena};
	CHECK(ical_line(&b, "DESCRIPTION", value) == 0);
	CHECK(check_lines(&b) == 0);
	/* first line exactly 75 octets, then a fold */
	CHECK(b.len > 77 && b.data[75] == '\r' && b.data[77] == ' ');
	char *text = unfold(&b);
	char want[400];
	snprintf(want, sizeof want, "DESCRIPTION:%s\r\n", value);
	CHECK_STR(text, want);
	free(text);
}

static void test_folding_utf8(void)
{
	/* "ä" is two octets, "€" three: at every offset a fold would cut one */
	for (int shift = 0; shift < 3; shift++) {
		char value[600] = "";
		for (int i = 0; i < shift; i++)
			strcat(value, "a");
		for (int i = 0; i < 60; i++)
			strcat(value, i % 2 ? "\xe2\x82\xac" : "\xc3\xa4");
		struct portal_buf b = {.arena = arena};
		CHECK(ical_text_line(&b, "SUMMARY", value) == 0);
		CHECK(check_lines(&b) == 0);
		char *text = unfold(&b);
		char want[700];
		snprintf(want, sizeof want, "SUMMARY:%s\r\n", value);
		CHECK_STR(text, want);
		free(text);
	}
}

static void test_berlin_offsets(void)
{
	/* 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC */
	CHECK(berlin_offset(utc(2026, 3, 29, 0, 59, 59)) == 3600);
	CHECK(berlin_offset(utc(2026, 3, 29, 1, 0, 0)) == 7200);
	CHECK(berlin_offset(utc(2026, 10, 25, 0, 59, 59)) == 7200);
	CHECK(berlin_offset(utc(2026, 10, 25, 1, 0, 0)) == 3600);
	CHECK(berlin_offset(utc(2026, 7, 1, 12, 0, 0)) == 7200);
	CHECK(berlin_offset(utc(2026, 12, 1, 12, 0, 0)) == 3600);
	/* 2027: 28 March and 31 October */
	CHECK(berlin_offset(utc(2027, 3, 28, 1, 0, 0)) == 7200);
	CHECK(berlin_offset(utc(2027, 3, 27, 12, 0, 0)) == 3600);
	CHECK(berlin_offset(utc(2027, 10, 31, 0, 30, 0)) == 7200);
	CHECK(berlin_offset(utc(2027, 11, 1, 0, 0, 0)) == 3600);

	struct tm t;
	berlin_from_utc(utc(2026, 7, 1, 16, 30, 0), &t);
	CHECK(t.tm_year == 126 && t.tm_mon == 6 && t.tm_mday == 1 && t.tm_hour == 18 &&
	      t.tm_min == 30 && t.tm_isdst == 1 && t.tm_wday == 3);
	berlin_from_utc(utc(2026, 12, 31, 23, 30, 0), &t);
	CHECK(t.tm_year == 127 && t.tm_mon == 0 && t.tm_mday == 1 && t.tm_hour == 0 &&
	      t.tm_isdst == 0);
}

static void test_calendar(void)
{
	struct portal_buf b = {.arena = arena};
	struct ical_event summer = {
	    .id = 7,
	    .title = "Hof; Fest, mit \"Grill\"",
	    .body = "Zeile 1\nZeile 2",
	    .location = "Innenhof",
	    .starts = utc(2026, 7, 1, 16, 0, 0),
	    .ends = utc(2026, 7, 1, 18, 0, 0),
	    .stamp = utc(2026, 6, 1, 9, 5, 3),
	};
	struct ical_event winter = {
	    .id = 8,
	    .title = "Ablesung",
	    .starts = utc(2026, 12, 1, 8, 0, 0),
	    .ends = (time_t)-1,
	    .stamp = utc(2026, 6, 1, 9, 5, 3),
	};
	CHECK(ical_begin(&b, "-//Portal//Termine//DE", "Haus, am See") == 0);
	CHECK(ical_event(&b, &summer, "portal.example.org") == 0);
	CHECK(ical_event(&b, &winter, "portal.example.org") == 0);
	CHECK(ical_end(&b) == 0);
	CHECK(check_lines(&b) == 0);
	CHECK(strncmp(b.data, "BEGIN:VCALENDAR\r\n", 17) == 0);
	CHECK(b.len > 15 && strcmp(b.data + b.len - 15, "END:VCALENDAR\r\n") == 0);
	CHECK(strstr(b.data, "\r\nVERSION:2.0\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nCALSCALE:GREGORIAN\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nMETHOD:PUBLISH\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nX-WR-CALNAME:Haus\\, am See\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nUID:7@portal.example.org\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nDTSTAMP:20260601T090503Z\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nDTSTART;TZID=Europe/Berlin:20260701T180000\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nDTEND;TZID=Europe/Berlin:20260701T200000\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nSUMMARY:Hof\\; Fest\\, mit \"Grill\"\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nDESCRIPTION:Zeile 1\\nZeile 2\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nLOCATION:Innenhof\r\n") != NULL);
	CHECK(strstr(b.data, "\r\nDTSTART;TZID=Europe/Berlin:20261201T090000\r\n") != NULL);
	/* the winter event has no end, no description and no location */
	const char *second = strstr(b.data, "UID:8@");
	CHECK(second && !strstr(second, "DTEND") && !strstr(second, "DESCRIPTION") &&
	      !strstr(second, "LOCATION"));
	int events = 0;
	for (const char *p = b.data; (p = strstr(p, "BEGIN:VEVENT\r\n")); p++)
		events++;
	CHECK(events == 2);
}

/* Out of memory midway: every later write does nothing, and the end says so. */
static void test_failure(void)
{
	struct portal_arena *small = arena_new(4096);
	struct portal_buf b = {.arena = small};
	struct ical_event e = {.id = 1, .title = "Ablesung", .ends = (time_t)-1};
	CHECK(small != NULL);
	CHECK(ical_begin(&b, "-//Portal//Termine//DE", "Haus") == 0);
	int failed = 0;
	for (int i = 0; i < 100; i++)
		failed |= ical_event(&b, &e, "portal.example.org") != 0;
	CHECK(failed);
	CHECK(ical_end(&b) == 500);
	arena_free(small);
}

int main(void)
{
	arena = arena_new(ARENA_BYTES);
	test_short_line();
	test_escaping();
	test_folding_ascii();
	test_folding_utf8();
	test_berlin_offsets();
	test_calendar();
	test_failure();
	arena_free(arena);
	HARNESS_END();
}
