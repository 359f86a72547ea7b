/* Accounts shared by the web routes and portalctl: creating managers and
 * issuing their single-use link tokens. The caller owns the transaction. */
#ifndef CORE_ACCOUNTS_H
#define CORE_ACCOUNTS_H

#include <stdbool.h>

#include "db/db.h"
#include "portal/crypto.h"

#define ACTIVATION_SECONDS (7 * 86400)
#define RESET_SECONDS 3600
#define PASSWORD_MIN_CHARS 10
#define NAME_MAX_CHARS 200

/* A new organisation with its sample property; 0 or an HTTP status. */
int account_create_org(struct db *db, struct portal_arena *a, const char *name, const char *locale,
                       long long *org_id);

/* An invited manager without a password (name: the email's local part when
 * NULL or empty). 0, 409 when the email is taken, or an HTTP status. */
int account_create_manager(struct db *db, struct portal_arena *a, long long org_id,
                           const char *email, const char *name, bool admin, long long *user_id);

/* A link token of kind "activation" or "reset" for user_id, valid for seconds;
 * only its hash is stored. 0 or an HTTP status. */
int account_issue_token(struct db *db, struct portal_arena *a, long long user_id, const char *kind,
                        int seconds, char token[PORTAL_TOKEN_CHARS + 1]);

/* The view of the invitation mail (templates/mail/invitation.*) with the
 * activation link; inviter may be NULL. NULL when the arena is exhausted. */
struct portal_value *account_invitation_view(struct portal_arena *a, const char *base_url,
                                             const char *name, const char *org_name,
                                             const char *inviter, const char *token);

#endif
