/* A worker's cache of the rows of managers' lists. The manager's property
 * list is the organisation's, alike for all its managers, opened again and
 * again, and it changes rarely: its rows are kept with the organisation's
 * content generation as the session's query read it for this request. A
 * committed change bumps the generation in its own transaction (sql/027), so
 * the next request on any worker of any host misses; an entry kept from rows
 * newer than its generation is never worse than the database. Small and
 * bounded: a few entries of limited size, each one block of the bytes it
 * needs (pv_pack), the least recently used replaced. */
#include "features/list_cache.h"

#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "lib/value.h"

#define ENTRIES 8
#define MAX_ENTRY_BYTES (128 * 1024) /* a page of 50 properties: ~50 KiB */
#define MAX_KEY_BYTES 1024

struct entry {
	long long org_id, generation, used;
	char key[MAX_KEY_BYTES]; /* the statement and its arguments (see key_of) */
	size_t key_len;
	struct portal_value *rows; /* one block (pv_pack); NULL: a free entry */
};

static struct entry entries[ENTRIES];
static long long clock_ticks; /* a counter, for least recently used */

/* The statement's text, then each argument as its type and bytes, into key;
 * 0 when it does not fit (not cached). */
static size_t key_of(const char *sql, const struct portal_db_arg *args, size_t nargs, char *key)
{
	size_t n = strlen(sql) + 1;
	if (n > MAX_KEY_BYTES)
		return 0;
	memcpy(key, sql, n);
	for (size_t i = 0; i < nargs; i++) {
		const struct portal_db_arg *x = &args[i];
		size_t len = x->type != PDB_STR ? 0 : x->len == (size_t)-1 ? strlen(x->s) : x->len;
		if (n + 1 + sizeof x->i + sizeof x->d + sizeof len + len > MAX_KEY_BYTES)
			return 0;
		key[n++] = (char)x->type;
		memcpy(key + n, &x->i, sizeof x->i);
		n += sizeof x->i;
		memcpy(key + n, &x->d, sizeof x->d);
		n += sizeof x->d;
		memcpy(key + n, &len, sizeof len);
		n += sizeof len;
		if (len)
			memcpy(key + n, x->s, len);
		n += len;
	}
	return n;
}

static void put(long long org_id, long long generation, const char *key, size_t key_len,
                const struct portal_value *rows)
{
	size_t size;
	struct portal_value *copy = pv_pack(rows, MAX_ENTRY_BYTES, &size);
	if (!copy) /* too large for an entry: not kept */
		return;
	struct entry *e = &entries[0];
	for (size_t i = 0; i < ENTRIES; i++)
		if (!entries[i].rows || entries[i].used < e->used)
			e = &entries[i];
	free(e->rows);
	*e = (struct entry){.org_id = org_id,
	                    .generation = generation,
	                    .used = ++clock_ticks,
	                    .key_len = key_len,
	                    .rows = copy};
	memcpy(e->key, key, key_len);
}

int list_cache_query(struct portal_req *req, const char *sql, const struct portal_db_arg *args,
                     size_t nargs, struct portal_value **rows)
{
	long long org_id = req->caller.org_id;
	long long generation = request_of(req)->signed_in.content_generation;
	char key[MAX_KEY_BYTES];
	size_t key_len = portal_is_manager(req) ? key_of(sql, args, nargs, key) : 0;
	for (size_t i = 0; key_len && i < ENTRIES; i++) {
		struct entry *e = &entries[i];
		if (e->rows && e->org_id == org_id && e->generation == generation &&
		    e->key_len == key_len && memcmp(e->key, key, key_len) == 0) {
			e->used = ++clock_ticks;
			*rows = pv_copy(req->arena, e->rows);
			return *rows ? 0 : 500;
		}
	}
	int status = portal_db_query(req, sql, args, nargs, rows);
	if (!status && key_len)
		put(org_id, generation, key, key_len, *rows);
	return status;
}

void list_cache_free(void)
{
	for (size_t i = 0; i < ENTRIES; i++) {
		free(entries[i].rows);
		entries[i] = (struct entry){0};
	}
}
