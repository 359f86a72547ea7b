/* Parsers of untrusted request input. Each is pure (no I/O but the multipart
 * reader's callback and its temporary files), bounded by parse_limits, and
 * returns 0 or the HTTP status of the failure: 400 malformed (NUL in a name or
 * value included), 413 over a limit or the arena exhausted, 507 disk full while
 * writing an upload, 500 a programming or heap error. On failure *why (when why
 * is not NULL) points to a short static English text. */
#ifndef CORE_PARSE_H
#define CORE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "portal/request.h"
#include "portal/value.h"

struct parse_limits {
	size_t max_fields; /* fields of a form or multipart body, members of a JSON body (all
	                      levels) */
	size_t max_parts;  /* parts of a multipart body, files included */
	size_t max_name;   /* bytes of a field name or JSON key */
	size_t max_value;  /* bytes of a non-file value */
	size_t max_file;   /* bytes of one uploaded file */
	size_t max_depth;  /* JSON nesting */
	size_t max_header; /* bytes of one multipart part's header block */
};

/* Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* The bytes of the well-formed character s starts with (1 to 4; left > 0
 * bytes are there), or 0 when they are not one. */
size_t utf8_char_len(const unsigned char *s, size_t left);

/* application/x-www-form-urlencoded, also used for query strings. Adds each field
 * to obj as a string; a repeated name becomes a list of strings. Names and values
 * must be valid UTF-8 after decoding. */
int form_parse(struct portal_arena *a, const char *s, size_t len, const struct parse_limits *lim,
               struct portal_value *obj, const char **why);

/* Adds name = value to obj; the second value of a name turns it into a list so
 * that no value is silently dropped (checkbox groups, repeated ids). Used by
 * form_parse and multipart_parse. Returns 0 or -1 on exhaustion. */
int form_field_add(struct portal_arena *a, struct portal_value *obj, const char *name,
                   const char *value, size_t vlen);

/* A Cookie header: "a=1; b=2". Malformed pairs are skipped (browsers send odd
 * ones); the first of duplicate names wins. Never fails except on exhaustion (-1). */
int cookies_parse(struct portal_arena *a, const char *header, struct portal_value *obj);

/* A JSON body with yajl. The top level must be an object (depth 1); duplicate
 * keys, invalid UTF-8 and trailing garbage are 400; max_fields counts object
 * members and list items at all levels. */
int json_parse(struct portal_arena *a, const char *s, size_t len, const struct parse_limits *lim,
               struct portal_value **out, const char **why);

/* Appends v as JSON (compact, as yajl's generator wrote it), escaping "/"
 * (so "</" never appears) and U+2028/U+2029. Invalid UTF-8 and containers
 * nested 128 deep are errors. Returns 0, or -1 with out as it was. */
int json_render(const struct portal_value *v, struct buf *out);

/* Reads at most n bytes of a request body. Returns the number read (short reads
 * are fine), 0 at the end of the stream, or -1 on error. */
typedef long (*body_read_fn)(void *ctx, char *dst, size_t n);

/* multipart/form-data, streamed: text parts become fields of obj as in form_parse,
 * file parts (those with a filename) are written to mkstemp files in tmp_dir,
 * removed when the arena is freed, and appended in order to
 * *uploads. The boundary comes from content_type (maybe quoted, 1..70 chars).
 * A body shorter than content_length, a missing final boundary, "filename*",
 * duplicate header parameters, and over-long header blocks are refused. */
int multipart_parse(struct portal_arena *a, const char *content_type, body_read_fn read,
                    void *read_ctx, size_t content_length, const char *tmp_dir,
                    const struct parse_limits *lim, struct portal_value *obj,
                    struct portal_upload **uploads, const char **why);

#endif
