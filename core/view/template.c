/* The template engine (see template.h).
 *
 * A template is compiled once into a flat array of nodes; a section's node knows
 * where its body ends, so rendering walks the array with an explicit stack and
 * never recurses, whatever the template or the value tree.
 *
 * While compiling, a small HTML tokenizer (the states of the WHATWG tokenizer
 * that matter here) follows the literal text, so each tag knows where it stands:
 * in text, in a quoted or unquoted attribute value, or somewhere a value must not
 * go (tag names, between attributes, comments, <script>, <style>, event handler
 * attributes). Sections must leave the tokenizer where they found it, so the
 * context is the same whether a section renders zero, one or many times. */
#include "view/template.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	TPL_MAX_NAME = 128,         /* bytes of a tag's name */
	TPL_MAX_FILE = 1 << 20,     /* bytes of a template file */
	TPL_MAX_NESTING = 64,       /* sections open at once in one template */
	TPL_MAX_PARTIAL_DEPTH = 32, /* partials inside partials */
	TPL_MAX_STEPS = 4000000,    /* nodes visited by one render: bounds CPU */
	TPL_MAX_OUTPUT = 32 << 20,  /* bytes one render may add */
	TAG_NAME_CAP = 16,          /* enough for every element the tokenizer cares about */
	ATTR_NAME_CAP = 24,
};

enum node_kind {
	N_TEXT,   /* literal bytes */
	N_VAR,    /* a value, escaped by esc */
	N_LOCALE, /* a catalog text, escaped by esc */
	N_RAW,    /* a value as it is */
	N_LINKED, /* a value escaped as text, its http(s) addresses made safe links */
	N_SECTION,
	N_INVERTED,
	N_PARTIAL,
	N_URL_BEGIN, /* a URL attribute value holding tags starts here ... */
	N_URL_END,   /* ... and ends here: checked as a whole once rendered */
};

/* How a value is escaped: where it stands, plus ESC_CSS inside style="";
 * ESC_NONE in plain-text templates (mail), which no browser reads. */
enum escape { ESC_TEXT, ESC_QUOTED, ESC_UNQUOTED, ESC_CSS = 4, ESC_NONE = 8 };

struct node {
	unsigned char kind, esc;
	size_t off, len; /* in the pool: literal text, or a NUL-terminated name */
	size_t end;      /* sections: the index of the first node after the body */
};

struct tpl {
	struct tpl *next; /* in the set, newest first */
	char *name;
	bool text;    /* plain text: no escaping, no HTML checks, partials from .txt */
	char *source; /* tpl_compile_text: the text it came from, to reuse it */
	struct node *nodes;
	size_t count;
	char *pool;
};

struct tpl_set {
	char **dirs;
	size_t ndirs;
	struct tpl *head;
};

/* ------------------------------------------------------------------ helpers */

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(unsigned char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* ASCII only: the C library's tolower depends on the process locale. */
static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Template and partial names become file names: letters, digits, '_', '-' and
 * '/' between non-empty parts, so never "..", an absolute path or a hidden file. */
static bool template_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > TPL_MAX_NAME || s[0] == '/' || s[n - 1] == '/')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '/' && s[i - 1] == '/')
			return false;
		if (!is_alnum(c) && c != '_' && c != '-' && c != '/')
			return false;
	}
	return true;
}

