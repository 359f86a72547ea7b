/* libFuzzer target: form_parse on urlencoded bodies and query strings. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/arena.h"
#include "http/parse.h"

static const struct parse_limits limits = {
    .max_fields = 64,
    .max_parts = 8,
    .max_name = 64,
    .max_value = 1024,
    .max_file = 4096,
    .max_depth = 16,
    .max_header = 256,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct portal_arena *a = arena_new(4 << 20);
	struct portal_value *obj = a ? pv_object(a) : NULL;
	const char *why = NULL;

	if (!obj) {
		arena_free(a);
		return 0;
	}
	int rc = form_parse(a, (const char *)data, size, &limits, obj, &why);
	if (rc != 0 && rc != 400 && rc != 413)
		abort();
	if (rc && !why)
		abort();
	if (rc == 0) {
		/* Names and values were validated, so the object must render. */
		struct buf b = {0};
		if (json_render(obj, &b))
			abort();
		buf_free(&b);
	}
	arena_free(a);
	return 0;
}
