/* libFuzzer target for the template engine and the locale catalogs.
 *
 * The first byte chooses where the rest splits: its low 7 bits place the split
 * (0..127 of the length), its high bit says what the second part is: a partial
 * named "part" (clear) or a locale catalog (set). The first part is compiled as
 * template "main" and rendered against a fixed value tree whose strings carry
 * markup. Whatever happens must stay within the sanitizers, and a template
 * without {{&...}} must never let the tree's "<xss" through unescaped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "view/template.h"

/* Live as long as the process: reachable, so no leak is reported. */
static struct portal_arena *tree_arena;
static struct portal_value *tree;

static struct portal_value *item(struct portal_arena *a, const char *name, const char *href,
                                 bool current)
{
	struct portal_value *o = pv_object(a);
	pv_set_str(a, o, "name", name);
	pv_set_str(a, o, "href", href);
	pv_set_bool(a, o, "current", current);
	return o;
}

static struct portal_value *build_tree(struct portal_arena *a)
{
	struct portal_value *root = pv_object(a);
	pv_set_str(a, root, "s", "<xss>\"'`= &amp; </script>");
	pv_set_str(a, root, "q", "\" onmouseover=\"<xss>");
	pv_set_str(a, root, "u", "javascript:alert('<xss>')");
	pv_set_str(a, root, "v", " JaVaScRiPt:x");
	pv_set_str(a, root, "w", "https://example.com/?a=1&b=<xss>");
	pv_set_str(a, root, "e", "");
	pv_set_str(a, root, "t", "{{s}}");
	pv_set(a, root, "z", pv_stringn(a, "a\0<xss>", 7));
	pv_set_int(a, root, "n", 404);
	pv_set(a, root, "d", pv_double(a, -1.5e300));
	pv_set_bool(a, root, "yes", true);
	pv_set_bool(a, root, "no", false);
	pv_set(a, root, "nil", pv_null(a));
	struct portal_value *list = pv_list(a);
	pv_push(a, list, item(a, "<xss>one", "/one", false));
	pv_push(a, list, item(a, "two", "javascript:<xss>", true));
	pv_set(a, root, "list", list);
	struct portal_value *words = pv_list(a);
	pv_push(a, words, pv_string(a, "<xss>"));
	pv_push(a, words, pv_int(a, 7));
	pv_push(a, words, pv_list(a));
	pv_set(a, root, "words", words);
	pv_set(a, root, "empty", pv_list(a));
	struct portal_value *obj = pv_object(a);
	pv_set_str(a, obj, "title", "<xss>title");
	pv_set_str(a, obj, "color", "#1f5fa8");
	pv_set(a, obj, "root", root); /* a cycle: the engine must not care */
	pv_set(a, root, "obj", obj);
	return root;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	tree_arena = arena_new(1 << 20);
	tree = tree_arena ? build_tree(tree_arena) : NULL;
	if (!tree)
		abort();
	return 0;
}

/* locale_load reads a path: hand it the bytes through an anonymous file. */
static struct locale *load_locale(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_locale", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct locale *loc = NULL;
	if (size == 0 || write(fd, data, size) == (ssize_t)size) {
		char path[64], err[256];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		loc = locale_load(path, err, sizeof err);
	}
	close(fd);
	return loc;
}

static void check_escaped(const uint8_t *data, size_t size, const struct buf *out)
{
	if (out->len == 0 || memmem(data, size, "{{&", 3) || memmem(data, size, "xss", 3))
		return;
	if (memmem(out->data, out->len, "<xss", 4)) {
		fprintf(stderr, "unescaped value in the output:\n%.*s\n", (int)out->len, out->data);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	data++;
	size--;
	size_t split = size * (sel & 0x7f) / 127;
	struct tpl_set *set = tpl_set_new();
	if (!set)
		return 0;
	char err[256];
	struct locale *loc = NULL;
	if (sel & 0x80)
		loc = load_locale(data + split, size - split);
	else
		tpl_compile(set, "part", (const char *)data + split, size - split, err, sizeof err);
	const struct tpl *t = tpl_compile(set, "main", (const char *)data, split, err, sizeof err);
	if (t) {
		struct buf out = {0};
		if (tpl_render(set, t, tree, loc, &out) == 0)
			check_escaped(data, size, &out);
		buf_free(&out);
	}
	locale_free(loc);
	tpl_set_free(set);
	return 0;
}