/* Value names: "." or dot-separated parts of letters, digits, '_' and '-'. */
static bool value_name_ok(const char *s, size_t n)
{
	if (n == 1 && s[0] == '.')
		return true;
	if (n == 0 || n > TPL_MAX_NAME || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.' && s[i - 1] == '.')
			return false;
		if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

static bool key_chars_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* Catalog keys: "error.home", or a prefix and a value's name in brackets, as in
 * "error.title.[status]", whose text completes the key when rendering. */
static bool locale_key_ok(const char *s, size_t n)
{
	if (n == 0 || n > TPL_MAX_NAME)
		return false;
	const char *bracket = memchr(s, '[', n);
	if (!bracket)
		return key_chars_ok(s, n);
	size_t prefix = (size_t)(bracket - s);
	return key_chars_ok(s, prefix) && s[n - 1] == ']' &&
	       value_name_ok(bracket + 1, n - prefix - 2);
}

static void tpl_free(struct tpl *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->source);
	free(t->nodes);
	free(t->pool);
	free(t);
}

/* --------------------------------------------------------- the tokenizer */

enum hstate {
	H_TEXT,
	H_TAG_OPEN,     /* after '<' */
	H_END_TAG_OPEN, /* after "</" */
	H_TAG_NAME,
	H_BEFORE_ATTR_NAME,
	H_ATTR_NAME,
	H_AFTER_ATTR_NAME,
	H_BEFORE_ATTR_VALUE,
	H_VALUE_DQ,
	H_VALUE_SQ,
	H_VALUE_UQ,
	H_AFTER_VALUE_QUOTED,
	H_SELF_CLOSING,
	H_MARKUP_DECL, /* after "<!" */
	H_MARKUP_DASH, /* after "<!-" */
	H_COMMENT_START,
	H_COMMENT_START_DASH,
	H_COMMENT,
	H_COMMENT_END_DASH,
	H_COMMENT_END,
	H_COMMENT_END_BANG,
	H_BOGUS_COMMENT, /* <!DOCTYPE ...>, <?...>, </ ...>: up to '>' */
	H_RAW,           /* the content of a raw text element, up to its end tag */
};

/* What an attribute's value means to the browser. */
enum attr_kind { ATTR_PLAIN, ATTR_URL, ATTR_STYLE, ATTR_CODE };

/* Raw text elements: the browser reads their content up to the matching end tag
 * without seeing tags in it. Values may stand in the RAW_TEXT ones (<textarea>,
 * <title>, ...: text escaping keeps them inert, and their literal content may hold
 * no other '<'), never in script or style. */
enum raw_kind { RAW_TEXT, RAW_SCRIPT, RAW_STYLE };

/* After a section that ended inside a tag in another state than it began (as in
 * <input {{#on}}checked{{/on}}>), the next characters could mean different
 * things depending on whether the section rendered. */
enum ambiguity {
	AMB_NONE,
	AMB_EQ,   /* an '=' could start a value or an attribute name */
	AMB_NAME, /* moreover an attribute name could go on or start anew */
};

struct hctx {
	unsigned char state;     /* enum hstate */
	unsigned char amb;       /* enum ambiguity */
	unsigned char amp;       /* in a value: a literal '&' a value could complete */
	unsigned char attr_kind; /* of the attribute named or valued */
	unsigned char raw_kind;  /* in H_RAW */
	unsigned char url_open;  /* an N_URL_BEGIN was emitted for this value */
	unsigned char end_tag;   /* the tag being read is an end tag */
	unsigned char match;     /* in H_RAW: progress through "</name" */
	unsigned char tag_len, attr_len;
	char tag[TAG_NAME_CAP], attr[ATTR_NAME_CAP]; /* lower case, cut at the cap */
	unsigned tag_id, attr_id; /* which tag (comment, raw element) and attribute */
};

struct open_section {
	size_t node; /* its index */
	unsigned line;
	struct hctx at; /* the tokenizer at the opening tag */
};

struct compiler {
	const char *src;
	size_t len;
	unsigned line; /* of the character being looked at */
	struct tpl *t;
	size_t cap;      /* of t->nodes */
	struct buf pool; /* becomes t->pool */
	struct buf lit;  /* literal text not yet emitted */
	struct hctx h;
	unsigned next_id;
	size_t value_lit; /* where the current attribute value starts in lit */
	struct open_section open[TPL_MAX_NESTING];
	size_t depth;
	bool text; /* plain text: the HTML tokenizer stays out of it */
	char *err;
	size_t errlen;
};

static int fail(struct compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct compiler *c, const char *fmt, ...)
{
	if (!c->err || !c->errlen)
		return -1;
	int n = snprintf(c->err, c->errlen, "line %u: ", c->line);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int emit(struct compiler *c, enum node_kind kind, unsigned char esc, const char *s, size_t n)
{
	if (c->t->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		struct node *nodes = realloc(c->t->nodes, cap * sizeof *nodes);
		if (!nodes)
			return fail(c, "out of memory");
		c->t->nodes = nodes;
		c->cap = cap;
	}
	struct node *node = &c->t->nodes[c->t->count];
	*node = (struct node){.kind = kind, .esc = esc, .off = c->pool.len, .len = n};
	/* The NUL lets names go straight to locale_get; the pool only moves until
	 * compiling ends, hence offsets. */
	if (buf_append(&c->pool, s, n) || buf_append(&c->pool, "", 1))
		return fail(c, "out of memory");
	c->t->count++;
	return 0;
}

static int flush_literal(struct compiler *c)
{
	if (c->lit.len == 0)
		return 0;
	int rc = emit(c, N_TEXT, 0, c->lit.data, c->lit.len);
	buf_reset(&c->lit);
	return rc;
}

static void name_push(char *name, unsigned char *len, size_t cap, unsigned char ch)
{
	if (*len < cap)
		name[*len] = (char)lower(ch);
	if (*len <= cap)
		(*len)++; /* cap + 1 means "longer than the cap" */
}

static bool name_is(const char *name, unsigned char len, const char *want)
{
	size_t n = strlen(want);
	return len == n && memcmp(name, want, n) == 0;
}

static void start_tag(struct compiler *c, bool end_tag)
{
	c->h.tag_id = ++c->next_id;
	c->h.attr_id = 0;
	c->h.tag_len = 0;
	c->h.attr_len = 0;
	c->h.end_tag = end_tag;
}

static void start_attr(struct compiler *c, unsigned char ch)
{
	c->h.attr_id = ++c->next_id;
	c->h.attr_len = 0;
	name_push(c->h.attr, &c->h.attr_len, ATTR_NAME_CAP, ch);
	c->h.state = H_ATTR_NAME;
}

/* Only these attributes are filtered as URLs; the list errs on the side of
 * filtering, since a valid http(s), mailto, tel or relative URL passes anyway. */
static enum attr_kind attr_classify(const struct hctx *h)
{
	static const char *const url_attrs[] = {
	    "href",   "src",  "action", "formaction", "xlink:href",
	    "poster", "cite", "data",   "background",
	};
	if (h->attr_len >= 2 && h->attr[0] == 'o' && h->attr[1] == 'n')
		return ATTR_CODE; /* event handlers: the value is script */
	if (name_is(h->attr, h->attr_len, "srcdoc"))
		return ATTR_CODE; /* the value is a whole HTML document */
	if (name_is(h->attr, h->attr_len, "style"))
		return ATTR_STYLE;
	for (size_t i = 0; i < sizeof url_attrs / sizeof url_attrs[0]; i++) {
		if (name_is(h->attr, h->attr_len, url_attrs[i]))
			return ATTR_URL;
	}
	return ATTR_PLAIN;
}

static void before_value(struct compiler *c)
{
	c->h.attr_kind = (unsigned char)attr_classify(&c->h);
	c->h.state = H_BEFORE_ATTR_VALUE;
}

/* Called before the character that opens the value joins the literal text:
 * a quote is not part of the value, the first character of an unquoted one is. */
static void begin_value(struct compiler *c, enum hstate state)
{
	c->value_lit = c->lit.len + (state != H_VALUE_UQ);
	c->h.state = (unsigned char)state;
	c->h.amp = 0;
	c->h.url_open = 0;
}

/* Called before the character that ends a value joins the literal text, so the
 * N_URL_END lands right after the value. */
static int end_value(struct compiler *c)
{
	c->h.amp = 0;
	if (!c->h.url_open)
		return 0;
	c->h.url_open = 0;
	if (flush_literal(c))
		return -1;
	return emit(c, N_URL_END, 0, "", 0);
}

/* After a tag's '>': a start tag of a raw text element switches to H_RAW.
 * <noscript> and <plaintext> are refused: the first is parsed one way with
 * scripting and another without, the second never ends. */
static int end_of_tag(struct compiler *c)
{
	static const char *const raw_text[] = {
	    "textarea", "title", "xmp", "iframe", "noembed", "noframes",
	};
	struct hctx *h = &c->h;
	h->state = H_TEXT;
	h->amb = AMB_NONE;
	if (h->end_tag)
		return 0;
	if (name_is(h->tag, h->tag_len, "noscript") || name_is(h->tag, h->tag_len, "plaintext"))
		return fail(c, "<%.*s> is not supported", (int)h->tag_len, h->tag);
	if (name_is(h->tag, h->tag_len, "script")) {
		h->raw_kind = RAW_SCRIPT;
	} else if (name_is(h->tag, h->tag_len, "style")) {
		h->raw_kind = RAW_STYLE;
	} else {
		size_t i = 0;
		while (i < sizeof raw_text / sizeof raw_text[0] &&
		       !name_is(h->tag, h->tag_len, raw_text[i]))
			i++;
		if (i == sizeof raw_text / sizeof raw_text[0])
			return 0;
		h->raw_kind = RAW_TEXT;
	}
	h->state = H_RAW;
	h->match = 0;
	return 0;
}

static void begin_bogus_comment(struct compiler *c)
{
	c->h.tag_id = ++c->next_id;
	c->h.state = H_BOGUS_COMMENT;
}

/* A '<' in raw text that does not begin the element's end tag. In <textarea>,
 * <title> and the like it is refused: inside <svg> those elements are not raw
 * and the browser would read it as markup, so text only keeps both readings
 * the same. */
static int raw_mismatch(struct compiler *c, unsigned char ch)
{
	if (c->h.raw_kind == RAW_TEXT)
		return fail(c, "'<' inside <%.*s> must be written &lt;", (int)c->h.tag_len,
		            c->h.tag);
	c->h.match = ch == '<';
	return 0;
}

/* The content of a raw text element ends at "</name" followed by a space, '/'
 * or '>'. In a script, "<!--" would switch the browser into states where even
 * that does not end it, so "<!" is refused there. */
static int raw_step(struct compiler *c, unsigned char ch)
{
	struct hctx *h = &c->h;
	if (h->match == 0) {
		h->match = ch == '<';
		return 0;
	}
	if (h->match == 1) {
		if (ch == '!' && h->raw_kind == RAW_SCRIPT)
			return fail(c, "\"<!\" inside <script> is not supported");
		if (ch != '/')
			return raw_mismatch(c, ch);
		h->match = 2;
		return 0;
	}
	size_t k = (size_t)h->match - 2;
	if (k < h->tag_len) {
		if (lower(ch) != (unsigned char)h->tag[k])
			return raw_mismatch(c, ch);
		h->match++;
		return 0;
	}
	if (!is_space(ch) && ch != '/' && ch != '>')
		return raw_mismatch(c, ch);
	/* The end tag: keep its name, it is the element's. */
	h->tag_id = ++c->next_id;
	h->attr_id = 0;
	h->attr_len = 0;
	h->end_tag = 1;
	h->match = 0;
	if (ch == '>')
		h->state = H_TEXT;
	else
		h->state = ch == '/' ? H_SELF_CLOSING : H_BEFORE_ATTR_NAME;
	return 0;
}

static int comment_step(struct compiler *c, unsigned char ch)
{
	struct hctx *h = &c->h;
	switch (h->state) {
	case H_COMMENT_START:
		h->state = ch == '-' ? H_COMMENT_START_DASH : ch == '>' ? H_TEXT : H_COMMENT;
		return 0;
	case H_COMMENT_START_DASH:
		h->state = ch == '-' ? H_COMMENT_END : ch == '>' ? H_TEXT : H_COMMENT;
		return 0;
	case H_COMMENT:
		if (ch == '-')
			h->state = H_COMMENT_END_DASH;
		return 0;
	case H_COMMENT_END_DASH: h->state = ch == '-' ? H_COMMENT_END : H_COMMENT; return 0;
	case H_COMMENT_END:
		if (ch == '>')
			h->state = H_TEXT;
		else if (ch == '!')
			h->state = H_COMMENT_END_BANG;
		else if (ch != '-')
			h->state = H_COMMENT;
		return 0;
	default: /* H_COMMENT_END_BANG */
		h->state = ch == '-' ? H_COMMENT_END_DASH : ch == '>' ? H_TEXT : H_COMMENT;
		return 0;
	}
}

static int markup_step(struct compiler *c, unsigned char ch)
{
	struct hctx *h = &c->h;
	switch (h->state) {
	case H_TAG_OPEN:
		if (is_alpha(ch)) {
			start_tag(c, false);
			name_push(h->tag, &h->tag_len, TAG_NAME_CAP, ch);
			h->state = H_TAG_NAME;
			return 0;
		}
		if (ch == '!') {
			h->state = H_MARKUP_DECL;
			return 0;
		}
		if (ch == '/') {
			h->state = H_END_TAG_OPEN;
			return 0;
		}
		if (ch == '?') {
			begin_bogus_comment(c);
			return 0;
		}
		h->state = H_TEXT;
		return 1;
	case H_END_TAG_OPEN:
		if (is_alpha(ch)) {
			start_tag(c, true);
			name_push(h->tag, &h->tag_len, TAG_NAME_CAP, ch);
			h->state = H_TAG_NAME;
		} else if (ch == '>') {
			h->state = H_TEXT;
		} else {
			begin_bogus_comment(c);
		}
		return 0;
	case H_MARKUP_DECL:
		if (ch == '-') {
			h->state = H_MARKUP_DASH;
			return 0;
		}
		begin_bogus_comment(c);
		return 1;
	case H_MARKUP_DASH:
		if (ch == '-') {
			h->tag_id = ++c->next_id;
			h->state = H_COMMENT_START;
			return 0;
		}
		begin_bogus_comment(c);
		return 1;
	default: /* H_BOGUS_COMMENT */
		if (ch == '>')
			h->state = H_TEXT;
		return 0;
	}
}

static void track_amp(struct hctx *h, unsigned char ch)
{
	if (ch == '&')
		h->amp = 1;
	else if (!is_alnum(ch) && ch != '#')
		h->amp = 0;
}

static int value_step(struct compiler *c, unsigned char ch)
{
	struct hctx *h = &c->h;
	if (h->state == H_VALUE_UQ) {
		if (is_space(ch) || ch == '>') {
			if (end_value(c))
				return -1;
			if (ch == '>')
				return end_of_tag(c);
			h->state = H_BEFORE_ATTR_NAME;
			return 0;
		}
	} else if (ch == (h->state == H_VALUE_DQ ? '"' : '\'')) {
		if (end_value(c))
			return -1;
		h->state = H_AFTER_VALUE_QUOTED;
		return 0;
	}
	track_amp(h, ch);
	return 0;
}

/* The states inside a tag, between its name and its '>'. */
static int tag_step(struct compiler *c, unsigned char ch)
{
	struct hctx *h = &c->h;
	switch (h->state) {
	case H_TAG_NAME:
		if (ch == '>')
			return end_of_tag(c);
		if (is_space(ch))
			h->state = H_BEFORE_ATTR_NAME;
		else if (ch == '/')
			h->state = H_SELF_CLOSING;
		else
			name_push(h->tag, &h->tag_len, TAG_NAME_CAP, ch);
		return 0;
	case H_BEFORE_ATTR_NAME:
		if (is_space(ch))
			return 0;
		if (ch == '/' || ch == '>') {
			h->state = H_AFTER_ATTR_NAME;
			return 1;
		}
		start_attr(c, ch);
		return 0;
	case H_ATTR_NAME:
		if (is_space(ch) || ch == '/' || ch == '>') {
			h->state = H_AFTER_ATTR_NAME;
			return 1;
		}
		if (ch == '=')
			before_value(c);
		else
			name_push(h->attr, &h->attr_len, ATTR_NAME_CAP, ch);
		return 0;
	case H_AFTER_ATTR_NAME:
		if (is_space(ch))
			return 0;
		if (ch == '>')
			return end_of_tag(c);
		if (ch == '/')
			h->state = H_SELF_CLOSING;
		else if (ch == '=')
			before_value(c);
		else
			start_attr(c, ch);
		return 0;
	case H_BEFORE_ATTR_VALUE:
		if (is_space(ch))
			return 0;
		if (ch == '"' || ch == '\'') {
			begin_value(c, ch == '"' ? H_VALUE_DQ : H_VALUE_SQ);
			return 0;
		}
		if (ch == '>')
			return end_of_tag(c);
		begin_value(c, H_VALUE_UQ);
		return 1;
	case H_AFTER_VALUE_QUOTED:
	case H_SELF_CLOSING:
		if (ch == '>')
			return end_of_tag(c);
		if (h->state == H_AFTER_VALUE_QUOTED && ch == '/') {
			h->state = H_SELF_CLOSING;
			return 0;
		}
		h->state = H_BEFORE_ATTR_NAME;
		return !is_space(ch);
	default: return value_step(c, ch);
	}
}

static int check_ambiguity(struct compiler *c, unsigned char ch)
{
	struct hctx *h = &c->h;
	if (h->amb == AMB_NONE)
		return 0;
	if (is_space(ch)) {
		h->amb = AMB_EQ;
		return 0;
	}
	if (ch == '/' || ch == '>') {
		h->amb = AMB_NONE;
		return 0;
	}
	if (ch == '=' || h->amb == AMB_NAME)
		return fail(c, "what follows a section inside a tag depends on whether it "
		               "rendered: add a space after the closing tag");
	h->amb = AMB_NONE;
	return 0;
}

/* One character of literal text, before it joins c->lit. */
static int html_step(struct compiler *c, unsigned char ch)
{
	if (check_ambiguity(c, ch))
		return -1;
	for (;;) {
		int rc;
		switch (c->h.state) {
		case H_TEXT:
			if (ch == '<')
				c->h.state = H_TAG_OPEN;
			return 0;
		case H_TAG_OPEN:
		case H_END_TAG_OPEN:
		case H_MARKUP_DECL:
		case H_MARKUP_DASH:
		case H_BOGUS_COMMENT: rc = markup_step(c, ch); break;
		case H_COMMENT_START:
		case H_COMMENT_START_DASH:
		case H_COMMENT:
		case H_COMMENT_END_DASH:
		case H_COMMENT_END:
		case H_COMMENT_END_BANG: rc = comment_step(c, ch); break;
		case H_RAW: rc = raw_step(c, ch); break;
		default: rc = tag_step(c, ch); break;
		}
		if (rc <= 0)
			return rc;
	}
}

static int feed_literal(struct compiler *c, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		unsigned char ch = (unsigned char)c->src[i];
		if (!c->text && html_step(c, ch))
			return -1;
		if (buf_append(&c->lit, &ch, 1))
			return fail(c, "out of memory");
		if (ch == '\n')
			c->line++;
	}
	return 0;
}

/* ------------------------------------------------ where a tag may stand */

static bool in_value(const struct hctx *h)
{
	return h->state == H_VALUE_DQ || h->state == H_VALUE_SQ || h->state == H_VALUE_UQ;
}

/* The first tag inside a URL attribute's value marks where it starts, so the
 * rendered value can be checked whole: a value could otherwise complete a
 * scheme that literal text or another value began. */
static int open_url(struct compiler *c)
{
	if (!in_value(&c->h) || c->h.attr_kind != ATTR_URL || c->h.url_open)
		return 0;
	/* No tag came since the value began, so its text is all still in lit. */
	size_t at = c->value_lit < c->lit.len ? c->value_lit : c->lit.len;
	if (at > 0 && emit(c, N_TEXT, 0, c->lit.data, at))
		return -1;
	memmove(c->lit.data, c->lit.data + at, c->lit.len - at);
	c->lit.len -= at;
	if (emit(c, N_URL_BEGIN, 0, "", 0))
		return -1;
	c->h.url_open = 1;
	return 0;
}

static const char *where(const struct hctx *h)
{
	switch (h->state) {
	case H_TAG_OPEN:
	case H_END_TAG_OPEN:
	case H_TAG_NAME: return "in a tag name";
	case H_MARKUP_DECL:
	case H_MARKUP_DASH:
	case H_BOGUS_COMMENT: return "in a <!...> or <?...> declaration";
	case H_COMMENT_START:
	case H_COMMENT_START_DASH:
	case H_COMMENT:
	case H_COMMENT_END_DASH:
	case H_COMMENT_END:
	case H_COMMENT_END_BANG: return "in an HTML comment";
	case H_RAW:
		return h->raw_kind == RAW_SCRIPT  ? "in a <script>"
		       : h->raw_kind == RAW_STYLE ? "in a <style>"
		                                  : "in a raw text element";
	case H_TEXT: return "in text";
	case H_BEFORE_ATTR_VALUE:
	case H_VALUE_DQ:
	case H_VALUE_SQ:
	case H_VALUE_UQ: return "in an attribute value";
	default: return "in a tag outside an attribute value";
	}
}

/* Decides the escaping of a value, partial or raw tag standing where the
 * tokenizer is, or refuses it. */
static int place_output(struct compiler *c, char sigil, unsigned char *esc)
{
	struct hctx *h = &c->h;
	*esc = c->text ? ESC_NONE : ESC_TEXT;
	if (h->state == H_TEXT)
		return 0;
	if (sigil == '>' || sigil == '&' || sigil == '~')
		return fail(c, "{{%c...}} may only stand in text, not %s", sigil, where(h));
	if (h->state == H_RAW && h->raw_kind == RAW_TEXT)
		return 0;
	if (h->state == H_BEFORE_ATTR_VALUE)
		begin_value(c, H_VALUE_UQ); /* the value starts with this tag */
	if (!in_value(h))
		return fail(c, "a value may not stand %s", where(h));
	if (h->attr_kind == ATTR_CODE)
		return fail(c, "a value may not stand in an event handler or srcdoc attribute");
	if (h->amp)
		return fail(c, "a value may not complete a character reference begun by '&'");
	*esc = h->state == H_VALUE_UQ ? ESC_UNQUOTED : ESC_QUOTED;
	if (h->attr_kind == ATTR_STYLE)
		*esc |= ESC_CSS;
	return open_url(c);
}

/* ------------------------------------------------------------- sections */

static bool between_attrs(unsigned char s)
{
	return s == H_BEFORE_ATTR_NAME || s == H_AFTER_VALUE_QUOTED || s == H_SELF_CLOSING;
}

static bool in_tag(unsigned char s)
{
	return between_attrs(s) || s == H_TAG_NAME || s == H_ATTR_NAME || s == H_AFTER_ATTR_NAME;
}

/* States in which the next letter would continue a name. */
static bool naming(unsigned char s)
{
	return s == H_TAG_NAME || s == H_ATTR_NAME;
}

static bool same_place(const struct hctx *a, const struct hctx *b)
{
	if (a->state != b->state)
		return false;
	if (a->state == H_TEXT)
		return true;
	return a->tag_id == b->tag_id && a->attr_id == b->attr_id && a->match == b->match &&
	       a->tag_len == b->tag_len && a->attr_len == b->attr_len && a->url_open == b->url_open;
}

/* The tokenizer after a section is where the closing tag left it, provided the
 * opening tag stood in the same place: then the text after the section means the
 * same whether the body rendered or not. Inside a tag, attributes may differ
 * (<input {{#on}}checked{{/on}}>); the ambiguity that leaves is checked on the
 * next characters. */
static int merge_section(struct compiler *c, const struct hctx *opened)
{
	struct hctx *h = &c->h;
	unsigned char amb = opened->amb > h->amb ? opened->amb : h->amb;
	if (same_place(opened, h)) {
		h->amb = amb;
		h->amp |= opened->amp;
		return 0;
	}
	/* The same tag with the same name, whether the body rendered or not. */
	if (!in_tag(opened->state) || !in_tag(h->state) || opened->tag_id != h->tag_id ||
	    opened->tag_len != h->tag_len)
		return fail(c, "a section must end where it began (%s), not %s", where(opened),
		            where(h));
	if (between_attrs(opened->state) && between_attrs(h->state))
		h->amb = amb;
	else if (naming(opened->state) || naming(h->state))
		h->amb = AMB_NAME;
	else
		h->amb = amb > AMB_EQ ? amb : AMB_EQ;
	return 0;
}

static int open_section(struct compiler *c, char sigil, const char *name, size_t n)
{
	if (c->depth == TPL_MAX_NESTING)
		return fail(c, "sections nested deeper than %d", TPL_MAX_NESTING);
	switch (c->h.state) {
	case H_TAG_OPEN:
	case H_END_TAG_OPEN:
	case H_MARKUP_DECL:
	case H_MARKUP_DASH: return fail(c, "a section may not begin right after '<'");
	}
	if (open_url(c) || flush_literal(c))
		return -1;
	struct open_section *s = &c->open[c->depth++];
	s->node = c->t->count;
	s->line = c->line;
	s->at = c->h;
	return emit(c, sigil == '#' ? N_SECTION : N_INVERTED, 0, name, n);
}

static int close_section(struct compiler *c, const char *name, size_t n)
{
	if (c->depth == 0)
		return fail(c, "{{/%.*s}} closes no section", (int)n, name);
	struct open_section *s = &c->open[c->depth - 1];
	struct node *node = &c->t->nodes[s->node];
	const char *open_name = c->pool.data + node->off;
	if (node->len != n || memcmp(open_name, name, n) != 0)
		return fail(c, "{{/%.*s}} closes {{%c%s}} of line %u", (int)n, name,
		            node->kind == N_SECTION ? '#' : '^', open_name, s->line);
	if (flush_literal(c) || merge_section(c, &s->at))
		return -1;
	c->depth--;
	node = &c->t->nodes[s->node]; /* flush_literal may have moved the array */
	node->end = c->t->count;
	return 0;
}

/* ------------------------------------------------------------------ tags */

struct tag {
	char sigil; /* 0 for a plain value */
	const char *name;
	size_t name_len;
	size_t start, end; /* of "{{" and just after "}}" */
};

static int parse_tag(struct compiler *c, size_t start, struct tag *tag)
{
	const char *s = c->src;
	size_t i = start + 2;
	const char *close = NULL;
	for (size_t k = i; k + 1 < c->len; k++) {
		if (s[k] == '}' && s[k + 1] == '}') {
			close = s + k;
			break;
		}
	}
	if (!close)
		return fail(c, "\"{{\" is never closed by \"}}\"");
	tag->start = start;
	tag->end = (size_t)(close - s) + 2;
	tag->sigil = 0;
	if (i < c->len && strchr("#^/>@&~!", s[i]) && s[i] != '\0')
		tag->sigil = s[i++];
	size_t last = (size_t)(close - s);
	while (i < last && is_space((unsigned char)s[i]))
		i++;
	while (last > i && is_space((unsigned char)s[last - 1]))
		last--;
	tag->name = s + i;
	tag->name_len = last - i;
	if (tag->sigil == '!')
		return 0;
	bool ok = tag->sigil == '>'   ? template_name_ok(tag->name, tag->name_len)
	          : tag->sigil == '@' ? locale_key_ok(tag->name, tag->name_len)
	                              : value_name_ok(tag->name, tag->name_len);
	if (!ok)
		return fail(c, "invalid name in \"%.*s\"",
		            (int)(tag->end - start > 60 ? 60 : tag->end - start), s + start);
	return 0;
}

/* Mustache's standalone lines: a section, comment or partial tag alone on its
 * line takes the line with it, so templates can be indented freely. Sets *from
 * and *to to the whitespace before the tag that goes and the position after the
 * line's end. */
static bool standalone(const struct compiler *c, size_t pos, const struct tag *tag, size_t *from,
                       size_t *to)
{
	if (!tag->sigil || !strchr("#^/!>", tag->sigil))
		return false;
	const char *s = c->src;
	size_t k = tag->start;
	while (k > pos && (s[k - 1] == ' ' || s[k - 1] == '\t'))
		k--;
	if (k > 0 && s[k - 1] != '\n')
		return false;
	size_t j = tag->end;
	while (j < c->len && (s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j < c->len && s[j] == '\r' && j + 1 < c->len && s[j + 1] == '\n')
		j++;
	if (j < c->len && s[j] != '\n')
		return false;
	*from = k;
	*to = j < c->len ? j + 1 : j;
	return true;
}

static unsigned count_lines(const char *s, size_t n)
{
	unsigned lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	return lines;
}

static int handle_tag(struct compiler *c, const struct tag *tag)
{
	unsigned char esc;
	switch (tag->sigil) {
	case '!': return 0;
	case '#':
	case '^': return open_section(c, tag->sigil, tag->name, tag->name_len);
	case '/': return close_section(c, tag->name, tag->name_len);
	case '>':
		if (place_output(c, tag->sigil, &esc) || flush_literal(c))
			return -1;
		return emit(c, N_PARTIAL, 0, tag->name, tag->name_len);
	default:
		if (place_output(c, tag->sigil, &esc) || flush_literal(c))
			return -1;
		enum node_kind kind = tag->sigil == '@'   ? N_LOCALE
		                      : tag->sigil == '&' ? N_RAW
		                      : tag->sigil == '~' ? N_LINKED
		                                          : N_VAR;
		return emit(c, kind, esc, tag->name, tag->name_len);
	}
}

static const char *find_open_brace(const struct compiler *c, size_t pos)
{
	for (size_t k = pos; k + 1 < c->len; k++) {
		if (c->src[k] == '{' && c->src[k + 1] == '{')
			return c->src + k;
	}
	return NULL;
}

static int compile_all(struct compiler *c)
{
	size_t pos = 0;
	while (pos < c->len) {
		const char *brace = find_open_brace(c, pos);
		if (!brace)
			return feed_literal(c, pos, c->len);
		size_t at = (size_t)(brace - c->src), from = at, to;
		unsigned line_at_pos = c->line;
		unsigned tag_line = c->line + count_lines(c->src + pos, at - pos);
		struct tag tag = {0};
		c->line = tag_line; /* for errors about the tag */
		if (parse_tag(c, at, &tag))
			return -1;
		c->line = line_at_pos;
		if (!standalone(c, pos, &tag, &from, &to))
			to = tag.end;
		if (feed_literal(c, pos, from)) /* counts the lines it passes */
			return -1;
		c->line = tag_line;
		if (handle_tag(c, &tag))
			return -1;
		c->line += count_lines(c->src + at, to - at);
		pos = to;
	}
	return 0;
}

static int compile_finish(struct compiler *c)
{
	if (flush_literal(c))
		return -1;
	if (c->depth > 0) {
		const struct open_section *s = &c->open[c->depth - 1];
		const struct node *node = &c->t->nodes[s->node];
		c->line = s->line;
		return fail(c, "{{%c%s}} is never closed", node->kind == N_SECTION ? '#' : '^',
		            c->pool.data + node->off);
	}
	if (c->h.state != H_TEXT)
		return fail(c, "the template ends %s", where(&c->h));
	return 0;
}

static struct tpl *compile_new(const char *name, const char *text, size_t len, bool text_mode,
                               char *err, size_t errlen)
{
	if (!name || !template_name_ok(name, strlen(name))) {
		set_err(err, errlen, "invalid template name");
		return NULL;
	}
	struct compiler *c = calloc(1, sizeof *c);
	struct tpl *t = calloc(1, sizeof *t);
	if (!c || !t || !(t->name = strdup(name))) {
		set_err(err, errlen, "out of memory");
		free(c);
		tpl_free(t);
		return NULL;
	}
	*c = (struct compiler){.src = text ? text : "",
	                       .len = text ? len : 0,
	                       .line = 1,
	                       .t = t,
	                       .text = text_mode,
	                       .err = err,
	                       .errlen = errlen};
	int rc = compile_all(c);
	if (rc == 0)
		rc = compile_finish(c);
	if (rc == 0 && c->pool.failed)
		rc = fail(c, "out of memory");
	buf_free(&c->lit);
	t->pool = c->pool.data;
	t->text = text_mode;
	free(c);
	if (rc) {
		tpl_free(t);
		return NULL;
	}
	return t;
}

/* ------------------------------------------------------------- the set */

struct tpl_set *tpl_set_new(void)
{
	return calloc(1, sizeof(struct tpl_set));
}

void tpl_set_free(struct tpl_set *set)
{
	if (!set)
		return;
	struct tpl *t = set->head;
	while (t) {
		struct tpl *next = t->next;
		tpl_free(t);
		t = next;
	}
	for (size_t i = 0; i < set->ndirs; i++)
		free(set->dirs[i]);
	free(set->dirs);
	free(set);
}

int tpl_set_add_dir(struct tpl_set *set, const char *dir)
{
	struct stat st;
	if (!set || !dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return -1;
	char **dirs = realloc(set->dirs, (set->ndirs + 1) * sizeof *dirs);
	if (!dirs)
		return -1;
	set->dirs = dirs;
	if (!(dirs[set->ndirs] = strdup(dir)))
		return -1;
	set->ndirs++;
	return 0;
}

/* HTML and text templates of one name are different templates (mail/x.html
 * and mail/x.txt). */
static const struct tpl *set_find(const struct tpl_set *set, const char *name, bool text)
{
	for (const struct tpl *t = set->head; t; t = t->next) {
		if (t->text == text && strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

static void set_unlink(struct tpl_set *set, const struct tpl *t)
{
	for (struct tpl **p = &set->head; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			return;
		}
	}
}

/* Templates compiled earlier under the same name stay allocated until the set
 * is freed, since callers may still hold them; lookups find the newest. */
const struct tpl *tpl_compile(struct tpl_set *set, const char *name, const char *text, size_t len,
                              char *err, size_t errlen)
{
	if (!set) {
		set_err(err, errlen, "no template set");
		return NULL;
	}
	struct tpl *t = compile_new(name, text, len, false, err, errlen);
	if (!t)
		return NULL;
	t->next = set->head;
	set->head = t;
	return t;
}

/* Text templates compiled from strings (mail subjects, once per mail) are
 * reused when the same text comes again under the same name, so a worker's set
 * grows with the distinct texts, not with the mails. */
const struct tpl *tpl_compile_text(struct tpl_set *set, const char *name, const char *text,
                                   size_t len, char *err, size_t errlen)
{
	if (!set) {
		set_err(err, errlen, "no template set");
		return NULL;
	}
	if (!text)
		len = 0;
	for (const struct tpl *t = set->head; t && name; t = t->next) {
		if (t->text && t->source && strcmp(t->name, name) == 0 &&
		    strlen(t->source) == len && memcmp(t->source, text, len) == 0)
			return t;
	}
	struct tpl *t = compile_new(name, text, len, true, err, errlen);
	if (!t)
		return NULL;
	/* A text holding a NUL is compiled but never found again: it is not kept. */
	if (!memchr(text ? text : "", '\0', len) && !(t->source = strndup(text ? text : "", len))) {
		set_err(err, errlen, "out of memory");
		tpl_free(t);
		return NULL;
	}
	t->next = set->head;
	set->head = t;
	return t;
}

/* Reads path whole. 1 when read, 0 when it does not exist, -1 on error. */
static int read_whole(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	char *data = NULL;
	size_t got = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TPL_MAX_FILE) {
		set_err(err, errlen, "%s: not a regular file of at most %d bytes", path,
		        TPL_MAX_FILE);
		goto fail;
	}
	if (!(data = malloc((size_t)st.st_size + 1))) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_err(err, errlen, "%s: read failed", path);
			goto fail;
		}
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	*text = data;
	*len = got;
	return 1;
fail:
	free(data);
	close(fd);
	return -1;
}

static struct tpl *load(const struct tpl_set *set, const char *name, bool text, char *err,
                        size_t errlen)
{
	for (size_t i = 0; i < set->ndirs; i++) {
		char path[PATH_MAX];
		int n = snprintf(path, sizeof path, "%s/%s.%s", set->dirs[i], name,
		                 text ? "txt" : "html");
		if (n < 0 || (size_t)n >= sizeof path) {
			set_err(err, errlen, "%s: path too long", name);
			return NULL;
		}
		char *source;
		size_t len;
		int rc = read_whole(path, &source, &len, err, errlen);
		if (rc < 0)
			return NULL;
		if (rc == 0)
			continue;
		char why[256];
		struct tpl *t = compile_new(name, source, len, text, why, sizeof why);
		free(source);
		if (!t)
			set_err(err, errlen, "%s: %s", path, why);
		return t;
	}
	set_err(err, errlen, "no template \"%s.%s\"", name, text ? "txt" : "html");
	return NULL;
}

/* Loads name and, so that a missing partial shows at start-up rather than on
 * some request, every partial it names. The template joins the set before its
 * partials are loaded, so partials that name it back find it. */
static const struct tpl *get_depth(struct tpl_set *set, const char *name, bool text, unsigned depth,
                                   char *err, size_t errlen)
{
	const struct tpl *found = set_find(set, name, text);
	if (found)
		return found;
	if (!template_name_ok(name, strlen(name))) {
		set_err(err, errlen, "invalid template name");
		return NULL;
	}
	if (depth > TPL_MAX_PARTIAL_DEPTH) {
		set_err(err, errlen, "%s: partials nested deeper than %d", name,
		        TPL_MAX_PARTIAL_DEPTH);
		return NULL;
	}
	struct tpl *t = load(set, name, text, err, errlen);
	if (!t)
		return NULL;
	t->next = set->head;
	set->head = t;
	for (size_t i = 0; i < t->count; i++) {
		const char *partial = t->pool + t->nodes[i].off;
		char why[512];
		if (t->nodes[i].kind != N_PARTIAL ||
		    get_depth(set, partial, text, depth + 1, why, sizeof why))
			continue;
		set_err(err, errlen, "%s: %s", name, why);
		set_unlink(set, t);
		tpl_free(t);
		return NULL;
	}
	return t;
}

const struct tpl *tpl_get(struct tpl_set *set, const char *name, char *err, size_t errlen)
{
	if (!set || !name) {
		set_err(err, errlen, "no template set or name");
		return NULL;
	}
	return get_depth(set, name, false, 0, err, errlen);
}

const struct tpl *tpl_get_text(struct tpl_set *set, const char *name, char *err, size_t errlen)
{
	if (!set || !name) {
		set_err(err, errlen, "no template set or name");
		return NULL;
	}
	return get_depth(set, name, true, 0, err, errlen);
}

/* ------------------------------------------------------------ rendering */

enum frame_kind { F_ONCE, F_LIST, F_PARTIAL };

struct frame {
	const struct tpl *t;
	size_t i, end;                /* the next node, and the end of this body */
	size_t body;                  /* F_LIST: where the body starts again */
	const struct pv_member *item; /* F_LIST: the current item */
	unsigned char kind;
	unsigned char pushed; /* a context was pushed with this frame */
};

struct render {
	struct tpl_set *set;
	const struct locale *loc;
	struct buf *out;
	size_t out_start;
	struct frame *frames;
	size_t nframes, frames_cap;
	const struct portal_value **ctx;
	size_t nctx, ctx_cap;
	size_t steps;
	size_t url_start;
	unsigned partials;
	char key[2 * TPL_MAX_NAME + 1]; /* a catalog key put together while rendering */
};

static const struct portal_value null_value = {.type = PV_NULL};

static int push_ctx(struct render *r, const struct portal_value *v)
{
	if (r->nctx == r->ctx_cap) {
		size_t cap = r->ctx_cap ? r->ctx_cap * 2 : 16;
		const struct portal_value **ctx = realloc(r->ctx, cap * sizeof *ctx);
		if (!ctx)
			return -1;
		r->ctx = ctx;
		r->ctx_cap = cap;
	}
	r->ctx[r->nctx++] = v ? v : &null_value;
	return 0;
}

static int push_frame(struct render *r, const struct frame *f)
{
	if (r->nframes == r->frames_cap) {
		size_t cap = r->frames_cap ? r->frames_cap * 2 : 16;
		struct frame *frames = realloc(r->frames, cap * sizeof *frames);
		if (!frames)
			return -1;
		r->frames = frames;
		r->frames_cap = cap;
	}
	r->frames[r->nframes++] = *f;
	return 0;
}

static const struct pv_member *find_member(const struct portal_value *obj, const char *key,
                                           size_t len)
{
	if (!obj || obj->type != PV_OBJECT)
		return NULL;
	/* the first byte before a call: most keys differ there */
	char first = len ? key[0] : '\0';
	pv_foreach(m, obj) {
		if (m->key && m->key[0] == first && strncmp(m->key, key, len) == 0 &&
		    m->key[len] == '\0')
			return m;
	}
	return NULL;
}

/* Mustache's rule: the first part of a dotted name is looked up in the contexts,
 * innermost first; the rest only inside what that found. */
static const struct portal_value *lookup(const struct render *r, const char *name)
{
	if (name[0] == '.' && name[1] == '\0')
		return r->nctx ? r->ctx[r->nctx - 1] : NULL;
	size_t len = strcspn(name, ".");
	const struct pv_member *m = NULL;
	for (size_t i = r->nctx; i > 0 && !m; i--)
		m = find_member(r->ctx[i - 1], name, len);
	while (m && name[len] == '.') {
		name += len + 1;
		len = strcspn(name, ".");
		m = find_member(m->value, name, len);
	}
	return m ? m->value : NULL;
}

/* The text of a scalar; containers and null have none. */
static void scalar_text(const struct portal_value *v, char *tmp, size_t tmplen, const char **s,
                        size_t *n)
{
	*s = "";
	*n = 0;
	if (!v)
		return;
	int k = 0;
	switch (v->type) {
	case PV_STRING:
		*s = v->u.s.ptr ? v->u.s.ptr : "";
		*n = v->u.s.ptr ? v->u.s.len : 0;
		return;
	case PV_BOOL:
		*s = v->u.b ? "true" : "false";
		*n = strlen(*s);
		return;
	case PV_INT: k = snprintf(tmp, tmplen, "%lld", v->u.i); break;
	case PV_DOUBLE: k = snprintf(tmp, tmplen, "%.15g", v->u.d); break;
	default: return;
	}
	if (k > 0 && (size_t)k < tmplen) {
		*s = tmp;
		*n = (size_t)k;
	}
}

static const char *escape_byte(unsigned char ch, unsigned mode)
{
	switch (ch) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\0': return "\xEF\xBF\xBD"; /* what the browser would make of it anyway */
	}
	if (mode == ESC_TEXT)
		return NULL;
	switch (ch) {
	case '`': return "&#96;"; /* old IE quoted with it */
	case '=': return "&#61;";
	}
	if (mode != ESC_UNQUOTED)
		return NULL;
	switch (ch) {
	case ' ': return "&#32;";
	case '\t': return "&#9;";
	case '\n': return "&#10;";
	case '\f': return "&#12;";
	case '\r': return "&#13;";
	}
	return NULL;
}

static int put_escaped(struct buf *out, const char *s, size_t n, unsigned mode)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		const char *rep = escape_byte((unsigned char)s[i], mode);
		if (!rep)
			continue;
		if (buf_append(out, s + run, i - run) || buf_puts(out, rep))
			return -1;
		run = i + 1;
	}
	return buf_append(out, s + run, n - run);
}

