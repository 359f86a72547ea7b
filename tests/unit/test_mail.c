/* The mail formatting: addresses, dates, encoded words, quoted-printable and
 * whole messages, read back with decoders written here from the RFCs, and
 * attempts to add headers through every value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "harness.h"
#include "mime/mail_format.h"

static bool contains(const char *s, const char *part)
{
	return s && strstr(s, part) != NULL;
}

/* ----------------------------------------------------------- decoders */

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 with padding; -1 on anything else. */
static int b64_decode(const char *s, size_t n, struct buf *out)
{
	if (n % 4)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int k = 0; k < 4; k++) {
			v[k] = s[i + k] == '=' && k >= 2 ? 0 : b64_value(s[i + k]);
			if (v[k] < 0)
				return -1;
		}
		unsigned char b[3] = {(unsigned char)(v[0] << 2 | v[1] >> 4),
		                      (unsigned char)((v[1] & 15) << 4 | v[2] >> 2),
		                      (unsigned char)((v[2] & 3) << 6 | v[3])};
		size_t take = s[i + 2] == '=' ? 1 : s[i + 3] == '=' ? 2 : 3;
		if (buf_append(out, b, take))
			return -1;
	}
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Quoted-printable as RFC 2045 6.7 reads it (upper-case hex only, as we write it). */
static int qp_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=') {
			if (buf_append(out, s + i, 1))
				return -1;
			continue;
		}
		if (i + 2 >= n)
			return -1; /* '=' must be followed by two characters */
		if (s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2; /* soft line break */
			continue;
		}
		int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		unsigned char c = (unsigned char)(hi << 4 | lo);
		if (buf_append(out, &c, 1))
			return -1;
		i += 2;
	}
	return 0;
}

/* A header value made of encoded words separated by folding white space: the
 * decoded text; -1 when anything else is there. */
static int words_decode(const char *s, struct buf *out)
{
	const char *p = s;
	while (*p) {
		while (*p == ' ' || *p == '\r' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (strncmp(p, "=?UTF-8?B?", 10) != 0)
			return -1;
		const char *end = strstr(p + 10, "?=");
		if (!end || end - p > 75)
			return -1;
		if (b64_decode(p + 10, (size_t)(end - p - 10), out))
			return -1;
		p = end + 2;
	}
	return 0;
}

/* Every line ends in CRLF (no bare CR or LF) and is at most max characters. */
static bool lines_ok(const char *s, size_t n, size_t max)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				return false;
			i++;
			col = 0;
		} else if (s[i] == '\n') {
			return false;
		} else if (++col > max) {
			return false;
		}
	}
	return true;
}

/* Valid UTF-8, for checking that encoded words are cut between characters. */
static bool utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t k = s[i] < 0x80    ? 1
		           : s[i] >= 0xF0 ? 4
		           : s[i] >= 0xE0 ? 3
		           : s[i] >= 0xC2 ? 2
		                          : 0;
		if (k == 0 || i + k > n)
			return false;
		for (size_t j = 1; j < k; j++)
			if ((s[i + j] & 0xC0) != 0x80)
				return false;
		i += k;
	}
	return true;
}

/* ------------------------------------------------------------- tests */

