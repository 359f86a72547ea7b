/* The template engine: mustache-like, compiled once per worker, escaping by
 * context. Syntax:
 *   {{name}} {{a.b}} {{.}}   a value, HTML-escaped for where it stands
 *   {{#name}}..{{/name}}      section: once if truthy (object pushed on the context),
 *                             once per item of a list
 *   {{^name}}..{{/name}}      inverted section: when falsy or an empty list
 *   {{>partial}}              another template of the set, same context
 *   {{@key}}                  the locale catalog's text for key (escaped)
 *   {{&name}}                 raw (only for already-rendered HTML such as the
 *                             layout's {{&content}})
 *   {{! comment }}
 * Escaping is decided when compiling from where the tag stands: in text, in a
 * quoted or unquoted attribute value (URL attributes such as href and src also
 * refuse schemes other than http, https, mailto and tel and relative URLs). A
 * tag anywhere else inside a tag, or inside <script> or <style>, is a compile
 * error. */
#ifndef CORE_TEMPLATE_H
#define CORE_TEMPLATE_H

#include <stddef.h>

#include "buf.h"
#include "portal/value.h"

struct tpl;
struct tpl_set;
struct locale;

/* A set of templates searched in its folders, in the order they were added;
 * each template is compiled on first use and kept. */
struct tpl_set *tpl_set_new(void);
void tpl_set_free(struct tpl_set *set);
int tpl_set_add_dir(struct tpl_set *set, const char *dir);

/* Compiles text under name into the set (for tests and fuzzing, and for tpl_get). */
const struct tpl *tpl_compile(struct tpl_set *set, const char *name, const char *text,
			      size_t len, char *err, size_t errlen);

/* The template name (without ".html") from the set's folders, compiled once.
 * NULL with a message in err when missing or invalid. */
const struct tpl *tpl_get(struct tpl_set *set, const char *name, char *err, size_t errlen);

/* Renders into out. loc may be NULL (then {{@key}} prints key). Returns 0 or -1
 * (a missing partial, exhaustion). */
int tpl_render(struct tpl_set *set, const struct tpl *t, const struct portal_value *ctx,
	       const struct locale *loc, struct buf *out);

/* Locale catalogs: UTF-8 text files of "key = value" lines, '#' comments. */
struct locale *locale_load(const char *path, char *err, size_t errlen);
const char *locale_get(const struct locale *loc, const char *key); /* NULL if unknown */
void locale_free(struct locale *loc);

#endif
