/* GS1 code normalization: see include/pricelane/barcode.h for the contract.
 *
 * Everything here is a pure function of its arguments (no allocation, no
 * globals), so the lanes can call it from any worker and the fuzz target can
 * feed it arbitrary bytes. */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pricelane/barcode.h"
#include "pricelane/err.h"

static const char default_formats[] =
    "20IIIIIPPPPPC,21IIIIIWWWWWC,22IIIIINNNNNC,2IIIIIVPPPPC,02IIIIVPPPPPC";

enum { DEFAULT_ITEM_MIN = 1, DEFAULT_ITEM_MAX = 20 };

/* ---- small helpers ------------------------------------------------------ */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return true;
}

/* Scanners emit zeros on some misreads, and an all-zero GTIN passes the
 * check digit; GS1 never allocates it, so it must not reach the database. */
static bool all_zero(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0')
            return false;
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Keyed item codes are SKUs: the set is narrow so that a garbled scan (control
 * bytes, symbology identifiers such as "]E0") is reported, not looked up. */
static bool is_item_char(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
           c == '_' || c == '.';
}

/* Printable form of a byte for an error message: 'x' or 0x07. */
static const char *show_char(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u >= 0x20 && u < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02x", u);
    return buf;
}

/* Resets out to an error result. The message is formatted into a fresh value
 * first so that arguments pointing into *out stay valid while formatting. */
__attribute__((format(printf, 3, 4))) static int fail(pl_code_t *out, int rc, const char *fmt, ...)
{
    pl_code_t blank = {0};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(blank.error, sizeof blank.error, fmt, ap);
    va_end(ap);
    *out = blank;
    return rc;
}

__attribute__((format(printf, 3, 4))) static int cfg_fail(char *err, size_t errlen, const char *fmt,
                                                          ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return PL_EFORMAT;
}

/* ---- check digits ------------------------------------------------------- */

int pl_barcode_check_digit(const char *d, size_t n)
{
    /* weights 3, 1, 3... from the right; runs on every lookup (twice for a
     * 2D code): one subtraction and compare per digit, no modulo */
    unsigned sum = 0, w = 3;
    for (size_t i = n; i-- > 0;) {
        unsigned c = (unsigned)(unsigned char)d[i] - '0';
        if (c > 9)
            return -1;
        sum += c * w;
        w ^= 2;
    }
    return (int)((10 - sum % 10) % 10);
}

/* GS1 General Specifications 7.9.2: a "weighting factor" maps each digit to
 * one digit. 2- and 5-: units digit of the product minus its tens digit;
 * 5+: units digit plus tens digit; 3: units digit of the product. */
static const unsigned char w2minus[10] = {0, 2, 4, 6, 8, 9, 1, 3, 5, 7};
static const unsigned char w3[10] = {0, 3, 6, 9, 2, 5, 8, 1, 4, 7};
static const unsigned char w5plus[10] = {0, 5, 1, 6, 2, 7, 3, 8, 4, 9};
static const unsigned char w5minus[10] = {0, 5, 9, 4, 8, 3, 7, 2, 6, 1};

/* GS1 7.9.3: 4-digit price, weights 2-,2-,3,5-; the check digit is the units
 * digit of three times the sum. Example 2875 → 9. */
static int price_check4(const char *d)
{
    int sum = w2minus[d[0] - '0'] + w2minus[d[1] - '0'] + w3[d[2] - '0'] + w5minus[d[3] - '0'];
    return sum * 3 % 10;
}

/* GS1 7.9.4: 5-digit price, weights 5+,2-,5-,5+,2-; the check digit is the
 * digit whose 5- product equals 10 minus the sum's units digit. This makes
 * the check digit itself carry weight 5-, so transpositions with it are caught.
 * Example 14685 → 6. */
static int price_check5(const char *d)
{
    int sum = w5plus[d[0] - '0'] + w2minus[d[1] - '0'] + w5minus[d[2] - '0'] + w5plus[d[3] - '0'] +
              w2minus[d[4] - '0'];
    int want = (10 - sum % 10) % 10;
    for (int k = 0; k < 10; k++)
        if (w5minus[k] == want)
            return k;
    return -1; /* unreachable: w5minus is a permutation of 0..9 */
}

/* ---- restricted-circulation formats ------------------------------------- */

/* What a pattern says, found by one pass over it. */
struct layout {
    int nitem;   /* 'I' digits */
    int namount; /* 'P', 'W' or 'N' digits */
    char unit;   /* which of 'P', 'W', 'N'; 0 if none */
    int vpos;    /* position of 'V', or -1 */
};

/* Validates pat[0..n) and describes it in *l. Returns false with a reason in
 * why. Also used at decode time, so a cfg filled by hand without
 * pl_barcode_cfg_formats() cannot make decoding misbehave. */
static bool analyse(const char *pat, size_t n, struct layout *l, char *why, size_t whylen)
{
    char cb[8];
    *l = (struct layout){.vpos = -1};
    if (n != 8 && n != 12 && n != 13 && n != 14) {
        snprintf(why, whylen, "length %zu, not 8, 12, 13 or 14", n);
        return false;
    }
    if (pat[n - 1] != 'C') {
        snprintf(why, whylen, "does not end with the check digit 'C'");
        return false;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        char c = pat[i];
        if (is_digit(c))
            continue;
        if (c == 'I') {
            l->nitem++;
        } else if (c == 'P' || c == 'W' || c == 'N') {
            if (l->unit && l->unit != c) {
                snprintf(why, whylen, "mixes '%c' and '%c' digits", l->unit, c);
                return false;
            }
            l->unit = c;
            l->namount++;
        } else if (c == 'V' && l->vpos < 0) {
            l->vpos = (int)i;
        } else if (c == 'V') {
            snprintf(why, whylen, "more than one 'V'");
            return false;
        } else if (c == 'C') {
            snprintf(why, whylen, "'C' at position %zu, allowed only at the end", i + 1);
            return false;
        } else {
            snprintf(why, whylen, "bad character %s at position %zu", show_char(c, cb), i + 1);
            return false;
        }
    }
    if (l->nitem < 1 || l->nitem > PL_PLU_MAX) {
        snprintf(why, whylen, "%d item digits 'I', need 1..%d", l->nitem, PL_PLU_MAX);
        return false;
    }
    if (l->namount == 0) {
        snprintf(why, whylen, "no price, weight or count digits ('P', 'W' or 'N')");
        return false;
    }
    if (l->vpos >= 0 && l->namount != 4 && l->namount != 5) {
        snprintf(why, whylen, "'V' needs a 4- or 5-digit amount, not %d digits", l->namount);
        return false;
    }
    return true;
}

int pl_barcode_cfg_formats(pl_barcode_cfg_t *cfg, const char *list, char *err, size_t errlen)
{
    /* Parse into a copy so that a bad list leaves the store's formats intact. */
    pl_rcn_format_t f[PL_RCN_FORMATS_MAX];
    int nf = 0;
    const char *p = list ? list : "";

    if (err && errlen)
        err[0] = '\0';
    while (is_space(*p))
        p++;
    while (*p) {
        const char *end = p + strcspn(p, ",");
        const char *b = p, *e = end;
        char why[96];
        struct layout l;

        while (b < e && is_space(*b))
            b++;
        while (e > b && is_space(e[-1]))
            e--;
        size_t n = (size_t)(e - b);
        if (n == 0)
            return cfg_fail(err, errlen, "pattern %d is empty", nf + 1);
        if (nf == PL_RCN_FORMATS_MAX)
            return cfg_fail(err, errlen, "more than %d patterns", PL_RCN_FORMATS_MAX);
        if (n >= sizeof f[0].pattern)
            return cfg_fail(err, errlen, "pattern %d: length %zu, not 8, 12, 13 or 14", nf + 1, n);
        if (!analyse(b, n, &l, why, sizeof why))
            return cfg_fail(err, errlen, "pattern %d \"%.*s\": %s", nf + 1, (int)n, b, why);
        memcpy(f[nf].pattern, b, n);
        f[nf].pattern[n] = '\0';
        nf++;
        if (*end == '\0')
            break;
        p = end + 1;
        if (*p == '\0') /* trailing comma: an empty last pattern */
            return cfg_fail(err, errlen, "pattern %d is empty", nf + 1);
    }
    memset(cfg->formats, 0, sizeof cfg->formats);
    memcpy(cfg->formats, f, sizeof f[0] * (size_t)nf);
    cfg->nformats = nf;
    return 0;
}

static pl_barcode_cfg_t default_cfg;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void default_init(void)
{
    default_cfg.item_min = DEFAULT_ITEM_MIN;
    default_cfg.item_max = DEFAULT_ITEM_MAX;
    (void)pl_barcode_cfg_formats(&default_cfg, default_formats, NULL, 0);
}

/* The default formats are parsed once: loaders ask for them per row. */
void pl_barcode_cfg_default(pl_barcode_cfg_t *cfg)
{
    pthread_once(&default_once, default_init);
    *cfg = default_cfg;
}

/* In-store ranges (GS1 General Specifications 1.4.4): RCN-8 prefix 2 (prefix
 * 0 is read as UPC-E), RCN-12 number system 2 and RCN-13 prefixes 02 and 20-29,
 * which in 14-digit form are bodies "02..." and "2...". Indicator digits 1-9
 * mark trade items (packaging levels, GS1 variable-measure trade items), so
 * only indicator 0 qualifies. */
static bool in_store_range(const char *g14, size_t scanned)
{
    if (scanned == 8)
        return g14[6] == '2';
    if (g14[0] != '0')
        return false;
    return g14[1] == '2' || (g14[1] == '0' && g14[2] == '2');
}

static bool literals_match(const char *pat, const char *code, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_digit(pat[i]) && pat[i] != code[i])
            return false;
    return true;
}

