/* Shelf labels (what each label shows now), the label-job queue, and the
 * batch ledger. */
#include <stdio.h>
#include <string.h>

#include "catalog_int.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/str.h"
#include "rec.h"

#define REC_VERSION 1
#define LABEL_KEY_MAX (PL_ITEM_CODE_MAX + 1 + PL_SCOPE_MAX + 1)

/* ---- labels: key sku NUL scope ------------------------------------------- */

static size_t label_key(uint8_t *k, const char *sku, const char *scope)
{
    size_t n = cat_key_str(k, LABEL_KEY_MAX, sku);
    size_t m = n ? cat_key_str(k + n, LABEL_KEY_MAX - n, scope) : 0;
    return m ? n + m - 1 : 0; /* no trailing NUL */
}

static int label_decode(const char *sku, const char *scope, size_t slen, const MDB_val *v,
                        pl_label_t *lb)
{
    memset(lb, 0, sizeof(*lb));
    if (slen > PL_SCOPE_MAX)
        return PL_ECORRUPT;
    pl_str_copy(lb->sku, sizeof(lb->sku), sku);
    memcpy(lb->scope, scope, slen);
    rec_r r = {v->mv_data, v->mv_size, 0, 0};
    if (rr_u8(&r) != REC_VERSION)
        return PL_EVERSION;
    lb->price = rr_i64(&r);
    lb->printed_at = rr_i64(&r);
    lb->job = 0;
    lb->due = PL_TIME_NONE;
    lb->placed_at = lb->printed_at;
    if (!r.err && r.off < r.len) { /* the placement, appended later */
        lb->job = rr_u64(&r);
        lb->due = rr_i64(&r);
        lb->placed_at = rr_i64(&r);
    }
    return r.err ? PL_ECORRUPT : 0;
}

int pl_label_get(pl_txn_t *t, const char *sku, const char *scope, pl_label_t *lb)
{
    uint8_t k[LABEL_KEY_MAX];
    size_t klen = label_key(k, sku, scope);
    MDB_val v;
    if (!klen)
        return PL_EINVAL;
    int rc = cat_get(t, DB_LABELS, k, klen, &v);
    return rc ? rc : label_decode(sku, scope, strlen(scope), &v, lb);
}

int pl_label_put(pl_txn_t *t, const pl_label_t *lb)
{
    uint8_t k[LABEL_KEY_MAX], b[64];
    size_t klen = label_key(k, lb->sku, lb->scope);
    rec_w w = {b, 0, sizeof(b), 0};
    rw_u8(&w, REC_VERSION);
    rw_i64(&w, lb->price);
    rw_i64(&w, lb->printed_at);
    rw_u64(&w, lb->job);
    rw_i64(&w, lb->due);
    rw_i64(&w, lb->placed_at);
    if (!klen || w.err)
        return PL_EINVAL;
    return cat_put(t, DB_LABELS, k, klen, b, w.len, 0);
}

struct label_walk {
    const char *sku;
    size_t plen;
    int (*fn)(const pl_label_t *lb, void *arg);
    void *arg;
};

static int label_walk_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct label_walk *w = arg;
    pl_label_t lb;
    int rc = label_decode(w->sku, (const char *)k->mv_data + w->plen, k->mv_size - w->plen, v, &lb);
    return rc ? rc : w->fn(&lb, w->arg);
}

int pl_label_each(pl_txn_t *t, const char *sku, int (*fn)(const pl_label_t *lb, void *arg),
                  void *arg)
{
    uint8_t prefix[PL_ITEM_CODE_MAX + 2];
    size_t plen = cat_key_str(prefix, sizeof(prefix), sku);
    struct label_walk w = {sku, plen, fn, arg};
    return plen ? cat_walk(t, DB_LABELS, prefix, plen, label_walk_one, &w) : PL_EINVAL;
}

/* ---- label jobs ----------------------------------------------------------- */

