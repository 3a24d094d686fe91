/* GS1 element strings and Digital Link URIs (include/pricelane/gs1.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pricelane/barcode.h"
#include "pricelane/err.h"
#include "pricelane/gs1.h"
#include "pricelane/timefmt.h"

#define GS 0x1d

static int fail(pl_gs1_t *g, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(pl_gs1_t *g, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->error, sizeof(g->error), fmt, ap);
    va_end(ap);
    return rc;
}

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* AI length by its first two digits (GS1 General Specifications figure
 * 3.2-1); 0: no AI starts with them. */
#define AILEN(p)                                                                                   \
    ((p) <= 3 || ((p) >= 10 && (p) <= 22) || (p) == 30 || (p) == 37 || (p) >= 90 ? 2               \
     : ((p) >= 23 && (p) <= 25) || ((p) >= 40 && (p) <= 42) || (p) == 71         ? 3               \
     : ((p) >= 31 && (p) <= 36) || (p) == 39 || (p) == 43 || (p) == 70 || (p) == 72 ||             \
             ((p) >= 80 && (p) <= 82)                                                              \
         ? 4                                                                                       \
         : 0)

/* Value length predefined by the AI's first two digits (figure 7.8.5-2):
 * such a value needs no separator after it. 0: variable. */
#define PREDEF(p)                                                                                  \
    ((p) == 0                                               ? 18                                   \
     : (p) <= 3                                             ? 14                                   \
     : (p) == 4                                             ? 16                                   \
     : (p) == 20                                            ? 2                                    \
     : (p) == 41                                            ? 13                                   \
     : ((p) >= 11 && (p) <= 19) || ((p) >= 31 && (p) <= 36) ? 6                                    \
                                                            : 0)

/* Both by the two digits, as tables: they are read for every AI. */
#define AIP(p)                                                                                     \
    {                                                                                              \
        AILEN(p), PREDEF(p)                                                                        \
    }
#define AIP10(p)                                                                                   \
    AIP(p), AIP(p + 1), AIP(p + 2), AIP(p + 3), AIP(p + 4), AIP(p + 5), AIP(p + 6), AIP(p + 7),    \
        AIP(p + 8), AIP(p + 9)
static const struct {
    unsigned char len, fixed;
} ai_prefix[100] = {AIP10(0),  AIP10(10), AIP10(20), AIP10(30), AIP10(40),
                    AIP10(50), AIP10(60), AIP10(70), AIP10(80), AIP10(90)};

static int ai_length(int p)
{
    return ai_prefix[p].len;
}

static int predefined(int p)
{
    return ai_prefix[p].fixed;
}

/* What a known AI's value must be. */
enum vtype { V_X, V_N, V_CHECK, V_DATE, V_DATETIME, V_MEASURE, V_AMOUNT, V_AMOUNT_ISO };

typedef struct aispec {
    unsigned char type; /* enum vtype */
    unsigned char min, max;
} aispec_t;

/* The known 2-digit AIs by their number (an index, not a search: this
 * runs for every AI of every 2D scan); type 0 with max 0: none. */
static const aispec_t spec2[100] = {
    [0] = {V_CHECK, 18, 18}, [1] = {V_CHECK, 14, 14}, [2] = {V_CHECK, 14, 14},
    [3] = {V_CHECK, 14, 14}, [10] = {V_X, 1, 20},     [11] = {V_DATE, 6, 6},
    [12] = {V_DATE, 6, 6},   [13] = {V_DATE, 6, 6},   [15] = {V_DATE, 6, 6},
    [16] = {V_DATE, 6, 6},   [17] = {V_DATE, 6, 6},   [20] = {V_N, 2, 2},
    [21] = {V_X, 1, 20},     [22] = {V_X, 1, 20},     [30] = {V_N, 1, 8},
    [37] = {V_N, 1, 8},
};

/* 390n-393n by their third digit */
static const aispec_t spec39[4] = {
    {V_AMOUNT, 1, 15}, {V_AMOUNT_ISO, 4, 18}, {V_AMOUNT, 1, 15}, {V_AMOUNT_ISO, 4, 18}};