static pl_measure_t measure_of(char unit)
{
    return unit == 'P' ? PL_MEASURE_PRICE : unit == 'W' ? PL_MEASURE_WEIGHT : PL_MEASURE_COUNT;
}

static const char *measure_name(char unit)
{
    return unit == 'P' ? "price" : unit == 'W' ? "weight" : "count";
}

/* Splits code[0..n) per format idx into out. Returns 0, or PL_ECHECK when the
 * amount's verifier digit is wrong: the format matched by prefix, so the
 * label was printed for it and a bad digit means a misread, not another
 * format. */
static int decode_rcn(const pl_barcode_cfg_t *cfg, int idx, const struct layout *l,
                      const char *code, size_t n, pl_code_t *out)
{
    const char *pat = cfg->formats[idx].pattern;
    char amount[16];
    int ni = 0, na = 0;

    for (size_t i = 0; i < n; i++) {
        if (pat[i] == 'I')
            out->item[ni++] = code[i];
        else if (pat[i] == l->unit)
            amount[na++] = code[i];
    }
    out->item[ni] = '\0';
    if (l->vpos >= 0) {
        int want = na == 4 ? price_check4(amount) : price_check5(amount);
        if (code[l->vpos] - '0' != want)
            return fail(out, PL_ECHECK, "%s check digit is %c, expected %d (format %s)",
                        measure_name(l->unit), code[l->vpos], want, pat);
    }
    out->amount = 0;
    for (int i = 0; i < na; i++)
        out->amount = out->amount * 10 + (amount[i] - '0');
    out->kind = PL_CODE_VARIABLE;
    out->measure = measure_of(l->unit);
    out->format = idx;
    return 0;
}

