#include "portal/words.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* ---- Characters ---- */

enum char_class { CHAR_WORD, CHAR_SEPARATOR, CHAR_DROPPED };

struct char_range {
	uint32_t lo, hi;
	enum char_class class;
};

/* What is not a letter or digit outside ASCII, or not even a character of the
 * word it stands in. Everything not listed is a letter (any script). */
static const struct char_range char_ranges[] = {
    {0x0080, 0x00AC, CHAR_SEPARATOR}, /* controls, no-break space, ¡ ¢ § « ¬ */
    {0x00AD, 0x00AD, CHAR_DROPPED},   /* soft hyphen: "Wohn­anlage" is one word */
    {0x00AE, 0x00BF, CHAR_SEPARATOR}, /* ® ° ± ² ³ ´ µ ¶ · ¹ » ¼ ½ ¾ ¿ */
    {0x00D7, 0x00D7, CHAR_SEPARATOR}, /* × */
    {0x00F7, 0x00F7, CHAR_SEPARATOR}, /* ÷ */
    {0x0300, 0x036F, CHAR_DROPPED},   /* combining marks: o + U+0308 is ö, folded o */
    {0x2000, 0x200A, CHAR_SEPARATOR}, /* spaces */
    {0x200B, 0x200F, CHAR_DROPPED},   /* zero-width characters, direction marks */
    {0x2010, 0x205F, CHAR_SEPARATOR}, /* dashes, quotes „“, ellipsis, … */
    {0x2060, 0x206F, CHAR_DROPPED},   /* word joiner and other invisibles */
    {0x20A0, 0x20CF, CHAR_SEPARATOR}, /* currency: € */
    {0x2100, 0x2BFF, CHAR_SEPARATOR}, /* № ™ ½ arrows, mathematics, shapes, symbols */
    {0x2E00, 0x2E7F, CHAR_SEPARATOR}, /* more punctuation */
    {0x3000, 0x303F, CHAR_SEPARATOR}, /* CJK spaces and punctuation */
    {0xFE00, 0xFE0F, CHAR_DROPPED},   /* variation selectors */
    {0xFE10, 0xFE6F, CHAR_SEPARATOR}, /* vertical and small forms of punctuation */
    {0xFEFF, 0xFEFF, CHAR_DROPPED},   /* byte order mark */
    {0xFF00, 0xFF0F, CHAR_SEPARATOR}, /* full-width punctuation */
    {0xFF1A, 0xFF20, CHAR_SEPARATOR},
    {0xFF3B, 0xFF40, CHAR_SEPARATOR},
    {0xFF5B, 0xFF65, CHAR_SEPARATOR},
    {0xFFF0, 0xFFFF, CHAR_SEPARATOR},   /* specials: U+FFFD stands for invalid bytes */
    {0x1F000, 0x1FAFF, CHAR_SEPARATOR}, /* emoji and pictographs */
    {0xE0000, 0xE007F, CHAR_DROPPED},   /* tags */
};

static enum char_class classify(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
		           ? CHAR_WORD
		           : CHAR_SEPARATOR;
	for (size_t i = 0; i < sizeof char_ranges / sizeof *char_ranges; i++)
		if (cp >= char_ranges[i].lo && cp <= char_ranges[i].hi)
			return char_ranges[i].class;
	return CHAR_WORD;
}

/* Latin-1's letters U+00C0..U+00FF as the collation compares them (× and ÷
 * are separators, never asked). */
static const char *const latin1_folds[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",
};

/* Latin Extended-A, U+0100..U+017F, in runs of letters that fold alike. */
static const struct {
	unsigned char count;
	char fold[3];
} latin_a_folds[] = {
    {6, "a"}, {8, "c"},  {4, "d"},  {10, "e"}, {8, "g"}, {4, "h"},  {10, "i"}, {2, "ij"},
    {2, "j"}, {3, "k"},  {10, "l"}, {9, "n"},  {6, "o"}, {2, "oe"}, {6, "r"},  {8, "s"},
    {6, "t"}, {12, "u"}, {2, "w"},  {3, "y"},  {6, "z"}, {1, "s"},
};

