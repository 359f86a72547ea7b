/* The template engine and the locale catalogs. Run from the repository root:
 * the last tests load templates/ and its locale files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "harness.h"
#include "view/template.h"

static struct portal_arena *A;
static struct tpl_set *set;
static const struct locale *cur_loc;
static struct buf out;
static char err[512];
static char result[4096];

/* Compiles text as template "t" and renders it; compile and render failures
 * come back as text, so CHECK_STR shows them. */
static const char *render(const char *text, const struct portal_value *ctx)
{
	const struct tpl *t = tpl_compile(set, "t", text, strlen(text), err, sizeof err);
	if (!t) {
		snprintf(result, sizeof result, "(compile error: %s)", err);
		return result;
	}
	buf_reset(&out);
	if (tpl_render(set, t, ctx, cur_loc, &out))
		return "(render error)";
	return out.len ? out.data : "";
}

/* NULL when text compiles, otherwise the message. */
static const char *compile_error(const char *text)
{
	err[0] = '\0';
	if (tpl_compile(set, "t", text, strlen(text), err, sizeof err))
		return NULL;
	return err;
}

static bool contains(const char *s, const char *part)
{
	return s && strstr(s, part) != NULL;
}

static struct portal_value *obj1(const char *key, const char *value)
{
	struct portal_value *o = pv_object(A);
	pv_set_str(A, o, key, value);
	return o;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void test_variables(void)
{
	struct portal_value *o = pv_object(A);
	pv_set_str(A, o, "name", "Anna");
	pv_set_int(A, o, "n", -42);
	pv_set(A, o, "d", pv_double(A, 2.5));
	pv_set_bool(A, o, "yes", true);
	pv_set_bool(A, o, "no", false);
	pv_set(A, o, "nothing", pv_null(A));
	pv_set(A, o, "list", pv_list(A));
	CHECK_STR(render("Hello {{name}}!", o), "Hello Anna!");
	CHECK_STR(
	    render("{{ name }}|{{n}}|{{d}}|{{yes}}|{{no}}|{{nothing}}|{{missing}}|{{list}}", o),
	    "Anna|-42|2.5|true|false|||");
	CHECK_STR(render("no tags at all", o), "no tags at all");
	CHECK_STR(render("", o), "");
	CHECK_STR(render("a{{! a comment }}b{{!\nmulti\nline}}c", o), "abc");
	CHECK_STR(render("{{name}}", NULL), "");
	CHECK_STR(render("{ {name} } {{name}}", o), "{ {name} } Anna");
}

static void test_escaping_text(void)
{
	struct portal_value *o = obj1("v", "<b>\"x\" & 'y'</b>");
	CHECK_STR(render("<p>{{v}}</p>", o),
	          "<p>&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;</p>");
	CHECK_STR(render("<p>{{&v}}</p>", o), "<p><b>\"x\" & 'y'</b></p>");
	o = obj1("v", "a = `b`");
	CHECK_STR(render("{{v}}", o), "a = `b`"); /* '=' and '`' only matter in attributes */
	o = obj1("v", "</textarea><script>x</script>");
	CHECK_STR(render("<textarea>{{v}}</textarea>", o),
	          "<textarea>&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>");
	CHECK_STR(render("<title>{{v}}</title>", o),
	          "<title>&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</title>");
	struct portal_value *nul = pv_object(A);
	pv_set(A, nul, "v", pv_stringn(A, "a\0b", 3));
	CHECK_STR(render("{{v}}", nul), "a\xEF\xBF\xBD"
	                                "b");
}

static const char *render_text(const char *text, const struct portal_value *ctx);

/* {{~v}}: people's text, escaped, with safe links for http(s) addresses only. */
static void test_linked_text(void)
{
	struct portal_value *o = obj1("v", "Siehe https://example.org/a?b=1&c=2. <b>fett</b>");
	CHECK_STR(
	    render("<p>{{~v}}</p>", o),
	    "<p>Siehe <a href=\"https://example.org/a?b&#61;1&amp;c&#61;2\" rel=\"nofollow "
	    "noopener ugc\">https://example.org/a?b=1&amp;c=2</a>. &lt;b&gt;fett&lt;/b&gt;</p>");
	o = obj1("v", "(HTTP://x.de) javascript:alert(1) ftp://x.de xhttps://y.de https:// "
	              "http:///a");
	CHECK_STR(render("{{~v}}", o),
	          "(<a href=\"HTTP://x.de\" rel=\"nofollow noopener ugc\">HTTP://x.de</a>) "
	          "javascript:alert(1) ftp://x.de xhttps://y.de https:// http:///a");
	o = obj1("v", "a https://e.org/\"onmouseover=x'<script>");
	CHECK_STR(render("{{~v}}", o),
	          "a <a href=\"https://e.org/\" rel=\"nofollow noopener "
	          "ugc\">https://e.org/</a>&quot;onmouseover=x&#39;&lt;script&gt;");
	CHECK_STR(render_text("{{~v}}", o), "a https://e.org/\"onmouseover=x'<script>");
	CHECK(compile_error("<a title=\"{{~v}}\">") != NULL);
	CHECK(compile_error("<textarea>{{~v}}</textarea>") != NULL);
}

static void test_escaping_attributes(void)
{
	struct portal_value *o = obj1("v", "\" onmouseover=\"x");
	CHECK_STR(render("<p title=\"{{v}}\">", o), "<p title=\"&quot; onmouseover&#61;&quot;x\">");
	o = obj1("v", "' onmouseover='x");
	CHECK_STR(render("<p title='{{v}}'>", o), "<p title='&#39; onmouseover&#61;&#39;x'>");
	o = obj1("v", "x onmouseover=alert(1)>`");
	CHECK_STR(render("<p title={{v}}>", o),
	          "<p title=x&#32;onmouseover&#61;alert(1)&gt;&#96;>");
	CHECK_STR(render("<p title=a{{v}}>", o),
	          "<p title=ax&#32;onmouseover&#61;alert(1)&gt;&#96;>");
	o = obj1("v", "a\tb\nc");
	CHECK_STR(render("<p class={{v}} id=x>", o), "<p class=a&#9;b&#10;c id=x>");
	CHECK_STR(render("<p class = \"{{v}}\">", o), "<p class = \"a\tb\nc\">");
	CHECK_STR(render("<P TITLE=\"{{v}}\">", o), "<P TITLE=\"a\tb\nc\">");
	/* A value in one attribute, then a literal one: the tokenizer follows. */
	o = obj1("v", "1");
	CHECK_STR(render("<p a=\"{{v}}\" b='x' c=y d>{{v}}</p><i a='{{v}}'>", o),
	          "<p a=\"1\" b='x' c=y d>1</p><i a='1'>");
	CHECK_STR(render("<a href=\"/x\" title=\">{{v}}\">", o), "<a href=\"/x\" title=\">1\">");
	CHECK_STR(render("<!-- <p title=\" -->{{v}}", o), "<!-- <p title=\" -->1");
	CHECK_STR(render("<!DOCTYPE html><p>{{v}}</p>", o), "<!DOCTYPE html><p>1</p>");
	CHECK_STR(render("a < b {{v}} <3", o), "a < b 1 <3");
}

static void test_style_attribute(void)
{
	struct portal_value *o = obj1("c", "#1f5fa8");
	CHECK_STR(render("<body style=\"--brand: {{c}}\">", o),
	          "<body style=\"--brand: #1f5fa8\">");
	o = obj1("c", "red;background:url(//evil)");
	CHECK_STR(render("<body style=\"--brand: {{c}}\">", o), "<body style=\"--brand: \">");
	o = obj1("c", "12px");
	CHECK_STR(render("<p style=width:{{c}}>", o), "<p style=width:12px>");
}

static const char *href(const char *url)
{
	return render("<a href=\"{{u}}\">", obj1("u", url));
}

static void test_urls(void)
{
	CHECK_STR(href("javascript:alert(1)"), "<a href=\"#\">");
	CHECK_STR(href(" \t\x01JaVaScRiPt:alert(1)"), "<a href=\"#\">");
	CHECK_STR(href("java\tscript:alert(1)"), "<a href=\"#\">");
	CHECK_STR(href("data:text/html,<script>x</script>"), "<a href=\"#\">");
	CHECK_STR(href("vbscript:x"), "<a href=\"#\">");
	CHECK_STR(href("foo:bar"), "<a href=\"#\">");
	CHECK_STR(href(":x"), "<a href=\"#\">");
	CHECK_STR(href("a&b:c"), "<a href=\"#\">");
	CHECK_STR(href("/tickets/1"), "<a href=\"/tickets/1\">");
	CHECK_STR(href("//cdn.example/x"), "<a href=\"//cdn.example/x\">");
	CHECK_STR(href("#top"), "<a href=\"#top\">");
	CHECK_STR(href("?page=2&x=1"), "<a href=\"?page&#61;2&amp;x&#61;1\">");
	CHECK_STR(href("relative/pa:th"), "<a href=\"relative/pa:th\">");
	CHECK_STR(href("page.html"), "<a href=\"page.html\">");
	CHECK_STR(href(""), "<a href=\"\">");
	CHECK_STR(href("https://example.com/?a=1&b=\"2\""),
	          "<a href=\"https://example.com/?a&#61;1&amp;b&#61;&quot;2&quot;\">");
	CHECK_STR(href("HTTP://example.com"), "<a href=\"HTTP://example.com\">");
	CHECK_STR(href("mailto:a@example.com"), "<a href=\"mailto:a@example.com\">");
	CHECK_STR(href("tel:+4930123"), "<a href=\"tel:+4930123\">");

	struct portal_value *o = pv_object(A);
	pv_set_str(A, o, "a", "java");
	pv_set_str(A, o, "b", "script:alert(1)");
	pv_set_str(A, o, "u", "javascript:alert(1)");
	pv_set_str(A, o, "id", "javascript:x");
	/* Values that only together make a scheme, or with literal text. */
	CHECK_STR(render("<a href=\"{{a}}{{b}}\">", o), "<a href=\"#\">");
	CHECK_STR(render("<a href=\"{{a}}script:x\">", o), "<a href=\"#\">");
	CHECK_STR(render("<a href=\"{{#a}}{{a}}{{/a}}{{b}}\">", o), "<a href=\"#\">");
	CHECK_STR(render("<a href=\"/t/{{id}}\">", o), "<a href=\"/t/javascript:x\">");
	CHECK_STR(render("<a href=\"https://x.example/{{u}}\">", o),
	          "<a href=\"https://x.example/javascript:alert(1)\">");
	CHECK_STR(render("<a href={{u}}>x</a>", o), "<a href=#>x</a>");
	CHECK_STR(render("<a href = '{{u}}' title=\"{{u}}\">", o),
	          "<a href = '#' title=\"javascript:alert(1)\">");
	CHECK_STR(render("<img src=\"{{u}}\"><form action='{{u}}'><button formaction={{u}}>", o),
	          "<img src=\"#\"><form action='#'><button formaction=#>");
	CHECK_STR(render("<a HREF=\"{{u}}\">", o), "<a HREF=\"#\">");
	CHECK_STR(render("<a href=\"javascript:void(0)\">", o), "<a href=\"javascript:void(0)\">");
	CHECK_STR(render("<p>{{u}}</p>", o), "<p>javascript:alert(1)</p>");
}

static struct portal_value *item(const char *name, bool current)
{
	struct portal_value *o = obj1("name", name);
	pv_set_bool(A, o, "current", current);
	return o;
}

static void test_sections(void)
{
	struct portal_value *o = pv_object(A);
	struct portal_value *list = pv_list(A);
	pv_push(A, list, item("a", false));
	pv_push(A, list, item("b", true));
	pv_push(A, list, item("c", false));
	pv_set(A, o, "items", list);
	pv_set(A, o, "empty", pv_list(A));
	pv_set(A, o, "user", obj1("name", "Ute"));
	pv_set_bool(A, o, "t", true);
	pv_set_bool(A, o, "f", false);
	pv_set_str(A, o, "name", "outer");
	pv_set_int(A, o, "zero", 0);
	struct portal_value *words = pv_list(A);
	pv_push(A, words, pv_string(A, "x"));
	pv_push(A, words, pv_int(A, 7));
	pv_set(A, o, "words", words);

	CHECK_STR(
	    render("<ul>{{#items}}<li>{{name}}{{#current}}*{{/current}}</li>{{/items}}</ul>", o),
	    "<ul><li>a</li><li>b*</li><li>c</li></ul>");
	CHECK_STR(render("{{#words}}[{{.}}]{{/words}}", o), "[x][7]");
	CHECK_STR(render("{{#user}}{{name}}{{/user}}", o), "Ute");
	CHECK_STR(render("{{#t}}yes{{/t}}{{#f}}no{{/f}}{{#missing}}no{{/missing}}", o), "yes");
	CHECK_STR(render("{{#t}}{{.}}{{/t}}", o), "true");
	CHECK_STR(render("{{^f}}F{{/f}}{{^t}}T{{/t}}{{^empty}}E{{/empty}}{{^items}}I{{/items}}"
	                 "{{^missing}}M{{/missing}}{{^zero}}0{{/zero}}",
	                 o),
	          "FEM0");
	CHECK_STR(render("{{#empty}}never{{/empty}}", o), "");
	/* Context stack: innermost first, then outward. */
	CHECK_STR(render("{{#user}}{{name}}/{{t}}{{/user}} {{name}}", o), "Ute/true outer");
	CHECK_STR(render("{{#items}}{{#user}}{{name}}{{/user}}{{/items}}", o), "UteUteUte");
	CHECK_STR(render("{{#items}}{{#current}}{{name}}{{/current}}{{/items}}", o), "b");
	/* Nested lists over the same list. */
	CHECK_STR(render("{{#words}}{{#words}}{{.}}{{/words}};{{/words}}", o), "x7;x7;");
	/* Sections inside a tag, between attributes. */
	CHECK_STR(render("<input type=\"checkbox\"{{#t}} checked{{/t}}>", o),
	          "<input type=\"checkbox\" checked>");
	CHECK(compile_error("<input type=checkbox{{#t}} checked{{/t}}>") != NULL);
	CHECK_STR(render("<input {{#f}}checked{{/f}}>", o), "<input >");
	CHECK_STR(render("<input {{#t}}checked{{/t}} name=\"{{name}}\">", o),
	          "<input checked name=\"outer\">");
	CHECK_STR(render("<li{{#t}} class=\"on\"{{/t}}>", o), "<li class=\"on\">");
	CHECK_STR(render("<p class=\"a{{#t}} b{{/t}}\">", o), "<p class=\"a b\">");
	/* Standalone section lines vanish with their line. */
	CHECK_STR(render("<ul>\n  {{#words}}\n  <li>{{.}}</li>\n  {{/words}}\n</ul>\n", o),
	          "<ul>\n  <li>x</li>\n  <li>7</li>\n</ul>\n");
	CHECK_STR(render("a\n{{! note }}\nb", o), "a\nb");
	CHECK_STR(render("a {{#t}}\nb{{/t}}", o), "a \nb");
}

static void test_dotted_names(void)
{
	struct portal_value *o = pv_object(A);
	struct portal_value *a = pv_object(A);
	struct portal_value *b = pv_object(A);
	pv_set_str(A, b, "c", "deep");
	pv_set(A, a, "b", b);
	pv_set(A, o, "a", a);
	struct portal_value *inner = pv_object(A);
	pv_set(A, inner, "a", pv_object(A));
	pv_set(A, o, "inner", inner);
	struct portal_value *error = pv_object(A);
	pv_set_int(A, error, "code", 404);
	pv_set(A, o, "error", error);
	CHECK_STR(render("{{a.b.c}}|{{a.x.c}}|{{a.b.c.d}}|{{error.code}}", o), "deep|||404");
	CHECK_STR(render("{{#a.b}}{{c}}{{/a.b}}", o), "deep");
	CHECK_STR(render("{{#inner}}{{a.b.c}}{{/inner}}", o), ""); /* found a, then strict */
	CHECK_STR(render("{{#inner}}{{error.code}}{{/inner}}", o), "404");
}

static void test_partials(void)
{
	struct portal_value *o = pv_object(A);
	struct portal_value *list = pv_list(A);
	pv_push(A, list, item("<a>", false));
	pv_push(A, list, item("b", true));
	pv_set(A, o, "items", list);
	pv_set_str(A, o, "title", "T");
	CHECK(tpl_compile(set, "row", "<li>{{name}} {{title}}</li>", 27, err, sizeof err) != NULL);
	CHECK_STR(render("<ul>{{#items}}{{>row}}{{/items}}</ul>", o),
	          "<ul><li>&lt;a&gt; T</li><li>b T</li></ul>");
	CHECK_STR(render("<ul>\n  {{> row }}\n</ul>", obj1("name", "x")), "<ul>\n<li>x </li></ul>");

	const char *missing = "a{{>nowhere}}b";
	const struct tpl *t = tpl_compile(set, "t", missing, strlen(missing), err, sizeof err);
	CHECK(t != NULL);
	buf_reset(&out);
	buf_puts(&out, "before");
	CHECK(tpl_render(set, t, o, NULL, &out) == -1);
	CHECK_STR(out.data, "before"); /* nothing of the failed render is left */

	CHECK(tpl_compile(set, "loop", "x{{>loop}}", 10, err, sizeof err) != NULL);
	CHECK_STR(render("{{>loop}}", o), "(render error)");
	/* Partials may not stand inside tags. */
	CHECK(contains(compile_error("<p {{>row}}>"), "line 1"));
	CHECK(compile_error("<p title=\"{{>row}}\">") != NULL);
	/* Invalid partial names. */
	CHECK(compile_error("{{>../etc/passwd}}") != NULL);
	CHECK(compile_error("{{>/etc/passwd}}") != NULL);
	CHECK(compile_error("{{>a..b}}") != NULL);
	CHECK(compile_error("{{>}}") != NULL);
}

static void test_translation(void)
{
	char path[] = "/tmp/tpl_locale_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	write_file(path,
	           "# comment\n\nnav.overview = Übersicht\n  greeting=  Hallo, <Welt> & \"du\"  \n"
	           "formula = a = b\r\nempty =\nerr.title = Fehler\nerr.title.404 = Nicht da\n");
	struct locale *loc = locale_load(path, err, sizeof err);
	CHECK(loc != NULL);
	CHECK_STR(locale_get(loc, "nav.overview"), "Übersicht");
	CHECK_STR(locale_get(loc, "greeting"), "Hallo, <Welt> & \"du\"");
	CHECK_STR(locale_get(loc, "formula"), "a = b");
	CHECK_STR(locale_get(loc, "empty"), "");
	CHECK(locale_get(loc, "nope") == NULL);
	CHECK(locale_get(NULL, "nope") == NULL);
	cur_loc = loc;
	CHECK_STR(render("<h1>{{@nav.overview}}</h1>", NULL), "<h1>Übersicht</h1>");
	CHECK_STR(render("{{@greeting}}|<p title={{@greeting}}>", NULL),
	          "Hallo, &lt;Welt&gt; &amp; &quot;du&quot;|"
	          "<p title=Hallo,&#32;&lt;Welt&gt;&#32;&amp;&#32;&quot;du&quot;>");
	CHECK_STR(render("{{@unknown.key}}", NULL), "unknown.key");
	/* Keys completed by a value, falling back to the prefix. */
	struct portal_value *st = pv_object(A);
	pv_set_int(A, st, "status", 404);
	pv_set_str(A, st, "bad", "x y");
	pv_set_str(A, st, "other", "418");
	CHECK_STR(render("{{@err.title.[status]}}|{{@err.title.[other]}}|{{@err.title.[bad]}}|"
	                 "{{@err.title.[missing]}}|{{@nope.[status]}}",
	                 st),
	          "Nicht da|Fehler|Fehler|Fehler|nope");
	CHECK(compile_error("{{@err.[a b]}}") != NULL);
	CHECK(compile_error("{{@err.[a]x}}") != NULL);
	CHECK(compile_error("{{@err.[]}}") != NULL);
	cur_loc = NULL;
	CHECK_STR(render("{{@nav.overview}}", NULL), "nav.overview");
	CHECK(compile_error("{{@bad key}}") != NULL);
	locale_free(loc);

