/* Core's jobs: the outbox, the clean-ups of what requests leave behind, and
 * the filling of search indexes. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "features/routes.h"
#include "features/search.h"
#include "mail/outbox.h"

#define STALE_UPLOAD_SECONDS 3600

/* Uploads are removed when their request ends; a worker killed mid-request
 * (timeout, crash) leaves its temporary files behind. */
static int remove_stale_uploads(struct portal_req *req)
{
	const char *dir = portal_config(req, "tmp_dir");
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	time_t now = time(NULL);
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "upload-", 7) != 0)
			continue;
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    now - st.st_mtime > STALE_UPLOAD_SECONDS && unlink(path) == 0)
			portal_log("removed stale upload %s", e->d_name);
	}
	closedir(d);
	return 0;
}

/* Failed sign-ins count within minutes; a day later they only take space. In
 * slices, so the delete never holds its locks for long. */
static int remove_old_throttle_events(struct portal_req *req)
{
	unsigned long long removed = 0;
	int status = portal_db_exec(
	    req,
	    "DELETE FROM throttle_events WHERE at < UTC_TIMESTAMP(3) - INTERVAL 1 DAY LIMIT 10000",
	    PORTAL_DB_NOARGS, &removed, NULL);
	if (!status && removed)
		portal_log("removed %llu old throttle events", removed);
	return status;
}

/* Sent and failed mail is kept mail_retention_days for GET /outbox and
 * questions about it, then purged; the counts of the mail quotas matter for a
 * day. In slices, like the throttle events. */
static int purge_old_mail(struct portal_req *req)
{
	long long days = strtoll(portal_config(req, "mail_retention_days"), NULL, 10);
	unsigned long long sent = 0, failed = 0, counts = 0;
	int status = portal_db_exec(req,
	                            "DELETE FROM outbox WHERE status = 'sent'"
	                            " AND sent_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT 10000",
	                            PORTAL_DB_ARGS(PDB_I(days)), &sent, NULL);
	if (!status)
		status =
		    portal_db_exec(req,
		                   "DELETE FROM outbox WHERE status = 'failed'"
		                   " AND created_at < UTC_TIMESTAMP() - INTERVAL ? DAY LIMIT 10000",
		                   PORTAL_DB_ARGS(PDB_I(days)), &failed, NULL);
	if (!status)
		status = portal_db_exec(req,
		                        "DELETE FROM mail_quota_events"
		                        " WHERE at < UTC_TIMESTAMP() - INTERVAL 1 DAY LIMIT 10000",
		                        PORTAL_DB_NOARGS, &counts, NULL);
	if (!status && (sent || failed))
		portal_log("purged %llu sent and %llu failed mails older than %lld days", sent,
		           failed, days);
	return status;
}

const struct portal_job core_jobs[] = {
    {"outbox", "every 1s", outbox_run, PORTAL_JOB_EACH_HOST},
    {"throttle-events", "every 10m", remove_old_throttle_events, 0},
    {"mail-retention", "every 1h", purge_old_mail, 0},
    {"stale-uploads", "every 10m", remove_stale_uploads, PORTAL_JOB_EACH_HOST},
    /* Every host: files_dir may be a host's own disk. */
    {"files-sweep", "every 1h", files_sweep, PORTAL_JOB_EACH_HOST},
    /* Fills what sql/019 and later rules name in search_rebuilds. */
    {"search-index", "every 10s", search_index_job, 0},
    {0},
};
