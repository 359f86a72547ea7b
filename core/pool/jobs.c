/* The jobs worker and the running of one job (jobs.h). A period of a job that
 * runs once in the deployment is claimed with one UPDATE of its row in the
 * table jobs: only the host whose UPDATE moved period_start forward runs it. */
#include "pool/jobs.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/arena.h"
#include "db/db.h"
#include "http/files.h"
#include "portal/datetime.h"
#include "portal/portal.h"
#include "pool/memory.h"
#include "pool/worker.h"

/* A job that runs on every host every few seconds (the outbox) records its
 * runs at most this often, unless its outcome changes. */
#define RECORD_EVERY_SECONDS 60

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

bool portal_job_stopping(void)
{
	return stopping != 0;
}

/* "2026-12-04 23:10:00" in UTC, as DATETIME columns take it. */
static void sql_time(long long t, char out[24])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Who runs it, for the table: host and pid. */
static const char *runner(void)
{
	static char name[128];
	if (!name[0]) {
		char host[64] = "";
		gethostname(host, sizeof host - 1);
		snprintf(name, sizeof name, "%s:%d", host, (int)getpid());
	}
	return name;
}

/* 1 when this process claimed period of job, 0 when another did, or an HTTP
 * status (negative) when the database failed. */
static int claim(struct portal_worker *w, struct portal_arena *a, const char *job, long long period)
{
	char at[24];
	sql_time(period, at);
	unsigned long long claimed = 0;
	int status = db_run(w->db, a, "INSERT IGNORE INTO jobs (name) VALUES (?)",
	                    PORTAL_DB_ARGS(PDB_S(job)), NULL, NULL, NULL);
	if (!status)
		status = db_run(w->db, a,
		                "UPDATE jobs SET period_start = ?, claimed_by = ?,"
		                " started_at = UTC_TIMESTAMP(3), finished_at = NULL,"
		                " outcome = 'running', message = NULL"
		                " WHERE name = ? AND (period_start IS NULL OR period_start < ?)",
		                PORTAL_DB_ARGS(PDB_S(at), PDB_S(runner()), PDB_S(job), PDB_S(at)),
		                NULL, &claimed, NULL);
	return status ? -status : claimed == 1;
}

/* The outcome of a run that began at started (a claimed run's start is in the
 * row already: started 0). */
static int record(struct portal_worker *w, struct portal_arena *a, const char *job,
                  long long started, const char *outcome, const char *message)
{
	char at[24];
	sql_time(started, at);
	return db_run(
	    w->db, a,
	    "INSERT INTO jobs (name, claimed_by, started_at, finished_at, outcome, message)"
	    " VALUES (?, ?, ?, IF(? = 'running', NULL, UTC_TIMESTAMP(3)), ?, ?)"
	    " ON DUPLICATE KEY UPDATE claimed_by = VALUES(claimed_by),"
	    " started_at = IF(? = 0, started_at, VALUES(started_at)),"
	    " finished_at = VALUES(finished_at), outcome = VALUES(outcome),"
	    " message = VALUES(message)",
	    PORTAL_DB_ARGS(PDB_S(job), PDB_S(runner()), PDB_S(at), PDB_S(outcome), PDB_S(outcome),
	                   PDB_S(message), PDB_I(started)),
	    NULL, NULL, NULL);
}

/* One run in a request of its own: no caller, a fresh arena, the owner's
 * state, texts and templates. A transaction left open is rolled back. */
static int run_in_request(struct portal_worker *w, const struct plugin_job *job, char *why,
                          size_t whylen)
{
	struct request rq = {.status = 200, .plugin = job->owner};
	struct portal_req *req = &rq.pub;
	*why = '\0';
	if (!(req->arena = arena_new((size_t)config_int(w->cfg, "arena_bytes")))) {
		snprintf(why, whylen, "out of memory");
		return 503;
	}
	req->worker = w;
	req->plugin_state = job->owner->state;
	req->method = "JOB";
	req->path = job->def->name;
	req->locale = "de";
	req->query = pv_object(req->arena);
	req->body = pv_object(req->arena);
	req->cookies = pv_object(req->arena);
	req->params = pv_object(req->arena);
	db_request_start(w->db);
	int status = req->body ? job->def->run(req) : 503;
	db_request_end(w->db);
	files_request_end(&rq.pub);
	if (status)
		snprintf(why, whylen, "%d %s", status, rq.error_message ? rq.error_message : "");
	buf_free(&rq.headers);
	arena_free(req->arena);
	return status;
}

