/* Mail through the transactional outbox: portal_mail writes a row in the
 * request's open transaction (so the mail exists exactly when the change that
 * causes it is committed); the jobs worker sends it with retries. */
#ifndef PORTAL_MAIL_H
#define PORTAL_MAIL_H

#include "value.h"

struct portal_req;

struct portal_mail {
	const char *to;       /* one address; anything with CR, LF, ',' or ';' is refused */
	const char *to_name;  /* the recipient's display name; may be NULL */
	const char *locale;   /* "de" or "en"; NULL: "de" */
	const char *kind;     /* what it is about, as GET /api/v1/outbox shows it: "invitation", ... */
	const char *template; /* NAME: mail/NAME.txt and mail/NAME.html below the calling
			       * plugin's templates/ (core: templates/mail/) */
	const char *subject;  /* locale key of the subject; its text may use {{names}} of view */
	long long org_id;     /* the organisation it belongs to; 0 for none */
	const struct portal_value *view; /* what the templates render; base_url is added */
};

/* Renders both parts in the recipient's language and queues the mail. Returns 0,
 * 422 for an unusable address, or an HTTP status from the database. */
int portal_mail(struct portal_req *req, const struct portal_mail *mail);

#endif
