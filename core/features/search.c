#include "features/search.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "http/request.h"
#include "portal/portal.h"

/* Objects per statement and per slice of a rebuild: a statement's JSON stays
 * far below max_allowed_packet, and a slice's transaction short. */
#define SEARCH_CHUNK 1000
/* A scratch arena per chunk: the words of a thousand objects, their keys and
 * the rows read back. */
#define SEARCH_SCRATCH_BYTES (16u << 20)
/* A run of the job search-index rebuilds this long at most, so that the
 * outbox's runs (one job at a time) wait no longer. */
#define SEARCH_JOB_BUDGET_MS 2000

/* One object to index: its texts (NULL-terminated), its sort key, and the
 * person whose name is person (person_id 0: none). */
#define SEARCH_TEXTS_MAX 8
/* The characters of an index's words column (sql/024): a property's texts
 * (684 characters) fold to at most twice as many (ß is ss), and each word
 * has a space before it. */
#define SEARCH_WORDS_CHARS_S "2000"
struct search_doc {
	long long org_id, id, person_id;
	const char *sort, *person;
	const char *texts[SEARCH_TEXTS_MAX + 1];
};

const struct portal_search_index search_properties = {
    .name = "properties",
    .table = "property_words",
    .id = "property_id",
    .objects = "properties",
    .sort = "name",
    .texts = "SELECT p.id, p.org_id, p.name AS sort, p.name, p.street, p.zip, p.city,"
             " p.reference_id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j"
             " JOIN properties p ON p.id = j.id",
    .words = "words",
};

static const struct portal_search_index *const core_indexes[] = {&search_properties, NULL};

int search_each_index(const struct plugin_set *set,
                      int (*fn)(const struct portal_search_index *ix, void *arg), void *arg)
{
	int status = 0;
	for (size_t i = 0; !status && core_indexes[i]; i++)
		status = fn(core_indexes[i], arg);
	/* items[0] is core, whose indexes are the ones above. */
	for (size_t i = 1; set && !status && i < set->count; i++) {
		const struct portal_search_index *ix = PLUGIN_MEMBER(set->items[i].def, search);
		for (; !status && ix && ix->name; ix++)
			status = fn(ix, arg);
	}
	return status;
}

/* ids as a JSON array into b. */
static int ids_json(struct buf *b, const long long *ids, size_t count)
{
	buf_reset(b);
	buf_puts(b, "[");
	for (size_t i = 0; i < count; i++)
		buf_printf(b, "%s%lld", i ? "," : "", ids[i]);
	buf_puts(b, "]");
	return b->failed ? 500 : 0;
}

/* The keys of w's words from the first'th on as [prefix, word, person] into
 * b, each after a comma but the very first of the doc (*any). */
static int keys_json(struct portal_arena *a, struct buf *b, const struct portal_words *w,
                     size_t first, long long person_id, bool *any)
{
	struct portal_words part = {.items = w->items + first, .count = w->count - first};
	struct portal_word_keys k = {0};
	if (portal_words_keys(a, &part, &k))
		return 500;
	for (size_t i = 0; i < k.count; i++, *any = true) {
		buf_puts(b, *any ? ",[" : "[");
		buf_json_string(b, k.items[i].prefix);
		buf_puts(b, ",");
		buf_json_string(b, k.items[i].word);
		if (person_id)
			buf_printf(b, ",%lld]", person_id);
		else
			buf_puts(b, ",null]");
	}
	return 0;
}

/* A doc as [org_id, id, sort, [[prefix, word, person_id], ...], " word ...",
 * "key bits"] (all its words, for an index with .words; the bits of all its
 * keys, for one with .key_bits, as a string: JSON's numbers are doubles);
 * nothing for a doc without words, which has no rows. A word of the person's
 * name that the texts hold too is the object's, not the person's. */
static int doc_json(struct portal_arena *a, struct buf *b, const struct search_doc *d)
{
	struct portal_words w = {0};
	for (size_t i = 0; i < SEARCH_TEXTS_MAX && d->texts[i]; i++)
		if (portal_words_add(a, &w, d->texts[i]))
			return 500;
	size_t own = w.count;
	if (d->person && portal_words_add(a, &w, d->person))
		return 500;
	if (!w.count)
		return 0;
	bool any = false;
	size_t all = w.count;
	buf_printf(b, "%s[%lld,%lld,", b->len > 1 ? "," : "", d->org_id, d->id);
	buf_json_string(b, d->sort ? d->sort : "");
	buf_puts(b, ",[");
	w.count = own;
	if (keys_json(a, b, &w, 0, 0, &any))
		return 500;
	w.count = all;
	if (keys_json(a, b, &w, own, d->person_id, &any))
		return 500;
	/* words are letters and digits: nothing in them to escape */
	buf_puts(b, "],\"");
	for (size_t i = 0; i < w.count; i++) {
		buf_puts(b, " ");
		buf_puts(b, w.items[i]);
	}
	buf_printf(b, "\",\"%llu\"]", portal_words_key_bits(&w));
	return b->failed ? 500 : 0;
}

