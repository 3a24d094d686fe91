/* What a 2D code's data is checked against (include/pricelane/catalog.h):
 * recalls of lots — recalls (id → record) and recallitems (sku → id,
 * dupsort), written together — and expiry markdown rules (xmarkdowns). */
#include <string.h>

#include "catalog_int.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "rec.h"

#define REC_VERSION 1

static int fits(const char *s, size_t max)
{
    return strlen(s) <= max;
}

int pl_recall_get(pl_txn_t *t, const char *id, pl_recall_t *r)
{
    if (!cat_has(t, DB_RECALLS))
        return PL_ENOTFOUND;
    MDB_val v;
    size_t idlen = strlen(id);
    if (idlen > PL_RECALL_ID_MAX)
        return PL_ENOTFOUND;
    int rc = cat_get(t, DB_RECALLS, id, idlen, &v);
    if (rc)
        return rc;
    memset(r, 0, sizeof(*r));
    memcpy(r->id, id, idlen);
    rec_r rr = {v.mv_data, v.mv_size, 0, 0};
    if (rr_u8(&rr) != REC_VERSION)
        return PL_EVERSION;
    rr_str(&rr, r->sku, sizeof(r->sku));
    rr_str(&rr, r->gtin, sizeof(r->gtin));
    rr_str(&rr, r->lot_from, sizeof(r->lot_from));
    rr_str(&rr, r->lot_to, sizeof(r->lot_to));
    r->start = rr_i64(&rr);
    r->end = rr_i64(&rr);
    rr_str(&rr, r->text, sizeof(r->text));
    rr_str(&rr, r->batch, sizeof(r->batch));
    return rr.err || !r->sku[0] || !r->lot_from[0] ? PL_ECORRUPT : 0;
}

int pl_recall_put(pl_txn_t *t, const pl_recall_t *r)
{
    if (!r->id[0] || !fits(r->id, PL_RECALL_ID_MAX) || !r->sku[0] ||
        !fits(r->sku, PL_ITEM_CODE_MAX) || !fits(r->gtin, 14) || !r->lot_from[0] ||
        !fits(r->lot_from, PL_LOT_MAX) || !fits(r->lot_to, PL_LOT_MAX) ||
        !fits(r->text, PL_RECALL_TEXT_MAX) || !fits(r->batch, PL_BATCH_ID_MAX))
        return PL_EINVAL;
    pl_recall_t old;
    int rc = pl_recall_get(t, r->id, &old);
    if (rc == 0 && strcmp(old.sku, r->sku) != 0)
        return PL_EINVAL;
    if (rc && rc != PL_ENOTFOUND)
        return rc;
    uint8_t b[512];
    rec_w w = {b, 0, sizeof(b), 0};
    rw_u8(&w, REC_VERSION);
    rw_str(&w, r->sku);
    rw_str(&w, r->gtin);
    rw_str(&w, r->lot_from);
    rw_str(&w, r->lot_to);
    rw_i64(&w, r->start);
    rw_i64(&w, r->end);
    rw_str(&w, r->text);
    rw_str(&w, r->batch);
    if (w.err)
        return PL_EINVAL;
    rc = cat_put(t, DB_RECALLS, r->id, strlen(r->id), b, w.len, 0);
    if (!rc) {
        rc =
            cat_put(t, DB_RECALLITEMS, r->sku, strlen(r->sku), r->id, strlen(r->id), MDB_NODUPDATA);
        if (rc == PL_EEXIST)
            rc = 0; /* a rewrite */
    }
    return rc;
}

struct recall_walk {
    pl_txn_t *t;
    int (*fn)(const pl_recall_t *r, void *arg);
    void *arg;
};

static int recall_walk_one(const void *v, size_t len, void *arg)
{
    struct recall_walk *w = arg;
    char id[PL_RECALL_ID_MAX + 1];
    if (!len || len > PL_RECALL_ID_MAX)
        return PL_ECORRUPT;
    memcpy(id, v, len);
    id[len] = 0;
    pl_recall_t r;
    int rc = pl_recall_get(w->t, id, &r);
    if (rc == PL_ENOTFOUND)
        return PL_ECORRUPT; /* the index names a recall that is gone */
    return rc ? rc : w->fn(&r, w->arg);
}

int pl_recall_each_for_item(pl_txn_t *t, const char *sku,
                            int (*fn)(const pl_recall_t *r, void *arg), void *arg)
{
    if (!cat_has(t, DB_RECALLITEMS))
        return 0;
    struct recall_walk w = {t, fn, arg};
    return cat_each_dup(t, DB_RECALLITEMS, sku, strlen(sku), recall_walk_one, &w);
}

int pl_recall_matches(const pl_recall_t *r, const char *gtin, const char *lot, int64_t now)
{
    if (now < r->start || (r->end != PL_TIME_NONE && now >= r->end))
        return 0;
    if (r->gtin[0] && strcmp(r->gtin, gtin) != 0)
        return 0;
    if (!r->lot_to[0])
        return strcmp(lot, r->lot_from) == 0;
    size_t n = strlen(lot);
    return n == strlen(r->lot_from) && n == strlen(r->lot_to) && strcmp(lot, r->lot_from) >= 0 &&
           strcmp(lot, r->lot_to) <= 0;
}