/* In a style attribute escaping is not enough (the browser decodes entities
 * before CSS sees them), so only what a colour, length or name needs passes. */
static bool css_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alnum(c) && (c == '\0' || !strchr("#%., +-_", c)))
			return false;
	}
	return true;
}

/* Plain text as it is, but for NUL, which ends strings wherever the text goes
 * next (the database, a mail): replaced as a browser would. */
static int put_plain(struct buf *out, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\0')
			continue;
		if (buf_append(out, s + run, i - run) || buf_puts(out, "\xEF\xBF\xBD"))
			return -1;
		run = i + 1;
	}
	return buf_append(out, s + run, n - run);
}

static int put_value(struct render *r, const char *s, size_t n, unsigned esc)
{
	if (esc & ESC_NONE)
		return put_plain(r->out, s, n);
	if ((esc & ESC_CSS) && !css_safe(s, n))
		return 0;
	return put_escaped(r->out, s, n, esc & ~(unsigned)ESC_CSS);
}

/* The length of an http(s) address starting at s (its scheme in any case,
 * then at least one character of a host), 0 when none starts there. It ends
 * before whitespace, a control character or one of < > " ' ` and without
 * the punctuation that usually closes the sentence around it. */
static size_t link_length(const char *s, size_t n)
{
	size_t k = 0;
	if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
		k = 7;
	else if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
		k = 8;
	else
		return 0;
	size_t end = k;
	while (end < n && (unsigned char)s[end] > 0x20 && (unsigned char)s[end] != 0x7f &&
	       !strchr("<>\"'`", s[end]))
		end++;
	while (end > k && strchr(".,;:!?)]}", s[end - 1]))
		end--;
	return end > k && s[k] != '/' ? end : 0;
}

