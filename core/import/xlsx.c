/* The .xlsx reader of the import: libzip for the package, expat for its XML, streamed
 * chunk by chunk so that no part is ever held whole. The path to the first worksheet
 * is followed as the package says (_rels/.rels -> workbook -> its relationships), not
 * assumed to be xl/worksheets/sheet1.xml: LibreOffice, Excel and generators differ.
 *
 * A zip bomb is refused twice: by the sizes the archive declares before inflating,
 * and by counting what is actually inflated, because the declared sizes are the
 * attacker's to choose. Both count all parts read together against max_inflated. */
#include "import/import.h"

#include <expat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "http/parse.h"

enum {
	XLSX_CHUNK = 64 << 10,   /* inflated bytes handed to expat at a time */
	XLSX_PATH_MAX = 512,     /* bytes of a part name */
	XLSX_MAX_ROW = 1048576,  /* the last row of a worksheet */
	XLSX_MAX_COLUMN = 16384, /* XFD, the last column */
	XLSX_RELS_EXTRA = 64,    /* relationships beyond the entries (external links) */
};

/* What expat may allocate for one part. Real parts need a few hundred KiB; a start tag
 * with millions of attributes or millions of nested elements, which expat must hold
 * whole, would otherwise turn a few MiB of zip into GiB of heap. */
#define XLSX_XML_MEMORY ((size_t)32 << 20)

#define XLSX_NS_SEP '|' /* expat joins namespace and local name with it */

struct xlsx {
	zip_t *zip;
	const struct import_limits *lim;
	struct import_err *e;
	size_t inflated;   /* bytes inflated so far, all parts */
	const char *part;  /* the part being parsed, for messages */
	XML_Parser parser; /* the parser of that part */
	int status;        /* set by a handler that stopped the parser */
	char *chunk;       /* XLSX_CHUNK bytes */
};

/* The state of every part's handlers starts with this, so the generic code and the
 * handlers can reach the reader. */
struct xlsx_state {
	struct xlsx *x;
	unsigned depth; /* of the element being read, the root is 1 */
	size_t rels;    /* relationships seen, in a .rels part */
};

struct xlsx_handlers {
	XML_StartElementHandler start;
	XML_EndElementHandler end;
	XML_CharacterDataHandler text; /* NULL when the part's text does not matter */
};

/* ---- Expat's memory, counted ---- */

/* Expat's allocation functions take no context, so the count is per thread; parts are
 * parsed one after another, never two at a time in one thread. */
static _Thread_local size_t xlsx_mem_used;

union xlsx_mem_head {
	size_t size;
	max_align_t align; /* so that what follows is aligned for anything */
};

static void *xlsx_malloc(size_t n)
{
	if (n > XLSX_XML_MEMORY - xlsx_mem_used)
		return NULL; /* expat reports XML_ERROR_NO_MEMORY */
	union xlsx_mem_head *h = malloc(sizeof *h + n);
	if (!h)
		return NULL;
	h->size = n;
	xlsx_mem_used += n;
	return h + 1;
}

static void xlsx_free(void *p)
{
	if (!p)
		return;
	union xlsx_mem_head *h = (union xlsx_mem_head *)p - 1;
	xlsx_mem_used -= h->size;
	free(h);
}

static void *xlsx_realloc(void *p, size_t n)
{
	if (!p)
		return xlsx_malloc(n);
	union xlsx_mem_head *h = (union xlsx_mem_head *)p - 1;
	size_t old = h->size;
	if (n > old && n - old > XLSX_XML_MEMORY - xlsx_mem_used)
		return NULL;
	union xlsx_mem_head *moved = realloc(h, sizeof *moved + n);
	if (!moved)
		return NULL;
	moved->size = n;
	xlsx_mem_used = xlsx_mem_used - old + n;
	return moved + 1;
}

static const XML_Memory_Handling_Suite xlsx_memory = {xlsx_malloc, xlsx_realloc, xlsx_free};

/* ---- XML helpers ---- */

static const char *xlsx_local(const char *name)
{
	const char *p = strrchr(name, XLSX_NS_SEP);
	return p ? p + 1 : name;
}

static bool xlsx_is(const char *name, const char *local)
{
	return strcmp(xlsx_local(name), local) == 0;
}

/* An attribute without namespace ("r", "t", "Id", "Target"). */
static const char *xlsx_attr(const char **attrs, const char *name)
{
	for (size_t i = 0; attrs[i]; i += 2) {
		if (strcmp(attrs[i], name) == 0)
			return attrs[i + 1];
	}
	return NULL;
}

/* r:id, whatever the prefix, in the transitional or the strict namespace. */
static const char *xlsx_attr_rel_id(const char **attrs)
{
	static const char suffix[] = "/relationships|id";
	size_t m = sizeof suffix - 1;

	for (size_t i = 0; attrs[i]; i += 2) {
		size_t n = strlen(attrs[i]);
		if (n >= m && strcmp(attrs[i] + n - m, suffix) == 0)
			return attrs[i + 1];
	}
	return NULL;
}

static bool xlsx_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Stops the parser from inside a handler; the explanation is already written. */
static void xlsx_stop(struct xlsx *x, int status)
{
	if (!x->status)
		x->status = status;
	XML_StopParser(x->parser, XML_FALSE);
}

