/* Lists: {"items": [...], "next": cursor or null} with keyset pagination, so a
 * page costs the same at any depth. Cursors are opaque to clients. */
#ifndef PORTAL_LIST_H
#define PORTAL_LIST_H

#ifdef __cplusplus
extern "C" {
#endif

struct portal_req;
struct portal_value;

#define PORTAL_LIST_DEFAULT 50
#define PORTAL_LIST_MAX 200

/* The page a list request asks for: its size, and where the previous page
 * ended (the last item's sort key and id). */
struct portal_page {
	int limit;       /* the query's limit: default 50, clamped to 200 */
	const char *key; /* the cursor's sort key; NULL when it had none */
	long long after; /* the cursor's id; 0 on the first page */
};

/* Reads the query's limit and after. Returns 0, or 400 (recorded) for a
 * malformed one. Query limit + 1 rows after (key, after): portal_list_view
 * cuts the extra one and makes the next cursor from the last one shown. */
int portal_list_page(struct portal_req *req, struct portal_page *page);

/* The position after the last item shown: a sort key (may be NULL) and the
 * item's id. NULL when out of memory. */
const char *portal_cursor(struct portal_req *req, const char *key, long long id);

/* Fills view with {"items": items, "next": ...}: the next cursor is made from
 * the last item (its key_field, or none when key_field is NULL, and "id") when
 * items holds more than limit entries, the extra one being dropped (query one
 * more than you show). Returns 0 or 500. */
int portal_list_view(struct portal_req *req, struct portal_value *view, struct portal_value *items,
                     int limit, const char *key_field);

#ifdef __cplusplus
}
#endif

#endif
