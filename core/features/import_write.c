#include "features/import_write.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "features/search.h"
#include "http/request.h"
#include "lib/buf.h"
#include "portal/crypto.h"

/* Rows per statement, and the JSON of one statement at most (far below
 * MariaDB's max_allowed_packet of 16 MiB, whatever the cells hold). */
#define IMPORT_CHUNK 1000
#define IMPORT_JSON_MAX (2u << 20)
/* For the progress: a property's words take about four times the work of
 * its row (a row per word, and two indexes). */
#define WORDS_WEIGHT 4

enum action {
	ACT_SKIP,   /* a property of its name and street exists */
	ACT_CREATE, /* a new property, with the values of row `values` */
	ACT_UPDATE, /* property id gets the values of row `values` */
	ACT_NONE,   /* a later row of the same reference ID writes for it */
};

struct plan {
	enum action action;
	size_t values;
	long long id;
	bool words; /* its searched fields change: new words */
};

/* What the database knows of a row (import_lookup). */
struct lookup {
	size_t first_ref, first_place; /* the first row of its reference ID, of its place */
	long long by_ref, by_place;    /* the property of its reference ID, of its place */
	bool same_words;               /* by_ref's searched fields are the row's */
};

/* A row as the JSON that JSON_TABLE reads below: [key, reference ID, name,
 * street, zip, city] and with all, country and notes. */
static void row_json(struct buf *b, long long key, const struct property_fields *f, const char *ref,
                     bool all)
{
	buf_printf(b, "%s[%lld,", b->len > 1 ? "," : "", key);
	buf_json_string(b, ref);
	const char *fields[] = {f->name, f->street, f->zip, f->city, f->country, f->notes};
	for (size_t k = 0; k < (all ? 6u : 4u); k++) {
		buf_puts(b, ",");
		buf_json_string(b, fields[k]);
	}
	buf_puts(b, "]");
}

#define ROW_COLUMNS(collation)                                                                  \
	"i BIGINT UNSIGNED PATH '$[0]', ref VARCHAR(64) " collation " PATH '$[1]',"             \
	" name VARCHAR(200) " collation " PATH '$[2]', street VARCHAR(200) " collation          \
	" PATH '$[3]', zip VARCHAR(20) " collation " PATH '$[4]', city VARCHAR(200) " collation \
	" PATH '$[5]'"
#define CI "COLLATE utf8mb4_unicode_ci"
#define WRITE_COLUMNS \
	ROW_COLUMNS("") ", country VARCHAR(100) PATH '$[6]', notes VARCHAR(5000) PATH '$[7]'"

/* Per row of import_rows: the first row of its reference ID and of its name
 * and street, the property of its reference ID (and whether that one's
 * searched fields are the row's, byte for byte), and for a row without
 * reference ID a property of its name and street. */
#define LOOKUP_SQL                                                                            \
	"SELECT r.i,"                                                                         \
	" FIRST_VALUE(r.i) OVER (PARTITION BY r.ref ORDER BY r.i) AS first_ref,"              \
	" FIRST_VALUE(r.i) OVER (PARTITION BY r.name, r.street ORDER BY r.i) AS first_place," \
	" p.id AS by_ref,"                                                                    \
	" (p.name = r.name COLLATE utf8mb4_bin AND p.street = r.street COLLATE utf8mb4_bin"   \
	" AND p.zip = r.zip COLLATE utf8mb4_bin AND p.city = r.city COLLATE utf8mb4_bin)"     \
	" AS same_words,"                                                                     \
	" IF(r.ref = '', (SELECT q.id FROM properties q WHERE q.org_id = ?"                   \
	" AND q.name = r.name AND q.street = r.street LIMIT 1), NULL) AS by_place"            \
	" FROM import_rows r LEFT JOIN properties p ON p.org_id = ? AND r.ref <> ''"          \
	" AND p.reference_id = r.ref ORDER BY r.i"

/* What the database knows of each row, in one statement over a temporary
 * table that holds the file's reference IDs, names and streets: comparing
 * the rows with each other needs them all at once, and a file's cells may
 * be more than one statement can carry. */