static int xlsx_fail(struct xlsx *x, int status, const char *why)
{
	xlsx_stop(x, import_fail(x->e, status, "%s: %s", x->part, why));
	return status;
}

/* No part of an .xlsx has a DTD; refusing them keeps entity tricks out entirely. */
static void XMLCALL xlsx_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                                 const XML_Char *pubid, int has_internal)
{
	struct xlsx_state *st = ud;

	(void)name, (void)sysid, (void)pubid, (void)has_internal;
	xlsx_fail(st->x, 400, "a document type declaration is not allowed");
}

/* ---- Reading a part ---- */

static int xlsx_budget(struct xlsx *x, uint64_t more)
{
	if (more > x->lim->max_inflated - x->inflated)
		return import_fail(x->e, 400,
		                   "the .xlsx file inflates to more than %zu bytes: refused as a "
		                   "zip bomb",
		                   x->lim->max_inflated);
	return 0;
}

static int xlsx_feed(struct xlsx *x, zip_file_t *f)
{
	for (;;) {
		zip_int64_t n = zip_fread(f, x->chunk, XLSX_CHUNK);
		if (n < 0)
			return import_fail(x->e, 400, "the .xlsx file is damaged: %s: %s", x->part,
			                   zip_file_strerror(f));
		int rc = xlsx_budget(x, (uint64_t)n);
		if (rc)
			return rc;
		x->inflated += (size_t)n;
		if (XML_Parse(x->parser, x->chunk, (int)n, n == 0) != XML_STATUS_OK) {
			enum XML_Error code = XML_GetErrorCode(x->parser);
			if (x->status)
				return x->status;
			if (code == XML_ERROR_NO_MEMORY) /* mostly the cap, not the heap */
				return import_fail(x->e, 400, "%s needs more memory than allowed",
				                   x->part);
			return import_fail(x->e, 400, "%s is not well-formed XML (line %lu): %s",
			                   x->part,
			                   (unsigned long)XML_GetCurrentLineNumber(x->parser),
			                   XML_ErrorString(code));
		}
		if (n == 0)
			return 0;
	}
}

static int xlsx_parse_entry(struct xlsx *x, zip_int64_t index, const struct xlsx_handlers *h,
                            struct xlsx_state *st)
{
	zip_stat_t zs;

	zip_stat_init(&zs);
	if (zip_stat_index(x->zip, (zip_uint64_t)index, 0, &zs))
		return import_fail(x->e, 400, "the .xlsx file is damaged: %s: %s", x->part,
		                   zip_strerror(x->zip));
	if ((zs.valid & ZIP_STAT_SIZE) && xlsx_budget(x, zs.size))
		return 400;
	zip_file_t *f = zip_fopen_index(x->zip, (zip_uint64_t)index, 0);
	if (!f)
		return import_fail(x->e, 400, "the .xlsx file is damaged: %s: %s", x->part,
		                   zip_strerror(x->zip));
	x->parser = XML_ParserCreate_MM(NULL, &xlsx_memory, (const XML_Char[]){XLSX_NS_SEP, 0});
	if (!x->parser) {
		zip_fclose(f);
		return import_fail(x->e, 500, "out of memory");
	}
	st->x = x;
	x->status = 0;
	XML_SetUserData(x->parser, st);
	XML_SetElementHandler(x->parser, h->start, h->end);
	if (h->text)
		XML_SetCharacterDataHandler(x->parser, h->text);
	XML_SetStartDoctypeDeclHandler(x->parser, xlsx_doctype);

	int rc = xlsx_feed(x, f);
	XML_ParserFree(x->parser);
	x->parser = NULL;
	if (zip_fclose(f) && !rc)
		rc = import_fail(x->e, 400, "the .xlsx file is damaged: %s", x->part);
	return rc;
}

/* Parses the part called name with h; *found (may be NULL when required) says
 * whether it exists. A missing required part is 400. */
static int xlsx_parse_part(struct xlsx *x, const char *name, bool required,
                           const struct xlsx_handlers *h, struct xlsx_state *st, bool *found)
{
	/* Part names compare without case (ECMA-376 part 2, 9.1.1.1). */
	zip_int64_t index = zip_name_locate(x->zip, name, ZIP_FL_NOCASE);

	if (found)
		*found = index >= 0;
	if (index < 0)
		return required ? import_fail(x->e, 400, "the .xlsx file has no part %s", name) : 0;
	x->part = name;
	return xlsx_parse_entry(x, index, h, st);
}

/* ---- Part names ---- */

/* Resolves a relationship's target against the folder of its source part ("xl/"),
 * ".." and "." included, into out. -1 when it leaves the package or is too long. */
