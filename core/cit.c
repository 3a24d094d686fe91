/* cit: what the NQuire sends (framing, codes, symbology prefixes) and the
 * character set converters (cit.h). Layouts are cit_layout.c, screens
 * cit_screen.c. */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cit_int.h"
#include "pricelane/err.h"

/* ---- requests ---- */

static int is_break(char c)
{
    return c == '\r' || c == '\n';
}

int pl_cit_frame(const char *buf, size_t len, size_t *off, size_t *n, size_t *used)
{
    size_t i = 0;
    *off = *n = 0;
    while (i < len && is_break(buf[i]))
        i++;
    /* A line of PL_CIT_LINE_MAX - 1 bytes and its break is the longest. */
    size_t end = len - i < PL_CIT_LINE_MAX ? len : i + PL_CIT_LINE_MAX;
    for (size_t j = i; j < end; j++) {
        if (is_break(buf[j])) {
            *off = i;
            *n = j - i;
            *used = j + 1;
            return 1;
        }
    }
    if (len - i >= PL_CIT_LINE_MAX) {
        *used = 0;
        return -1;
    }
    *used = i;
    return 0;
}

static int req_fail(pl_cit_req_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int req_fail(pl_cit_req_t *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof(r->error), fmt, ap);
    va_end(ap);
    r->code[0] = 0;
    r->len = 0;
    return PL_EFORMAT;
}

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Is s[0..k) one of the comma-separated prefixes of list? */
static int listed(const char *list, const char *s, size_t k)
{
    while (*list) {
        while (*list == ' ' || *list == ',')
            list++;
        size_t n = strcspn(list, ",");
        size_t m = n;
        while (m && list[m - 1] == ' ')
            m--;
        if (m == k && memcmp(list, s, k) == 0)
            return 1;
        list += n;
    }
    return 0;
}

int pl_cit_request(const char *line, size_t len, const char *prefixes, pl_cit_req_t *r)
{
    memset(r, 0, sizeof(*r));
    size_t s = 0;
    while (len && is_break(line[len - 1]))
        len--;
    while (len && line[len - 1] == ' ')
        len--;
    while (s < len && line[s] == ' ')
        s++;
    if (s == len)
        return req_fail(r, "empty line");
    for (size_t i = s; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f)
            return req_fail(r, "control byte 0x%02x at position %zu: not a scanned code", c, i + 1);
        if (c >= 0x80)
            return req_fail(r, "byte 0x%02x at position %zu: not ASCII (binary data?)", c, i + 1);
    }
    const char *p = line + s;
    size_t n = len - s, k = 0;
    if (n >= 3 && p[0] == ']' && is_alpha(p[1]) && (is_alpha(p[2]) || is_digit(p[2]))) {
        k = 3; /* AIM symbology identifier: never part of a code */
    } else if (!prefixes || prefixes[0]) {
        while (k < n && is_alpha(p[k]))
            k++;
        size_t d = k;
        while (d < n && is_digit(p[d]))
            d++;
        /* letters, then digits only: a prefix the device adds */
        int strip =
            k && d == n && d > k && (prefixes ? listed(prefixes, p, k) : k <= PL_CIT_PREFIX_MAX);
        if (!strip)
            k = 0;
    }
    memcpy(r->prefix, p, k);
    while (k < n && p[k] == ' ') /* the code itself is trimmed, also after a prefix */
        p++, n--;
    if (n - k == 0)
        return req_fail(r, "nothing after the prefix %s", r->prefix);
    if (n - k > PL_CIT_CODE_MAX)
        return req_fail(r, "code of %zu bytes%s%s: longer than %d", n - k,
                        k ? " after the prefix " : "", r->prefix, PL_CIT_CODE_MAX);
    memcpy(r->code, p + k, n - k);
    r->len = n - k;
    return 0;
}

/* ---- character sets ---- */

int pl_cit_charset_parse(const char *s, pl_cit_charset_t *cs)
{
    if (!strcasecmp(s, "utf-8") || !strcasecmp(s, "utf8"))
        *cs = PL_CIT_UTF8;
    else if (!strcasecmp(s, "gb18030"))
        *cs = PL_CIT_GB18030;
    else
        return PL_EINVAL;
    return 0;
}

const char *pl_cit_charset_name(pl_cit_charset_t cs)
{
    return cs == PL_CIT_GB18030 ? "gb18030" : "utf-8";
}

int pl_cit_conv_open(pl_cit_charset_t cs, pl_cit_conv_t **out)
{
    *out = NULL;
    if (cs == PL_CIT_UTF8)
        return 0;
    if (cs != PL_CIT_GB18030)
        return -EINVAL;
    pl_cit_conv_t *c = malloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->cd = iconv_open("GB18030", "UTF-8");
    if (c->cd == (iconv_t)-1) {
        int e = errno;
        free(c);
        return -e;
    }
    *out = c;
    return 0;
}

void pl_cit_conv_close(pl_cit_conv_t *c)
{
    if (!c)
        return;
    iconv_close(c->cd);
    free(c);
}
