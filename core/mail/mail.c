/* Queueing mail (portal_mail and mail_queue, see portal/mail.h and mail.h):
 * both parts and the subject are rendered now, in the recipient's language, and
 * stored whole, so the jobs worker only formats and sends, and a template
 * changed later never alters a mail already queued. */
#include "mail/mail.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "db/db.h"
#include "mime/mail_format.h"
#include "http/parse.h"
#include "portal/portal.h"
#include "view/template.h"
#include "http/request.h"

/* The outbox's column sizes (sql/002_accounts.sql), in characters. */
#define SUBJECT_MAX_CHARS 300
#define NAME_MAX_CHARS 200
#define KIND_MAX_BYTES 40
#define TEMPLATE_NAME_MAX 128

/* What the catalog's subject text is compiled as; one name for all subjects,
 * since tpl_compile_text keeps one template per distinct text. */
#define SUBJECT_TEMPLATE "mail-subject"

static int locale_index(const char *locale)
{
	return locale && strcmp(locale, "en") == 0 ? 1 : 0;
}

/* base_url without its trailing slashes, in the arena. */
static const char *base_url(struct portal_arena *a, const struct config *cfg)
{
	const char *base = config_get(cfg, "base_url");
	size_t n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	return portal_strndup(a, base, n);
}

/* The host part of base_url, for the right side of Message-IDs: a name as DNS
 * has it or a bracketed IPv6 address; "localhost" when base_url has neither. */
static const char *message_id_host(struct portal_arena *a, const struct config *cfg)
{
	const char *s = config_get(cfg, "base_url");
	const char *p = strstr(s, "://");
	p = p ? p + 3 : s;
	size_t n = strcspn(p, "/?#");
	const char *at = memchr(p, '@', n); /* user:password@ is no part of the host */
	if (at) {
		n -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);
		n = close ? (size_t)(close - p) + 1 : 0;
		for (size_t i = 1; i + 1 < n; i++)
			if (!strchr("0123456789abcdefABCDEF:.", p[i]))
				n = 0;
	} else {
		n = strcspn(p, ":/?#");
		for (size_t i = 0; i < n; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '.'))
				n = 0;
		}
		if (n > 0 && (p[0] == '.' || p[n - 1] == '.' || memmem(p, n, "..", 2)))
			n = 0;
	}
	return n > 0 && n <= 150 ? portal_strndup(a, p, n) : "localhost";
}

/* A Message-ID without its <>: 128 random bits in hex @ host. */
static const char *message_id_new(struct portal_arena *a, const struct config *cfg)
{
	unsigned char raw[16];
	char hex[2 * sizeof raw + 1];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	const char *host = message_id_host(a, cfg);
	return host ? portal_sprintf(a, "%s@%s", hex, host) : NULL;
}

/* One line of at most max characters for a header-bound column: control
 * characters (CR and LF among them) become spaces, surrounding spaces go, and
 * the text is cut between whole UTF-8 characters. NULL on exhaustion. */
static char *one_line(struct portal_arena *a, const char *s, size_t len, size_t max)
{
	while (len > 0 && ((unsigned char)*s <= 0x20 || *s == 0x7F)) {
		s++;
		len--;
	}
	char *out = portal_strndup(a, s, len);
	if (!out)
		return NULL;
	size_t chars = 0, cut = len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];
		if (c < 0x20 || c == 0x7F)
			out[i] = ' ';
		if ((c & 0xC0) != 0x80 && ++chars > max) {
			cut = i;
			break;
		}
	}
	while (cut > 0 && (unsigned char)out[cut - 1] == ' ')
		cut--;
	out[cut] = '\0';
	return out;
}

/* The view the templates see: the caller's, with base_url and settings_url
 * from the configuration (they win: links in mail go to this deployment). */
