/* Mail as it goes over SMTP: RFC 5322 headers, RFC 2047 encoded words and a
 * MIME multipart/alternative body (RFC 2045/2046) with a text/plain and a
 * text/html part, both UTF-8 and quoted-printable. Pure: no I/O, no clock, no
 * randomness, so every byte is testable; lines end in CRLF and are at most 78
 * characters (998 is the hard limit); no value can add a header or a part. */
#ifndef CORE_MAIL_FORMAT_H
#define CORE_MAIL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

#define MAIL_ADDRESS_MAX 254 /* RFC 5321's limit of a forward path, less the <> */
#define MAIL_DATE_MAX 40

/* Whether addr is one plain address: local@domain, at most 254 bytes, printable
 * ASCII only, exactly one '@' with something on both sides, and none of the
 * characters that would let it be read as several addresses, a display name, a
 * comment or a new line (space, control characters, , ; < > ( ) [ ] \ " :).
 * Quoted local parts and address literals are refused: no one needs them here. */
bool mail_address_ok(const char *addr);

/* t as an RFC 5322 date in UTC: "Tue, 01 Dec 2026 18:00:00 +0000" (English
 * names whatever the process locale). Returns 0, or -1 when t is out of range. */
int mail_date(time_t t, char out[MAIL_DATE_MAX]);

/* Appends s as RFC 2047 encoded words ("=?UTF-8?B?...?="), each at most 75
 * characters and cut only between whole UTF-8 characters, separated by CRLF
 * and a space; column is where the first word starts on its line, so that the
 * line stays within 78 characters. Control characters (CR, LF, TAB, ...) become
 * spaces first: a decoded value never holds a line break. Returns 0 or -1. */
int mail_encode_words(struct buf *out, size_t column, const char *s, size_t len);

/* Appends s as quoted-printable (RFC 2045 6.7): every line break (CRLF, LF or a
 * lone CR) becomes CRLF, lines are cut with soft breaks at 76 characters, '='
 * and bytes outside printable ASCII are =XX, as are a space or tab before a
 * line end, and a '.' or "From " at the start of a line (SMTP and mbox). Never
 * ends with a soft break. Returns 0 or -1. */
int mail_qp_encode(struct buf *out, const char *s, size_t len);

/* One message. Every string is NUL-terminated UTF-8; to_name may be NULL. */
struct mail_message {
	const char *from;    /* address (mail_from), checked as mail_address_ok */
	const char *to;      /* address, checked as mail_address_ok */
	const char *to_name; /* display name; "" or NULL: none */
	const char *subject;
	const char *message_id; /* without <>: "random@host", dot-atom characters only */
	time_t date;
	const char *text; /* the text/plain part */
	const char *html; /* the text/html part */
};

/* Appends the whole message (headers, blank line, body) to out. Returns 0, or -1
 * for an invalid address or message id, a date out of range, or exhaustion (out
 * is then left as it was). */
int mail_format(const struct mail_message *m, struct buf *out);

#endif
