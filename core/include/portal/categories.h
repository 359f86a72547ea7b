/* Lists of categories per organisation: a plugin's default list (the
 * documents' Hausordnung, Protokoll, ...; the tickets' Schaden/Reparatur,
 * ...) that each organisation's admins change to their own under
 * /app/settings/categories. The plugin declares its defaults in its struct
 * (.categories, NULL-terminated); the locale key "<plugin>.categories" names
 * the list on the settings page, and "<plugin>.category.<name>" (where the
 * catalog has it) a default in the reader's language; in the key, German
 * letters of the name are spelt out and anything else but letters and digits
 * is '_' ("Lärm" as "Laerm", "Heizung/Wasser" as "Heizung_Wasser"). An input of type
 * PORTAL_IN_CATEGORY accepts only a category of the caller's organisation's
 * list (a 422 on the member otherwise). */
#ifndef PORTAL_CATEGORIES_H
#define PORTAL_CATEGORIES_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_CATEGORY_MAX_CHARS 50

struct portal_req;
struct portal_value;

/* The caller's organisation's categories of the running plugin, in their
 * order: a list of strings. Each worker keeps them until the organisation's
 * content changes (the generation its session query reads), so a page that
 * shows them usually costs no query. 0 or an HTTP status. */
int portal_categories(struct portal_req *req, struct portal_value **names);

/* Whether name is one of them (compared as the database compares: case and
 * accents aside). 0 or an HTTP status. */
int portal_category_known(struct portal_req *req, const char *name, bool *known);

/* A category as the reader's language names it: a default through the
 * running plugin's catalog ("<plugin>.category.<name>"), an organisation's
 * own as it is. */
const char *portal_category_text(struct portal_req *req, const char *name);

#ifdef __cplusplus
}
#endif

#endif