static int job_encode(const pl_label_job_t *j, rec_w *w)
{
    rw_u8(w, REC_VERSION);
    rw_u8(w, j->state);
    rw_u8(w, j->level);
    rw_str(w, j->scope);
    rw_str(w, j->sku);
    rw_str(w, j->gtin);
    rw_str(w, j->name);
    rw_i64(w, j->price);
    rw_i64(w, j->unit_price);
    rw_str(w, j->unit_basis);
    rw_str(w, j->promo_text);
    rw_i64(w, j->promo_ends);
    rw_i64(w, j->old_price);
    rw_i64(w, j->due);
    rw_str(w, j->reason);
    rw_str(w, j->batch);
    rw_i64(w, j->acked_at);
    rw_i64(w, j->placed_at);
    return w->err ? PL_EINVAL : 0;
}

static int job_decode(uint64_t id, const MDB_val *v, pl_label_job_t *j)
{
    memset(j, 0, sizeof(*j));
    j->id = id;
    rec_r r = {v->mv_data, v->mv_size, 0, 0};
    if (rr_u8(&r) != REC_VERSION)
        return PL_EVERSION;
    j->state = rr_u8(&r);
    j->level = rr_u8(&r);
    rr_str(&r, j->scope, sizeof(j->scope));
    rr_str(&r, j->sku, sizeof(j->sku));
    rr_str(&r, j->gtin, sizeof(j->gtin));
    rr_str(&r, j->name, sizeof(j->name));
    j->price = rr_i64(&r);
    j->unit_price = rr_i64(&r);
    rr_str(&r, j->unit_basis, sizeof(j->unit_basis));
    rr_str(&r, j->promo_text, sizeof(j->promo_text));
    j->promo_ends = rr_i64(&r);
    j->old_price = rr_i64(&r);
    j->due = rr_i64(&r);
    rr_str(&r, j->reason, sizeof(j->reason));
    rr_str(&r, j->batch, sizeof(j->batch));
    j->acked_at = rr_i64(&r);
    j->placed_at = PL_TIME_NONE;
    if (!r.err && r.off < r.len) /* appended later: absent in older records */
        j->placed_at = rr_i64(&r);
    return r.err ? PL_ECORRUPT : 0;
}

static int job_write(pl_txn_t *t, const pl_label_job_t *j)
{
    uint8_t k[8], b[768];
    rec_w w = {b, 0, sizeof(b), 0};
    key_be64(k, j->id);
    int rc = job_encode(j, &w);
    return rc ? rc : cat_put(t, DB_LJOBS, k, 8, b, w.len, 0);
}

int pl_job_add(pl_txn_t *t, pl_label_job_t *j)
{
    uint8_t k[8];
    int rc = cat_next_job_id(t, &j->id);
    if (rc)
        return rc;
    j->state = PL_JOB_PENDING;
    j->acked_at = PL_TIME_NONE;
    j->placed_at = PL_TIME_NONE;
    rc = job_write(t, j);
    key_be64(k, j->id);
    if (!rc)
        rc = cat_put(t, DB_LJOBITEM, j->sku, strlen(j->sku), k, 8, 0);
    return rc;
}

int pl_job_get(pl_txn_t *t, uint64_t id, pl_label_job_t *j)
{
    uint8_t k[8];
    MDB_val v;
    key_be64(k, id);
    int rc = cat_get(t, DB_LJOBS, k, 8, &v);
    return rc ? rc : job_decode(id, &v, j);
}

/* Moves a pending job to `state` and drops it from the item's pending index. */
static int job_close(pl_txn_t *t, pl_label_job_t *j, int state, int64_t now)
{
    uint8_t k[8];
    if (j->state != PL_JOB_PENDING)
        return PL_EDONE;
    j->state = (uint8_t)state;
    j->acked_at = now;
    int rc = job_write(t, j);
    key_be64(k, j->id);
    if (!rc)
        rc = cat_del(t, DB_LJOBITEM, j->sku, strlen(j->sku), k, 8);
    return rc == PL_ENOTFOUND ? txn_fail(t, PL_ECORRUPT) : rc;
}

