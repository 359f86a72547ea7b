/* The operators' routes outside /api/v1: /healthz for load balancers and
 * /metrics for Prometheus, both from the pool's shared board
 * (lib/metrics.h) and, for what only the database knows, a few queries. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "features/routes.h"
#include "http/request.h"
#include "lib/buf.h"
#include "lib/metrics.h"

/* A statement within this long counts as the database being reachable; an
 * older one makes /healthz ask the database itself. */
#define HEALTH_FRESH_MS 5000

/* An answer of the route's own, whatever its status (a load balancer reads
 * /healthz's 503 as it is, not the portal's error page). */
static int answer(struct portal_req *req, int status, const char *type, const char *body,
                  size_t len)
{
	int rc = portal_respond_raw(req, type, body, len);
	if (rc != 200)
		return rc;
	request_of(req)->raw_status = status;
	return status;
}

/* GET /healthz: 200 when a worker reached MariaDB within HEALTH_FRESH_MS
 * (no database trip), else when this one reaches it now; 503 otherwise. */
static int healthz(struct portal_req *req, struct portal_value *view)
{
	static const char ok[] = "{\"status\":\"ok\"}\n";
	static const char down[] = "{\"status\":\"unavailable\"}\n";
	struct portal_value *rows;
	if (!metrics_db_fresh(HEALTH_FRESH_MS) &&
	    portal_db_query(req, "SELECT 1 AS ok", PORTAL_DB_NOARGS, &rows))
		return answer(req, 503, "application/json; charset=utf-8", down, sizeof down - 1);
	return answer(req, 200, "application/json; charset=utf-8", ok, sizeof ok - 1);
}

/* Whether addr is in entry: an address, or a network ADDRESS/BITS. */
static bool address_in(const char *addr, const char *entry, size_t len)
{
	char text[64];
	if (len >= sizeof text)
		return false;
	memcpy(text, entry, len);
	text[len] = '\0';
	char *slash = strchr(text, '/');
	int bits = -1;
	if (slash) {
		*slash = '\0';
		if (sscanf(slash + 1, "%d", &bits) != 1 || bits < 0)
			return false;
	}
	unsigned char a[16], n[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	int size = family == AF_INET6 ? 16 : 4;
	if (inet_pton(family, addr, a) != 1 || inet_pton(family, text, n) != 1 || bits > size * 8)
		return false;
	if (bits < 0)
		bits = size * 8;
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(a, n, (size_t)whole) != 0)
		return false;
	unsigned char mask = (unsigned char)(0xff00 >> rest);
	return rest == 0 || (a[whole] & mask) == (n[whole] & mask);
}

/* Loopback, or an address metrics_allow names (words: addresses or
 * networks). The address is nginx's REMOTE_ADDR, a trusted proxy's client
 * when nginx's realip says so. */
static bool metrics_allowed(const struct portal_req *req)
{
	const char *addr = req->client_addr;
	if (!addr)
		return false;
	if (address_in(addr, "127.0.0.0/8", 11) || strcmp(addr, "::1") == 0)
		return true;
	const char *allow = portal_config(req, "metrics_allow");
	for (const char *p = allow ? allow : ""; *p;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (len && address_in(addr, p, len))
			return true;
		p += len;
	}
	return false;
}

/* A label value in the exposition format's escaping. */
static void label(struct buf *b, const char *value)
{
	for (const char *s = value; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_append(b, s, 1);
	}
}

static void entry_labels(struct buf *b, const struct metrics_entry *e)
{
	buf_puts(b, "method=\"");
	label(b, e->method);
	buf_puts(b, "\",route=\"");
	label(b, *e->route ? e->route : "(unmatched)");
	buf_puts(b, "\"");
}

static bool ready(const struct metrics_entry *e)
{
	return __atomic_load_n(&e->state, __ATOMIC_ACQUIRE) == METRICS_READY;
}

