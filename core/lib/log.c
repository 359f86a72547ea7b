#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "portal/portal.h"

static char role[32] = "master";

void log_set_role(const char *r)
{
	snprintf(role, sizeof role, "%s", r);
}

void portal_log(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(
	    line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02dZ portald[%d] %s: ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)getpid(), role);
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof line)
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so lines of concurrent workers never interleave;
	 * control characters are replaced so nothing can forge a line. */
	size_t len = strlen(line);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (len < sizeof line - 1)
		line[len++] = '\n';
	else
		line[sizeof line - 1] = '\n', len = sizeof line;
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}