/* Stores the verified 14-digit GTIN and, for in-store ranges, decodes it with
 * the first format of the scanned length whose literal digits match. */
static int finish_gtin(const pl_barcode_cfg_t *cfg, const char *g14, size_t scanned, pl_code_t *out)
{
    memcpy(out->gtin, g14, 14);
    out->gtin[14] = '\0';
    out->kind = PL_CODE_GTIN;
    out->in_store = in_store_range(g14, scanned);
    if (!out->in_store)
        return 0;

    const char *code = g14 + 14 - scanned;
    for (int i = 0; i < cfg->nformats && i < PL_RCN_FORMATS_MAX; i++) {
        const char *pat = cfg->formats[i].pattern;
        size_t n = strnlen(pat, sizeof cfg->formats[i].pattern);
        struct layout l;
        char why[96];

        if (n != scanned || !analyse(pat, n, &l, why, sizeof why) || !literals_match(pat, code, n))
            continue;
        return decode_rcn(cfg, i, &l, code, n, out);
    }
    return 0; /* an RCN no format describes: the store labels it, keep it */
}

/* ---- the code families -------------------------------------------------- */

/* d[0..n) is an EAN-8, UPC-A, EAN-13 or GTIN-14 (all digits). */
static int normalize_gtin(const pl_barcode_cfg_t *cfg, const char *d, size_t n, const char *name,
                          pl_code_t *out)
{
    char g14[14];
    int want = pl_barcode_check_digit(d, n - 1);

    if (d[n - 1] - '0' != want)
        return fail(out, PL_ECHECK, "%s check digit is %c, expected %d", name, d[n - 1], want);
    memset(g14, '0', 14 - n);
    memcpy(g14 + 14 - n, d, n);
    return finish_gtin(cfg, g14, n, out);
}

