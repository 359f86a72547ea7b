/* The files behind documents. They are stored content-addressed by the core
 * (portal/files.h): one file per content, whoever uploaded it and for which
 * feature, so a file goes only when no row of any feature names it any more
 * (portal_file_release, which asks every plugin's declared columns). */
#include <magic.h>
#include <portal/files.h>
#include <string.h>

#include "documents.h"

/* Characters kept of a client's file name, and of a title made from it. */
#define NAME_MAX_CHARS 255
#define TITLE_MAX_CHARS 200

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

/* After the rows naming them were deleted and committed: each file of files
 * (a list of rows with "file") that no row names any more is removed. */
void documents_release_files(struct portal_req *req, struct portal_value *files)
{
	pv_foreach(m, files)
		portal_file_release(req, pv_get_str(m->value, "file"));
}
