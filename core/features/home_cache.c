/* A worker's cache of rendered home sections that every resident of the
 * same properties sees alike (PORTAL_HOME_SHARED). An entry names the
 * section, the properties, the language and the organisation's content
 * generation as the session's query read it for this request: a committed
 * change bumps the generation, so the next request on any worker misses.
 * An entry also ages out after a minute (what is "next" moves with the
 * clock). Small and bounded: a fixed number of entries, each of limited size,
 * the oldest replaced. */
#include "features/home_cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ENTRIES 64
#define MAX_IDS 32
#define MAX_HTML (16 * 1024)
#define TTL_SECONDS 60

struct entry {
	struct home_key key; /* ids and locale point into the entry's own copies */
	long long ids[MAX_IDS];
	char locale[8];
	char *html; /* NULL with shown false: the section was left out */
	size_t len;
	bool shown;
	long long born, used;
};

static struct entry entries[ENTRIES];
static long long clock_ticks; /* a counter, for least recently used */

static long long now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static bool cacheable(const struct home_key *k)
{
	return k->count <= MAX_IDS && strlen(k->locale) < sizeof entries[0].locale;
}

static bool same(const struct entry *e, const struct home_key *k)
{
	const struct home_key *o = &e->key;
	return o->plugin == k->plugin && o->section == k->section && o->org_id == k->org_id &&
	       o->generation == k->generation && o->count == k->count &&
	       strcmp(o->locale, k->locale) == 0 &&
	       memcmp(e->ids, k->ids, k->count * sizeof *k->ids) == 0;
}

bool home_cache_get(const struct home_key *k, const char **html, size_t *len, bool *shown)
{
	if (!cacheable(k))
		return false;
	long long now = now_seconds();
	for (size_t i = 0; i < ENTRIES; i++) {
		struct entry *e = &entries[i];
		if (e->born && same(e, k) && now - e->born < TTL_SECONDS) {
			e->used = ++clock_ticks;
			*html = e->html;
			*len = e->len;
			*shown = e->shown;
			return true;
		}
	}
	return false;
}

void home_cache_put(const struct home_key *k, const char *html, size_t len, bool shown)
{
	if (!cacheable(k) || len > MAX_HTML)
		return;
	struct entry *e = &entries[0];
	for (size_t i = 0; i < ENTRIES; i++)
		if (!entries[i].born || entries[i].used < e->used)
			e = &entries[i];
	char *copy = shown ? malloc(len + 1) : NULL;
	if (shown && !copy)
		return;
	if (copy) {
		memcpy(copy, html, len);
		copy[len] = '\0';
	}
	free(e->html);
	*e = (struct entry){.key = *k,
	                    .html = copy,
	                    .len = len,
	                    .shown = shown,
	                    .born = now_seconds(),
	                    .used = ++clock_ticks};
	memcpy(e->ids, k->ids, k->count * sizeof *k->ids);
	strcpy(e->locale, k->locale);
	e->key.ids = e->ids;
	e->key.locale = e->locale;
}

void home_cache_free(void)
{
	for (size_t i = 0; i < ENTRIES; i++) {
		free(entries[i].html);
		entries[i] = (struct entry){0};
	}
}