static int xlsx_resolve(const char *dir, const char *target, char out[XLSX_PATH_MAX])
{
	char path[2 * XLSX_PATH_MAX];
	size_t n = 0;

	if (target[0] == '/') {
		dir = "";
		target++;
	}
	if (strlen(dir) + strlen(target) >= sizeof path)
		return -1;
	snprintf(path, sizeof path, "%s%s", dir, target);

	for (char *seg = path, *next; seg; seg = next) {
		next = strchr(seg, '/');
		if (next)
			*next++ = '\0';
		if (*seg == '\0' || strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			if (n == 0)
				return -1;
			while (n > 0 && out[n - 1] != '/')
				n--;
			n = n > 0 ? n - 1 : 0; /* the '/' before the dropped segment */
			continue;
		}
		size_t len = strlen(seg);
		if (n + (n ? 1 : 0) + len >= XLSX_PATH_MAX)
			return -1;
		if (n)
			out[n++] = '/';
		memcpy(out + n, seg, len);
		n += len;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

/* "xl/workbook.xml" -> dir "xl/" and rels "xl/_rels/workbook.xml.rels". */
static void xlsx_part_dir(const char *part, char dir[XLSX_PATH_MAX])
{
	const char *slash = strrchr(part, '/');
	size_t n = slash ? (size_t)(slash - part) + 1 : 0;

	memcpy(dir, part, n);
	dir[n] = '\0';
}

static int xlsx_rels_name(const char *part, char rels[XLSX_PATH_MAX])
{
	char dir[XLSX_PATH_MAX];

	xlsx_part_dir(part, dir);
	int n = snprintf(rels, XLSX_PATH_MAX, "%s_rels/%s.rels", dir, part + strlen(dir));
	return n < 0 || n >= XLSX_PATH_MAX ? -1 : 0;
}

/* ---- _rels/.rels: where the workbook is ---- */

struct xlsx_package {
	struct xlsx_state st;
	char workbook[XLSX_PATH_MAX];
};

/* Each relationship of a workbook is looked up among its sheets; a part cannot have
 * many more than the archive has entries. */
static bool xlsx_count_rel(struct xlsx_state *st)
{
	if (++st->rels <= st->x->lim->max_entries + XLSX_RELS_EXTRA)
		return true;
	xlsx_fail(st->x, 400, "more relationships than the archive has entries");
	return false;
}

static bool xlsx_internal(const char **attrs)
{
	const char *mode = xlsx_attr(attrs, "TargetMode");
	return !mode || strcmp(mode, "Internal") == 0;
}

static void XMLCALL xlsx_package_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xlsx_package *pk = ud;
	const char *type = xlsx_attr(attrs, "Type"), *target = xlsx_attr(attrs, "Target");

	pk->st.depth++;
	if (pk->st.depth != 2 || !xlsx_is(name, "Relationship") || !xlsx_count_rel(&pk->st) ||
	    pk->workbook[0])
		return;
	if (type && target && xlsx_has_suffix(type, "/officeDocument") && xlsx_internal(attrs) &&
	    xlsx_resolve("", target, pk->workbook))
		xlsx_fail(pk->st.x, 400, "the workbook's name is not valid");
}

static void XMLCALL xlsx_depth_end(void *ud, const XML_Char *name)
{
	struct xlsx_state *st = ud;

	(void)name;
	st->depth--;
}

/* ---- The workbook: which sheet comes first ---- */

struct xlsx_sheet_ref {
	char *rel_id;
	bool hidden;
	char *target; /* the worksheet's part, from the workbook's relationships */
};

struct xlsx_workbook {
	struct xlsx_state st;
	struct xlsx_sheet_ref *sheets;
	size_t nsheets, cap;
	char strings[XLSX_PATH_MAX]; /* the shared strings' part, "" when none */
	char dir[XLSX_PATH_MAX];     /* the workbook's folder, which targets are relative to */
};

static int xlsx_add_sheet(struct xlsx_workbook *wb, const char *rel_id, bool hidden)
{
	if (wb->nsheets == wb->cap) {
		size_t cap = wb->cap ? wb->cap * 2 : 8;
		struct xlsx_sheet_ref *p = realloc(wb->sheets, cap * sizeof *p);
		if (!p)
			return -1;
		wb->sheets = p;
		wb->cap = cap;
	}
	char *id = strdup(rel_id);
	if (!id)
		return -1;
	wb->sheets[wb->nsheets++] = (struct xlsx_sheet_ref){.rel_id = id, .hidden = hidden};
	return 0;
}

/* <workbook><sheets><sheet name="..." r:id="rId1" state="hidden"/>: in tab order. */
static void XMLCALL xlsx_workbook_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xlsx_workbook *wb = ud;
	struct xlsx *x = wb->st.x;

	wb->st.depth++;
	if (wb->st.depth != 3 || !xlsx_is(name, "sheet"))
		return;
	/* Every sheet is a part of its own, so more sheets than entries is no workbook. */
	if (wb->nsheets >= x->lim->max_entries) {
		xlsx_fail(x, 400, "more sheets than the archive has entries");
		return;
	}
	const char *id = xlsx_attr_rel_id(attrs), *state = xlsx_attr(attrs, "state");
	if (!id) {
		xlsx_fail(x, 400, "a sheet without r:id");
		return;
	}
	bool hidden = state && strcmp(state, "visible") != 0;
	if (xlsx_add_sheet(wb, id, hidden))
		xlsx_stop(x, import_fail(x->e, 500, "out of memory"));
}

