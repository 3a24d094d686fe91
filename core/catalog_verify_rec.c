/* Item records against their rows (pricelane-load verify): while the
 * records are current (meta "recs" is the catalogue's state), every item
 * whose rows read has a record, every record is an item's, and each is
 * byte for byte the record its rows give as of the record's own instant.
 * While the barcodes' records are current too (meta "codes"), each barcode
 * of such an item has one, every one is a barcode's, names the barcode's
 * item and holds that item's record. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"
#include "pricelane/err.h"

#define BUF_MAX (64 * 1024 + 64)

struct vrec {
    pl_txn_t *t;
    void (*fn)(const char *db, const char *msg, void *arg);
    void *arg;
    uint64_t *violations;
    uint8_t *buf;
    int codes; /* the barcodes' records are current (meta "codes"): check them */
};

static void report(struct vrec *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(struct vrec *v, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (*v->violations)++;
    v->fn("itemrecs", msg, v->arg);
}

static int sku_of(const MDB_val *k, char *sku)
{
    if (k->mv_size == 0 || k->mv_size > PL_ITEM_CODE_MAX || memchr(k->mv_data, 0, k->mv_size))
        return 0;
    memcpy(sku, k->mv_data, k->mv_size);
    sku[k->mv_size] = 0;
    return 1;
}

/* p[len], the record of `what` (an item's code, or "barcode K of item
 * X"): the one item sku's rows give at its instant. */
static int check_body(struct vrec *v, const char *sku, const uint8_t *p, size_t plen,
                      const char *what)
{
    if (plen < 10) {
        report(v, "the record of %s is cut short (%zu bytes)", what, plen);
        return 0;
    }
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | p[2 + i];
    size_t len;
    int rc = cat_rec_build_buf(v->t, sku, (int64_t)u, v->buf, BUF_MAX, &len);
    if (rc == PL_ENOTFOUND) {
        report(v, "a record of %s, which does not exist", what);
        return 0;
    }
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "a record of %s, whose rows do not read (%s)", what, pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    if (len != plen || memcmp(v->buf, p, len) != 0) {
        size_t at = 0;
        while (at < len && at < plen && v->buf[at] == p[at])
            at++;
        report(v,
               "the record of %s is not what its rows give (%zu bytes, %zu expected; first "
               "difference at byte %zu)",
               what, plen, len, at);
    }
    return 0;
}

/* A barcode's record: the barcode's, naming its owner, with the owner's
 * record after the name. */
static int check_code(struct vrec *v, const MDB_val *k, const MDB_val *val)
{
    char key[PL_BARCODE_KEY_MAX + 1], sku[PL_ITEM_CODE_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
    char what[96];
    const uint8_t *p = val->mv_data;
    size_t kl = k->mv_size - 1, n = val->mv_size ? p[0] : 0;
    if (!v->codes)
        return 0; /* not current: lookups do not read them, the next batch rewrites them */
    if (kl == 0 || kl > PL_BARCODE_KEY_MAX || memchr((const char *)k->mv_data + 1, 0, kl)) {
        report(v, "a barcode's record under a key of %zu bytes that is no barcode's", kl);
        return 0;
    }
    memcpy(key, (const char *)k->mv_data + 1, kl);
    key[kl] = 0;
    if (n == 0 || n > PL_ITEM_CODE_MAX || 1 + n > val->mv_size || memchr(p + 1, 0, n)) {
        report(v, "the record of barcode %s names no item", key);
        return 0;
    }
    memcpy(sku, p + 1, n);
    sku[n] = 0;
    int rc = pl_cat_barcode_get(v->t, key, owner);
    if (rc == PL_ENOTFOUND || rc == PL_ECORRUPT) {
        report(v, "a record of barcode %s (item %s), which is no barcode of an item", key, sku);
        return 0;
    }
    if (rc)
        return rc;
    if (strcmp(owner, sku) != 0) {
        report(v, "the record of barcode %s names item %s, the barcode is item %s's", key, sku,
               owner);
        return 0;
    }
    snprintf(what, sizeof(what), "barcode %s of item %s", key, sku);
    return check_body(v, sku, p + 1 + n, val->mv_size - 1 - n, what);
}

/* A record: an item's, and the one its rows give at its instant. */
static int check_rec(const MDB_val *k, const MDB_val *val, void *arg)
{
    struct vrec *v = arg;
    char sku[PL_ITEM_CODE_MAX + 1];
    if (k->mv_size && *(const char *)k->mv_data == CAT_REC_CODE_TAG)
        return check_code(v, k, val);
    if (!sku_of(k, sku)) {
        report(v, "a record under a key of %zu bytes that is no item's", k->mv_size);
        return 0;
    }
    char what[48];
    snprintf(what, sizeof(what), "item %s", sku);
    return check_body(v, sku, val->mv_data, val->mv_size, what);
}

struct has_code {
    struct vrec *v;
    const char *sku;
};

/* A barcode of an item whose rows read: has its record. */
static int check_has_code(const char *key, void *arg)
{
    struct has_code *h = arg;
    char k[1 + PL_BARCODE_KEY_MAX];
    size_t kl = strlen(key);
    MDB_val r;
    k[0] = CAT_REC_CODE_TAG;
    memcpy(k + 1, key, kl);
    int rc = cat_get(h->v->t, DB_ITEMRECS, k, kl + 1, &r);
    if (rc == PL_ENOTFOUND)
        report(h->v, "barcode %s of item %s has no record", key, h->sku);
    return rc == PL_ENOTFOUND ? 0 : rc;
}

/* An item: has a record, unless its rows do not read (reported elsewhere),
 * and so has each of its barcodes. */
static int check_item(const MDB_val *k, const MDB_val *val, void *arg)
{
    struct vrec *v = arg;
    char sku[PL_ITEM_CODE_MAX + 1];
    MDB_val r;
    (void)val;
    if (!sku_of(k, sku))
        return 0; /* reported by the items check */
    int rc = cat_get(v->t, DB_ITEMRECS, k->mv_data, k->mv_size, &r);
    if (rc == 0 && v->codes) {
        struct has_code h = {v, sku};
        rc = pl_cat_barcode_each(v->t, sku, check_has_code, &h);
        return rc == PL_ECORRUPT ? 0 : rc; /* (reported by the barcodes check) */
    }
    if (rc != PL_ENOTFOUND)
        return rc;
    size_t len;
    rc = cat_rec_build_buf(v->t, sku, 0, v->buf, BUF_MAX, &len);
    if (!rc)
        report(v, "item %s has no record", sku);
    return rc == PL_ECORRUPT || rc == PL_EVERSION ? 0 : rc;
}

int cat_verify_recs(pl_txn_t *t, void (*fn)(const char *db, const char *msg, void *arg), void *arg,
                    uint64_t *violations)
{
    uint64_t state = 0, recs = 0, codes = 0;
    if (t->write)
        return 0; /* a write transaction rewrites them at its commit */
    if (!cat_has(t, DB_ITEMRECS) || cat_meta_get_u64(t, "state", &state) != 0 ||
        cat_meta_get_u64(t, "recs", &recs) != 0 || !state || recs != state)
        return 0; /* not current: lookups read the rows, and the next batch rewrites them */
    struct vrec v = {t,
                     fn,
                     arg,
                     violations,
                     malloc(BUF_MAX),
                     cat_meta_get_u64(t, "codes", &codes) == 0 && codes == state};
    if (!v.buf)
        return -ENOMEM;
    int rc = cat_walk(t, DB_ITEMRECS, NULL, 0, check_rec, &v);
    if (!rc)
        rc = cat_walk(t, DB_ITEMS, NULL, 0, check_item, &v);
    free(v.buf);
    return rc;
}
