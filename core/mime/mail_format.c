/* The MIME formatting of a mail (see mail_format.h).
 *
 * Nothing of a value is ever written into a header as it is but the two
 * addresses, and those are checked to be single plain addresses first: names
 * and subjects go out as quoted strings of printable ASCII or as encoded words,
 * and both bodies as quoted-printable, so no byte of any value can end a line
 * and start a header, a recipient or a MIME part. */
#include "mime/mail_format.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LINE_SOFT_MAX 78 /* RFC 5322 2.1.1: SHOULD; 998 is the MUST */
#define WORD_MAX 75      /* RFC 2047 2: an encoded word's length */
#define QP_LINE_MAX 76   /* RFC 2045 6.7 (5), the soft break's '=' included */
#define MESSAGE_ID_MAX 200

static const char hex_digits[] = "0123456789ABCDEF";

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext: what a dot-atom may hold besides the dots. */
static bool is_atext(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

/* Dot-separated non-empty runs of atext. */
static bool dot_atom_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' ? s[i - 1] == '.' : !is_atext(c))
			return false;
	}
	return true;
}

/* Host names as DNS has them (IDNs in their xn-- form): labels of letters,
 * digits and '-', 1..63 each. */
static bool domain_ok(const char *s, size_t n)
{
	size_t label = 0;
	if (n == 0 || n > 253 || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_alnum(c) || c == '-') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

bool mail_address_ok(const char *addr)
{
	if (!addr)
		return false;
	size_t n = strnlen(addr, MAIL_ADDRESS_MAX + 1);
	if (n > MAIL_ADDRESS_MAX)
		return false;
	const char *at = memchr(addr, '@', n);
	if (!at || memchr(at + 1, '@', n - (size_t)(at - addr) - 1))
		return false;
	size_t local = (size_t)(at - addr);
	/* RFC 5321 4.5.3.1.1: at most 64 octets before the '@'. */
	return local <= 64 && dot_atom_ok(addr, local) && domain_ok(at + 1, n - local - 1);
}

/* "local@domain" with dot-atom sides, or a bracketed literal of an address. */
static bool message_id_ok(const char *id)
{
	if (!id)
		return false;
	size_t n = strnlen(id, MESSAGE_ID_MAX + 1);
	const char *at = memchr(id, '@', n);
	if (n > MESSAGE_ID_MAX || !at || !dot_atom_ok(id, (size_t)(at - id)))
		return false;
	const char *d = at + 1;
	size_t dn = n - (size_t)(d - id);
	if (dn >= 3 && d[0] == '[' && d[dn - 1] == ']') {
		for (size_t i = 1; i + 1 < dn; i++)
			if (!is_alnum((unsigned char)d[i]) && d[i] != ':' && d[i] != '.')
				return false;
		return true;
	}
	return dot_atom_ok(d, dn);
}

int mail_date(time_t t, char out[MAIL_DATE_MAX])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	if (!gmtime_r(&t, &tm) || tm.tm_year < 0 || tm.tm_year > 9999 - 1900 || tm.tm_wday < 0 ||
	    tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	int n = snprintf(out, MAIL_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	                 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	                 tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n > 0 && n < MAIL_DATE_MAX ? 0 : -1;
}

/* The length of the UTF-8 character at s (1 for a byte that starts none, so
 * invalid input still advances). */
static size_t char_len(const unsigned char *s, size_t n)
{
	size_t want = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 1;
	if (s[0] < 0x80 || want > n)
		return 1;
	for (size_t i = 1; i < want; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 1;
	return want;
}

static int base64_append(struct buf *out, const unsigned char *s, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char quad[4];
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		quad[0] = alphabet[(v >> 18) & 63];
		quad[1] = alphabet[(v >> 12) & 63];
		quad[2] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		quad[3] = i + 2 < n ? alphabet[v & 63] : '=';
		if (buf_append(out, quad, 4))
			return -1;
	}
	return 0;
}

/* How many bytes fit into one B-encoded word that may be width characters long. */
static size_t word_bytes(size_t width)
{
	const size_t frame = strlen("=?UTF-8?B?") + strlen("?=");
	if (width > WORD_MAX)
		width = WORD_MAX;
	size_t quads = width > frame ? (width - frame) / 4 : 0;
	/* At least one character of up to 4 bytes per word, however far right the
	 * word starts: the line then runs past 78, far from 998. */
	return quads < 2 ? 6 : quads * 3;
}

int mail_encode_words(struct buf *out, size_t column, const char *s, size_t len)
{
	unsigned char chunk[WORD_MAX];
	size_t i = 0, width = column < LINE_SOFT_MAX ? LINE_SOFT_MAX - column : 0;
	bool first = true;
	while (i < len) {
		size_t limit = word_bytes(width), n = 0;
		while (i < len) {
			size_t k = char_len((const unsigned char *)s + i, len - i);
			if (n + k > limit)
				break;
			for (size_t j = 0; j < k; j++) {
				unsigned char c = (unsigned char)s[i + j];
				/* Control characters would come back as line breaks
				 * and the like in the reader's display. */
				chunk[n + j] = c < 0x20 || c == 0x7F ? ' ' : c;
			}
			n += k;
			i += k;
		}
		if ((!first && buf_append(out, "\r\n ", 3)) || buf_puts(out, "=?UTF-8?B?") ||
		    base64_append(out, chunk, n) || buf_puts(out, "?="))
			return -1;
		first = false;
		width = LINE_SOFT_MAX - 1; /* the next word starts after CRLF and a space */
	}
	return out->failed ? -1 : 0;
}

static bool line_break_at(const char *s, size_t len, size_t i)
{
	return i >= len || s[i] == '\r' || s[i] == '\n';
}

int mail_qp_encode(struct buf *out, const char *s, size_t len)
{
	size_t col = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' || c == '\n') {
			if (c == '\r' && i + 1 < len && s[i + 1] == '\n')
				i++;
			if (buf_append(out, "\r\n", 2))
				return -1;
			col = 0;
			continue;
		}
		bool encode = c == '=' || c == '\t' || c < 0x20 || c > 0x7E ||
		              (c == ' ' && line_break_at(s, len, i + 1));
		size_t width = encode ? 3 : 1;
		if (col + width > QP_LINE_MAX - 1) {
			if (buf_append(out, "=\r\n", 3))
				return -1;
			col = 0;
		}
		/* A line starting with '.' could end the SMTP data or be doubled on
		 * the way; one starting with "From " is mangled by mbox stores. */
		if (col == 0 &&
		    (c == '.' || (c == 'F' && len - i >= 5 && memcmp(s + i, "From ", 5) == 0)))
			encode = true;
		if (encode) {
			char e[3] = {'=', hex_digits[c >> 4], hex_digits[c & 15]};
			if (buf_append(out, e, 3))
				return -1;
			col += 3;
		} else {
			if (buf_append(out, &c, 1))
				return -1;
			col++;
		}
	}
	return out->failed ? -1 : 0;
}

