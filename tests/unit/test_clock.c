/* The test clock (core/lib/clock.c): off without a file named, the file's
 * seconds once named, read again when the file is replaced, 0 for a missing
 * or malformed file. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lib/clock.h"
#include "portal/datetime.h"

static char dir[] = "/tmp/portal-clock-XXXXXX";
static char file[64], tmp[64];

/* Replaces the clock's file with text, as the tests' helper does. */
static void write_clock(const char *text)
{
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	rename(tmp, file);
}

static void test_off(void)
{
	clock_use_file(NULL);
	CHECK(!clock_is_test());
	CHECK(clock_offset() == 0);
	long long before = (long long)time(NULL);
	long long now = portal_now();
	CHECK(now >= before && now <= (long long)time(NULL));
	clock_use_file("");
	CHECK(!clock_is_test());
}

static void test_file(void)
{
	clock_use_file(file);
	CHECK(clock_is_test());
	CHECK(clock_offset() == 0); /* no file yet */
	write_clock("86400\n");
	CHECK(clock_offset() == 86400);
	long long before = (long long)time(NULL) + 86400;
	long long now = portal_now();
	CHECK(now >= before && now <= (long long)time(NULL) + 86400);
	/* replaced within the same second: read again */
	write_clock("90000\n");
	CHECK(clock_offset() == 90000);
	CHECK(clock_offset() == 90000);
	write_clock("-60");
	CHECK(clock_offset() == -60);
	write_clock("tomorrow\n");
	CHECK(clock_offset() == 0);
	write_clock("12 hours\n");
	CHECK(clock_offset() == 0);
	write_clock("3600\n");
	CHECK(clock_offset() == 3600);
	unlink(file);
	CHECK(clock_offset() == 0);
	clock_use_file(NULL);
	CHECK(clock_offset() == 0);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(file, sizeof file, "%s/clock", dir);
	snprintf(tmp, sizeof tmp, "%s/clock.new", dir);
	test_off();
	test_file();
	unlink(tmp);
	rmdir(dir);
	HARNESS_END();
}