static void test_addresses(void)
{
	const char *good[] = {
	    "anna@example.org",
	    "a.b+c@sub.example.de",
	    "x@localhost",
	    "o'brien@example.ie",
	    "1@2.de",
	    "under_score-x@xn--mller-kva.de",
	    "UPPER@EXAMPLE.ORG",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (!mail_address_ok(good[i]))
			fprintf(stderr, "refused: %s\n", good[i]);
		CHECK(mail_address_ok(good[i]));
	}
	const char *bad[] = {
	    "",
	    "noat",
	    "a@b@c.de",
	    "a b@c.de",
	    "a@c.de\r\nBcc: x@y.de",
	    "a@c.de\nBcc: x@y.de",
	    "a@c.de\rx",
	    "a@c.de,b@c.de",
	    "a@c.de;b@c.de",
	    "a,b@c.de",
	    "<a@b.de>",
	    "Anna <a@b.de>",
	    "\"a b\"@b.de",
	    "a@[1.2.3.4]",
	    "@b.de",
	    "a@",
	    ".a@b.de",
	    "a.@b.de",
	    "a..b@c.de",
	    "a@b..de",
	    "a@.b.de",
	    "a@b.de.",
	    "a@b_c.de",
	    "\xc3\xa4@b.de",
	    "a@m\xc3\xbcller.de",
	    "a\t@b.de",
	    "a@b.de ",
	    " a@b.de",
	    "a(comment)@b.de",
	    "a\\b@c.de",
	    "a:b@c.de",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (mail_address_ok(bad[i]))
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK(!mail_address_ok(bad[i]));
	}
	CHECK(!mail_address_ok(NULL));

	/* 254 bytes pass, 255 do not; at most 64 before the '@', 63 per label. */
	char addr[400];
	memset(addr, 'a', 64);
	addr[64] = '@';
	size_t n = 65;
	while (n < 254) {
		size_t label = 254 - n > 63 ? 60 : 254 - n;
		memset(addr + n, 'b', label);
		n += label;
		if (n < 254)
			addr[n++] = '.';
	}
	addr[n] = '\0';
	CHECK(strlen(addr) == 254 && addr[253] != '.');
	CHECK(mail_address_ok(addr));
	addr[n] = 'c';
	addr[n + 1] = '\0';
	CHECK(!mail_address_ok(addr));
	char local[80];
	memset(local, 'l', 65);
	strcpy(local + 65, "@b.de");
	CHECK(!mail_address_ok(local));
	strcpy(local + 64, "@b.de");
	CHECK(mail_address_ok(local));
	char label[90] = "a@";
	memset(label + 2, 'x', 64);
	strcpy(label + 66, ".de");
	CHECK(!mail_address_ok(label));
}

