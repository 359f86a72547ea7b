/* A worker's cache of shared home sections (home_cache.c). */
#ifndef CORE_FEATURES_HOME_CACHE_H
#define CORE_FEATURES_HOME_CACHE_H

#include <stdbool.h>
#include <stddef.h>

/* What a shared section's rendering depends on. */
struct home_key {
	size_t plugin, section; /* indexes in the plugin set and its home table */
	long long org_id, generation;
	const char *locale;
	const long long *ids; /* the properties shown, in order */
	size_t count;
};

/* A hit: *html (owned by the cache, valid until the next put) and *len, or
 * *shown false when the section was left out. */
bool home_cache_get(const struct home_key *key, const char **html, size_t *len, bool *shown);

/* Keeps a rendering (copied); too large or too many properties: not kept. */
void home_cache_put(const struct home_key *key, const char *html, size_t len, bool shown);

void home_cache_free(void);

#endif
