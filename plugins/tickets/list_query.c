/* The statement of GET /tickets: a page of tickets with the list's filters,
 * and in the same statement (one round trip) the counts per status and, for
 * the manager's page, the organisation's employees for the assignee filter.
 *
 * q goes through the search index (sql/002, sql/004): a manager's search
 * reads the rows of its rarest term, keeps the tickets whose key bits may hold
 * the other terms, and looks those up in them only; the page takes them
 * newest first until it has its page, the counts count all that match (from
 * the rows alone without other filters: they carry the status, sql/005). A
 * manager's counts without filters or with only the property are kept by
 * triggers (sql/003); the other filters count through an index with the
 * status. A resident's list is their own few tickets, each term a look-up. */
#include <string.h>

#include <portal/list.h>
#include <portal/search.h>
#include <portal/text.h>

#include "tickets.h"

/* Room for the arguments of the longest statement: the terms twice (page and
 * counts: each a prefix, a pattern and its bits, or a resident's five), the
 * filters twice, the page's. */
#define QUERY_ARGS_MAX (10 * PORTAL_SEARCH_TERMS_MAX + 2 * 8 + 16)

struct query {
	struct portal_buf sql;
	struct portal_db_arg args[QUERY_ARGS_MAX];
	size_t n;
	bool full; /* more arguments than room: a mistake of this file */
};

static void put(struct query *q, const char *text)
{
	portal_buf_puts(&q->sql, text);
}

static void arg(struct query *q, struct portal_db_arg a)
{
	if (q->n < QUERY_ARGS_MAX)
		q->args[q->n++] = a;
	else
		q->full = true;
}

/* Whom the caller may list (a manager: all; a resident: theirs and what they
 * follow in a property they are still an active member of), and the filters
 * but the status and q. Only the filters sent are in the text: a condition
 * that a bound value switches off still makes the database read each row's
 * columns, where the counts otherwise count the entries of an index. */
static void scope(struct query *q, struct portal_req *req)
{
	long long property = portal_in_int(req, "property_id", 0);
	long long assignee = portal_in_int(req, "assignee_id", 0);
	const char *category = portal_in_str(req, "category");
	put(q, " WHERE t.org_id = ?");
	arg(q, PDB_I(req->caller.org_id));
	if (!portal_is_manager(req)) {
		put(q,
		    " AND (t.reporter_id = ? OR EXISTS (SELECT 1 FROM ticket_followers f"
		    " JOIN memberships m ON m.property_id = t.property_id AND m.user_id = f.user_id"
		    " AND m.state = 'active' WHERE f.ticket_id = t.id AND f.user_id = ?))");
		arg(q, PDB_I(req->caller.user_id));
		arg(q, PDB_I(req->caller.user_id));
	}
	if (property) {
		put(q, " AND t.property_id = ?");
		arg(q, PDB_I(property));
	}
	if (assignee) {
		put(q, " AND t.assignee_id = ?");
		arg(q, PDB_I(assignee));
	}
	if (category) {
		put(q, " AND t.category = ?");
		arg(q, PDB_S(category));
	}
	if (portal_in_bool(req, "overdue", false))
		put(q, " AND t.due_on < UTC_DATE() AND t.status NOT IN ('resolved', 'closed')");
}

/* The rows of a manager's first (rarest) term (a ticket has a row for each
 * of its words that start with the term), but those whose key bits (sql/004)
 * show that their ticket lacks the key of another term: the terms are then
 * looked up in the tickets left only (words_exist from the second term on). */
static void term_rows(struct query *q, struct portal_req *req, const struct tickets_search_terms *s)
{
	put(q, " FROM ticket_words w0 WHERE w0.org_id = ? AND w0.prefix = ? AND w0.word LIKE ?");
	arg(q, PDB_I(req->caller.org_id));
	arg(q, PDB_S(s->terms[0].prefix));
	arg(q, PDB_S(s->terms[0].pattern));
	for (size_t i = 1; i < s->count; i++) {
		unsigned long long bits = portal_word_term_bits(&s->terms[i]);
		if (!bits)
			continue;
		/* none of the term's bits missing (signed as bound: the
		 * database's & takes it as its 64 bits) */
		put(q, " AND (~w0.key_bits & ?) = 0");
		arg(q, PDB_I((long long)bits));
	}
}

/* A manager's search: the tickets that the first term's rows name, each
 * once. From the cursor on (before) for a page in the list's order by id,
 * which then reads the tickets newest first until it has its page. limit (0:
 * none): nothing else filters the tickets, so the page is the first limit of
 * them, read newest first from the term's rows, which come in that order (the
 * derived table is otherwise made whole before the page is taken from it). */
