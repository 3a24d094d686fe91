/* Batch operations on the catalogue's things: stores (store), items (item,
 * discontinue) and their barcodes (barcode, barcode_remove, barcode_move). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "pricelane/barcode.h"
#include "pricelane/err.h"
#include "pricelane/str.h"

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

int op_store(batch_t *b, const pl_row_t *row)
{
    const char *id, *zone, *name, *formats;
    int bad = ops_ident(b, row, "store", 1, PL_SCOPE_MAX, &id);
    bad |= ops_ident(b, row, "zone", 0, PL_SCOPE_MAX, &zone);
    bad |= ops_text(b, row, "name", PL_NAME_MAX, &name);
    bad |= ops_text(b, row, "formats", 127, &formats);
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

int op_item(batch_t *b, const pl_row_t *row)
{
    const char *sku, *name, *unit, *dept, *plu, *price_s;
    int bad = ops_ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku);
    bad |= ops_text(b, row, "name", PL_NAME_MAX, &name);
    bad |= ops_text(b, row, "unit", PL_UNIT_MAX, &unit);
    bad |= ops_text(b, row, "dept", PL_DEPT_MAX, &dept);
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
        rc = ops_put_price(b, sku, PL_LEVEL_BASE, "", b->now, price);
    int text = !exists ? 0
                       : (strcmp(old.name, it.name) != 0 ? TEXT_NAME : 0) |
                             (old.pack_qty != it.pack_qty ? TEXT_PACK : 0);
    batch_touch(b, sku, text);
    return rc;
}

int op_discontinue(batch_t *b, const pl_row_t *row)
{
    const char *sku;
    pl_item_t it;
    if (ops_ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku) ||
        ops_need_item(b, row, "sku", sku, &it))
        return PL_EFORMAT;
    if (it.flags & PL_ITEM_DISCONTINUED)
        return 0;
    it.flags |= PL_ITEM_DISCONTINUED;
    batch_touch(b, sku, 0); /* its pending label jobs are withdrawn */
    b->last_item_ok = 0;
    return pl_item_put(b->txn, &it);
}

/* The sku and barcode columns of a barcode op (key: the barcode's catalogue
 * key). Adding or moving a barcode needs the item and a GTIN; removing one
 * takes an in-store code too (one an older version let in), and an item
 * that is gone. 0, or PL_EFORMAT after reporting. */
static int sku_barcode(batch_t *b, const pl_row_t *row, int removing, const char **sku, char *key)
{
    pl_item_t it;
    int bad = ops_ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, sku);
    bad |= ops_barcode_key(b, row, key, removing);
    if (bad || (!removing && ops_need_item(b, row, "sku", *sku, &it)))
        return PL_EFORMAT;
    return 0;
}

int op_barcode(batch_t *b, const pl_row_t *row)
{
    const char *sku;
    char key[PL_BARCODE_KEY_MAX + 1], other[PL_ITEM_CODE_MAX + 1];
    if (sku_barcode(b, row, 0, &sku, key))
        return PL_EFORMAT;
    int rc = pl_cat_barcode_add(b->txn, key, sku, other);
    if (rc == PL_ECONFLICT) {
        BAD(b, row, "barcode", "%s already belongs to item %s (use barcode_move)", key, other);
        return PL_EFORMAT;
    }
    return rc;
}

int op_barcode_remove(batch_t *b, const pl_row_t *row)
{
    const char *sku;
    char key[PL_BARCODE_KEY_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
    if (sku_barcode(b, row, 1, &sku, key))
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

int op_barcode_move(batch_t *b, const pl_row_t *row)
{
    const char *sku;
    char key[PL_BARCODE_KEY_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
    if (sku_barcode(b, row, 0, &sku, key))
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
