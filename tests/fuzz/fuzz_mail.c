/* libFuzzer target for the mail formatting.
 *
 * The input is cut at NUL bytes into the recipient's name, the subject, the
 * text part, the HTML part, the address and the Message-ID (missing pieces keep
 * fixed valid values). Whatever they hold, a formatted message must have CRLF
 * line ends only, no line over 998 characters, exactly its eight headers in
 * their order, and two parts; the quoted-printable of the text must decode back
 * to it (line breaks made CRLF). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/mail_format.h"

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes quoted-printable as written by mail_qp_encode; aborts on anything else. */
static void qp_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			buf_append(out, s + i, 1);
			continue;
		}
		if (i + 2 >= n)
			abort();
		if (s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
		if (hi < 0 || lo < 0)
			abort();
		unsigned char c = (unsigned char)(hi << 4 | lo);
		buf_append(out, &c, 1);
		i += 2;
	}
}

/* What the decoded text must be: every line break as CRLF. */
static void normalise(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
				i++;
			buf_append(out, "\r\n", 2);
		} else {
			buf_append(out, s + i, 1);
		}
	}
}

static void check_message(const char *msg, size_t n)
{
	static const char *const names[] = {
	    "From:",       "To:",           "Subject:",        "Date:",
	    "Message-ID:", "MIME-Version:", "Auto-Submitted:", "Content-Type:"};
	size_t header = 0, col = 0;
	int in_headers = 1, line_start = 1;
	for (size_t i = 0; i < n; i++) {
		if (msg[i] == '\n')
			abort(); /* a bare LF */
		if (msg[i] == '\r') {
			if (i + 1 >= n || msg[i + 1] != '\n')
				abort(); /* a bare CR */
			if (in_headers && col == 0)
				in_headers = 0; /* the blank line */
			i++;
			col = 0;
			line_start = 1;
			continue;
		}
		if (++col > 998)
			abort();
		if (in_headers && line_start && msg[i] != ' ') {
			if (header >= 8 ||
			    strncmp(msg + i, names[header], strlen(names[header])) != 0)
				abort(); /* a header that should not be there */
			header++;
		}
		line_start = 0;
	}
	if (header != 8 || in_headers)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	const char *field[6] = {"Anna",        "Betreff",       "Text",
	                        "<p>HTML</p>", "a@example.org", "abc@example.org"};
	size_t lens[6] = {0};
	char *p = copy;
	for (int i = 0; i < 6 && p <= copy + size; i++) {
		field[i] = p;
		lens[i] = strlen(p);
		p += lens[i] + 1;
	}
	struct mail_message m = {
	    .from = "portal@example.org",
	    .to = field[4],
	    .to_name = field[0],
	    .subject = field[1],
	    .message_id = field[5],
	    .date = (time_t)size * 86400,
	    .text = field[2],
	    .html = field[3],
	};
	struct buf out = {0};
	if (mail_format(&m, &out) == 0)
		check_message(out.data, out.len);
	buf_free(&out);

	/* The text's quoted-printable, alone, decodes back. */
	struct buf enc = {0}, dec = {0}, want = {0};
	if (mail_qp_encode(&enc, field[2], strlen(field[2])) == 0) {
		qp_decode(enc.data ? enc.data : "", enc.len, &dec);
		normalise(field[2], strlen(field[2]), &want);
		if (dec.len != want.len || (dec.len && memcmp(dec.data, want.data, dec.len) != 0))
			abort();
	}
	buf_free(&enc);
	buf_free(&dec);
	buf_free(&want);
	free(copy);
	return 0;
}
