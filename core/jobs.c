/* The jobs worker runs each job of its table when it is due, one at a time,
 * and stops between jobs on SIGTERM. */
#include "jobs.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "portal/portal.h"

#define STALE_UPLOAD_SECONDS 3600

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Uploads are removed when their request ends; a worker killed mid-request
 * (timeout, crash) leaves its temporary files behind. */
static void remove_stale_uploads(const struct config *cfg)
{
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

struct job {
	const char *name;
	int every_seconds;
	void (*run)(const struct config *cfg);
};

static const struct job jobs[] = {
	{"stale-uploads", 600, remove_stale_uploads},
};

void jobs_main(const struct config *cfg, struct plugin_set *plugins, struct slot *slot)
{
	(void)plugins;
	log_set_role("jobs");
	/* A worker never outlives its master (kill -9 of the master included). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	struct sigaction sa = {.sa_handler = on_term};
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	time_t due[sizeof jobs / sizeof jobs[0]] = {0};
	while (!stopping) {
		time_t now = time(NULL);
		for (size_t i = 0; i < sizeof jobs / sizeof jobs[0] && !stopping; i++) {
			if (now < due[i])
				continue;
			slot->busy_ms = 0; /* jobs are not subject to request_timeout */
			snprintf(slot->path, sizeof slot->path, "job %s", jobs[i].name);
			jobs[i].run(cfg);
			slot->served++;
			due[i] = now + jobs[i].every_seconds;
		}
		sleep(1);
	}
	_exit(0);
}