static void test_dates(void)
{
	char d[MAIL_DATE_MAX];
	CHECK(mail_date(0, d) == 0);
	CHECK_STR(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	CHECK(mail_date(1796148000, d) == 0);
	CHECK_STR(d, "Tue, 01 Dec 2026 18:00:00 +0000");
	CHECK(mail_date(951782400, d) == 0); /* a leap day */
	CHECK_STR(d, "Tue, 29 Feb 2000 00:00:00 +0000");
	CHECK(mail_date((time_t)1 << 60, d) == -1);
}

/* Encodes s at column and checks the words: each at most 75 characters, lines
 * within 78, each word whole UTF-8 on its own, and the decoded text equal to
 * want. */
static void check_words(const char *s, size_t column, const char *want)
{
	struct buf out = {0}, dec = {0};
	CHECK(mail_encode_words(&out, column, s, strlen(s)) == 0);
	const char *text = out.data ? out.data : "";
	CHECK(words_decode(text, &dec) == 0);
	CHECK_STR(dec.data ? dec.data : "", want);
	/* The first line has column characters before it. */
	size_t first = strcspn(text, "\r");
	CHECK(column + first <= 78 || first <= 22);
	CHECK(lines_ok(text, out.len, 78));
	for (const char *p = text; (p = strstr(p, "=?UTF-8?B?"));) {
		const char *end = strstr(p + 10, "?=");
		CHECK(end && end - p + 2 <= 75);
		if (!end)
			break;
		struct buf one = {0};
		CHECK(b64_decode(p + 10, (size_t)(end - p - 10), &one) == 0);
		CHECK(utf8_ok((const unsigned char *)one.data, one.len));
		buf_free(&one);
		p = end + 2;
	}
	/* A fold is always CRLF and a space: never a line of its own. */
	for (const char *p = text; (p = strstr(p, "\r\n")); p += 2)
		CHECK(p[2] == ' ');
	buf_free(&out);
	buf_free(&dec);
}

static void test_encoded_words(void)
{
	check_words("Grüße aus Köln", 9, "Grüße aus Köln");
	check_words("Neue Mitteilung: Wasserabstellung in der Hauptstraße 5 am Dienstag, "
	            "bitte Wasser vorrätig halten – Ihre Hausverwaltung Müller & Söhne",
	            9,
	            "Neue Mitteilung: Wasserabstellung in der Hauptstraße 5 am Dienstag, "
	            "bitte Wasser vorrätig halten – Ihre Hausverwaltung Müller & Söhne");
	/* Two-, three- and four-byte characters, never cut. */
	char many[1200] = "";
	for (int i = 0; i < 100; i++)
		strcat(many, i % 3 == 0 ? "ä" : i % 3 == 1 ? "€" : "😀");
	check_words(many, 9, many);
	check_words(many, 0, many);
	check_words(many, 70, many);
	/* Line breaks and other control characters become spaces. */
	check_words("Hallo\r\nBcc: victim@example.org", 9, "Hallo  Bcc: victim@example.org");
	check_words("a\tb\x01"
	            "c\x7f",
	            9, "a b c ");
	struct buf out = {0};
	CHECK(mail_encode_words(&out, 9, "", 0) == 0);
	CHECK(out.len == 0);
	buf_free(&out);
	/* Known bytes: "Grüße" is R3LDvMOfZQ== in base64. */
	CHECK(mail_encode_words(&out, 9, "Grüße", strlen("Grüße")) == 0);
	CHECK_STR(out.data, "=?UTF-8?B?R3LDvMOfZQ==?=");
	buf_free(&out);
}

static void check_qp(const char *in, size_t n, const char *want)
{
	struct buf enc = {0}, dec = {0};
	CHECK(mail_qp_encode(&enc, in, n) == 0);
	const char *text = enc.data ? enc.data : "";
	CHECK(lines_ok(text, enc.len, 76));
	CHECK(qp_decode(text, enc.len, &dec) == 0);
	CHECK(dec.len == strlen(want) && memcmp(dec.data ? dec.data : "", want, dec.len) == 0);
	if (dec.len != strlen(want))
		fprintf(stderr, "qp of \"%.40s\": %s\n", in, text);
	/* Nothing but printable ASCII and CRLF; no line starting with '.' or
	 * "From "; no space or tab before a line end; no soft break at the end. */
	for (size_t i = 0; i < enc.len; i++) {
		unsigned char c = (unsigned char)text[i];
		CHECK(c == '\r' || c == '\n' || (c >= 0x20 && c <= 0x7E));
		if (c == '\r')
			CHECK(i == 0 || (text[i - 1] != ' ' && text[i - 1] != '\t'));
		if (i == 0 || text[i - 1] == '\n') {
			CHECK(c != '.');
			CHECK(strncmp(text + i, "From ", 5) != 0);
		}
	}
	CHECK(enc.len == 0 || text[enc.len - 1] != ' ');
	CHECK(enc.len < 3 || strcmp(text + enc.len - 3, "=\r\n") != 0);
	buf_free(&enc);
	buf_free(&dec);
}

static void test_quoted_printable(void)
{
	check_qp("Hallo Anna,", 11, "Hallo Anna,");
	check_qp("a=b", 3, "a=b");
	check_qp("Grüße", strlen("Grüße"), "Grüße");
	check_qp("line 1\nline 2\r\nline 3\rline 4", 28, "line 1\r\nline 2\r\nline 3\r\nline 4");
	check_qp("trailing   \nspace \t\n", 20, "trailing   \r\nspace \t\r\n");
	check_qp(".\n.. dot\nFrom here\nFrom: header", 31,
	         ".\r\n.. dot\r\nFrom here\r\nFrom: header");
	check_qp("end with space ", 15, "end with space ");
	check_qp("", 0, "");
	{
		struct buf enc = {0};
		CHECK(mail_qp_encode(&enc, "\x00\x01\xff", 3) == 0);
		CHECK_STR(enc.data, "=00=01=FF");
		buf_free(&enc);
		CHECK(mail_qp_encode(&enc, "a = b.\n.x", 9) == 0);
		CHECK_STR(enc.data, "a =3D b.\r\n=2Ex");
		buf_free(&enc);
	}
	/* Long lines, with and without characters to encode near the cut. */
	char longline[2000] = "";
	for (int i = 0; i < 60; i++)
		strcat(longline, i % 2 ? "Straße " : "xxxxxxxxxxxxxxxxx=");
	check_qp(longline, strlen(longline), longline);
	char dots[400];
	memset(dots, '.', sizeof dots - 1);
	dots[sizeof dots - 1] = '\0';
	check_qp(dots, strlen(dots), dots); /* every soft-broken line starts with '.' */
	char spaces[400];
	memset(spaces, ' ', sizeof spaces - 1);
	spaces[sizeof spaces - 1] = '\0';
	check_qp(spaces, strlen(spaces), spaces);

	/* Random bytes round-trip; CR and LF are left out since they are line breaks
	 * (normalised to CRLF, tested above). */
	uint32_t seed = 12345;
	char in[600];
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(round * 2);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned char c = (unsigned char)(seed >> 16);
			if (round % 2)
				c = (unsigned char)(" .=F\tab\xc3\xa4"[c % 9]);
			in[i] = c == '\r' || c == '\n' ? 'x' : (char)c;
		}
		in[n] = '\0';
		struct buf enc = {0}, dec = {0};
		CHECK(mail_qp_encode(&enc, in, n) == 0);
		CHECK(lines_ok(enc.data ? enc.data : "", enc.len, 76));
		CHECK(qp_decode(enc.data ? enc.data : "", enc.len, &dec) == 0);
		CHECK(dec.len == n && (n == 0 || memcmp(dec.data, in, n) == 0));
		buf_free(&enc);
		buf_free(&dec);
	}
}