/* The folded form of a letter: lower case without accents for Latin, the
 * letter itself (its UTF-8 bytes) else. Returns the bytes written to out. */
static size_t fold(uint32_t cp, const char *raw, size_t rawlen, char out[4])
{
	const char *f = NULL;
	if (cp < 0x80) {
		out[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
		return 1;
	}
	if (cp >= 0xC0 && cp <= 0xFF) {
		f = latin1_folds[cp - 0xC0];
	} else if (cp >= 0x100 && cp <= 0x17F) {
		uint32_t at = 0x100;
		for (size_t i = 0; !f && i < sizeof latin_a_folds / sizeof *latin_a_folds; i++) {
			at += latin_a_folds[i].count;
			if (cp < at)
				f = latin_a_folds[i].fold;
		}
	} else if (cp == 0x1E9E) { /* capital sharp s */
		f = "ss";
	}
	if (f) {
		size_t n = strlen(f);
		memcpy(out, f, n);
		return n;
	}
	memcpy(out, raw, rawlen);
	return rawlen;
}

/* Decodes the character at s (len bytes left, at least 1): its code point and
 * length. A byte that starts no valid sequence is U+FFFD of length 1, which
 * is a separator below. */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n = s[0] < 0x80                    ? 1
	           : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
	           : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
	           : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
	                                          : 0;
	if (n == 1) {
		*cp = s[0];
		return 1;
	}
	uint32_t v = n ? s[0] & (0x7F >> n) : 0;
	for (size_t i = 1; n && i < n; i++) {
		if (i >= len || (s[i] & 0xC0) != 0x80)
			n = 0;
		else
			v = (v << 6) | (s[i] & 0x3F);
	}
	static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (!n || v < least[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = 0xFFFD;
		return 1;
	}
	*cp = v;
	return n;
}

/* ---- Words ---- */

static bool holds(const char *const *items, size_t count, const char *s)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(items[i], s) == 0)
			return true;
	return false;
}

static int push_word(struct portal_arena *a, struct portal_words *w, const char *word, size_t len)
{
	char *copy = portal_strndup(a, word, len);
	if (!copy)
		return 500;
	if (holds(w->items, w->count, copy))
		return 0;
	if (w->count == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		const char **items = portal_alloc(a, cap * sizeof *items);
		if (!items)
			return 500;
		if (w->count)
			memcpy(items, w->items, w->count * sizeof *items);
		w->items = items;
		w->cap = cap;
	}
	w->items[w->count++] = copy;
	return 0;
}

int portal_words_add(struct portal_arena *a, struct portal_words *w, const char *text)
{
	/* A word of PORTAL_WORDS_CHARS_MAX characters, each folded to at most 4 bytes. */
	char word[PORTAL_WORDS_CHARS_MAX * 4 + 1];
	size_t len = 0, chars = 0;
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t left = strlen((const char *)s);
	while (left) {
		uint32_t cp;
		size_t n = decode(s, left, &cp);
		enum char_class class = classify(cp);
		if (class == CHAR_WORD && chars < PORTAL_WORDS_CHARS_MAX) {
			char folded[4];
			size_t m = fold(cp, (const char *)s, n, folded);
			if ((unsigned char)folded[0] <
			    0x80) { /* letters of their own: "ß" is two */
				for (size_t i = 0; i < m && chars < PORTAL_WORDS_CHARS_MAX;
				     i++, chars++)
					word[len++] = folded[i];
			} else {
				memcpy(word + len, folded, m);
				len += m;
				chars++;
			}
		} else if (class == CHAR_SEPARATOR && len) {
			if (push_word(a, w, word, len))
				return 500;
			len = chars = 0;
		}
		s += n;
		left -= n;
	}
	return len ? push_word(a, w, word, len) : 0;
}