/* Writes the index rows of docs (count of them), after removing those of ids
 * (n of them) when replace: the objects as they are now. New objects have no
 * rows to remove, and a removal that finds none locks the gap after the
 * index's last key, where two objects created at once then each wait for
 * the other to insert: MariaDB refuses one as a deadlock. */
static int put_chunk(struct db *db, struct portal_arena *a, const struct portal_search_index *ix,
                     const long long *ids, size_t n, bool replace, const struct search_doc *docs,
                     size_t count, struct buf *b)
{
	/* A join, not IN (subquery): MariaDB 10.11 reads every row for the
	 * latter in a single-table DELETE. */
	const char *sql = portal_sprintf(a,
	                                 "DELETE w FROM %s w JOIN JSON_TABLE(?, '$[*]'"
	                                 " COLUMNS (id BIGINT UNSIGNED PATH '$')) j"
	                                 " ON w.%s = j.id",
	                                 ix->table, ix->id);
	int status = !sql ? 500 : replace ? ids_json(b, ids, n) : 0;
	if (!status && replace)
		status = db_run(db, a, sql, PORTAL_DB_ARGS(PDB_S(b->data)), NULL, NULL, NULL);
	if (status)
		return status;
	buf_reset(b);
	buf_puts(b, "[");
	for (size_t i = 0; i < count && !status; i++)
		status = doc_json(a, b, &docs[i]);
	if (status || b->len == 1)
		return status;
	buf_puts(b, "]");
	/* A key the collation finds twice (cases it folds that words.c does not)
	 * is one row: the first, which is the texts' rather than the person's. */
	sql = portal_sprintf(
	    a,
	    "INSERT INTO %s (org_id, prefix, %s%s%s, word%s%s%s%s%s%s) SELECT j.org_id, j.prefix,"
	    " %s j.id, j.word%s%s%s FROM JSON_TABLE(?, '$[*]' COLUMNS ("
	    "org_id BIGINT UNSIGNED PATH '$[0]', id BIGINT UNSIGNED PATH '$[1]',"
	    " sort VARCHAR(200) PATH '$[2]', words VARCHAR(" SEARCH_WORDS_CHARS_S ") PATH '$[4]',"
	    " key_bits BIGINT UNSIGNED PATH '$[5]', NESTED PATH '$[3][*]' COLUMNS ("
	    "prefix VARCHAR(3) PATH '$[0]', word VARCHAR(32) PATH '$[1]',"
	    " person BIGINT UNSIGNED PATH '$[2]'))) j ON DUPLICATE KEY UPDATE word = VALUES(word)",
	    ix->table, ix->sort ? ix->sort : "", ix->sort ? ", " : "", ix->id,
	    ix->person ? ", " : "", ix->person ? ix->person : "", ix->words ? ", " : "",
	    ix->words ? ix->words : "", ix->key_bits ? ", " : "", ix->key_bits ? ix->key_bits : "",
	    ix->sort ? "j.sort," : "", ix->person ? ", j.person" : "", ix->words ? ", j.words" : "",
	    ix->key_bits ? ", j.key_bits" : "");
	if (!sql || b->failed)
		return 500;
	return db_run(db, a, sql, PORTAL_DB_ARGS(PDB_S(b->data)), NULL, NULL, NULL);
}

/* A column's value as a text to index: numbers too (a ticket's number). */
static const char *text_of(struct portal_arena *a, const struct portal_value *v)
{
	if (v && v->type == PV_INT)
		return portal_sprintf(a, "%lld", v->u.i);
	return pv_str(v);
}

