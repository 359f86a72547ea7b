/* Test plugin for photos (portal/photo.h): POST /api/v1/photo/clean cleans
 * the uploaded field "photo" and stores the photo and its thumbnail with
 * portal_file_store_bytes, answering what was stored and the worker's pid (to
 * see that it lived and how large it is). Never enabled outside the tests. */
#include <portal/files.h>
#include <portal/photo.h>
#include <portal/portal.h>
#include <unistd.h>

/* The stored image as {file, content_type, width, height, bytes}. */
static int stored(struct portal_req *req, struct portal_value *view, const char *key,
                  const struct portal_photo *photo)
{
	char name[PORTAL_FILE_NAME_CHARS + 1];
	bool created = false;
	int status = portal_file_store_bytes(req, photo->data, photo->len, name, &created);
	if (status)
		return status;
	struct portal_value *o = pv_object(req->arena);
	if (!o || pv_set_str(req->arena, o, "file", name) ||
	    pv_set_str(req->arena, o, "content_type", photo->content_type) ||
	    pv_set_int(req->arena, o, "width", photo->width) ||
	    pv_set_int(req->arena, o, "height", photo->height) ||
	    pv_set_int(req->arena, o, "bytes", (long long)photo->len) ||
	    pv_set(req->arena, view, key, o))
		return 500;
	return 0;
}

static int photo_clean(struct portal_req *req, struct portal_value *view)
{
	const struct portal_upload *up = portal_upload_of(req, "photo");
	if (!up)
		return portal_fail(req, 422, "validation", "photo", "photo.missing");
	struct portal_photo photo, thumb;
	int status = portal_photo_clean(req, up, &photo, &thumb);
	if (status == 415 || status == 422)
		return portal_fail(req, status,
		                   status == 415 ? "unsupported_media_type" : "validation", "photo",
		                   "photo.invalid");
	if (!status)
		status = stored(req, view, "photo", &photo);
	if (!status)
		status = stored(req, view, "thumb", &thumb);
	if (!status && pv_set_int(req->arena, view, "pid", getpid()))
		status = 500;
	return status ? status : 200;
}

static int photo_pid(struct portal_req *req, struct portal_value *view)
{
	return pv_set_int(req->arena, view, "pid", getpid()) ? 500 : 200;
}

static const struct portal_route routes[] = {
    {"POST", "/photo/clean", NULL, PORTAL_ACCESS_PUBLIC, PORTAL_ROUTE_NO_CSRF, photo_clean, NULL,
     NULL},
    {"GET", "/photo/pid", NULL, PORTAL_ACCESS_PUBLIC, 0, photo_pid, NULL, NULL},
    {0},
};

const struct portal_plugin portal_plugin_v1 = {
    PORTAL_PLUGIN_V1,
    .name = "photo",
    .version = "1",
    .routes = routes,
};