	write_file(path, "a = 1\nb = 2\na = 3\n");
	CHECK(locale_load(path, err, sizeof err) == NULL);
	CHECK(contains(err, "line 3") && contains(err, "line 1"));
	write_file(path, "a = 1\nb = \xC3\x28\n");
	CHECK(locale_load(path, err, sizeof err) == NULL);
	CHECK(contains(err, "UTF-8") && contains(err, "line 2"));
	write_file(path, "a = \xED\xA0\x80\n"); /* a surrogate */
	CHECK(locale_load(path, err, sizeof err) == NULL);
	write_file(path, "a = \xC0\xAF\n"); /* overlong '/' */
	CHECK(locale_load(path, err, sizeof err) == NULL);
	write_file(path, "a = 1\njust text\n");
	CHECK(locale_load(path, err, sizeof err) == NULL);
	CHECK(contains(err, "line 2"));
	write_file(path, " = 1\n");
	CHECK(locale_load(path, err, sizeof err) == NULL);
	write_file(path, "");
	loc = locale_load(path, err, sizeof err);
	CHECK(loc != NULL && locale_get(loc, "a") == NULL);
	locale_free(loc);
	unlink(path);
	CHECK(locale_load("/nonexistent/de.txt", err, sizeof err) == NULL);
}

static void test_raw(void)
{
	struct portal_value *o = obj1("content", "<main>x & y</main>");
	CHECK_STR(render("<body>{{&content}}</body>", o), "<body><main>x & y</main></body>");
	CHECK(compile_error("<a href=\"{{&content}}\">") != NULL);
	CHECK(compile_error("<script>{{&content}}</script>") != NULL);
	CHECK(compile_error("<textarea>{{&content}}</textarea>") != NULL);
}

