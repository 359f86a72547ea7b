/* The SDK's pure parts: job schedules, local times, the declared input types
 * (as JSON and as form values), the arena buffer and the value accessors. */
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/datetime.h"
#include "harness.h"
#include "http/input.h"
#include "portal/text.h"
#include "lib/schedule.h"
#include "lib/value.h"
#include "http/request.h"

/* 2026-03-29 is the day Berlin goes from +01:00 to +02:00 at 02:00 local,
 * 2026-10-25 the day it goes back at 03:00 local. */
static long long utc(const char *rfc3339)
{
	return portal_time_parse(rfc3339);
}

static void test_schedule_parse(void)
{
	struct schedule s;
	CHECK(schedule_parse("every 30s", &s) == 0 && s.every_seconds == 30);
	CHECK(schedule_parse("every 15m", &s) == 0 && s.every_seconds == 900);
	CHECK(schedule_parse("every 2h", &s) == 0 && s.every_seconds == 7200);
	CHECK(schedule_parse("every 168h", &s) == 0);
	CHECK(schedule_parse("daily 06:30", &s) == 0 && s.daily_minute == 390 && !s.every_seconds);
	CHECK(schedule_parse("daily 00:00", &s) == 0 && s.daily_minute == 0);
	CHECK(schedule_parse("daily 23:59", &s) == 0);
	const char *bad[] = {"",
	                     "every",
	                     "every 0s",
	                     "every -5s",
	                     "every 5",
	                     "every 5d",
	                     "every 5s ",
	                     "every 05s",
	                     "every 169h",
	                     "every 99999999999s",
	                     "daily 24:00",
	                     "daily 6:30",
	                     "daily 06:60",
	                     "daily 06:30 ",
	                     "daily 06-30",
	                     "Daily 06:30",
	                     "hourly",
	                     "every 1.5h"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(schedule_parse(bad[i], &s) == -1);
		if (schedule_parse(bad[i], &s) != -1)
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
	}
	CHECK(schedule_parse(NULL, &s) == -1);
}

static void test_schedule_periods(void)
{
	struct schedule every, daily;
	schedule_parse("every 15m", &every);
	long long t = utc("2026-12-04T23:10:07Z");
	CHECK(schedule_period(&every, t) == utc("2026-12-04T23:00:00Z"));
	CHECK(schedule_next(&every, schedule_period(&every, t)) == utc("2026-12-04T23:15:00Z"));

	schedule_parse("daily 06:00", &daily);
	/* Winter: 06:00 Berlin is 05:00 UTC. Before it, the period began yesterday. */
	CHECK(schedule_period(&daily, utc("2026-12-04T05:30:00Z")) == utc("2026-12-04T05:00:00Z"));
	CHECK(schedule_period(&daily, utc("2026-12-04T04:59:59Z")) == utc("2026-12-03T05:00:00Z"));
	CHECK(schedule_period(&daily, utc("2026-12-04T05:00:00Z")) == utc("2026-12-04T05:00:00Z"));
	/* Summer: 06:00 Berlin is 04:00 UTC. */
	CHECK(schedule_period(&daily, utc("2026-07-01T12:00:00Z")) == utc("2026-07-01T04:00:00Z"));
	/* Across the change of the clocks the next period is 23 or 25 hours on. */
	CHECK(schedule_next(&daily, utc("2026-03-28T05:00:00Z")) == utc("2026-03-29T04:00:00Z"));
	CHECK(schedule_next(&daily, utc("2026-10-24T04:00:00Z")) == utc("2026-10-25T05:00:00Z"));
	/* Month and year ends. */
	CHECK(schedule_next(&daily, utc("2026-12-31T05:00:00Z")) == utc("2027-01-01T05:00:00Z"));
	/* A time the clocks skip (02:30 on 29 March) runs after the jump. */
	struct schedule skip;
	schedule_parse("daily 02:30", &skip);
	long long p = schedule_period(&skip, utc("2026-03-29T12:00:00Z"));
	CHECK(p > utc("2026-03-29T00:00:00Z") && p <= utc("2026-03-29T12:00:00Z"));
	CHECK(schedule_next(&skip, p) == utc("2026-03-30T00:30:00Z"));
}