static void candidates_from(struct query *q, struct portal_req *req,
                            const struct tickets_search_terms *s, long long before, long long limit)
{
	put(q, limit ? " FROM (SELECT w0.ticket_id" : " FROM (SELECT DISTINCT w0.ticket_id");
	term_rows(q, req, s);
	if (before) {
		put(q, " AND w0.ticket_id < ?");
		arg(q, PDB_I(before));
	}
	if (limit) {
		put(q, " GROUP BY w0.ticket_id ORDER BY w0.ticket_id DESC LIMIT ?");
		arg(q, PDB_I(limit));
	}
	put(q, ") w JOIN tickets t ON t.id = w.ticket_id");
}

/* A name a manager noted, and the texts a neighbour sees, as a term finds
 * its word in them (PORTAL_SEARCH_FOLD). */
#define NOTED_NAME PORTAL_SEARCH_FOLD("COALESCE(t.reporter_name, '')")
#define TICKET_TEXT PORTAL_SEARCH_FOLD("CONCAT_WS(' ', t.title, t.description, t.number)")

/* The terms from the first'th on, each a look-up of the words of the ticket
 * whose organisation and id those columns name (the ticket's, or the first
 * term's rows'): all of a resident's search (their few tickets), a manager's
 * but the first. A resident (person: their user id, else 0) finds no ticket
 * by the words of another person's name: a ticket they follow as a
 * neighbour does not show its reporter, so a search by a name must not
 * tell who reported it. The words of a reporter's name that a manager noted
 * (reporter_name) are the ticket's in the index: for a resident a term counts
 * when that name does not hold it, or the title, description or number hold
 * it too (PORTAL_SEARCH_FOLD). person needs the ticket as t. */
static void words_exist(struct query *q, const struct tickets_search_terms *s, size_t first,
                        const char *org_id, const char *ticket_id, long long person)
{
	if (s->asked && !s->count) /* a search without words (only punctuation) */
		put(q, " AND 1 = 0");
	for (size_t i = first; i < s->count; i++) {
		portal_buf_printf(&q->sql,
		                  " AND EXISTS (SELECT 1 FROM ticket_words w WHERE w.org_id = %s"
		                  " AND w.prefix = ? AND w.ticket_id = %s AND w.word LIKE ?%s)",
		                  org_id, ticket_id,
		                  person ? " AND (w.person_id IS NULL OR w.person_id = ?)" : "");
		arg(q, PDB_S(s->terms[i].prefix));
		arg(q, PDB_S(s->terms[i].pattern));
		if (!person)
			continue;
		arg(q, PDB_I(person));
		put(q, " AND (" NOTED_NAME " NOT LIKE CONCAT('%', ?) OR " TICKET_TEXT
		       " LIKE CONCAT('%', ?))");
		arg(q, PDB_S(s->terms[i].pattern));
		arg(q, PDB_S(s->terms[i].pattern));
	}
}

/* The person words_exist limits a caller's search to: a resident's own name. */
static long long searcher(struct portal_req *req)
{
	return portal_is_manager(req) ? 0 : req->caller.user_id;
}

/* The index a manager's page across the organisation reads in the list's
 * order, from the cursor on; NULL where a filter's own index keeps fewer rows
 * (the property's, the assignee's) or for a resident's few tickets. Named,
 * because MariaDB, choosing the index for ORDER BY ... LIMIT, reads it from
 * the organisation's first row (ref on org_id) instead of from the cursor
 * (range): page 200 would read the 10,000 rows before it. */
static const char *order_index(struct portal_req *req, const struct tickets_list_spec *l)
{
	if (!portal_is_manager(req) || portal_in_int(req, "property_id", 0) ||
	    portal_in_int(req, "assignee_id", 0))
		return NULL;
	if (portal_in_str(req, "status"))
		return l->activity ? "tickets_status_activity" : "tickets_status";
	return l->activity ? "tickets_activity" : "tickets_org";
}

/* A manager's search with no filter but the status (which its counts do
 * not apply): the search index's rows alone say which tickets match. */
static bool search_only(struct portal_req *req, const struct tickets_search_terms *s)
{
	return s->count && portal_is_manager(req) && !portal_in_int(req, "property_id", 0) &&
	       !portal_in_int(req, "assignee_id", 0) && !portal_in_str(req, "category") &&
	       !portal_in_bool(req, "overdue", false);
}

/* A manager's search of one word, newest first, without other filters:
 * what typing into the list's search field asks. */
static bool plain_search(struct portal_req *req, const struct tickets_list_spec *l)
{
	return search_only(req, l->search) && l->search->count == 1 && !l->activity &&
	       !portal_in_str(req, "status");
}

/* The page: limit + 1 items after the cursor (key: the last item's
 * updated_at when sorted by activity). */
