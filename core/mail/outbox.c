/* Sending the outbox through libcurl's SMTP (see outbox.h).
 *
 * A batch is claimed in a short transaction: the due rows are locked with
 * SKIP LOCKED (another jobs worker skips them instead of waiting) and their
 * next_attempt_at moved a lease ahead, then committed, so no other worker takes
 * them while they are being sent, and a worker that dies mid-batch only delays
 * them by the lease. The lease is longer than the time the batch may take: a
 * worker stops sending its batch before the lease could run out and hands the
 * rest back. A mail is marked sent as soon as the SMTP server accepted it (its
 * 250 to the end of DATA), before QUIT, and the mark is tried again while the
 * lease holds; a worker that dies in between, or a database that stays away
 * for the whole lease, has it sent again after the lease with the same
 * Message-ID, so a receiver can tell the copy (at least once).
 * Marking it sent (or failed for good) clears the bodies of a secret mail
 * (portal_mail's secret): the database keeps no live link. */
#include "mail/outbox.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "db/db.h"
#include "mime/mail_format.h"
#include "portal/portal.h"
#include "http/request.h"

#define BATCH_SIZE 10
#define BATCHES_PER_RUN 20
#define CONNECT_TIMEOUT_SECONDS 5
#define SEND_TIMEOUT_SECONDS 30
#define LEASE_SECONDS 120
/* Started after this many seconds of its batch, a send could outlive the lease. */
#define SEND_DEADLINE_SECONDS (LEASE_SECONDS - SEND_TIMEOUT_SECONDS - 30)
#define MAX_BACKOFF_SECONDS 3600
/* A mark that failed is tried again after this wait, the last time this long
 * before the lease ends. */
#define MARK_RETRY_SECONDS 2
#define ERROR_MAX 200

/* What a run works with: the jobs worker's connection and settings, and the
 * run's arena (each mail's bodies get an arena of their own). */
struct outbox_ctx {
	const struct config *cfg;
	struct db *db;
	struct portal_arena *arena;
};

static long long monotonic_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* Claims up to BATCH_SIZE due rows: their ids into ids, their number into *n.
 * Returns 0 or the database's status. */
static int claim(struct outbox_ctx *jc, long long ids[BATCH_SIZE], size_t *n)
{
	*n = 0;
	struct portal_value *rows = NULL;
	int status = db_begin(jc->db);
	if (!status)
		status = db_run(jc->db, jc->arena,
		                "SELECT id FROM outbox WHERE status = 'queued'"
		                " AND next_attempt_at <= UTC_TIMESTAMP()"
		                " ORDER BY next_attempt_at, id LIMIT 10 FOR UPDATE SKIP LOCKED",
		                PORTAL_DB_NOARGS, &rows, NULL, NULL);
	_Static_assert(BATCH_SIZE == 10, "the LIMIT above");
	pv_foreach(m, status ? NULL : rows) {
		long long id = pv_get_int(m->value, "id", 0);
		status =
		    db_run(jc->db, jc->arena,
		           "UPDATE outbox SET next_attempt_at = UTC_TIMESTAMP() + INTERVAL ? SECOND"
		           " WHERE id = ?",
		           PORTAL_DB_ARGS(PDB_I(LEASE_SECONDS), PDB_I(id)), NULL, NULL, NULL);
		if (status)
			break;
		ids[(*n)++] = id;
	}
	if (!status)
		status = db_commit(jc->db);
	if (status) {
		db_rollback(jc->db);
		*n = 0;
	}
	return status;
}

/* Hands a claimed row back for the next run (this worker is stopping or its
 * lease is nearly over). */
