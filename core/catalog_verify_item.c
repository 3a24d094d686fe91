/* Catalogue invariants: items, their barcodes (barcodes: code → item) and
 * each item's list of them (itemcodes: item → codes), both directions. */
#include <stdio.h>
#include <string.h>

#include "catalog_verify_int.h"
#include "pricelane/barcode.h"
#include "pricelane/err.h"

/* ---- items and barcodes ------------------------------------------------------ */

static int check_item(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], key[PL_BARCODE_KEY_MAX + 2], owner[PL_ITEM_CODE_MAX + 1];
    pl_item_t it;
    (void)val;
    if (!verify_key_id(v, k, sku, PL_ITEM_CODE_MAX, "item", "a SKU"))
        return 0;
    int rc = verify_decoded(v, pl_item_get(v->t, sku, &it), "item", sku);
    if (rc <= 0)
        return rc;
    if (it.pack_qty < 1)
        verify_report(v, "item %s: pack quantity 0", sku);
    if (it.plu[0]) {
        snprintf(key, sizeof(key), "P%s", it.plu);
        rc = pl_cat_barcode_get(v->t, key, owner);
        if (rc == PL_ENOTFOUND)
            verify_report(v, "item %s: its scale code %s is not in barcodes", sku, it.plu);
        else if (!rc && strcmp(owner, sku) != 0)
            verify_report(v, "item %s: its scale code %s belongs to item %s", sku, it.plu, owner);
        else if (rc && rc != PL_ECORRUPT)
            return rc;
    }
    return 0;
}

static int barcode_key_ok(const char *key)
{
    size_t n = strlen(key);
    if (key[0] == 'P')
        return n >= 2 && n <= 1 + PL_PLU_MAX && strspn(key + 1, "0123456789") == n - 1;
    return n == 14 && strspn(key, "0123456789") == 14 &&
           pl_barcode_check_digit(key, 13) == key[13] - '0';
}

static int check_barcode(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char key[PL_BARCODE_KEY_MAX + 1], sku[PL_ITEM_CODE_MAX + 1], sh[256];
    pl_item_t it;
    if (!verify_key_str(k, key, PL_BARCODE_KEY_MAX) || !barcode_key_ok(key)) {
        verify_report(v,
                      "key \"%s\" is neither a GTIN-14 with a valid check digit nor P+scale code",
                      verify_show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    if (!verify_key_str(val, sku, PL_ITEM_CODE_MAX)) {
        verify_report(v, "barcode %s: value \"%s\" is not a SKU", key,
                      verify_show(val->mv_data, val->mv_size, sh, sizeof(sh)));
        return 0;
    }
    if (key[0] != 'P') {
        pl_barcode_cfg_t cfg;
        pl_code_t c;
        pl_barcode_cfg_default(&cfg);
        cfg.nformats = 0;
        /* An EAN-8 is stored as 000000 + 8 digits: read back as scanned. */
        int ean8 = strncmp(key, "000000", 6) == 0;
        if (pl_barcode_normalize(&cfg, ean8 ? key + 6 : key, ean8 ? 8 : 14, &c) == 0 && c.in_store)
            verify_report(
                v,
                "barcode %s of item %s is an in-store code (prefix 02, 20-29): lanes decode "
                "it as a scale label, never as this barcode; remove it (barcode_remove) and "
                "give the item a plu",
                key, sku);
    }
    char what[128];
    snprintf(what, sizeof(what), "barcode %s", key);
    int rc = verify_need_item(v, sku, &it, what);
    if (rc < 0)
        return rc;
    rc = verify_has_pair(v, DB_ITEMCODES, sku, strlen(sku), key, strlen(key));
    if (rc == 0)
        verify_report(
            v, "barcode %s points at item %s, but the item's barcode list (itemcodes) lacks it",
            key, sku);
    return rc < 0 ? rc : 0;
}

static int check_itemcode(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char key[PL_BARCODE_KEY_MAX + 1], sku[PL_ITEM_CODE_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
    pl_item_t it;
    if (!verify_index_entry(v, k, val, sku, key, PL_BARCODE_KEY_MAX, "barcode"))
        return 0;
    int rc = pl_cat_barcode_get(v->t, key, owner);
    if (rc == PL_ENOTFOUND)
        verify_report(v, "item %s lists barcode %s, which is on no item in barcodes", sku, key);
    else if (!rc && strcmp(owner, sku) != 0)
        verify_report(
            v,
            "barcode %s is listed under items %s and %s (barcodes says %s): a barcode on two items",
            key, sku, owner, owner);
    else if (rc && rc != PL_ECORRUPT)
        return rc;
    char what[128];
    snprintf(what, sizeof(what), "itemcodes entry %s → %s", sku, key);
    rc = verify_need_item(v, sku, &it, what);
    return rc < 0 ? rc : 0;
}

int verify_items(verify_t *v)
{
    int rc = verify_walk(v, DB_ITEMS, "items", check_item);
    if (!rc)
        rc = verify_walk(v, DB_BARCODES, "barcodes", check_barcode);
    if (!rc)
        rc = verify_walk(v, DB_ITEMCODES, "itemcodes", check_itemcode);
    return rc;
}
