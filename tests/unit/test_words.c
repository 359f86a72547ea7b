/* Words for search (core/lib/words.c): cutting, folding, the index keys and a
 * search's terms. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "lib/arena.h"
#include "portal/words.h"

static struct portal_arena *arena;

/* The words of text joined by "|". */
static const char *split(const char *text)
{
	struct portal_words w = {0};
	static char out[1024];
	out[0] = '\0';
	if (portal_words_add(arena, &w, text))
		return "(out of memory)";
	for (size_t i = 0; i < w.count; i++) {
		strcat(out, i ? "|" : "");
		strcat(out, w.items[i]);
	}
	return out;
}

/* The keys of text as "prefix=word" joined by "|". */
static const char *keys(const char *text)
{
	struct portal_words w = {0};
	struct portal_word_keys k = {0};
	static char out[2048];
	out[0] = '\0';
	if (portal_words_add(arena, &w, text) || portal_words_keys(arena, &w, &k))
		return "(out of memory)";
	for (size_t i = 0; i < k.count; i++) {
		strcat(out, i ? "|" : "");
		strcat(out, k.items[i].prefix);
		strcat(out, "=");
		strcat(out, k.items[i].word);
	}
	return out;
}

/* The terms of q as "prefix~pattern" joined by "|", "+" at the end when q
 * had more than max. */
static const char *terms(const char *q, size_t max)
{
	struct portal_word_term *t = NULL;
	size_t n;
	int over;
	static char out[1024];
	out[0] = '\0';
	if (portal_words_terms(arena, q, max, &t, &n, &over))
		return "(out of memory)";
	for (size_t i = 0; i < n; i++) {
		strcat(out, i ? "|" : "");
		strcat(out, t[i].prefix);
		strcat(out, "~");
		strcat(out, t[i].pattern);
	}
	if (over)
		strcat(out, "+");
	return out;
}

static void test_cutting(void)
{
	CHECK_STR(split("Robert-Koch-Straße 1"), "robert|koch|strasse|1");
	CHECK_STR(split("  Am Stadtpark 12a, 01067 Dresden "), "am|stadtpark|12a|01067|dresden");
	CHECK_STR(split("REF-002"), "ref|002");
	CHECK_STR(split("L-00042"), "l|00042");
	CHECK_STR(split("Nebenkosten 3,50 €/m²"), "nebenkosten|3|50|m");
	CHECK_STR(split("Eingang „Hinterhof“; 2. Tür"), "eingang|hinterhof|2|tur");
	CHECK_STR(split("O'Brien & Söhne"), "o|brien|sohne");
	CHECK_STR(split("snake_case"), "snake|case");
	CHECK_STR(split("Haus\xC2\xA0"
	                "am\xE2\x80\x83See"),
	          "haus|am|see"); /* no-break, em space */
	CHECK_STR(split("Haus haus HAUS Häus"), "haus");
	CHECK_STR(split(""), "");
	CHECK_STR(split("% _ \\ -- …"), "");
	CHECK_STR(split(NULL), "");
}

static void test_folding(void)
{
	CHECK_STR(split("MÜNCHEN"), "munchen");
	CHECK_STR(split("Köln Düsseldorf Gießen"), "koln|dusseldorf|giessen");
	CHECK_STR(split("GROẞE"), "grosse");
	CHECK_STR(split("Ærøskøbing Œuvre Þór"), "aeroskobing|oeuvre|thor");
	CHECK_STR(split("Łódź Škoda Ĳssel ſ"), "lodz|skoda|ijssel|s");
	CHECK_STR(split("Ko\xCC\x88ln"), "koln"); /* o + combining diaeresis */
	CHECK_STR(split("Wohn\xC2\xAD"
	                "anlage"),
	          "wohnanlage"); /* soft hyphen */
	CHECK_STR(split("Zero\xE2\x80\x8Bwidth"), "zerowidth");
	CHECK_STR(split("Москва Αθήνα"), "Москва|Αθήνα"); /* other scripts: the collation folds */
	CHECK_STR(split("ab\xFF"
	                "cd\xC3"),
	          "ab|cd"); /* invalid bytes separate */
	CHECK_STR(split("Haus 🏠 Garten"), "haus|garten");
}