/* Text escaped as in an element, with each http(s) address that does not
 * continue a word made a link that passes no ranking, opener or referrer
 * trust: <a href="..." rel="nofollow noopener ugc">...</a>. Nothing else of
 * the text becomes markup. */
static int put_linked(struct buf *out, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len =
		    (i == 0 || !is_alnum((unsigned char)s[i - 1])) ? link_length(s + i, n - i) : 0;
		if (!len)
			continue;
		if (put_escaped(out, s + run, i - run, ESC_TEXT) || buf_puts(out, "<a href=\"") ||
		    put_escaped(out, s + i, len, ESC_QUOTED) ||
		    buf_puts(out, "\" rel=\"nofollow noopener ugc\">") ||
		    put_escaped(out, s + i, len, ESC_TEXT) || buf_puts(out, "</a>"))
			return -1;
		i += len - 1;
		run = i + 1;
	}
	return put_escaped(out, s + run, n - run, ESC_TEXT);
}

static bool scheme_allowed(const char *s, size_t n)
{
	static const char *const schemes[] = {"http", "https", "mailto", "tel"};
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t k = strlen(schemes[i]);
		if (k != n)
			continue;
		size_t j = 0;
		while (j < n && lower((unsigned char)s[j]) == (unsigned char)schemes[i][j])
			j++;
		if (j == n)
			return true;
	}
	return false;
}

