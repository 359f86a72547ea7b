/* portalctl jobs list, and portalctl jobs run NAME: core's and the enabled
 * plugins' jobs, their last run and outcome from the table jobs, and a run by
 * hand (which leaves the schedule as it is). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl/ctl.h"
#include "features/routes.h"
#include "lib/datetime.h"
#include "pool/jobs.h"
#include "pool/worker.h"

/* "2026-12-05 06:00:00" in the deployment's zone, or "-" for none. */
static const char *local_text(long long t, char out[24])
{
	if (t <= 0)
		return "-";
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm);
	return out;
}

static int jobs_list(struct ctl *c, const struct plugin_set *set)
{
	struct portal_value *rows;
	if (db_run(c->db, c->arena,
	           "SELECT name, outcome, message,"
	           " CAST(COALESCE(UNIX_TIMESTAMP(period_start), 0) AS SIGNED) AS period,"
	           " CAST(COALESCE(UNIX_TIMESTAMP(started_at), 0) AS SIGNED) AS started"
	           " FROM jobs",
	           PORTAL_DB_NOARGS, &rows, NULL, NULL))
		return ctl_fail("cannot read the table jobs");
	long long now = portal_now();
	printf("%-20s %-12s %-8s %-19s  %-19s  %s\n", "JOB", "SCHEDULE", "OUTCOME", "LAST RUN",
	       "NEXT RUN", "PLUGIN");
	for (size_t i = 0; i < set->job_count; i++) {
		const struct plugin_job *j = &set->jobs[i];
		const struct portal_value *row = NULL;
		pv_foreach(m, rows) {
			if (strcmp(pv_get_str(m->value, "name"), j->def->name) == 0)
				row = m->value;
		}
		const char *outcome = pv_get_str(row, "outcome");
		long long period = pv_get_int(row, "period", 0);
		long long started = pv_get_int(row, "started", 0);
		/* The period after the last one run; one that began already is due now. */
		long long last = period    ? period
		                 : started ? schedule_period(&j->schedule, started)
		                           : 0;
		long long next = last ? schedule_next(&j->schedule, last) : now;
		char a[24], b[24];
		printf("%-20s %-12s %-8s %-19s  %-19s  %s\n", j->def->name, j->text,
		       outcome ? outcome : "never", local_text(started, a),
		       next <= now ? "due now" : local_text(next, b), j->owner->def->name);
		const char *message = pv_get_str(row, "message");
		if (outcome && strcmp(outcome, "failed") == 0 && message)
			printf("%-20s   %s\n", "", message);
	}
	printf("(times in %s)\n", config_get(c->cfg, "time_zone"));
	return 0;
}

/* Runs the job in this process, set up as a worker is (templates, texts, the
 * plugins' init), and says how it went. */
static int jobs_run(struct ctl *c, struct plugin_set *set, const char *name)
{
	const struct plugin_job *job = plugins_job(set, name);
	if (!job)
		return ctl_fail("no job \"%s\" (portalctl jobs list shows them)", name);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ctl_fail("libcurl does not initialise");
	struct portal_worker w = {.cfg = c->cfg, .plugins = set, .number = -1};
	char err[512], why[256];
	int rc;
	if (worker_setup(&w, err, sizeof err)) {
		rc = ctl_fail("%s", err);
	} else {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int status = jobs_run_now(&w, job, why, sizeof why);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double seconds = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		rc = status ? ctl_fail("job %s failed after %.1f s: %s", name, seconds, why) : 0;
		if (!status)
			printf("job %s: ok (%.1f s)\n", name, seconds);
	}
	worker_teardown(&w); /* frees the set too */
	curl_global_cleanup();
	return rc;
}

int ctl_jobs(struct ctl *c, int argc, char **argv)
{
	bool list = argc == 1 && strcmp(argv[0], "list") == 0;
	bool run = argc == 2 && strcmp(argv[0], "run") == 0;
	if (!list && !run)
		return ctl_fail("usage: portalctl jobs list | portalctl jobs run NAME");
	char err[512];
	struct plugin_set *set = plugins_load(c->cfg, &core_definition, err, sizeof err);
	if (!set)
		return ctl_fail("%s", err);
	datetime_set_zone(config_get(c->cfg, "time_zone"));
	if (run)
		return jobs_run(c, set, argv[1]);
	int rc = jobs_list(c, set);
	plugins_free(set);
	return rc;
}
