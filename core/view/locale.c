/* Locale catalogs (see template.h): the file is read whole, cut into key and
 * value strings in place, and kept as an array sorted by key for bsearch. */
#include "view/template.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LOCALE_MAX_FILE = 1 << 20 };

struct locale_entry {
	const char *key, *value;
	unsigned line;
};

#define LOCALE_MAX_FILES 8

struct locale {
	char *texts[LOCALE_MAX_FILES]; /* the files, holding every key and value */
	size_t files;
	struct locale_entry *entries;
	size_t count, cap;
};

static void locale_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void locale_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Well-formed UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
 * Returns the length of the sequence at s, or 0 when it is not valid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len;
	unsigned cp;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		cp = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		cp = s[0] & 0x0Fu;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3Fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* 0 when valid; otherwise the 1-based line of the first bad byte. A NUL counts
 * as bad: keys and values are C strings. */
static unsigned bad_text_line(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned line = 1;
	size_t i = 0;
	while (i < len) {
		size_t k = s[i] ? utf8_seq(s + i, len - i) : 0;
		if (k == 0)
			return line;
		line += s[i] == '\n';
		i += k;
	}
	return 0;
}

static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		locale_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *data = malloc(LOCALE_MAX_FILE + 1);
	size_t got = data ? fread(data, 1, LOCALE_MAX_FILE + 1, f) : 0;
	int bad = !data || ferror(f) || got > LOCALE_MAX_FILE;
	fclose(f);
	if (bad) {
		locale_err(err, errlen, "%s: unreadable, or larger than %d bytes", path,
		           LOCALE_MAX_FILE);
		free(data);
		return -1;
	}
	data[got] = '\0';
	*text = data;
	*len = got;
	return 0;
}

static bool key_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
		if (!ok)
			return false;
	}
	return true;
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return s;
}

static int add_entry(struct locale *loc, const char *key, const char *value, unsigned line)
{
	if (loc->count == loc->cap) {
		size_t n = loc->cap ? loc->cap * 2 : 64;
		struct locale_entry *e = realloc(loc->entries, n * sizeof *e);
		if (!e)
			return -1;
		loc->entries = e;
		loc->cap = n;
	}
	loc->entries[loc->count++] = (struct locale_entry){key, value, line};
	return 0;
}

/* Cuts the text into entries in place. */
static int parse_lines(struct locale *loc, char *text, size_t len, char *err, size_t errlen)
{
	unsigned line = 0;
	char *end = text + len;
	for (char *s = text; s < end;) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		char *eol = nl ? nl : end;
		char *next = nl ? nl + 1 : end;
		line++;
		char *body = trim(s, eol);
		s = next;
		if (*body == '\0' || *body == '#')
			continue;
		char *eq = strchr(body, '=');
		if (!eq) {
			locale_err(err, errlen, "line %u: expected \"key = value\"", line);
			return -1;
		}
		char *value = trim(eq + 1, eq + 1 + strlen(eq + 1));
		char *key = trim(body, eq);
		if (!key_ok(key)) {
			locale_err(err, errlen, "line %u: invalid key \"%.40s\"", line, key);
			return -1;
		}
		if (add_entry(loc, key, value, line)) {
			locale_err(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct locale_entry *x = a, *y = b;
	return strcmp(x->key, y->key);
}

static int sort_unique(struct locale *loc, char *err, size_t errlen)
{
	if (loc->count)
		qsort(loc->entries, loc->count, sizeof *loc->entries, entry_cmp);
	for (size_t i = 1; i < loc->count; i++) {
		const struct locale_entry *a = &loc->entries[i - 1], *b = &loc->entries[i];
		if (strcmp(a->key, b->key) == 0) {
			unsigned first = a->line < b->line ? a->line : b->line;
			unsigned again = a->line < b->line ? b->line : a->line;
			locale_err(err, errlen, "line %u: key \"%s\" already defined on line %u",
			           again, a->key, first);
			return -1;
		}
	}
	return 0;
}

/* Reads one more file into loc; its messages name the file. */
static int load_file(struct locale *loc, const char *path, char *err, size_t errlen)
{
	char msg[256];
	size_t len;
	char *text;
	if (loc->files == LOCALE_MAX_FILES) {
		locale_err(err, errlen, "%s: too many catalog files", path);
		return -1;
	}
	if (read_file(path, &loc->texts[loc->files], &len, err, errlen))
		return -1;
	text = loc->texts[loc->files++];
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
		text += 3; /* a byte order mark some editors write */
		len -= 3;
	}
	unsigned bad = bad_text_line(text, len);
	if (bad) {
		locale_err(err, errlen, "%s: line %u: invalid UTF-8", path, bad);
		return -1;
	}
	if (parse_lines(loc, text, len, msg, sizeof msg)) {
		locale_err(err, errlen, "%s: %s", path, msg);
		return -1;
	}
	return 0;
}

struct locale *locale_load_files(const char *const *paths, size_t n, char *err, size_t errlen)
{
	struct locale *loc = calloc(1, sizeof *loc);
	if (!loc) {
		locale_err(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (!paths[i] || load_file(loc, paths[i], err, errlen)) {
			if (!paths[i])
				locale_err(err, errlen, "no path");
			locale_free(loc);
			return NULL;
		}
	}
	char msg[256];
	if (sort_unique(loc, msg, sizeof msg)) {
		locale_err(err, errlen, "%s: %s", n == 1 ? paths[0] : "catalogs", msg);
		locale_free(loc);
		return NULL;
	}
	return loc;
}

struct locale *locale_load(const char *path, char *err, size_t errlen)
{
	return locale_load_files(&path, 1, err, errlen);
}

const char *locale_get(const struct locale *loc, const char *key)
{
	if (!loc || !key || !loc->count)
		return NULL;
	struct locale_entry want = {.key = key};
	const struct locale_entry *e =
	    bsearch(&want, loc->entries, loc->count, sizeof *loc->entries, entry_cmp);
	return e ? e->value : NULL;
}

void locale_free(struct locale *loc)
{
	if (!loc)
		return;
	free(loc->entries);
	for (size_t i = 0; i < loc->files; i++)
		free(loc->texts[i]);
	free(loc);
}
