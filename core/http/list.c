/* Keyset pagination (portal/list.h). A cursor is base64url of "id" or of
 * "id:key", so it survives URLs and reveals nothing a client should rely on. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "portal/list.h"
#include "portal/portal.h"

#define CURSOR_MAX 1024

const char *portal_cursor(struct portal_req *req, const char *key, long long id)
{
	char *plain = key ? portal_sprintf(req->arena, "%lld:%s", id, key)
	                  : portal_sprintf(req->arena, "%lld", id);
	if (!plain)
		return NULL;
	size_t len = strlen(plain);
	size_t size = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *out = portal_alloc(req->arena, size);
	if (out)
		sodium_bin2base64(out, size, (const unsigned char *)plain, len,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

static int malformed(struct portal_req *req, const char *field)
{
	return portal_fail(req, 400, "bad_request", field, "error.title.400");
}

int portal_list_page(struct portal_req *req, struct portal_page *page)
{
	const char *limit = pv_get_str(req->query, "limit");
	const char *after = pv_get_str(req->query, "after");
	*page = (struct portal_page){.limit = PORTAL_LIST_DEFAULT};
	if (pv_get(req->query, "limit")) {
		char *end;
		long n = limit ? strtol(limit, &end, 10) : 0;
		if (!limit || !*limit || *end || n < 1)
			return malformed(req, "limit");
		page->limit = n > PORTAL_LIST_MAX ? PORTAL_LIST_MAX : (int)n;
	}
	if (!pv_get(req->query, "after"))
		return 0;
	size_t len = after ? strlen(after) : 0, got = 0;
	unsigned char *plain = len && len <= CURSOR_MAX ? portal_alloc(req->arena, len + 1) : NULL;
	if (!plain || sodium_base642bin(plain, len, after, len, NULL, &got, NULL,
	                                sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return malformed(req, "after");
	plain[got] = '\0';
	char *end;
	long long n = strtoll((char *)plain, &end, 10);
	if (n <= 0 || (*end != '\0' && *end != ':') || strlen((char *)plain) != got)
		return malformed(req, "after");
	page->after = n;
	if (*end == ':')
		page->key = end + 1;
	return 0;
}

int portal_list_view(struct portal_req *req, struct portal_value *view, struct portal_value *items,
                     int limit, const char *key_field)
{
	struct portal_arena *a = req->arena;
	struct portal_value *next = NULL;
	if (pv_count(items) > (size_t)limit) {
		/* Keep the first limit items; the last kept one makes the cursor. */
		struct pv_member *m = items->u.c.head;
		for (int i = 1; i < limit; i++)
			m = m->next;
		m->next = NULL;
		items->u.c.tail = m;
		items->u.c.count = (size_t)limit;
		const char *key = key_field ? pv_get_str(m->value, key_field) : NULL;
		const char *c = portal_cursor(req, key, pv_get_int(m->value, "id", 0));
		if (!c || !(next = pv_string(a, c)))
			return 500;
	}
	if (pv_set(a, view, "items", items) || pv_set(a, view, "next", next ? next : pv_null(a)))
		return 500;
	return 0;
}
