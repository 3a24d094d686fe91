/* Effective-dated prices (which are also the price history) and promotions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog_int.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "rec.h"

#define REC_VERSION 1
#define PRICE_KEY_MAX (PL_ITEM_CODE_MAX + 1 + 1 + PL_SCOPE_MAX + 1 + 8)

/* prices key: sku NUL level scope NUL start(BE, sign-flipped) */
static size_t price_key(uint8_t *k, const char *sku, int level, const char *scope, int64_t start)
{
    size_t n = cat_key_str(k, PRICE_KEY_MAX, sku);
    if (!n || strlen(scope) > PL_SCOPE_MAX)
        return 0;
    k[n++] = (uint8_t)level;
    n += cat_key_str(k + n, PRICE_KEY_MAX - n, scope);
    key_be64(k + n, KEY_TIME(start));
    return n + 8;
}

int pl_price_put(pl_txn_t *t, const pl_price_t *p)
{
    uint8_t k[PRICE_KEY_MAX], b[128];
    size_t klen = price_key(k, p->sku, p->level, p->scope, p->start);
    rec_w w = {b, 0, sizeof(b), 0};
    rw_u8(&w, REC_VERSION);
    rw_i64(&w, p->price);
    rw_u8(&w, p->scheduled);
    rw_i64(&w, p->recorded_at);
    rw_str(&w, p->batch);
    if (!klen || w.err || p->level > PL_LEVEL_STORE)
        return PL_EINVAL;
    return cat_put(t, DB_PRICES, k, klen, b, w.len, 0);
}

static int price_decode(const MDB_val *key, const MDB_val *val, pl_price_t *p)
{
    const uint8_t *k = key->mv_data;
    size_t n = key->mv_size;
    memset(p, 0, sizeof(*p));
    const uint8_t *z = memchr(k, 0, n);
    if (!z || (size_t)(z - k) > PL_ITEM_CODE_MAX || n < (size_t)(z - k) + 1 + 1 + 1 + 8)
        return PL_ECORRUPT;
    memcpy(p->sku, k, (size_t)(z - k));
    const uint8_t *s = z + 2;
    size_t slen = n - (size_t)(s - k) - 9;
    if (slen > PL_SCOPE_MAX || s[slen] != 0)
        return PL_ECORRUPT;
    p->level = z[1];
    memcpy(p->scope, s, slen);
    p->start = (int64_t)(key_get_be64(k + n - 8) ^ (1ull << 63));
    rec_r r = {val->mv_data, val->mv_size, 0, 0};
    if (rr_u8(&r) != REC_VERSION)
        return PL_EVERSION;
    p->price = rr_i64(&r);
    p->scheduled = rr_u8(&r);
    p->recorded_at = rr_i64(&r);
    rr_str(&r, p->batch, sizeof(p->batch));
    return r.err ? PL_ECORRUPT : 0;
}

struct price_walk {
    int (*fn)(const pl_price_t *p, void *arg);
    void *arg;
};

static int price_walk_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct price_walk *w = arg;
    pl_price_t p;
    int rc = price_decode(k, v, &p);
    return rc ? rc : w->fn(&p, w->arg);
}

int pl_price_each(pl_txn_t *t, const char *sku, int (*fn)(const pl_price_t *p, void *arg),
                  void *arg)
{
    uint8_t prefix[PL_ITEM_CODE_MAX + 2];
    size_t plen = cat_key_str(prefix, sizeof(prefix), sku);
    struct price_walk w = {fn, arg};
    return plen ? cat_walk(t, DB_PRICES, prefix, plen, price_walk_one, &w) : PL_EINVAL;
}

/* ---- promotions ----------------------------------------------------------- */

static const char *const kind_names[] = {
    [PL_PROMO_SPECIAL] = "special", [PL_PROMO_FLYER] = "flyer",
    [PL_PROMO_MARKDOWN] = "markdown", [PL_PROMO_MEMBER] = "member",
    [PL_PROMO_CLEARANCE] = "clearance",
};
#define NKINDS ((int)(sizeof(kind_names) / sizeof(kind_names[0])))

const char *pl_promo_kind_name(int kind)
{
    return kind > 0 && kind < NKINDS ? kind_names[kind] : "promo";
}

int pl_promo_kind_parse(const char *s)
{
    for (int i = 1; i < NKINDS; i++)
        if (strcasecmp(s, kind_names[i]) == 0)
            return i;
    return 0;
}

/* Decodes the fixed part; leaves r positioned at the item count. */
static int promo_decode(const char *id, size_t idlen, rec_r *r, pl_promo_t *pr)
{
    memset(pr, 0, sizeof(*pr));
    if (idlen > PL_PROMO_ID_MAX)
        return PL_ECORRUPT;
    memcpy(pr->id, id, idlen);
    if (rr_u8(r) != REC_VERSION)
        return PL_EVERSION;
    pr->kind = rr_u8(r);
    pr->member_only = rr_u8(r);
    pr->priority = (int32_t)rr_u32(r);
    pr->start = rr_i64(r);
    pr->end = rr_i64(r);
    pr->price = rr_i64(r);
    pr->pct_off_bp = (int32_t)rr_u32(r);
    pr->scope_kind = rr_u8(r);
    pr->nscope = rr_u8(r);
    if (pr->nscope > PL_PROMO_SCOPE_MAX)
        return PL_ECORRUPT;
    for (int i = 0; i < pr->nscope; i++)
        rr_str(r, pr->scope[i], sizeof(pr->scope[i]));
    rr_str(r, pr->text, sizeof(pr->text));
    pr->cancelled_at = rr_i64(r);
    rr_str(r, pr->batch, sizeof(pr->batch));
    return r->err ? PL_ECORRUPT : 0;
}