static void page_select(struct query *q, struct portal_req *req, const struct tickets_list_spec *l)
{
	const struct tickets_search_terms *s = l->search;
	bool indexed = s->count && portal_is_manager(req);
	const char *st = portal_in_str(req, "status");
	/* The tickets first, in the list's order: the optimizer would start
	 * from the properties and sort all of the organisation's tickets. */
	put(q, "SELECT STRAIGHT_JOIN 0 AS counting,");
	put(q, TICKETS_ITEM_COLUMNS ", (t.reporter_id <=> ?) AS mine");
	arg(q, PDB_I(req->caller.user_id));
	if (indexed) {
		candidates_from(q, req, s, l->activity ? 0 : l->page->after,
		                plain_search(req, l) ? l->page->limit + 1 : 0);
	} else {
		const char *ix = order_index(req, l);
		put(q, " FROM tickets t");
		if (ix)
			portal_buf_printf(&q->sql, " FORCE INDEX (%s)", ix);
	}
	put(q, " JOIN properties p ON p.id = t.property_id AND p.org_id = t.org_id"
	       " LEFT JOIN users ru ON ru.id = t.reporter_id"
	       " LEFT JOIN users au ON au.id = t.assignee_id");
	scope(q, req);
	words_exist(q, s, indexed ? 1 : 0, "t.org_id", "t.id", searcher(req));
	if (st) {
		put(q, " AND t.status = ?");
		arg(q, PDB_S(st));
	}
	if (l->activity && l->key) {
		put(q, " AND (t.updated_at < ? OR (t.updated_at = ? AND t.id < ?))");
		arg(q, PDB_S(l->key));
		arg(q, PDB_S(l->key));
		arg(q, PDB_I(l->page->after));
	} else if (!l->activity && l->page->after && !indexed) {
		put(q, " AND t.id < ?");
		arg(q, PDB_I(l->page->after));
	}
	if (l->activity)
		put(q, " ORDER BY t.updated_at DESC, t.id DESC LIMIT ?");
	else
		put(q,
		    indexed ? " ORDER BY w.ticket_id DESC LIMIT ?" : " ORDER BY t.id DESC LIMIT ?");
	arg(q, PDB_I(l->page->limit + 1));
}

/* Rows with counting = 1 carry a status and its count (in number) for the
 * same filters but the status. Their columns have the items' types, so that
 * the union keeps them (numbers stay numbers). */
#define COUNT_COLUMNS(number, status)                                    \
	" UNION ALL SELECT 1, " TICKETS_NULL_NUMBER ", CAST(" number     \
	" AS UNSIGNED), NULL, " status ", NULL,"                         \
	" " TICKETS_NULL_NUMBER ", NULL, NULL, " TICKETS_NULL_NUMBER     \
	", NULL, " TICKETS_NULL_NUMBER ", NULL, CAST(NULL AS DATETIME)," \
	" CAST(NULL AS DATETIME), 0"

/* A manager's list without filters, or with only the property: the counts
 * the triggers of sql/003 keep, a few rows per status at any size of the
 * organisation. */
static bool counts_kept(struct portal_req *req, const struct tickets_search_terms *s)
{
	return portal_is_manager(req) && !s->asked && !portal_in_int(req, "assignee_id", 0) &&
	       !portal_in_str(req, "category") && !portal_in_bool(req, "overdue", false);
}

static void counts_kept_select(struct query *q, struct portal_req *req)
{
	long long property = portal_in_int(req, "property_id", 0);
	put(q, COUNT_COLUMNS("SUM(c.n)", "c.status"));
	if (property) {
		put(q, " FROM ticket_property_counts c WHERE c.property_id = ? AND c.org_id = ?");
		arg(q, PDB_I(property));
	} else {
		put(q, " FROM ticket_org_counts c WHERE c.org_id = ?");
	}
	arg(q, PDB_I(req->caller.org_id));
	put(q, " GROUP BY c.status");
}

/* A search's counts from its terms' rows, which carry their ticket's status
 * (sql/005): no ticket is read. A ticket has a row for each of its words
 * that start with the first term, all of them with its status. */
static void counts_of_words_select(struct query *q, struct portal_req *req,
                                   const struct tickets_search_terms *s)
{
	put(q, COUNT_COLUMNS("COUNT(DISTINCT w0.ticket_id)", "w0.status"));
	term_rows(q, req, s);
	words_exist(q, s, 1, "w0.org_id", "w0.ticket_id", 0);
	put(q, " GROUP BY w0.status");
}