int pl_job_supersede(pl_txn_t *t, uint64_t id)
{
    pl_label_job_t j;
    int rc = pl_job_get(t, id, &j);
    return rc ? rc : job_close(t, &j, PL_JOB_SUPERSEDED, PL_TIME_NONE);
}

int pl_job_ack(pl_txn_t *t, uint64_t id, int64_t now)
{
    pl_label_job_t j;
    int rc = pl_job_get(t, id, &j);
    if (!rc)
        rc = job_close(t, &j, PL_JOB_ACKED, now);
    if (rc)
        return rc;
    pl_label_t lb = {0};
    pl_str_copy(lb.sku, sizeof(lb.sku), j.sku);
    pl_str_copy(lb.scope, sizeof(lb.scope), j.scope);
    lb.price = j.price;
    lb.printed_at = now;
    lb.job = j.id;
    lb.due = j.due;
    lb.placed_at = PL_TIME_NONE;
    return pl_label_put(t, &lb);
}

int pl_job_place(pl_txn_t *t, uint64_t id, int64_t now)
{
    pl_label_job_t j;
    pl_label_t lb;
    int rc = pl_job_get(t, id, &j);
    if (!rc && j.state == PL_JOB_PENDING)
        rc = pl_job_ack(t, id, now);
    if (!rc)
        rc = pl_job_get(t, id, &j);
    if (rc)
        return rc;
    if (j.state != PL_JOB_ACKED || j.placed_at != PL_TIME_NONE)
        return PL_EDONE;
    j.placed_at = now;
    rc = job_write(t, &j);
    /* The label shows this job's print only if no later job printed over it. */
    if (!rc && pl_label_get(t, j.sku, j.scope, &lb) == 0 && lb.job == j.id) {
        lb.placed_at = now;
        rc = pl_label_put(t, &lb);
    }
    return rc;
}

struct jobs_walk {
    int pending_only;
    int (*fn)(const pl_label_job_t *j, void *arg);
    void *arg;
};

static int jobs_walk_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct jobs_walk *w = arg;
    pl_label_job_t j;
    if (k->mv_size != 8)
        return PL_ECORRUPT;
    int rc = job_decode(key_get_be64(k->mv_data), v, &j);
    if (rc || (w->pending_only && j.state != PL_JOB_PENDING))
        return rc;
    return w->fn(&j, w->arg);
}

int pl_job_each(pl_txn_t *t, int pending_only, int (*fn)(const pl_label_job_t *j, void *arg),
                void *arg)
{
    struct jobs_walk w = {pending_only, fn, arg};
    return cat_walk(t, DB_LJOBS, NULL, 0, jobs_walk_one, &w);
}

/* Is the job record v one of sku's? Reads the fields before the SKU only
 * (version, state, level, scope), so a walk of the whole queue for one item
 * decodes no other item's jobs in full. A record too short to say is
 * decoded (and reported) as usual. */
static int job_of_sku(const MDB_val *v, const char *sku, size_t n)
{
    const uint8_t *p = v->mv_data;
    size_t len = v->mv_size, off = 3;
    if (len < off + 2)
        return 1;
    off += 2 + ((size_t)p[off] | (size_t)p[off + 1] << 8);
    if (len < off + 2)
        return 1;
    size_t m = (size_t)p[off] | (size_t)p[off + 1] << 8;
    return m == n && len >= off + 2 + m && memcmp(p + off + 2, sku, n) == 0;
}

struct sku_walk {
    const char *sku;
    size_t n;
    int (*fn)(const pl_label_job_t *j, void *arg);
    void *arg;
};

