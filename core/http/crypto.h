/* libsodium's start-up, internal to core (the SDK part is portal/crypto.h). */
#ifndef CORE_CRYPTO_H
#define CORE_CRYPTO_H

/* Once per process before forking: initialises libsodium and the dummy password
 * hash. Returns 0, or -1. */
int crypto_init(void);

#endif
