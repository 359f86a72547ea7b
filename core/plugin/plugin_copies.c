/* Each load of the plugins opens copies of their files, in a folder of its
 * own: dlopen of a path it opened before hands back the object it already
 * holds, so without a new path a reload would keep running the code of a
 * rebuilt file. */
#include "plugin/plugin.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A folder of this process's copies: "<tmp_dir>/plugins.<pid>.<n>". */
#define COPY_PREFIX "plugins."

int plugin_copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = out < 0 ? -1 : 0;
	char chunk[65536];
	ssize_t n;
	while (!rc && (n = read(in, chunk, sizeof chunk)) != 0) {
		if (n < 0 || write(out, chunk, (size_t)n) != n)
			rc = -1;
	}
	close(in);
	if (out >= 0 && close(out))
		rc = -1;
	return rc;
}

void plugin_copies_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	closedir(d);
	rmdir(dir);
}

/* Copies a process that is gone (killed before it could clean up) left behind. */
static void remove_stale_copies(const char *tmp_dir)
{
	DIR *d = opendir(tmp_dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d))) {
		int pid;
		if (sscanf(e->d_name, COPY_PREFIX "%d.", &pid) != 1 || pid == getpid() ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof path, "%s/%s", tmp_dir, e->d_name);
		plugin_copies_remove(path);
	}
	closedir(d);
}

int plugin_copies_make(const struct config *cfg, struct plugin_set *set, char *err, size_t errlen)
{
	static unsigned loads;
	const char *tmp_dir = config_get(cfg, "tmp_dir");
	char dir[4096];
	remove_stale_copies(tmp_dir);
	snprintf(dir, sizeof dir, "%s/" COPY_PREFIX "%d.%u", tmp_dir, (int)getpid(), ++loads);
	if (mkdir(dir, 0700) || !(set->copy_dir = strdup(dir))) {
		snprintf(err, errlen, "plugins: cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	set->owner = getpid();
	return 0;
}

int plugin_copies_give(const char *dir, uid_t uid, gid_t gid)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	char path[4096];
	int rc = chown(dir, uid, gid);
	while (!rc && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			rc = chown(path, uid, gid);
		}
	closedir(d);
	return rc;
}