static const aispec_t spec_x30 = {V_X, 1, 30};          /* 240, 241, 400 */
static const aispec_t spec_7003 = {V_DATETIME, 10, 10}; /* 7003 */

/* GS1 AI encodable character set 82 (figure 7.11-1), a bit per byte. */
static const uint32_t cset82_bits[8] = {
    0,           0xffffffe6u, /* 0x20-0x3f: ! " % & ' ( ) * + , - . / 0-9 : ; < = > ? */
    0x87fffffeu,              /* 0x40-0x5f: A-Z _ */
    0x07fffffeu,              /* 0x60-0x7f: a-z */
    0,           0,           0, 0,
};

static int cset82(unsigned char c)
{
    return (cset82_bits[c >> 5] >> (c & 31)) & 1;
}

/* Per byte: 1 a GS1 character (set 82), 2 a digit. */
#define C82(c)                                                                                     \
    ((c) == 0x21 || (c) == 0x22 || ((c) >= 0x25 && (c) <= 0x3f) || ((c) >= 'A' && (c) <= 'Z') ||   \
     (c) == '_' || ((c) >= 'a' && (c) <= 'z'))
#define CLS(c) (C82(c) | ((c) >= '0' && (c) <= '9') << 1)
#define CLS8(c)                                                                                    \
    CLS(c), CLS(c + 1), CLS(c + 2), CLS(c + 3), CLS(c + 4), CLS(c + 5), CLS(c + 6), CLS(c + 7)
#define CLS32(c) CLS8(c), CLS8(c + 8), CLS8(c + 16), CLS8(c + 24)
static const unsigned char byte_class[256] = {CLS32(0),   CLS32(32),  CLS32(64),  CLS32(96),
                                              CLS32(128), CLS32(160), CLS32(192), CLS32(224)};

/* The rules of AI ai (its first two digits p; the AI's length follows
 * from them, ai_length), or NULL for an AI parsed by length alone. */
static const aispec_t *spec_of(const char *ai, int p)
{
    if (spec2[p].max)
        return &spec2[p];
    switch (p) {
    case 24:
        return ai[2] <= '1' ? &spec_x30 : NULL;
    case 39:
        return ai[2] <= '3' ? &spec39[ai[2] - '0'] : NULL;
    case 40:
        return ai[2] == '0' ? &spec_x30 : NULL;
    case 70:
        return ai[2] == '0' && ai[3] == '3' ? &spec_7003 : NULL;
    default:
        return NULL;
    }
}

/* GS1 7.12: the century of a YY seen in year_now. */
static int full_year(int yy, int year_now)
{
    int diff = yy - year_now % 100;
    int century = year_now - year_now % 100;
    if (diff >= 51)
        century -= 100;
    else if (diff <= -50)
        century += 100;
    return century + yy;
}

static int parse_date(pl_gs1_t *g, const char *ai, const char *v, int year_now, int day00,
                      pl_gs1_date_t *out)
{
    int y = full_year(num(v, 2), year_now), m = num(v + 2, 2), d = num(v + 4, 2);
    if (m < 1 || m > 12)
        return fail(g, PL_EBADCODE, "GS1 AI (%s) \"%.6s\": month %02d is not a month", ai, v, m);
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    int last = mdays[m - 1] + leap;
    if (d == 0 && day00)
        d = last;
    if (d < 1 || d > last)
        return fail(g, PL_EBADCODE, "GS1 AI (%s) \"%.6s\": %04d-%02d has no day %02d", ai, v, y, m,
                    d);
    out->y = (int16_t)y;
    out->m = (int8_t)m;
    out->d = (int8_t)d;
    return 0;
}

