/* One row = one operation. Each op validates its fields against the catalogue
 * as it stands inside the batch's transaction (so a row may use an item that
 * an earlier row of the same batch created), reports every problem with file,
 * line and column, and writes nothing for a bad row. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pricelane/barcode.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/str.h"

const char *const batch_columns[] = {
    "op",      "batch",  "sku",     "barcode",  "name",   "unit",   "pack_qty", "dept",
    "flags",   "plu",    "content", "price",    "zone",   "store",  "start",    "end",
    "promo",   "kind",   "pct_off", "priority", "member", "scope",  "items",    "text",
    "formats", "recall", "lot",     "lot_to",   "days",   "reason",
};
const int batch_ncolumns = (int)(sizeof(batch_columns) / sizeof(batch_columns[0]));

#define BAD(b, row, col, ...) pl_diag((b)->d, (row)->file, (row)->line, (col), __VA_ARGS__)

void batch_touch(batch_t *b, const char *sku, int text_changed)
{
    if (b->naff == b->capaff) {
        size_t cap = b->capaff ? b->capaff * 2 : 256;
        struct affected *n = realloc(b->aff, cap * sizeof(*n));
        if (!n) {
            b->aff_lost = 1; /* labels_reconcile fails the batch: no label work is skipped */
            return;
        }
        b->aff = n;
        b->capaff = cap;
    }
    struct affected *a = &b->aff[b->naff++];
    pl_str_copy(a->sku, sizeof(a->sku), sku);
    a->text_changed = (uint8_t)text_changed;
}

/* ---- field checks --------------------------------------------------------- */

/* An identifier (SKU, store, zone, promo id): 1..max bytes of [A-Za-z0-9-_.]. */
static int ident(batch_t *b, const pl_row_t *row, const char *col, int required, size_t max,
                 const char **out)
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
        BAD(b, row, col, "\"%.40s...\" is %zu bytes, longer than %zu", s, n, max);
        return PL_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.') {
            BAD(b, row, col, "\"%s\": only letters, digits, '-', '_' and '.' are allowed", s);
            return PL_EFORMAT;
        }
    }
    return 0;
}

static int text(batch_t *b, const pl_row_t *row, const char *col, size_t max, const char **out)
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
static int need_item(batch_t *b, const pl_row_t *row, const char *col, const char *sku,
                     pl_item_t *it)
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
static int zone_exists(batch_t *b, const char *zone)
{
    struct zone_find z = {zone, 0};
    return pl_store_each(b->txn, zone_match, &z) == 0 && z.found;
}

/* zone or store (at most one) for price rows; level and scope out. */
static int price_scope(batch_t *b, const pl_row_t *row, uint8_t *level, char *scope)
{
    const char *zone, *store;
    if (ident(b, row, "zone", 0, PL_SCOPE_MAX, &zone) || ident(b, row, "store", 0, PL_SCOPE_MAX, &store))
        return PL_EFORMAT;
    if (zone && store) {
        BAD(b, row, "store", "give a zone or a store, not both");
        return PL_EFORMAT;
    }
    pl_store_t st;
    if (store && pl_store_get(b->txn, store, &st) != 0) {
        BAD(b, row, "store", "unknown store %s", store);
        return PL_EFORMAT;
    }
    if (zone && !zone_exists(b, zone)) {
        BAD(b, row, "zone", "unknown zone %s (no store belongs to it)", zone);
        return PL_EFORMAT;
    }
    *level = store ? PL_LEVEL_STORE : zone ? PL_LEVEL_ZONE : PL_LEVEL_BASE;
    pl_str_copy(scope, PL_SCOPE_MAX + 1, store ? store : zone ? zone : "");
    return 0;
}

/* Optional instant column; absent → dflt. */
static int when(batch_t *b, const pl_row_t *row, const char *col, int64_t dflt, int64_t *out)
{
    const char *s = pl_row_get(row, col);
    *out = dflt;
    return s ? pl_parse_time(row, col, s, b->utc_offset, out, b->d) : 0;
}

/* Net content "500g", "1.8l", "250ml", "2kg" → amount in g or ml. */
static int content(batch_t *b, const pl_row_t *row, pl_item_t *it)
{
    const char *s = pl_row_get(row, "content");
    if (!s)
        return 0;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mul = 0;
    const char *unit = "";
    if (!strcmp(end, "g"))
        mul = 1, unit = "g";
    else if (!strcmp(end, "kg"))
        mul = 1000, unit = "g";
    else if (!strcmp(end, "ml"))
        mul = 1, unit = "ml";
    else if (!strcmp(end, "l") || !strcmp(end, "L"))
        mul = 1000, unit = "ml";
    if (end == s || errno || mul == 0 || !(v > 0) || v * mul > 1e9) {
        BAD(b, row, "content", "\"%s\": expected an amount with g, kg, ml or l, e.g. 500g", s);
        return PL_EFORMAT;
    }
    it->content = (uint32_t)(v * mul + 0.5);
    pl_str_copy(it->content_unit, sizeof(it->content_unit), unit);
    return 0;
}