static void test_compile_errors(void)
{
	CHECK(contains(compile_error("{{#a}}x"), "never closed"));
	CHECK(contains(compile_error("x\n\n{{#a}}\n{{#b}}{{/a}}"), "line 4"));
	CHECK(contains(compile_error("{{/a}}"), "closes no section"));
	CHECK(contains(compile_error("a\nb\n<script>{{x}}</script>"), "line 3"));
	CHECK(contains(compile_error("<script>var x = 1;\n{{x}}</script>"), "script"));
	CHECK(compile_error("<SCRIPT type=x>{{x}}</SCRIPT>") != NULL);
	CHECK(compile_error("<style>p { color: {{x}} }</style>") != NULL);
	CHECK(compile_error("<script><!--</script>{{x}}") != NULL);
	/* Raw text elements hold text only: inside <svg> they would be markup. */
	CHECK(compile_error("<svg><title><a href=\"{{x}}\">x</a></title></svg>") != NULL);
	CHECK(compile_error("<textarea><b></textarea>") != NULL);
	CHECK(compile_error("<title>a </titlex> b</title>") != NULL);
	CHECK(compile_error("<textarea>a</textarea >b") == NULL);
	CHECK(compile_error("<noscript><p>{{x}}</p></noscript>") != NULL);
	CHECK(compile_error("<plaintext>") != NULL);
	CHECK(compile_error("<{{x}}>") != NULL);
	CHECK(compile_error("<p{{x}}>") != NULL);
	CHECK(compile_error("</{{x}}>") != NULL);
	CHECK(compile_error("<p {{x}}>") != NULL);
	CHECK(compile_error("<p {{x}}=1>") != NULL);
	CHECK(compile_error("<p title=\"a\"{{x}}>") != NULL);
	CHECK(compile_error("<!-- {{x}} -->") != NULL);
	CHECK(compile_error("<!DOCTYPE {{x}}>") != NULL);
	CHECK(compile_error("<p onclick=\"f({{x}})\">") != NULL);
	CHECK(compile_error("<p ONMOUSEOVER={{x}}>") != NULL);
	CHECK(compile_error("<iframe srcdoc=\"{{x}}\">") != NULL);
	CHECK(compile_error("<a href=\"&{{x}}\">") != NULL);
	CHECK(compile_error("<p title=\"&#{{x}}\">") != NULL);
	CHECK(contains(compile_error("{{x"), "never closed"));
	CHECK(compile_error("{{}}") != NULL);
	CHECK(compile_error("{{{x}}}") != NULL);
	CHECK(compile_error("{{a b}}") != NULL);
	CHECK(compile_error("{{a..b}}") != NULL);
	CHECK(compile_error("{{=<% %>=}}") != NULL);
	CHECK(compile_error("<p title=\"x") != NULL);
	CHECK(compile_error("<p") != NULL);
	CHECK(compile_error("<script>") != NULL);
	/* Sections must end where they began. */
	CHECK(compile_error("{{#a}}<p title=\"{{/a}}\">") != NULL);
	CHECK(compile_error("{{#a}}<!--{{/a}}-->") != NULL);
	CHECK(compile_error("<a href=\"{{#a}}\">x<a href=\"{{/a}}\">") != NULL);
	CHECK(compile_error("<a {{#a}}><b {{/a}}>") != NULL);
	CHECK(compile_error("<script>{{#a}}</script><script>{{/a}}</script>") != NULL);
	CHECK(compile_error("<script>{{#a}}</scr{{/a}}ipt>") != NULL);
	CHECK(compile_error("<scr{{#a}}ipt{{/a}}>") != NULL);
	CHECK(compile_error("<li{{#a}}x{{/a}}>") != NULL);
	CHECK(compile_error("<li{{#a}} x{{/a}}y>") != NULL);
	CHECK(compile_error("<li{{#a}} x{{/a}}=y>") != NULL);
	CHECK(compile_error("<{{#a}}b{{/a}}>") != NULL);
	/* Whether "click" continues "on" would depend on the section. */
	CHECK(compile_error("<a on{{#a}} {{/a}}click=\"x\">") != NULL);
	CHECK(compile_error("<input {{#a}}checked{{/a}}=x>") != NULL);
	CHECK(compile_error("<input {{#a}}checked{{/a}} =x>") != NULL);
	CHECK(compile_error("<input {{#a}}checked {{/a}}name=x>") == NULL);
	/* Too deep. */
	char deep[2048] = "";
	for (int i = 0; i < 65; i++)
		strcat(deep, "{{#a}}");
	for (int i = 0; i < 65; i++)
		strcat(deep, "{{/a}}");
	CHECK(compile_error(deep) != NULL);
}

