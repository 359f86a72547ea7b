/* Stored files (portal/files.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "http/files.h"
#include "http/request.h"
#include "portal/files.h"
#include "portal/portal.h"

/* An upload counted as in flight this long ago belongs to a host that died
 * before its request ended. */
#define GUARD_STALE "1 HOUR"

const struct portal_upload *portal_upload_of(const struct portal_req *req, const char *name)
{
	for (const struct portal_upload *up = req->uploads; up; up = up->next)
		if (strcmp(up->field, name) == 0)
			return up->size ? up : NULL;
	return NULL;
}

/* The client's Content-Type and file name are never asked: an SVG (script in an
 * image) or a renamed executable must not be served as a picture. */
const char *portal_image_type(const struct portal_upload *up)
{
	static const unsigned char png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
	static const unsigned char jpeg[3] = {0xFF, 0xD8, 0xFF};
	unsigned char head[8];
	int fd = open(up->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = pread(fd, head, sizeof head, 0);
	close(fd);
	if (n == (ssize_t)sizeof head && memcmp(head, png, sizeof png) == 0)
		return "image/png";
	if (n >= (ssize_t)sizeof jpeg && memcmp(head, jpeg, sizeof jpeg) == 0)
		return "image/jpeg";
	return NULL;
}

static bool stored_name(const char *name)
{
	return name && strlen(name) == PORTAL_FILE_NAME_CHARS &&
	       strspn(name, "0123456789abcdef") == PORTAL_FILE_NAME_CHARS;
}

/* A stored file this request counted as in flight (guard_upload outside a
 * transaction): files_request_end takes it off again. */
struct files_upload {
	struct files_upload *next;
	char name[PORTAL_FILE_NAME_CHARS + 1];
};

/* The guard row of name (stored_file_guards) is written before the file gets
 * its name; every write to it adds to its version, so that the cluster
 * certifies an upload and a removal of the same name against each other.
 * Inside the handler's transaction the write is part of it: a removal waits
 * for it (one server) or one of the two fails certification (two nodes)
 * until the rows naming the file are committed or gone. Outside one, the
 * file counts as in flight until the request ends (its rows come later, in
 * statements of their own). 0, or 503 when the guard could not be written. */
static int guard_upload(struct portal_req *req, const char *name)
{
	if (db_in_transaction(req->worker->db))
		return portal_db_exec(req,
		                      "INSERT INTO stored_file_guards (name, version) VALUES (?, 1)"
		                      " ON DUPLICATE KEY UPDATE version = version + 1",
		                      PORTAL_DB_ARGS(PDB_S(name)), NULL, NULL);
	struct files_upload *up = portal_alloc(req->arena, sizeof *up);
	if (!up)
		return 500;
	/* A count older than GUARD_STALE is a dead host's: it starts again. */
	int status = portal_db_exec(
	    req,
	    "INSERT INTO stored_file_guards (name, uploading, upload_at, version)"
	    " VALUES (?, 1, UTC_TIMESTAMP(6), 1) ON DUPLICATE KEY UPDATE"
	    " uploading = IF(upload_at < UTC_TIMESTAMP(6) - INTERVAL " GUARD_STALE ", 0,"
	    " uploading) + 1, upload_at = UTC_TIMESTAMP(6), version = version + 1",
	    PORTAL_DB_ARGS(PDB_S(name)), NULL, NULL);
	if (status)
		return status;
	memcpy(up->name, name, sizeof up->name);
	up->next = request_of(req)->uploading;
	request_of(req)->uploading = up;
	return 0;
}

/* Takes the request's count of name off (when it has one). */
static void guard_done(struct portal_req *req, const char *name)
{
	for (struct files_upload **p = &request_of(req)->uploading; *p; p = &(*p)->next) {
		if (strcmp((*p)->name, name) != 0)
			continue;
		*p = (*p)->next;
		if (portal_db_exec(
		        req,
		        "UPDATE stored_file_guards SET uploading = GREATEST(uploading - 1, 0),"
		        " version = version + 1 WHERE name = ?",
		        PORTAL_DB_ARGS(PDB_S(name)), NULL, NULL))
			portal_log("files: %s stays counted as in flight for up to " GUARD_STALE,
			           name);
		return;
	}
}

void files_request_end(struct portal_req *req)
{
	while (request_of(req)->uploading)
		guard_done(req, request_of(req)->uploading->name);
}

/* Writes all of len bytes to out; 0 or an errno. */
static int write_all(int out, const void *data, size_t len)
{
	const char *p = data;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(out, p + done, len - done);
		if (w < 0 && errno != EINTR)
			return errno;
		if (w > 0)
			done += (size_t)w;
	}
	return 0;
}

