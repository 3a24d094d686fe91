/* Fuzz target: code normalization (pl_barcode_normalize) with the default
 * configuration, and with scale formats parsed from the input.
 *
 * Input: a code, normalized with the default configuration. If the input
 * holds a NUL byte, the bytes before it are also a format list for
 * pl_barcode_cfg_formats and the bytes after it a code normalized with that
 * list (and item_max above PL_ITEM_CODE_MAX, which must be capped).
 *
 * Checks: the return code and the kind agree; a GTIN is 14 digits with a
 * right check digit and normalizes to itself; a variable-measure code names
 * a format of the configuration and a PLU of 1..PL_PLU_MAX digits; a keyed
 * code has allowed characters and a length within the limits; messages are
 * terminated; pl_barcode_key honours its cap; a refused format list leaves
 * the configuration unchanged. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "pricelane/barcode.h"
#include "pricelane/err.h"

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_item_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           c == '-' || c == '_' || c == '.';
}

static void check_key(const pl_code_t *c)
{
    char full[64];
    size_t n = pl_barcode_key(c, full, sizeof(full));
    FUZZ_CHECK(n < sizeof(full), "key of %zu bytes", n);
    if (c->kind == PL_CODE_ITEM) {
        FUZZ_CHECK(n == 0, "keyed code has a barcode key of %zu bytes", n);
        return;
    }
    FUZZ_CHECK(n > 0 && strlen(full) == n, "key length %zu, strlen %zu", n, strlen(full));
    /* Every smaller cap: truncated like snprintf, never written past. */
    for (size_t cap = 0; cap <= n; cap++) {
        char *out = malloc(cap ? cap : 1);
        size_t m = pl_barcode_key(c, cap ? out : NULL, cap);
        FUZZ_CHECK(m == n, "cap %zu gave %zu, want %zu", cap, m, n);
        if (cap)
            FUZZ_CHECK(out[cap - 1] == 0 && memcmp(out, full, cap - 1) == 0,
                       "cap %zu: not a truncated copy", cap);
        free(out);
    }
}

