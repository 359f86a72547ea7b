/* Tokens, hashes and passwords with libsodium. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "http/crypto.h"
#include "portal/crypto.h"
#include "portal/portal.h"

/* Work factors of argon2id: libsodium's "interactive" (64 MiB, 2 passes),
 * about a tenth of a second here; sign-in is throttled besides. */
#define PW_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PW_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

int portal_token_new(char token[PORTAL_TOKEN_CHARS + 1], unsigned char hash[PORTAL_HASH_BYTES])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(token, PORTAL_TOKEN_CHARS + 1, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	portal_hash(token, PORTAL_TOKEN_CHARS, hash);
	return 0;
}

void portal_hash(const char *text, size_t len, unsigned char hash[PORTAL_HASH_BYTES])
{
	crypto_hash_sha256(hash, (const unsigned char *)text, len);
}

bool portal_token_valid(const char *token)
{
	if (!token || strlen(token) != PORTAL_TOKEN_CHARS)
		return false;
	for (const char *p = token; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

int portal_password_hash(const char *password, char out[PORTAL_PASSWORD_HASH_MAX])
{
	_Static_assert(crypto_pwhash_STRBYTES <= PORTAL_PASSWORD_HASH_MAX, "hash size");
	return crypto_pwhash_str(out, password, strlen(password), PW_OPS, PW_MEM) == 0 ? 0 : 500;
}

/* An unknown account is verified against a real hash of the same cost. Made by
 * crypto_init in the master, so every worker has it from the start. */
static char dummy[crypto_pwhash_STRBYTES];

int crypto_init(void)
{
	if (sodium_init() < 0)
		return -1;
	return dummy[0] ? 0 : portal_password_hash("not a password of anyone", dummy);
}

bool portal_password_verify(const char *password, const char *stored)
{
	if (!stored || strncmp(stored, "$argon2id$", 10) != 0) {
		if (!dummy[0] && crypto_init())
			return false;
		int same_cost = crypto_pwhash_str_verify(dummy, password, strlen(password));
		(void)same_cost;
		return false;
	}
	return crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
}

bool portal_secure_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return la == 0 || sodium_memcmp(a, b, la) == 0;
}

int portal_token_derive(const struct portal_req *req, const char *purpose,
                        char token[PORTAL_TOKEN_CHARS + 1])
{
	const char *hex = portal_config(req, "secret_key");
	unsigned char key[crypto_auth_hmacsha256_KEYBYTES], mac[crypto_auth_hmacsha256_BYTES];
	size_t len = 0;
	if (!hex || strlen(hex) != 2 * sizeof key ||
	    sodium_hex2bin(key, sizeof key, hex, strlen(hex), NULL, &len, NULL) ||
	    len != sizeof key)
		return 500;
	crypto_auth_hmacsha256(mac, (const unsigned char *)purpose, strlen(purpose), key);
	sodium_memzero(key, sizeof key);
	sodium_bin2base64(token, PORTAL_TOKEN_CHARS + 1, mac, sizeof mac,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int portal_link_token(const struct portal_req *req, const char *kind, long long id,
                      long long generation, char token[PORTAL_TOKEN_CHARS + 1],
                      unsigned char hash[PORTAL_HASH_BYTES])
{
	char purpose[128];
	snprintf(purpose, sizeof purpose, "%s:%lld:%lld", kind, id, generation);
	if (portal_token_derive(req, purpose, token)) {
		portal_log("%s links cannot be made: no usable secret_key", kind);
		return 500;
	}
	if (hash)
		portal_hash(token, strlen(token), hash);
	return 0;
}