static int import_lookup(struct portal_req *req, const struct import_good_row *rows, size_t count,
                         struct lookup *out)
{
	long long org = req->caller.org_id;
	int status = portal_db_exec(req,
	                            "CREATE TEMPORARY TABLE IF NOT EXISTS import_rows ("
	                            " i BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
	                            " ref VARCHAR(64) NOT NULL, name VARCHAR(200) NOT NULL,"
	                            " street VARCHAR(200) NOT NULL, zip VARCHAR(20) NOT NULL,"
	                            " city VARCHAR(200) NOT NULL"
	                            ") DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	                            PORTAL_DB_NOARGS, NULL, NULL);
	if (!status)
		status =
		    portal_db_exec(req, "DELETE FROM import_rows", PORTAL_DB_NOARGS, NULL, NULL);
	struct buf b = {0};
	for (size_t at = 0; !status && at < count;) {
		buf_reset(&b);
		buf_puts(&b, "[");
		size_t n = 0;
		for (; at < count && n < IMPORT_CHUNK && b.len < IMPORT_JSON_MAX; at++, n++)
			row_json(&b, at, &rows[at].f, rows[at].f.reference_id, false);
		buf_puts(&b, "]");
		status =
		    b.failed
		        ? 500
		        : portal_db_exec(req,
		                         "INSERT INTO import_rows SELECT j.* FROM JSON_TABLE(?,"
		                         " '$[*]' COLUMNS (" ROW_COLUMNS(CI) ")) j",
		                         PORTAL_DB_ARGS(PDB_S(b.data)), NULL, NULL);
	}
	buf_free(&b);
	struct portal_value *found;
	if (!status)
		status = portal_db_query(req, LOOKUP_SQL, PORTAL_DB_ARGS(PDB_I(org), PDB_I(org)),
		                         &found);
	if (status)
		return status;
	size_t i = 0;
	pv_foreach(m, found) {
		const struct portal_value *r = m->value;
		if (i >= count || (size_t)pv_get_int(r, "i", -1) != i)
			return 500;
		out[i++] = (struct lookup){
		    .first_ref = (size_t)pv_get_int(r, "first_ref", 0),
		    .first_place = (size_t)pv_get_int(r, "first_place", 0),
		    .by_ref = pv_get_int(r, "by_ref", 0),
		    .by_place = pv_get_int(r, "by_place", 0),
		    .same_words = pv_get_int(r, "same_words", 0) == 1,
		};
	}
	return i == count ? 0 : 500;
}

/* The file's rows one after the other, as the counts and the plan of writes:
 * of the rows of one reference ID the first creates (when the organisation
 * has none) and the last one's values are written. */
static int import_plan(struct portal_req *req, const struct import_good_row *rows, size_t count,
                       const struct lookup *l, struct plan *plan, struct import_counts *c)
{
	size_t *last = portal_alloc(req->arena, (count ? count : 1) * sizeof *last);
	if (!last)
		return 500;
	for (size_t i = 0; i < count; i++)
		if (*rows[i].f.reference_id)
			last[l[i].first_ref] = i;
	for (size_t i = 0; i < count; i++) {
		const struct lookup *r = &l[i];
		struct plan *p = &plan[i];
		*p = (struct plan){.action = ACT_NONE, .values = i};
		if (*rows[i].f.reference_id) {
			bool first = r->first_ref == i, writes = last[r->first_ref] == i;
			if (r->by_ref || !first)
				c->updated++;
			else
				c->created++;
			if (r->by_ref && writes)
				*p = (struct plan){ACT_UPDATE, i, r->by_ref, !r->same_words};
			else if (!r->by_ref && first)
				*p = (struct plan){ACT_CREATE, last[i], 0, true};
		} else if (r->by_place || r->first_place != i) {
			c->skipped++;
			p->action = ACT_SKIP;
		} else {
			c->created++;
			*p = (struct plan){ACT_CREATE, i, 0, true};
		}
	}
	return 0;
}

/* The JSON of the next chunk of rows whose plan is action, from *at on,
 * keyed by the property's id for updates and by the row's index else; refs
 * are the reference IDs to write. The rows taken are counted in *taken. */
static int next_chunk(const struct import_good_row *rows, size_t count, const struct plan *plan,
                      enum action action, const char *const *refs, size_t *at, struct buf *b,
                      size_t *taken)
{
	*taken = 0;
	buf_reset(b);
	buf_puts(b, "[");
	for (; *at < count && *taken < IMPORT_CHUNK && b->len < IMPORT_JSON_MAX; (*at)++) {
		const struct plan *p = &plan[*at];
		if (p->action != action)
			continue;
		row_json(b, action == ACT_UPDATE ? p->id : (long long)*at, &rows[p->values].f,
		         refs[*at], true);
		(*taken)++;
	}
	buf_puts(b, "]");
	return b->failed ? 500 : 0;
}

/* Steps of the writes, for the progress. */
struct writing {
	struct portal_req *req;
	const struct import_good_row *rows;
	size_t count;
	struct plan *plan;
	const char **refs;
	size_t done, total;
	import_progress_fn progress;
};

static void step(struct writing *w, size_t rows)
{
	w->done += rows;
	if (w->progress)
		w->progress(w->req, w->done, w->total);
}

static int write_updates(struct writing *w)
{
	struct buf b = {0};
	size_t at = 0, n = 0;
	int status = 0;
	while (
	    !status &&
	    !(status = next_chunk(w->rows, w->count, w->plan, ACT_UPDATE, w->refs, &at, &b, &n)) &&
	    n) {
		status = portal_db_exec(
		    w->req,
		    "UPDATE properties p JOIN JSON_TABLE(?, '$[*]' COLUMNS (" WRITE_COLUMNS
		    ")) j ON p.id = j.i SET p.name = j.name, p.street = j.street, p.zip = j.zip,"
		    " p.city = j.city, p.country = j.country, p.notes = j.notes WHERE p.org_id = ?",
		    PORTAL_DB_ARGS(PDB_S(b.data), PDB_I(w->req->caller.org_id)), NULL, NULL);
		step(w, n);
	}
	buf_free(&b);
	return status;
}

/* New properties in the file's order; RETURNING hands back their ids in the
 * order of insertion. */
static int write_creates(struct writing *w)
{
	struct buf b = {0};
	size_t at = 0, n = 0, next = 0;
	int status = 0;
	while (
	    !status &&
	    !(status = next_chunk(w->rows, w->count, w->plan, ACT_CREATE, w->refs, &at, &b, &n)) &&
	    n) {
		struct portal_value *made;
		status = portal_db_query(
		    w->req,
		    "INSERT INTO properties (org_id, reference_id, name, street, zip, city,"
		    " country, notes, created_at)"
		    " SELECT ?, j.ref, j.name, j.street, j.zip, j.city, j.country, j.notes,"
		    " UTC_TIMESTAMP() FROM JSON_TABLE(?, '$[*]' COLUMNS (" WRITE_COLUMNS "))"
		    " j ORDER BY j.i RETURNING id, reference_id",
		    PORTAL_DB_ARGS(PDB_I(w->req->caller.org_id), PDB_S(b.data)), &made);
		size_t got = 0;
		pv_foreach(m, status ? NULL : made) {
			while (next < at && w->plan[next].action != ACT_CREATE)
				next++;
			const char *ref = pv_get_str(m->value, "reference_id");
			if (next == at || !ref || strcmp(ref, w->refs[next]) != 0)
				break; /* not the rows sent: never guess */
			w->plan[next++].id = pv_get_int(m->value, "id", 0);
			got++;
		}
		if (!status && got != n)
			status = 500;
		step(w, n);
	}
	buf_free(&b);
	return status;
}

/* The generated reference ID of a property created without one, as
 * property_insert makes it: "L-00042", or with the import's token where
 * someone chose that one by hand. */
static const char *generated_ref(struct portal_arena *a, long long id, const char *token,
                                 bool taken)
{
	return taken ? portal_sprintf(a, "L-%05lld-%.8s", id, token)
	             : portal_sprintf(a, "L-%05lld", id);
}

/* [[id, reference ID], ...] of the next chunk of rows created without a
 * reference ID; taken (may be NULL) holds the ids whose "L-" form is taken. */
static int generated_chunk(struct writing *w, size_t *at, const char *token,
                           const struct portal_value *taken, struct buf *b, size_t *n)
{
	*n = 0;
	buf_reset(b);
	buf_puts(b, "[");
	for (; *at < w->count && *n < IMPORT_CHUNK; (*at)++) {
		const struct plan *p = &w->plan[*at];
		if (p->action != ACT_CREATE || *w->rows[*at].f.reference_id)
			continue;
		bool is_taken = false;
		pv_foreach(m, taken)
			is_taken = is_taken || pv_get_int(m->value, "i", 0) == p->id;
		const char *ref = generated_ref(w->req->arena, p->id, token, is_taken);
		if (!ref)
			return 500;
		buf_printf(b, "%s[%lld,", *n ? "," : "", p->id);
		buf_json_string(b, ref);
		buf_puts(b, "]");
		(*n)++;
	}
	buf_puts(b, "]");
	return b->failed ? 500 : 0;
}

static int write_generated_refs(struct writing *w, const char *token)
{
	struct buf b = {0};
	size_t at = 0, n;
	int status;
	long long org = w->req->caller.org_id;
	for (;;) {
		size_t from = at;
		struct portal_value *taken;
		if ((status = generated_chunk(w, &at, token, NULL, &b, &n)) || !n)
			break;
		status = portal_db_query(
		    w->req,
		    "SELECT j.i FROM JSON_TABLE(?, '$[*]' COLUMNS (i BIGINT"
		    " UNSIGNED PATH '$[0]', ref VARCHAR(64) " CI " PATH '$[1]'))"
		    " j JOIN properties p ON p.org_id = ? AND p.reference_id = j.ref",
		    PORTAL_DB_ARGS(PDB_S(b.data), PDB_I(org)), &taken);
		if (!status && pv_count(taken)) {
			at = from;
			status = generated_chunk(w, &at, token, taken, &b, &n);
		}
		if (!status)
			status = portal_db_exec(
			    w->req,
			    "UPDATE properties p JOIN JSON_TABLE(?, '$[*]' COLUMNS (i"
			    " BIGINT UNSIGNED PATH '$[0]', ref VARCHAR(64) PATH '$[1]'))"
			    " j ON p.id = j.i SET p.reference_id = j.ref"
			    " WHERE p.org_id = ?",
			    PORTAL_DB_ARGS(PDB_S(b.data), PDB_I(org)), NULL, NULL);
		if (status)
			break;
		step(w, n);
	}
	buf_free(&b);
	return status;
}

/* The search words of the rows of action (ACT_CREATE or ACT_UPDATE) whose
 * searched fields were written: a created one's are added (it has none to
 * replace, and removing none would lock where parallel creates insert), an
 * updated one's replaced. */
static int write_words_of(struct writing *w, enum action action, long long *ids)
{
	size_t n = 0;
	for (size_t i = 0; i < w->count; i++)
		if (w->plan[i].action == action && w->plan[i].words)
			ids[n++] = w->plan[i].id;
	int status = 0;
	for (size_t at = 0; !status && at < n; at += IMPORT_CHUNK) {
		size_t chunk = n - at < IMPORT_CHUNK ? n - at : IMPORT_CHUNK;
		status = action == ACT_CREATE
		             ? search_add(w->req->worker->db, &search_properties, ids + at, chunk)
		             : search_properties_refresh(w->req->worker->db, ids + at, chunk);
		step(w, chunk * WORDS_WEIGHT);
	}
	return status;
}

static int write_words(struct writing *w)
{
	long long *ids = portal_alloc(w->req->arena, (w->count ? w->count : 1) * sizeof *ids);
	if (!ids)
		return 500;
	int status = write_words_of(w, ACT_CREATE, ids);
	return status ? status : write_words_of(w, ACT_UPDATE, ids);
}

int import_write(struct portal_req *req, const struct import_good_row *rows, size_t count,
                 struct import_counts *counts, import_progress_fn progress)
{
	struct portal_arena *a = req->arena;
	size_t slots = count ? count : 1;
	struct lookup *l = portal_alloc(a, slots * sizeof *l);
	struct plan *plan = portal_alloc(a, slots * sizeof *plan);
	const char **refs = portal_alloc(a, slots * sizeof *refs);
	if (!l || !plan || !refs)
		return 500;
	int status = import_lookup(req, rows, count, l);
	if (!status)
		status = import_plan(req, rows, count, l, plan, counts);
	if (status)
		return status;
	/* Until its id is known, a property created without a reference ID has a
	 * placeholder: unique, and one that nobody would choose. */
	char token[PORTAL_TOKEN_CHARS + 1];
	unsigned char unused[PORTAL_HASH_BYTES];
	portal_token_new(token, unused);
	struct writing w = {req, rows, count, plan, refs, 0, 0, progress};
	for (size_t i = 0; i < count; i++) {
		bool generated = plan[i].action == ACT_CREATE && !*rows[i].f.reference_id;
		refs[i] =
		    generated ? portal_sprintf(a, "~%s-%zu", token, i) : rows[i].f.reference_id;
		if (!refs[i])
			return 500;
		if (plan[i].action == ACT_CREATE || plan[i].action == ACT_UPDATE)
			w.total += 1u + generated + plan[i].words * WORDS_WEIGHT;
	}
	status = write_updates(&w);
	if (!status)
		status = write_creates(&w);
	if (!status)
		status = write_generated_refs(&w, token);
	if (!status)
		status = write_words(&w);
	if (!status)
		status =
		    portal_db_exec(req, "DELETE FROM import_rows", PORTAL_DB_NOARGS, NULL, NULL);
	return status;
}