/* A formatted message split up: header lines (unfolded), the body. */
struct parsed {
	char headers[32][1024];
	int nheaders;
	const char *body;
};

static bool parse_message(const char *msg, struct parsed *p)
{
	memset(p, 0, sizeof *p);
	const char *end = strstr(msg, "\r\n\r\n");
	if (!end)
		return false;
	p->body = end + 4;
	const char *s = msg;
	while (s < end + 2) {
		const char *eol = strstr(s, "\r\n");
		if (s[0] == ' ' || s[0] == '\t') {
			if (p->nheaders == 0)
				return false;
			strncat(p->headers[p->nheaders - 1], s, (size_t)(eol - s));
		} else {
			if (p->nheaders == 32)
				return false;
			snprintf(p->headers[p->nheaders++], 1024, "%.*s", (int)(eol - s), s);
		}
		s = eol + 2;
	}
	return true;
}

static const char *header(const struct parsed *p, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < p->nheaders; i++)
		if (strncasecmp(p->headers[i], name, n) == 0 && p->headers[i][n] == ':')
			return p->headers[i] + n + 2;
	return NULL;
}

/* The decoded body of the part with this content type. */
static bool part_text(const char *body, const char *boundary, const char *type, struct buf *out)
{
	char delim[64], want[128];
	snprintf(delim, sizeof delim, "\r\n--%s", boundary);
	snprintf(want, sizeof want, "Content-Type: %s; charset=UTF-8\r\n", type);
	const char *p = strstr(body, want);
	if (!p)
		return false;
	const char *start = strstr(p, "\r\n\r\n");
	const char *stop = start ? strstr(start, delim) : NULL;
	if (!stop)
		return false;
	start += 4;
	return qp_decode(start, (size_t)(stop - start), out) == 0;
}

static int count(const char *s, const char *part)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, part)); p += strlen(part))
		n++;
	return n;
}

