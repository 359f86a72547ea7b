#include "lib/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "portal/datetime.h"
#include "portal/portal.h"

/* The file, and what identified its content when it was last read: a test
 * writes a new file and renames it over the old one, so the inode tells a
 * change even within the filesystem's timestamp resolution. */
static struct {
	char *path;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	long long offset;
} test_clock;

void clock_use_file(const char *path)
{
	free(test_clock.path);
	memset(&test_clock, 0, sizeof test_clock);
	if (path && *path)
		test_clock.path = strdup(path);
}

int clock_is_test(void)
{
	return test_clock.path != NULL;
}

/* The offset in text: an optional sign and digits, then white space. */
static int parse_offset(const char *text, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (errno || end == text || *end)
		return -1;
	*out = v;
	return 0;
}

static long long read_offset(const char *path)
{
	char text[64] = "";
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
	if (f)
		fclose(f);
	text[n] = '\0';
	long long offset = 0;
	if (!f) {
		portal_log("test_clock: cannot read %s: the real time", path);
	} else if (parse_offset(text, &offset)) {
		portal_log("test_clock: %s holds no whole number of seconds: the real time", path);
		offset = 0;
	}
	return offset;
}

long long clock_offset(void)
{
	if (!test_clock.path)
		return 0;
	struct stat st;
	if (stat(test_clock.path, &st) != 0) {
		test_clock.ino = 0;
		return test_clock.offset = 0;
	}
	if (st.st_ino != test_clock.ino || st.st_dev != test_clock.dev ||
	    st.st_size != test_clock.size || st.st_mtim.tv_sec != test_clock.mtime.tv_sec ||
	    st.st_mtim.tv_nsec != test_clock.mtime.tv_nsec) {
		test_clock.offset = read_offset(test_clock.path);
		test_clock.dev = st.st_dev;
		test_clock.ino = st.st_ino;
		test_clock.size = st.st_size;
		test_clock.mtime = st.st_mtim;
	}
	return test_clock.offset;
}

long long portal_now(void)
{
	return (long long)time(NULL) + clock_offset();
}