static int item_flags(batch_t *b, const pl_row_t *row, uint32_t *flags)
{
    const char *s = pl_row_get(row, "flags");
    if (!s)
        return 0;
    char buf[PL_ROWS_FIELD_MAX + 1], *save = NULL;
    pl_str_copy(buf, sizeof(buf), s);
    uint32_t f = *flags & PL_ITEM_DISCONTINUED;
    for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        if (!strcmp(t, "weighed"))
            f |= PL_ITEM_WEIGHED;
        else if (!strcmp(t, "age"))
            f |= PL_ITEM_AGE_RESTRICTED;
        else if (!strcmp(t, "counted"))
            f |= PL_ITEM_COUNTED;
        else {
            BAD(b, row, "flags", "unknown flag \"%s\" (known: weighed, age, counted)", t);
            return PL_EFORMAT;
        }
    }
    *flags = f;
    return 0;
}

/* ---- operations ------------------------------------------------------------ */

static int op_store(batch_t *b, const pl_row_t *row)
{
    const char *id, *zone, *name, *formats;
    int bad = ident(b, row, "store", 1, PL_SCOPE_MAX, &id);
    bad |= ident(b, row, "zone", 0, PL_SCOPE_MAX, &zone);
    bad |= text(b, row, "name", PL_NAME_MAX, &name);
    bad |= text(b, row, "formats", 127, &formats);
    if (formats) {
        pl_barcode_cfg_t cfg;
        char err[128];
        pl_barcode_cfg_default(&cfg);
        if (pl_barcode_cfg_formats(&cfg, formats, err, sizeof(err)) != 0) {
            BAD(b, row, "formats", "%s", err);
            bad = 1;
        }
    }
    if (bad)
        return PL_EFORMAT;
    pl_store_t st = {0};
    pl_str_copy(st.id, sizeof(st.id), id);
    pl_str_copy(st.zone, sizeof(st.zone), zone ? zone : "");
    pl_str_copy(st.name, sizeof(st.name), name ? name : "");
    pl_str_copy(st.formats, sizeof(st.formats), formats ? formats : "");
    return pl_store_put(b->txn, &st);
}

static int put_price(batch_t *b, const char *sku, uint8_t level, const char *scope, int64_t start,
                     int64_t price)
{
    pl_price_t p = {0};
    pl_str_copy(p.sku, sizeof(p.sku), sku);
    p.level = level;
    pl_str_copy(p.scope, sizeof(p.scope), scope);
    p.start = start;
    p.price = price;
    p.scheduled = start > b->now;
    p.recorded_at = b->now;
    pl_str_copy(p.batch, sizeof(p.batch), b->id);
    return pl_price_put(b->txn, &p);
}