static void test_limits(void)
{
	/* 10^8 iterations would take long: the step limit stops it. */
	struct portal_value *o = pv_object(A);
	struct portal_value *list = pv_list(A);
	for (int i = 0; i < 10; i++)
		pv_push(A, list, pv_int(A, i));
	pv_set(A, o, "l", list);
	CHECK_STR(render("{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}{{#l}}x"
	                 "{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}{{/l}}",
	                 o),
	          "(render error)");
	/* A value that contains itself renders as far as the template goes. */
	struct portal_value *self = pv_object(A);
	pv_set_str(A, self, "n", "s");
	pv_set(A, self, "self", self);
	CHECK_STR(render("{{#self}}{{#self}}{{n}}{{self.self.n}}{{/self}}{{/self}}", self), "ss");
	/* Rendering appends to what out holds. */
	const struct tpl *t = tpl_compile(set, "t", "b", 1, err, sizeof err);
	buf_reset(&out);
	buf_puts(&out, "a");
	CHECK(t && tpl_render(set, t, NULL, NULL, &out) == 0);
	CHECK_STR(out.data, "ab");
	CHECK(tpl_render(set, NULL, NULL, NULL, &out) == -1);
	CHECK(tpl_compile(set, "../x", "b", 1, err, sizeof err) == NULL);
	CHECK(tpl_compile(set, NULL, "b", 1, err, sizeof err) == NULL);
}

