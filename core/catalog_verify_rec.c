/* Item records against their rows (pricelane-load verify): while the
 * records are current (meta "recs" is the catalogue's state), every item
 * whose rows read has a record, every record is an item's, and each is
 * byte for byte the record its rows give as of the record's own instant. */
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

/* A record: an item's, and the one its rows give at its instant. */
static int check_rec(const MDB_val *k, const MDB_val *val, void *arg)
{
    struct vrec *v = arg;
    char sku[PL_ITEM_CODE_MAX + 1];
    const uint8_t *p = val->mv_data;
    if (!sku_of(k, sku)) {
        report(v, "a record under a key of %zu bytes that is no item's", k->mv_size);
        return 0;
    }
    if (val->mv_size < 10) {
        report(v, "the record of item %s is cut short (%zu bytes)", sku, val->mv_size);
        return 0;
    }
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = u << 8 | p[2 + i];
    size_t len;
    int rc = cat_rec_build_buf(v->t, sku, (int64_t)u, v->buf, BUF_MAX, &len);
    if (rc == PL_ENOTFOUND) {
        report(v, "a record of item %s, which does not exist", sku);
        return 0;
    }
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        report(v, "a record of item %s, whose rows do not read (%s)", sku, pl_strerror(rc));
        return 0;
    }
    if (rc)
        return rc;
    if (len != val->mv_size || memcmp(v->buf, p, len) != 0) {
        size_t at = 0;
        while (at < len && at < val->mv_size && v->buf[at] == p[at])
            at++;
        report(v,
               "the record of item %s is not what its rows give (%zu bytes, %zu expected; first "
               "difference at byte %zu)",
               sku, val->mv_size, len, at);
    }
    return 0;
}

/* An item: has a record, unless its rows do not read (reported elsewhere). */
static int check_item(const MDB_val *k, const MDB_val *val, void *arg)
{
    struct vrec *v = arg;
    char sku[PL_ITEM_CODE_MAX + 1];
    MDB_val r;
    (void)val;
    if (!sku_of(k, sku))
        return 0; /* reported by the items check */
    int rc = cat_get(v->t, DB_ITEMRECS, k->mv_data, k->mv_size, &r);
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
    uint64_t state = 0, recs = 0;
    if (t->write)
        return 0; /* a write transaction rewrites them at its commit */
    if (!cat_has(t, DB_ITEMRECS) || cat_meta_get_u64(t, "state", &state) != 0 ||
        cat_meta_get_u64(t, "recs", &recs) != 0 || !state || recs != state)
        return 0; /* not current: lookups read the rows, and the next batch rewrites them */
    struct vrec v = {t, fn, arg, violations, malloc(BUF_MAX)};
    if (!v.buf)
        return -ENOMEM;
    int rc = cat_walk(t, DB_ITEMRECS, NULL, 0, check_rec, &v);
    if (!rc)
        rc = cat_walk(t, DB_ITEMS, NULL, 0, check_item, &v);
    free(v.buf);
    return rc;
}