int pl_recall_any(pl_txn_t *t)
{
    MDB_stat st;
    if (!cat_has(t, DB_RECALLITEMS))
        return 0;
    int rc = pl_err_from_mdb(mdb_stat(t->txn, t->cat->dbi[DB_RECALLITEMS], &st));
    return rc ? rc : st.ms_entries > 0;
}

/* ---- expiry markdowns ------------------------------------------------------ */

/* A markdown takes 1..9999 basis points off from `days` on; a best-before
 * rule has neither. */
static int xmd_valid(const pl_xmd_t *x)
{
    if (x->kind == PL_XMD_MARKDOWN)
        return x->days >= 0 && x->pct_off_bp > 0 && x->pct_off_bp < 10000;
    return (x->kind == PL_XMD_BB_BLOCK || x->kind == PL_XMD_BB_INFO) && !x->days && !x->pct_off_bp;
}

int pl_xmd_put(pl_txn_t *t, const pl_xmd_t *x)
{
    if (!x->id[0] || !fits(x->id, PL_PROMO_ID_MAX) || x->nscope > PL_PROMO_SCOPE_MAX ||
        x->nitems > PL_XMD_ITEMS_MAX || !fits(x->dept, PL_DEPT_MAX) || !xmd_valid(x))
        return PL_EINVAL;
    uint8_t b[2048];
    rec_w w = {b, 0, sizeof(b), 0};
    rw_u8(&w, REC_VERSION);
    rw_u32(&w, (uint32_t)x->days);
    rw_u32(&w, (uint32_t)x->pct_off_bp);
    rw_u32(&w, (uint32_t)x->priority);
    rw_i64(&w, x->start);
    rw_i64(&w, x->end);
    rw_u8(&w, x->scope_kind);
    rw_u8(&w, x->nscope);
    for (int i = 0; i < x->nscope; i++)
        rw_str(&w, x->scope[i]);
    rw_str(&w, x->dept);
    rw_u8(&w, x->nitems);
    for (int i = 0; i < x->nitems; i++)
        rw_str(&w, x->items[i]);
    rw_str(&w, x->batch);
    if (x->kind != PL_XMD_MARKDOWN)
        rw_u8(&w, x->kind); /* a markdown's record ends before it, as it always did */
    if (w.err)
        return PL_EINVAL;
    return cat_put(t, DB_XMARKDOWNS, x->id, strlen(x->id), b, w.len, 0);
}

static int xmd_decode(const MDB_val *k, const MDB_val *v, pl_xmd_t *x)
{
    memset(x, 0, sizeof(*x));
    if (!k->mv_size || k->mv_size > PL_PROMO_ID_MAX)
        return PL_ECORRUPT;
    memcpy(x->id, k->mv_data, k->mv_size);
    rec_r r = {v->mv_data, v->mv_size, 0, 0};
    if (rr_u8(&r) != REC_VERSION)
        return PL_EVERSION;
    x->days = (int32_t)rr_u32(&r);
    x->pct_off_bp = (int32_t)rr_u32(&r);
    x->priority = (int32_t)rr_u32(&r);
    x->start = rr_i64(&r);
    x->end = rr_i64(&r);
    x->scope_kind = rr_u8(&r);
    x->nscope = rr_u8(&r);
    if (x->nscope > PL_PROMO_SCOPE_MAX)
        return PL_ECORRUPT;
    for (int i = 0; i < x->nscope; i++)
        rr_str(&r, x->scope[i], sizeof(x->scope[i]));
    rr_str(&r, x->dept, sizeof(x->dept));
    x->nitems = rr_u8(&r);
    if (x->nitems > PL_XMD_ITEMS_MAX)
        return PL_ECORRUPT;
    for (int i = 0; i < x->nitems; i++)
        rr_str(&r, x->items[i], sizeof(x->items[i]));
    rr_str(&r, x->batch, sizeof(x->batch));
    if (r.off < r.len)
        x->kind = rr_u8(&r);
    return r.err || r.off != r.len || !xmd_valid(x) ? PL_ECORRUPT : 0;
}

struct xmd_walk {
    int (*fn)(const pl_xmd_t *x, void *arg);
    void *arg;
};

static int xmd_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct xmd_walk *w = arg;
    pl_xmd_t x;
    int rc = xmd_decode(k, v, &x);
    return rc ? rc : w->fn(&x, w->arg);
}

int pl_xmd_each(pl_txn_t *t, int (*fn)(const pl_xmd_t *x, void *arg), void *arg)
{
    if (!cat_has(t, DB_XMARKDOWNS))
        return 0;
    struct xmd_walk w = {fn, arg};
    return cat_walk(t, DB_XMARKDOWNS, NULL, 0, xmd_one, &w);
}