static void test_times(struct portal_req *req)
{
	CHECK(utc("2026-12-01T18:00:00Z") == 1796148000LL);
	CHECK(utc("2026-12-01T19:00:00+01:00") == utc("2026-12-01T18:00:00Z"));
	CHECK(utc("2026-12-01T18:00:00.123Z") == utc("2026-12-01T18:00:00Z"));
	CHECK(utc("2026-12-01t18:00:00z") == utc("2026-12-01T18:00:00Z"));
	const char *bad[] = {"2026-12-01T18:00:00",      "2026-12-01",
	                     "2026-13-01T00:00:00Z",     "2026-02-29T00:00:00Z",
	                     "2026-12-01T24:00:00Z",     "2026-12-01 18:00:00Z",
	                     "2026-12-01T18:00:00+1:00", "x",
	                     "2026-12-01T18:00:00Zjunk"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(utc(bad[i]) == -1);
	CHECK(utc("2028-02-29T00:00:00Z") > 0);

	long long t = utc("2026-12-24T17:30:00Z"); /* 18:30 in Berlin */
	req->locale = "de";
	CHECK_STR(portal_time_text(req, t, PORTAL_TIME_DATE), "24.12.2026");
	CHECK_STR(portal_time_text(req, t, PORTAL_TIME_CLOCK), "18:30");
	CHECK_STR(portal_time_text(req, t, PORTAL_TIME_DATETIME), "24.12.2026, 18:30");
	CHECK_STR(portal_time_text(req, t, PORTAL_TIME_INPUT), "2026-12-24T18:30");
	CHECK_STR(portal_time_text(req, t, PORTAL_TIME_DAY), "2026-12-24");
	req->locale = "en";
	CHECK_STR(portal_time_text(req, t, PORTAL_TIME_DATE), "24 Dec 2026");
	CHECK_STR(portal_time_text(req, t, PORTAL_TIME_DATETIME), "24 Dec 2026, 18:30");
	/* The local day, not the UTC one: 23:30 UTC on the 31st is New Year in Berlin. */
	req->locale = "de";
	CHECK_STR(portal_time_text_of(req, "2026-12-31T23:30:00Z", PORTAL_TIME_DATE), "01.01.2027");
	CHECK_STR(portal_time_text_of(req, "2026-12-24", PORTAL_TIME_DATE), "24.12.2026");
	CHECK_STR(portal_time_text_of(req, "2026-02-30", PORTAL_TIME_DATE), "");
	CHECK_STR(portal_time_text_of(req, "garbage", PORTAL_TIME_DATE), "");
	CHECK_STR(portal_time_text_of(req, NULL, PORTAL_TIME_DATE), "");
	CHECK_STR(portal_time_rfc3339(req, t), "2026-12-24T17:30:00Z");

	struct portal_local_time lt;
	portal_time_local(utc("2026-07-01T22:15:00Z"), &lt);
	CHECK(lt.year == 2026 && lt.month == 7 && lt.day == 2 && lt.hour == 0 && lt.minute == 15 &&
	      lt.weekday == 3);
	CHECK(portal_time_from_local(2026, 7, 2, 0, 15) == utc("2026-07-01T22:15:00Z"));
	CHECK(portal_time_from_local(2026, 2, 30, 12, 0) == -1);
	CHECK(portal_time_from_local(2026, 1, 1, 24, 0) == -1);
	CHECK(datetime_zone_valid("Europe/Berlin"));
	CHECK(!datetime_zone_valid("Europe/Nowhere"));
	CHECK(!datetime_zone_valid("../../etc/passwd"));
	CHECK(!datetime_zone_valid("/etc/localtime"));
	CHECK(!datetime_zone_valid(""));
}

/* A request as the pipeline hands it to input_check. */
static struct request rq;

static struct portal_req *request(struct portal_arena *a)
{
	memset(&rq, 0, sizeof rq);
	rq.pub.arena = a;
	rq.pub.locale = "de";
	rq.pub.body = pv_object(a);
	rq.pub.query = pv_object(a);
	return &rq.pub;
}

static const char *const colours[] = {"red", "green", NULL};

static const struct portal_input inputs[] = {
    {"id", PORTAL_IN_ID},
    {"ids", PORTAL_IN_IDS, PORTAL_IN_ALL, 0, 3},
    {"title", PORTAL_IN_STRING, PORTAL_IN_REQUIRED, 1, 5},
    {"body", PORTAL_IN_STRING, PORTAL_IN_MULTILINE, 0, 100},
    {"colour", PORTAL_IN_ENUM, 0, 0, 0, colours},
    {"on", PORTAL_IN_BOOL},
    {"day", PORTAL_IN_DATE},
    {"at", PORTAL_IN_DATETIME},
    {"email", PORTAL_IN_EMAIL},
    {"count", PORTAL_IN_INT, 0, -5, 5},
    {"unit_id", PORTAL_IN_ID, PORTAL_IN_NULLABLE},
    {"page", PORTAL_IN_INT, PORTAL_IN_QUERY, 1, 1000},
    {0},
};

/* input_check of one member (besides a valid title): its status, and in
 * *out the typed value the handler would see. */
static int check(struct portal_arena *a, const char *name, struct portal_value *value,
                 struct portal_req **out)
{
	struct portal_req *req = request(a);
	pv_set_str(a, req->body, "title", "Titel");
	if (value)
		pv_set(a, strcmp(name, "page") == 0 ? req->query : req->body, name, value);
	int status = input_check(req, inputs);
	*out = req;
	return status;
}

static int check_str(struct portal_arena *a, const char *name, const char *value,
                     struct portal_req **out)
{
	return check(a, name, pv_string(a, value), out);
}

static void test_inputs(struct portal_arena *a)
{
	struct portal_req *req;

	/* ids: a JSON number or a form's digits; nothing else */
	CHECK(check(a, "id", pv_int(a, 42), &req) == 0 && portal_in_int(req, "id", 0) == 42);
	CHECK(check_str(a, "id", "42", &req) == 0 && portal_in_int(req, "id", 0) == 42);
	CHECK(check_str(a, "id", "4x", &req) == 422 && rq.error_field &&
	      strcmp(rq.error_field, "id") == 0);
	CHECK(check(a, "id", pv_int(a, 0), &req) == 422);
	CHECK(check(a, "id", pv_int(a, -3), &req) == 422);
	CHECK(check_str(a, "id", "1234567890123456789", &req) == 422);
	CHECK(check(a, "id", pv_bool(a, true), &req) == 422);
	CHECK(check_str(a, "id", "", &req) == 0 && !portal_in_has(req, "id")); /* "" is absent */
	/* ... but text that may not be empty cannot be sent empty, required or not */
	{
		static const struct portal_input patch[] = {{"name", PORTAL_IN_STRING, 0, 1, 10},
		                                            {0}};
		struct portal_req *r = request(a);
		pv_set_str(a, r->body, "name", " ");
		CHECK(input_check(r, patch) == 422);
		r = request(a);
		CHECK(input_check(r, patch) == 0 && !portal_in_has(r, "name"));
	}

	/* a list of ids, duplicates dropped, "all" wins, at most max */
	struct portal_value *list = pv_list(a);
	pv_push(a, list, pv_int(a, 3));
	pv_push(a, list, pv_string(a, "7"));
	pv_push(a, list, pv_int(a, 3));
	CHECK(check(a, "ids", list, &req) == 0);
	struct portal_ids ids = portal_in_ids(req, "ids");
	CHECK(!ids.all && ids.count == 2 && ids.ids[0] == 3 && ids.ids[1] == 7);
	CHECK(check_str(a, "ids", "9", &req) == 0 && portal_in_ids(req, "ids").count == 1);
	pv_push(a, list, pv_string(a, "all"));
	CHECK(check(a, "ids", list, &req) == 0 && portal_in_ids(req, "ids").all);
	CHECK(check_str(a, "ids", "all", &req) == 0 && portal_in_ids(req, "ids").all &&
	      portal_in_ids(req, "ids").count == 0);
	struct portal_value *many = pv_list(a);
	for (int i = 1; i <= 4; i++)
		pv_push(a, many, pv_int(a, i));
	CHECK(check(a, "ids", many, &req) == 422);
	struct portal_value *badlist = pv_list(a);
	pv_push(a, badlist, pv_string(a, "x"));
	CHECK(check(a, "ids", badlist, &req) == 422);

	/* text: trimmed, counted in characters, control characters only where multiline */
	CHECK(check_str(a, "title", "  Größe ", &req) == 0 &&
	      strcmp(portal_in_str(req, "title"), "Größe") == 0);
	CHECK(check_str(a, "title", "Größen", &req) == 422); /* 6 characters */
	CHECK(check_str(a, "title", "a\nb", &req) == 422);
	CHECK(check_str(a, "body", "a\r\nb\tc", &req) == 0);
	CHECK(check_str(a, "body", "a\x01", &req) == 422);
	CHECK(check_str(a, "title",
	                "a\xC2\x85"
	                "b",
	                &req) == 422);                         /* NEL (C1) */
	CHECK(check_str(a, "body", "a\xC2\x9F", &req) == 422); /* C1, even multiline */
	CHECK(check_str(a, "title",
	                "a\xE2\x80\xA8"
	                "b",
	                &req) == 422); /* line separator */
	CHECK(check_str(a, "body",
	                "a\xE2\x80\xA9"
	                "b",
	                &req) == 0);                                     /* paragraph, multiline */
	CHECK(check_str(a, "title", "\xC2\xA0\xE2\x80\xA6", &req) == 0); /* NBSP, ellipsis */
	CHECK(check(a, "body", pv_int(a, 5), &req) == 422);
	{
		struct portal_req *r = request(a);
		CHECK(input_check(r, inputs) == 422 && strcmp(rq.error_field, "title") == 0);
		r = request(a);
		pv_set_str(a, r->body, "title", "   ");
		CHECK(input_check(r, inputs) == 422); /* blank is absent, and title is required */
		r = request(a);
		pv_set(a, r->body, "title", pv_null(a));
		CHECK(input_check(r, inputs) == 422);
	}

	/* enums, booleans */
	CHECK(check_str(a, "colour", "green", &req) == 0 &&
	      strcmp(portal_in_str(req, "colour"), "green") == 0);
	CHECK(check_str(a, "colour", "blue", &req) == 422);
	CHECK(check(a, "on", pv_bool(a, true), &req) == 0 && portal_in_bool(req, "on", false));
	CHECK(check_str(a, "on", "on", &req) == 0 && portal_in_bool(req, "on", false));
	CHECK(check_str(a, "on", "0", &req) == 0 && !portal_in_bool(req, "on", true));
	CHECK(check_str(a, "on", "false", &req) == 0 && !portal_in_bool(req, "on", true));
	CHECK(check_str(a, "on", "yes", &req) == 422);
	CHECK(check(a, "on", pv_int(a, 2), &req) == 422);
	CHECK(check(a, "on", NULL, &req) == 0 && portal_in_bool(req, "on", true));

	/* dates and instants */
	CHECK(check_str(a, "day", "2026-12-24", &req) == 0);
	CHECK(check_str(a, "day", "2026-02-30", &req) == 422);
	CHECK(check_str(a, "day", "24.12.2026", &req) == 422);
	CHECK(check_str(a, "at", "2026-12-01T19:00:00+01:00", &req) == 0 &&
	      strcmp(portal_in_str(req, "at"), "2026-12-01T18:00:00Z") == 0 &&
	      portal_in_time(req, "at") == utc("2026-12-01T18:00:00Z"));
	/* a form's datetime-local is Berlin time: summer +02:00 */
	CHECK(check_str(a, "at", "2026-07-01T19:00", &req) == 0 &&
	      strcmp(portal_in_str(req, "at"), "2026-07-01T17:00:00Z") == 0);
	CHECK(check_str(a, "at", "2026-07-01T19:00:30", &req) == 0);
	CHECK(check_str(a, "at", "2026-07-01 19:00", &req) == 422);
	CHECK(check_str(a, "at", "morgen", &req) == 422);

	/* addresses, lower-cased */
	CHECK(check_str(a, "email", " Anna@Example.ORG ", &req) == 0 &&
	      strcmp(portal_in_str(req, "email"), "anna@example.org") == 0);
	CHECK(check_str(a, "email", "anna", &req) == 422);
	CHECK(check_str(a, "email", "a@b.org,c@d.org", &req) == 422);
	CHECK(check_str(a, "email", "verwälter@example.org", &req) == 422);

	/* whole numbers in a range */
	CHECK(check(a, "count", pv_int(a, -5), &req) == 0 && portal_in_int(req, "count", 9) == -5);
	CHECK(check_str(a, "count", "5", &req) == 0 && portal_in_int(req, "count", 9) == 5);
	CHECK(check_str(a, "count", "6", &req) == 422);
	CHECK(check_str(a, "count", "-", &req) == 422);
	CHECK(check_str(a, "count", "1e3", &req) == 422);
	CHECK(check(a, "count", pv_double(a, 1.5), &req) == 422);

	/* nullable: null or a form's "" is "set to none" */
	CHECK(check(a, "unit_id", pv_null(a), &req) == 0 && portal_in_has(req, "unit_id") &&
	      portal_in_null(req, "unit_id") && portal_in_int(req, "unit_id", -1) == -1);
	CHECK(check_str(a, "unit_id", "", &req) == 0 && portal_in_null(req, "unit_id"));
	CHECK(check(a, "unit_id", NULL, &req) == 0 && !portal_in_has(req, "unit_id"));

	/* item by item: positions kept, an empty item null, each one checked */
	{
		static const struct portal_input each[] = {
		    {"unit_id", PORTAL_IN_ID, PORTAL_IN_EACH},
		    {"colour", PORTAL_IN_ENUM, PORTAL_IN_EACH | PORTAL_IN_REQUIRED,
		     .choices = colours},
		    {0},
		};
		struct portal_req *r = request(a);
		struct portal_value *units = pv_list(a), *cols = pv_list(a);
		pv_push(a, units, pv_string(a, "4"));
		pv_push(a, units, pv_string(a, ""));
		pv_push(a, cols, pv_string(a, "red"));
		pv_push(a, cols, pv_string(a, "green"));
		pv_set(a, r->body, "unit_id", units);
		pv_set(a, r->body, "colour", cols);
		CHECK(input_check(r, each) == 0);
		const struct portal_value *got = portal_in_each(r, "unit_id");
		CHECK(pv_count(got) == 2 && pv_first(got)->type == PV_INT &&
		      pv_first(got)->u.i == 4 && got->u.c.tail->value->type == PV_NULL);
		CHECK(pv_count(portal_in_each(r, "colour")) == 2);
		r = request(a);
		pv_set_str(a, r->body, "colour", "red"); /* one value is a list of one */
		CHECK(input_check(r, each) == 0 && pv_count(portal_in_each(r, "colour")) == 1 &&
		      !portal_in_each(r, "unit_id"));
		r = request(a);
		cols = pv_list(a);
		pv_push(a, cols, pv_string(a, "red"));
		pv_push(a, cols, pv_string(a, ""));
		pv_set(a, r->body, "colour", cols);
		CHECK(input_check(r, each) == 422 && strcmp(rq.error_field, "colour") == 0);
		r = request(a);
		units = pv_list(a);
		pv_push(a, units, pv_string(a, "x"));
		pv_set(a, r->body, "unit_id", units);
		pv_set_str(a, r->body, "colour", "red");
		CHECK(input_check(r, each) == 422 && strcmp(rq.error_field, "unit_id") == 0);
		r = request(a);
		CHECK(input_check(r, each) == 422); /* required and absent */
	}

	/* the query, and what nothing declares is gone */
	{
		struct portal_req *r = request(a);
		pv_set_str(a, r->body, "title", "T");
		pv_set_str(a, r->body, "role", "manager");
		pv_set_str(a, r->query, "page", "3");
		pv_set_str(a, r->query, "limit", "20");
		pv_set_str(a, r->query, "sneaky", "1");
		CHECK(input_check(r, inputs) == 0);
		CHECK(portal_in_int(r, "page", 0) == 3);
		CHECK(!pv_get(r->body, "role") && !pv_get(r->query, "sneaky"));
		CHECK(pv_get(r->query, "limit") != NULL); /* portal/list.h reads it */
		CHECK(pv_count(r->body) == 1);
	}
	/* a scalar sent twice in a form: the last counts */
	struct portal_value *twice = pv_list(a);
	pv_push(a, twice, pv_string(a, "red"));
	pv_push(a, twice, pv_string(a, "green"));
	CHECK(check(a, "colour", twice, &req) == 0 &&
	      strcmp(portal_in_str(req, "colour"), "green") == 0);
}

static void test_text_and_values(struct portal_arena *a)
{
	CHECK(portal_utf8_chars("") == 0);
	CHECK(portal_utf8_chars("Straße") == 6);
	CHECK(portal_utf8_chars("€😀") == 2);

	struct portal_buf b = {.arena = a};
	CHECK(portal_buf_puts(&b, "a") == 0);
	for (int i = 0; i < 1000; i++)
		CHECK(portal_buf_printf(&b, ",%d", i) == 0);
	CHECK(b.data && strncmp(b.data, "a,0,1,2", 7) == 0 && b.len == strlen(b.data));
	CHECK(portal_buf_add(&b, "xyz", 2) == 0 && b.data[b.len - 1] == 'y');
	struct portal_arena *tiny = arena_new(4096);
	struct portal_buf t = {.arena = tiny};
	int status = 0;
	for (int i = 0; i < 1000 && !status; i++)
		status = portal_buf_puts(&t, "0123456789");
	CHECK(status == 500 && t.failed);
	CHECK(portal_buf_puts(&t, "x") == 500); /* stays failed */
	arena_free(tiny);
	struct portal_buf none = {0};
	CHECK(portal_buf_puts(&none, "x") == 500); /* no arena */

	struct portal_value *o = pv_object(a), *l = pv_list(a);
	CHECK(pv_count(o) == 0 && pv_count(NULL) == 0 && pv_first(l) == NULL);
	pv_set_int(a, o, "a", 1);
	pv_set_int(a, o, "b", 2);
	pv_set_int(a, o, "c", 3);
	CHECK(pv_count(o) == 3);
	CHECK(pv_remove(o, "c") && pv_count(o) == 2 && !pv_get(o, "c"));
	CHECK(pv_set_int(a, o, "d", 4) == 0 && pv_get_int(o, "d", 0) == 4); /* the tail moved */
	CHECK(pv_remove(o, "a") && pv_get_int(o, "b", 0) == 2 && pv_count(o) == 2);
	CHECK(!pv_remove(o, "zz") && !pv_remove(l, "a"));
	pv_push(a, l, pv_string(a, "first"));
	CHECK_STR(pv_str(pv_first(l)), "first");
	CHECK(pv_str(pv_int(a, 1)) == NULL);
	CHECK(pv_set(a, l, "x", pv_int(a, 1)) == 500); /* not an object */
	CHECK(pv_push(a, o, pv_int(a, 1)) == 500);     /* not a list */

	/* members a builder allocated itself: linked in order, found, removed */
	struct pv_member *ms = portal_alloc(a, 3 * sizeof *ms);
	struct portal_value *built = pv_object(a);
	CHECK(ms && built);
	if (ms && built) {
		static const char *const names[] = {"x", "y", "z"};
		for (int i = 0; i < 3; i++) {
			ms[i] =
			    (struct pv_member){names[i], pv_int(a, i), &ms[0]}; /* next is reset */
			pv_link(built, &ms[i]);
		}
		CHECK(pv_count(built) == 3 && pv_get_int(built, "z", -1) == 2 && !ms[2].next);
		CHECK(pv_remove(built, "z") && pv_set_int(a, built, "w", 9) == 0);
		CHECK(built->u.c.head == &ms[0] && ms[1].next && pv_get_int(built, "w", 0) == 9);
	}
}

int main(void)
{
	datetime_set_zone("Europe/Berlin");
	struct portal_arena *a = arena_new(16 << 20);
	test_schedule_parse();
	test_schedule_periods();
	test_times(request(a));
	test_inputs(a);
	test_text_and_values(a);
	arena_free(a);
	HARNESS_END();
}