static void test_folders(void)
{
	char dir[] = "/tmp/tpl_dir_XXXXXX", dir2[] = "/tmp/tpl_dir2_XXXXXX";
	CHECK(mkdtemp(dir) != NULL && mkdtemp(dir2) != NULL);
	char path[256];
	snprintf(path, sizeof path, "%s/page.html", dir);
	write_file(path, "<h1>{{title}}</h1>\n{{>parts/footer}}");
	snprintf(path, sizeof path, "%s/parts", dir);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof path, "%s/parts/footer.html", dir);
	write_file(path, "<footer>{{title}}</footer>");
	snprintf(path, sizeof path, "%s/broken.html", dir);
	write_file(path, "ok\n{{#a}}");
	snprintf(path, sizeof path, "%s/needs.html", dir);
	write_file(path, "{{>gone}}");
	snprintf(path, sizeof path, "%s/page.html", dir2);
	write_file(path, "second folder");
	snprintf(path, sizeof path, "%s/only2.html", dir2);
	write_file(path, "only in the second");

	struct tpl_set *s = tpl_set_new();
	CHECK(s != NULL);
	CHECK(tpl_set_add_dir(s, "/nonexistent/templates") == -1);
	CHECK(tpl_set_add_dir(s, dir) == 0);
	CHECK(tpl_set_add_dir(s, dir2) == 0);
	const struct tpl *t = tpl_get(s, "page", err, sizeof err);
	CHECK(t != NULL);
	CHECK(tpl_get(s, "page", err, sizeof err) == t);
	buf_reset(&out);
	CHECK(tpl_render(s, t, obj1("title", "<T>"), NULL, &out) == 0);
	CHECK_STR(out.data, "<h1>&lt;T&gt;</h1>\n<footer>&lt;T&gt;</footer>");
	const struct tpl *t2 = tpl_get(s, "only2", err, sizeof err);
	CHECK(t2 != NULL);
	buf_reset(&out);
	CHECK(t2 && tpl_render(s, t2, NULL, NULL, &out) == 0);
	CHECK_STR(out.data, "only in the second");

	CHECK(tpl_get(s, "missing", err, sizeof err) == NULL);
	CHECK(contains(err, "missing"));
	CHECK(tpl_get(s, "broken", err, sizeof err) == NULL);
	CHECK(contains(err, "line 2"));
	CHECK(tpl_get(s, "needs", err, sizeof err) == NULL);
	CHECK(contains(err, "gone"));
	CHECK(tpl_get(s, "../etc/passwd", err, sizeof err) == NULL);
	CHECK(tpl_get(s, "/etc/passwd", err, sizeof err) == NULL);
	CHECK(tpl_get(s, "page.html", err, sizeof err) == NULL);
	CHECK(tpl_get(s, "", err, sizeof err) == NULL);
	tpl_set_free(s);

	const char *files[] = {"page.html", "parts/footer.html", "broken.html", "needs.html"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/parts", dir);
	rmdir(path);
	rmdir(dir);
	snprintf(path, sizeof path, "%s/page.html", dir2);
	unlink(path);
	snprintf(path, sizeof path, "%s/only2.html", dir2);
	unlink(path);
	rmdir(dir2);
}