static int op_item(batch_t *b, const pl_row_t *row)
{
    const char *sku, *name, *unit, *dept, *plu, *price_s;
    int bad = ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku);
    bad |= text(b, row, "name", PL_NAME_MAX, &name);
    bad |= text(b, row, "unit", PL_UNIT_MAX, &unit);
    bad |= text(b, row, "dept", PL_DEPT_MAX, &dept);
    plu = pl_row_get(row, "plu");
    price_s = pl_row_get(row, "price");
    if (bad)
        return PL_EFORMAT;

    if (b->import) {
        /* A catalogue file defines each item once; a second row is a mistake
         * in the file (two products given one SKU), not an update. */
        long first = skuset_add(&b->items_defined, sku, (uint32_t)row->line);
        if (first < 0)
            return (int)first;
        if (first > 0) {
            BAD(b, row, "sku", "duplicate item %s: already defined on line %ld", sku, first);
            return PL_EFORMAT;
        }
    }
    pl_item_t old, it;
    /* In a fresh import the SKU set above already proves the item is new. */
    int exists = !(b->import && b->fresh) && pl_item_get(b->txn, sku, &old) == 0;
    if (exists) {
        it = old;
    } else {
        memset(&it, 0, sizeof(it));
        pl_str_copy(it.sku, sizeof(it.sku), sku);
        it.pack_qty = 1;
        if (!name) {
            BAD(b, row, "name", "missing: a new item needs a name");
            bad = 1;
        }
    }
    if (name)
        pl_str_copy(it.name, sizeof(it.name), name);
    if (dept)
        pl_str_copy(it.dept, sizeof(it.dept), dept);
    bad |= item_flags(b, row, &it.flags) != 0;
    bad |= content(b, row, &it) != 0;
    const char *pq = pl_row_get(row, "pack_qty");
    uint64_t v;
    if (pq) {
        if (pl_parse_uint(row, "pack_qty", pq, 1, 100000, &v, b->d))
            bad = 1;
        else
            it.pack_qty = (uint32_t)v;
    }
    if (unit)
        pl_str_copy(it.unit, sizeof(it.unit), unit);
    else if (!it.unit[0])
        pl_str_copy(it.unit, sizeof(it.unit), it.flags & PL_ITEM_WEIGHED ? "kg" : "each");
    if (plu) {
        size_t n = strlen(plu);
        if (n == 0 || n > PL_PLU_MAX || strspn(plu, "0123456789") != n) {
            BAD(b, row, "plu", "\"%s\": a scale item code is 1 to %d digits", plu, PL_PLU_MAX);
            bad = 1;
        }
    }
    int64_t price = 0;
    if (price_s && pl_parse_money(row, "price", price_s, &price, b->d))
        bad = 1;
    if (bad)
        return PL_EFORMAT;

    if (plu && strcmp(plu, it.plu) != 0) {
        char key[PL_PLU_MAX + 2], other[PL_ITEM_CODE_MAX + 1];
        snprintf(key, sizeof(key), "P%s", plu);
        int rc = pl_cat_barcode_add(b->txn, key, sku, other);
        if (rc == PL_ECONFLICT) {
            BAD(b, row, "plu", "scale code %s already belongs to item %s", plu, other);
            return PL_EFORMAT;
        }
        if (rc)
            return rc;
        if (it.plu[0]) {
            snprintf(key, sizeof(key), "P%s", it.plu);
            rc = pl_cat_barcode_del(b->txn, key, sku);
            if (rc && rc != PL_ENOTFOUND)
                return rc;
        }
        pl_str_copy(it.plu, sizeof(it.plu), plu);
    }
    int rc = pl_item_put(b->txn, &it);
    b->last_item = it;
    b->last_item_ok = rc == 0;
    if (!rc && price_s)
        rc = put_price(b, sku, PL_LEVEL_BASE, "", b->now, price);
    int text = !exists ? 0
               : (strcmp(old.name, it.name) != 0 ? TEXT_NAME : 0) |
                     (old.pack_qty != it.pack_qty ? TEXT_PACK : 0);
    batch_touch(b, sku, text);
    return rc;
}

static int op_discontinue(batch_t *b, const pl_row_t *row)
{
    const char *sku;
    pl_item_t it;
    if (ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku) || need_item(b, row, "sku", sku, &it))
        return PL_EFORMAT;
    if (it.flags & PL_ITEM_DISCONTINUED)
        return 0;
    it.flags |= PL_ITEM_DISCONTINUED;
    batch_touch(b, sku, 0); /* its pending label jobs are withdrawn */
    b->last_item_ok = 0;
    return pl_item_put(b->txn, &it);
}

/* A barcode column as a catalogue key (GTIN-14). An in-store code is
 * refused unless `in_store_ok` (removing one that an older version let in). */
static int barcode_key(batch_t *b, const pl_row_t *row, char *key, int in_store_ok)
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

static int op_barcode(batch_t *b, const pl_row_t *row)
{
    const char *sku;
    char key[PL_BARCODE_KEY_MAX + 1], other[PL_ITEM_CODE_MAX + 1];
    pl_item_t it;
    int bad = ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku);
    bad |= barcode_key(b, row, key, 0);
    if (bad || need_item(b, row, "sku", sku, &it))
        return PL_EFORMAT;
    int rc = pl_cat_barcode_add(b->txn, key, sku, other);
    if (rc == PL_ECONFLICT) {
        BAD(b, row, "barcode", "%s already belongs to item %s (use barcode_move)", key, other);
        return PL_EFORMAT;
    }
    return rc;
}

static int op_barcode_remove(batch_t *b, const pl_row_t *row)
{
    const char *sku;
    char key[PL_BARCODE_KEY_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
    int bad = ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku);
    bad |= barcode_key(b, row, key, 1);
    if (bad)
        return PL_EFORMAT;
    int rc = pl_cat_barcode_get(b->txn, key, owner);
    if (rc == PL_ENOTFOUND || (!rc && strcmp(owner, sku) != 0)) {
        if (rc)
            BAD(b, row, "barcode", "%s is on no item", key);
        else
            BAD(b, row, "barcode", "%s belongs to item %s, not %s", key, owner, sku);
        return PL_EFORMAT;
    }
    return rc ? rc : pl_cat_barcode_del(b->txn, key, sku);
}