int pl_barcode_upce_expand(const char *upce, char *out)
{
    const char *x = upce + 1; /* the six UPC-E data digits X1..X6 */
    char a[12];

    out[0] = '\0';
    for (int i = 0; i < 8; i++)
        if (!is_digit(upce[i]))
            return PL_EBADCODE;
    if (upce[0] != '0' && upce[0] != '1')
        return PL_EBADCODE;

    /* Zero suppression: X6 says where the manufacturer number ends and how
     * many zeros were dropped before the item number. */
    a[0] = upce[0];
    switch (x[5]) {
    case '0':
    case '1':
    case '2': /* mfr X1 X2 X6 00, item 00 X3 X4 X5 */
        memcpy(a + 1, x, 2);
        a[3] = x[5];
        memcpy(a + 4, "0000", 4);
        memcpy(a + 8, x + 2, 3);
        break;
    case '3': /* mfr X1 X2 X3 00, item 000 X4 X5 */
        memcpy(a + 1, x, 3);
        memcpy(a + 4, "00000", 5);
        memcpy(a + 9, x + 3, 2);
        break;
    case '4': /* mfr X1..X4 0, item 0000 X5 */
        memcpy(a + 1, x, 4);
        memcpy(a + 5, "00000", 5);
        a[10] = x[4];
        break;
    default: /* mfr X1..X5, item 0000 X6 */
        memcpy(a + 1, x, 5);
        memcpy(a + 6, "0000", 4);
        a[10] = x[5];
        break;
    }
    a[11] = (char)('0' + pl_barcode_check_digit(a, 11));
    memcpy(out, a, 12);
    out[12] = '\0';
    return upce[7] == a[11] ? 0 : PL_ECHECK;
}

static int normalize_upce(const pl_barcode_cfg_t *cfg, const char *d, pl_code_t *out)
{
    char upca[13], g14[14];
    int rc = pl_barcode_upce_expand(d, upca);

    if (rc == PL_ECHECK)
        return fail(out, PL_ECHECK, "UPC-E check digit is %c, expected %c (UPC-A %.11s%c)", d[7],
                    upca[11], upca, upca[11]);
    if (rc < 0)
        return fail(out, rc, "not a UPC-E: number system %c", d[0]);
    /* "00000030" and "00000040" are not all zeros but expand to them. */
    if (all_zero(upca, 12))
        return fail(out, PL_EBADCODE, "UPC-E %.8s expands to all zeros: not a code", d);
    g14[0] = g14[1] = '0';
    memcpy(g14 + 2, upca, 12);
    return finish_gtin(cfg, g14, 12, out);
}

/* Collects an ISBN-10 from s[0..n): nine digits then a digit or X, with any
 * dashes or spaces the cashier typed between them. */
static bool isbn10_digits(const char *s, size_t n, char isbn[10])
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-' || c == ' ')
            continue;
        if (k == 10)
            return false;
        if (is_digit(c) || (k == 9 && (c == 'X' || c == 'x')))
            isbn[k++] = c;
        else
            return false;
    }
    return k == 10;
}

/* ISBN-10 (mod 11, weights 10..1) becomes the 978 GTIN-13 of the same book;
 * the old check digit is verified first, as it guards what was typed. */
static int normalize_isbn10(const pl_barcode_cfg_t *cfg, const char *isbn, pl_code_t *out)
{
    char g14[14];
    int sum = 0;

    if (all_zero(isbn, 10))
        return fail(out, PL_EBADCODE, "all zeros: not a code");
    for (int i = 0; i < 9; i++)
        sum += (10 - i) * (isbn[i] - '0');
    int want = (11 - sum % 11) % 11;
    int got = is_digit(isbn[9]) ? isbn[9] - '0' : 10;
    if (got != want)
        return fail(out, PL_ECHECK, "ISBN-10 check digit is %c, expected %c", isbn[9],
                    want == 10 ? 'X' : '0' + want);
    memcpy(g14, "0978", 4);
    memcpy(g14 + 4, isbn, 9);
    g14[13] = (char)('0' + pl_barcode_check_digit(g14 + 1, 12));
    return finish_gtin(cfg, g14, 13, out);
}

