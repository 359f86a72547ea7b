/* Uploaded files kept by the portal: stored under the configured files_dir,
 * named by their SHA-256 (never by the client's name), and sent by nginx from
 * its internal /_files/ location once the handler said yes.
 *
 * One file per content, whoever stored it for which feature: a file goes only
 * when no row of any plugin names it any more. Each plugin declares the
 * columns of its tables that name stored files (.file in the .tables of
 * its struct, portal/data.h; the migrations record them, so they count while
 * the plugin is disabled too). A removal and an upload of the same content
 * are kept apart on every host by a row per file name (stored_file_guards,
 * which a Galera cluster certifies): portal_file_store writes it before the
 * file gets its name (inside the handler's transaction when one is open, or
 * else counting the file as in flight until the request ends), and
 * portal_file_release puts the file aside, writes the row, counts the rows
 * naming the file and the uploads in flight in the same transaction, and
 * removes the file only when that commits with nothing found; otherwise the
 * file goes back under its name. */
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
 * renamed, the folder synced), so a reader never sees half a file; a removal
 * of the same content leaves it alone until the handler's transaction ends
 * (or, outside one, the request). *created says whether the name is new:
 * pass it to portal_file_discard when what should point to the file fails.
 * Call it inside the transaction that writes the rows naming the file where
 * there is one. Returns 0, 503 when the disk is full (or the database
 * failed, or lost a race to another node: nothing is named), or 500. */
int portal_file_store(struct portal_req *req, const struct portal_upload *up,
                      char name[PORTAL_FILE_NAME_CHARS + 1], bool *created);

/* The same for bytes the handler made (a cleaned photo, portal/photo.h):
 * stored exactly like an upload, under their SHA-256. */
int portal_file_store_bytes(struct portal_req *req, const void *data, size_t len,
                            char name[PORTAL_FILE_NAME_CHARS + 1], bool *created);

/* After the rows that should name a file portal_file_store stored failed (and
 * their transaction was rolled back): the request no longer counts as its
 * upload, and a file it created (created true) is released
 * (portal_file_release), so another request's upload of the same content
 * keeps it. */
void portal_file_discard(struct portal_req *req, const char *name, bool created);

/* After rows naming the stored file name were deleted and committed (outside
 * a transaction): removes the file when no declared column names it any more
 * (of any plugin that was ever enabled: a plugin disabled for now keeps its
 * files) and no upload of it is in flight. A failure leaves the file behind
 * (the hourly files-sweep tries again), never a row without its file.
 * Returns 0 or an HTTP status (logged). */
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
