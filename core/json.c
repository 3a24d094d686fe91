/* JSON strings: see json.h. */
#include <string.h>

#include "json.h"

size_t pl_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    else
        return 0;
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

/* Per byte: 1 when it stands for itself in a JSON string (printable ASCII
 * but the quote and the backslash). */
#define PLAIN(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\')
#define PLAIN8(c)                                                                                  \
    PLAIN(c), PLAIN(c + 1), PLAIN(c + 2), PLAIN(c + 3), PLAIN(c + 4), PLAIN(c + 5), PLAIN(c + 6),  \
        PLAIN(c + 7)
#define PLAIN32(c) PLAIN8(c), PLAIN8(c + 8), PLAIN8(c + 16), PLAIN8(c + 24)
static const unsigned char plain[256] = {PLAIN32(0), PLAIN32(32), PLAIN32(64), PLAIN32(96)};

/* A JSON string: quotes, backslashes and control bytes escaped; bytes that
 * are not valid UTF-8 become U+FFFD so the line is always valid JSON. */
size_t pl_json_str(char *out, size_t cap, const char *s, size_t n)
{
    out_t ob = {out, cap, 0, 0}, *o = &ob;
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    put(o, "\"", 1);
    for (size_t i = 0; i < n;) {
        /* A run of bytes that stand for themselves goes in one copy: most
         * strings (codes, tags, names in ASCII) are one such run. */
        size_t j = i;
        while (j < n && plain[u[j]])
            j++;
        if (j > i) {
            put(o, u + i, j - i);
            i = j;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(o, e, 2);
        } else if (c == '\n') {
            put(o, "\\n", 2);
        } else if (c == '\r') {
            put(o, "\\r", 2);
        } else if (c == '\t') {
            put(o, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(o, e, 6);
        } else if (c >= 0x80) {
            size_t k = pl_utf8_len(u + i, n - i);
            if (k) {
                put(o, u + i, k);
                i += k;
                continue;
            }
            put(o, "\\ufffd", 6);
        }
        i++;
    }
    put(o, "\"", 1);
    return o->full ? 0 : o->len;
}