/* Checks one value against its AI and keeps what the answer uses. */
static int take(pl_gs1_t *g, const char *ai, const char *v, size_t n, int year_now)
{
    int p = num(ai, 2);
    const aispec_t *s = spec_of(ai, p);
    /* one pass: every byte a GS1 character, and whether all are digits */
    unsigned all = 3;
    for (size_t i = 0; i < n; i++)
        all &= byte_class[(unsigned char)v[i]];
    if (!(all & 1))
        for (size_t i = 0; i < n; i++)
            if (!cset82((unsigned char)v[i]))
                return fail(g, PL_EBADCODE,
                            "GS1 AI (%s): byte 0x%02x at value position %zu is not "
                            "a GS1 character",
                            ai, (unsigned char)v[i], i + 1);
    int min = 1, max = 90, type = V_X;
    if (s) {
        min = s->min, max = s->max, type = s->type;
    } else if (predefined(p)) {
        min = max = predefined(p), type = V_N;
    }
    if (n < (size_t)min || n > (size_t)max) {
        if (min == max)
            return fail(g, PL_EBADCODE, "GS1 AI (%s): value of %zu characters, needs %d", ai, n,
                        min);
        return fail(g, PL_EBADCODE, "GS1 AI (%s): value of %zu characters, allowed %d..%d", ai, n,
                    min, max);
    }
    if (type != V_X && !(all & 2))
        return fail(g, PL_EBADCODE, "GS1 AI (%s): \"%.*s\" is not all digits", ai, (int)n, v);
    switch (type) {
    case V_CHECK: {
        int cd = pl_barcode_check_digit(v, n - 1);
        if (cd != v[n - 1] - '0')
            return fail(g, PL_ECHECK, "GS1 AI (%s) %.*s: check digit is %c, expected %d", ai,
                        (int)n, v, v[n - 1], cd);
        break;
    }
    case V_DATE: {
        pl_gs1_date_t d, *to = NULL;
        int rc = parse_date(g, ai, v, year_now, ai[1] != '2', &d);
        if (rc)
            return rc;
        switch (ai[1]) {
        case '1':
            to = &g->prod;
            break;
        case '3':
            to = &g->pack;
            break;
        case '5':
            to = &g->best_before;
            break;
        case '6':
            to = &g->sell_by;
            break;
        case '7':
            to = &g->expiry;
            break;
        }
        if (to)
            *to = d;
        break;
    }
    case V_DATETIME: {
        int rc = parse_date(g, ai, v, year_now, 0, &g->expiry_at);
        if (rc)
            return rc;
        int hh = num(v + 6, 2), mm = num(v + 8, 2);
        if (hh > 23 || mm > 59)
            return fail(g, PL_EBADCODE, "GS1 AI (%s) \"%.10s\": %02d:%02d is not a time of day", ai,
                        v, hh, mm);
        g->expiry_hhmm = (int16_t)(hh * 100 + mm);
        break;
    }
    case V_AMOUNT_ISO:
    case V_AMOUNT: {
        size_t skip = type == V_AMOUNT_ISO ? 3 : 0;
        if (ai[2] == '2' || ai[2] == '3') { /* 392n, 393n: amount payable */
            if (n - skip > 15)
                return fail(g, PL_EBADCODE, "GS1 AI (%s): amount of %zu digits", ai, n - skip);
            g->currency = skip ? num(v, 3) : 0;
            g->amount_dec = ai[3] - '0';
            g->amount = 0;
            for (size_t i = skip; i < n; i++)
                g->amount = g->amount * 10 + (v[i] - '0');
        }
        break;
    }
    default:
        break;
    }
    if (!s && p >= 31 && p <= 36 && ai[3] > '5')
        return fail(g, PL_EBADCODE, "GS1 AI (%s): decimal point position %c (0..5)", ai, ai[3]);
    if (p == 31 && ai[2] == '0') { /* 310n: net weight, kg */
        int64_t w = num(v, 6);
        int dec = ai[3] - '0';
        /* grams = w kg / 10^dec * 1000, rounded down */
        static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000};
        g->weight_g = dec <= 3 ? w * pow10[3 - dec] : w / pow10[dec - 3];
    }
    if (p == 1)
        memcpy(g->gtin, v, 15);
    else if (p == 10)
        memcpy(g->lot, v, n + 1);
    else if (p == 21)
        memcpy(g->serial, v, n + 1);
    return 0;
}

