/* bin/portal-photo: cleans one untrusted image. It reads the image on its
 * standard input and writes the photo and its thumbnail (protocol.h) to its
 * standard output, upright, without any metadata, encoded anew. The worker
 * runs it once per upload with limits on memory, time and files (photo.c),
 * so that a fault of a decoder never reaches the worker. */
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <vips/vips.h>

#include "photo/protocol.h"

/* The worker's request bodies are smaller than this. */
#define PHOTO_MAX_INPUT ((size_t)64 << 20)
#define JPEG_QUALITY 85

/* Once libvips has loaded its modules, decoding needs no file, socket,
 * program or other process: a decoder taken over by a crafted image can then
 * neither read the portal's configuration, nor reach its database, nor
 * signal or trace a worker (which runs as the same user). */
static void confine(void)
{
	static const int denied[] = {
	    SCMP_SYS(open),
	    SCMP_SYS(openat),
	    SCMP_SYS(openat2),
	    SCMP_SYS(creat),
	    SCMP_SYS(open_by_handle_at),
	    SCMP_SYS(execve),
	    SCMP_SYS(execveat),
	    SCMP_SYS(socket),
	    SCMP_SYS(socketpair),
	    SCMP_SYS(connect),
	    SCMP_SYS(bind),
	    SCMP_SYS(listen),
	    SCMP_SYS(accept),
	    SCMP_SYS(accept4),
	    SCMP_SYS(ptrace),
	    SCMP_SYS(process_vm_readv),
	    SCMP_SYS(process_vm_writev),
	    SCMP_SYS(kill),
	    SCMP_SYS(tkill),
	    SCMP_SYS(pidfd_open),
	    SCMP_SYS(pidfd_send_signal),
	    SCMP_SYS(pidfd_getfd),
	    SCMP_SYS(unlink),
	    SCMP_SYS(unlinkat),
	    SCMP_SYS(rename),
	    SCMP_SYS(renameat),
	    SCMP_SYS(renameat2),
	    SCMP_SYS(link),
	    SCMP_SYS(linkat),
	    SCMP_SYS(symlink),
	    SCMP_SYS(symlinkat),
	    SCMP_SYS(mkdir),
	    SCMP_SYS(mkdirat),
	    SCMP_SYS(rmdir),
	    SCMP_SYS(chmod),
	    SCMP_SYS(fchmod),
	    SCMP_SYS(fchmodat),
	    SCMP_SYS(chown),
	    SCMP_SYS(fchown),
	    SCMP_SYS(lchown),
	    SCMP_SYS(fchownat),
	    SCMP_SYS(truncate),
	    SCMP_SYS(io_uring_setup),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	/* For the threads libvips started already too. */
	bool failed = !ctx || seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0;
	for (size_t i = 0; !failed && i < sizeof denied / sizeof denied[0]; i++)
		failed = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), denied[i], 0) != 0;
	/* abort() signals its own process, and only that may be signalled. */
	if (!failed)
		failed = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(tgkill), 1,
		                          SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)getpid())) != 0;
	if (!failed)
		failed = seccomp_load(ctx) != 0;
	seccomp_release(ctx);
	if (failed)
		exit(PHOTO_EXIT_INTERNAL);
}

/* Reads all of the standard input; exits when it is larger than PHOTO_MAX_INPUT. */
static unsigned char *read_input(size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = g_malloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= PHOTO_MAX_INPUT)
				exit(PHOTO_EXIT_TOO_LARGE);
			cap *= 2;
			buf = g_realloc(buf, cap);
		}
		ssize_t got = read(STDIN_FILENO, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			exit(PHOTO_EXIT_INTERNAL);
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*len = n;
	return buf;
}

/* The loader libvips must pick for the kind the first bytes said: anything
 * else (a loader that reads programs, documents or vector images) is never run. */
static const char *loader_of(enum photo_kind kind)
{
	switch (kind) {
	case PHOTO_JPEG: return "VipsForeignLoadJpegBuffer";
	case PHOTO_PNG: return "VipsForeignLoadPngBuffer";
	case PHOTO_WEBP: return "VipsForeignLoadWebpBuffer";
	case PHOTO_HEIF: return "VipsForeignLoadHeifBuffer";
	default: return NULL;
	}
}

/* Refuses by the header alone (no pixel decoded) what is not an image of the
 * kind, or one too large to decode. */
static void check_header(const unsigned char *buf, size_t len, enum photo_kind kind)
{
	const char *loader = vips_foreign_find_load_buffer(buf, len);
	if (!loader || strcmp(loader, loader_of(kind)))
		exit(PHOTO_EXIT_CORRUPT);
	VipsImage *head =
	    vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!head)
		exit(PHOTO_EXIT_CORRUPT);
	unsigned long long w = (unsigned)vips_image_get_width(head);
	unsigned long long h = (unsigned)vips_image_get_height(head);
	g_object_unref(head);
	if (w > PHOTO_MAX_HEADER_SIDE || h > PHOTO_MAX_HEADER_SIDE || w * h > PHOTO_MAX_PIXELS)
		exit(PHOTO_EXIT_TOO_LARGE);
}

/* Keeps an image that is worth an unref at the end: every step makes a new one. */
static VipsImage *step(VipsImage *in, VipsImage *out)
{
	g_object_unref(in);
	if (!out)
		exit(PHOTO_EXIT_CORRUPT);
	return out;
}