static unsigned long long load(const unsigned long long *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static void requests(struct buf *b, const struct metrics_board *m)
{
	buf_puts(b, "# HELP portal_requests_total Requests answered, by method, route pattern "
	            "and status.\n# TYPE portal_requests_total counter\n");
	for (int i = 0; i < METRICS_ENTRIES; i++) {
		const struct metrics_entry *e = &m->entries[i];
		if (!ready(e))
			continue;
		buf_puts(b, "portal_requests_total{");
		entry_labels(b, e);
		buf_printf(b, ",status=\"%d\"} %llu\n", e->status, load(&e->count));
	}
	buf_printf(b,
	           "# HELP portal_requests_uncounted_total Requests not counted by route: the "
	           "table was full.\n# TYPE portal_requests_uncounted_total counter\n"
	           "portal_requests_uncounted_total %llu\n",
	           load(&m->uncounted));
}

/* The latency histogram per method and route: the entries of each status
 * summed into the first entry of that method and route. */
static void latency(struct buf *b, const struct metrics_board *m)
{
	buf_puts(b, "# HELP portal_request_duration_seconds Time from the request's arrival at "
	            "a worker to its answer.\n# TYPE portal_request_duration_seconds histogram\n");
	for (int i = 0; i < METRICS_ENTRIES; i++) {
		const struct metrics_entry *e = &m->entries[i];
		if (!ready(e))
			continue;
		bool seen = false;
		for (int j = 0; j < i && !seen; j++)
			seen = ready(&m->entries[j]) &&
			       strcmp(m->entries[j].method, e->method) == 0 &&
			       strcmp(m->entries[j].route, e->route) == 0;
		if (seen)
			continue;
		unsigned long long buckets[METRICS_BUCKETS] = {0}, count = 0, sum_us = 0;
		for (int j = i; j < METRICS_ENTRIES; j++) {
			const struct metrics_entry *f = &m->entries[j];
			if (!ready(f) || strcmp(f->method, e->method) != 0 ||
			    strcmp(f->route, e->route) != 0)
				continue;
			for (int k = 0; k < METRICS_BUCKETS; k++)
				buckets[k] += load(&f->buckets[k]);
			count += load(&f->count);
			sum_us += load(&f->sum_us);
		}
		unsigned long long cumulative = 0;
		for (int k = 0; k < METRICS_BUCKETS; k++) {
			cumulative += buckets[k];
			buf_puts(b, "portal_request_duration_seconds_bucket{");
			entry_labels(b, e);
			buf_printf(b, ",le=\"%g\"} %llu\n", metrics_bucket_bounds[k], cumulative);
		}
		/* Counted after the buckets were read: +Inf is never below them. */
		if (count < cumulative)
			count = cumulative;
		buf_puts(b, "portal_request_duration_seconds_bucket{");
		entry_labels(b, e);
		buf_printf(b, ",le=\"+Inf\"} %llu\n", count);
		buf_puts(b, "portal_request_duration_seconds_sum{");
		entry_labels(b, e);
		buf_printf(b, "} %llu.%06llu\n", sum_us / 1000000, sum_us % 1000000);
		buf_puts(b, "portal_request_duration_seconds_count{");
		entry_labels(b, e);
		buf_printf(b, "} %llu\n", count);
	}
}

static void pool_state(struct buf *b, const struct metrics_board *m)
{
	int busy, idle;
	metrics_workers(&busy, &idle);
	buf_printf(b,
	           "# HELP portal_workers Request workers, busy with a request or idle.\n"
	           "# TYPE portal_workers gauge\n"
	           "portal_workers{state=\"busy\"} %d\nportal_workers{state=\"idle\"} %d\n"
	           "# HELP portal_worker_restarts_total Workers the pool replaced: recycled "
	           "(max_requests, memory, a reload) or failed (crashed, killed).\n"
	           "# TYPE portal_worker_restarts_total counter\n"
	           "portal_worker_restarts_total{reason=\"recycled\"} %llu\n"
	           "portal_worker_restarts_total{reason=\"failed\"} %llu\n",
	           busy, idle, load(&m->exits_clean), load(&m->exits_failed));
}

/* What only the database knows: the outbox and each job's last run. Left
 * out (with portal_database_up 0) when the database does not answer. */
static void database_state(struct portal_req *req, struct buf *b)
{
	struct portal_value *outbox, *jobs;
	bool up =
	    !portal_db_query(req,
	                     "SELECT CAST(COALESCE(SUM(status = 'queued'), 0) AS SIGNED) AS queued,"
	                     " CAST(COALESCE(SUM(status = 'failed'), 0) AS SIGNED) AS failed"
	                     " FROM outbox WHERE status IN ('queued', 'failed')",
	                     PORTAL_DB_NOARGS, &outbox) &&
	    !portal_db_query(req,
	                     "SELECT name, outcome,"
	                     " CAST(UNIX_TIMESTAMP(started_at) * 1000 AS SIGNED) AS started_ms"
	                     " FROM jobs ORDER BY name",
	                     PORTAL_DB_NOARGS, &jobs);
	buf_printf(b,
	           "# HELP portal_database_up Whether this scrape's queries reached MariaDB.\n"
	           "# TYPE portal_database_up gauge\nportal_database_up %d\n",
	           up);
	if (!up)
		return;
	const struct portal_value *o = pv_first(outbox);
	buf_printf(b,
	           "# HELP portal_outbox_mails Mails in the outbox waiting to be sent, or given "
	           "up on.\n# TYPE portal_outbox_mails gauge\n"
	           "portal_outbox_mails{status=\"queued\"} %lld\n"
	           "portal_outbox_mails{status=\"failed\"} %lld\n",
	           pv_get_int(o, "queued", 0), pv_get_int(o, "failed", 0));
	buf_puts(b, "# HELP portal_job_last_run_timestamp_seconds When each job's last run "
	            "started.\n# TYPE portal_job_last_run_timestamp_seconds gauge\n");
	pv_foreach(j, jobs) {
		long long ms = pv_get_int(j->value, "started_ms", 0);
		if (ms <= 0)
			continue;
		buf_puts(b, "portal_job_last_run_timestamp_seconds{job=\"");
		label(b, pv_get_str(j->value, "name"));
		buf_printf(b, "\"} %lld.%03lld\n", ms / 1000, ms % 1000);
	}
	buf_puts(b, "# HELP portal_job_last_outcome Each job's last run: 1 for the outcome it "
	            "had (running, ok, failed), 0 for the others.\n"
	            "# TYPE portal_job_last_outcome gauge\n");
	static const char *const outcomes[] = {"running", "ok", "failed"};
	pv_foreach(j, jobs) {
		const char *outcome = pv_get_str(j->value, "outcome");
		for (size_t k = 0; outcome && k < sizeof outcomes / sizeof *outcomes; k++) {
			buf_puts(b, "portal_job_last_outcome{job=\"");
			label(b, pv_get_str(j->value, "name"));
			buf_printf(b, "\",outcome=\"%s\"} %d\n", outcomes[k],
			           strcmp(outcome, outcomes[k]) == 0);
		}
	}
}

/* GET /metrics: the Prometheus text format, for loopback and metrics_allow
 * only (404 to everyone else, as if it did not exist). */
static int metrics(struct portal_req *req, struct portal_value *view)
{
	const struct metrics_board *m = metrics_board();
	if (!metrics_allowed(req) || !m)
		return portal_not_found(req);
	struct buf b = {0};
	requests(&b, m);
	latency(&b, m);
	pool_state(&b, m);
	database_state(req, &b);
	int status = b.failed ? 500
	                      : portal_respond_raw(req, "text/plain; version=0.0.4; charset=utf-8",
	                                           b.data, b.len);
	buf_free(&b);
	return status;
}

const struct portal_route routes_ops[] = {
    {"GET", NULL, "/healthz", PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_ANONYMOUS, healthz, NULL, NULL},
    {"GET", NULL, "/metrics", PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_ANONYMOUS, metrics, NULL, NULL},
    {0},
};