static int op_barcode_move(batch_t *b, const pl_row_t *row)
{
    const char *sku;
    char key[PL_BARCODE_KEY_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
    pl_item_t it;
    int bad = ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku);
    bad |= barcode_key(b, row, key, 0);
    if (bad || need_item(b, row, "sku", sku, &it))
        return PL_EFORMAT;
    int rc = pl_cat_barcode_get(b->txn, key, owner);
    if (rc == PL_ENOTFOUND) {
        BAD(b, row, "barcode", "%s is on no item: use op barcode to add it", key);
        return PL_EFORMAT;
    }
    if (!rc && strcmp(owner, sku) != 0)
        rc = pl_cat_barcode_del(b->txn, key, owner);
    return rc ? rc : pl_cat_barcode_add(b->txn, key, sku, NULL);
}

static int op_price(batch_t *b, const pl_row_t *row)
{
    const char *sku, *ps = pl_row_get(row, "price");
    pl_item_t it;
    uint8_t level = 0;
    char scope[PL_SCOPE_MAX + 1] = "";
    int64_t price = 0, start = b->now;
    int bad = ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku) != 0;
    bad |= price_scope(b, row, &level, scope) != 0;
    bad |= when(b, row, "start", b->now, &start) != 0;
    if (!ps) {
        BAD(b, row, "price", "missing: this op needs a price (or - to withdraw an override)");
        bad = 1;
    } else if (!strcmp(ps, "-")) {
        price = PL_PRICE_REMOVED;
        if (!bad && level == PL_LEVEL_BASE) {
            BAD(b, row, "price", "\"-\" withdraws a zone or store price; give a zone or store");
            bad = 1;
        }
    } else if (pl_parse_money(row, "price", ps, &price, b->d)) {
        bad = 1;
    }
    if (!bad && !b->import && start < b->now) {
        BAD(b, row, "start", "in the past: a price takes effect now or later");
        bad = 1;
    }
    if (bad || need_item(b, row, "sku", sku, &it))
        return PL_EFORMAT;
    if (b->only_store && level == PL_LEVEL_STORE && strcmp(scope, b->only_store) != 0) {
        b->skipped++; /* checked like every row; another store's price */
        return 0;
    }
    batch_touch(b, sku, 0);
    return put_price(b, sku, level, scope, start, price);
}