/* Appends one AI (ai: NUL-padded to 5 bytes) with its value (already
 * decoded) and checks it. */
static int add(pl_gs1_t *g, const char ai[5], const char *v, size_t n, int year_now)
{
    size_t used = 0;
    if (g->nais == PL_GS1_AIS_MAX)
        return fail(g, PL_EBADCODE, "GS1: more than %d AIs", PL_GS1_AIS_MAX);
    for (int i = 0; i < g->nais; i++)
        if (!memcmp(g->ais[i].ai, ai, 5))
            return fail(g, PL_EBADCODE, "GS1 AI (%s) twice", ai);
    if (g->nais) {
        const pl_gs1_ai_t *l = &g->ais[g->nais - 1];
        used = l->off + l->len + 1u;
    }
    if (used + n + 1 > sizeof(g->data))
        return fail(g, PL_EBADCODE, "GS1: values longer than %d bytes", PL_GS1_DATA_MAX - 1);
    pl_gs1_ai_t *a = &g->ais[g->nais++];
    memcpy(a->ai, ai, 5);
    a->off = (uint16_t)used;
    a->len = (uint16_t)n;
    memcpy(g->data + used, v, n);
    g->data[used + n] = 0;
    return take(g, ai, g->data + used, n, year_now);
}

/* Reads an AI's digits at s[0..n): its length from the first two. */
static int read_ai(pl_gs1_t *g, const char *s, size_t n, size_t pos, char *ai)
{
    if (n < 2 || !is_digits(s, 2))
        return fail(g, PL_EBADCODE, "GS1: no application identifier at byte %zu", pos + 1);
    int len = ai_length((s[0] - '0') * 10 + (s[1] - '0'));
    if (!len)
        return fail(g, PL_EBADCODE, "GS1: no AI starts with \"%.2s\" (byte %zu)", s, pos + 1);
    if (n < (size_t)len || !is_digits(s, (size_t)len))
        return fail(g, PL_EBADCODE, "GS1: AI at byte %zu is cut short (\"%.*s\")", pos + 1,
                    (int)(n < (size_t)len ? n : (size_t)len), s);
    /* NUL-padded to 5 bytes: add() compares and copies it whole */
    ai[0] = s[0], ai[1] = s[1];
    ai[2] = len > 2 ? s[2] : 0;
    ai[3] = len > 3 ? s[3] : 0;
    ai[4] = 0;
    return len;
}

static int parse_elements(pl_gs1_t *g, const char *s, size_t n, size_t base, int year_now)
{
    size_t i = 0;
    while (i < n && s[i] == GS) /* a leading FNC1 */
        i++;
    if (i == n)
        return fail(g, PL_EBADCODE, "GS1: no element strings");
    while (i < n) {
        char ai[5];
        int alen = read_ai(g, s + i, n - i, base + i, ai);
        if (alen < 0)
            return alen;
        i += (size_t)alen;
        int fixed = predefined((ai[0] - '0') * 10 + (ai[1] - '0'));
        size_t start = i, vlen;
        if (fixed) {
            vlen = (size_t)fixed;
            if (n - i < vlen || memchr(s + i, GS, vlen))
                return fail(g, PL_EBADCODE,
                            "GS1 AI (%s) at byte %zu: value cut short, needs %d "
                            "characters",
                            ai, base + start + 1, fixed);
            i += vlen;
        } else {
            const char *e = memchr(s + i, GS, n - i);
            vlen = e ? (size_t)(e - (s + i)) : n - i;
            i += vlen;
        }
        if (i < n && s[i] == GS)
            i++; /* after a predefined length a separator is allowed, not needed */
        int rc = add(g, ai, s + start, vlen, year_now);
        if (rc)
            return rc;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into out[cap]; returns the length or -1. */
static int unescape(pl_gs1_t *g, const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            int h = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
            if (h <= 0)
                return fail(g, PL_EBADCODE, "GS1 Digital Link: bad percent-encoding \"%.*s\"",
                            (int)(n - i < 3 ? n - i : 3), s + i);
            c = (char)h;
            i += 2;
        }
        if (k + 1 >= cap)
            return fail(g, PL_EBADCODE, "GS1 Digital Link: value longer than %zu bytes", cap - 1);
        out[k++] = c;
    }
    out[k] = 0;
    return (int)k;
}

