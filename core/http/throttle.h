/* Throttling internals shared with portalctl (the SDK part is portal/session.h). */
#ifndef CORE_THROTTLE_H
#define CORE_THROTTLE_H

#include "portal/crypto.h"

/* The stored form of a throttling key: SHA-256 of it lower-cased. */
void throttle_hash(const char *key, unsigned char hash[PORTAL_HASH_BYTES]);

#endif