/* scope column: "all", "zone:A|B", "store:S1|S2". */
static int promo_scope(batch_t *b, const pl_row_t *row, pl_promo_t *pr)
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
                                              : !zone_exists(b, t)) {
            BAD(b, row, "scope", "unknown %s %s", pr->scope_kind == PL_SCOPE_STORES ? "store" : "zone", t);
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

/* Touches every item of an existing promotion (its labels change too). */
static int touch_one(const char *sku, void *arg)
{
    batch_touch(arg, sku, 0);
    return 0;
}

static int op_promo(batch_t *b, const pl_row_t *row)
{
    const char *id, *kind = pl_row_get(row, "kind"), *items = pl_row_get(row, "items");
    const char *price_s = pl_row_get(row, "price"), *pct_s = pl_row_get(row, "pct_off");
    const char *text_s, *prio_s = pl_row_get(row, "priority"), *mem_s = pl_row_get(row, "member");
    pl_promo_t pr;
    memset(&pr, 0, sizeof(pr));
    int bad = ident(b, row, "promo", 1, PL_PROMO_ID_MAX, &id) != 0;
    bad |= text(b, row, "text", PL_PROMO_TEXT_MAX, &text_s) != 0;
    if (!kind || !(pr.kind = (uint8_t)pl_promo_kind_parse(kind))) {
        BAD(b, row, "kind", "%s%s%s: expected special, flyer, markdown, member or clearance",
            kind ? "\"" : "missing", kind ? kind : "", kind ? "\"" : "");
        bad = 1;
    }
    pr.price = PL_PRICE_NONE;
    if (!!price_s == !!pct_s) {
        BAD(b, row, "price", "give either a price or a pct_off");
        bad = 1;
    } else if (price_s && pl_parse_money(row, "price", price_s, &pr.price, b->d)) {
        bad = 1;
    } else if (pct_s) {
        int64_t bp;
        /* pct_off 12.5 → 1250 basis points: the money parser reads two decimals */
        if (pl_parse_money(row, "pct_off", pct_s, &bp, b->d))
            bad = 1;
        else if (bp <= 0 || bp >= 10000) {
            BAD(b, row, "pct_off", "\"%s\": percent off must be above 0 and below 100", pct_s);
            bad = 1;
        } else
            pr.pct_off_bp = (int32_t)bp;
    }
    const char *st = pl_row_get(row, "start"), *en = pl_row_get(row, "end");
    if (!st || !en) {
        BAD(b, row, st ? "end" : "start", "missing: a promotion needs a start and an end");
        bad = 1;
    } else {
        bad |= pl_parse_time(row, "start", st, b->utc_offset, &pr.start, b->d) != 0;
        bad |= pl_parse_time(row, "end", en, b->utc_offset, &pr.end, b->d) != 0;
        if (!bad && pr.end <= pr.start) {
            BAD(b, row, "end", "the window ends (%s) before it starts (%s)", en, st);
            bad = 1;
        }
    }
    uint64_t prio = 0;
    if (prio_s && pl_parse_uint(row, "priority", prio_s, 0, 1000000, &prio, b->d))
        bad = 1;
    int member = 0;
    if (mem_s && pl_parse_bool(row, "member", mem_s, &member, b->d))
        bad = 1;
    bad |= promo_scope(b, row, &pr) != 0;
    if (!items) {
        BAD(b, row, "items", "missing: a promotion needs items (SKU|SKU...)");
        bad = 1;
    }
    if (bad)
        return PL_EFORMAT;

    /* Item list: every SKU must exist. */
    size_t cap = 1 + strlen(items) / 2, n = 0;
    char *buf = strdup(items), *save = NULL;
    const char **skus = calloc(cap, sizeof(*skus));
    if (!buf || !skus) {
        free(buf);
        free(skus);
        return -ENOMEM;
    }
    for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        pl_item_t it;
        if (pl_item_get(b->txn, t, &it) != 0) {
            BAD(b, row, "items", "unknown item %s", t);
            bad = 1;
        } else if (n < cap)
            skus[n++] = t;
    }
    int rc = 0;
    if (!n && !bad) {
        BAD(b, row, "items", "names no item");
        bad = 1;
    }
    if (!bad) {
        pl_str_copy(pr.id, sizeof(pr.id), id);
        pr.member_only = (uint8_t)(member || pr.kind == PL_PROMO_MEMBER);
        pr.priority = (int32_t)prio;
        pl_str_copy(pr.text, sizeof(pr.text), text_s ? text_s : "");
        pr.cancelled_at = PL_TIME_NONE;
        pl_str_copy(pr.batch, sizeof(pr.batch), b->id);
        rc = pl_promo_items(b->txn, id, touch_one, b);
        if (rc == PL_ENOTFOUND)
            rc = 0;
        if (!rc)
            rc = pl_promo_put(b->txn, &pr, skus, n);
        for (size_t i = 0; i < n; i++)
            batch_touch(b, skus[i], 0);
    }
    free(skus);
    free(buf);
    return bad ? PL_EFORMAT : rc;
}

struct item_list {
    char (*skus)[PL_ITEM_CODE_MAX + 1];
    size_t n, cap;
};

static int collect_item(const char *sku, void *arg)
{
    struct item_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *n = realloc(l->skus, cap * sizeof(*l->skus));
        if (!n)
            return -ENOMEM;
        l->skus = n;
        l->cap = cap;
    }
    pl_str_copy(l->skus[l->n++], PL_ITEM_CODE_MAX + 1, sku);
    return 0;
}

static int op_promo_cancel(batch_t *b, const pl_row_t *row)
{
    const char *id;
    pl_promo_t pr;
    if (ident(b, row, "promo", 1, PL_PROMO_ID_MAX, &id))
        return PL_EFORMAT;
    if (pl_promo_get(b->txn, id, &pr) != 0) {
        BAD(b, row, "promo", "unknown promotion %s", id);
        return PL_EFORMAT;
    }
    if (pr.cancelled_at != PL_TIME_NONE)
        return 0; /* already cancelled: nothing changes */
    /* Rewrite with the same items and the cancel instant. */
    struct item_list list = {0};
    int rc = pl_promo_items(b->txn, id, collect_item, &list);
    pr.cancelled_at = b->now;
    if (!rc) {
        const char **skus = calloc(list.n + 1, sizeof(*skus));
        if (!skus)
            rc = -ENOMEM;
        for (size_t i = 0; !rc && i < list.n; i++) {
            skus[i] = list.skus[i];
            batch_touch(b, list.skus[i], 0);
        }
        if (!rc)
            rc = pl_promo_put(b->txn, &pr, skus, list.n);
        free(skus);
    }
    free(list.skus);
    return rc;
}