/* Printable ASCII that needs no encoded word (a "=?" could be taken for one). */
static bool plain_ascii(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E)
			return false;
	return !strstr(s, "=?");
}

/* The characters of the current (last) line of out. */
static size_t line_length(const struct buf *out)
{
	size_t n = 0;
	while (n < out->len && out->data[out->len - n - 1] != '\n')
		n++;
	return n;
}

/* To: a display name as a quoted string when it is short printable ASCII,
 * otherwise as encoded words; the address in angle brackets after it. */
static int format_to(struct buf *out, const char *name, const char *addr)
{
	size_t start = out->len;
	if (buf_puts(out, "To: "))
		return -1;
	if (!name || !*name)
		return buf_printf(out, "%s\r\n", addr);
	size_t quoted = 2;
	for (const char *p = name; *p; p++)
		quoted += *p == '"' || *p == '\\' ? 2 : 1;
	if (plain_ascii(name) && 4 + quoted <= LINE_SOFT_MAX) {
		if (buf_append(out, "\"", 1))
			return -1;
		for (const char *p = name; *p; p++)
			if ((*p == '"' || *p == '\\') ? buf_printf(out, "\\%c", *p)
			                              : buf_append(out, p, 1))
				return -1;
		if (buf_append(out, "\"", 1))
			return -1;
	} else {
		struct buf words = {0};
		int rc = mail_encode_words(&words, out->len - start, name, strlen(name));
		rc = rc || buf_append(out, words.data, words.len);
		buf_free(&words);
		if (rc)
			return -1;
	}
	const char *sep = line_length(out) + 3 + strlen(addr) <= LINE_SOFT_MAX ? " " : "\r\n ";
	return buf_printf(out, "%s<%s>\r\n", sep, addr);
}

static int format_subject(struct buf *out, const char *subject)
{
	const size_t prefix = strlen("Subject: ");
	if (plain_ascii(subject) && prefix + strlen(subject) <= LINE_SOFT_MAX)
		return buf_printf(out, "Subject: %s\r\n", subject);
	struct buf words = {0};
	int rc = mail_encode_words(&words, prefix, subject, strlen(subject));
	rc =
	    rc || buf_printf(out, "Subject: %.*s\r\n", (int)words.len, words.len ? words.data : "");
	buf_free(&words);
	return rc ? -1 : 0;
}

/* A boundary that cannot occur in the parts: quoted-printable never has "=_"
 * ('=' is followed by hex digits or a line break), and it differs per message
 * so a mail quoted inside another stays apart. */
static void boundary_for(const char *message_id, char out[32])
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *p = message_id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	snprintf(out, 32, "=_portal_%016llx", (unsigned long long)h);
}

static int format_part(struct buf *out, const char *boundary, const char *type, const char *body)
{
	if (buf_printf(out,
	               "--%s\r\n"
	               "Content-Type: %s; charset=UTF-8\r\n"
	               "Content-Transfer-Encoding: quoted-printable\r\n"
	               "\r\n",
	               boundary, type) ||
	    mail_qp_encode(out, body ? body : "", body ? strlen(body) : 0))
		return -1;
	/* The line break before the next boundary belongs to that boundary. */
	return buf_append(out, "\r\n", 2);
}

int mail_format(const struct mail_message *m, struct buf *out)
{
	char date[MAIL_DATE_MAX], boundary[32];
	if (!m || !out || out->failed || !mail_address_ok(m->from) || !mail_address_ok(m->to) ||
	    !message_id_ok(m->message_id) || mail_date(m->date, date))
		return -1;
	boundary_for(m->message_id, boundary);
	size_t start = out->len;
	int rc = buf_printf(out, "From: %s\r\n", m->from) || format_to(out, m->to_name, m->to) ||
	         format_subject(out, m->subject ? m->subject : "") ||
	         buf_printf(out,
	                    "Date: %s\r\n"
	                    "Message-ID: <%s>\r\n"
	                    "MIME-Version: 1.0\r\n"
	                    "Auto-Submitted: auto-generated\r\n"
	                    "Content-Type: multipart/alternative;\r\n"
	                    " boundary=\"%s\"\r\n"
	                    "\r\n",
	                    date, m->message_id, boundary) ||
	         format_part(out, boundary, "text/plain", m->text) ||
	         format_part(out, boundary, "text/html", m->html) ||
	         buf_printf(out, "--%s--\r\n", boundary);
	if (rc || out->failed) {
		if (out->data && !out->failed) {
			out->len = start;
			out->data[start] = '\0';
		}
		return -1;
	}
	return 0;
}