/* A rendered URL attribute value (escaped as it stands in the page) is fine when
 * it is relative or its scheme is allowed. The browser decodes character
 * references before parsing the URL, so an '&' before the scheme's end could
 * hide a ':' and counts as unsafe. */
static bool url_allowed(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (unsigned char)s[i] <= 0x20)
		i++;
	size_t start = i;
	for (; i < n; i++) {
		if (s[i] == '&')
			return false;
		if (s[i] == '/' || s[i] == '?' || s[i] == '#')
			return true;
		if (s[i] == ':')
			return scheme_allowed(s + start, i - start);
	}
	return true;
}

static int url_end(struct render *r)
{
	struct buf *out = r->out;
	if (r->url_start > out->len ||
	    url_allowed(out->data + r->url_start, out->len - r->url_start))
		return 0;
	out->len = r->url_start;
	return buf_puts(out, "#");
}

/* The catalog's text for a key; a key with a value's name in brackets is
 * completed by that value's text, falling back to the prefix alone (so
 * "error.title.[status]" finds "error.title.404", else "error.title"). Unknown
 * keys print themselves, which shows what is missing without breaking the page. */
static const char *locale_text(struct render *r, const char *key)
{
	const char *bracket = strchr(key, '[');
	const char *s;
	if (!bracket) {
		s = locale_get(r->loc, key);
		return s ? s : key;
	}
	size_t prefix = (size_t)(bracket - key);
	char name[TPL_MAX_NAME + 1], tmp[64];
	size_t n = strlen(bracket + 1) - 1;
	snprintf(name, sizeof name, "%.*s", (int)n, bracket + 1);
	const char *part;
	size_t len;
	scalar_text(lookup(r, name), tmp, sizeof tmp, &part, &len);
	if (len > 0 && len <= TPL_MAX_NAME && key_chars_ok(part, len)) {
		snprintf(r->key, sizeof r->key, "%.*s%.*s", (int)prefix, key, (int)len, part);
		if ((s = locale_get(r->loc, r->key)))
			return s;
	}
	while (prefix > 0 && key[prefix - 1] == '.')
		prefix--;
	snprintf(r->key, sizeof r->key, "%.*s", (int)prefix, key);
	s = locale_get(r->loc, r->key);
	return s ? s : r->key;
}

