/* The file sweep: stored files that no row names any more go. Most removals
 * happen at once (a handler that deletes rows naming a file releases it);
 * the sweep catches what foreign keys took along (a property, an
 * organisation, an announcement with its attachments) and what a failure
 * left behind, by asking every enabled plugin's declared columns. */
#include <dirent.h>
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
/* A temporary file of portal_file_store this old belongs to no request. */
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
	return status;
}