static void release(struct outbox_ctx *jc, long long id)
{
	int status = db_run(jc->db, jc->arena,
	                    "UPDATE outbox SET next_attempt_at = UTC_TIMESTAMP()"
	                    " WHERE id = ? AND status = 'queued'",
	                    PORTAL_DB_ARGS(PDB_I(id)), NULL, NULL, NULL);
	if (status)
		portal_log("outbox: mail %lld not handed back (%d); it waits for its lease", id,
		           status);
}

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t read_message(char *dst, size_t size, size_t nitems, void *arg)
{
	struct upload *u = arg;
	size_t room = size * nitems, left = u->len - u->pos;
	size_t n = left < room ? left : room;
	memcpy(dst, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* A connection to the SMTP server that accepted a message: open until
 * smtp_close says QUIT. */
struct smtp_conn {
	CURL *curl;
	struct curl_slist *rcpts;
};

static void smtp_close(struct smtp_conn *conn)
{
	curl_easy_cleanup(conn->curl); /* QUIT */
	curl_slist_free_all(conn->rcpts);
}

/* Sends message to one recipient. Returns 0 once the server accepted it (its
 * 250 to the end of DATA) with the connection still open in *conn, or -1 with
 * a short reason in err (libcurl's text for the error and the SMTP reply
 * code: never the URL, which may hold credentials, nor the password). */
static int smtp_send(const struct config *cfg, const char *to, const struct buf *message,
                     struct smtp_conn *conn, char *err, size_t errlen)
{
	char from[MAIL_ADDRESS_MAX + 3], rcpt[MAIL_ADDRESS_MAX + 3];
	snprintf(from, sizeof from, "<%s>", config_get(cfg, "mail_from"));
	snprintf(rcpt, sizeof rcpt, "<%s>", to);
	CURL *c = curl_easy_init();
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	if (!c || !rcpts) {
		snprintf(err, errlen, "out of memory");
		curl_slist_free_all(rcpts);
		curl_easy_cleanup(c);
		return -1;
	}
	struct upload u = {.data = message->data, .len = message->len};
	const char *user = config_get(cfg, "smtp_user");
	CURLcode rc = CURLE_OK;
	/* Each option is checked: an option this libcurl lacks must not turn into
	 * a silently weaker setup (TLS not enforced). */
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_URL, config_get(cfg, "smtp_url"));
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_SECONDS);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SEND_TIMEOUT_SECONDS);
	if (!rc && config_int(cfg, "smtp_starttls") == 1)
		rc = curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (!rc && user && *user) {
		rc = curl_easy_setopt(c, CURLOPT_USERNAME, user);
		if (!rc)
			rc =
			    curl_easy_setopt(c, CURLOPT_PASSWORD, config_get(cfg, "smtp_password"));
	}
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_READFUNCTION, read_message);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_READDATA, &u);
	if (!rc)
		rc = curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)message->len);
	if (!rc)
		rc = curl_easy_perform(c);
	long code = 0;
	if (rc) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code > 0)
			snprintf(err, errlen, "%s (SMTP %ld)", curl_easy_strerror(rc), code);
		else
			snprintf(err, errlen, "%s", curl_easy_strerror(rc));
	}
	conn->curl = c;
	conn->rcpts = rcpts;
	if (rc)
		smtp_close(conn);
	return rc ? -1 : 0;
}

/* The wait after the attempts-th failed attempt: base, 2 base, 4 base, ...,
 * at most an hour. */
static long long backoff_seconds(long base, long long attempts)
{
	long long delay = base;
	for (long long i = 1; i < attempts && delay < MAX_BACKOFF_SECONDS; i++)
		delay *= 2;
	return delay < MAX_BACKOFF_SECONDS ? delay : MAX_BACKOFF_SECONDS;
}

/* Records a failed attempt: due again after the back-off, or 'failed' for good
 * after mail_max_attempts (or at once when permanent). */
static void mark_failed(struct outbox_ctx *jc, struct portal_arena *a, long long id,
                        long long attempts, const char *why, bool permanent)
{
	long max = config_int(jc->cfg, "mail_max_attempts");
	bool final = permanent || attempts >= max;
	long long delay = backoff_seconds(config_int(jc->cfg, "mail_retry_seconds"), attempts);
	/* A mail that will never go keeps no live link either. */
	int status = db_run(jc->db, a,
	                    "UPDATE outbox SET attempts = ?, last_error = ?, status = ?,"
	                    " next_attempt_at = UTC_TIMESTAMP() + INTERVAL ? SECOND,"
	                    " body_text = IF(secret = 1 AND ? = 1, '', body_text),"
	                    " body_html = IF(secret = 1 AND ? = 1, '', body_html) WHERE id = ?",
	                    PORTAL_DB_ARGS(PDB_I(attempts), PDB_S(why),
	                                   PDB_S(final ? "failed" : "queued"), PDB_I(delay),
	                                   PDB_I(final ? 1 : 0), PDB_I(final ? 1 : 0), PDB_I(id)),
	                    NULL, NULL, NULL);
	if (status)
		portal_log("outbox: mail %lld: attempt %lld not recorded (%d)", id, attempts,
		           status);
	else if (final)
		portal_log("outbox: mail %lld failed for good after %lld attempts: %s", id,
		           attempts, why);
	else
		portal_log("outbox: mail %lld: attempt %lld failed (%s); next in %lld s", id,
		           attempts, why, delay);
}

/* The server has the mail: a mark that fails (its database node down or
 * rejoining, a conflict with another node) is tried again, reconnecting,
 * while the lease holds, so that only a worker that dies in between sends a
 * mail twice. */