/* A row of ix->texts as a doc. */
static void doc_of(struct portal_arena *a, const struct portal_value *row, struct search_doc *d)
{
	static const char *const named[] = {"id", "org_id", "sort", "person_id", "person", NULL};
	*d = (struct search_doc){
	    .org_id = pv_get_int(row, "org_id", 0),
	    .id = pv_get_int(row, "id", 0),
	    .person_id = pv_get_int(row, "person_id", 0),
	    .sort = pv_get_str(row, "sort"),
	    .person = pv_get_str(row, "person"),
	};
	size_t n = 0;
	pv_foreach(m, row) {
		size_t i = 0;
		while (named[i] && strcmp(named[i], m->key) != 0)
			i++;
		const char *text = named[i] ? NULL : text_of(a, m->value);
		if (text && n < SEARCH_TEXTS_MAX)
			d->texts[n++] = text;
	}
}

/* One chunk of search_refresh. */
static int refresh_chunk(struct db *db, struct portal_arena *a,
                         const struct portal_search_index *ix, const long long *ids, size_t count,
                         bool replace, struct buf *b)
{
	struct portal_value *rows;
	int status = ids_json(b, ids, count);
	if (!status)
		status =
		    db_run(db, a, ix->texts, PORTAL_DB_ARGS(PDB_S(b->data)), &rows, NULL, NULL);
	if (status)
		return status;
	struct search_doc *docs = portal_alloc(a, (pv_count(rows) + 1) * sizeof *docs);
	size_t n = 0;
	if (!docs)
		return 500;
	pv_foreach(m, rows)
		doc_of(a, m->value, &docs[n++]);
	return put_chunk(db, a, ix, ids, count, replace, docs, n, b);
}

static int index_objects(struct db *db, const struct portal_search_index *ix, const long long *ids,
                         size_t count, bool replace)
{
	struct buf b = {0};
	int status = 0;
	for (size_t at = 0; at < count && !status; at += SEARCH_CHUNK) {
		struct portal_arena *scratch = arena_new(SEARCH_SCRATCH_BYTES);
		size_t n = count - at < SEARCH_CHUNK ? count - at : SEARCH_CHUNK;
		status = scratch ? refresh_chunk(db, scratch, ix, ids + at, n, replace, &b) : 500;
		arena_free(scratch);
	}
	buf_free(&b);
	return status;
}

int search_refresh(struct db *db, const struct portal_search_index *ix, const long long *ids,
                   size_t count)
{
	return index_objects(db, ix, ids, count, true);
}

int search_add(struct db *db, const struct portal_search_index *ix, const long long *ids,
               size_t count)
{
	return index_objects(db, ix, ids, count, false);
}

int search_properties_refresh(struct db *db, const long long *ids, size_t count)
{
	return search_refresh(db, &search_properties, ids, count);
}

/* What EXPLAIN estimated of a term, kept by this process for a minute: the
 * estimates only choose which term is read in order, never what is found, so
 * one a little out of date costs at most some speed. A search repeated, paged
 * or refined by a further word then asks the database only about the terms it
 * has not seen lately, and one whose terms are all known costs no round trip
 * for its choice. */
#define ESTIMATES 128
#define ESTIMATE_SECONDS 60
struct estimate {
	const struct portal_search_index *ix;
	long long org_id, rows;
	time_t at;
	char prefix[16], pattern[136];
};
static struct estimate estimates[ESTIMATES];
static size_t estimates_next;

static struct estimate *estimate_of(const struct portal_search_index *ix, long long org_id,
                                    const struct portal_word_term *t, time_t now)
{
	for (size_t i = 0; i < ESTIMATES; i++) {
		struct estimate *e = &estimates[i];
		if (e->ix == ix && e->org_id == org_id && now - e->at < ESTIMATE_SECONDS &&
		    strcmp(e->prefix, t->prefix) == 0 && strcmp(e->pattern, t->pattern) == 0)
			return e;
	}
	return NULL;
}

static void estimate_keep(const struct portal_search_index *ix, long long org_id,
                          const struct portal_word_term *t, long long rows, time_t now)
{
	if (strlen(t->prefix) >= sizeof estimates->prefix ||
	    strlen(t->pattern) >= sizeof estimates->pattern)
		return;
	struct estimate *e = &estimates[estimates_next];
	estimates_next = (estimates_next + 1) % ESTIMATES;
	*e = (struct estimate){.ix = ix, .org_id = org_id, .rows = rows, .at = now};
	strcpy(e->prefix, t->prefix);
	strcpy(e->pattern, t->pattern);
}

/* A number of EXPLAIN's answer, which MariaDB sends as text; 0 for none. */
static long long explained(const struct portal_value *row, const char *column)
{
	const struct portal_value *v = pv_get(row, column);
	const char *text = pv_str(v);
	return text ? strtoll(text, NULL, 10) : pv_get_int(row, column, 0);
}

