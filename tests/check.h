/* Minimal test helpers: each check prints what it verified; a failure prints
 * both values and makes the test exit 1. */
#pragma once
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int pl_test_failures;
static int pl_test_checks;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        pl_test_checks++;                                                                          \
        if (!(cond)) {                                                                             \
            pl_test_failures++;                                                                    \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                                 \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

#define CHECK_INT(got, want)                                                                       \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        CHECK(g_ == w_, "%s: got %lld, want %lld", #got, g_, w_);                                  \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        CHECK(g_ && w_ && strcmp(g_, w_) == 0, "%s: got \"%s\", want \"%s\"", #got,                \
              g_ ? g_ : "(null)", w_ ? w_ : "(null)");                                             \
    } while (0)

/* Prints the summary and returns the process exit code. */
static inline int pl_test_done(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, pl_test_checks, pl_test_failures);
    return pl_test_failures ? 1 : 0;
}
