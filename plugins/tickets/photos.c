/* Photos of a report or a comment (multipart field "files", at most
 * TICKETS_PHOTOS_MAX): each cleaned by the SDK (portal/photo.h: decoded
 * apart from the worker, upright, without metadata, encoded anew, with a
 * thumbnail) and stored under its SHA-256 before the transaction, so that
 * the slow part holds no lock; the rows follow in the transaction, and what
 * this request stored is removed again when it fails. Served only to
 * managers and the reporter, through nginx (GET
 * /tickets/{id}/attachments/{attachment_id}). */
#include <string.h>

#include <portal/files.h>
#include <portal/input.h>
#include <portal/photo.h>

#include "tickets.h"

const struct portal_input tickets_attachment_inputs[] = {
    {"thumbnail", PORTAL_IN_BOOL, PORTAL_IN_QUERY},
    {0},
};

/* The client's file name as display text: at most 200 bytes, cut before a
 * character that would not fit; "Foto N" when it has none. */
static const char *display_name(struct portal_req *req, const char *filename, size_t n)
{
	if (!filename || !*filename)
		return portal_sprintf(req->arena, "Foto %zu", n);
	size_t len = strlen(filename);
	if (len > 200) {
		len = 200;
		while (len && ((unsigned char)filename[len] & 0xC0) == 0x80)
			len--;
	}
	return portal_strndup(req->arena, filename, len);
}

static int take_one(struct portal_req *req, const struct portal_upload *up, struct tickets_photo *p,
                    size_t n)
{
	struct portal_photo photo, thumb;
	int status = portal_photo_clean(req, up, &photo, &thumb);
	if (status == 415)
		return portal_fail(req, 415, "unsupported_media_type", "files",
		                   "tickets.photo_type");
	if (status == 422)
		return portal_fail(req, 422, "validation", "files", "tickets.photo_invalid");
	if (status)
		return status;
	if ((status =
	         portal_file_store_bytes(req, photo.data, photo.len, p->file, &p->file_created)))
		return status;
	if ((status =
	         portal_file_store_bytes(req, thumb.data, thumb.len, p->thumb, &p->thumb_created)))
		return status;
	p->name = display_name(req, up->filename, n);
	p->size = photo.len;
	p->type = photo.content_type;
	p->thumb_type = thumb.content_type;
	return p->name ? 0 : 500;
}

int tickets_photos_take(struct portal_req *req, struct tickets_photos *photos)
{
	memset(photos, 0, sizeof *photos);
	size_t sent = 0;
	for (const struct portal_upload *up = req->uploads; up; up = up->next)
		sent += strcmp(up->field, "files") == 0 && up->size > 0;
	if (sent > TICKETS_PHOTOS_MAX)
		return portal_fail(req, 422, "validation", "files", "tickets.photos_too_many");
	int status = 0;
	for (const struct portal_upload *up = req->uploads; up && !status; up = up->next) {
		if (strcmp(up->field, "files") != 0 || up->size == 0)
			continue;
		status = take_one(req, up, &photos->items[photos->count], photos->count + 1);
		photos->count++;
	}
	if (status)
		tickets_photos_discard(req, photos);
	return status;
}

void tickets_photos_discard(struct portal_req *req, const struct tickets_photos *photos)
{
	for (size_t i = 0; i < photos->count; i++) {
		const struct tickets_photo *p = &photos->items[i];
		if (p->file_created)
			portal_file_discard(req, p->file, true);
		if (p->thumb_created)
			portal_file_discard(req, p->thumb, true);
	}
}

int tickets_photos_save(struct portal_req *req, long long ticket_id, long long event_id,
                        const struct tickets_photos *photos)
{
	int status = 0;
	for (size_t i = 0; i < photos->count && !status; i++) {
		const struct tickets_photo *p = &photos->items[i];
		status = portal_db_exec(
		    req,
		    "INSERT INTO ticket_attachments (ticket_id, event_id, org_id, file, "
		    "thumbnail_file,"
		    " thumbnail_type, name, size, content_type, created_at)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP())",
		    PORTAL_DB_ARGS(PDB_I(ticket_id), event_id ? PDB_I(event_id) : PDB_NUL,
		                   PDB_I(req->caller.org_id), PDB_S(p->file), PDB_S(p->thumb),
		                   PDB_S(p->thumb_type), PDB_S(p->name), PDB_I((long long)p->size),
		                   PDB_S(p->type)),
		    NULL, NULL);
	}
	return status;
}

int tickets_attachment(struct portal_req *req, struct portal_value *view)
{
	struct portal_value *ticket, *row;
	enum tickets_viewer viewer;
	long long id = portal_param_id(req, "id");
	int status = tickets_find(req, id, false, &ticket, &viewer);
	if (!status && viewer == TICKETS_NEIGHBOUR) /* photos are the reporter's */
		status = portal_not_found(req);
	if (!status)
		status = portal_db_one(
		    req,
		    "SELECT a.file, a.content_type, a.thumbnail_file, a.thumbnail_type"
		    " FROM ticket_attachments a LEFT JOIN ticket_events e"
		    " ON e.id = a.event_id WHERE a.id = ? AND a.ticket_id = ?"
		    " AND (? = 1 OR e.type IS NULL OR e.type <> 'note')",
		    PORTAL_DB_ARGS(PDB_I(portal_param_id(req, "attachment_id")), PDB_I(id),
		                   PDB_I(viewer == TICKETS_MANAGER)),
		    &row);
	if (!status)
		status = portal_set_header(req, "Cache-Control", "private, no-store");
	if (status)
		return status;
	(void)view;
	bool thumb = portal_in_bool(req, "thumbnail", false);
	return portal_file_send(req, pv_get_str(row, thumb ? "thumbnail_file" : "file"),
	                        pv_get_str(row, thumb ? "thumbnail_type" : "content_type"), NULL);
}