/* The estimates of the terms (count of them, indexes in which) into rows. */
static int explain_terms(struct db *db, struct portal_arena *a,
                         const struct portal_search_index *ix, long long org_id,
                         const struct portal_word_term *terms, const size_t *which, size_t count,
                         long long *rows)
{
	/* EXPLAIN asks the optimizer, which counts the rows of each key range in
	 * the index's pages (records_in_range) without reading them. */
	struct buf sql = {0};
	struct portal_db_arg *args = portal_alloc(a, 3 * count * sizeof *args);
	if (!args)
		return 500;
	buf_puts(&sql, "EXPLAIN ");
	for (size_t i = 0; i < count; i++) {
		buf_printf(&sql,
		           "%sSELECT 1 FROM %s WHERE org_id = ? AND prefix = ? AND word LIKE ?",
		           i ? " UNION ALL " : "", ix->table);
		args[3 * i] = PDB_I(org_id);
		args[3 * i + 1] = PDB_S(terms[which[i]].prefix);
		args[3 * i + 2] = PDB_S(terms[which[i]].pattern);
	}
	struct portal_value *answer;
	int status =
	    sql.failed ? 500 : db_run(db, a, sql.data, args, 3 * count, &answer, NULL, NULL);
	buf_free(&sql);
	if (status)
		return status;
	pv_foreach(m, answer) {
		long long id = explained(m->value, "id");
		if (id >= 1 && (size_t)id <= count)
			rows[id - 1] = explained(m->value, "rows");
	}
	return 0;
}

int search_driver(struct db *db, struct portal_arena *a, const struct portal_search_index *ix,
                  long long org_id, const struct portal_word_term *terms, size_t count,
                  size_t *driver)
{
	long long *rows = portal_alloc(a, count * sizeof *rows),
	          *asked = portal_alloc(a, count * sizeof *asked);
	size_t *unknown = portal_alloc(a, count * sizeof *unknown), missing = 0;
	if (!rows || !asked || !unknown)
		return 500;
	time_t now = time(NULL);
	for (size_t i = 0; i < count; i++) {
		const struct estimate *e = estimate_of(ix, org_id, &terms[i], now);
		rows[i] = e ? e->rows : -1;
		if (!e)
			unknown[missing++] = i;
	}
	if (missing) {
		for (size_t i = 0; i < missing; i++)
			asked[i] = LLONG_MAX; /* no answer: read last */
		int status = explain_terms(db, a, ix, org_id, terms, unknown, missing, asked);
		if (status)
			return status;
		for (size_t i = 0; i < missing; i++) {
			rows[unknown[i]] = asked[i];
			estimate_keep(ix, org_id, &terms[unknown[i]], asked[i], now);
		}
	}
	*driver = 0;
	for (size_t i = 1; i < count; i++)
		if (rows[i] < rows[*driver])
			*driver = i;
	return 0;
}

