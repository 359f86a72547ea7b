/* TEMPORARY: the first SDK's body readers, until every plugin declares its
 * inputs (removed before this change lands). */
#include <ctype.h>
#include <string.h>

#include "portal/input_legacy.h"
#include "portal/portal.h"

static int legacy_invalid(struct portal_req *req, const char *name)
{
	return portal_fail(req, 422, "validation", name, "error.invalid_field");
}

static size_t legacy_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

int portal_body_str(struct portal_req *req, const char *name, size_t min_chars,
		    size_t max_chars, const char **out)
{
	const struct portal_value *v = pv_get(req->body, name);
	*out = NULL;
	if (v && v->type != PV_STRING && v->type != PV_NULL)
		return legacy_invalid(req, name);
	const char *s = v && v->type == PV_STRING ? v->u.s.ptr : "";
	size_t len = v && v->type == PV_STRING ? v->u.s.len : 0;
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	size_t n = legacy_chars(s, len);
	if (n == 0)
		return min_chars ? legacy_invalid(req, name) : 0;
	if (n < min_chars || n > max_chars)
		return legacy_invalid(req, name);
	if (!(*out = portal_strndup(req->arena, s, len)))
		return 500;
	return 0;
}

int portal_body_bool(struct portal_req *req, const char *name, bool dflt, bool *out)
{
	const struct portal_value *v = pv_get(req->body, name);
	*out = dflt;
	if (!v || v->type == PV_NULL)
		return 0;
	if (v->type == PV_BOOL) {
		*out = v->u.b;
		return 0;
	}
	if (v->type == PV_STRING) {
		const char *s = v->u.s.ptr;
		if (!strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "on")) {
			*out = true;
			return 0;
		}
		if (!strcmp(s, "false") || !strcmp(s, "0")) {
			*out = false;
			return 0;
		}
	}
	return legacy_invalid(req, name);
}

int portal_body_id(struct portal_req *req, const char *name, bool required, long long *out)
{
	const struct portal_value *v = pv_get(req->body, name);
	*out = 0;
	if (!v || v->type == PV_NULL || (v->type == PV_STRING && v->u.s.len == 0))
		return required ? legacy_invalid(req, name) : 0;
	long long id = 0;
	if (v->type == PV_INT) {
		id = v->u.i;
	} else if (v->type == PV_STRING && v->u.s.len <= 18) {
		for (const char *p = v->u.s.ptr; *p; p++) {
			if (!isdigit((unsigned char)*p))
				return legacy_invalid(req, name);
			id = id * 10 + (*p - '0');
		}
	}
	if (id <= 0)
		return legacy_invalid(req, name);
	*out = id;
	return 0;
}


bool portal_body_has(const struct portal_req *req, const char *name)
{
	return pv_get(req->body, name) != NULL;
}
