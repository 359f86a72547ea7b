/* libFuzzer target: json_parse, then json_render, which must read back as the
 * same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "http/parse.h"

static const struct parse_limits limits = {
    .max_fields = 256,
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
	struct portal_arena *a = arena_new(8 << 20);
	struct portal_value *v = NULL, *again = NULL;
	struct buf first = {0}, second = {0};
	const char *why = NULL;

	if (!a)
		return 0;
	int rc = json_parse(a, (const char *)data, size, &limits, &v, &why);
	if (rc != 0 && rc != 400 && rc != 413)
		abort();
	if (rc && !why)
		abort();
	if (rc == 0) {
		if (!v || v->type != PV_OBJECT || json_render(v, &first))
			abort();
		/* What we render we read back the same, and "</" never appears. */
		if (memmem(first.data, first.len, "</", 2))
			abort();
		if (json_parse(a, first.data, first.len, &limits, &again, &why))
			abort();
		if (json_render(again, &second) || second.len != first.len ||
		    memcmp(first.data, second.data, first.len))
			abort();
	}
	buf_free(&first);
	buf_free(&second);
	arena_free(a);
	return 0;
}
