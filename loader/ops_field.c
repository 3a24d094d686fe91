/* The checks of batch fields that every kind of row shares: identifiers,
 * texts, instants, an item that must exist, a zone that must have stores,
 * barcodes as catalogue keys, promotion scopes. Each reports what is wrong
 * with file, line and column. */
#include <ctype.h>
#include <string.h>

#include "ops.h"
#include "pricelane/barcode.h"
#include "pricelane/err.h"
#include "pricelane/str.h"

/* A column of 1..max bytes, each a letter, a digit or one of punct (an
 * identifier, a lot); `chars` names that set in the message for a byte
 * outside it. */
static int word(batch_t *b, const pl_row_t *row, const char *col, int required, size_t max,
                const char *punct, const char *chars, const char **out)
{
    const char *s = pl_row_get(row, col);
    *out = s;
    if (!s) {
        if (required)
            BAD(b, row, col, "missing: this op needs a %s", col);
        return required ? PL_EFORMAT : 0;
    }
    size_t n = strlen(s);
    if (n > max) {
        BAD(b, row, col, "\"%.40s%s\" is %zu bytes, longer than %zu", s, n > 40 ? "..." : "", n,
            max);
        return PL_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!isalnum(ch) && !strchr(punct, ch)) {
            BAD(b, row, col, "\"%s\": byte %zu is not %s", s, i + 1, chars);
            return PL_EFORMAT;
        }
    }
    return 0;
}

int ops_ident(batch_t *b, const pl_row_t *row, const char *col, int required, size_t max,
              const char **out)
{
    return word(b, row, col, required, max, "-_.", "a letter, a digit, '-', '_' or '.'", out);
}

int ops_lot(batch_t *b, const pl_row_t *row, const char *col, int required, const char **out)
{
    /* AI 10's set, CSET 82 */
    return word(b, row, col, required, PL_LOT_MAX, "!\"%&'()*+,-./:;<=>?_",
                "a GS1 character (AI 10)", out);
}

int ops_text(batch_t *b, const pl_row_t *row, const char *col, size_t max, const char **out)
{
    const char *s = pl_row_get(row, col);
    *out = s;
    if (s && strlen(s) > max) {
        BAD(b, row, col, "%zu bytes, longer than %zu", strlen(s), max);
        return PL_EFORMAT;
    }
    return 0;
}

/* The item must exist (in the catalogue or earlier in this batch). */
int ops_need_item(batch_t *b, const pl_row_t *row, const char *col, const char *sku, pl_item_t *it)
{
    if (b->last_item_ok && strcmp(b->last_item.sku, sku) == 0) {
        *it = b->last_item;
        return 0;
    }
    int rc = pl_item_get(b->txn, sku, it);
    if (!rc) {
        b->last_item = *it;
        b->last_item_ok = 1;
    }
    if (rc == PL_ENOTFOUND)
        BAD(b, row, col, "unknown item %s", sku);
    else if (rc)
        BAD(b, row, col, "reading item %s: %s", sku, pl_strerror(rc));
    return rc;
}

struct zone_find {
    const char *zone;
    int found;
};

static int zone_match(const pl_store_t *st, void *arg)
{
    struct zone_find *z = arg;
    z->found |= strcmp(st->zone, z->zone) == 0;
    return 0;
}

/* A zone is known when some store belongs to it. */
int ops_zone_exists(batch_t *b, const char *zone)
{
    struct zone_find z = {zone, 0};
    return pl_store_each(b->txn, zone_match, &z) == 0 && z.found;
}

/* Optional instant column; absent → dflt. */
int ops_when(batch_t *b, const pl_row_t *row, const char *col, int64_t dflt, int64_t *out)
{
    const char *s = pl_row_get(row, col);
    *out = dflt;
    return s ? pl_parse_time(row, col, s, b->utc_offset, out, b->d) : 0;
}

/* A barcode column as a catalogue key (GTIN-14). An in-store code is
 * refused unless `in_store_ok` (removing one that an older version let in). */
int ops_barcode_key(batch_t *b, const pl_row_t *row, char *key, int in_store_ok)
{
    const char *s = pl_row_get(row, "barcode");
    if (!s) {
        BAD(b, row, "barcode", "missing: this op needs a barcode");
        return PL_EFORMAT;
    }
    pl_barcode_cfg_t cfg;
    pl_code_t c;
    pl_barcode_cfg_default(&cfg);
    cfg.nformats = 0; /* a catalogue barcode is a GTIN; scale items use plu */
    if (pl_barcode_normalize(&cfg, s, strlen(s), &c) != 0) {
        BAD(b, row, "barcode", "\"%s\": %s", s, c.error);
        return PL_EFORMAT;
    }
    if (c.kind != PL_CODE_GTIN) {
        BAD(b, row, "barcode", "\"%s\" is not a GTIN (EAN-13/8, UPC-A/E, GTIN-14, ISBN)", s);
        return PL_EFORMAT;
    }
    if (c.in_store && !in_store_ok) {
        BAD(b, row, "barcode",
            "\"%s\" is an in-store code (prefix 02, 20-29), not a GTIN: lanes decode it as a "
            "scale label; give the item a plu instead",
            s);
        return PL_EFORMAT;
    }
    pl_barcode_key(&c, key, PL_BARCODE_KEY_MAX + 1);
    return 0;
}

/* scope column: "all", "zone:A|B", "store:S1|S2". */
int ops_promo_scope(batch_t *b, const pl_row_t *row, pl_promo_t *pr)
{
    const char *s = pl_row_get(row, "scope");
    pr->scope_kind = PL_SCOPE_ALL;
    pr->nscope = 0;
    if (!s || !strcmp(s, "all"))
        return 0;
    const char *list;
    if (!strncmp(s, "zone:", 5))
        pr->scope_kind = PL_SCOPE_ZONES, list = s + 5;
    else if (!strncmp(s, "store:", 6))
        pr->scope_kind = PL_SCOPE_STORES, list = s + 6;
    else {
        BAD(b, row, "scope", "\"%s\": expected all, zone:A|B or store:S1|S2", s);
        return PL_EFORMAT;
    }
    char buf[PL_ROWS_FIELD_MAX + 1], *save = NULL;
    pl_str_copy(buf, sizeof(buf), list);
    for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        pl_store_t st;
        if (pr->nscope == PL_PROMO_SCOPE_MAX) {
            BAD(b, row, "scope", "more than %d zones or stores", PL_PROMO_SCOPE_MAX);
            return PL_EFORMAT;
        }
        if (strlen(t) > PL_SCOPE_MAX) {
            BAD(b, row, "scope", "\"%s\" is longer than %d bytes", t, PL_SCOPE_MAX);
            return PL_EFORMAT;
        }
        if (pr->scope_kind == PL_SCOPE_STORES ? pl_store_get(b->txn, t, &st) != 0
                                              : !ops_zone_exists(b, t)) {
            BAD(b, row, "scope", "unknown %s %s",
                pr->scope_kind == PL_SCOPE_STORES ? "store" : "zone", t);
            return PL_EFORMAT;
        }
        pl_str_copy(pr->scope[pr->nscope++], PL_SCOPE_MAX + 1, t);
    }
    if (!pr->nscope) {
        BAD(b, row, "scope", "\"%s\" names no zone or store", s);
        return PL_EFORMAT;
    }
    return 0;
}