static int render_section(struct render *r, struct frame *f, const struct node *n)
{
	const struct portal_value *v = lookup(r, f->t->pool + n->off);
	bool truthy = pv_truthy(v);
	size_t body = f->i;
	f->i = n->end; /* the parent goes on after the body */
	struct frame child = {.t = f->t, .i = body, .end = n->end, .kind = F_ONCE};
	if (n->kind == N_INVERTED)
		return truthy ? 0 : push_frame(r, &child);
	if (!truthy)
		return 0;
	if (v->type == PV_LIST) {
		if (!v->u.c.head)
			return 0;
		child.kind = F_LIST;
		child.body = body;
		child.item = v->u.c.head;
		v = child.item->value;
	}
	child.pushed = 1;
	if (push_ctx(r, v))
		return -1;
	return push_frame(r, &child);
}

/* A partial of a text template is a text template too (name.txt). */
static int render_partial(struct render *r, const char *name, bool text)
{
	if (r->partials >= TPL_MAX_PARTIAL_DEPTH)
		return -1;
	const struct tpl *t = set_find(r->set, name, text);
	if (!t && !(t = get_depth(r->set, name, text, 0, NULL, 0)))
		return -1;
	r->partials++;
	struct frame child = {.t = t, .i = 0, .end = t->count, .kind = F_PARTIAL};
	return push_frame(r, &child);
}

