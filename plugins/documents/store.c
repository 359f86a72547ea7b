/* The files behind documents. They are stored content-addressed by the core
 * (portal/files.h): one file per content, whoever uploaded it and for which
 * feature, so a file goes only when no row of any feature names it any more.
 * A named lock per file (MariaDB's GET_LOCK, shared by every host) keeps the
 * removal of a file apart from an upload of the same content: an upload holds
 * it from before it checks the file is there until its rows are committed, a
 * removal from before it counts the rows until the file is gone. */
#include <magic.h>
#include <portal/files.h>
#include <string.h>
#include <unistd.h>

#include "documents.h"

/* Characters kept of a client's file name, and of a title made from it. */
#define NAME_MAX_CHARS 255
#define TITLE_MAX_CHARS 200
/* How long a request waits for another one's lock on the same file. */
#define LOCK_SECONDS 10

/* The types a browser may show in its own window for those allowed to see
 * them: nothing that runs script (HTML, SVG) or is sniffed into it. */
static const char *const inline_types[] = {"application/pdf", "image/png",  "image/jpeg",
                                           "image/gif",       "image/webp", NULL};

bool documents_inline_type(const char *content_type)
{
	for (size_t i = 0; content_type && inline_types[i]; i++)
		if (strcmp(content_type, inline_types[i]) == 0)
			return true;
	return false;
}

const char *documents_type_of(struct portal_req *req, const struct portal_upload *up)
{
	const struct documents_state *st = req->plugin_state;
	const char *type = magic_file(st->magic, up->path);
	/* A type is a short token; anything else is just bytes. */
	if (!type || strlen(type) > 100 ||
	    strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789"
	                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ+-./") != strlen(type))
		return "application/octet-stream";
	return portal_strdup(req->arena, type);
}

/* s cut to at most max characters, between whole UTF-8 characters. */
static char *utf8_cut(struct portal_req *req, const char *s, size_t max)
{
	size_t bytes = 0, chars = 0;
	while (s[bytes] && chars < max) {
		bytes++;
		while (((unsigned char)s[bytes] & 0xC0) == 0x80)
			bytes++;
		chars++;
	}
	return portal_strndup(req->arena, s, bytes);
}

/* The client's name as display text: control characters become spaces, white
 * space around it goes, at most NAME_MAX_CHARS characters, never empty. A
 * "../" stays as it is: it is text here, and never part of a path. */
const char *documents_display_name(struct portal_req *req, const char *filename)
{
	char *name = portal_strdup(req->arena, filename ? filename : "");
	if (!name)
		return NULL;
	for (char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	while (*name == ' ')
		name++;
	size_t n = strlen(name);
	while (n && name[n - 1] == ' ')
		name[--n] = '\0';
	return *name ? utf8_cut(req, name, NAME_MAX_CHARS) : "Dokument";
}

/* A title from a display name: without its extension (".pdf", up to five
 * letters or digits, not the dots of "../"), at most TITLE_MAX_CHARS
 * characters. */
const char *documents_title_of(struct portal_req *req, const char *display_name)
{
	char *title = portal_strdup(req->arena, display_name);
	char *dot = title ? strrchr(title, '.') : NULL;
	size_t ext = dot ? strlen(dot + 1) : 0;
	if (dot && dot != title && ext >= 1 && ext <= 5 &&
	    strspn(dot + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") ==
	        ext)
		*dot = '\0';
	return title ? utf8_cut(req, title, TITLE_MAX_CHARS) : NULL;
}

/* Whether this connection now holds the lock of the stored file name. */
static bool lock_taken(struct portal_req *req, const char *name)
{
	struct portal_value *rows;
	return portal_db_query(req, "SELECT GET_LOCK(CONCAT('portal-file-', ?), ?) AS got",
	                       PORTAL_DB_ARGS(PDB_S(name), PDB_I(LOCK_SECONDS)), &rows) == 0 &&
	       pv_get_int(pv_first(rows), "got", 0) == 1;
}

int documents_lock_file(struct portal_req *req, const char *name)
{
	return lock_taken(req, name) ? 0 : portal_fail(req, 503, "unavailable", NULL, NULL);
}

/* The connection outlives the request: its locks must not. */
void documents_unlock_files(struct portal_req *req)
{
	struct portal_value *rows;
	if (portal_db_query(req, "SELECT RELEASE_ALL_LOCKS() AS n", PORTAL_DB_NOARGS, &rows))
		portal_log("documents: cannot release the file locks");
}

/* How many rows of any feature name the stored file: documents of every
 * organisation (the same content is one file), property images, logos, and
 * the content plugin's attachments where its table exists. */
static int references_count(struct portal_req *req, const char *name, long long *n)
{
	struct portal_value *row;
	int status = portal_db_one(
	    req,
	    "SELECT (SELECT COUNT(*) FROM document_files WHERE file = ?)"
	    " + (SELECT COUNT(*) FROM properties WHERE image_file = ?)"
	    " + (SELECT COUNT(*) FROM orgs WHERE logo_file = ?) AS n,"
	    " (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"
	    " AND table_name = 'announcement_attachments') AS attachments",
	    PORTAL_DB_ARGS(PDB_S(name), PDB_S(name), PDB_S(name)), &row);
	if (status)
		return status;
	*n = pv_get_int(row, "n", 1);
	if (*n || !pv_get_int(row, "attachments", 0))
		return 0;
	status = portal_db_one(req,
	                       "SELECT COUNT(*) AS n FROM announcement_attachments"
	                       " WHERE file = ?",
	                       PORTAL_DB_ARGS(PDB_S(name)), &row);
	*n = status ? 1 : pv_get_int(row, "n", 1);
	return status;
}

/* After the rows naming them were deleted and committed: each file of files
 * (a list of rows with "file") that no row names any more is removed. A
 * failure leaves a file behind, never a row without its file. */
void documents_release_files(struct portal_req *req, struct portal_value *files)
{
	pv_foreach(m, files) {
		const char *name = pv_get_str(m->value, "file");
		long long n = 1;
		if (!name || !lock_taken(req, name))
			continue;
		if (!references_count(req, name, &n) && n == 0)
			portal_file_discard(req, name, true);
		documents_unlock_files(req);
	}
}

static bool stored_present(struct portal_req *req, const char *name)
{
	const char *path =
	    portal_sprintf(req->arena, "%s/%s", portal_config(req, "files_dir"), name);
	return path && access(path, F_OK) == 0;
}

/* Stores the upload, and holds its lock: a removal of the same content that
 * came between the two made it vanish, so it is stored again. */
int documents_keep_file(struct portal_req *req, const struct portal_upload *up,
                        char file[PORTAL_FILE_NAME_CHARS + 1], bool *created)
{
	bool again = false;
	int status = portal_file_store(req, up, file, created);
	if (!status)
		status = documents_lock_file(req, file);
	if (!status && !stored_present(req, file))
		status = portal_file_store(req, up, file, &again);
	*created |= again;
	return status;
}