/* Next '/'-separated segment of s[*i..n). */
static int segment(const char *s, size_t n, size_t *i, const char **seg, size_t *len)
{
    if (*i >= n)
        return 0;
    if (s[*i] == '/')
        (*i)++;
    size_t st = *i;
    while (*i < n && s[*i] != '/')
        (*i)++;
    *seg = s + st;
    *len = *i - st;
    return 1;
}

static int parse_link(pl_gs1_t *g, const char *s, size_t n, int year_now)
{
    size_t i = s[4] == ':' ? 7 : 8; /* after "http://" or "https://" */
    size_t end = n;
    const char *q = memchr(s, '?', n), *h = memchr(s, '#', n);
    if (h)
        end = (size_t)(h - s);
    size_t pend = q && (size_t)(q - s) < end ? (size_t)(q - s) : end;
    size_t host = i;
    while (i < pend && s[i] != '/')
        i++;
    if (i == host)
        return fail(g, PL_EBADCODE, "GS1 Digital Link: no host");
    /* The path: any prefix, then 01/<gtin>, then 22, 10, 21 in that order. */
    const char *seg, *val;
    size_t slen, vlen;
    int found = 0, last = 0;
    char buf[96];
    while (segment(s, pend, &i, &seg, &slen)) {
        if (!slen)
            continue;
        if (!found) {
            if (slen == 2 && !memcmp(seg, "01", 2)) {
                if (!segment(s, pend, &i, &val, &vlen) || !vlen)
                    return fail(g, PL_EBADCODE, "GS1 Digital Link: /01/ without a GTIN");
                if (vlen > 14 || vlen < 8 || vlen == 9 || vlen == 10 || vlen == 11 ||
                    !is_digits(val, vlen))
                    return fail(g, PL_EBADCODE,
                                "GS1 Digital Link: GTIN \"%.*s\" is not 8, 12, "
                                "13 or 14 digits",
                                (int)(vlen > 20 ? 20 : vlen), val);
                memset(buf, '0', 14);
                memcpy(buf + 14 - vlen, val, vlen);
                static const char ai01[5] = "01";
                int rc = add(g, ai01, buf, 14, year_now);
                if (rc)
                    return rc;
                found = 1;
            }
            continue;
        }
        static const char quals[3][5] = {"22", "10", "21"};
        int k = 0;
        while (k < 3 && (slen != 2 || memcmp(seg, quals[k], 2)))
            k++;
        if (k == 3)
            return fail(g, PL_EBADCODE,
                        "GS1 Digital Link: \"%.*s\" after the GTIN is not a key "
                        "qualifier (22, 10, 21)",
                        (int)(slen > 20 ? 20 : slen), seg);
        if (k + 1 <= last)
            return fail(g, PL_EBADCODE,
                        "GS1 Digital Link: key qualifier %s out of order "
                        "(22, 10, 21)",
                        quals[k]);
        last = k + 1;
        if (!segment(s, pend, &i, &val, &vlen) || !vlen)
            return fail(g, PL_EBADCODE, "GS1 Digital Link: /%s/ without a value", quals[k]);
        int dl = unescape(g, val, vlen, buf, sizeof(buf));
        if (dl < 0)
            return dl;
        int rc = add(g, quals[k], buf, (size_t)dl, year_now);
        if (rc)
            return rc;
    }
    if (!found)
        return fail(g, PL_EBADCODE, "GS1 Digital Link: no /01/<GTIN> in the path");
    /* The query: data attributes. */
    i = pend;
    while (q && i < end) {
        i++; /* '?' or '&' */
        size_t st = i;
        while (i < end && s[i] != '&')
            i++;
        const char *kv = s + st, *eq = memchr(kv, '=', i - st);
        size_t klen = eq ? (size_t)(eq - kv) : i - st;
        if (!klen || !is_digits(kv, klen))
            continue; /* not an AI (linkType and the like) */
        char ai[5];
        int alen = read_ai(g, kv, klen, st, ai);
        if (alen < 0)
            return alen;
        if ((size_t)alen != klen)
            return fail(g, PL_EBADCODE, "GS1 Digital Link: \"%.*s\" is not an AI",
                        (int)(klen > 8 ? 8 : klen), kv);
        if (!strcmp(ai, "01") || !strcmp(ai, "22") || !strcmp(ai, "10") || !strcmp(ai, "21"))
            return fail(g, PL_EBADCODE, "GS1 Digital Link: AI (%s) belongs in the path", ai);
        if (!eq)
            return fail(g, PL_EBADCODE, "GS1 Digital Link: AI (%s) without a value", ai);
        int dl = unescape(g, eq + 1, (size_t)(s + i - eq - 1), buf, sizeof(buf));
        if (dl < 0)
            return dl;
        int rc = add(g, ai, buf, (size_t)dl, year_now);
        if (rc)
            return rc;
    }
    return 0;
}

