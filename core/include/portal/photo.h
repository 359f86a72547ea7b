/* Photos made safe to keep and show: an upload is decoded in a separate,
 * limited process (bin/portal-photo, never inside the worker), turned upright
 * by its EXIF orientation, stripped of every metadata block (EXIF with GPS,
 * XMP, IPTC, ICC profiles, maker notes, comments) and encoded anew, with a
 * thumbnail. Store the results with portal_file_store_bytes (files.h). */
#ifndef PORTAL_PHOTO_H
#define PORTAL_PHOTO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The photo's longest side at most: photo_max_side in portal.conf, by default
 * PORTAL_PHOTO_MAX_SIDE. The thumbnail's: PORTAL_PHOTO_THUMB_SIDE. */
#define PORTAL_PHOTO_MAX_SIDE 2560u
#define PORTAL_PHOTO_THUMB_SIDE 320u

struct portal_req;
struct portal_upload;

/* A clean image, in the request's arena (it lives until the request ends). */
struct portal_photo {
	const unsigned char *data;
	size_t len;
	const char *content_type; /* "image/jpeg", or "image/png" when it has transparency */
	unsigned width, height;   /* upright */
};

/* Cleans the upload: JPEG, PNG, WebP and HEIC/HEIF, told by their content
 * (never by the client's name or type). photo gets the image, at most
 * photo_max_side pixels on its longest side (never enlarged), thumb the same
 * at most PORTAL_PHOTO_THUMB_SIDE. Returns 0; 415 when the content
 * is none of those kinds (an SVG, a PDF, text named .jpg); 422 when it is
 * corrupt, truncated, too large (over 50 megapixels or a side over 20,000
 * pixels, refused by its header before any decoding) or the decoder failed;
 * 500 when the decoder cannot be run. Nothing is stored either way, and
 * nothing is recorded with portal_fail: the caller names its field. */
int portal_photo_clean(struct portal_req *req, const struct portal_upload *up,
                       struct portal_photo *photo, struct portal_photo *thumb);

#ifdef __cplusplus
}
#endif

#endif
