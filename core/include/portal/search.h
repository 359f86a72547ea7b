/* Search indexes: the words (portal/words.h) of a plugin's rows kept in a
 * table beside them and written in the same transaction as the rows, so that
 * a search (`q`: every word of it the prefix of some word of the row, case
 * and accents aside) reads keys instead of the organisation's rows. Core's
 * property search is one (sql/019); a plugin declares its own in its struct
 * (.search), calls portal_search_add after creating an object and
 * portal_search_refresh after each write that changes the indexed texts.
 * README.md beside this header shows a whole one. */
#ifndef PORTAL_SEARCH_H
#define PORTAL_SEARCH_H

#include <stddef.h>

#include "words.h"

#ifdef __cplusplus
extern "C" {
#endif

struct portal_req;

/* An index and its table, which has the columns (org_id, prefix, [sort,]
 * <id>, word[, <person>]) with the primary key in that order (up to word),
 * a key on <id> and a foreign key that removes the rows with their object.
 * prefix is VARCHAR(3), word VARCHAR(PORTAL_WORDS_CHARS_MAX), both in the
 * collation utf8mb4_unicode_ci. Terminate a plugin's list by name NULL. */
struct portal_search_index {
	/* Unique among core's and the plugins' (search_rebuilds names it). */
	const char *name;
	const char *table;   /* e.g. "ticket_words" */
	const char *id;      /* the column naming the object, e.g. "ticket_id" */
	const char *objects; /* the objects' table, whose id the rows name */
	/* A column that repeats the list's order (a property's name) so that
	 * a term's rows come in it; NULL when the list's order is the id. */
	const char *sort;
	/* A column naming the person whose name some words are (a foreign key
	 * to users (id) ON DELETE CASCADE, NULL in the other rows), so that the
	 * name of a person who is erased leaves the index with them; NULL for
	 * none. */
	const char *person;
	/* The SELECT of the objects' texts: its one argument is a JSON array of
	 * ids (JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$'))), its
	 * columns id, org_id, sort (with .sort), person_id and person (with
	 * .person: the person's id and name), then each text to index (strings
	 * or numbers; NULL for none). Rows of objects that are gone are left out. */
	const char *texts;
	/* A column (VARCHAR(2000)) that holds in every row all the words of its
	 * object, each after a space, so that a search of several terms reads
	 * the rows of one and checks the others on each row it reads (LIKE
	 * '% term%'); NULL for none. */
	const char *words;
	/* A column (BIGINT UNSIGNED NOT NULL DEFAULT 18446744073709551615,
	 * every bit: rows written before it may hold any key) that holds in
	 * every row the bits of all the object's keys (portal_words_key_bits),
	 * so that a search of several terms reads the rows of one and skips
	 * without a look-up the objects that lack another's key
	 * (portal_word_term_bits); NULL for none. */
	const char *key_bits;
};

/* Terms a search takes at most: each further one is a look-up per row read.
 * portal_words_terms(..., PORTAL_SEARCH_TERMS_MAX, ...) says when q has more. */
#define PORTAL_SEARCH_TERMS_MAX 8

/* SQL of the text expression x with the letters that words.c folds into two
 * (ß, æ, þ, œ, ĳ in either case) written so, and soft hyphens dropped: with
 * LIKE, which folds case and accents as the collation does, a term's pattern
 * (portal_word_term.pattern) then finds its word in x when x holds it. */
#define PORTAL_SEARCH_FOLD(x)                                                                           \
	"REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE("              \
	"REPLACE(" x ", 'ß', 'ss'), 'ẞ', 'ss'), 'æ', 'ae'), 'Æ', 'ae'), 'þ', 'th'), 'Þ', 'th')," \
	" 'œ', 'oe'), 'Œ', 'oe'), 'ĳ', 'ij'), 'Ĳ', 'ij'), '\u00AD', '')"

/* Indexes the objects ids (count of them) as they are now, replacing their
 * rows, in the open transaction: after a write that changed what the index
 * holds (a changed title). 0 or an HTTP status. */
int portal_search_refresh(struct portal_req *req, const struct portal_search_index *ix,
                          const long long *ids, size_t count);

/* portal_search_refresh of objects just created, in their transaction. They
 * have no rows to replace, and removing none would lock the gap after the
 * index's last key, where objects created at the same time by others insert
 * theirs: MariaDB would refuse one of the writes as a deadlock. */
int portal_search_add(struct portal_req *req, const struct portal_search_index *ix,
                      const long long *ids, size_t count);

/* Puts the term with the fewest rows in the caller's organisation (the
 * database's estimate, kept by the process for a minute) first, for a search
 * to read its rows in order and look the others up per row: the page then
 * costs about the rows it shows. A term's rows are those of the key
 * (org_id, prefix) whose word is LIKE pattern. 0 or an HTTP status. */
int portal_search_order(struct portal_req *req, const struct portal_search_index *ix,
                        struct portal_word_term *terms, size_t count);

#ifdef __cplusplus
}
#endif

#endif