static struct portal_value *mail_view(struct portal_arena *a, const struct config *cfg,
                                      const struct portal_value *view)
{
	struct portal_value *o = pv_object(a);
	if (!o)
		return NULL;
	if (view && view->type == PV_OBJECT) {
		pv_foreach(m, view) {
			if (pv_set(a, o, m->key, m->value))
				return NULL;
		}
	}
	const char *base = base_url(a, cfg);
	const char *settings = base ? portal_sprintf(a, "%s/portal/settings", base) : NULL;
	if (!settings || pv_set_str(a, o, "base_url", base) ||
	    pv_set_str(a, o, "settings_url", settings))
		return NULL;
	return o;
}

/* Renders template (text or HTML) into out; 0, or 500 logged. */
static int render_part(const struct mail_context *ctx, const char *name, bool text,
                       const struct portal_value *view, const struct locale *loc, struct buf *out)
{
	char err[512];
	const struct tpl *t = text ? tpl_get_text(ctx->templates, name, err, sizeof err)
	                           : tpl_get(ctx->templates, name, err, sizeof err);
	if (!t) {
		portal_log("mail: %s", err);
		return 500;
	}
	if (tpl_render(ctx->templates, t, view, loc, out) ||
	    !utf8_valid(out->data ? out->data : "", out->len)) {
		portal_log("mail: %s.%s does not render", name, text ? "txt" : "html");
		return 500;
	}
	return 0;
}

/* The subject: the catalog's text for the key, itself a plain-text template. */
static const char *render_subject(const struct mail_context *ctx, const char *key,
                                  const struct portal_value *view, const struct locale *loc)
{
	char err[512];
	const char *text = locale_get(loc, key);
	if (!text)
		text = key;
	const struct tpl *t =
	    tpl_compile_text(ctx->templates, SUBJECT_TEMPLATE, text, strlen(text), err, sizeof err);
	struct buf out = {0};
	const char *subject = NULL;
	if (!t)
		portal_log("mail: the subject %s: %s", key, err);
	else if (tpl_render(ctx->templates, t, view, loc, &out) ||
	         !utf8_valid(out.data ? out.data : "", out.len))
		portal_log("mail: the subject %s does not render", key);
	else
		subject =
		    one_line(ctx->arena, out.data ? out.data : "", out.len, SUBJECT_MAX_CHARS);
	buf_free(&out);
	return subject;
}

static bool mail_fields_ok(const struct portal_mail *mail)
{
	if (!mail->kind || !*mail->kind || strlen(mail->kind) > KIND_MAX_BYTES ||
	    !mail->template_name || strlen(mail->template_name) > TEMPLATE_NAME_MAX ||
	    !mail->subject || mail->org_id < 0) {
		portal_log("mail: kind, template and subject are required (kind at most %d bytes)",
		           KIND_MAX_BYTES);
		return false;
	}
	if (mail->to_name && !utf8_valid(mail->to_name, strlen(mail->to_name))) {
		portal_log("mail: the recipient's name is not UTF-8");
		return false;
	}
	return true;
}

int mail_queue(const struct mail_context *ctx, const struct portal_mail *mail, bool secret,
               unsigned long long *id)
{
	if (!mail || !mail_address_ok(mail->to))
		return 422;
	if (!ctx || !ctx->cfg || !ctx->db || !ctx->arena || !ctx->templates ||
	    !mail_fields_ok(mail))
		return 500;
	if (sodium_init() < 0) /* 0 or 1 once it works: idempotent */
		return 500;
	struct portal_arena *a = ctx->arena;
	const struct locale *loc = ctx->locales[locale_index(mail->locale)];
	char name[TEMPLATE_NAME_MAX + 8];
	snprintf(name, sizeof name, "mail/%s", mail->template_name);
	struct portal_value *view = mail_view(a, ctx->cfg, mail->view);
	const char *message_id = message_id_new(a, ctx->cfg);
	const char *to_name = one_line(a, mail->to_name ? mail->to_name : "",
	                               mail->to_name ? strlen(mail->to_name) : 0, NAME_MAX_CHARS);
	if (!view || !message_id || !to_name)
		return 500;
	const char *subject = render_subject(ctx, mail->subject, view, loc);
	if (!subject)
		return 500;
	struct buf text = {0}, html = {0};
	int status = render_part(ctx, name, true, view, loc, &text);
	if (!status)
		status = render_part(ctx, name, false, view, loc, &html);
	if (!status) {
		struct portal_db_arg args[] = {
		    mail->org_id > 0 ? PDB_I(mail->org_id) : PDB_NUL,
		    PDB_S(mail->to),
		    PDB_S(to_name),
		    PDB_S(subject),
		    {.type = PDB_STR, .s = text.data ? text.data : "", .len = text.len},
		    {.type = PDB_STR, .s = html.data ? html.data : "", .len = html.len},
		    PDB_S(mail->kind),
		    PDB_I(secret),
		    PDB_S(message_id),
		};
		status = db_run(
		    ctx->db, a,
		    "INSERT INTO outbox (org_id, to_addr, to_name, subject, body_text, body_html,"
		    " kind, secret, status, attempts, message_id, next_attempt_at, created_at)"
		    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, UTC_TIMESTAMP(), "
		    "UTC_TIMESTAMP())",
		    args, sizeof args / sizeof args[0], NULL, NULL, id);
	}
	buf_free(&text);
	buf_free(&html);
	return status;
}