static void xlsx_rel_sheet(struct xlsx_workbook *wb, const char *id, const char *target)
{
	char part[XLSX_PATH_MAX];

	for (size_t i = 0; i < wb->nsheets; i++) {
		struct xlsx_sheet_ref *s = &wb->sheets[i];
		if (s->target || strcmp(s->rel_id, id) != 0)
			continue;
		if (xlsx_resolve(wb->dir, target, part)) {
			xlsx_fail(wb->st.x, 400, "a sheet's name is not valid");
			return;
		}
		if (!(s->target = strdup(part)))
			xlsx_stop(wb->st.x, import_fail(wb->st.x->e, 500, "out of memory"));
		return;
	}
}

/* <Relationships><Relationship Id Type Target/>: only the sheets listed and the
 * shared strings are kept, so a bloated part cannot make this grow. */
static void XMLCALL xlsx_wbrels_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xlsx_workbook *wb = ud;
	const char *id = xlsx_attr(attrs, "Id"), *type = xlsx_attr(attrs, "Type");
	const char *target = xlsx_attr(attrs, "Target");

	wb->st.depth++;
	if (wb->st.depth != 2 || !xlsx_is(name, "Relationship") || !xlsx_count_rel(&wb->st) ||
	    !id || !type || !target || !xlsx_internal(attrs))
		return;
	if (xlsx_has_suffix(type, "/worksheet")) {
		xlsx_rel_sheet(wb, id, target);
	} else if (xlsx_has_suffix(type, "/sharedStrings") && !wb->strings[0]) {
		if (xlsx_resolve(wb->dir, target, wb->strings))
			xlsx_fail(wb->st.x, 400, "the shared strings' name is not valid");
	}
}

static void xlsx_workbook_free(struct xlsx_workbook *wb)
{
	for (size_t i = 0; i < wb->nsheets; i++) {
		free(wb->sheets[i].rel_id);
		free(wb->sheets[i].target);
	}
	free(wb->sheets);
}

/* The first visible worksheet, as a person opening the file sees it first; when all
 * are hidden, the first worksheet. Chart sheets have no cells and are passed over. */
static const char *xlsx_first_sheet(const struct xlsx_workbook *wb)
{
	const char *first = NULL;

	for (size_t i = 0; i < wb->nsheets; i++) {
		if (!wb->sheets[i].target)
			continue;
		if (!wb->sheets[i].hidden)
			return wb->sheets[i].target;
		if (!first)
			first = wb->sheets[i].target;
	}
	return first;
}

/* ---- Text of shared and inline strings ---- */

static int xlsx_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The code point of "_xHHHH_" at s, or -1. */
static long xlsx_escape_at(const char *s, size_t len)
{
	long cp = 0;

	if (len < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
		return -1;
	for (int i = 2; i < 6; i++) {
		int h = xlsx_hex(s[i]);
		if (h < 0)
			return -1;
		cp = cp * 16 + h;
	}
	return cp;
}

static size_t xlsx_put_utf8(char *out, long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	out[0] = (char)(0xE0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[2] = (char)(0x80 | (cp & 0x3F));
	return 3;
}

/* Excel writes characters XML cannot carry as "_xHHHH_" (a CR as _x000D_, a literal
 * "_x" as _x005F_x). Decoded in place (never longer), control characters other than
 * tab and line ends dropped, CRLF made LF as in the CSV reader. */
static void xlsx_unescape(struct buf *b)
{
	size_t r = 0, w = 0;

	while (r < b->len) {
		long cp = xlsx_escape_at(b->data + r, b->len - r);
		if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF)) {
			b->data[w++] = b->data[r++];
			continue;
		}
		r += 7;
		if (cp >= 0x20 || cp == '\t' || cp == '\n' || cp == '\r')
			w += xlsx_put_utf8(b->data + w, cp);
	}
	b->len = w;

	r = w = 0;
	for (; r < b->len; r++) {
		if (!(b->data[r] == '\r' && r + 1 < b->len && b->data[r + 1] == '\n'))
			b->data[w++] = b->data[r];
	}
	b->len = w;
	if (b->data)
		b->data[w] = '\0';
}

/* Raw text of one cell before unescaping and trimming: generous, as "_x000D_" is
 * seven bytes for one, but bounded so a cell cannot take all of max_inflated. */
static int xlsx_collect(struct xlsx *x, struct buf *b, const char *s, int len)
{
	size_t max = x->lim->max_cell * 8 + 1024;

	if ((size_t)len > max || b->len > max - (size_t)len)
		return xlsx_fail(x, 413, "a text is too long");
	if (buf_append(b, s, (size_t)len)) {
		xlsx_stop(x, import_fail(x->e, 500, "out of memory"));
		return 500;
	}
	return 0;
}

/* ---- sharedStrings.xml ---- */

struct xlsx_strings {
	struct xlsx_state st;
	struct buf text;  /* every string, NUL-terminated, one after another */
	const char *base; /* text.data once the table owns it */
	size_t *offsets;  /* of each string in base */
	size_t count, cap;
	unsigned si_depth, t_depth, rph_depth;
	struct buf cur; /* the string being read */
};

/* <sst><si><t>text</t></si><si><r><t>rich</t></r><r><t> text</t></r></si>: the runs
 * of rich text are concatenated; <rPh> (phonetic hints for East Asian text) is not
 * part of the text. */