/* ---- recalls --------------------------------------------------------------- */

/* A lot: 1..PL_LOT_MAX GS1 characters (AI 10's set, CSET 82). */
static int lot(batch_t *b, const pl_row_t *row, const char *col, int required, const char **out)
{
    const char *s = pl_row_get(row, col);
    *out = s;
    if (!s) {
        if (required)
            BAD(b, row, col, "missing: this op needs a %s", col);
        return required ? PL_EFORMAT : 0;
    }
    size_t n = strlen(s);
    if (n > PL_LOT_MAX) {
        BAD(b, row, col, "\"%.40s\" is %zu characters, a lot has at most %d", s, n, PL_LOT_MAX);
        return PL_EFORMAT;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && !strchr("!\"%&'()*+,-./:;<=>?_", c)) {
            BAD(b, row, col, "\"%s\": byte %zu is not a GS1 character (AI 10)", s, i + 1);
            return PL_EFORMAT;
        }
    }
    return 0;
}

static int op_recall(batch_t *b, const pl_row_t *row)
{
    const char *id, *sku = pl_row_get(row, "sku"), *from, *to, *text_s;
    const char *bc = pl_row_get(row, "barcode");
    pl_recall_t r;
    pl_item_t it;
    memset(&r, 0, sizeof(r));
    int bad = ident(b, row, "recall", 1, PL_RECALL_ID_MAX, &id) != 0;
    bad |= lot(b, row, "lot", 1, &from) != 0;
    bad |= lot(b, row, "lot_to", 0, &to) != 0;
    bad |= text(b, row, "text", PL_RECALL_TEXT_MAX, &text_s) != 0;
    if (!bad && !text_s) {
        BAD(b, row, "text", "missing: a recall needs the text the cashier sees");
        bad = 1;
    }
    if (!bad && to && (strlen(to) != strlen(from) || strcmp(to, from) < 0)) {
        BAD(b, row, "lot_to",
            "\"%s\": a lot range ends at a lot of the same length as \"%s\", "
            "not before it",
            to, from);
        bad = 1;
    }
    bad |= when(b, row, "start", b->now, &r.start) != 0;
    bad |= when(b, row, "end", PL_TIME_NONE, &r.end) != 0;
    if (!bad && r.end != PL_TIME_NONE && r.end <= r.start) {
        BAD(b, row, "end", "the recall ends before it starts");
        bad = 1;
    }
    if (!sku == !bc) {
        BAD(b, row, sku ? "barcode" : "sku", "give either a sku or a barcode");
        return PL_EFORMAT;
    }
    if (bc) {
        char key[PL_BARCODE_KEY_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
        if (bad || barcode_key(b, row, key, 1))
            return PL_EFORMAT;
        int rc = pl_cat_barcode_get(b->txn, key, owner);
        if (rc == PL_ENOTFOUND) {
            BAD(b, row, "barcode", "%s is on no item", key);
            return PL_EFORMAT;
        }
        if (rc)
            return rc;
        pl_str_copy(r.gtin, sizeof(r.gtin), key);
        pl_str_copy(r.sku, sizeof(r.sku), owner);
    } else {
        if (ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku) || bad ||
            need_item(b, row, "sku", sku, &it))
            return PL_EFORMAT;
        pl_str_copy(r.sku, sizeof(r.sku), sku);
    }
    if (bad)
        return PL_EFORMAT;
    pl_recall_t old;
    int rc = pl_recall_get(b->txn, id, &old);
    if (!rc && strcmp(old.sku, r.sku) != 0) {
        BAD(b, row, "recall", "recall %s is of item %s, not %s", id, old.sku, r.sku);
        return PL_EFORMAT;
    }
    if (rc && rc != PL_ENOTFOUND)
        return rc;
    pl_str_copy(r.id, sizeof(r.id), id);
    pl_str_copy(r.lot_from, sizeof(r.lot_from), from);
    pl_str_copy(r.lot_to, sizeof(r.lot_to), to ? to : "");
    pl_str_copy(r.text, sizeof(r.text), text_s);
    pl_str_copy(r.batch, sizeof(r.batch), b->id);
    return pl_recall_put(b->txn, &r);
}