/* The bytes of the first count characters of word, 0 when it has fewer. */
static size_t prefix_bytes(const char *word, size_t count)
{
	size_t i = 0;
	for (size_t c = 0; c < count; c++) {
		if (!word[i])
			return 0;
		do
			i++;
		while ((word[i] & 0xC0) == 0x80);
	}
	return i;
}

static int push_key(struct portal_arena *a, struct portal_word_keys *k, const char *word,
                    size_t prefix_len)
{
	if (k->count == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 32;
		struct portal_word_key *items = portal_alloc(a, cap * sizeof *items);
		if (!items)
			return 500;
		if (k->count)
			memcpy(items, k->items, k->count * sizeof *items);
		k->items = items;
		k->cap = cap;
	}
	const char *prefix = portal_strndup(a, word, prefix_len);
	if (!prefix)
		return 500;
	k->items[k->count++] = (struct portal_word_key){prefix, word};
	return 0;
}

/* The words are distinct, and so are their keys. */
int portal_words_keys(struct portal_arena *a, const struct portal_words *w,
                      struct portal_word_keys *keys)
{
	for (size_t i = 0; i < w->count; i++) {
		const char *word = w->items[i];
		size_t stem = prefix_bytes(word, PORTAL_WORDS_STEM_CHARS);
		if (push_key(a, keys, word, prefix_bytes(word, 1)) ||
		    (stem && push_key(a, keys, word, stem)))
			return 500;
	}
	return 0;
}

/* The two bits of a key of PORTAL_WORDS_STEM_CHARS characters (FNV-1a of its
 * bytes); every bit for one that is not ASCII. */
static unsigned long long key_bits(const char *key, size_t len)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)key[i] >= 0x80)
			return ~0ull;
		h = (h ^ (unsigned char)key[i]) * 1099511628211u;
	}
	return (1ull << (h & 63)) | (1ull << ((h >> 6) & 63));
}

unsigned long long portal_words_key_bits(const struct portal_words *w)
{
	unsigned long long bits = 0;
	for (size_t i = 0; i < w->count; i++) {
		size_t stem = prefix_bytes(w->items[i], PORTAL_WORDS_STEM_CHARS);
		if (stem)
			bits |= key_bits(w->items[i], stem);
	}
	return bits;
}

unsigned long long portal_word_term_bits(const struct portal_word_term *t)
{
	size_t len = strlen(t->prefix);
	if (prefix_bytes(t->prefix, PORTAL_WORDS_STEM_CHARS) != len || !len)
		return 0;
	unsigned long long bits = key_bits(t->prefix, len);
	return bits == ~0ull ? 0 : bits;
}

/* Whether another word of w starts with word: then word adds nothing. */
static bool implied(const struct portal_words *w, const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i < w->count; i++)
		if (w->items[i] != word && strncmp(w->items[i], word, n) == 0)
			return true;
	return false;
}

int portal_words_terms(struct portal_arena *a, const char *q, size_t max,
                       struct portal_word_term **terms, size_t *count, int *over)
{
	struct portal_words w = {0};
	*count = 0;
	*over = 0;
	if (portal_words_add(a, &w, q) ||
	    (w.count && !(*terms = portal_alloc(a, w.count * sizeof **terms))))
		return 500;
	for (size_t i = 0; i < w.count; i++) {
		const char *word = w.items[i];
		if (implied(&w, word))
			continue;
		if (*count == max) {
			*over = 1;
			break;
		}
		size_t stem = prefix_bytes(word, PORTAL_WORDS_STEM_CHARS);
		struct portal_word_term *t = &(*terms)[(*count)++];
		t->prefix = portal_strndup(a, word, stem ? stem : prefix_bytes(word, 1));
		t->pattern = portal_sprintf(a, "%s%%", word);
		if (!t->prefix || !t->pattern)
			return 500;
	}
	return 0;
}
