/* str: string helpers shared by the library and its programs. */
#pragma once
#include <stddef.h>
#include <string.h>

/* Copies the NUL-terminated string s into out[0..cap) (cap >= 1): at most
 * cap - 1 bytes, always NUL-terminated; a longer s is cut, possibly inside a
 * UTF-8 character. Returns the number of bytes copied. Reads no more of s
 * than it copies, and costs no formatted-output pass as snprintf("%s")
 * would on paths that run per lookup or per row. */
static inline size_t pl_str_copy(char *out, size_t cap, const char *s)
{
    size_t n = strnlen(s, cap - 1);
    memcpy(out, s, n);
    out[n] = 0;
    return n;
}
