/* The template engine: mustache-like, compiled once per worker, escaping by
 * context. Syntax:
 *   {{name}} {{a.b}} {{.}}   a value, HTML-escaped for where it stands; the first
 *                             part of a name is looked up in the contexts, innermost
 *                             first, the rest inside what that found
 *   {{#name}}..{{/name}}      section: once if truthy (the value pushed on the
 *                             context), once per item of a list
 *   {{^name}}..{{/name}}      inverted section: when falsy or an empty list
 *   {{>partial}}              another template of the set, same context (in text only)
 *   {{@key}}                  the locale catalog's text for key, escaped like a value;
 *   {{@prefix.[name]}}        the key completed by a value's text ("error.title.[status]"
 *                             finds error.title.404), else the prefix alone; an unknown
 *                             key prints itself
 *   {{&name}}                 raw, in text only (for already-rendered HTML such as the
 *                             layout's {{&content}})
 *   {{~name}}                 text people wrote (a post, a comment), in text only:
 *                             escaped as a value, and each http:// or https:// address
 *                             in it a link <a href=".." rel="nofollow noopener ugc">;
 *                             nothing else becomes markup (plain in text templates)
 *   {{! comment }}
 * Section, comment and partial tags alone on a line take the line with them.
 * Values render as: strings as they are, numbers in decimal, booleans true/false,
 * null, lists and objects as nothing.
 *
 * Escaping is decided when compiling, by following the HTML around each tag:
 * - in text: & < > " ' are escaped;
 * - in a quoted attribute value also ` and =; in an unquoted one also whitespace;
 * - a URL attribute value (href, src, action, formaction, ...) holding tags is
 *   checked whole once rendered: unless it is relative or its scheme is http,
 *   https, mailto or tel, it becomes "#";
 * - in style="" a value with anything but letters, digits, spaces and # % . , + - _
 *   renders as nothing.
 * A value anywhere else in a tag (names, between attributes, event handler and
 * srcdoc attributes), in a comment, in <script> or <style> is a compile error, as
 * is a section that does not end in the same place of the HTML as it began, a
 * '<' in the text of <textarea> or <title> (write &lt;), "<!" in a <script>, and
 * <noscript> or <plaintext> at all.
 *
 * Names of templates are letters, digits, '_', '-' and '/' between parts. */
#ifndef CORE_TEMPLATE_H
#define CORE_TEMPLATE_H

#include <stddef.h>

#include "lib/buf.h"
#include "portal/value.h"

struct tpl;
struct tpl_set;
struct locale;

/* A set of templates searched in its folders, in the order they were added;
 * each template is compiled on first use and kept. tpl_set_add_dir returns 0, or
 * -1 when dir is not a directory or on exhaustion. Not thread-safe: one set per
 * worker process. */
struct tpl_set *tpl_set_new(void);
void tpl_set_free(struct tpl_set *set);
int tpl_set_add_dir(struct tpl_set *set, const char *dir);

/* Compiles text under name into the set (for tests and fuzzing, and for tpl_get).
 * A template compiled earlier under the same name stays valid until the set is
 * freed; lookups then find the newer one. NULL with "line N: why" in err. */
const struct tpl *tpl_compile(struct tpl_set *set, const char *name, const char *text, size_t len,
                              char *err, size_t errlen);

/* The template name (without ".html") from the set's folders, the first folder
 * that has it, compiled once together with the partials it names; a second call
 * returns the same pointer. NULL with a message in err when it or a partial is
 * missing or invalid. The set owns the result. */
const struct tpl *tpl_get(struct tpl_set *set, const char *name, char *err, size_t errlen);

/* Plain-text templates, for mail: the same syntax, but values, {{@key}} and
 * partials are inserted as they are (only NUL becomes U+FFFD) and the text is
 * not read as HTML, so nothing is refused for where it stands. A text template
 * and an HTML one of the same name are different templates; partials of a text
 * template are text templates too.
 * tpl_get_text: as tpl_get, from "<name>.txt".
 * tpl_compile_text: as tpl_compile, except that the same text compiled again
 * under the same name returns the template compiled the first time (subjects
 * are compiled once per mail; the set grows only with distinct texts). */
const struct tpl *tpl_get_text(struct tpl_set *set, const char *name, char *err, size_t errlen);
const struct tpl *tpl_compile_text(struct tpl_set *set, const char *name, const char *text,
                                   size_t len, char *err, size_t errlen);

/* Appends the rendering to out. loc may be NULL (then {{@key}} prints key).
 * Returns 0, or -1 (a missing partial, partials nested deeper than 32, more than
 * a few million steps or 32 MiB of output, exhaustion) and then leaves out as it
 * was. Partials not yet in the set are loaded from its folders. */
int tpl_render(struct tpl_set *set, const struct tpl *t, const struct portal_value *ctx,
               const struct locale *loc, struct buf *out);

/* Locale catalogs: UTF-8 text files of "key = value" lines (spaces around both
 * trimmed, the value may contain '='), '#' comment lines, blank lines. Keys are
 * letters, digits, '_', '-' and '.', each defined once. locale_load returns NULL
 * with "line N: why" in err; locale_get returns the catalog's string (owned by
 * loc) or NULL when loc is NULL or the key unknown. */
struct locale *locale_load(const char *path, char *err, size_t errlen);
/* One catalog from several files (core's, then a plugin's): a key defined twice,
 * in one file or across them, is an error. */
struct locale *locale_load_files(const char *const *paths, size_t n, char *err, size_t errlen);
const char *locale_get(const struct locale *loc, const char *key); /* NULL if unknown */
void locale_free(struct locale *loc);

#endif