static void XMLCALL xlsx_sst_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xlsx_strings *ss = ud;
	unsigned d = ++ss->st.depth;

	(void)attrs;

	if (!ss->si_depth) {
		if (d == 2 && xlsx_is(name, "si")) {
			ss->si_depth = d;
			buf_reset(&ss->cur);
		}
	} else if (xlsx_is(name, "rPh") && !ss->rph_depth) {
		ss->rph_depth = d;
	} else if (xlsx_is(name, "t") && !ss->rph_depth && !ss->t_depth) {
		ss->t_depth = d;
	}
}

static int xlsx_sst_add(struct xlsx_strings *ss)
{
	struct xlsx *x = ss->st.x;

	if (ss->count >= x->lim->max_strings)
		return xlsx_fail(x, 413, "more distinct texts than allowed");
	if (ss->count == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 256;
		size_t *p = realloc(ss->offsets, cap * sizeof *p);
		if (!p)
			return xlsx_fail(x, 500, "out of memory");
		ss->offsets = p;
		ss->cap = cap;
	}
	xlsx_unescape(&ss->cur);
	size_t len = ss->cur.len;
	const char *s = import_trim(ss->cur.data ? ss->cur.data : "", &len);
	if (!utf8_valid(s, len) || memchr(s, '\0', len))
		return xlsx_fail(x, 400, "a text is not valid UTF-8");
	if (len > x->lim->max_cell)
		return xlsx_fail(x, 413, "a text is longer than allowed for a cell");
	ss->offsets[ss->count++] = ss->text.len;
	if (buf_append(&ss->text, s, len) || buf_append(&ss->text, "", 1))
		return xlsx_fail(x, 500, "out of memory");
	return 0;
}

static void XMLCALL xlsx_sst_end(void *ud, const XML_Char *name)
{
	struct xlsx_strings *ss = ud;
	unsigned d = ss->st.depth--;

	(void)name;
	if (ss->st.x->status) /* expat may deliver a last event after a stop */
		return;
	if (d == ss->t_depth)
		ss->t_depth = 0;
	else if (d == ss->rph_depth)
		ss->rph_depth = 0;
	else if (d == ss->si_depth) {
		ss->si_depth = 0;
		xlsx_sst_add(ss);
	}
}

static void XMLCALL xlsx_sst_text(void *ud, const XML_Char *s, int len)
{
	struct xlsx_strings *ss = ud;

	if (ss->t_depth && !ss->rph_depth && !ss->st.x->status)
		xlsx_collect(ss->st.x, &ss->cur, s, len);
}

static const char *xlsx_string(const struct xlsx_strings *ss, size_t i)
{
	return i < ss->count ? ss->base + ss->offsets[i] : NULL;
}

static void xlsx_strings_free(struct xlsx_strings *ss)
{
	buf_free(&ss->text);
	buf_free(&ss->cur);
	free(ss->offsets);
}

/* ---- Numbers ---- */

struct xlsx_num {
	bool negative;
	const char *digits; /* integer part, then fraction */
	size_t int_len, frac_len;
	const char *frac;
	bool has_exp;
	long exp;
};