/* "http://" or "https://" in any case. */
static int is_link(const char *s, size_t n)
{
    static const char h[] = "https://";
    if (n < 7 || (s[0] | 0x20) != 'h')
        return 0;
    size_t k = (s[4] | 0x20) == 's' ? 8 : 7;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        char want = k == 7 && i >= 4 ? h[i + 1] : h[i];
        char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] | 0x20) : s[i];
        if (c != want)
            return 0;
    }
    return 1;
}

/* The group separator as scanners are configured to write it where a raw
 * control byte cannot go: "^]" (caret notation), "\x1D" / "\x1d" (C
 * escape), "<GS>". Returns the length of the escape at s[0..n), or 0. */
static size_t gs_escape(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '^' && s[1] == ']')
        return 2;
    if (n >= 4 && s[0] == '\\' && s[1] == 'x' && s[2] == '1' && (s[3] == 'D' || s[3] == 'd'))
        return 4;
    if (n >= 4 && !memcmp(s, "<GS>", 4))
        return 4;
    return 0;
}

/* Whether s[0..n) holds an escape of the separator: a scan for each lead
 * byte (memchr, not a test per byte: this runs on every code). */
static int has_escape(const char *s, size_t n)
{
    static const char leads[] = "^\\<";
    const char *end = s + n;
    for (const char *l = leads; *l; l++)
        for (const char *p = s; (p = memchr(p, *l, (size_t)(end - p))) != NULL; p++)
            if (gs_escape(p, (size_t)(end - p)))
                return 1;
    return 0;
}

/* Whether s[0..n) holds the separator or an escape of it. Every code
 * sent without an identifier passes here (an EAN-13 among them): one
 * table test per byte, the escape looked at only where a lead byte is. */
static int has_gs(const char *s, size_t n)
{
    static const unsigned char lead[256] = {[GS] = 2, ['^'] = 1, ['\\'] = 1, ['<'] = 1};
    for (size_t i = 0; i < n; i++) {
        unsigned char c = lead[(unsigned char)s[i]];
        if (c && (c == 2 || gs_escape(s + i, n - i)))
            return 1;
    }
    return 0;
}
/* The length of an AI in parentheses at s[0..n), "(01)", as the human
 * readable form writes it (and some readers print it): 4..6, or 0. */
static size_t hri_ai(const char *s, size_t n)
{
    if (n < 4 || s[0] != '(')
        return 0;
    size_t i = 1;
    while (i < n && i <= 5 && s[i] >= '0' && s[i] <= '9')
        i++;
    return i >= 3 && i < n && s[i] == ')' ? i + 1 : 0;
}

