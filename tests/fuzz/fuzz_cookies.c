/* libFuzzer target: cookies_parse on a Cookie header. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A header arrives as a C string. */
	char *header = malloc(size + 1);
	struct portal_arena *a = arena_new(4 << 20);
	struct portal_value *obj = a ? pv_object(a) : NULL;

	if (!header || !obj) {
		free(header);
		arena_free(a);
		return 0;
	}
	if (size)
		memcpy(header, data, size);
	header[size] = '\0';
	if (cookies_parse(a, header, obj))
		abort(); /* the arena is far bigger than any input */
	pv_foreach(m, obj) {
		const struct portal_value *v = m->value;
		if (!m->key[0] || v->type != PV_STRING || !utf8_valid(v->u.s.ptr, v->u.s.len))
			abort();
		for (size_t i = 0; i < v->u.s.len; i++) {
			if ((unsigned char)v->u.s.ptr[i] < 0x20)
				abort();
		}
	}
	struct buf b = {0};
	if (json_render(obj, &b))
		abort();
	buf_free(&b);
	free(header);
	arena_free(a);
	return 0;
}
