/* Who a mail goes to, from a person's row (portal_mail_to and
 * portal_mail_recipients, see portal/mail.h): every query that chooses
 * recipients selects their email, name and locale under those names. */
#include "portal/mail.h"
#include "portal/portal.h"

void portal_mail_to(struct portal_mail *mail, const struct portal_value *person)
{
	mail->to = pv_get_str(person, "email");
	mail->to_name = pv_get_str(person, "name");
	mail->locale = pv_get_str(person, "locale");
}

struct portal_recipient *portal_mail_recipients(struct portal_req *req,
                                                const struct portal_value *rows, size_t *count)
{
	/* one more than needed: an empty list is an array too, not NULL */
	struct portal_recipient *to = portal_alloc(req->arena, (pv_count(rows) + 1) * sizeof *to);
	size_t n = 0;
	if (!to)
		return NULL;
	pv_foreach(m, rows) {
		to[n++] = (struct portal_recipient){pv_get_str(m->value, "email"),
		                                    pv_get_str(m->value, "name"),
		                                    pv_get_str(m->value, "locale")};
	}
	*count = n;
	return to;
}