int jobs_run_now(struct portal_worker *w, const struct plugin_job *job, char *why, size_t whylen)
{
	const char *name = job->def->name;
	struct portal_arena *a = arena_new(1 << 20);
	if (!a) {
		snprintf(why, whylen, "out of memory");
		return 503;
	}
	long long started = portal_now();
	int status = record(w, a, name, started, "running", NULL);
	if (!status)
		status = run_in_request(w, job, why, whylen);
	else
		snprintf(why, whylen, "%d the run cannot be recorded", status);
	if (record(w, a, name, started, status ? "failed" : "ok", status ? why : NULL))
		portal_log("job %s: its outcome was not recorded", name);
	arena_free(a);
	return status;
}

/* What the jobs worker remembers of a job between its periods. */
struct job_state {
	long long period;      /* the last period seen to begin */
	long long recorded_at; /* a job on every host: its last recorded run */
	int last_status;
};

/* A new period of job began: claim it (unless the job runs on every host),
 * run it, record how it went. */
static void run_period(struct portal_worker *w, const struct plugin_job *job, struct job_state *st,
                       long long period, long long now)
{
	const char *name = job->def->name;
	st->period = period;
	struct portal_arena *a = arena_new(1 << 20);
	if (!a)
		return;
	bool each_host = job->def->flags & PORTAL_JOB_EACH_HOST;
	int claimed = each_host ? 1 : claim(w, a, name, period);
	if (claimed < 0)
		portal_log("job %s: the period cannot be claimed (%d); tried next period", name,
		           -claimed);
	if (claimed == 1) {
		char why[256];
		int status = run_in_request(w, job, why, sizeof why);
		if (status)
			portal_log("job %s failed: %s", name, why);
		bool quiet = each_host && status == st->last_status &&
		             now - st->recorded_at < RECORD_EVERY_SECONDS;
		if (!quiet) {
			if (record(w, a, name, each_host ? now : 0, status ? "failed" : "ok",
			           status ? why : NULL))
				portal_log("job %s: its outcome was not recorded", name);
			st->recorded_at = now;
		}
		st->last_status = status;
	}
	arena_free(a);
}

void jobs_main(const struct config *cfg, struct plugin_set *plugins, struct slot *slot)
{
	child_start("jobs", on_term);
	/* After the fork, in the only process that sends: libcurl's global state is
	 * per process. Without it the outbox fails each attempt and says so. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		portal_log("libcurl does not initialise: mail cannot be sent");
	struct portal_worker w = {.cfg = cfg, .plugins = plugins, .slot = slot, .number = -1};
	char err[512];
	if (worker_setup(&w, err, sizeof err)) {
		portal_log("cannot start: %s", err);
		_exit(3);
	}
	struct job_state *st = calloc(plugins->job_count + 1, sizeof *st);
	if (!st) {
		portal_log("cannot start: out of memory");
		_exit(3);
	}
	while (!stopping) {
		long long now = portal_now();
		for (size_t i = 0; i < plugins->job_count && !stopping; i++) {
			const struct plugin_job *job = &plugins->jobs[i];
			long long period = schedule_period(&job->schedule, now);
			if (period <= st[i].period)
				continue;
			slot->busy_ms = 0; /* jobs are not subject to request_timeout */
			snprintf(slot->path, sizeof slot->path, "job %s", job->def->name);
			run_period(&w, job, &st[i], period, now);
			slot->served++;
			if (memory_outgrown(cfg))
				stopping = 1; /* the master starts another */
		}
		sleep(1);
	}
	free(st);
	worker_teardown(&w);
	curl_global_cleanup();
	_exit(0);
}