/* Where a stored file's bytes come from: an upload's temporary file (fd), or
 * memory (data, len). */
struct source {
	int fd;
	const void *data;
	size_t len;
};

/* Copies the source into out while hashing; 0 or an errno. */
static int copy_hashing(const struct source *src, int out,
                        unsigned char digest[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	int err = 0;
	if (src->fd < 0) {
		crypto_hash_sha256_update(&st, src->data, (unsigned long long)src->len);
		err = write_all(out, src->data, src->len);
	}
	char chunk[65536];
	while (src->fd >= 0 && !err) {
		ssize_t n = read(src->fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : 0;
			break;
		}
		crypto_hash_sha256_update(&st, (const unsigned char *)chunk, (unsigned long long)n);
		err = write_all(out, chunk, (size_t)n);
	}
	crypto_hash_sha256_final(&st, digest);
	return err;
}

/* A temporary file, synced, renamed to the content's hash, the folder synced:
 * a reader never sees half a file. */
static int store(struct portal_req *req, const struct source *src,
                 char name[PORTAL_FILE_NAME_CHARS + 1], bool *created)
{
	const char *dir = portal_config(req, "files_dir");
	char *tmp = portal_sprintf(req->arena, "%s/.upload-XXXXXX", dir);
	errno = 0;
	int out = tmp ? mkstemp(tmp) : -1;
	int err = out < 0 ? (errno ? errno : ENOMEM) : 0;
	/* nginx reads it through /_files/: the folder's group (setgid) may read. */
	if (!err && fchmod(out, 0640))
		err = errno;
	unsigned char digest[crypto_hash_sha256_BYTES];
	if (!err)
		err = copy_hashing(src, out, digest);
	if (!err && fsync(out))
		err = errno;
	if (out >= 0 && close(out) && !err)
		err = errno;
	char *final = NULL;
	if (!err) {
		sodium_bin2hex(name, PORTAL_FILE_NAME_CHARS + 1, digest, sizeof digest);
		if (!(final = portal_sprintf(req->arena, "%s/%s", dir, name)))
			err = ENOMEM;
	}
	/* Named after the guard is written: a removal of the same content
	 * either took the file away before, or counts this request's rows. */
	int status = err ? 0 : guard_upload(req, name);
	if (!err && !status) {
		/* The same content may be there already (the same picture twice). */
		*created = access(final, F_OK) != 0;
		if (rename(tmp, final))
			err = errno;
	}
	if (err || status) {
		if (out >= 0)
			unlink(tmp);
		if (status)
			return status;
		portal_log("files: cannot store a file: %s", strerror(err));
		return err == ENOSPC || err == EDQUOT ? 503 : 500;
	}
	/* The rename itself must survive a crash before a row points to it. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd))
			portal_log("files: fsync of files_dir: %s", strerror(errno));
		close(dfd);
	}
	return 0;
}

int portal_file_store(struct portal_req *req, const struct portal_upload *up,
                      char name[PORTAL_FILE_NAME_CHARS + 1], bool *created)
{
	struct source src = {.fd = open(up->path, O_RDONLY | O_CLOEXEC)};
	if (src.fd < 0) {
		portal_log("files: cannot open an upload: %s", strerror(errno));
		return 500;
	}
	int status = store(req, &src, name, created);
	close(src.fd);
	return status;
}

int portal_file_store_bytes(struct portal_req *req, const void *data, size_t len,
                            char name[PORTAL_FILE_NAME_CHARS + 1], bool *created)
{
	struct source src = {.fd = -1, .data = data, .len = len};
	return store(req, &src, name, created);
}

void portal_file_discard(struct portal_req *req, const char *name, bool created)
{
	if (!stored_name(name))
		return;
	guard_done(req, name);
	/* Another request may have stored the same content meanwhile (on
	 * another host, too): the file goes the way of any removal. */
	if (created)
		portal_file_release(req, name);
}

/* The columns that name stored files: every one a plugin ever declared
 * (recorded by the migrations, so a disabled plugin's too) whose table is
 * still there, and the running plugins' own declarations whatever the table
 * says. Read once per process; a reload starts new processes after
 * migrating. "table\0column\0...\0". */
static char *named_columns;

void files_columns_free(void)
{
	free(named_columns);
	named_columns = NULL;
}

static bool plain_name(const char *s)
{
	return s && *s && strlen(s) <= 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

static void column_add(struct buf *all, const char *table, const char *column)
{
	if (!plain_name(table) || !plain_name(column))
		return;
	for (const char *t = all->len ? all->data : NULL; t && t < all->data + all->len;) {
		const char *c = t + strlen(t) + 1;
		if (strcmp(t, table) == 0 && strcmp(c, column) == 0)
			return;
		t = c + strlen(c) + 1;
	}
	buf_append(all, table, strlen(table) + 1);
	buf_append(all, column, strlen(column) + 1);
}

static int columns_load(struct portal_req *req)
{
	struct portal_value *rows;
	int status = portal_db_query(
	    req,
	    "SELECT f.table_name AS t, f.column_name AS c FROM stored_file_columns f"
	    " JOIN information_schema.columns i ON i.table_schema = DATABASE()"
	    " AND i.table_name = f.table_name AND i.column_name = f.column_name"
	    " ORDER BY f.table_name, f.column_name",
	    PORTAL_DB_NOARGS, &rows);
	if (status)
		return status;
	struct buf all = {0};
	pv_foreach(m, rows)
		column_add(&all, pv_get_str(m->value, "t"), pv_get_str(m->value, "c"));
	const struct plugin_set *set = req->worker->plugins;
	for (size_t i = 0; i < set->count; i++)
		for (const struct portal_table *t = PLUGIN_MEMBER(set->items[i].def, tables);
		     t && t->table; t++)
			if (t->file)
				column_add(&all, t->table, t->file);
	buf_append(&all, "", 1);
	if (all.failed) {
		buf_free(&all);
		return 500;
	}
	named_columns = all.data;
	return 0;
}

int files_named_sql(struct portal_req *req, const char *expr, const char **sql)
{
	int status = named_columns ? 0 : columns_load(req);
	if (status)
		return status;
	/* Without a column nothing would seem named: rather remove nothing. */
	if (!*named_columns)
		return 503;
	struct buf text = {0};
	buf_puts(&text, "(FALSE");
	for (const char *t = named_columns; *t;) {
		const char *c = t + strlen(t) + 1;
		buf_printf(&text, " OR EXISTS (SELECT 1 FROM `%s` WHERE `%s` = %s)", t, c, expr);
		t = c + strlen(c) + 1;
	}
	buf_puts(&text, ")");
	*sql = text.failed ? NULL : portal_strdup(req->arena, text.data);
	buf_free(&text);
	return *sql ? 0 : 500;
}

void files_host_tag(char *out, size_t size)
{
	if (gethostname(out, size))
		snprintf(out, size, "host");
	out[size - 1] = '\0';
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.'))
			*p = '_';
}

/* Whether a column names the stored file name: into *named. */
static int file_named(struct portal_req *req, const char *name, bool *named)
{
	const char *cond, *sql;
	struct portal_value *rows;
	int status = files_named_sql(req, "x.f", &cond);
	if (status)
		return status;
	if (!(sql = portal_sprintf(req->arena, "SELECT %s AS named FROM (SELECT ? AS f) x", cond)))
		return 500;
	if ((status = portal_db_query(req, sql, PORTAL_DB_ARGS(PDB_S(name)), &rows)))
		return status;
	*named = pv_get_int(pv_first(rows), "named", 1) != 0;
	return 0;
}

/* The decision to remove the file, in a transaction that writes its guard:
 * 0 when no column names it and no upload of it is in flight, 1 when the
 * file stays, or an HTTP status. An upload's guard written on another node
 * before this commits makes the commit fail certification (503: the file
 * stays); one written after it names the file anew, after it was put aside. */
static int release_decide(struct portal_req *req, const char *name)
{
	const char *cond, *sql;
	struct portal_value *rows;
	int status = files_named_sql(req, "g.name", &cond);
	if (status)
		return status;
	if (!(sql = portal_sprintf(req->arena,
	                           "SELECT g.uploading > 0 AND g.upload_at > UTC_TIMESTAMP(6)"
	                           " - INTERVAL " GUARD_STALE " AS busy, %s AS named"
	                           " FROM stored_file_guards g WHERE g.name = ?",
	                           cond)))
		return 500;
	if ((status = portal_db_begin(req)))
		return status;
	status = portal_db_exec(req,
	                        "INSERT INTO stored_file_guards (name, version, released_at)"
	                        " VALUES (?, 1, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE"
	                        " version = version + 1, released_at = UTC_TIMESTAMP(6)",
	                        PORTAL_DB_ARGS(PDB_S(name)), NULL, NULL);
	if (!status)
		status = portal_db_query(req, sql, PORTAL_DB_ARGS(PDB_S(name)), &rows);
	bool stays = !status && (pv_get_int(pv_first(rows), "busy", 1) != 0 ||
	                         pv_get_int(pv_first(rows), "named", 1) != 0);
	if (!status && !stays)
		return portal_db_commit(req);
	if (portal_db_rollback(req))
		portal_log("files: rollback of the removal of %s failed", name);
	return status ? status : 1;
}

int portal_file_release(struct portal_req *req, const char *name)
{
	if (!stored_name(name))
		return 0;
	bool named;
	int status = file_named(req, name, &named);
	if (status || named)
		return status;
	/* Its own transaction: a handler calls this after its commit. */
	if (db_in_transaction(req->worker->db)) {
		portal_log("files: %s released inside a transaction: the sweep takes it", name);
		return 0;
	}
	const char *dir = portal_config(req, "files_dir");
	char host[HOST_TAG_MAX];
	files_host_tag(host, sizeof host);
	char *path = portal_sprintf(req->arena, "%s/%s", dir, name);
	char *aside = portal_sprintf(req->arena, "%s/" FILES_ASIDE_PREFIX "%s-%s-%ld", dir, name,
	                             host, (long)getpid());
	if (!path || !aside)
		return 500;
	/* Put aside before deciding: an upload that names the file after the
	 * decision makes a new one, which the unlink below never touches. */
	if (rename(path, aside))
		return errno == ENOENT ? 0 : 500;
	status = release_decide(req, name);
	if (status == 0) {
		if (unlink(aside))
			portal_log("files: cannot remove %s: %s", name, strerror(errno));
		return 0;
	}
	/* The same content under the same name: whichever copy ends up there. */
	if (rename(aside, path))
		portal_log("files: cannot put %s back: %s", name, strerror(errno));
	if (status != 1)
		portal_log("files: %s stays for now (%d)", name, status);
	return status == 1 ? 0 : status;
}

int portal_file_send(struct portal_req *req, const char *name, const char *content_type,
                     const char *download_name)
{
	/* Only names portal_file_store wrote: a row changed by hand must not turn
	 * into a path. */
	if (!stored_name(name))
		return portal_not_found(req);
	char *location = portal_sprintf(req->arena, "/_files/%s", name);
	if (!location || portal_set_header(req, "X-Accel-Redirect", location))
		return 500;
	if (download_name) {
		/* RFC 6266 with RFC 5987 for any name: quotes and CR/LF cannot escape. */
		char *enc = portal_alloc(req->arena, strlen(download_name) * 3 + 1), *o = enc;
		if (!enc)
			return 500;
		for (const unsigned char *p = (const unsigned char *)download_name; *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
				*o++ = (char)*p;
			else
				o += sprintf(o, "%%%02X", *p);
		}
		*o = '\0';
		char *cd = portal_sprintf(req->arena, "attachment; filename*=UTF-8''%s", enc);
		if (!cd || portal_set_header(req, "Content-Disposition", cd))
			return 500;
	}
	return portal_respond_raw(req, content_type, "", 0);
}
