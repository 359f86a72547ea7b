#include <stdbool.h>
#include <string.h>

#include "http/parse.h"

/* Browsers send at most about 180 cookies per site; a header with more is hostile,
 * and every name costs a lookup in the object. */
#define COOKIES_MAX 256

/* RFC 6265 cookie-name: an RFC 7230 token. */
static bool is_token_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7F)
		return false;
	return !strchr("()<>@,;:\\\"/[]?={}", c);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool valid_name(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_token_char((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Values are opaque to us, but they become strings that handlers and templates
 * use: control characters and invalid UTF-8 make the pair malformed. */
static bool valid_value(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7F)
			return false;
	}
	return utf8_valid(s, len);
}

/* One "name=value" pair without the ';'. Returns 0 (also when skipped) or -1. */
static int add_pair(struct portal_arena *a, const char *s, size_t len, struct portal_value *obj)
{
	while (len && is_space(*s)) {
		s++;
		len--;
	}
	while (len && is_space(s[len - 1]))
		len--;
	const char *eq = memchr(s, '=', len);
	if (!eq)
		return 0;
	size_t name_len = (size_t)(eq - s);
	while (name_len && is_space(s[name_len - 1]))
		name_len--;
	const char *value = eq + 1;
	size_t value_len = len - (size_t)(value - s);
	while (value_len && is_space(*value)) {
		value++;
		value_len--;
	}
	if (value_len >= 2 && value[0] == '"' && value[value_len - 1] == '"') {
		value++;
		value_len -= 2;
	}
	if (!valid_name(s, name_len) || !valid_value(value, value_len))
		return 0;

	char *name = portal_strndup(a, s, name_len);
	if (!name)
		return -1;
	if (pv_get(obj, name))
		return 0; /* the first wins: it is the most specific path's cookie */
	struct portal_value *v = pv_stringn(a, value, value_len);
	if (!v || pv_set(a, obj, name, v))
		return -1;
	return 0;
}

int cookies_parse(struct portal_arena *a, const char *header, struct portal_value *obj)
{
	size_t pairs = 0;

	if (!obj || obj->type != PV_OBJECT)
		return -1;
	if (!header)
		return 0;
	for (const char *p = header; *p && pairs < COOKIES_MAX; pairs++) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);

		if (add_pair(a, p, len, obj))
			return -1;
		if (!semi)
			break;
		p = semi + 1;
	}
	return 0;
}