/* sRGB with 8 bits a band, and an alpha band only where a pixel is not opaque. */
static VipsImage *normalised(VipsImage *img)
{
	VipsImage *out = NULL;
	if (vips_image_guess_interpretation(img) != VIPS_INTERPRETATION_sRGB ||
	    vips_image_get_format(img) != VIPS_FORMAT_UCHAR)
		img = step(img, vips_colourspace(img, &out, VIPS_INTERPRETATION_sRGB, NULL) ? NULL
		                                                                            : out);
	if (vips_image_get_format(img) != VIPS_FORMAT_UCHAR)
		img = step(img, vips_cast_uchar(img, &out, NULL) ? NULL : out);
	if (!vips_image_hasalpha(img))
		return img;
	int bands = vips_image_get_bands(img);
	VipsImage *alpha = NULL;
	double min = 0;
	if (vips_extract_band(img, &alpha, bands - 1, NULL) || vips_min(alpha, &min, NULL))
		exit(PHOTO_EXIT_CORRUPT);
	g_object_unref(alpha);
	if (min >= 255)
		img = step(img, vips_extract_band(img, &out, 0, "n", bands - 1, NULL) ? NULL : out);
	return img;
}

/* The photo, decoded, upright, at most max_side, in memory (so that errors of
 * a corrupt or truncated file show here, and the thumbnail can read it again). */
static VipsImage *decode(const unsigned char *buf, size_t len, int max_side)
{
	VipsImage *img = NULL;
	/* fail_on: a truncated or corrupt file is refused, not shown half grey.
	 * export_profile: colours of an embedded profile are converted to sRGB,
	 * so that the profile itself can go. */
	if (vips_thumbnail_buffer((void *)buf, len, &img, max_side, "height", max_side, "size",
	                          VIPS_SIZE_DOWN, "export_profile", "srgb", "option_string",
	                          "[fail_on=truncated]", NULL))
		exit(PHOTO_EXIT_CORRUPT);
	VipsImage *mem = vips_image_copy_memory(img);
	img = step(img, mem);
	return normalised(img);
}

/* A copy of the pixels with none of the source's metadata: its EXIF (with GPS
 * and the orientation, already applied), XMP, IPTC, ICC and comments. */
static VipsImage *bare(VipsImage *img)
{
	VipsImage *out = vips_image_new_memory();
	if (!out || vips_image_write(img, out))
		exit(PHOTO_EXIT_INTERNAL);
	gchar **fields = vips_image_get_fields(out);
	for (gchar **f = fields; *f; f++)
		if (vips_isprefix("exif-", *f) || vips_isprefix("xmp", *f) ||
		    vips_isprefix("iptc", *f) || vips_isprefix("icc", *f) ||
		    vips_isprefix("png-comment", *f) || vips_isprefix("heif-", *f) ||
		    strcmp(*f, VIPS_META_ORIENTATION) == 0 ||
		    strcmp(*f, "jpeg-chroma-subsample") == 0)
			vips_image_remove(out, *f);
	g_strfreev(fields);
	g_object_unref(img);
	return out;
}

static void write_all(const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(STDOUT_FILENO, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			exit(PHOTO_EXIT_INTERNAL);
		p += w;
		len -= (size_t)w;
	}
}

/* Encodes img (JPEG, or PNG when it has alpha) without metadata and writes its record. */
static void emit(VipsImage *img)
{
	void *data = NULL;
	size_t len = 0;
	bool png = vips_image_hasalpha(img);
	int failed =
	    png ? vips_pngsave_buffer(img, &data, &len, "strip", TRUE, "compression", 6, NULL)
	        : vips_jpegsave_buffer(img, &data, &len, "strip", TRUE, "Q", JPEG_QUALITY,
	                               "optimize_coding", TRUE, NULL);
	if (failed || len > UINT32_MAX)
		exit(PHOTO_EXIT_INTERNAL);
	struct photo_record r = {
	    .format = png ? PHOTO_OUT_PNG : PHOTO_OUT_JPEG,
	    .width = (uint32_t)vips_image_get_width(img),
	    .height = (uint32_t)vips_image_get_height(img),
	    .length = (uint32_t)len,
	};
	unsigned char head[PHOTO_RECORD_HEADER];
	photo_record_write(head, &r);
	write_all(head, sizeof head);
	write_all(data, len);
	g_free(data);
}

/* portal-photo [MAX_SIDE [THUMB_SIDE]] */
int main(int argc, char **argv)
{
	int max_side = argc > 1 ? atoi(argv[1]) : 2560;
	int thumb_side = argc > 2 ? atoi(argv[2]) : 320;
	if (max_side < 16 || max_side > 10000 || thumb_side < 16 || thumb_side > max_side)
		return PHOTO_EXIT_INTERNAL;
	size_t len;
	unsigned char *buf = read_input(&len);
	enum photo_kind kind =
	    photo_kind_of(buf, len < PHOTO_SNIFF_BYTES ? len : PHOTO_SNIFF_BYTES);
	if (kind == PHOTO_NONE)
		return PHOTO_EXIT_UNSUPPORTED;
	/* orc would write code to a file and run it: neither is wanted here. */
	setenv("VIPS_NOVECTOR", "1", 1);
	if (VIPS_INIT(argv[0]))
		return PHOTO_EXIT_INTERNAL;
	/* One thread and no cache: the least memory, and nothing kept. */
	vips_concurrency_set(1);
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	vips_block_untrusted_set(TRUE);
	confine();
	check_header(buf, len, kind);
	VipsImage *photo = bare(decode(buf, len, max_side));
	g_free(buf);
	emit(photo);
	VipsImage *thumb = NULL;
	if (vips_thumbnail_image(photo, &thumb, thumb_side, "height", thumb_side, "size",
	                         VIPS_SIZE_DOWN, NULL))
		return PHOTO_EXIT_INTERNAL;
	emit(thumb);
	g_object_unref(thumb);
	g_object_unref(photo);
	return PHOTO_EXIT_OK;
}
