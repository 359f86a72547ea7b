/* portal_email_valid (portal/input.h): the one rule for an address the
 * portal keeps as an account's email and sends mail to. */
#include <string.h>

#include "mime/mail_format.h"
#include "portal/input.h"

/* local@domain with a dot in the domain, at most 254 bytes, no spaces,
 * control characters, commas, semicolons, brackets or quotes. */
static bool account_address(const char *email)
{
	if (!email)
		return false;
	size_t n = strlen(email);
	const char *at = strchr(email, '@');
	if (n < 3 || n > 254 || !at || at == email || at != strrchr(email, '@') || !at[1] ||
	    !strchr(at + 1, '.') || at[1] == '.' || email[n - 1] == '.')
		return false;
	for (const char *p = email; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7f || strchr(",;:<>()[]\\\"'", c))
			return false;
	}
	return true;
}

bool portal_email_valid(const char *email)
{
	return account_address(email) && mail_address_ok(email);
}
