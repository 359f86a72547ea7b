/* libFuzzer target: multipart_parse. An input starting with "multipart/" gives
 * the Content-Type in its first line and the body after it; any other input is
 * a body for the boundary "b". Each body is parsed twice, read whole and one to
 * a few bytes at a time: the outcome must not depend on how reads split it, and
 * no temporary file may outlive a failure or the arena. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "http/parse.h"

#define MAX_UPLOADS 8

static const struct parse_limits limits = {
    .max_fields = 8,
    .max_parts = MAX_UPLOADS,
    .max_name = 32,
    .max_value = 256,
    .max_file = 4096,
    .max_depth = 16,
    .max_header = 256,
};

static char tmp_dir[] = "/tmp/fuzz-multipart-XXXXXX";
static bool have_dir;

static void remove_dir(void)
{
	rmdir(tmp_dir);
}

/* A folder of our own under /tmp, so that leftovers can be counted. */
static const char *folder(void)
{
	if (!have_dir) {
		if (!mkdtemp(tmp_dir))
			return "/tmp";
		have_dir = true;
		atexit(remove_dir);
	}
	return tmp_dir;
}

static int leftovers(void)
{
	if (!have_dir)
		return 0;
	DIR *d = opendir(tmp_dir);
	int n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	}
	closedir(d);
	return n;
}

struct feed {
	const char *data;
	size_t len, pos, step;
};

static long feed_read(void *ctx, char *dst, size_t n)
{
	struct feed *f = ctx;
	size_t left = f->len - f->pos;

	if (n > left)
		n = left;
	if (f->step && n > f->step)
		n = f->step;
	if (n)
		memcpy(dst, f->data + f->pos, n);
	f->pos += n;
	return (long)n;
}

struct outcome {
	int rc;
	size_t uploads, sizes[MAX_UPLOADS];
	struct buf fields;
};

static void parse(const char *ct, const char *body, size_t len, size_t claimed, size_t step,
                  struct outcome *out)
{
	struct portal_arena *a = arena_new(4 << 20);
	struct portal_value *obj = a ? pv_object(a) : NULL;
	struct portal_upload *ups = NULL;
	struct feed f = {.data = body, .len = len, .step = step};
	char *paths[MAX_UPLOADS];
	const char *why = NULL;

	if (!obj)
		abort();
	out->rc =
	    multipart_parse(a, ct, feed_read, &f, claimed, folder(), &limits, obj, &ups, &why);
	if (out->rc && !why)
		abort();
	if (f.pos > len)
		abort();
	if (out->rc) {
		/* 500 and 507 would come from the disk, not from the input */
		if (out->rc != 400 && out->rc != 413 && out->rc != 500 && out->rc != 507)
			abort();
		if (ups || leftovers())
			abort();
		arena_free(a);
		return;
	}
	out->uploads = 0;
	for (struct portal_upload *up = ups; up; up = up->next) {
		if (out->uploads == MAX_UPLOADS || up->size > limits.max_file ||
		    access(up->path, F_OK))
			abort();
		out->sizes[out->uploads] = up->size;
		paths[out->uploads++] = strdup(up->path);
	}
	if (json_render(obj, &out->fields))
		abort();
	arena_free(a);
	for (size_t i = 0; i < out->uploads; i++) {
		if (!paths[i] || access(paths[i], F_OK) == 0)
			abort();
		free(paths[i]);
	}
	if (leftovers())
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *ct = "multipart/form-data; boundary=b";
	char *own_ct = NULL;
	const char *body = text;
	size_t len = size;

	if (size >= 10 && memcmp(data, "multipart/", 10) == 0) {
		const char *nl = memchr(text, '\n', size);
		size_t n = nl ? (size_t)(nl - text) : size;
		own_ct = strndup(text, n); /* stops at a NUL, as a header would */
		if (!own_ct)
			return 0;
		ct = own_ct;
		body = nl ? nl + 1 : text + size;
		len = size - (size_t)(body - text);
	}
	/* A final 0x01 claims a longer body than there is. */
	size_t claimed = len && body[len - 1] == 1 ? len + 3 : len;
	size_t step = 1 + size % 5;

	struct outcome whole = {0}, pieces = {0};
	parse(ct, body, len, claimed, 0, &whole);
	parse(ct, body, len, claimed, step, &pieces);
	if (whole.rc != pieces.rc || whole.uploads != pieces.uploads ||
	    memcmp(whole.sizes, pieces.sizes, sizeof whole.sizes) ||
	    whole.fields.len != pieces.fields.len ||
	    (whole.fields.len && memcmp(whole.fields.data, pieces.fields.data, whole.fields.len)))
		abort();
	buf_free(&whole.fields);
	buf_free(&pieces.fields);
	free(own_ct);
	return 0;
}