static void test_length(void)
{
	char text[256], want[256];
	memset(text, 'a', 40);
	text[40] = '\0';
	memset(want, 'a', PORTAL_WORDS_CHARS_MAX);
	want[PORTAL_WORDS_CHARS_MAX] = '\0';
	CHECK_STR(split(text), want);
	/* "ß" is two letters of a word; the 32nd is its first s */
	memset(text, 'a', 31);
	strcpy(text + 31, "ßb");
	memcpy(want + 31, "s", 2);
	CHECK_STR(split(text), want);
	/* other scripts count characters, not bytes */
	text[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(text, "ж");
	want[0] = '\0';
	for (int i = 0; i < PORTAL_WORDS_CHARS_MAX; i++)
		strcat(want, "ж");
	CHECK_STR(split(text), want);
}

static void test_keys(void)
{
	CHECK_STR(keys("Köln 9 am"), "k=koln|kol=koln|9=9|a=am");
	CHECK_STR(keys("Köln Kölner Koch koch"),
	          "k=koln|kol=koln|k=kolner|kol=kolner|k=koch|koc=koch");
	CHECK_STR(keys("Straße"), "s=strasse|str=strasse");
	CHECK_STR(keys("Москва"), "М=Москва|Мос=Москва");
	CHECK_STR(keys("---"), "");
}

static void test_terms(void)
{
	CHECK_STR(terms("Köln 9", 8), "kol~koln%|9~9%");
	CHECK_STR(terms("ko KÖLN", 8), "kol~koln%");
	CHECK_STR(terms("köln köln Köln", 8), "kol~koln%");
	CHECK_STR(terms("Straße", 8), "str~strasse%");
	CHECK_STR(terms("strasse", 8), "str~strasse%");
	CHECK_STR(terms("mü", 8), "m~mu%");
	CHECK_STR(terms("REF-002", 8), "ref~ref%|002~002%");
	CHECK_STR(terms("Мо", 8), "М~Мо%");
	CHECK_STR(terms("%", 8), "");
	CHECK_STR(terms("", 8), "");
	CHECK_STR(terms("a b c", 2), "a~a%|b~b%+");
	CHECK_STR(terms("a ab abc", 2), "abc~abc%");
}

/* The bits of the words of text. */
static unsigned long long text_bits(const char *text)
{
	struct portal_words w = {0};
	return portal_words_add(arena, &w, text) ? 0 : portal_words_key_bits(&w);
}

/* The bits of q's only term. */
static unsigned long long term_bits(const char *q)
{
	struct portal_word_term *t = NULL;
	size_t n;
	int over;
	return portal_words_terms(arena, q, 8, &t, &n, &over) || n != 1 ? ~0ull
	                                                                : portal_word_term_bits(t);
}

static bool passes(const char *text, const char *q)
{
	return (text_bits(text) & term_bits(q)) == term_bits(q);
}

static void test_key_bits(void)
{
	const char *text = "Heizung ausgefallen, Frau Schmidt";
	CHECK(__builtin_popcountll(term_bits("Heizung")) >= 1);
	CHECK(__builtin_popcountll(term_bits("Heizung")) <= 2);
	/* a term passes every object that holds a word it starts */
	CHECK(passes(text, "heiz"));
	CHECK(passes(text, "HEIZUNG"));
	CHECK(passes(text, "Schmidt"));
	CHECK(passes(text, "schm"));
	CHECK(passes(text, "Ausgefallen"));
	CHECK(passes("Straße Köln", "strasse"));
	CHECK(passes("Straße Köln", "kö"));
	CHECK(term_bits("Heizung") == term_bits("hei"));
	/* and rarely one that does not hold its key (these do not collide) */
	CHECK(!passes(text, "wasser"));
	CHECK(!passes(text, "aufzug"));
	/* short terms and keys outside ASCII tell nothing */
	CHECK(term_bits("he") == 0);
	CHECK(term_bits("Мос") == 0);
	CHECK(text_bits("Москва") == ~0ull);
	CHECK(passes("Москва", "мос"));
	CHECK(text_bits("am 9 in") == 0);
	CHECK(text_bits("") == 0);
}

int main(void)
{
	arena = arena_new(1 << 20);
	test_cutting();
	test_folding();
	test_length();
	test_keys();
	test_terms();
	test_key_bits();
	arena_free(arena);
	HARNESS_END();
}