/* Compiles text as plain-text template "t" and renders it, like render(). */
static const char *render_text(const char *text, const struct portal_value *ctx)
{
	const struct tpl *t = tpl_compile_text(set, "t", text, strlen(text), err, sizeof err);
	if (!t) {
		snprintf(result, sizeof result, "(compile error: %s)", err);
		return result;
	}
	buf_reset(&out);
	if (tpl_render(set, t, ctx, cur_loc, &out))
		return "(render error)";
	return out.len ? out.data : "";
}

/* Plain text for mail: the syntax of the HTML mode, nothing escaped, nothing
 * refused for where it stands. */
static void test_text_mode(void)
{
	struct portal_value *o = obj1("v", "<b>\"x\" & 'y'</b> a=`b`");
	pv_set_str(A, o, "name", "Jörg");
	CHECK_STR(render_text("Hallo {{name}}: {{v}}", o), "Hallo Jörg: <b>\"x\" & 'y'</b> a=`b`");
	CHECK_STR(render_text("{{&v}}", o), "<b>\"x\" & 'y'</b> a=`b`");
	/* What the HTML mode refuses is plain text here. */
	CHECK_STR(render_text("<script>{{name}}</script><p {{name}}><!-- {{name}} -->", o),
	          "<script>Jörg</script><p Jörg><!-- Jörg -->");
	CHECK_STR(render_text("<a href=\"{{v}}\">", obj1("v", "javascript:x")),
	          "<a href=\"javascript:x\">");
	CHECK_STR(render_text("{{#name}}<{{/name}}", o), "<");
	CHECK_STR(render_text("x <", o), "x <");
	/* The same text in the HTML mode is escaped, or refused. */
	CHECK_STR(render("{{v}}", o), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt; a=`b`");
	CHECK(compile_error("<script>{{name}}</script>") != NULL);
	/* NUL would end the text wherever it goes next. */
	struct portal_value *nul = pv_object(A);
	pv_set(A, nul, "v", pv_stringn(A, "a\0b", 3));
	CHECK_STR(render_text("{{v}}|{{&v}}", nul), "a\xEF\xBF\xBD"
	                                            "b|a\xEF\xBF\xBD"
	                                            "b");
	/* Line breaks in values stay: the mail formatter encodes the body. */
	CHECK_STR(render_text("{{v}}", obj1("v", "a\r\nb\nc")), "a\r\nb\nc");
	/* Sections, lists, standalone lines, numbers. */
	struct portal_value *l = pv_object(A);
	struct portal_value *items = pv_list(A);
	pv_push(A, items, obj1("t", "<eins>"));
	pv_push(A, items, obj1("t", "zwei & drei"));
	pv_set(A, l, "items", items);
	pv_set_int(A, l, "n", 2);
	CHECK_STR(render_text(
	              "{{n}} items:\n{{#items}}\n- {{t}}\n{{/items}}\n{{^items}}none{{/items}}", l),
	          "2 items:\n- <eins>\n- zwei & drei\n");
	/* Catalog texts are not escaped either. */
	char path[] = "/tmp/tpl_text_locale_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		close(fd);
		write_file(path, "mail.greeting = Grüße & \"Küsse\" <3\n");
		struct locale *loc = locale_load(path, err, sizeof err);
		CHECK(loc != NULL);
		cur_loc = loc;
		CHECK_STR(render_text("{{@mail.greeting}}", NULL), "Grüße & \"Küsse\" <3");
		CHECK_STR(render("{{@mail.greeting}}", NULL),
		          "Grüße &amp; &quot;Küsse&quot; &lt;3");
		cur_loc = NULL;
		locale_free(loc);
		unlink(path);
	}
	/* Syntax errors are errors in both modes. */
	const struct tpl *bad = tpl_compile_text(set, "t", "{{#a}}", 6, err, sizeof err);
	CHECK(bad == NULL && contains(err, "never closed"));
	CHECK(tpl_compile_text(set, "t", "{{>../x}}", 9, err, sizeof err) == NULL);
	CHECK(tpl_compile_text(set, "../t", "x", 1, err, sizeof err) == NULL);
	CHECK(tpl_compile_text(NULL, "t", "x", 1, err, sizeof err) == NULL);
	/* The same text under the same name is compiled once. */
	const struct tpl *s1 =
	    tpl_compile_text(set, "subject", "Neu: {{title}}", 14, err, sizeof err);
	const struct tpl *s2 =
	    tpl_compile_text(set, "subject", "Neu: {{title}}", 14, err, sizeof err);
	const struct tpl *s3 =
	    tpl_compile_text(set, "subject", "New: {{title}}", 14, err, sizeof err);
	CHECK(s1 != NULL && s1 == s2 && s3 != NULL && s3 != s1);
	buf_reset(&out);
	CHECK(s1 && tpl_render(set, s1, obj1("title", "<Ä>"), NULL, &out) == 0);
	CHECK_STR(out.data, "Neu: <Ä>");
	/* A text partial is a text template: it is not escaped, and an HTML template
	 * of the same name is another template. */
	CHECK(tpl_compile(set, "part", "<i>{{v}}</i>", 12, err, sizeof err) != NULL);
	CHECK(tpl_compile_text(set, "part", "[{{v}}]", 7, err, sizeof err) != NULL);
	CHECK_STR(render_text("a {{>part}} b", obj1("v", "<&>")), "a [<&>] b");
	CHECK_STR(render("a {{>part}} b", obj1("v", "<&>")), "a <i>&lt;&amp;&gt;</i> b");
}