static int render_node(struct render *r, struct frame *f, const struct node *n)
{
	const char *str = f->t->pool + n->off;
	char tmp[64];
	const char *s;
	size_t len;
	switch (n->kind) {
	case N_TEXT: return buf_append(r->out, str, n->len);
	case N_VAR:
	case N_RAW:
		scalar_text(lookup(r, str), tmp, sizeof tmp, &s, &len);
		if (n->kind == N_RAW)
			return f->t->text ? put_plain(r->out, s, len) : buf_append(r->out, s, len);
		return put_value(r, s, len, n->esc);
	case N_LINKED:
		scalar_text(lookup(r, str), tmp, sizeof tmp, &s, &len);
		return f->t->text ? put_plain(r->out, s, len) : put_linked(r->out, s, len);
	case N_LOCALE: s = locale_text(r, str); return put_value(r, s, strlen(s), n->esc);
	case N_SECTION:
	case N_INVERTED: return render_section(r, f, n);
	case N_PARTIAL: return render_partial(r, str, f->t->text);
	case N_URL_BEGIN: r->url_start = r->out->len; return 0;
	case N_URL_END: return url_end(r);
	}
	return -1;
}

/* The body of the top frame is done: the next item of a list, or back out. */
static int frame_done(struct render *r)
{
	struct frame *f = &r->frames[r->nframes - 1];
	if (f->kind == F_LIST && f->item->next) {
		f->item = f->item->next;
		r->ctx[r->nctx - 1] = f->item->value ? f->item->value : &null_value;
		f->i = f->body;
		return 0;
	}
	if (f->pushed)
		r->nctx--;
	if (f->kind == F_PARTIAL)
		r->partials--;
	r->nframes--;
	return 0;
}

