/* Mail through the transactional outbox: portal_mail writes a row in the
 * request's open transaction (so the mail exists exactly when the change that
 * causes it is committed); the jobs worker sends it with retries. It is
 * sent at least once: a jobs worker that dies between the relay's accepting
 * it and marking it sent (before QUIT) has it sent again after the lease,
 * with the same Message-ID, which receivers use to tell a copy. */
#ifndef PORTAL_MAIL_H
#define PORTAL_MAIL_H

#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

struct portal_req;

struct portal_mail {
	const char *to;      /* one plain address local@domain, printable ASCII, at most 254
	                      * bytes; anything with CR, LF, ',', ';', spaces, <>, quotes
	                      * or a second '@' is refused */
	const char *to_name; /* the recipient's display name; may be NULL; control characters
	                      * become spaces, cut at 200 characters */
	const char *locale;  /* "de" or "en"; NULL: "de" */
	const char *kind; /* what it is about, as GET /api/v1/outbox shows it: "invitation", ... */
	const char *template_name; /* NAME: mail/NAME.txt and mail/NAME.html below the calling
	                            * plugin's templates/ (core: templates/mail/) */
	const char *subject;       /* locale key of the subject; its text is a plain-text template
	                            * that may use {{names}} of view; cut at 300 characters */
	long long org_id;          /* the organisation it belongs to; 0 for none */
	const struct portal_value *view; /* what the templates render (read, not kept); base_url
	                                  * and settings_url (base_url + "/portal/settings")
	                                  * are added from the configuration */
	/* No member is ever added: plugins built against an older SDK pass this
	 * struct as they knew it. */
};

/* Renders both parts and the subject now, in the recipient's language, with the
 * calling plugin's templates and catalog (then core's): mail/NAME.txt as plain
 * text (nothing escaped), mail/NAME.html escaped as every page. Then queues the
 * mail in the request's open transaction (begin one first, so the mail exists
 * exactly when the change is committed), with a new Message-ID; the jobs worker
 * sends it with retries. mail is only read and may be reused for the next mail.
 * Returns 0; 422 for an unusable address, with the error already recorded on
 * field "email" (return it as is); 500 for a missing or broken template or
 * missing kind, template or subject (logged); or an HTTP status from the
 * database. */
int portal_mail(struct portal_req *req, const struct portal_mail *mail);

/* As portal_mail, for a mail that carries a link that is a secret (an
 * activation, a password reset, a confirmation, an invite link): its bodies
 * are cleared once it is sent (or failed for good), so no live token stays at
 * rest in the outbox; subject, recipient, kind and status stay. */
int portal_mail_secret(struct portal_req *req, const struct portal_mail *mail);

/* Addresses mail to a person: to, to_name and locale become person's "email",
 * "name" and "locale" (a row that selects them under these names; a missing
 * one is NULL). The strings stay person's: keep it until the mail is queued.
 * The other members are left as they are. */
void portal_mail_to(struct portal_mail *mail, const struct portal_value *person);

/* An SQL condition for choosing recipients: the user whose id is in column
 * user_column has confirmed their address (until then it gets no mail but its
 * confirmation: whoever signed it up may not be its owner) and did not turn
 * off mails of kind (a kind the plugin declares in its notifications table;
 * both arguments string literals):
 *     "... WHERE m.property_id = ? AND " PORTAL_MAIL_WANTED("u.id", "announcements") */
#define PORTAL_MAIL_WANTED(user_column, kind)                                           \
	"(EXISTS (SELECT 1 FROM users confirmed_ WHERE confirmed_.id = " user_column    \
	" AND confirmed_.email_confirmed_at IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM" \
	" notification_settings wanted_ WHERE wanted_.user_id = " user_column           \
	" AND wanted_.kind = '" kind "' AND wanted_.enabled = 0))"

/* Quotas on the mail a manager sends to addresses that are not yet residents
 * (invitations): per organisation and per manager, per hour and per day
 * (mail_quota_* in portal.conf), counted in the database so that every host
 * shares them. Call it in the request's open transaction before queueing the
 * request's mails, with their number: 0, and they are counted (a rollback
 * takes the count back); or 429 with the error recorded and Retry-After set
 * when they would not all fit, and then queue none of them: a request sends
 * all its mails or none. Until the transaction ends it holds the
 * organisation's count, so parallel requests wait for each other. Also 403
 * for a caller who is no manager, or another HTTP status. */
int portal_mail_quota(struct portal_req *req, size_t mails);

/* One recipient of portal_mail_many. */
struct portal_recipient {
	const char *to;
	const char *name;   /* may be NULL */
	const char *locale; /* "de" or "en"; NULL: "de" */
};

/* The recipients of rows (a list of rows, each with "email", "name" and
 * "locale", as for portal_mail_to), in the request's arena; *count becomes
 * their number. NULL when out of memory. */
struct portal_recipient *portal_mail_recipients(struct portal_req *req,
                                                const struct portal_value *rows, size_t *count);

/* The same mail to many people (an announcement to every resident): rendered
 * once per language, queued with few statements. mail's to, to_name and locale
 * are ignored; each recipient gets their own Message-ID. A recipient whose
 * address is unusable is skipped (and logged). *queued (may be NULL) counts
 * the mails queued. Returns 0 or an HTTP status (then nothing is certain:
 * roll the transaction back). */
int portal_mail_many(struct portal_req *req, const struct portal_mail *mail,
                     const struct portal_recipient *recipients, size_t count, size_t *queued);

#ifdef __cplusplus
}
#endif

#endif
