/* QR codes as SVG and PNG (see qr.h). libqrencode only gives the modules; the
 * drawing is ours, so both formats share the same quiet zone and the PNG needs
 * nothing but libpng, written into the request's arena. */
#include "qr.h"

#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <portal/portal.h>

/* The modules of text, or NULL (logged). The caller frees with QRcode_free. */
static QRcode *qr_encode(const char *text)
{
	/* Version 0: the smallest that fits. QR_MODE_8 and case-sensitive: the
	 * token is base64url, and alphanumeric mode would upper-case it. */
	QRcode *code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!code)
		portal_log("invites: no QR code for a text of %zu bytes: %s", strlen(text),
		           strerror(errno));
	return code;
}

static bool qr_dark(const QRcode *code, int x, int y)
{
	return code->data[(size_t)y * (size_t)code->width + (size_t)x] & 1;
}

/* ------------------------------------------------------------------ SVG */

int qr_svg(struct portal_arena *a, const char *text, char **out, size_t *len)
{
	QRcode *code = qr_encode(text);
	if (!code)
		return -1;
	int width = code->width, size = width + 2 * QR_QUIET_MODULES;

	/* One rectangle per horizontal run of dark modules: count them first, so
	 * the document is written into one allocation of known bound. */
	size_t runs = 0;
	for (int y = 0; y < width; y++)
		for (int x = 0; x < width; x++)
			runs += qr_dark(code, x, y) && (x == 0 || !qr_dark(code, x - 1, y));
	/* "M123 123h123v1h-123z": at most 21 bytes a run for widths below 1000. */
	size_t cap = 512 + runs * 24, used = 0;
	char *svg = portal_alloc(a, cap);
	if (!svg) {
		QRcode_free(code);
		return -1;
	}
	int n = snprintf(
	    svg, cap,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 %d %d\""
	    " width=\"%d\" height=\"%d\" shape-rendering=\"crispEdges\">\n"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
	    size, size, size * QR_PNG_SCALE, size * QR_PNG_SCALE, size, size);
	bool ok = n > 0 && (size_t)n < cap;
	used = ok ? (size_t)n : 0;
	for (int y = 0; ok && y < width; y++) {
		for (int x = 0; ok && x < width;) {
			if (!qr_dark(code, x, y)) {
				x++;
				continue;
			}
			int start = x;
			while (x < width && qr_dark(code, x, y))
				x++;
			n = snprintf(svg + used, cap - used, "M%d %dh%dv1h-%dz",
			             start + QR_QUIET_MODULES, y + QR_QUIET_MODULES, x - start,
			             x - start);
			ok = n > 0 && (size_t)n < cap - used;
			used += ok ? (size_t)n : 0;
		}
	}
	if (ok) {
		n = snprintf(svg + used, cap - used, "\"/>\n</svg>\n");
		ok = n > 0 && (size_t)n < cap - used;
		used += ok ? (size_t)n : 0;
	}
	QRcode_free(code);
	if (!ok) {
		portal_log("invites: the QR code's SVG outgrew its bound");
		return -1;
	}
	*out = svg;
	*len = used;
	return 0;
}

/* ------------------------------------------------------------------ PNG */

/* Where libpng writes: a buffer in the arena that doubles when full. */
struct png_sink {
	struct portal_arena *arena;
	unsigned char *data;
	size_t len, cap;
};

static void png_sink_write(png_structp png, png_bytep bytes, png_size_t n)
{
	struct png_sink *sink = png_get_io_ptr(png);
	if (n > sink->cap - sink->len) {
		size_t cap = sink->cap * 2 > sink->len + n ? sink->cap * 2 : sink->len + n;
		unsigned char *grown = portal_alloc(sink->arena, cap);
		if (!grown)
			png_error(png, "out of memory");
		if (sink->len)
			memcpy(grown, sink->data, sink->len);
		sink->data = grown;
		sink->cap = cap;
	}
	memcpy(sink->data + sink->len, bytes, n);
	sink->len += n;
}

static void png_sink_flush(png_structp png)
{
	(void)png; /* the buffer is the destination: nothing to flush */
}

static void png_fail(png_structp png, png_const_charp why)
{
	portal_log("invites: libpng: %s", why);
	png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp why)
{
	(void)png;
	portal_log("invites: libpng warning: %s", why);
}

/* Writes the image; 0, or -1 after libpng failed (it jumps back here). Kept
 * apart from qr_png so nothing this frame changes after setjmp is read after
 * the jump. */
static int png_write_code(png_structp png, png_infop info, struct png_sink *sink,
                          const QRcode *code, unsigned char *row)
{
	if (setjmp(png_jmpbuf(png)))
		return -1;
	int width = code->width, size = width + 2 * QR_QUIET_MODULES;
	png_uint_32 pixels = (png_uint_32)size * QR_PNG_SCALE;
	png_set_write_fn(png, sink, png_sink_write, png_sink_flush);
	png_set_IHDR(png, info, pixels, pixels, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
	             PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	/* With 8 pixels a module at 1 bit a pixel, each module is one byte of the
	 * row: 0x00 dark, 0xFF light (grayscale 1 is white). */
	for (int y = -QR_QUIET_MODULES; y < width + QR_QUIET_MODULES; y++) {
		for (int x = -QR_QUIET_MODULES; x < width + QR_QUIET_MODULES; x++) {
			bool inside = x >= 0 && y >= 0 && x < width && y < width;
			row[x + QR_QUIET_MODULES] = inside && qr_dark(code, x, y) ? 0x00 : 0xFF;
		}
		for (int i = 0; i < QR_PNG_SCALE; i++)
			png_write_row(png, row);
	}
	png_write_end(png, NULL);
	return 0;
}

int qr_png(struct portal_arena *a, const char *text, unsigned char **out, size_t *len)
{
	QRcode *code = qr_encode(text);
	if (!code)
		return -1;
	size_t size = (size_t)code->width + 2 * QR_QUIET_MODULES;
	/* A QR code compresses to a few KiB; the sink grows if it must. */
	struct png_sink *sink = portal_alloc(a, sizeof *sink);
	unsigned char *row = portal_alloc(a, size);
	unsigned char *start = portal_alloc(a, 4096);
	png_structp png = NULL;
	png_infop info = NULL;
	int rc = -1;
	if (sink && row && start &&
	    (png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail, png_warn)) &&
	    (info = png_create_info_struct(png))) {
		*sink = (struct png_sink){.arena = a, .data = start, .cap = 4096};
		rc = png_write_code(png, info, sink, code, row);
	}
	png_destroy_write_struct(png ? &png : NULL, info ? &info : NULL);
	QRcode_free(code);
	if (rc) {
		portal_log("invites: the QR code's PNG could not be written");
		return -1;
	}
	*out = sink->data;
	*len = sink->len;
	return 0;
}
