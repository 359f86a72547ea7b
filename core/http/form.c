#include <stdint.h>
#include <string.h>

#include "http/parse.h"

static int fail(const char **why, int status, const char *text)
{
	if (why)
		*why = text;
	return status;
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The length of s once decoded, or SIZE_MAX when a '%' is not followed by two hex
 * digits. Measuring first lets the limits refuse a huge value before anything of
 * it is copied. */
static size_t decoded_len(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; n++) {
		if (s[i] != '%') {
			i++;
			continue;
		}
		if (len - i < 3 || hex_digit((unsigned char)s[i + 1]) < 0 ||
		    hex_digit((unsigned char)s[i + 2]) < 0)
			return SIZE_MAX;
		i += 3;
	}
	return n;
}

/* Decodes s (already checked by decoded_len) into dst. */
static void decode(char *dst, const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		if (s[i] == '%') {
			*dst++ = (char)(hex_digit((unsigned char)s[i + 1]) << 4 |
			                hex_digit((unsigned char)s[i + 2]));
			i += 3;
		} else {
			*dst++ = s[i] == '+' ? ' ' : s[i];
			i++;
		}
	}
}

int form_field_add(struct portal_arena *a, struct portal_value *obj, const char *name,
                   const char *value, size_t vlen)
{
	struct portal_value *v = pv_stringn(a, value, vlen);
	if (!v)
		return -1;
	struct portal_value *old = pv_get(obj, name);
	if (!old)
		return pv_set(a, obj, name, v);
	if (old->type == PV_LIST)
		return pv_push(a, old, v);
	struct portal_value *list = pv_list(a);
	if (!list || pv_push(a, list, old) || pv_push(a, list, v))
		return -1;
	return pv_set(a, obj, name, list);
}

/* Decodes one part (name or value) into the arena, NUL-terminated. */
static int decode_part(struct portal_arena *a, const char *s, size_t len, size_t max, char **out,
                       size_t *out_len, const char **why)
{
	size_t n = decoded_len(s, len);
	if (n == SIZE_MAX)
		return fail(why, 400, "invalid percent escape in form data");
	if (n > max)
		return fail(why, 413, "form field too long");
	char *p = portal_alloc(a, n + 1);
	if (!p)
		return fail(why, 413, "form data exceeds the request's memory");
	decode(p, s, len);
	/* A NUL would make the C string differ from its length: refused rather than
	 * silently truncated by whoever reads it as a C string. */
	if (memchr(p, '\0', n))
		return fail(why, 400, "NUL byte in form data");
	if (!utf8_valid(p, n))
		return fail(why, 400, "form data is not valid UTF-8");
	*out = p;
	*out_len = n;
	return 0;
}

static int parse_pair(struct portal_arena *a, const char *s, size_t len,
                      const struct parse_limits *lim, struct portal_value *obj, const char **why)
{
	const char *eq = memchr(s, '=', len);
	size_t raw_name = eq ? (size_t)(eq - s) : len;
	const char *raw_value = eq ? eq + 1 : s + len;
	size_t raw_value_len = len - (size_t)(raw_value - s);
	char *name, *value;
	size_t name_len, value_len;
	int rc;

	rc = decode_part(a, s, raw_name, lim->max_name, &name, &name_len, why);
	if (rc)
		return rc;
	rc = decode_part(a, raw_value, raw_value_len, lim->max_value, &value, &value_len, why);
	if (rc)
		return rc;
	if (form_field_add(a, obj, name, value, value_len))
		return fail(why, 413, "form data exceeds the request's memory");
	return 0;
}

int form_parse(struct portal_arena *a, const char *s, size_t len, const struct parse_limits *lim,
               struct portal_value *obj, const char **why)
{
	size_t fields = 0;

	if (!obj || obj->type != PV_OBJECT)
		return fail(why, 500, "form parser called without an object");
	for (size_t i = 0; i < len;) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - s) : len;

		/* "a=1&&b=2" and "=x" come from sloppy clients: nothing to keep. */
		if (end > i && s[i] != '=') {
			if (fields == lim->max_fields)
				return fail(why, 413, "too many form fields");
			fields++;
			int rc = parse_pair(a, s + i, end - i, lim, obj, why);
			if (rc)
				return rc;
		}
		if (!amp)
			break;
		i = end + 1;
	}
	return 0;
}
