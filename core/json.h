/* JSON string output shared by the answer encoder and the protocol replies. */
#pragma once
#include <stddef.h>

/* Writes s[0..n) as a quoted JSON string into out[0..cap): quotes,
 * backslashes and control bytes escaped, bytes that are not valid UTF-8
 * (overlong forms, surrogates, past U+10FFFF) replaced by U+FFFD so the
 * result is always valid JSON. Returns the bytes written, or 0 when it does
 * not fit (out's content is then unspecified). */
size_t pl_json_str(char *out, size_t cap, const char *s, size_t n);