static int op_recall_lift(batch_t *b, const pl_row_t *row)
{
    const char *id;
    pl_recall_t r;
    if (ident(b, row, "recall", 1, PL_RECALL_ID_MAX, &id))
        return PL_EFORMAT;
    int rc = pl_recall_get(b->txn, id, &r);
    if (rc == PL_ENOTFOUND) {
        BAD(b, row, "recall", "unknown recall %s", id);
        return PL_EFORMAT;
    }
    if (rc)
        return rc;
    if (r.end != PL_TIME_NONE && r.end <= b->now)
        return 0; /* already over: nothing changes */
    if (b->now <= r.start)
        r.start = b->now; /* lifted before it began: an empty window */
    r.end = b->now;
    pl_str_copy(r.batch, sizeof(r.batch), b->id);
    return pl_recall_put(b->txn, &r);
}

/* ---- expiry markdowns ------------------------------------------------------- */

/* What every rule of the table has: id (promo), dept, then the kind's
 * own columns (own), then priority, start, end, scope, items (the order
 * problems are listed in). Returns nonzero when a column is wrong
 * (reported). */
static int xmd_rule(batch_t *b, const pl_row_t *row, pl_xmd_t *x,
                    int (*own)(batch_t *b, const pl_row_t *row, pl_xmd_t *x))
{
    const char *id, *dept, *items = pl_row_get(row, "items");
    const char *prio_s = pl_row_get(row, "priority");
    pl_promo_t scope;
    int bad = ident(b, row, "promo", 1, PL_PROMO_ID_MAX, &id) != 0;
    bad |= text(b, row, "dept", PL_DEPT_MAX, &dept) != 0;
    bad |= own(b, row, x) != 0;
    uint64_t u = 0;
    if (prio_s && pl_parse_uint(row, "priority", prio_s, 0, 1000000, &u, b->d))
        bad = 1;
    x->priority = (int32_t)u;
    bad |= when(b, row, "start", b->now, &x->start) != 0;
    bad |= when(b, row, "end", PL_TIME_NONE, &x->end) != 0;
    if (!bad && x->end != PL_TIME_NONE && x->end <= x->start) {
        BAD(b, row, "end", "the rule ends before it starts");
        bad = 1;
    }
    memset(&scope, 0, sizeof(scope));
    bad |= promo_scope(b, row, &scope) != 0;
    if (items) {
        char buf[PL_ROWS_FIELD_MAX + 1], *save = NULL;
        pl_str_copy(buf, sizeof(buf), items);
        for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
            pl_item_t it;
            if (x->nitems == PL_XMD_ITEMS_MAX) {
                BAD(b, row, "items", "more than %d items: use a dept", PL_XMD_ITEMS_MAX);
                bad = 1;
                break;
            }
            if (strlen(t) > PL_ITEM_CODE_MAX || pl_item_get(b->txn, t, &it) != 0) {
                BAD(b, row, "items", "unknown item %s", t);
                bad = 1;
                continue;
            }
            pl_str_copy(x->items[x->nitems++], PL_ITEM_CODE_MAX + 1, t);
        }
    }
    if (bad)
        return 1;
    pl_str_copy(x->id, sizeof(x->id), id);
    pl_str_copy(x->dept, sizeof(x->dept), dept ? dept : "");
    x->scope_kind = scope.scope_kind;
    x->nscope = scope.nscope;
    memcpy(x->scope, scope.scope, sizeof(x->scope));
    pl_str_copy(x->batch, sizeof(x->batch), b->id);
    return 0;
}

static int markdown_cols(batch_t *b, const pl_row_t *row, pl_xmd_t *x)
{
    const char *days_s = pl_row_get(row, "days"), *pct_s = pl_row_get(row, "pct_off");
    int bad = 0;
    uint64_t u = 0;
    if (!days_s) {
        BAD(b, row, "days", "missing: days to the pack's date at which the markdown starts");
        bad = 1;
    } else if (pl_parse_uint(row, "days", days_s, 0, 3650, &u, b->d)) {
        bad = 1;
    }
    x->days = (int32_t)u;
    int64_t bp = 0;
    if (!pct_s) {
        BAD(b, row, "pct_off", "missing: an expiry markdown is a percent off");
        bad = 1;
    } else if (pl_parse_money(row, "pct_off", pct_s, &bp, b->d)) {
        bad = 1;
    } else if (bp <= 0 || bp >= 10000) {
        BAD(b, row, "pct_off", "\"%s\": percent off must be above 0 and below 100", pct_s);
        bad = 1;
    }
    x->pct_off_bp = (int32_t)bp;
    x->kind = PL_XMD_MARKDOWN;
    return bad;
}

