/* Queueing mail inside core: what portal_mail does for a request, usable with an
 * explicit context where there is no request (portalctl mailing the first
 * manager of a new organisation, jobs). Sending is core/outbox.c's. */
#ifndef CORE_MAIL_H
#define CORE_MAIL_H

#include "lib/config.h"
#include "portal/mail.h"

struct db;
struct portal_arena;
struct tpl_set;
struct locale;

/* Where a mail is rendered and stored. Nothing here is owned by the context
 * unless mail_context_open_core filled it. */
struct mail_context {
	const struct config *cfg; /* base_url, mail_from */
	struct db *db;            /* the row is written in its open transaction, if any */
	struct portal_arena *arena;
	struct tpl_set *templates;       /* searched for mail/NAME.txt and mail/NAME.html */
	const struct locale *locales[2]; /* the catalogs: [0] "de", [1] "en" */
};

/* Renders mail (see portal/mail.h) and inserts it into the outbox, status
 * queued, due now, with a new Message-ID at the host of base_url. *id (may be
 * NULL) gets the row's id. secret: its bodies are cleared once it is sent
 * (portal_mail_secret). Returns 0; 422 when mail->to is no usable address;
 * 500 for a missing or broken template or missing fields (logged); or the
 * status of the database (503 unreachable, 500). Nothing is written on failure. */
int mail_queue(const struct mail_context *ctx, const struct portal_mail *mail, bool secret,
               unsigned long long *id);

/* Fills ctx->templates and ctx->locales with core's (template_dir and its
 * locale/de.txt and locale/en.txt), as the request workers have them, and
 * ctx->cfg with cfg; the caller sets db and arena. Returns 0, or -1 with one
 * line in err (ctx then holds nothing to close). */
int mail_context_open_core(struct mail_context *ctx, const struct config *cfg, char *err,
                           size_t errlen);

/* Frees what mail_context_open_core filled. */
void mail_context_close(struct mail_context *ctx);

#endif