static void test_message(void)
{
	struct mail_message m = {
	    .from = "portal@hv-mueller.de",
	    .to = "joerg@example.org",
	    .to_name = "Jörg Müller",
	    .subject = "Neue Mitteilung: Wasserabstellung am Dienstag in der Hauptstraße",
	    .message_id = "0123456789abcdef0123456789abcdef@portal.example.de",
	    .date = 1796148000,
	    .text = "Hallo Jörg,\nam Dienstag wird das Wasser abgestellt.\n-- \nHV Müller\n",
	    .html = "<p>Hallo J&ouml;rg,</p>\n<p>am Dienstag &hellip;</p>",
	};
	struct buf out = {0};
	CHECK(mail_format(&m, &out) == 0);
	const char *msg = out.data ? out.data : "";
	CHECK(lines_ok(msg, out.len, 78));
	struct parsed p;
	CHECK(parse_message(msg, &p));
	CHECK_STR(header(&p, "From"), "portal@hv-mueller.de");
	CHECK_STR(header(&p, "Date"), "Tue, 01 Dec 2026 18:00:00 +0000");
	CHECK_STR(header(&p, "Message-ID"), "<0123456789abcdef0123456789abcdef@portal.example.de>");
	CHECK_STR(header(&p, "MIME-Version"), "1.0");
	CHECK_STR(header(&p, "Auto-Submitted"), "auto-generated");
	CHECK(p.nheaders == 8);
	const char *to = header(&p, "To");
	CHECK(to && contains(to, " <joerg@example.org>") && strncmp(to, "=?UTF-8?B?", 10) == 0);
	struct buf dec = {0};
	if (to) {
		char name[512];
		snprintf(name, sizeof name, "%.*s", (int)(strstr(to, " <") - to), to);
		CHECK(words_decode(name, &dec) == 0);
		CHECK_STR(dec.data, "Jörg Müller");
		buf_reset(&dec);
	}
	const char *subject = header(&p, "Subject");
	CHECK(subject && words_decode(subject, &dec) == 0);
	CHECK_STR(dec.data, m.subject);
	buf_reset(&dec);
	CHECK(contains(msg, "\r\nSubject: =?UTF-8?B?"));
	/* Folded, since it is long: more than one word. */
	CHECK(count(subject, "=?UTF-8?B?") >= 2);

	const char *ct = header(&p, "Content-Type");
	CHECK(ct && strncmp(ct, "multipart/alternative; boundary=\"=_portal_", 41) == 0);
	char boundary[64] = "";
	if (ct)
		sscanf(strstr(ct, "boundary=\"") + 10, "%63[^\"]", boundary);
	CHECK(strlen(boundary) > 10);
	char line[80];
	snprintf(line, sizeof line, "--%s\r\n", boundary);
	CHECK(count(msg, line) == 2);
	snprintf(line, sizeof line, "\r\n--%s--\r\n", boundary);
	CHECK(count(msg, line) == 1);
	CHECK(strcmp(msg + out.len - strlen(line), line) == 0);
	CHECK(count(p.body, "Content-Transfer-Encoding: quoted-printable\r\n") == 2);
	CHECK(part_text(p.body, boundary, "text/plain", &dec));
	CHECK_STR(dec.data,
	          "Hallo Jörg,\r\nam Dienstag wird das Wasser abgestellt.\r\n-- \r\nHV Müller\r\n");
	buf_reset(&dec);
	CHECK(part_text(p.body, boundary, "text/html", &dec));
	CHECK_STR(dec.data, "<p>Hallo J&ouml;rg,</p>\r\n<p>am Dienstag &hellip;</p>");
	/* The text part comes first: readers show the last part they can. */
	CHECK(strstr(p.body, "text/plain") < strstr(p.body, "text/html"));
	buf_free(&dec);
	buf_free(&out);

	/* Short ASCII: a quoted name, a subject as it is. */
	m.to_name = "Anna \"Nanni\" Muster \\ HV";
	m.subject = "Hello";
	CHECK(mail_format(&m, &out) == 0);
	CHECK(contains(out.data,
	               "\r\nTo: \"Anna \\\"Nanni\\\" Muster \\\\ HV\" <joerg@example.org>\r\n"));
	CHECK(contains(out.data, "\r\nSubject: Hello\r\n"));
	buf_reset(&out);
	/* No name: the address alone. A subject that looks like an encoded word is
	 * encoded, so it reads as it was written. */
	m.to_name = NULL;
	m.subject = "=?UTF-8?B?SGk=?=";
	CHECK(mail_format(&m, &out) == 0);
	CHECK(contains(out.data, "\r\nTo: joerg@example.org\r\n"));
	CHECK(parse_message(out.data, &p));
	CHECK(header(&p, "Subject") && words_decode(header(&p, "Subject"), &dec) == 0);
	CHECK_STR(dec.data, "=?UTF-8?B?SGk=?=");
	buf_free(&dec);
	buf_reset(&out);
	m.to_name = "";
	m.subject = "";
	m.text = NULL;
	m.html = "";
	CHECK(mail_format(&m, &out) == 0);
	CHECK(contains(out.data, "\r\nTo: joerg@example.org\r\n"));
	CHECK(lines_ok(out.data, out.len, 78));
	buf_free(&out);
}

/* Every value that reaches a header tries to add one; the message must keep
 * exactly its eight headers and two parts. */