static int op_expiry_markdown(batch_t *b, const pl_row_t *row)
{
    pl_xmd_t x;
    memset(&x, 0, sizeof(x));
    if (xmd_rule(b, row, &x, markdown_cols))
        return PL_EFORMAT;
    return pl_xmd_put(b->txn, &x);
}

/* ---- best-before rules ------------------------------------------------------ */

static int best_before_cols(batch_t *b, const pl_row_t *row, pl_xmd_t *x)
{
    const char *kind = pl_row_get(row, "kind");
    int bad = 0;
    if (!kind) {
        BAD(b, row, "kind", "missing: block or info (does a past best-before date stop the pack)");
        bad = 1;
    } else if (!strcmp(kind, "block")) {
        x->kind = PL_XMD_BB_BLOCK;
    } else if (!strcmp(kind, "info")) {
        x->kind = PL_XMD_BB_INFO;
    } else {
        BAD(b, row, "kind", "\"%s\": a best-before rule is block or info", kind);
        bad = 1;
    }
    for (const char *const *c = (const char *const[]){"days", "pct_off", NULL}; *c; c++)
        if (pl_row_get(row, *c)) {
            BAD(b, row, *c, "a best-before rule has no %s (that is an expiry_markdown)", *c);
            bad = 1;
        }
    return bad;
}

/* Whether a past best-before date blocks the packs of some items,
 * departments or stores, instead of the server's setting. */
static int op_best_before(batch_t *b, const pl_row_t *row)
{
    pl_xmd_t x;
    memset(&x, 0, sizeof(x));
    if (xmd_rule(b, row, &x, best_before_cols))
        return PL_EFORMAT;
    return pl_xmd_put(b->txn, &x);
}

/* ---- dispatch -------------------------------------------------------------- */

static const struct op {
    const char *name;
    int (*fn)(batch_t *b, const pl_row_t *row);
} ops[] = {
    {"store", op_store},
    {"item", op_item},
    {"discontinue", op_discontinue},
    {"barcode", op_barcode},
    {"barcode_remove", op_barcode_remove},
    {"barcode_move", op_barcode_move},
    {"price", op_price},
    {"promo", op_promo},
    {"promo_cancel", op_promo_cancel},
    {"recall", op_recall},
    {"recall_lift", op_recall_lift},
    {"expiry_markdown", op_expiry_markdown},
    {"best_before", op_best_before},
};

/* The batch's reason (the reason column, "correction"...): a word of
 * lowercase letters, digits, '_' or '-', the same on every row that gives
 * one. 0, or 1 after a diagnostic (the row is bad). */
static int batch_reason(batch_t *b, const pl_row_t *row)
{
    const char *v = pl_row_get(row, "reason");
    if (!v)
        return 0;
    size_t n = strlen(v);
    if (n > PL_BATCH_REASON_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
        BAD(b, row, "reason",
            "\"%.40s\" is not a reason (a word of at most %d lowercase letters, digits, '_' or "
            "'-', as \"correction\")",
            v, PL_BATCH_REASON_MAX);
        b->bad++;
        return 1;
    }
    if (b->reason[0] && strcmp(b->reason, v) != 0) {
        BAD(b, row, "reason", "\"%s\" differs from the reason \"%s\" of earlier rows", v,
            b->reason);
        b->bad++;
        return 1;
    }
    memcpy(b->reason, v, n + 1);
    return 0;
}

int batch_row(batch_t *b, const pl_row_t *row)
{
    b->rows++;
    const char *id = pl_row_get(row, "batch");
    if (id) {
        if (strlen(id) > PL_BATCH_ID_MAX) {
            BAD(b, row, "batch", "longer than %d bytes", PL_BATCH_ID_MAX);
            b->bad++;
            return 0;
        }
        if (!b->id_from_column) {
            pl_str_copy(b->id, sizeof(b->id), id);
            b->id_from_column = 1;
        } else if (strcmp(b->id, id) != 0) {
            BAD(b, row, "batch", "\"%s\" differs from the batch id \"%s\" of earlier rows", id, b->id);
            b->bad++;
            return 0;
        }
    }
    if (batch_reason(b, row))
        return 0;
    const char *op = pl_row_get(row, "op");
    for (size_t i = 0; op && i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(op, ops[i].name) != 0)
            continue;
        int rc = ops[i].fn(b, row);
        if (rc == PL_EFORMAT) {
            b->bad++;
            return 0;
        }
        return rc;
    }
    BAD(b, row, "op", op ? "unknown operation \"%s\"" : "missing%s: every row needs an op",
        op ? op : "");
    b->bad++;
    return 0;
}
