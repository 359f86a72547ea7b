/* The organisations' categories (portal/categories.h): read with the
 * plugin's defaults for an organisation that has no list of its own, and
 * kept per worker until the organisation's categories generation changes
 * (every change of a list raises it, in the change's transaction; the
 * session's query reads it with the organisation), so a page that shows or
 * checks them costs no query in the usual case. */
#include "http/categories.h"

#include <stdlib.h>
#include <string.h>

#include "http/request.h"
#include "portal/categories.h"
#include "portal/text.h"

/* Lists kept per worker: a few organisations are busy at a time. */
#define CACHE_ENTRIES 64

struct cached_list {
	const struct plugin *plugin;
	long long org_id, generation;
	char *names; /* NUL-separated, an empty name last; NULL: the entry is free */
};

static struct cached_list cache[CACHE_ENTRIES];
static size_t cache_next;

void categories_cache_free(void)
{
	for (size_t i = 0; i < CACHE_ENTRIES; i++) {
		free(cache[i].names);
		cache[i].names = NULL;
	}
}

int categories_read(struct portal_req *req, const struct plugin *p, struct portal_value **names)
{
	struct portal_arena *a = req->arena;
	struct portal_value *rows;
	int status =
	    portal_db_query(req,
	                    "SELECT name FROM org_categories WHERE org_id = ? AND kind = ?"
	                    " ORDER BY position, name",
	                    PORTAL_DB_ARGS(PDB_I(req->caller.org_id), PDB_S(p->def->name)), &rows);
	if (status)
		return status;
	if (!(*names = pv_list(a)))
		return 500;
	pv_foreach(m, rows)
		if (pv_push(a, *names, pv_get(m->value, "name")))
			return 500;
	const char *const *defaults = PLUGIN_MEMBER(p->def, categories);
	for (size_t i = 0; !pv_count(rows) && defaults && defaults[i]; i++)
		if (pv_push(a, *names, pv_string(a, defaults[i])))
			return 500;
	return 0;
}

static struct cached_list *cached(const struct plugin *p, long long org_id, long long generation)
{
	for (size_t i = 0; i < CACHE_ENTRIES; i++)
		if (cache[i].names && cache[i].plugin == p && cache[i].org_id == org_id &&
		    cache[i].generation == generation)
			return &cache[i];
	return NULL;
}

static void keep(const struct plugin *p, long long org_id, long long generation,
                 const struct portal_value *names)
{
	size_t len = 1;
	pv_foreach(m, names)
		len += strlen(pv_str(m->value)) + 1;
	char *copy = malloc(len), *at = copy;
	if (!copy)
		return;
	pv_foreach(m, names) {
		size_t n = strlen(pv_str(m->value)) + 1;
		memcpy(at, pv_str(m->value), n);
		at += n;
	}
	*at = '\0';
	/* An older generation of the same list is of no use any more. */
	struct cached_list *e = NULL;
	for (size_t i = 0; i < CACHE_ENTRIES && !e; i++)
		if (cache[i].names && cache[i].plugin == p && cache[i].org_id == org_id)
			e = &cache[i];
	if (!e)
		e = &cache[cache_next++ % CACHE_ENTRIES];
	free(e->names);
	*e = (struct cached_list){p, org_id, generation, copy};
}

int portal_categories(struct portal_req *req, struct portal_value **names)
{
	const struct request *rq = request_of(req);
	/* The generation is known once the session was read. */
	bool cacheable = rq->session_id != 0;
	long long generation = rq->signed_in.categories_generation;
	const struct cached_list *e =
	    cacheable ? cached(rq->plugin, req->caller.org_id, generation) : NULL;
	if (!e) {
		int status = categories_read(req, rq->plugin, names);
		if (!status && cacheable)
			keep(rq->plugin, req->caller.org_id, generation, *names);
		return status;
	}
	if (!(*names = pv_list(req->arena)))
		return 500;
	for (const char *n = e->names; *n; n += strlen(n) + 1)
		if (pv_push(req->arena, *names, pv_string(req->arena, n)))
			return 500;
	return 0;
}

int portal_category_known(struct portal_req *req, const char *name, bool *known)
{
	struct portal_value *names;
	int status = portal_categories(req, &names);
	*known = false;
	if (status)
		return status;
	pv_foreach(m, names)
		if (strcmp(pv_str(m->value), name) == 0)
			*known = true;
	return 0;
}

/* A category's name as a catalog key part: German letters spelt out (ä as
 * ae, ß as ss), anything else a key may not hold as '_', so that
 * "Schaden/Reparatur" is "Schaden_Reparatur" and "Lärm" is "Laerm". */
static const char *key_part(struct portal_arena *a, const char *name)
{
	static const char *const spelt[][2] = {{"ä", "ae"}, {"ö", "oe"}, {"ü", "ue"}, {"Ä", "Ae"},
	                                       {"Ö", "Oe"}, {"Ü", "Ue"}, {"ß", "ss"}};
	struct portal_buf b = {.arena = a};
	while (*name) {
		/* the spelt letters are of two bytes, the first not ASCII */
		size_t i = (unsigned char)*name < 0x80 ? sizeof spelt / sizeof *spelt : 0;
		while (i < sizeof spelt / sizeof *spelt && strncmp(name, spelt[i][0], 2) != 0)
			i++;
		if (i < sizeof spelt / sizeof *spelt) {
			portal_buf_puts(&b, spelt[i][1]);
			name += 2;
			continue;
		}
		unsigned char c = (unsigned char)*name++;
		bool plain =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		portal_buf_add(&b, plain ? (const char *)&c : "_", 1);
		while (!plain && ((unsigned char)*name & 0xC0) == 0x80) /* the rest of its UTF-8 */
			name++;
	}
	return b.failed ? NULL : b.data;
}

const char *categories_text(struct portal_req *req, const struct plugin *p, const char *name)
{
	const char *part = key_part(req->arena, name);
	const char *key =
	    part ? portal_sprintf(req->arena, "%s.category.%s", p->def->name, part) : NULL;
	const char *text = key ? worker_text(req->worker, req->locale, p, key) : NULL;
	return text && strcmp(text, key) != 0 ? text : name;
}

const char *portal_category_text(struct portal_req *req, const char *name)
{
	return name ? categories_text(req, request_of(req)->plugin, name) : "";
}
