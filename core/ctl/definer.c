/* mariadb-dump writes each trigger, routine, event and view with the account
 * that made it: DEFINER=`portal`@`localhost`. Loaded by another account (a
 * new host, another user name), the CREATE needs the SET USER privilege,
 * and an account missing there would make every write that fires the
 * trigger fail. Without the clause each one belongs to the account that
 * restores, the one the deployment's configuration names. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/definer.h"

/* The end of a user or host name at s (`quoted`, 'quoted' or bare), or NULL. */
static const char *name_end(const char *s)
{
	if (*s == '`' || *s == '\'') {
		char quote = *s;
		for (s++; *s; s++) {
			if (*s == quote && s[1] != quote)
				return s + 1;
			if (*s == quote)
				s++;
		}
		return NULL;
	}
	const char *start = s;
	while (*s && (strchr("_$.%-", *s) || (*s >= '0' && *s <= '9') ||
	              ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')))
		s++;
	return s > start ? s : NULL;
}

/* Only statements that create something carry a definer: lines of data
 * (INSERT ...) are never touched, whatever their strings hold. */
static int creates(const char *line)
{
	return strncmp(line, "/*!", 3) == 0 || strncmp(line, "CREATE ", 7) == 0;
}

size_t definer_strip(char *line, size_t len)
{
	if (!creates(line))
		return len;
	char *at;
	while ((at = strstr(line, "DEFINER=")) != NULL) {
		const char *user = at + strlen("DEFINER=");
		const char *host = name_end(user);
		const char *end = host && *host == '@' ? name_end(host + 1) : NULL;
		if (!end)
			break;
		char *from = at;
		/* A trigger's or event's version comment (!50017) around it goes whole. */
		if (at - line >= 9 && strncmp(at - 9, "/*!", 3) == 0 && at[-1] == ' ' &&
		    strncmp(end, "*/", 2) == 0) {
			from = at - 9;
			end += 2;
		}
		if (*end == ' ')
			end++;
		memmove(from, end, len - (size_t)(end - line) + 1);
		len -= (size_t)(end - from);
	}
	return len;
}

static void copy_stripped(FILE *in, FILE *out)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) > 0) {
		size_t len = definer_strip(line, (size_t)n);
		if (fwrite(line, 1, len, out) != len)
			_exit(1);
	}
	_exit(ferror(in) || fflush(out) ? 1 : 0);
}

int definer_filter(const char *path, int *read_fd, pid_t *pid)
{
	int ends[2];
	FILE *in = fopen(path, "re");
	if (!in)
		return -1;
	if (pipe2(ends, O_CLOEXEC)) {
		fclose(in);
		return -1;
	}
	*pid = fork();
	if (*pid == 0) {
		close(ends[0]);
		signal(SIGPIPE, SIG_DFL);
		FILE *out = fdopen(ends[1], "w");
		if (!out)
			_exit(1);
		copy_stripped(in, out);
	}
	int saved = errno;
	fclose(in);
	close(ends[1]);
	if (*pid < 0) {
		close(ends[0]);
		errno = saved;
		return -1;
	}
	*read_fd = ends[0];
	return 0;
}
