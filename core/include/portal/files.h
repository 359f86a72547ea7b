/* Uploaded files kept by the portal: stored under the configured files_dir,
 * named by their SHA-256 (never by the client's name), and sent by nginx from
 * its internal /_files/ location once the handler said yes.
 *
 * One file per content, whoever stored it for which feature: a file goes only
 * when no row of any plugin names it any more. Each plugin declares the
 * columns of its tables that name stored files (.file in the .tables of
 * its struct, portal/data.h; the migrations record them, so they count while
 * the plugin is disabled too). A named lock per file (MariaDB's, shared by every host) keeps a
 * removal apart from an upload of the same content: portal_file_store takes it before the file gets
 * its name and holds it until the request ends (its rows are committed or rolled back by then),
 * portal_file_release holds it from before it counts the rows until the file is gone. */
#ifndef PORTAL_FILES_H
#define PORTAL_FILES_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_FILE_NAME_CHARS 64 /* hex SHA-256 */

struct portal_req;
struct portal_upload;

/* The upload of form field name, NULL when none was sent (or it was empty). */
const struct portal_upload *portal_upload_of(const struct portal_req *req, const char *name);

/* "image/png" or "image/jpeg" when the content (not the client's name or type)
 * is one, else NULL: an SVG or a renamed program is neither. */
const char *portal_image_type(const struct portal_upload *up);

/* Copies the upload into files_dir under its SHA-256 (a temporary file, synced,
 * renamed, the folder synced), so a reader never sees half a file, and holds
 * the file's lock until the request ends. *created says whether the name is
 * new: pass it to portal_file_discard when what should point to the file
 * fails. Returns 0, 503 when the disk is full (or the lock is busy), or 500. */
int portal_file_store(struct portal_req *req, const struct portal_upload *up,
                      char name[PORTAL_FILE_NAME_CHARS + 1], bool *created);

/* The same for bytes the handler made (a cleaned photo, portal/photo.h):
 * stored exactly like an upload, under their SHA-256. */
int portal_file_store_bytes(struct portal_req *req, const void *data, size_t len,
                            char name[PORTAL_FILE_NAME_CHARS + 1], bool *created);

/* Removes a file portal_file_store created in this request (created true)
 * after the rows that should name it failed; nothing when created is false. */
void portal_file_discard(struct portal_req *req, const char *name, bool created);

/* After rows naming the stored file name were deleted and committed: removes
 * the file when no declared column names it any more (of any plugin that
 * was ever enabled: a plugin disabled for now keeps its files).
 * A failure leaves the file behind (the sweep tries again), never a row
 * without its file. Returns 0 or an HTTP status (logged). */
int portal_file_release(struct portal_req *req, const char *name);

/* Answers with the stored file: nginx sends it (X-Accel-Redirect) with the
 * content type given, as an attachment named download_name or inline when
 * that is NULL. A name that is not a stored file's is 404. Returns the status. */
int portal_file_send(struct portal_req *req, const char *name, const char *content_type,
                     const char *download_name);

#ifdef __cplusplus
}
#endif

#endif