static int sku_walk_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct sku_walk *w = arg;
    pl_label_job_t j;
    if (k->mv_size != 8)
        return PL_ECORRUPT;
    if (!job_of_sku(v, w->sku, w->n))
        return 0;
    int rc = job_decode(key_get_be64(k->mv_data), v, &j);
    if (rc)
        return rc;
    return strcmp(j.sku, w->sku) == 0 ? w->fn(&j, w->arg) : 0;
}

int pl_job_each_ever_for_item(pl_txn_t *t, const char *sku,
                              int (*fn)(const pl_label_job_t *j, void *arg), void *arg)
{
    struct sku_walk w = {sku, strlen(sku), fn, arg};
    return cat_walk(t, DB_LJOBS, NULL, 0, sku_walk_one, &w);
}

struct job_walk {
    pl_txn_t *t;
    int (*fn)(const pl_label_job_t *j, void *arg);
    void *arg;
};

static int job_walk_one(const void *v, size_t len, void *arg)
{
    struct job_walk *w = arg;
    pl_label_job_t j;
    if (len != 8)
        return PL_ECORRUPT;
    int rc = pl_job_get(w->t, key_get_be64(v), &j);
    if (rc == PL_ENOTFOUND)
        return PL_ECORRUPT;
    return rc ? rc : w->fn(&j, w->arg);
}

int pl_job_each_for_item(pl_txn_t *t, const char *sku,
                         int (*fn)(const pl_label_job_t *j, void *arg), void *arg)
{
    struct job_walk w = {t, fn, arg};
    return cat_each_dup(t, DB_LJOBITEM, sku, strlen(sku), job_walk_one, &w);
}

/* ---- batch ledger --------------------------------------------------------- */

static int batch_decode(const MDB_val *k, const MDB_val *v, pl_batch_rec_t *b)
{
    memset(b, 0, sizeof(*b));
    if (k->mv_size > PL_BATCH_ID_MAX)
        return PL_ECORRUPT;
    memcpy(b->id, k->mv_data, k->mv_size);
    rec_r r = {v->mv_data, v->mv_size, 0, 0};
    if (rr_u8(&r) != REC_VERSION)
        return PL_EVERSION;
    rr_str(&r, b->digest, sizeof(b->digest));
    b->applied_at = rr_i64(&r);
    b->rows = rr_u64(&r);
    b->gen = rr_u64(&r);
    if (!r.err && r.off < r.len) /* the reason, appended later: absent in older records */
        rr_str(&r, b->reason, sizeof(b->reason));
    return r.err ? PL_ECORRUPT : 0;
}

int pl_batch_get(pl_txn_t *t, const char *id, pl_batch_rec_t *b)
{
    MDB_val k = {strlen(id), (void *)id}, v;
    int rc = cat_get(t, DB_BATCHES, id, strlen(id), &v);
    return rc ? rc : batch_decode(&k, &v, b);
}

int pl_batch_put(pl_txn_t *t, const pl_batch_rec_t *b)
{
    uint8_t buf[128];
    rec_w w = {buf, 0, sizeof(buf), 0};
    rw_u8(&w, REC_VERSION);
    rw_str(&w, b->digest);
    rw_i64(&w, b->applied_at);
    rw_u64(&w, b->rows);
    rw_u64(&w, b->gen);
    if (b->reason[0])
        rw_str(&w, b->reason);
    if (w.err || !b->id[0])
        return PL_EINVAL;
    return cat_put(t, DB_BATCHES, b->id, strlen(b->id), buf, w.len, 0);
}

struct batch_walk {
    int (*fn)(const pl_batch_rec_t *b, void *arg);
    void *arg;
};

static int batch_walk_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct batch_walk *w = arg;
    pl_batch_rec_t b;
    int rc = batch_decode(k, v, &b);
    return rc ? rc : w->fn(&b, w->arg);
}

int pl_batch_each(pl_txn_t *t, int (*fn)(const pl_batch_rec_t *b, void *arg), void *arg)
{
    struct batch_walk w = {fn, arg};
    return cat_walk(t, DB_BATCHES, NULL, 0, batch_walk_one, &w);
}