/* The calling plugin's templates and catalogs (its own, then core's). */
static struct mail_context request_context(struct portal_req *req)
{
	struct portal_worker *w = req->worker;
	const struct request *rq = request_of(req);
	size_t i = rq->plugin ? (size_t)(rq->plugin - w->plugins->items) : 0;
	struct mail_context ctx = {
	    .cfg = w->cfg,
	    .db = w->db,
	    .arena = req->arena,
	    .templates = w->templates[i],
	    .locales = {w->locales[i][0], w->locales[i][1]},
	};
	return ctx;
}

/* A mail rendered for one language, shared by its recipients. */
struct rendered {
	bool done;
	const char *subject;
	struct buf text, html;
};

static int render_for(const struct mail_context *ctx, const struct portal_mail *mail, int lang,
                      struct rendered *r)
{
	const struct locale *loc = ctx->locales[lang];
	char name[TEMPLATE_NAME_MAX + 8];
	snprintf(name, sizeof name, "mail/%s", mail->template_name);
	struct portal_value *view = mail_view(ctx->arena, ctx->cfg, mail->view);
	if (!view || !(r->subject = render_subject(ctx, mail->subject, view, loc)))
		return 500;
	int status = render_part(ctx, name, true, view, loc, &r->text);
	if (!status)
		status = render_part(ctx, name, false, view, loc, &r->html);
	r->done = status == 0;
	return status;
}

/* Rows per INSERT: few round trips, statements of a few hundred kilobytes. */
#define BATCH_ROWS 50
#define ROW_ARGS 9

/* INSERT of n rows (n <= BATCH_ROWS): one of few fixed texts, cached as
 * prepared statements like any other. */
static const char *batch_sql(struct portal_arena *a, size_t n)
{
	struct buf b = {0};
	buf_puts(&b, "INSERT INTO outbox (org_id, to_addr, to_name, subject, body_text, body_html,"
	             " kind, secret, status, attempts, message_id, next_attempt_at, created_at)"
	             " VALUES ");
	for (size_t i = 0; i < n; i++)
		buf_puts(&b, i ? ", (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, UTC_TIMESTAMP(),"
		                 " UTC_TIMESTAMP())"
		               : "(?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, UTC_TIMESTAMP(),"
		                 " UTC_TIMESTAMP())");
	const char *sql = b.failed ? NULL : portal_strndup(a, b.data, b.len);
	buf_free(&b);
	return sql;
}

