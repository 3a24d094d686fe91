/* Helpers shared by the fuzz targets: a check that aborts (so libFuzzer and
 * the replay runner both report the input), and a byte reader that takes
 * parameters from the front of an input without ever reading past its end. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct fuzz_in {
    const uint8_t *p;
    size_t len;
} fuzz_in_t;

/* Next byte, or 0 once the input is used up. */
static inline uint8_t fuzz_u8(fuzz_in_t *in)
{
    if (!in->len)
        return 0;
    in->len--;
    return *in->p++;
}

static inline uint16_t fuzz_u16(fuzz_in_t *in)
{
    uint16_t lo = fuzz_u8(in);
    return (uint16_t)(lo | fuzz_u8(in) << 8);
}

/* Takes up to n bytes; *got says how many there were. */
static inline const uint8_t *fuzz_take(fuzz_in_t *in, size_t n, size_t *got)
{
    const uint8_t *p = in->p;
    *got = n < in->len ? n : in->len;
    in->p += *got;
    in->len -= *got;
    return p;
}

/* A heap copy of p[0..n) with a NUL after it (free it). The copy is exactly
 * n + 1 bytes, so reading past the terminator is caught by ASan. */
static inline char *fuzz_strndup(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    for (size_t i = 0; i < n; i++)
        s[i] = ((const char *)p)[i];
    s[n] = 0;
    return s;
}