/* tpl_get_text reads "<name>.txt" from the folders; tpl_get still reads .html. */
static void test_text_folders(void)
{
	char dir[] = "/tmp/tpl_text_XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	snprintf(path, sizeof path, "%s/mail", dir);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof path, "%s/mail/hello.txt", dir);
	write_file(path, "Hallo {{name}},\n{{>mail/footer}}");
	snprintf(path, sizeof path, "%s/mail/hello.html", dir);
	write_file(path, "<p>Hallo {{name}},</p>\n{{>mail/footer}}");
	snprintf(path, sizeof path, "%s/mail/footer.txt", dir);
	write_file(path, "-- \n{{url}}\n");
	snprintf(path, sizeof path, "%s/mail/footer.html", dir);
	write_file(path, "<a href=\"{{url}}\">{{url}}</a>\n");
	snprintf(path, sizeof path, "%s/mail/nopartial.txt", dir);
	write_file(path, "{{>mail/gone}}");
	snprintf(path, sizeof path, "%s/mail/onlyhtml.html", dir);
	write_file(path, "<p>x</p>");

	struct tpl_set *s = tpl_set_new();
	CHECK(s && tpl_set_add_dir(s, dir) == 0);
	const struct tpl *txt = tpl_get_text(s, "mail/hello", err, sizeof err);
	const struct tpl *html = tpl_get(s, "mail/hello", err, sizeof err);
	CHECK(txt != NULL && html != NULL && txt != html);
	CHECK(tpl_get_text(s, "mail/hello", err, sizeof err) == txt);
	CHECK(tpl_get(s, "mail/hello", err, sizeof err) == html);
	struct portal_value *v = obj1("name", "A&B <x>");
	pv_set_str(A, v, "url", "javascript:alert(1)");
	buf_reset(&out);
	CHECK(txt && tpl_render(s, txt, v, NULL, &out) == 0);
	CHECK_STR(out.data, "Hallo A&B <x>,\n-- \njavascript:alert(1)\n");
	buf_reset(&out);
	CHECK(html && tpl_render(s, html, v, NULL, &out) == 0);
	CHECK_STR(out.data,
	          "<p>Hallo A&amp;B &lt;x&gt;,</p>\n<a href=\"#\">javascript:alert(1)</a>\n");
	CHECK(tpl_get_text(s, "mail/nopartial", err, sizeof err) == NULL);
	CHECK(contains(err, "mail/gone"));
	CHECK(tpl_get_text(s, "mail/onlyhtml", err, sizeof err) == NULL);
	CHECK(contains(err, "onlyhtml.txt"));
	CHECK(tpl_get_text(s, "../mail/hello", err, sizeof err) == NULL);
	CHECK(tpl_get_text(NULL, "mail/hello", err, sizeof err) == NULL);
	tpl_set_free(s);

	const char *files[] = {"hello.txt",   "hello.html",    "footer.txt",
	                       "footer.html", "nopartial.txt", "onlyhtml.html"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/mail/%s", dir, files[i]);
		CHECK(unlink(path) == 0);
	}
	snprintf(path, sizeof path, "%s/mail", dir);
	rmdir(path);
	rmdir(dir);
}

/* The keys of a catalog file, one per line, as the loader reads them. */
static size_t read_keys(const char *path, char keys[][64], size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[1024];
	size_t n = 0;
	while (n < max && fgets(line, sizeof line, f)) {
		char *s = line + strspn(line, " \t");
		char *eq = strchr(s, '=');
		if (*s == '#' || !eq)
			continue;
		while (eq > s && (eq[-1] == ' ' || eq[-1] == '\t'))
			eq--;
		snprintf(keys[n++], 64, "%.*s", (int)(eq - s), s);
	}
	fclose(f);
	return n;
}