/* "(01)09506000134352(10)ABC" → element strings in buf, a GS after each
 * value but the last. A value runs to the next "(NN)": a value holding
 * such text cannot be told apart in this form. */
static int from_hri(pl_gs1_t *g, const char *s, size_t n, char *buf, size_t *k)
{
    size_t i = 0, w = 0;
    while (i < n) {
        size_t a = hri_ai(s + i, n - i);
        if (!a)
            return fail(g, PL_EBADCODE, "GS1: no (AI) at byte %zu of the human readable form",
                        i + 1);
        size_t v = i + a, e = v;
        while (e < n && !hri_ai(s + e, n - e))
            e++;
        if (w + (a - 2) + (e - v) + 1 > PL_GS1_DATA_MAX)
            return fail(g, PL_EBADCODE, "GS1: element strings longer than %d bytes",
                        PL_GS1_DATA_MAX);
        if (w)
            buf[w++] = GS;
        memcpy(buf + w, s + i + 1, a - 2);
        w += a - 2;
        memcpy(buf + w, s + v, e - v);
        w += e - v;
        i = e;
    }
    *k = w;
    return 0;
}

/* "01" + a GTIN-14 with its check digit + more: element strings sent with
 * no symbology identifier. */
static int looks_elements(const char *s, size_t n)
{
    if (has_gs(s, n))
        return 1;
    return n > 16 && s[0] == '0' && s[1] == '1' && is_digits(s + 2, 14) &&
           pl_barcode_check_digit(s + 2, 13) == s[15] - '0';
}

int pl_gs1_parse(const char *in, size_t len, int year_now, pl_gs1_t *g)
{
    /* A plain code (most scans) sets only these: no clearing of the rest
     * on the lookup path of every EAN-13. */
    g->form = PL_GS1_PLAIN;
    g->sym[0] = g->error[0] = 0;
    g->nais = 0;
    g->plain_off = g->plain_len = 0;

    size_t b = 0;
    while (len && (in[len - 1] == ' ' || in[len - 1] == '\t' || in[len - 1] == '\r' ||
                   in[len - 1] == '\n'))
        len--;
    while (b < len && (in[b] == ' ' || in[b] == '\t' || in[b] == '\r' || in[b] == '\n'))
        b++;
    const char *s = in + b;
    size_t n = len - b;
    int form = -1; /* by the identifier: -1 none, else a pl_gs1_form_t or 3 for "either" */
    if (n >= 3 && s[0] == ']') {
        static const struct {
            char id[3];
            int form;
        } ids[] = {{"d2", PL_GS1_ELEMENTS},
                   {"Q3", PL_GS1_ELEMENTS},
                   {"C1", PL_GS1_ELEMENTS},
                   {"e0", PL_GS1_ELEMENTS},
                   {"d1", 3},
                   {"Q1", 3},
                   {"E0", PL_GS1_PLAIN},
                   {"E3", PL_GS1_PLAIN},
                   {"E4", PL_GS1_PLAIN},
                   {"A0", PL_GS1_PLAIN},
                   {"C0", PL_GS1_PLAIN},
                   {"I0", PL_GS1_PLAIN},
                   {"I1", PL_GS1_PLAIN},
                   {"X0", PL_GS1_PLAIN}};
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]) && form < 0; i++)
            if (s[1] == ids[i].id[0] && s[2] == ids[i].id[1])
                form = ids[i].form;
        if (form < 0)
            return fail(g, PL_EBADCODE, "unknown symbology identifier \"%.3s\"", s);
        memcpy(g->sym, s, 3);
        g->sym[3] = 0;
        s += 3, n -= 3, b += 3;
    }
    if (form == 3 || form < 0)
        form = is_link(s, n)                                        ? PL_GS1_LINK
               : form < 0 && (looks_elements(s, n) || hri_ai(s, n)) ? PL_GS1_ELEMENTS
                                                                    : PL_GS1_PLAIN;
    /* DataBar Omnidirectional read as its bare GTIN-14, as some readers
     * print it: a plain code. */
    if (form == PL_GS1_ELEMENTS && n == 14 && is_digits(s, 14))
        form = PL_GS1_PLAIN;
    g->form = (pl_gs1_form_t)form;
    if (form == PL_GS1_PLAIN) {
        g->plain_off = b;
        g->plain_len = n;
        return 0;
    }
    /* everything decoded, but the values' buffer */
    memset(g->gtin, 0, sizeof(*g) - offsetof(pl_gs1_t, gtin));
    g->data[0] = 0;
    g->expiry_hhmm = -1;
    g->weight_g = g->amount = -1;
    int rc;
    if (form == PL_GS1_LINK) {
        rc = parse_link(g, s, n, year_now);
    } else if (hri_ai(s, n)) {
        char buf[PL_GS1_DATA_MAX];
        size_t k = 0;
        rc = from_hri(g, s, n, buf, &k);
        if (!rc)
            rc = parse_elements(g, buf, k, b, year_now);
    } else if (has_escape(s, n)) {
        /* Escapes become the byte; positions in messages then count each
         * escape as one byte. (A raw separator needs no copy.) */
        char buf[PL_GS1_DATA_MAX];
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            size_t e = s[i] == GS ? 1 : gs_escape(s + i, n - i);
            if (k == sizeof(buf))
                return fail(g, PL_EBADCODE, "GS1: element strings longer than %zu bytes",
                            sizeof(buf));
            buf[k++] = e ? (char)GS : s[i];
            if (e)
                i += e - 1;
        }
        rc = parse_elements(g, buf, k, b, year_now);
    } else {
        rc = parse_elements(g, s, n, b, year_now);
    }
    if (!rc && !g->gtin[0])
        rc = fail(g, PL_EBADCODE, "GS1: no GTIN (AI 01)");
    return rc;
}