static int mark_sent(struct outbox_ctx *jc, struct portal_arena *a, long long id,
                     long long attempts, long long lease_end)
{
	for (;;) {
		int status = db_run(
		    jc->db, a,
		    "UPDATE outbox SET status = 'sent', sent_at = UTC_TIMESTAMP(), attempts = ?,"
		    " body_text = IF(secret = 1, '', body_text),"
		    " body_html = IF(secret = 1, '', body_html) WHERE id = ?",
		    PORTAL_DB_ARGS(PDB_I(attempts), PDB_I(id)), NULL, NULL, NULL);
		if (status != 503 || monotonic_seconds() + MARK_RETRY_SECONDS >= lease_end ||
		    portal_job_stopping())
			return status;
		portal_log("outbox: mail %lld was sent, its mark failed (%d); trying again", id,
		           status);
		sleep(MARK_RETRY_SECONDS);
	}
}

/* Sends one claimed row; the bodies live in an arena of their own. lease_end
 * (monotonic seconds): until then no other worker takes it. */
static void send_one(struct outbox_ctx *jc, long long id, long long lease_end)
{
	struct portal_arena *a = arena_new((size_t)config_int(jc->cfg, "arena_bytes"));
	if (!a) {
		release(jc, id);
		return;
	}
	struct portal_value *rows = NULL;
	int status =
	    db_run(jc->db, a,
	           "SELECT to_addr, to_name, subject, body_text, body_html, message_id, attempts,"
	           " CAST(UNIX_TIMESTAMP(created_at) AS SIGNED) AS created"
	           " FROM outbox WHERE id = ? AND status = 'queued'",
	           PORTAL_DB_ARGS(PDB_I(id)), &rows, NULL, NULL);
	if (status || !rows->u.c.head) {
		if (status)
			portal_log("outbox: mail %lld not read (%d); it waits for its lease", id,
			           status);
		arena_free(a);
		return;
	}
	const struct portal_value *row = rows->u.c.head->value;
	long long attempts = pv_get_int(row, "attempts", 0) + 1;
	struct mail_message m = {
	    .from = config_get(jc->cfg, "mail_from"),
	    .to = pv_get_str(row, "to_addr"),
	    .to_name = pv_get_str(row, "to_name"),
	    .subject = pv_get_str(row, "subject"),
	    .message_id = pv_get_str(row, "message_id"),
	    .date = (time_t)pv_get_int(row, "created", 0),
	    .text = pv_get_str(row, "body_text"),
	    .html = pv_get_str(row, "body_html"),
	};
	struct buf message = {0};
	struct smtp_conn conn;
	char why[ERROR_MAX];
	if (mail_format(&m, &message)) {
		/* Sending again cannot help: mail_from or the row is unusable. */
		mark_failed(jc, a, id, attempts, "cannot format: invalid address or Message-ID",
		            true);
	} else if (smtp_send(jc->cfg, m.to, &message, &conn, why, sizeof why)) {
		mark_failed(jc, a, id, attempts, why, false);
	} else {
		/* Marked while the server's 250 is fresh, before QUIT: a worker that
		 * dies between the two sends the mail again, and only then. */
		/* The link of a secret mail is in the recipient's mailbox now; the
		 * outbox keeps what GET /outbox shows, not the token. */
		status = mark_sent(jc, a, id, attempts, lease_end);
		if (status)
			portal_log("outbox: mail %lld was sent but not marked (%d): it goes again "
			           "after its lease, with the same Message-ID",
			           id, status);
		else
			portal_log("outbox: mail %lld sent (attempt %lld)", id, attempts);
		smtp_close(&conn);
	}
	buf_free(&message);
	arena_free(a);
}

int outbox_run(struct portal_req *req)
{
	struct outbox_ctx ctx = {
	    .cfg = req->worker->cfg, .db = req->worker->db, .arena = req->arena};
	struct outbox_ctx *jc = &ctx;
	for (int batch = 0; batch < BATCHES_PER_RUN && !portal_job_stopping(); batch++) {
		long long ids[BATCH_SIZE];
		size_t n;
		long long claimed_at = monotonic_seconds();
		int status = claim(jc, ids, &n);
		if (status)
			return status; /* tried again on the next run */
		for (size_t i = 0; i < n; i++) {
			bool late = monotonic_seconds() - claimed_at > SEND_DEADLINE_SECONDS;
			if (portal_job_stopping() || late)
				release(jc, ids[i]);
			else
				send_one(jc, ids[i], claimed_at + LEASE_SECONDS);
		}
		if (n < BATCH_SIZE)
			return 0;
	}
	return 0;
}