static void check_code(const pl_barcode_cfg_t *cfg, const uint8_t *in, size_t len, int recheck)
{
    pl_code_t c;
    memset(&c, 0xa5, sizeof(c)); /* garbage, as a caller's stack would hold */
    int rc = pl_barcode_normalize(cfg, (const char *)in, len, &c);
    FUZZ_CHECK(memchr(c.error, 0, sizeof(c.error)) != NULL, "error not terminated");
    if (rc != 0) {
        FUZZ_CHECK(rc == PL_EBADCODE || rc == PL_ECHECK, "rc %d", rc);
        FUZZ_CHECK(c.kind == PL_CODE_NONE, "kind %d on error", c.kind);
        FUZZ_CHECK(c.error[0] != 0, "error without a message");
        return;
    }
    FUZZ_CHECK(memchr(c.gtin, 0, sizeof(c.gtin)) && memchr(c.item, 0, sizeof(c.item)),
               "gtin or item not terminated");
    size_t ilen = strlen(c.item);
    switch (c.kind) {
    case PL_CODE_GTIN:
    case PL_CODE_VARIABLE: {
        FUZZ_CHECK(strlen(c.gtin) == 14 && is_digits(c.gtin, 14), "gtin \"%s\"", c.gtin);
        int cd = pl_barcode_check_digit(c.gtin, 13);
        FUZZ_CHECK(cd == c.gtin[13] - '0', "gtin %s: check digit should be %d", c.gtin, cd);
        if (c.kind == PL_CODE_VARIABLE) {
            FUZZ_CHECK(ilen >= 1 && ilen <= PL_PLU_MAX && is_digits(c.item, ilen), "PLU \"%s\"",
                       c.item);
            FUZZ_CHECK(c.measure >= PL_MEASURE_PRICE && c.measure <= PL_MEASURE_COUNT,
                       "measure %d", c.measure);
            FUZZ_CHECK(c.format >= 0 && c.format < cfg->nformats, "format %d of %d", c.format,
                       cfg->nformats);
            FUZZ_CHECK(c.amount >= 0, "amount %lld", (long long)c.amount);
        } else if (recheck) {
            /* A GTIN is its own normal form. */
            pl_code_t again;
            int rc2 = pl_barcode_normalize(cfg, c.gtin, 14, &again);
            FUZZ_CHECK(rc2 == 0 && again.kind == PL_CODE_GTIN && strcmp(again.gtin, c.gtin) == 0,
                       "gtin %s normalizes to rc %d kind %d \"%s\"", c.gtin, rc2, again.kind,
                       again.gtin);
        }
        break;
    }
    case PL_CODE_ITEM: {
        int max = cfg->item_max > PL_ITEM_CODE_MAX ? PL_ITEM_CODE_MAX : cfg->item_max;
        int min = cfg->item_min < 1 ? 1 : cfg->item_min;
        FUZZ_CHECK((int)ilen >= min && (int)ilen <= max, "item code of %zu bytes (%d..%d)", ilen,
                   min, max);
        for (size_t i = 0; i < ilen; i++)
            FUZZ_CHECK(is_item_char(c.item[i]), "item code byte 0x%02x", (unsigned char)c.item[i]);
        FUZZ_CHECK(c.gtin[0] == 0, "keyed code with gtin \"%s\"", c.gtin);
        break;
    }
    default:
        FUZZ_CHECK(0, "rc 0 with kind %d", c.kind);
    }
    check_key(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pl_barcode_cfg_t def;
    pl_barcode_cfg_default(&def);
    check_code(&def, data, size, 1);

    int cd = pl_barcode_check_digit((const char *)data, size);
    FUZZ_CHECK(cd >= -1 && cd <= 9, "check digit %d", cd);

    /* UPC-E expansion reads a terminated string. */
    char *s = fuzz_strndup(data, size < 16 ? size : 16);
    char out[13];
    memset(out, 'x', sizeof(out));
    int rc = pl_barcode_upce_expand(s, out);
    FUZZ_CHECK(rc == 0 || rc == PL_EBADCODE || rc == PL_ECHECK, "upce rc %d", rc);
    FUZZ_CHECK(memchr(out, 0, sizeof(out)) != NULL, "upce output not terminated");
    if (rc == 0 || rc == PL_ECHECK)
        FUZZ_CHECK(strlen(out) == 12 && is_digits(out, 12), "upce expansion \"%s\"", out);
    free(s);

    const uint8_t *nul = memchr(data, 0, size);
    if (!nul)
        return 0;
    size_t flen = (size_t)(nul - data);
    char *list = fuzz_strndup(data, flen);
    pl_barcode_cfg_t cfg = def, before;
    cfg.item_min = 0;
    cfg.item_max = 64; /* over PL_ITEM_CODE_MAX: must be capped */
    before = cfg;
    char err[40];
    size_t errlen = 1 + flen % (sizeof(err) - 1); /* short buffers too */
    memset(err, 'x', sizeof(err));
    rc = pl_barcode_cfg_formats(&cfg, list, err, errlen);
    free(list);
    if (rc != 0) {
        FUZZ_CHECK(rc == PL_EFORMAT, "formats rc %d", rc);
        FUZZ_CHECK(memcmp(&cfg, &before, sizeof(cfg)) == 0, "refused list changed the config");
        FUZZ_CHECK(memchr(err, 0, errlen) != NULL, "message not terminated within %zu", errlen);
        FUZZ_CHECK(err[errlen] == 'x', "message written past %zu bytes", errlen);
        return 0;
    }
    FUZZ_CHECK(cfg.nformats >= 0 && cfg.nformats <= PL_RCN_FORMATS_MAX, "nformats %d",
               cfg.nformats);
    for (int i = 0; i < cfg.nformats; i++)
        FUZZ_CHECK(memchr(cfg.formats[i].pattern, 0, sizeof(cfg.formats[i].pattern)),
                   "pattern %d not terminated", i);
    check_code(&cfg, nul + 1, size - flen - 1, 0);
    return 0;
}
