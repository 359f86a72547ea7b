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

/* The query's limit (default 50, clamped to 200). A malformed one is 400,
 * recorded: returns 0 then. */
int portal_list_limit(struct portal_req *req);

/* The position after the last item shown: a sort key (may be NULL) and the
 * item's id. NULL when out of memory. */
const char *portal_cursor(struct portal_req *req, const char *key, long long id);

/* Reads the query's "after": 0 with *key (NULL if the cursor had none) and *id
 * set, or with *id = 0 when there is no cursor; 400 recorded on a malformed one. */
int portal_cursor_read(struct portal_req *req, const char **key, long long *id);

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