static size_t xlsx_digits(const char *s, size_t len)
{
	size_t n = 0;
	while (n < len && s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

/* [-+]digits[.digits][E[-+]digits], as a <v> holds a number. false otherwise. */
static bool xlsx_num_parse(const char *s, size_t len, struct xlsx_num *n)
{
	size_t i = 0;

	*n = (struct xlsx_num){0};
	if (i < len && (s[i] == '-' || s[i] == '+'))
		n->negative = s[i++] == '-';
	n->digits = s + i;
	n->int_len = xlsx_digits(s + i, len - i);
	i += n->int_len;
	if (i < len && s[i] == '.') {
		i++;
		n->frac = s + i;
		n->frac_len = xlsx_digits(s + i, len - i);
		i += n->frac_len;
	}
	if (n->int_len + n->frac_len == 0)
		return false;
	if (i < len && (s[i] == 'E' || s[i] == 'e')) {
		i++;
		bool neg = i < len && s[i] == '-';
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		size_t d = xlsx_digits(s + i, len - i);
		if (d == 0 || d > 4) /* beyond any double's exponent: leave it alone */
			return false;
		for (size_t k = 0; k < d; k++)
			n->exp = n->exp * 10 + (s[i + k] - '0');
		n->exp = neg ? -n->exp : n->exp;
		n->has_exp = true;
		i += d;
	}
	return i == len;
}

/* The decimal digit at position k of int||frac, '0' past the end. */
static char xlsx_num_digit(const struct xlsx_num *n, long k)
{
	if (k < 0)
		return '0';
	if ((size_t)k < n->int_len)
		return n->digits[k];
	if ((size_t)k < n->int_len + n->frac_len)
		return n->frac[k - (long)n->int_len];
	return '0';
}

/* Writes an integer value as plain digits into out, or returns false when the value
 * has a fraction or would be longer than out. */
static bool xlsx_num_integer(const struct xlsx_num *n, char *out, size_t size)
{
	long total = (long)(n->int_len + n->frac_len);
	long point = (long)n->int_len + n->exp; /* digits before the decimal point */
	size_t w = 0;

	for (long k = point > 0 ? point : 0; k < total; k++) {
		if (xlsx_num_digit(n, k) != '0')
			return false;
	}
	if (point > (long)size - 2)
		return false;
	if (n->negative)
		out[w++] = '-';
	size_t first = w;
	for (long k = 0; k < point; k++) {
		char c = xlsx_num_digit(n, k);
		if (c == '0' && w == first)
			continue; /* leading zero */
		out[w++] = c;
	}
	if (w == first) { /* zero: no sign either */
		w = 0;
		out[w++] = '0';
	}
	out[w] = '\0';
	return true;
}

/* Numbers keep the text Excel or LibreOffice wrote (the shortest that round-trips,
 * with '.'), so nothing is lost to a double: only "1067.0" and integers written with
 * an exponent ("1.2345E+5", as long reference numbers are) become plain digits. */
static int xlsx_number(struct buf *b)
{
	struct xlsx_num n;
	char out[40];
	size_t len = b->len;
	const char *s = import_trim(b->data ? b->data : "", &len);

	if (!xlsx_num_parse(s, len, &n) || (!n.has_exp && !n.frac) ||
	    !xlsx_num_integer(&n, out, sizeof out))
		return 0; /* kept as written */
	buf_reset(b);
	return buf_puts(b, out);
}

/* ---- The worksheet ---- */

enum xlsx_type { XLSX_T_NUMBER, XLSX_T_SHARED, XLSX_T_TEXT, XLSX_T_ERROR };

struct xlsx_sheet {
	struct xlsx_state st;
	const struct xlsx_strings *strings;
	struct import_builder *b;
	unsigned data_depth, row_depth, cell_depth, value_depth, is_depth, t_depth, rph_depth;
	unsigned long last_row; /* 0 before the first */
	size_t next_col;        /* of a cell without r */
	size_t col;
	enum xlsx_type type;
	bool has_value;
	struct buf text;
};

struct xlsx_type_name {
	const char *name;
	enum xlsx_type type;
};

/* t="d" (an ISO 8601 date) stays text: dates are not interpreted by the import. */
static const struct xlsx_type_name xlsx_types[] = {
    {"n", XLSX_T_NUMBER}, {"s", XLSX_T_SHARED}, {"inlineStr", XLSX_T_TEXT}, {"str", XLSX_T_TEXT},
    {"b", XLSX_T_TEXT},   {"d", XLSX_T_TEXT},   {"e", XLSX_T_ERROR},
};

static int xlsx_cell_type(const char *t, enum xlsx_type *type)
{
	*type = XLSX_T_NUMBER;
	if (!t)
		return 0;
	for (size_t i = 0; i < sizeof xlsx_types / sizeof xlsx_types[0]; i++) {
		if (strcmp(t, xlsx_types[i].name) == 0) {
			*type = xlsx_types[i].type;
			return 0;
		}
	}
	return -1;
}

/* "C7" -> column 2 (0-based); the digits are the row, which <row r> already gave. */
static int xlsx_cell_column(const char *ref, size_t *col)
{
	size_t c = 0, i = 0;

	for (; (ref[i] >= 'A' && ref[i] <= 'Z') || (ref[i] >= 'a' && ref[i] <= 'z'); i++) {
		if (i >= 3)
			return -1;
		c = c * 26 + (size_t)((ref[i] | 0x20) - 'a' + 1);
	}
	if (i == 0 || c > XLSX_MAX_COLUMN)
		return -1;
	for (; ref[i]; i++) {
		if (ref[i] < '0' || ref[i] > '9')
			return -1;
	}
	*col = c - 1;
	return 0;
}

static int xlsx_row_number(const char *r, unsigned long *row)
{
	unsigned long v = 0;

	if (!*r)
		return -1;
	for (; *r; r++) {
		if (*r < '0' || *r > '9' || v > XLSX_MAX_ROW)
			return -1;
		v = v * 10 + (unsigned long)(*r - '0');
	}
	if (v == 0 || v > XLSX_MAX_ROW)
		return -1;
	*row = v;
	return 0;
}

/* <row r="7">: r is the number the spreadsheet shows; without it, the next one. */
static void xlsx_row_start(struct xlsx_sheet *sh, const char **attrs)
{
	const char *r = xlsx_attr(attrs, "r");
	unsigned long row = sh->last_row + 1;
	char why[64];

	if (r && xlsx_row_number(r, &row)) {
		xlsx_fail(sh->st.x, 400, "a row number is not valid");
		return;
	}
	if (row <= sh->last_row || row > XLSX_MAX_ROW) {
		snprintf(why, sizeof why, "row %lu comes after row %lu", row, sh->last_row);
		xlsx_fail(sh->st.x, 400, why);
		return;
	}
	sh->last_row = row;
	sh->b->row = row;
	sh->next_col = 0;
	sh->row_depth = sh->st.depth;
}

static void xlsx_cell_start(struct xlsx_sheet *sh, const char **attrs)
{
	const char *r = xlsx_attr(attrs, "r");
	char why[64];

	sh->col = sh->next_col;
	if ((r && xlsx_cell_column(r, &sh->col)) || sh->col >= XLSX_MAX_COLUMN) {
		snprintf(why, sizeof why, "row %lu: a cell reference is not valid", sh->last_row);
		xlsx_fail(sh->st.x, 400, why);
		return;
	}
	if (xlsx_cell_type(xlsx_attr(attrs, "t"), &sh->type)) {
		snprintf(why, sizeof why, "row %lu: a cell type is not valid", sh->last_row);
		xlsx_fail(sh->st.x, 400, why);
		return;
	}
	sh->next_col = sh->col + 1;
	sh->has_value = false;
	buf_reset(&sh->text);
	sh->cell_depth = sh->st.depth;
}

/* Inside a cell: <v> holds the value (a formula's <f> is skipped), <is> an inline
 * string as rich text like a shared string's. */
static void xlsx_cell_child(struct xlsx_sheet *sh, const char *name)
{
	unsigned d = sh->st.depth;

	if (d == sh->cell_depth + 1 && xlsx_is(name, "v")) {
		sh->value_depth = d;
		sh->has_value = true;
	} else if (d == sh->cell_depth + 1 && xlsx_is(name, "is")) {
		sh->is_depth = d;
		sh->has_value = true;
	} else if (sh->is_depth && !sh->rph_depth && xlsx_is(name, "rPh")) {
		sh->rph_depth = d;
	} else if (sh->is_depth && !sh->rph_depth && !sh->t_depth && xlsx_is(name, "t")) {
		sh->t_depth = d;
	}
}

static void XMLCALL xlsx_sheet_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xlsx_sheet *sh = ud;
	unsigned d = ++sh->st.depth;

	if (sh->st.x->status)
		return;
	if (!sh->data_depth) {
		if (d == 2 && xlsx_is(name, "sheetData"))
			sh->data_depth = d;
	} else if (!sh->row_depth) {
		if (d == sh->data_depth + 1 && xlsx_is(name, "row"))
			xlsx_row_start(sh, attrs);
	} else if (!sh->cell_depth) {
		if (d == sh->row_depth + 1 && xlsx_is(name, "c"))
			xlsx_cell_start(sh, attrs);
	} else {
		xlsx_cell_child(sh, name);
	}
}

static int xlsx_shared_cell(struct xlsx_sheet *sh)
{
	size_t len = sh->text.len, index = 0;
	const char *s = import_trim(sh->text.data ? sh->text.data : "", &len);
	size_t digits = xlsx_digits(s, len);
	const char *str = NULL;
	char why[96];

	for (size_t i = 0; i < digits && i < 10; i++)
		index = index * 10 + (size_t)(s[i] - '0');
	if (digits == len && digits > 0 && digits <= 10)
		str = xlsx_string(sh->strings, index);
	if (!str) {
		snprintf(why, sizeof why, "row %lu: a cell refers to a text that does not exist",
		         sh->last_row);
		return xlsx_fail(sh->st.x, 400, why);
	}
	return import_builder_shared(sh->b, sh->col, str);
}

static int xlsx_cell_end(struct xlsx_sheet *sh)
{
	if (!sh->has_value || sh->type == XLSX_T_ERROR)
		return 0;
	if (sh->type == XLSX_T_SHARED)
		return xlsx_shared_cell(sh);
	if (sh->type == XLSX_T_NUMBER && xlsx_number(&sh->text))
		return xlsx_fail(sh->st.x, 500, "out of memory");
	if (sh->type == XLSX_T_TEXT)
		xlsx_unescape(&sh->text);
	return import_builder_cell(sh->b, sh->col, sh->text.data ? sh->text.data : "",
	                           sh->text.len);
}

static void XMLCALL xlsx_sheet_end(void *ud, const XML_Char *name)
{
	struct xlsx_sheet *sh = ud;
	unsigned d = sh->st.depth--;
	int rc = 0;

	(void)name;
	if (sh->st.x->status) /* expat may deliver a last event after a stop */
		return;
	if (d == sh->t_depth) {
		sh->t_depth = 0;
	} else if (d == sh->rph_depth) {
		sh->rph_depth = 0;
	} else if (d == sh->is_depth) {
		sh->is_depth = 0;
	} else if (d == sh->value_depth) {
		sh->value_depth = 0;
	} else if (d == sh->cell_depth) {
		sh->cell_depth = 0;
		rc = xlsx_cell_end(sh);
	} else if (d == sh->row_depth) {
		sh->row_depth = 0;
		rc = import_builder_row(sh->b);
	} else if (d == sh->data_depth) {
		sh->data_depth = 0;
	}
	if (rc)
		xlsx_stop(sh->st.x, rc);
}

static void XMLCALL xlsx_sheet_text(void *ud, const XML_Char *s, int len)
{
	struct xlsx_sheet *sh = ud;

	if ((sh->value_depth || (sh->t_depth && !sh->rph_depth)) && !sh->st.x->status)
		xlsx_collect(sh->st.x, &sh->text, s, len);
}

/* ---- Putting it together ---- */

static const struct xlsx_handlers xlsx_package_handlers = {xlsx_package_start, xlsx_depth_end,
                                                           NULL};
static const struct xlsx_handlers xlsx_workbook_handlers = {xlsx_workbook_start, xlsx_depth_end,
                                                            NULL};
static const struct xlsx_handlers xlsx_wbrels_handlers = {xlsx_wbrels_start, xlsx_depth_end, NULL};
static const struct xlsx_handlers xlsx_sst_handlers = {xlsx_sst_start, xlsx_sst_end, xlsx_sst_text};
static const struct xlsx_handlers xlsx_sheet_handlers = {xlsx_sheet_start, xlsx_sheet_end,
                                                         xlsx_sheet_text};

/* Where the workbook is: the package's relationships say; xl/workbook.xml when a
 * writer left them out. */
static int xlsx_find_workbook(struct xlsx *x, char workbook[XLSX_PATH_MAX])
{
	struct xlsx_package pk = {0};
	int rc = xlsx_parse_part(x, "_rels/.rels", false, &xlsx_package_handlers, &pk.st, NULL);

	if (rc)
		return rc;
	snprintf(workbook, XLSX_PATH_MAX, "%s", pk.workbook[0] ? pk.workbook : "xl/workbook.xml");
	return 0;
}

/* The sheet to read and the shared strings' part ("" when none) into wb. */
static int xlsx_read_workbook(struct xlsx *x, struct xlsx_workbook *wb, const char **sheet)
{
	char workbook[XLSX_PATH_MAX], rels[XLSX_PATH_MAX];
	int rc;

	if ((rc = xlsx_find_workbook(x, workbook)) != 0)
		return rc;
	if ((rc = xlsx_parse_part(x, workbook, true, &xlsx_workbook_handlers, &wb->st, NULL)))
		return rc;
	if (xlsx_rels_name(workbook, rels))
		return import_fail(x->e, 400, "the workbook's name is too long");
	xlsx_part_dir(workbook, wb->dir);
	wb->st.depth = 0;
	if ((rc = xlsx_parse_part(x, rels, true, &xlsx_wbrels_handlers, &wb->st, NULL)))
		return rc;
	if (!(*sheet = xlsx_first_sheet(wb)))
		return import_fail(x->e, 400, "the workbook has no worksheet");
	return 0;
}

static int xlsx_read_strings(struct xlsx *x, const struct xlsx_workbook *wb,
                             struct xlsx_strings *ss)
{
	char fallback[XLSX_PATH_MAX];

	if (wb->strings[0])
		return xlsx_parse_part(x, wb->strings, true, &xlsx_sst_handlers, &ss->st, NULL);
	/* Some generators write the part but forget its relationship. */
	if (snprintf(fallback, sizeof fallback, "%ssharedStrings.xml", wb->dir) >=
	    (int)sizeof fallback)
		return 0;
	return xlsx_parse_part(x, fallback, false, &xlsx_sst_handlers, &ss->st, NULL);
}

static int xlsx_read_sheet(struct xlsx *x, const char *part, const struct xlsx_strings *ss,
                           struct import_table *t)
{
	struct import_builder b;
	struct xlsx_sheet sh = {.strings = ss, .b = &b};

	import_builder_init(&b, t, x->lim, x->e);
	int rc = xlsx_parse_part(x, part, true, &xlsx_sheet_handlers, &sh.st, NULL);
	import_builder_free(&b);
	buf_free(&sh.text);
	return rc;
}

static int xlsx_read_package(struct xlsx *x, struct import_table *t)
{
	struct xlsx_workbook wb = {0};
	struct xlsx_strings ss = {0};
	const char *sheet = NULL;
	int rc;

	if (zip_get_num_entries(x->zip, 0) > (zip_int64_t)x->lim->max_entries)
		return import_fail(x->e, 400, "the .xlsx file has more than %zu entries",
		                   x->lim->max_entries);
	/* An OpenDocument file is a zip too; say what it is rather than "damaged". */
	if (zip_name_locate(x->zip, "mimetype", 0) >= 0 &&
	    zip_name_locate(x->zip, "[Content_Types].xml", 0) < 0)
		return import_fail(x->e, 415, "an OpenDocument file (.ods): save it as .xlsx");

	rc = xlsx_read_workbook(x, &wb, &sheet);
	if (rc == 0)
		rc = xlsx_read_strings(x, &wb, &ss);
	/* Cells will point into the strings, so the table owns them from now on; they
	 * are complete, so they will not move. */
	t->strings_ = ss.text.data;
	ss.base = ss.text.data;
	ss.text = (struct buf){0};
	if (rc == 0)
		rc = xlsx_read_sheet(x, sheet, &ss, t);
	xlsx_strings_free(&ss);
	xlsx_workbook_free(&wb);
	return rc;
}

int import_xlsx_read(const void *data, size_t len, const struct import_limits *lim,
                     struct import_table *t, struct import_err *e)
{
	struct xlsx x = {.lim = lim, .e = e};
	zip_error_t ze;
	int rc;

	t->encoding = IMPORT_UTF8;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
	if (!src) {
		zip_error_fini(&ze);
		return import_fail(e, 500, "out of memory");
	}
	x.zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!x.zip) {
		rc = import_fail(e, 400, "the .xlsx file is damaged: %s", zip_error_strerror(&ze));
		zip_source_free(src);
		zip_error_fini(&ze);
		return rc;
	}
	zip_error_fini(&ze);
	if (!(x.chunk = malloc(XLSX_CHUNK)))
		rc = import_fail(e, 500, "out of memory");
	else
		rc = xlsx_read_package(&x, t);
	free(x.chunk);
	zip_discard(x.zip);
	return rc;
}
