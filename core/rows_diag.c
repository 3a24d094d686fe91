/* The diagnostics list of the rows module, and values quoted for its
 * messages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows_int.h"

/* ---- diagnostics -------------------------------------------------------- */

static size_t diags_limit(const pl_diags_t *d)
{
    return d->limit ? d->limit : 1000;
}

static size_t diags_stored(const pl_diags_t *d)
{
    size_t lim = diags_limit(d);
    return d->count < lim ? d->count : lim;
}

void pl_diags_init(pl_diags_t *d)
{
    memset(d, 0, sizeof(*d));
}

void pl_diags_free(pl_diags_t *d)
{
    if (!d)
        return;
    size_t n = diags_stored(d);
    for (size_t i = 0; i < n && d->msgs; i++)
        free(d->msgs[i]);
    free(d->msgs);
    size_t limit = d->limit;
    pl_diags_init(d);
    d->limit = limit;
}

void pl_diag(pl_diags_t *d, const char *file, uint64_t line, const char *column, const char *fmt,
             ...)
{
    size_t stored = diags_stored(d);
    d->count++;
    if (stored >= diags_limit(d))
        return;

    char buf[2048];
    size_t n = 0;
    if (file)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s:", file);
    if (line && n < sizeof(buf))
        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                              file ? "%llu:" : "line %llu:", (unsigned long long)line);
    if (column && n < sizeof(buf))
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s:", column);
    if (n && n < sizeof(buf) - 1)
        buf[n++] = ' ';
    if (n < sizeof(buf)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
        va_end(ap);
    }
    buf[sizeof(buf) - 1] = '\0';

    if (stored == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        char **m = realloc(d->msgs, cap * sizeof(*m));
        if (!m)
            return; /* counted, not kept */
        d->msgs = m;
        d->cap = cap;
    }
    char *s = strdup(buf);
    if (!s) {
        /* keep the stored messages contiguous: the count goes on */
        return;
    }
    d->msgs[stored] = s;
}

void pl_diags_print(const pl_diags_t *d)
{
    size_t n = diags_stored(d);
    for (size_t i = 0; i < n && d->msgs && d->msgs[i]; i++)
        fprintf(stderr, "%s\n", d->msgs[i]);
    if (d->count > n)
        fprintf(stderr, "... and %zu more\n", d->count - n);
}

/* ---- values --------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s[0..n) (n >= 1). Returns its length and the
 * code point, or 0 with a reason. Rejects what RFC 3629 forbids: stray
 * continuation bytes, overlong forms, surrogates, code points past U+10FFFF,
 * bytes 0xF5-0xFF and truncated sequences. */
size_t rows_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp, const char **why)
{
    unsigned c = s[0];
    size_t need;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC0) {
        *why = "unexpected continuation byte";
        return 0;
    }
    if (c < 0xE0) {
        need = 1, min = 0x80, *cp = c & 0x1F;
    } else if (c < 0xF0) {
        need = 2, min = 0x800, *cp = c & 0x0F;
    } else if (c < 0xF5) {
        need = 3, min = 0x10000, *cp = c & 0x07;
    } else {
        *why = "byte that never occurs in UTF-8";
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || (s[i] & 0xC0) != 0x80) {
            *why = "truncated multi-byte sequence";
            return 0;
        }
        *cp = *cp << 6 | (s[i] & 0x3F);
    }
    if (*cp < min) {
        *why = "overlong encoding";
        return 0;
    }
    if (*cp >= 0xD800 && *cp <= 0xDFFF) {
        *why = "UTF-16 surrogate code point";
        return 0;
    }
    if (*cp > 0x10FFFF) {
        *why = "code point above U+10FFFF";
        return 0;
    }
    return need + 1;
}

/* Writes s[0..n) as a quoted string fit for a message: at most SHOW_MAX bytes
 * (cut on a character boundary, then "..."), control and invalid bytes as
 * \xNN. Returns out. */
const char *rows_show(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0, i = 0;
    const unsigned char *u = (const unsigned char *)s;
    if (cap < SHOW_MAX * 4 + 8)
        return "\"\"";
    out[o++] = '"';
    while (i < n && o < SHOW_MAX + 1) {
        uint32_t cp;
        const char *why;
        size_t len = rows_utf8_decode(u + i, n - i, &cp, &why);
        if (len == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", u[i]);
            len = len ? len : 1;
            if (len > 1) /* a C1 control: show each byte */
                for (size_t k = 1; k < len; k++)
                    o += (size_t)snprintf(out + o, cap - o, "\\x%02X", u[i + k]);
        } else {
            memcpy(out + o, u + i, len);
            o += len;
        }
        i += len;
    }
    out[o++] = '"';
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}
