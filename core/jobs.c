/* The jobs worker runs each job of its table when it is due, one at a time,
 * and stops between jobs on SIGTERM. */
#include "jobs.h"

#include <curl/curl.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "worker.h"
#include "outbox.h"
#include "portal/portal.h"

#define STALE_UPLOAD_SECONDS 3600

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

bool jobs_stopping(void)
{
	return stopping != 0;
}

/* Uploads are removed when their request ends; a worker killed mid-request
 * (timeout, crash) leaves its temporary files behind. */
static void remove_stale_uploads(struct job_context *jc)
{
	const struct config *cfg = jc->cfg;
	const char *dir = config_get(cfg, "tmp_dir");
	DIR *d = opendir(dir);
	if (!d)
		return;
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
}

/* Failed sign-ins count within minutes; a day later they only take space. In
 * slices, so the delete never holds its locks for long. */
static void remove_old_throttle_events(struct job_context *jc)
{
	unsigned long long removed = 0;
	int status = db_run(jc->db, jc->arena,
			    "DELETE FROM throttle_events WHERE at < UTC_TIMESTAMP(3) - INTERVAL 1 DAY"
			    " LIMIT 10000",
			    PORTAL_DB_NOARGS, NULL, &removed, NULL);
	if (status)
		portal_log("throttle clean-up failed (%d); tried again later", status);
	else if (removed)
		portal_log("removed %llu old throttle events", removed);
}

struct job {
	const char *name;
	int every_seconds;
	void (*run)(struct job_context *jc);
};

static const struct job jobs[] = {
	{"outbox", 1, outbox_run},
	{"throttle-events", 600, remove_old_throttle_events},
	{"stale-uploads", 600, remove_stale_uploads},
};

/* One run of a job in a fresh arena; a transaction it left open is rolled back. */
static void run_job(const struct job *job, struct job_context *jc)
{
	if (!(jc->arena = arena_new((size_t)config_int(jc->cfg, "arena_bytes")))) {
		portal_log("job %s: out of memory", job->name);
		return;
	}
	db_request_start(jc->db);
	job->run(jc);
	db_request_end(jc->db);
	arena_free(jc->arena);
	jc->arena = NULL;
}

void jobs_main(const struct config *cfg, struct plugin_set *plugins, struct slot *slot)
{
	child_start("jobs", on_term);
	/* After the fork, in the only process that sends: libcurl's global state is
	 * per process. Without it the outbox fails each attempt and says so. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		portal_log("libcurl does not initialise: mail cannot be sent");
	struct job_context jc = {.cfg = cfg, .plugins = plugins, .db = db_new(cfg)};
	if (!jc.db) {
		portal_log("cannot start: out of memory");
		_exit(3);
	}

	time_t due[sizeof jobs / sizeof jobs[0]] = {0};
	while (!stopping) {
		time_t now = time(NULL);
		for (size_t i = 0; i < sizeof jobs / sizeof jobs[0] && !stopping; i++) {
			if (now < due[i])
				continue;
			slot->busy_ms = 0; /* jobs are not subject to request_timeout */
			snprintf(slot->path, sizeof slot->path, "job %s", jobs[i].name);
			run_job(&jobs[i], &jc);
			slot->served++;
			due[i] = now + jobs[i].every_seconds;
		}
		sleep(1);
	}
	db_free(jc.db);
	curl_global_cleanup();
	_exit(0);
}