static void test_injection(void)
{
	const char *evil =
	    "x\r\nBcc: victim@example.org\r\n\r\n--=_portal_0\r\nContent-Type: text/html";
	const char *evil_lf = "x\nBcc: victim@example.org\nX-Evil: 1";
	const char *evil_cr = "x\rBcc: victim@example.org";
	const char *values[] = {evil, evil_lf, evil_cr, "J\xc3\xb6rg\r\nBcc: v@example.org"};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		struct mail_message m = {
		    .from = "portal@example.org",
		    .to = "a@example.org",
		    .to_name = values[i],
		    .subject = values[i],
		    .message_id = "abc@example.org",
		    .date = 0,
		    .text = values[i],
		    .html = values[i],
		};
		struct buf out = {0};
		CHECK(mail_format(&m, &out) == 0);
		const char *msg = out.data ? out.data : "";
		CHECK(lines_ok(msg, out.len, 78));
		struct parsed p;
		CHECK(parse_message(msg, &p));
		CHECK(p.nheaders == 8);
		CHECK(header(&p, "Bcc") == NULL && header(&p, "X-Evil") == NULL);
		/* The bodies keep their lines (a "Bcc:" line in a text is text), but
		 * no value makes a boundary: there are still exactly two parts. */
		const char *ct = header(&p, "Content-Type");
		char boundary[64] = "", delim[80];
		if (ct && strstr(ct, "boundary=\""))
			sscanf(strstr(ct, "boundary=\"") + 10, "%63[^\"]", boundary);
		snprintf(delim, sizeof delim, "\r\n--%s", boundary);
		CHECK(strlen(boundary) > 10 && count(msg, delim) == 3);
		CHECK(count(msg, "\r\n--=_portal_") == 3);
		CHECK(count(msg, "\r\nContent-Transfer-Encoding: ") == 2);
		/* The decoded name and subject hold no line break. */
		struct buf dec = {0};
		const char *subject = header(&p, "Subject");
		CHECK(subject && words_decode(subject, &dec) == 0);
		CHECK(dec.data && !strchr(dec.data, '\r') && !strchr(dec.data, '\n'));
		buf_free(&dec);
		buf_free(&out);
	}

	/* Addresses and ids that would add headers or recipients are refused, and
	 * out is left as it was. */
	struct mail_message m = {
	    .from = "portal@example.org",
	    .to = "a@example.org\r\nBcc: v@example.org",
	    .subject = "s",
	    .message_id = "abc@example.org",
	    .text = "t",
	    .html = "h",
	};
	struct buf out = {0};
	buf_puts(&out, "kept");
	CHECK(mail_format(&m, &out) == -1);
	CHECK_STR(out.data, "kept");
	m.to = "a@example.org, v@example.org";
	CHECK(mail_format(&m, &out) == -1);
	m.to = "a@example.org";
	m.from = "Portal <portal@example.org>";
	CHECK(mail_format(&m, &out) == -1);
	m.from = "portal@example.org\nBcc: v@example.org";
	CHECK(mail_format(&m, &out) == -1);
	m.from = "portal@example.org";
	const char *bad_ids[] = {"abc@example.org>\r\nBcc: v@example.org",
	                         "abc",
	                         "a b@c",
	                         "<abc@example.org>",
	                         "abc@example.org\n",
	                         "",
	                         "abc@[x\r\n]"};
	for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
		m.message_id = bad_ids[i];
		CHECK(mail_format(&m, &out) == -1);
	}
	m.message_id = "abc@[127.0.0.1]";
	CHECK(mail_format(&m, &out) == 0);
	CHECK(contains(out.data, "Message-ID: <abc@[127.0.0.1]>\r\n"));
	m.message_id = NULL;
	CHECK(mail_format(&m, &out) == -1);
	CHECK(mail_format(NULL, &out) == -1);
	buf_free(&out);
}

/* Long names and addresses: lines stay within 998, and within 78 where a fold
 * is possible. */
static void test_long_values(void)
{
	char name[220], addr[300];
	memset(name, 'n', 200);
	name[200] = '\0';
	memset(addr, 'a', 64);
	strcpy(addr + 64, "@example.org");
	struct mail_message m = {
	    .from = "portal@example.org",
	    .to = addr,
	    .to_name = name,
	    .subject = name,
	    .message_id = "abc@example.org",
	    .text = name,
	    .html = name,
	};
	struct buf out = {0};
	CHECK(mail_format(&m, &out) == 0);
	/* The address (78 characters with its <>) gets a line of its own. */
	CHECK(lines_ok(out.data, out.len, 79));
	CHECK(contains(out.data, "?=\r\n <aaaa"));
	struct parsed p;
	CHECK(parse_message(out.data, &p));
	struct buf dec = {0};
	const char *to = header(&p, "To");
	CHECK(to && contains(to, " <"));
	if (to && contains(to, " <")) {
		char words[1024];
		snprintf(words, sizeof words, "%.*s", (int)(strstr(to, " <") - to), to);
		CHECK(words_decode(words, &dec) == 0);
		CHECK_STR(dec.data, name);
	}
	buf_free(&dec);
	buf_free(&out);
}

int main(void)
{
	test_addresses();
	test_dates();
	test_encoded_words();
	test_quoted_printable();
	test_message();
	test_injection();
	test_long_values();
	HARNESS_END();
}
