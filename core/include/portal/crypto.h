/* Secrets: random tokens for links and sessions, their hashes (only hashes are
 * stored), and passwords (argon2id). */
#ifndef PORTAL_CRYPTO_H
#define PORTAL_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct portal_req;

#define PORTAL_TOKEN_CHARS 43 /* 256 random bits, base64url without padding */
#define PORTAL_HASH_BYTES 32  /* SHA-256 */

/* A fresh token (NUL-terminated) and its hash. Returns 0 (it cannot fail once
 * the process started). */
int portal_token_new(char token[PORTAL_TOKEN_CHARS + 1], unsigned char hash[PORTAL_HASH_BYTES]);

/* The SHA-256 of a token or any text (lower-cased emails, addresses). */
void portal_hash(const char *text, size_t len, unsigned char hash[PORTAL_HASH_BYTES]);

/* Whether a token has the shape portal_token_new makes (before hashing a
 * client's value: cheap refusal of garbage). */
bool portal_token_valid(const char *token);

/* argon2id hash of password into out (PORTAL_PASSWORD_HASH_MAX bytes,
 * NUL-terminated). Returns 0, or 500 when out of memory. */
#define PORTAL_PASSWORD_HASH_MAX 128
int portal_password_hash(const char *password, char out[PORTAL_PASSWORD_HASH_MAX]);

/* Whether password matches stored (an argon2id hash). With stored NULL it
 * compares against a fixed dummy hash, so a missing account costs the same time
 * as a wrong password, and returns false. */
bool portal_password_verify(const char *password, const char *stored);

/* A token derived from the deployment's secret_key and purpose (e.g.
 * "invite:42:3"): the same inputs give the same token, so a link can be shown
 * again while the database keeps only portal_hash of it. Returns 0, or 500
 * when no usable secret_key (64 hex digits) is configured. */
int portal_token_derive(const struct portal_req *req, const char *purpose,
                        char token[PORTAL_TOKEN_CHARS + 1]);

/* The derived token of a link that can be rotated: purpose "kind:id:generation"
 * (an invite link: "invite", the property, its generation), and its hash when
 * hash is not NULL. Returns 0, or 500 (logged) without a usable secret_key. */
int portal_link_token(const struct portal_req *req, const char *kind, long long id,
                      long long generation, char token[PORTAL_TOKEN_CHARS + 1],
                      unsigned char hash[PORTAL_HASH_BYTES]);

/* Constant-time comparison of two NUL-terminated strings. */
bool portal_secure_equal(const char *a, const char *b);

#ifdef __cplusplus
}
#endif

#endif
