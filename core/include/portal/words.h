/* Words for search: how a text is cut into words, how words are folded, and
 * which keys of a search index (portal/search.h) they become, so that what is
 * stored and what is searched compare alike. Pure: no database.
 *
 * A word is a run of letters and digits of any script; everything else
 * (spaces, punctuation, symbols) separates words: "Robert-Koch-Straße 1" has
 * the words robert, koch, strasse and 1. Words are folded to lower case, and
 * Latin letters lose their accents the way the database's collation
 * utf8mb4_unicode_ci compares them (ä is a, ß is ss, Æ is ae), so that the
 * index holds one key where the collation sees one; the collation still
 * compares what is not folded here (other scripts' cases). Combining marks,
 * soft hyphens and zero-width characters are dropped inside a word. A word
 * keeps its first PORTAL_WORDS_CHARS_MAX characters.
 *
 * A search finds the prefix of any word: several terms mean all of them, each
 * the prefix of some word. The index therefore holds, per object, each of its
 * words twice: under its first character, and (from three characters on)
 * under its first three. A term is read from the rows of its own first
 * character or first three, whichever is longer, as the words there that
 * start with it. */
#ifndef PORTAL_WORDS_H
#define PORTAL_WORDS_H

#include <stddef.h>

#include "arena.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_WORDS_CHARS_MAX 32 /* characters of a word that count */
#define PORTAL_WORDS_STEM_CHARS 3 /* the longer prefix that keys words of this length and more */

/* A list of distinct words; start with {0}. */
struct portal_words {
	const char **items;
	size_t count, cap;
};

/* Appends the words of text (UTF-8; invalid bytes separate) that w does not
 * hold yet. Returns 0, or 500 when the arena is exhausted. */
int portal_words_add(struct portal_arena *a, struct portal_words *w, const char *text);

/* One key of the index: a word's first character or first PORTAL_WORDS_STEM_CHARS,
 * and the whole word. */
struct portal_word_key {
	const char *prefix, *word;
};

struct portal_word_keys {
	struct portal_word_key *items;
	size_t count, cap;
};

/* Appends the distinct keys of the words in w to keys. 0, or 500 when the
 * arena is exhausted. */
int portal_words_keys(struct portal_arena *a, const struct portal_words *w,
                      struct portal_word_keys *keys);

/* One term of a search as the index is asked: the key's prefix, and a LIKE
 * pattern for its word, "term%" (a word never holds LIKE's wildcards or its
 * escape). */
struct portal_word_term {
	const char *prefix, *pattern;
};

/* The terms of the search q: its words, without those that another term
 * starts with (a word that starts with "koln" starts with "ko" too), in the
 * order of q. *count is 0 when q has no words. At most max terms are kept; 1 in
 * *over says q had more. Returns 0, or 500 when the arena is exhausted. */
int portal_words_terms(struct portal_arena *a, const char *q, size_t max,
                       struct portal_word_term **terms, size_t *count, int *over);

/* Key bits: a 64-bit Bloom filter of an object's keys of PORTAL_WORDS_STEM_CHARS
 * characters (two bits per key, by a hash of its bytes), kept in each of its
 * index rows (portal/search.h, .key_bits), so that a search that reads the
 * rows of one term skips, without a look-up, an object that lacks another
 * term's key. A bit says "may hold", never "holds": the term is still looked
 * up where the bits pass. Only keys in ASCII hash reliably (the collation
 * compares the rest, e.g. other scripts' cases, which are not folded here):
 * a word whose key is not ASCII sets every bit. */

/* The bits of the keys of the words in w. */
unsigned long long portal_words_key_bits(const struct portal_words *w);

/* The bits that an object holding a word that starts with term t has all of;
 * 0 when they tell nothing (a term shorter than PORTAL_WORDS_STEM_CHARS, or
 * a key that is not ASCII). */
unsigned long long portal_word_term_bits(const struct portal_word_term *t);

#ifdef __cplusplus
}
#endif

#endif