static int render_loop(struct render *r)
{
	while (r->nframes > 0) {
		struct frame *f = &r->frames[r->nframes - 1];
		if (++r->steps > TPL_MAX_STEPS || r->out->failed ||
		    r->out->len - r->out_start > TPL_MAX_OUTPUT)
			return -1;
		if (f->i >= f->end) {
			if (frame_done(r))
				return -1;
			continue;
		}
		const struct node *n = &f->t->nodes[f->i++];
		/* f may move when render_node pushes a frame; it is not used after. */
		if (render_node(r, f, n))
			return -1;
	}
	return 0;
}

int tpl_render(struct tpl_set *set, const struct tpl *t, const struct portal_value *ctx,
               const struct locale *loc, struct buf *out)
{
	if (!set || !t || !out || out->failed)
		return -1;
	struct render r = {.set = set, .loc = loc, .out = out, .out_start = out->len};
	struct frame root = {.t = t, .i = 0, .end = t->count, .kind = F_ONCE, .pushed = 1};
	int rc = push_ctx(&r, ctx);
	if (rc == 0)
		rc = push_frame(&r, &root);
	if (rc == 0)
		rc = render_loop(&r);
	free(r.frames);
	free(r.ctx);
	if (rc != 0 && out->data) {
		/* No half page: the caller renders an error page instead. */
		out->len = r.out_start;
		out->data[out->len] = '\0';
	}
	return rc;
}