int pl_promo_get(pl_txn_t *t, const char *id, pl_promo_t *pr)
{
    MDB_val v;
    int rc = cat_get(t, DB_PROMOS, id, strlen(id), &v);
    if (rc)
        return rc;
    rec_r r = {v.mv_data, v.mv_size, 0, 0};
    return promo_decode(id, strlen(id), &r, pr);
}

int pl_promo_items(pl_txn_t *t, const char *id, int (*fn)(const char *sku, void *arg), void *arg)
{
    MDB_val v;
    pl_promo_t pr;
    int rc = cat_get(t, DB_PROMOS, id, strlen(id), &v);
    if (rc)
        return rc;
    /* A copy: LMDB's bytes are valid only until the next write, and fn may
     * write (pl_promo_put drops the index entries as it walks). */
    uint8_t *copy = malloc(v.mv_size ? v.mv_size : 1);
    if (!copy)
        return -ENOMEM;
    memcpy(copy, v.mv_data, v.mv_size);
    rec_r r = {copy, v.mv_size, 0, 0};
    rc = promo_decode(id, strlen(id), &r, &pr);
    uint32_t n = rc ? 0 : rr_u32(&r);
    for (uint32_t i = 0; i < n && !rc; i++) {
        char sku[PL_ITEM_CODE_MAX + 1];
        rr_str(&r, sku, sizeof(sku));
        rc = r.err ? PL_ECORRUPT : fn(sku, arg);
    }
    free(copy);
    return rc;
}

struct unindex {
    pl_txn_t *t;
    const char *id;
};

static int unindex_one(const char *sku, void *arg)
{
    struct unindex *u = arg;
    int rc = cat_del(u->t, DB_PROMOITEMS, sku, strlen(sku), u->id, strlen(u->id));
    return rc == PL_ENOTFOUND ? 0 : rc;
}

int pl_promo_put(pl_txn_t *t, const pl_promo_t *pr, const char *const *skus, size_t n)
{
    if (!pr->id[0] || pr->nscope > PL_PROMO_SCOPE_MAX)
        return PL_EINVAL;
    /* Drop the old item index entries first: the item list may have shrunk. */
    struct unindex u = {t, pr->id};
    int rc = pl_promo_items(t, pr->id, unindex_one, &u);
    if (rc && rc != PL_ENOTFOUND)
        return rc;

    size_t cap = 512 + n * (PL_ITEM_CODE_MAX + 2);
    uint8_t *b = malloc(cap);
    if (!b)
        return -ENOMEM;
    rec_w w = {b, 0, cap, 0};
    rw_u8(&w, REC_VERSION);
    rw_u8(&w, pr->kind);
    rw_u8(&w, pr->member_only);
    rw_u32(&w, (uint32_t)pr->priority);
    rw_i64(&w, pr->start);
    rw_i64(&w, pr->end);
    rw_i64(&w, pr->price);
    rw_u32(&w, (uint32_t)pr->pct_off_bp);
    rw_u8(&w, pr->scope_kind);
    rw_u8(&w, pr->nscope);
    for (int i = 0; i < pr->nscope; i++)
        rw_str(&w, pr->scope[i]);
    rw_str(&w, pr->text);
    rw_i64(&w, pr->cancelled_at);
    rw_str(&w, pr->batch);
    rw_u32(&w, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        rw_str(&w, skus[i]);
    rc = w.err ? PL_EINVAL : cat_put(t, DB_PROMOS, pr->id, strlen(pr->id), b, w.len, 0);
    free(b);
    for (size_t i = 0; i < n && !rc; i++) {
        rc = cat_put(t, DB_PROMOITEMS, skus[i], strlen(skus[i]), pr->id, strlen(pr->id),
                     MDB_NODUPDATA);
        if (rc == PL_EEXIST)
            rc = 0; /* the same SKU listed twice */
    }
    return rc;
}

struct promo_walk {
    pl_txn_t *t;
    int (*fn)(const pl_promo_t *pr, void *arg);
    void *arg;
};

static int promo_walk_one(const void *v, size_t len, void *arg)
{
    struct promo_walk *w = arg;
    char id[PL_PROMO_ID_MAX + 1];
    /* An id is never empty nor holds a NUL: such an entry cannot name a
     * promotion (and an empty key would be refused by LMDB itself). */
    if (len == 0 || len > PL_PROMO_ID_MAX || memchr(v, 0, len))
        return PL_ECORRUPT;
    memcpy(id, v, len);
    id[len] = 0;
    pl_promo_t pr;
    int rc = pl_promo_get(w->t, id, &pr);
    if (rc == PL_ENOTFOUND)
        return PL_ECORRUPT; /* index names a promotion that is gone */
    return rc ? rc : w->fn(&pr, w->arg);
}

int pl_promo_each_for_item(pl_txn_t *t, const char *sku,
                           int (*fn)(const pl_promo_t *pr, void *arg), void *arg)
{
    struct promo_walk w = {t, fn, arg};
    return cat_each_dup(t, DB_PROMOITEMS, sku, strlen(sku), promo_walk_one, &w);
}
