/* What the worker (photo.c) and the decoding program (portal_photo.c) agree
 * on: the kinds of image told by their first bytes, the exit codes, and the
 * records the program writes to its standard output. */
#ifndef CORE_PHOTO_PROTOCOL_H
#define CORE_PHOTO_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum photo_kind { PHOTO_NONE = 0, PHOTO_JPEG, PHOTO_PNG, PHOTO_WEBP, PHOTO_HEIF };

/* How many first bytes photo_kind_of needs to see at most. */
#define PHOTO_SNIFF_BYTES 64

/* Images the header says are larger are refused before any pixel is decoded. */
#define PHOTO_MAX_PIXELS 50000000ull
#define PHOTO_MAX_HEADER_SIDE 20000u

/* The program's exit codes (anything else, or a signal, is a failure too). */
enum photo_exit {
	PHOTO_EXIT_OK = 0,
	PHOTO_EXIT_UNSUPPORTED = 10, /* not one of the kinds: 415 */
	PHOTO_EXIT_CORRUPT = 11,     /* corrupt or truncated: 422 */
	PHOTO_EXIT_TOO_LARGE = 12,   /* a pixel bomb: 422 */
	PHOTO_EXIT_INTERNAL = 13,    /* the program itself failed: 500 */
};

/* Two records on standard output, the photo and then its thumbnail, each a
 * header of 16 bytes and then its length of image bytes. Numbers are
 * big-endian. */
#define PHOTO_RECORD_HEADER 16
enum photo_format { PHOTO_OUT_JPEG = 1, PHOTO_OUT_PNG = 2 };

struct photo_record {
	uint8_t format; /* enum photo_format */
	uint32_t width, height, length;
};

static inline void photo_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static inline uint32_t photo_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* "PHO", the format, width, height, length. */
static inline void photo_record_write(unsigned char out[PHOTO_RECORD_HEADER],
                                      const struct photo_record *r)
{
	memcpy(out, "PHO", 3);
	out[3] = r->format;
	photo_put32(out + 4, r->width);
	photo_put32(out + 8, r->height);
	photo_put32(out + 12, r->length);
}

/* 0, or -1 when the header is not one. */
static inline int photo_record_read(const unsigned char in[PHOTO_RECORD_HEADER],
                                    struct photo_record *r)
{
	if (memcmp(in, "PHO", 3) || (in[3] != PHOTO_OUT_JPEG && in[3] != PHOTO_OUT_PNG))
		return -1;
	r->format = in[3];
	r->width = photo_get32(in + 4);
	r->height = photo_get32(in + 8);
	r->length = photo_get32(in + 12);
	return 0;
}

/* An ISO BMFF brand of HEIF images coded with HEVC (AVIF's are not ours). */
static inline int photo_heic_brand(const unsigned char *b)
{
	static const char brands[][4] = {
	    {'h', 'e', 'i', 'c'}, {'h', 'e', 'i', 'x'}, {'h', 'e', 'v', 'c'}, {'h', 'e', 'v', 'x'},
	    {'h', 'e', 'i', 'm'}, {'h', 'e', 'i', 's'}, {'h', 'e', 'v', 'm'}, {'h', 'e', 'v', 's'}};
	for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
		if (memcmp(b, brands[i], 4) == 0)
			return 1;
	return 0;
}

/* HEIF: an ftyp box whose major brand is HEVC's, or a generic one (mif1,
 * msf1) that lists one of HEVC's among its compatible brands. */
static inline int photo_is_heif(const unsigned char *head, size_t n)
{
	if (n < 16 || memcmp(head + 4, "ftyp", 4))
		return 0;
	if (photo_heic_brand(head + 8))
		return 1;
	if (memcmp(head + 8, "mif1", 4) && memcmp(head + 8, "msf1", 4))
		return 0;
	size_t box = photo_get32(head);
	if (box > n)
		box = n;
	for (size_t at = 16; at + 4 <= box; at += 4)
		if (photo_heic_brand(head + at))
			return 1;
	return 0;
}

/* The kind of image by its first n bytes (at most PHOTO_SNIFF_BYTES are read). */
static inline enum photo_kind photo_kind_of(const unsigned char *head, size_t n)
{
	static const unsigned char png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
	if (n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
		return PHOTO_JPEG;
	if (n >= 8 && memcmp(head, png, 8) == 0)
		return PHOTO_PNG;
	if (n >= 12 && memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "WEBP", 4) == 0)
		return PHOTO_WEBP;
	return photo_is_heif(head, n) ? PHOTO_HEIF : PHOTO_NONE;
}

#endif
