/* The file sweep: stored files that no row names any more go. Most removals
 * happen at once (a handler that deletes rows naming a file releases it);
 * the sweep catches what foreign keys took along (a property, an
 * organisation, an announcement with its attachments) and what a failure
 * left behind, by asking every enabled plugin's declared columns. It puts
 * back a file a removal left aside (its process died while deciding) and
 * forgets the guards of files nobody touched for a day. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "features/routes.h"
#include "http/files.h"
#include "lib/buf.h"
#include "portal/files.h"

/* Names asked of the database in one statement. */
#define SWEEP_BATCH 500
/* A temporary file of portal_file_store, or one a removal put aside, this
 * old belongs to no request. */
#define STALE_TEMPORARY_SECONDS 3600

static bool stored_name(const char *name)
{
	return strlen(name) == PORTAL_FILE_NAME_CHARS &&
	       strspn(name, "0123456789abcdef") == PORTAL_FILE_NAME_CHARS;
}

/* Of the names (a JSON list), those no column names: each is released (its
 * lock taken and the rows counted again, so an upload of the same content
 * meanwhile keeps it). */
static int sweep_batch(struct portal_req *req, const char *names_json)
{
	const char *named, *sql;
	struct portal_value *rows;
	int status = files_named_sql(req, "j.f", &named);
	if (status)
		return status;
	sql = portal_sprintf(req->arena,
	                     "SELECT j.f FROM JSON_TABLE(?, '$[*]' COLUMNS (f CHAR(64) PATH '$')) j"
	                     " WHERE NOT %s",
	                     named);
	if (!sql)
		return 500;
	if ((status = portal_db_query(req, sql, PORTAL_DB_ARGS(PDB_S(names_json)), &rows)))
		return status;
	pv_foreach(m, rows) {
		const char *name = pv_get_str(m->value, "f");
		if (name)
			portal_file_release(req, name);
	}
	return 0;
}

static void remove_stale_temporary(const char *dir, const char *name, time_t now)
{
	char path[4096];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    now - st.st_mtime > STALE_TEMPORARY_SECONDS && unlink(path) == 0)
		portal_log("files: removed the stale temporary file %s", name);
}

/* Whether the process that put a file aside (FILES_ASIDE_PREFIX NAME-HOST-PID)
 * is gone: one of this host that no longer runs, or any an hour after the
 * rename (a rename sets the change time). */
static bool aside_left(const char *tail, const struct stat *st, time_t now)
{
	char host[HOST_TAG_MAX];
	files_host_tag(host, sizeof host);
	const char *dash = strrchr(tail, '-');
	size_t host_len = dash ? (size_t)(dash - tail) : 0;
	long pid = dash ? strtol(dash + 1, NULL, 10) : 0;
	if (host_len == strlen(host) && strncmp(tail, host, host_len) == 0 && pid > 0 &&
	    kill((pid_t)pid, 0) && errno == ESRCH)
		return true;
	return now - st->st_ctime > STALE_TEMPORARY_SECONDS;
}

/* A file a removal put aside whose process died before it decided goes back
 * under its name: the removal starts again below if nothing names it. */
static void restore_aside(const char *dir, const char *name, time_t now)
{
	const char *stored = name + strlen(FILES_ASIDE_PREFIX);
	char from[4096], to[4096];
	struct stat st;
	if (strlen(stored) <= PORTAL_FILE_NAME_CHARS || stored[PORTAL_FILE_NAME_CHARS] != '-')
		return;
	snprintf(from, sizeof from, "%s/%s", dir, name);
	snprintf(to, sizeof to, "%s/%.*s", dir, PORTAL_FILE_NAME_CHARS, stored);
	if (lstat(from, &st) == 0 && S_ISREG(st.st_mode) &&
	    aside_left(stored + PORTAL_FILE_NAME_CHARS + 1, &st, now) && rename(from, to) == 0)
		portal_log("files: put back %.*s, left aside by a removal that did not finish",
		           PORTAL_FILE_NAME_CHARS, stored);
}

int files_sweep(struct portal_req *req)
{
	const char *dir = portal_config(req, "files_dir");
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct buf names = {0};
	size_t n = 0;
	int status = 0;
	time_t now = time(NULL);
	struct dirent *e;
	while (!status && (e = readdir(d))) {
		if (strncmp(e->d_name, ".upload-", 8) == 0)
			remove_stale_temporary(dir, e->d_name, now);
		if (strncmp(e->d_name, FILES_ASIDE_PREFIX, strlen(FILES_ASIDE_PREFIX)) == 0)
			restore_aside(dir, e->d_name, now);
		if (!stored_name(e->d_name))
			continue;
		buf_puts(&names, n ? ",\"" : "[\"");
		buf_puts(&names, e->d_name);
		buf_puts(&names, "\"");
		if (++n == SWEEP_BATCH || names.failed) {
			buf_puts(&names, "]");
			status = names.failed ? 500 : sweep_batch(req, names.data);
			buf_reset(&names);
			n = 0;
			if (portal_job_stopping())
				break;
		}
	}
	closedir(d);
	if (!status && n) {
		buf_puts(&names, "]");
		status = names.failed ? 500 : sweep_batch(req, names.data);
	}
	buf_free(&names);
	if (!status)
		status = portal_db_exec(
		    req,
		    "DELETE FROM stored_file_guards"
		    " WHERE (upload_at IS NULL OR upload_at < UTC_TIMESTAMP(6) - INTERVAL 1 DAY)"
		    " AND (released_at IS NULL OR released_at < UTC_TIMESTAMP(6) - INTERVAL 1 DAY)",
		    PORTAL_DB_NOARGS, NULL, NULL);
	return status;
}