static void item_bounds(const pl_barcode_cfg_t *cfg, size_t *min, size_t *max)
{
    *min = cfg->item_min < 1 ? 1 : (size_t)cfg->item_min;
    *max = cfg->item_max > PL_ITEM_CODE_MAX ? PL_ITEM_CODE_MAX
           : cfg->item_max < 0              ? 0
                                            : (size_t)cfg->item_max;
}

static int normalize_item(const pl_barcode_cfg_t *cfg, const char *s, size_t n, pl_code_t *out)
{
    size_t min, max;
    char cb[8];

    for (size_t i = 0; i < n; i++)
        if (!is_item_char(s[i]))
            return fail(out, PL_EBADCODE, "bad character %s at position %zu", show_char(s[i], cb),
                        i + 1);
    item_bounds(cfg, &min, &max);
    if (n < min || n > max)
        return fail(out, PL_EBADCODE, "item code of %zu characters: allowed %zu..%zu", n, min, max);
    memcpy(out->item, s, n);
    out->item[n] = '\0';
    out->kind = PL_CODE_ITEM;
    return 0;
}

static const char *gtin_name(size_t n)
{
    return n == 8 ? "EAN-8" : n == 12 ? "UPC-A" : n == 13 ? "EAN-13" : "GTIN-14";
}

/* All-digit input: its length says which symbology it came from. */
static int normalize_digits(const pl_barcode_cfg_t *cfg, const char *d, size_t n, pl_code_t *out)
{
    size_t min, max;

    if (all_zero(d, n))
        return fail(out, PL_EBADCODE, "all zeros: not a code");
    switch (n) {
    case 8:
    case 12:
    case 13:
    case 14:
        if (n == 8 && d[0] <= '1')
            return normalize_upce(cfg, d, out);
        return normalize_gtin(cfg, d, n, gtin_name(n), out);
    }
    item_bounds(cfg, &min, &max);
    if (n < min || n > max)
        return fail(out, PL_EBADCODE,
                    "%zu digits: not a GTIN length (8, 12, 13, 14) nor an item code (%zu..%zu)", n,
                    min, max);
    return normalize_item(cfg, d, n, out);
}

int pl_barcode_normalize(const pl_barcode_cfg_t *cfg, const char *in, size_t len, pl_code_t *out)
{
    const char *s = in ? in : "";
    size_t n = in ? len : 0;
    char isbn[10];

    memset(out, 0, sizeof *out);
    while (n > 0 && is_space(s[0]))
        s++, n--;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (n == 0)
        return fail(out, PL_EBADCODE, "empty code");
    /* The common case first: digits alone, of any length but an ISBN-10's
     * (ten digits, or nine and an X, maybe with hyphens or spaces). */
    bool digits = all_digits(s, n);
    if (digits && n != 10)
        return normalize_digits(cfg, s, n, out);
    if (isbn10_digits(s, n, isbn))
        return normalize_isbn10(cfg, isbn, out);
    if (digits)
        return normalize_digits(cfg, s, n, out);
    return normalize_item(cfg, s, n, out);
}

size_t pl_barcode_key(const pl_code_t *code, char *out, size_t cap)
{
    /* As snprintf would ("%.14s", "P%.*s"), without its cost on every
     * lookup: the length of the whole key, as much of it as fits. */
    const char *body;
    size_t pre, n, len;
    if (code->kind == PL_CODE_GTIN)
        pre = 0, body = code->gtin, n = strnlen(code->gtin, 14);
    else if (code->kind == PL_CODE_VARIABLE)
        pre = 1, body = code->item, n = strnlen(code->item, PL_PLU_MAX);
    else
        return 0;
    len = pre + n;
    if (!cap)
        return len;
    size_t fit = len < cap - 1 ? len : cap - 1;
    if (pre && fit)
        out[0] = 'P';
    if (fit > pre)
        memcpy(out + pre, body, fit - pre);
    out[fit] = 0;
    return len;
}
