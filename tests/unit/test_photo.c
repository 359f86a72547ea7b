/* What the worker and bin/portal-photo agree on (core/photo/protocol.h): the
 * kinds of image told by their first bytes, and the records of the output. */
#include <string.h>

#include "harness.h"
#include "photo/protocol.h"

static enum photo_kind kind(const void *head, size_t n)
{
	return photo_kind_of(head, n);
}

static void test_kinds(void)
{
	CHECK(kind("\xFF\xD8\xFF\xE0", 4) == PHOTO_JPEG);
	CHECK(kind("\xFF\xD8", 2) == PHOTO_NONE);
	CHECK(kind("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 16) == PHOTO_PNG);
	CHECK(kind("\x89PNG\r\n", 6) == PHOTO_NONE);
	CHECK(kind("RIFF\x10\0\0\0WEBPVP8 ", 16) == PHOTO_WEBP);
	CHECK(kind("RIFF\x10\0\0\0WAVEfmt ", 16) == PHOTO_NONE);
	/* An iPhone's HEIC, and a generic HEIF brand that lists HEVC's. */
	CHECK(kind("\0\0\0\x18"
	           "ftypheic\0\0\0\0mif1heic",
	           24) == PHOTO_HEIF);
	CHECK(kind("\0\0\0\x1C"
	           "ftypmif1\0\0\0\0mif1miafheix",
	           28) == PHOTO_HEIF);
	/* AVIF is HEIF too, coded with AV1: not ours. */
	CHECK(kind("\0\0\0\x1C"
	           "ftypavif\0\0\0\0avifmif1miaf",
	           28) == PHOTO_NONE);
	CHECK(kind("\0\0\0\x1C"
	           "ftypmif1\0\0\0\0mif1miafavif",
	           28) == PHOTO_NONE);
	/* A box that claims more brands than were read stops at what was read. */
	CHECK(kind("\xFF\0\0\0"
	           "ftypmif1\0\0\0\0mif1",
	           20) == PHOTO_NONE);
	/* MP4 video, SVG, PDF, text. */
	CHECK(kind("\0\0\0\x18"
	           "ftypisom\0\0\0\0isomiso2",
	           24) == PHOTO_NONE);
	CHECK(kind("<svg xmlns=", 11) == PHOTO_NONE);
	CHECK(kind("%PDF-1.7", 8) == PHOTO_NONE);
	CHECK(kind("", 0) == PHOTO_NONE);
}

static void test_records(void)
{
	unsigned char head[PHOTO_RECORD_HEADER];
	struct photo_record out = {PHOTO_OUT_PNG, 2560, 1707, 123456789}, in = {0};
	photo_record_write(head, &out);
	CHECK(photo_record_read(head, &in) == 0);
	CHECK(in.format == PHOTO_OUT_PNG && in.width == 2560 && in.height == 1707 &&
	      in.length == 123456789);
	head[3] = 7; /* no such format */
	CHECK(photo_record_read(head, &in) == -1);
	memcpy(head, "GIF8", 4);
	CHECK(photo_record_read(head, &in) == -1);
}

int main(void)
{
	test_kinds();
	test_records();
	HARNESS_END();
}