int search_rebuild_request(struct db *db, struct portal_arena *a,
                           const struct portal_search_index *ix)
{
	return db_run(db, a,
	              "INSERT INTO search_rebuilds (search, after_id) VALUES (?, 0)"
	              " ON DUPLICATE KEY UPDATE after_id = 0",
	              PORTAL_DB_ARGS(PDB_S(ix->name)), NULL, NULL, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct named {
	const char *name;
	const struct portal_search_index *found;
};

static int is_named(const struct portal_search_index *ix, void *arg)
{
	struct named *n = arg;
	if (strcmp(ix->name, n->name) != 0)
		return 0;
	n->found = ix;
	return 1;
}

/* The index of that name that core or a plugin of set declares, or NULL. */
static const struct portal_search_index *index_named(const struct plugin_set *set, const char *name)
{
	struct named n = {name ? name : "", NULL};
	search_each_index(set, is_named, &n);
	return n.found;
}

/* One slice of the first pending rebuild, in a transaction of its own: the
 * slice's objects are locked while their rows are written, so a change made
 * meanwhile waits and then writes its own. Read committed, so that the
 * locks stay on those objects and new ones can be created meanwhile. *done
 * when nothing is pending. */
static int rebuild_slice(struct db *db, const struct plugin_set *set, struct portal_arena *a,
                         long long *indexed, bool *done)
{
	struct portal_value *pending, *objects;
	int status = db_run(db, a, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
	                    PORTAL_DB_NOARGS, NULL, NULL, NULL);
	if (!status)
		status = db_begin(db);
	/* The pending rebuilds are few; one of a disabled plugin waits. */
	if (!status)
		status =
		    db_run(db, a, "SELECT search, after_id FROM search_rebuilds ORDER BY search",
		           PORTAL_DB_NOARGS, &pending, NULL, NULL);
	if (status)
		return status;
	const struct portal_value *p = NULL;
	const struct portal_search_index *ix = NULL;
	pv_foreach(m, pending) {
		if (!ix && (ix = index_named(set, pv_get_str(m->value, "search"))))
			p = m->value;
	}
	*done = !ix;
	if (!ix)
		return db_commit(db);
	const char *name = ix->name;
	const char *sql = portal_sprintf(a,
	                                 "SELECT id FROM %s WHERE id > ? ORDER BY id LIMIT %d"
	                                 " LOCK IN SHARE MODE",
	                                 ix->objects, SEARCH_CHUNK);
	if (!sql)
		return 500;
	/* Its row, locked: a second rebuild at the same time waits here. */
	if ((status =
	         db_run(db, a, "SELECT after_id FROM search_rebuilds WHERE search = ? FOR UPDATE",
	                PORTAL_DB_ARGS(PDB_S(name)), &pending, NULL, NULL)))
		return status;
	if (!(p = pv_first(pending))) /* done by another meanwhile */
		return db_commit(db);
	if ((status = db_run(db, a, sql, PORTAL_DB_ARGS(PDB_I(pv_get_int(p, "after_id", 0))),
	                     &objects, NULL, NULL)))
		return status;
	size_t count = pv_count(objects);
	if (count == 0) {
		status = db_run(db, a, "DELETE FROM search_rebuilds WHERE search = ?",
		                PORTAL_DB_ARGS(PDB_S(name)), NULL, NULL, NULL);
		if (!status)
			portal_log("search: the index of %s is complete", ix->objects);
		return status ? status : db_commit(db);
	}
	long long *ids = portal_alloc(a, count * sizeof *ids);
	size_t n = 0;
	if (!ids)
		return 500;
	pv_foreach(m, objects)
		ids[n++] = pv_get_int(m->value, "id", 0);
	status = search_refresh(db, ix, ids, n);
	if (!status)
		status = db_run(db, a, "UPDATE search_rebuilds SET after_id = ? WHERE search = ?",
		                PORTAL_DB_ARGS(PDB_I(ids[n - 1]), PDB_S(name)), NULL, NULL, NULL);
	if (!status)
		status = db_commit(db);
	*indexed += (long long)n;
	return status;
}

int search_rebuild(struct db *db, const struct plugin_set *set, long long budget_ms,
                   bool (*stop)(void), long long *indexed)
{
	long long start = now_ms(), count = 0;
	bool done = false;
	int status = 0;
	while (!status && !done && (budget_ms <= 0 || now_ms() - start < budget_ms) &&
	       !(stop && stop())) {
		struct portal_arena *a = arena_new(1 << 20);
		status = a ? rebuild_slice(db, set, a, &count, &done) : 500;
		if (status)
			db_rollback(db);
		arena_free(a);
	}
	if (indexed)
		*indexed = count;
	return status;
}

int search_index_job(struct portal_req *req)
{
	long long indexed = 0;
	int status = search_rebuild(req->worker->db, req->worker->plugins, SEARCH_JOB_BUDGET_MS,
	                            portal_job_stopping, &indexed);
	if (indexed)
		portal_log("search: indexed %lld objects", indexed);
	return status;
}

int portal_search_refresh(struct portal_req *req, const struct portal_search_index *ix,
                          const long long *ids, size_t count)
{
	return search_refresh(req->worker->db, ix, ids, count);
}

int portal_search_add(struct portal_req *req, const struct portal_search_index *ix,
                      const long long *ids, size_t count)
{
	return search_add(req->worker->db, ix, ids, count);
}

int portal_search_order(struct portal_req *req, const struct portal_search_index *ix,
                        struct portal_word_term *terms, size_t count)
{
	size_t first = 0;
	int status = count >= 2 ? search_driver(req->worker->db, req->arena, ix, req->caller.org_id,
	                                        terms, count, &first)
	                        : 0;
	if (!status && first) {
		struct portal_word_term t = terms[0];
		terms[0] = terms[first];
		terms[first] = t;
	}
	return status;
}