static void test_real_catalogs(void)
{
	struct locale *de = locale_load("templates/locale/de.txt", err, sizeof err);
	CHECK(de != NULL);
	struct locale *en = locale_load("templates/locale/en.txt", err, sizeof err);
	CHECK(en != NULL);
	if (!de || !en) {
		locale_free(de);
		locale_free(en);
		return;
	}
	static char de_keys[1000][64], en_keys[1000][64];
	size_t nde = read_keys("templates/locale/de.txt", de_keys, 1000);
	size_t nen = read_keys("templates/locale/en.txt", en_keys, 1000);
	CHECK(nde > 20);
	CHECK(nde == nen);
	for (size_t i = 0; i < nde; i++) {
		if (!locale_get(en, de_keys[i]))
			fprintf(stderr, "en.txt lacks %s\n", de_keys[i]);
		CHECK(locale_get(en, de_keys[i]) != NULL);
	}
	for (size_t i = 0; i < nen; i++) {
		if (!locale_get(de, en_keys[i]))
			fprintf(stderr, "de.txt lacks %s\n", en_keys[i]);
		CHECK(locale_get(de, en_keys[i]) != NULL);
	}
	CHECK_STR(locale_get(de, "property"), "Liegenschaft");
	CHECK_STR(locale_get(en, "property"), "Property");
	CHECK_STR(locale_get(de, "ticket"), "Vorgang");
	CHECK_STR(locale_get(de, "board"), "Schwarzes Brett");
	CHECK_STR(locale_get(de, "nav.tickets"), "Vorgänge");
	const char *codes[] = {"400", "401", "403", "404", "405", "413",
	                       "415", "422", "429", "500", "503"};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		char key[32];
		snprintf(key, sizeof key, "error.title.%s", codes[i]);
		CHECK(locale_get(de, key) != NULL && locale_get(en, key) != NULL);
	}

	/* The layout and the error page compile and render as the core uses them. */
	struct tpl_set *s = tpl_set_new();
	CHECK(s && tpl_set_add_dir(s, "templates") == 0);
	const struct tpl *layout = tpl_get(s, "layout", err, sizeof err);
	if (!layout)
		fprintf(stderr, "layout: %s\n", err);
	const struct tpl *error = tpl_get(s, "error", err, sizeof err);
	if (!error)
		fprintf(stderr, "error: %s\n", err);
	CHECK(layout != NULL && error != NULL);
	if (layout && error) {
		struct portal_value *v = pv_object(A);
		struct portal_value *e = pv_object(A);
		pv_set_str(A, e, "code", "not_found");
		pv_set_str(A, e, "message", "<no such page>");
		pv_set(A, v, "error", e);
		pv_set_int(A, v, "status", 404);
		buf_reset(&out);
		CHECK(tpl_render(s, error, v, de, &out) == 0);
		CHECK(contains(out.data, "&lt;no such page&gt;"));
		CHECK(contains(out.data, locale_get(de, "error.title.404")));
		char *content = strdup(out.data ? out.data : "");

		struct portal_value *p = pv_object(A);
		pv_set_str(A, p, "lang", "de");
		pv_set_str(A, p, "title", "Seite <1>");
		pv_set_str(A, p, "content", content);
		pv_set_str(A, p, "brand_color", "#1f5fa8");
		pv_set_str(A, p, "brand_css", "/brand/7.css");
		pv_set_str(A, p, "org_name", "Hausverwaltung \"Muster\"");
		pv_set_str(A, p, "area", "app");
		struct portal_value *nav = pv_list(A);
		struct portal_value *n1 = obj1("href", "/app");
		pv_set_str(A, n1, "label", "Übersicht");
		pv_set_bool(A, n1, "current", true);
		struct portal_value *n2 = obj1("href", "javascript:alert(1)");
		pv_set_str(A, n2, "label", "Vorgänge");
		pv_set_bool(A, n2, "current", false);
		pv_push(A, nav, n1);
		pv_push(A, nav, n2);
		pv_set(A, p, "nav", nav);
		buf_reset(&out);
		CHECK(tpl_render(s, layout, p, de, &out) == 0);
		CHECK(contains(out.data, "<html lang=\"de\""));
		/* the CSP forbids inline styles: the colour comes as a stylesheet */
		CHECK(contains(out.data, "<link rel=\"stylesheet\" href=\"/brand/7.css\">"));
		CHECK(!contains(out.data, "style=\""));
		CHECK(contains(out.data, "<main id=\"main\""));
		CHECK(contains(out.data, "href=\"#main\""));
		CHECK(contains(out.data, "aria-current=\"page\""));
		CHECK(contains(out.data, "Seite &lt;1&gt;"));
		CHECK(contains(out.data, "Hausverwaltung &quot;Muster&quot;"));
		CHECK(contains(out.data, content));
		CHECK(contains(out.data, "href=\"#\""));
		CHECK(!contains(out.data, "javascript:"));
		CHECK(!contains(out.data, "<script>"));
		CHECK(!contains(out.data, " onclick"));
		CHECK(contains(out.data, "/static/portal.css"));
		CHECK(contains(out.data, "/static/portal.js"));
		free(content);

		/* A public page: no navigation, no organisation, English. */
		struct portal_value *q = pv_object(A);
		pv_set_str(A, q, "lang", "en");
		pv_set_str(A, q, "title", "Sign in");
		pv_set_str(A, q, "content", "<p>hi</p>");
		pv_set_str(A, q, "brand_color", "");
		pv_set_str(A, q, "area", "");
		buf_reset(&out);
		CHECK(tpl_render(s, layout, q, en, &out) == 0);
		CHECK(contains(out.data, "<html lang=\"en\""));
		CHECK(!contains(out.data, "aria-current"));
	}
	tpl_set_free(s);
	locale_free(de);
	locale_free(en);
}

int main(void)
{
	A = arena_new(64 << 20);
	set = tpl_set_new();
	if (!A || !set) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	test_variables();
	test_escaping_text();
	test_linked_text();
	test_escaping_attributes();
	test_style_attribute();
	test_urls();
	test_sections();
	test_dotted_names();
	test_partials();
	test_translation();
	test_raw();
	test_compile_errors();
	test_limits();
	test_folders();
	test_text_mode();
	test_text_folders();
	test_real_catalogs();
	tpl_set_free(set);
	buf_free(&out);
	arena_free(A);
	HARNESS_END();
}
