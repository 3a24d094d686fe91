/* JSON string output shared by the answer encoder and the protocol replies. */
#pragma once
#include <stddef.h>
#include <string.h>

/* Output cursor for replies and JSON: writes stop at cap and mark the output
 * as not fitting (full), so a caller checks once at the end. */
typedef struct out {
    char *p;
    size_t cap, len;
    int full;
} out_t;

static inline void put(out_t *o, const void *s, size_t n)
{
    if (o->full || n > o->cap - o->len) {
        o->full = 1;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

/* Length of the valid UTF-8 sequence of 2..4 bytes at s[0..n), or 0 (an
 * ASCII byte, a stray continuation byte, overlong forms, surrogates and code
 * points past U+10FFFF). Every text the project writes treats a byte for
 * which this is 0 (and which is not ASCII) as U+FFFD. */
size_t pl_utf8_len(const unsigned char *s, size_t n);

/* Writes s[0..n) as a quoted JSON string into out[0..cap): quotes,
 * backslashes and control bytes escaped, bytes that are not valid UTF-8
 * (overlong forms, surrogates, past U+10FFFF) replaced by U+FFFD so the
 * result is always valid JSON. Returns the bytes written, or 0 when it does
 * not fit (out's content is then unspecified). */
size_t pl_json_str(char *out, size_t cap, const char *s, size_t n);