static void counts_select(struct query *q, struct portal_req *req,
                          const struct tickets_search_terms *s)
{
	bool indexed = s->count && portal_is_manager(req);
	if (counts_kept(req, s)) {
		counts_kept_select(q, req);
		return;
	}
	if (search_only(req, s)) {
		counts_of_words_select(q, req, s);
		return;
	}
	put(q, COUNT_COLUMNS("COUNT(*)", "t.status"));
	if (indexed)
		candidates_from(q, req, s, 0, 0);
	else
		put(q, " FROM tickets t");
	scope(q, req);
	words_exist(q, s, indexed ? 1 : 0, "t.org_id", "t.id", searcher(req));
	put(q, " GROUP BY t.status");
}

/* Rows with counting = 2: the organisation's employees (id, their name in
 * title), whom the page's filter and bulk change offer as assignees. */
static void employees_select(struct query *q, struct portal_req *req)
{
	put(q, " UNION ALL SELECT 2, u.id, " TICKETS_NULL_NUMBER
	       ", u.name, NULL, NULL, " TICKETS_NULL_NUMBER ", NULL, NULL,"
	       " " TICKETS_NULL_NUMBER ", NULL, " TICKETS_NULL_NUMBER
	       ", NULL, CAST(NULL AS DATETIME), CAST(NULL AS DATETIME), 0"
	       " FROM users u WHERE u.org_id = ? AND u.role = 'manager'");
	arg(q, PDB_I(req->caller.org_id));
}

/* Rows with counting = 3, for the resident's page: the open shared tickets
 * of their properties that they neither reported nor follow, as a neighbour
 * sees them ("Ich bin auch betroffen" instead of a report of their own). */
static void shared_select(struct query *q, struct portal_req *req)
{
	put(q,
	    " UNION ALL (SELECT 3, t.id, t.number, t.title, t.status, t.category, t.property_id,"
	    " p.name, NULL, " TICKETS_NULL_NUMBER
	    ", NULL, CAST((SELECT COUNT(*) FROM ticket_followers f"
	    " WHERE f.ticket_id = t.id AND f.reason = 'affected') AS UNSIGNED), NULL, t.created_at,"
	    " t.updated_at, 0 FROM memberships m JOIN tickets t ON t.property_id = m.property_id"
	    " AND t.org_id = m.org_id AND t.shared = 1 AND t.status <> 'closed'"
	    " JOIN properties p ON p.id = t.property_id AND p.org_id = t.org_id"
	    " WHERE m.user_id = ? AND m.org_id = ? AND m.state = 'active'"
	    " AND NOT (t.reporter_id <=> ?) AND NOT EXISTS (SELECT 1 FROM ticket_followers f"
	    " WHERE f.ticket_id = t.id AND f.user_id = ?) ORDER BY t.id DESC LIMIT ?)");
	arg(q, PDB_I(req->caller.user_id));
	arg(q, PDB_I(req->caller.org_id));
	arg(q, PDB_I(req->caller.user_id));
	arg(q, PDB_I(req->caller.user_id));
	arg(q, PDB_I(TICKETS_SHARED_MAX));
}

int tickets_list_query(struct portal_req *req, const struct tickets_list_spec *l, const char **sql,
                       struct portal_db_arg **args, size_t *nargs)
{
	struct query *q = portal_alloc(req->arena, sizeof *q);
	if (!q)
		return 500;
	q->sql.arena = req->arena;
	bool wrapped = l->counts || l->employees || l->shared;
	if (wrapped)
		put(q, "SELECT * FROM ((");
	page_select(q, req, l);
	if (wrapped)
		put(q, ")");
	if (l->counts)
		counts_select(q, req, l->search);
	if (l->employees)
		employees_select(q, req);
	if (l->shared)
		shared_select(q, req);
	if (wrapped)
		put(q, l->activity
		           ? ") u ORDER BY counting, IF(counting = 2, title, NULL),"
		             " updated_at DESC, id DESC"
		           : ") u ORDER BY counting, IF(counting = 2, title, NULL), id DESC");
	if (q->sql.failed || q->full)
		return 500;
	*sql = q->sql.data;
	*args = q->args;
	*nargs = q->n;
	return 0;
}

int tickets_search_terms_of(struct portal_req *req, struct tickets_search_terms *s)
{
	const char *q = portal_in_str(req, "q");
	int over = 0;
	*s = (struct tickets_search_terms){.asked = q && *q};
	if (!s->asked)
		return 0;
	if (portal_words_terms(req->arena, q, PORTAL_SEARCH_TERMS_MAX, &s->terms, &s->count, &over))
		return 500;
	if (over)
		return portal_fail(req, 422, "validation", "q", "tickets.search_too_many");
	return portal_is_manager(req) ? portal_search_order(req, tickets_search, s->terms, s->count)
	                              : 0;
}