int portal_mail_many(struct portal_req *req, const struct portal_mail *mail,
                     const struct portal_recipient *recipients, size_t count, size_t *queued)
{
	struct mail_context ctx = request_context(req);
	struct portal_arena *a = req->arena;
	struct rendered r[2] = {{0}};
	struct portal_db_arg *args = portal_alloc(a, BATCH_ROWS * ROW_ARGS * sizeof *args);
	size_t n = 0, done = 0;
	const char *full_batch = NULL;
	int status = !mail || !mail_fields_ok(mail) || !args || sodium_init() < 0 ? 500 : 0;
	for (size_t i = 0; !status && i <= count; i++) {
		if (i < count) {
			const struct portal_recipient *p = &recipients[i];
			if (!mail_address_ok(p->to)) {
				portal_log("mail: recipient %zu of a mail to many skipped: address "
				           "refused",
				           i);
				continue;
			}
			int lang = locale_index(p->locale);
			if (!r[lang].done && (status = render_for(&ctx, mail, lang, &r[lang])))
				break;
			const char *message_id = message_id_new(a, ctx.cfg);
			const char *to_name =
			    one_line(a, p->name ? p->name : "", p->name ? strlen(p->name) : 0,
			             NAME_MAX_CHARS);
			if (!message_id || !to_name) {
				status = 500;
				break;
			}
			struct portal_db_arg *row = &args[n * ROW_ARGS];
			row[0] = mail->org_id > 0 ? PDB_I(mail->org_id) : PDB_NUL;
			row[1] = PDB_S(p->to);
			row[2] = PDB_S(to_name);
			row[3] = PDB_S(r[lang].subject);
			row[4] =
			    (struct portal_db_arg){.type = PDB_STR,
			                           .s = r[lang].text.data ? r[lang].text.data : "",
			                           .len = r[lang].text.len};
			row[5] =
			    (struct portal_db_arg){.type = PDB_STR,
			                           .s = r[lang].html.data ? r[lang].html.data : "",
			                           .len = r[lang].html.len};
			row[6] = PDB_S(mail->kind);
			row[7] = PDB_I(0); /* mail to many is never a secret */
			row[8] = PDB_S(message_id);
			n++;
		}
		if (n && (n == BATCH_ROWS || i == count)) {
			if (n == BATCH_ROWS && !full_batch)
				full_batch = batch_sql(a, n);
			const char *sql = n == BATCH_ROWS ? full_batch : batch_sql(a, n);
			status = sql ? db_run(ctx.db, a, sql, args, n * ROW_ARGS, NULL, NULL, NULL)
			             : 500;
			done += status ? 0 : n;
			n = 0;
		}
	}
	for (int l = 0; l < 2; l++) {
		buf_free(&r[l].text);
		buf_free(&r[l].html);
	}
	if (queued)
		*queued = done;
	return status;
}

static int queue(struct portal_req *req, const struct portal_mail *mail, bool secret)
{
	struct mail_context ctx = request_context(req);
	int status = mail_queue(&ctx, mail, secret, NULL);
	if (status == 422)
		return portal_fail(req, 422, "validation", "email", "error.title.422");
	return status;
}

int portal_mail(struct portal_req *req, const struct portal_mail *mail)
{
	return queue(req, mail, false);
}

int portal_mail_secret(struct portal_req *req, const struct portal_mail *mail)
{
	return queue(req, mail, true);
}

int mail_context_open_core(struct mail_context *ctx, const struct config *cfg, char *err,
                           size_t errlen)
{
	static const char *const langs[2] = {"de", "en"};
	const char *dir = config_get(cfg, "template_dir");
	*ctx = (struct mail_context){.cfg = cfg};
	if (!(ctx->templates = tpl_set_new()) || tpl_set_add_dir(ctx->templates, dir)) {
		snprintf(err, errlen, "mail: cannot use the templates in %s", dir);
		mail_context_close(ctx);
		return -1;
	}
	for (int l = 0; l < 2; l++) {
		char path[4096], why[512];
		snprintf(path, sizeof path, "%s/locale/%s.txt", dir, langs[l]);
		if (!(ctx->locales[l] = locale_load(path, why, sizeof why))) {
			snprintf(err, errlen, "mail: %s: %s", path, why);
			mail_context_close(ctx);
			return -1;
		}
	}
	return 0;
}

void mail_context_close(struct mail_context *ctx)
{
	if (!ctx)
		return;
	tpl_set_free(ctx->templates);
	/* Filled by mail_context_open_core, so they are ours to free. */
	locale_free((struct locale *)ctx->locales[0]);
	locale_free((struct locale *)ctx->locales[1]);
	*ctx = (struct mail_context){0};
}