const char *pl_gs1_get(const pl_gs1_t *g, const char *ai)
{
    for (int i = 0; i < g->nais; i++)
        if (!strcmp(g->ais[i].ai, ai))
            return g->data + g->ais[i].off;
    return NULL;
}

/* ISO 4217 (2024): the currencies of the markets retail chains run in. */
static const struct {
    char alpha[4];
    short numeric;
    char minor;
} currencies[] = {
    {"AED", 784, 2}, {"AUD", 36, 2},  {"BHD", 48, 3},  {"BRL", 986, 2}, {"CAD", 124, 2},
    {"CHF", 756, 2}, {"CLP", 152, 0}, {"CNY", 156, 2}, {"CZK", 203, 2}, {"DKK", 208, 2},
    {"EUR", 978, 2}, {"GBP", 826, 2}, {"HKD", 344, 2}, {"HUF", 348, 2}, {"IDR", 360, 2},
    {"ILS", 376, 2}, {"INR", 356, 2}, {"ISK", 352, 0}, {"JOD", 400, 3}, {"JPY", 392, 0},
    {"KRW", 410, 0}, {"KWD", 414, 3}, {"MOP", 446, 2}, {"MXN", 484, 2}, {"MYR", 458, 2},
    {"NOK", 578, 2}, {"NZD", 554, 2}, {"OMR", 512, 3}, {"PHP", 608, 2}, {"PLN", 985, 2},
    {"RON", 946, 2}, {"RUB", 643, 2}, {"SAR", 682, 2}, {"SEK", 752, 2}, {"SGD", 702, 2},
    {"THB", 764, 2}, {"TND", 788, 3}, {"TRY", 949, 2}, {"TWD", 901, 2}, {"USD", 840, 2},
    {"VND", 704, 0}, {"ZAR", 710, 2},
};

int pl_gs1_currency(const char *alpha, int *minor)
{
    for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
        if (!strcmp(currencies[i].alpha, alpha)) {
            if (minor)
                *minor = currencies[i].minor;
            return currencies[i].numeric;
        }
    return 0;
}
