/* A tiny test harness: each unit test program prints "N passed, N failed" last
 * and exits non-zero when anything failed. */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_passed, harness_failed;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (cond) {                                                                \
			harness_passed++;                                                  \
		} else {                                                                   \
			harness_failed++;                                                  \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                          \
	} while (0)

#define CHECK_STR(got, want)                                                                     \
	do {                                                                                     \
		const char *g_ = (got), *w_ = (want);                                            \
		if (g_ && w_ && strcmp(g_, w_) == 0) {                                           \
			harness_passed++;                                                        \
		} else {                                                                         \
			harness_failed++;                                                        \
			fprintf(stderr, "%s:%d: FAILED: %s\n  got:  %s\n  want: %s\n", __FILE__, \
			        __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");         \
		}                                                                                \
	} while (0)

#define HARNESS_END()                                                             \
	do {                                                                      \
		printf("%d passed, %d failed\n", harness_passed, harness_failed); \
		return harness_failed ? 1 : 0;                                    \
	} while (0)

#endif
