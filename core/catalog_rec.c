/* Item records (catalog.h, "item records"): what a lookup reads of an item,
 * written at commit by the transaction that changed it.
 *
 * Write side: cat_touch names every item a write reaches (the same hook the
 * change log uses, so no writer can forget one); the set is kept apart from
 * the change log's, which stops listing keys when a change turns wide. At
 * commit each named item's record is built from its rows with the same
 * walks a lookup made before (pl_price_each, ...), so the record holds
 * exactly the rows a lookup would read, in the same order.
 *
 * Record: u8 version, u8 kind (0 rows, 1 too big: no rows, read the
 * source), i64 instant, then (kind 0) the item (name, unit, dept, pack_qty,
 * flags, content, content_unit, plu), the first GTIN, and four counted
 * lists: prices (u8 level, scope, i64 start, i64 price, u8 scheduled),
 * promotions (id, u8 kind, u8 member_only, u32 priority, i64 start, end,
 * price, u32 pct_off_bp, u8 scope_kind, u8 nscope, scopes, i64
 * cancelled_at), labels (scope, i64 price, u64 job, i64 printed_at, due,
 * placed_at), jobs (scope, i64 due). A record of another version is not
 * read (the rows are), and the next write of its item replaces it.
 *
 * Barcodes' records: under CODE_TAG + a barcode key, u8 length and the SKU
 * of the barcode's item, then the item's record; a lookup by barcode reads
 * it with one descent. Written with the item's (when the barcodes database
 * names the item), dropped at commit whenever the barcode was written (the
 * set holds the key with CODE_TAG), current while meta "codes" is the
 * catalogue's state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "catalog_int.h"
#include "pricelane/cpu_share.h"
#include "pricelane/err.h"
#include "pricelane/random.h"
#include "pricelane/resolve.h"
#include "pricelane/str.h"
#include "rec.h"

#define ITEMREC_VERSION 2
#define KIND_ROWS 0
#define KIND_TOO_BIG 1
#define REC_MAX (64 * 1024) /* bytes; an item past it is read from its rows */
#define CODE_TAG CAT_REC_CODE_TAG
#define CODE_HEAD                                                                                  \
    (1 + PL_ITEM_CODE_MAX) /* the barcode's record: u8 length, SKU, the item's record */

/* ---- the set of items to rewrite ------------------------------------------ */

typedef struct cat_recset {
    size_t n, slots; /* slots: a power of two, at most half full */
    uint64_t seed;   /* of the SKUs' hash: a batch's SKUs are chosen by its author */
    uint64_t *hash;  /* 0: empty */
    uint32_t *off;   /* each entry's SKU in arena */
    char *arena;
    size_t len, cap;
} cat_recset_t;

static int set_grow(cat_recset_t *s)
{
    size_t slots = s->slots ? s->slots * 2 : 1024;
    uint64_t *h = calloc(slots, sizeof(*h));
    uint32_t *o = malloc(slots * sizeof(*o));
    if (!h || !o) {
        free(h);
        free(o);
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->slots; i++) {
        if (!s->hash[i])
            continue;
        size_t j = s->hash[i] & (slots - 1);
        while (h[j])
            j = (j + 1) & (slots - 1);
        h[j] = s->hash[i];
        o[j] = s->off[i];
    }
    free(s->hash);
    free(s->off);
    s->hash = h;
    s->off = o;
    s->slots = slots;
    return 0;
}

/* Adds the key tag + k[len] (tag 0: none) to the set. */
static void note(pl_txn_t *t, char tag, const void *k, size_t len)
{
    char key[PL_ITEM_CODE_MAX + 2];
    size_t n = 0;
    if (tag)
        key[n++] = tag;
    memcpy(key + n, k, len);
    len += n;
    cat_recset_t *s = t->recs;
    if (!s && (s = t->recs = calloc(1, sizeof(*s))))
        s->seed = pl_random_u64();
    if (!s) {
        txn_fail(t, -ENOMEM);
        return;
    }
    if ((s->n + 1) * 2 > s->slots && set_grow(s)) {
        txn_fail(t, -ENOMEM);
        return;
    }
    uint64_t h = XXH3_64bits_withSeed(key, len, s->seed) | 1;
    size_t i = h & (s->slots - 1);
    for (; s->hash[i]; i = (i + 1) & (s->slots - 1))
        if (s->hash[i] == h && strncmp(s->arena + s->off[i], key, len) == 0 &&
            s->arena[s->off[i] + len] == 0)
            return;
    if (s->len + len + 1 > s->cap || s->len + len + 1 > UINT32_MAX) {
        size_t cap = s->cap ? s->cap * 2 : 16384;
        char *a = cap <= UINT32_MAX ? realloc(s->arena, cap) : NULL;
        if (!a) {
            txn_fail(t, -ENOMEM);
            return;
        }
        s->arena = a;
        s->cap = cap;
    }
    s->hash[i] = h;
    s->off[i] = (uint32_t)s->len;
    memcpy(s->arena + s->len, key, len);
    s->arena[s->len + len] = 0;
    s->len += len + 1;
    s->n++;
}

void cat_rec_note(pl_txn_t *t, const void *sku, size_t len)
{
    if (!t->write || t->rec_all || !len || len > PL_ITEM_CODE_MAX)
        return; /* a longer key is no item's: its walks refuse it */
    note(t, 0, sku, len);
}

void cat_rec_note_code(pl_txn_t *t, const void *key, size_t len)
{
    if (!t->write || t->rec_all || !len || len > PL_BARCODE_KEY_MAX || memchr(key, 0, len))
        return; /* no barcode the loader writes */
    note(t, CODE_TAG, key, len);
}

void cat_rec_free(pl_txn_t *t)
{
    if (t->recs) {
        free(t->recs->hash);
        free(t->recs->off);
        free(t->recs->arena);
        free(t->recs);
        t->recs = NULL;
    }
}

/* ---- building a record ------------------------------------------------------ */

struct build {
    rec_w *w;
    int64_t cutoff; /* instant - PL_HISTORY_WINDOW */
    int dropped;    /* a row was left out: the record serves from its instant on */
    uint32_t n;     /* rows in the list being written */
    int have;       /* prev holds a price row not yet written */
    pl_price_t prev;
};

static void put_price(struct build *b, const pl_price_t *p)
{
    rw_u8(b->w, p->level);
    rw_str(b->w, p->scope);
    rw_i64(b->w, p->start);
    rw_i64(b->w, p->price);
    rw_u8(b->w, p->scheduled);
    b->n++;
}

/* Rows arrive by level, scope, start. A row followed in its level and scope
 * by one that started at or before the cutoff is replaced by that one in
 * every lookup at or after the record's instant (view.c, add_price). */
static int add_price(const pl_price_t *p, void *arg)
{
    struct build *b = arg;
    if (b->have && p->level == b->prev.level && strcmp(p->scope, b->prev.scope) == 0 &&
        p->start <= b->cutoff)
        b->dropped = 1;
    else if (b->have)
        put_price(b, &b->prev);
    b->prev = *p;
    b->have = 1;
    return 0;
}

static int add_promo(const pl_promo_t *pr, void *arg)
{
    struct build *b = arg;
    int64_t end = pr->end;
    if (pr->cancelled_at != PL_TIME_NONE && pr->cancelled_at < end)
        end = pr->cancelled_at;
    if (end <= pr->start)
        return 0; /* never ran: no lookup reads it */
    if (end <= b->cutoff) {
        b->dropped = 1; /* over: no lookup from the record's instant on reads it */
        return 0;
    }
    rw_str(b->w, pr->id);
    rw_u8(b->w, pr->kind);
    rw_u8(b->w, pr->member_only);
    rw_u32(b->w, (uint32_t)pr->priority);
    rw_i64(b->w, pr->start);
    rw_i64(b->w, pr->end);
    rw_i64(b->w, pr->price);
    rw_u32(b->w, (uint32_t)pr->pct_off_bp);
    rw_u8(b->w, pr->scope_kind);
    rw_u8(b->w, pr->nscope);
    for (int i = 0; i < pr->nscope && i < PL_PROMO_SCOPE_MAX; i++)
        rw_str(b->w, pr->scope[i]);
    rw_i64(b->w, pr->cancelled_at);
    b->n++;
    return 0;
}

static int add_label(const pl_label_t *lb, void *arg)
{
    struct build *b = arg;
    rw_str(b->w, lb->scope);
    rw_i64(b->w, lb->price);
    rw_u64(b->w, lb->job);
    rw_i64(b->w, lb->printed_at);
    rw_i64(b->w, lb->due);
    rw_i64(b->w, lb->placed_at);
    b->n++;
    return 0;
}

static int add_job(const pl_label_job_t *j, void *arg)
{
    struct build *b = arg;
    rw_str(b->w, j->scope);
    rw_i64(b->w, j->due);
    b->n++;
    return 0;
}

static int first_gtin(const char *key, void *arg)
{
    if (strlen(key) != 14)
        return 0; /* a scale PLU key, not a printable barcode */
    memcpy(arg, key, 15);
    return 1;
}

/* Writes a list's count at its place once the list is written. */
static void patch_count(rec_w *w, size_t at, uint32_t n)
{
    if (!w->err)
        for (int i = 0; i < 4; i++)
            w->p[at + (size_t)i] = (uint8_t)(n >> (8 * i));
}

static size_t count_slot(rec_w *w)
{
    size_t at = w->len;
    rw_u32(w, 0);
    return at;
}

/* The record of sku as of instant at into w (cap REC_MAX). 0 (w holds it),
 * PL_ENOTFOUND (no such item), or the walks' error. A record that left no
 * row out serves every instant: its instant is then PL_TIME_NONE (the
 * smallest), and building it again at that instant gives the same bytes.
 * An item whose rows do not fit gets a record saying so. */
static int rec_build(pl_txn_t *t, const char *sku, int64_t at, rec_w *w)
{
    pl_item_t it;
    char gtin[15] = "";
    /* (verify passes the instant a stored record holds: any value) */
    struct build b = {
        .w = w, .cutoff = at < INT64_MIN + PL_HISTORY_WINDOW ? INT64_MIN : at - PL_HISTORY_WINDOW};
    int rc = pl_item_get(t, sku, &it);
    if (rc)
        return rc;
    w->len = 0;
    w->err = 0;
    rw_u8(w, ITEMREC_VERSION);
    rw_u8(w, KIND_ROWS);
    size_t at_at = w->len;
    rw_i64(w, at);
    cat_item_body_write(w, &it);
    rc = pl_cat_barcode_each(t, sku, first_gtin, gtin);
    if (rc == 1)
        rc = 0;
    rw_str(w, gtin);
    size_t at_n = count_slot(w);
    if (!rc)
        rc = pl_price_each(t, sku, add_price, &b);
    if (!rc && b.have)
        put_price(&b, &b.prev);
    patch_count(w, at_n, b.n);
    b.n = 0;
    at_n = count_slot(w);
    if (!rc)
        rc = pl_promo_each_for_item(t, sku, add_promo, &b);
    patch_count(w, at_n, b.n);
    b.n = 0;
    at_n = count_slot(w);
    if (!rc)
        rc = pl_label_each(t, sku, add_label, &b);
    patch_count(w, at_n, b.n);
    b.n = 0;
    at_n = count_slot(w);
    if (!rc)
        rc = pl_job_each_for_item(t, sku, add_job, &b);
    patch_count(w, at_n, b.n);
    if (rc)
        return rc;
    if (!b.dropped && !w->err) { /* serves every instant */
        size_t full = w->len;
        w->len = at_at;
        rw_i64(w, PL_TIME_NONE);
        w->len = full;
    }
    if (w->err) { /* too big: the lookup reads the rows */
        w->len = 0;
        w->err = 0;
        rw_u8(w, ITEMREC_VERSION);
        rw_u8(w, KIND_TOO_BIG);
        rw_i64(w, at);
    }
    return 0;
}

/* Writing records: the item's record is built at w.p, which lies CODE_HEAD
 * bytes into the buffer, so that its barcodes' records (the SKU in front of
 * the same bytes) need no copy. */
struct writer {
    pl_txn_t *t;
    int64_t at;
    rec_w w;
    const char *sku;
    int codes_bad;   /* a barcode's record could not be written or dropped */
    int codes_later; /* a whole rewrite: the barcodes' records come after the items' */
    unsigned append; /* MDB_APPEND in a whole rewrite: every key comes after the last */
};

/* A record's put; in key order, an append (LMDB then fills each page
 * instead of splitting it in half), else an insert. */
static int rec_put(struct writer *a, const void *k, size_t kl, const void *v, size_t vl)
{
    int rc = cat_put(a->t, DB_ITEMRECS, k, kl, v, vl, a->append);
    if (rc == PL_EEXIST && a->append) /* a key out of order (no item code the loader writes) */
        rc = cat_put(a->t, DB_ITEMRECS, k, kl, v, vl, 0);
    return rc;
}

/* The record of barcode key into a->t: CODE_TAG key → u8 length, SKU, the
 * item's record (put), or none (del). */
static int code_rec(struct writer *a, const char *key, int put)
{
    char k[1 + PL_BARCODE_KEY_MAX];
    size_t kl = strlen(key), n = strlen(a->sku);
    if (kl > PL_BARCODE_KEY_MAX)
        return PL_ECORRUPT;
    k[0] = CODE_TAG;
    memcpy(k + 1, key, kl);
    if (!put) {
        int rc = cat_del(a->t, DB_ITEMRECS, k, kl + 1, NULL, 0);
        return rc == PL_ENOTFOUND ? 0 : rc;
    }
    uint8_t *v = a->w.p - 1 - n;
    v[0] = (uint8_t)n;
    memcpy(v + 1, a->sku, n);
    return rec_put(a, k, kl + 1, v, 1 + n + a->w.len);
}

/* A barcode of the item: its record, when the barcodes database agrees
 * (what a lookup would read without the record). */
static int put_code(const char *key, void *arg)
{
    struct writer *a = arg;
    char owner[PL_ITEM_CODE_MAX + 1];
    int rc = pl_cat_barcode_get(a->t, key, owner);
    if (rc == PL_ENOTFOUND || rc == PL_ECORRUPT || (!rc && strcmp(owner, a->sku) != 0))
        return 0; /* (verify reports it) */
    return rc ? rc : code_rec(a, key, 1);
}

/* A whole rewrite writes the barcodes' records after the items', in the
 * barcodes' key order, each with its item's record just written: every put
 * appends (CAT_REC_CODE_TAG sorts after item codes), so LMDB fills its
 * pages (item by item they would land at random and stay half full). */
static int code_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct writer *a = arg;
    char key[PL_BARCODE_KEY_MAX + 1], sku[PL_ITEM_CODE_MAX + 1];
    MDB_val rec;
    if (k->mv_size == 0 || k->mv_size > PL_BARCODE_KEY_MAX || memchr(k->mv_data, 0, k->mv_size) ||
        v->mv_size == 0 || v->mv_size > PL_ITEM_CODE_MAX || memchr(v->mv_data, 0, v->mv_size))
        return 0; /* no barcode a lookup makes, or no item (verify reports it) */
    memcpy(key, k->mv_data, k->mv_size);
    key[k->mv_size] = 0;
    memcpy(sku, v->mv_data, v->mv_size);
    sku[v->mv_size] = 0;
    int rc = cat_get(a->t, DB_ITEMRECS, sku, v->mv_size, &rec);
    if (rc == PL_ENOTFOUND)
        return 0; /* the item has none: the lookup reads its rows */
    if (rc)
        return rc;
    if (rec.mv_size > a->w.cap)
        return PL_ECORRUPT;
    memcpy(a->w.p, rec.mv_data, rec.mv_size); /* (a put may move the page it is on) */
    a->w.len = rec.mv_size;
    a->sku = sku;
    return code_rec(a, key, 1);
}

static int del_code(const char *key, void *arg)
{
    return code_rec(arg, key, 0);
}

/* Rewrites one item's record and its barcodes': the item gone, or its rows
 * unreadable (the lookup then reports them as before), leave it none. */
static int rec_write(struct writer *a, const char *sku)
{
    pl_txn_t *t = a->t;
    a->sku = sku;
    int rc = rec_build(t, sku, a->at, &a->w);
    if (!rc) {
        rc = rec_put(a, sku, strlen(sku), a->w.p, a->w.len);
        if (!rc && !a->codes_later) {
            rc = pl_cat_barcode_each(t, sku, put_code, a);
            if (rc == PL_ECORRUPT)
                a->codes_bad = 1, rc = 0; /* (verify reports the barcode) */
        }
        return rc;
    }
    if (rc != PL_ENOTFOUND && rc != PL_ECORRUPT && rc != PL_EVERSION && rc != PL_EINVAL)
        return rc;
    rc = cat_del(t, DB_ITEMRECS, sku, strlen(sku), NULL, 0);
    if (rc == PL_ENOTFOUND)
        rc = 0;
    if (!rc && !a->codes_later) {
        int brc = pl_cat_barcode_each(t, sku, del_code, a);
        if (brc == PL_ECORRUPT)
            a->codes_bad = 1;
        else if (brc && brc != PL_ENOTFOUND)
            rc = brc;
    }
    return rc;
}

static int write_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    char sku[PL_ITEM_CODE_MAX + 1];
    (void)v;
    if (k->mv_size == 0 || k->mv_size > PL_ITEM_CODE_MAX || memchr(k->mv_data, 0, k->mv_size))
        return 0; /* no item a lookup can name (verify reports it) */
    memcpy(sku, k->mv_data, k->mv_size);
    sku[k->mv_size] = 0;
    return rec_write(arg, sku);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The named items in key order (LMDB writes in order touch fewer pages). */
static const char **sorted(const cat_recset_t *s)
{
    const char **o = malloc((s->n ? s->n : 1) * sizeof(*o));
    if (!o)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < s->slots; i++)
        if (s->hash[i])
            o[n++] = s->arena + s->off[i];
    qsort(o, n, sizeof(*o), cmp_str);
    return o;
}

int cat_rec_commit(pl_txn_t *t)
{
    uint64_t state = 0, recs = 0, codes = 0, before;
    int rc = cat_meta_get_u64(t, "state", &state);
    if (rc == PL_ENOTFOUND)
        state = 0, rc = 0; /* a catalogue from before states */
    if (!rc && cat_meta_get_u64(t, "recs", &recs) == PL_ENOTFOUND)
        recs = 0;
    /* "codes": the state the barcodes' records were last made current for
     * (a writer that keeps only the items' records leaves it behind) */
    if (!rc && cat_meta_get_u64(t, "codes", &codes) == PL_ENOTFOUND)
        codes = 0;
    before = t->bumped ? t->state_before : state;
    if (rc)
        return txn_fail(t, rc);
    if (!state)
        return 0; /* no state (a catalogue from before states, not bumped): none can be current */
    int all = t->rec_all || recs == 0 || recs != before || codes != recs;
    if (!all && !t->recs && recs == state)
        return 0; /* nothing of an item written, the records current */
    uint64_t items = 0;
    if (!all && t->recs && t->recs->n >= 1024 && pl_item_count(t, &items) == 0 &&
        t->recs->n >= items / 2)
        all = 1; /* most items named (an import): a whole rewrite, in order, costs less */
    uint8_t *buf = malloc(CODE_HEAD + REC_MAX);
    if (!buf)
        return txn_fail(t, -ENOMEM);
    struct writer a = {
        t, (int64_t)time(NULL) - PL_ITEM_REC_BACK, {buf + CODE_HEAD, 0, REC_MAX, 0}, NULL, 0, 0, 0};
    if (all) {
        rc = pl_err_from_mdb(mdb_drop(t->txn, t->cat->dbi[DB_ITEMRECS], 0));
        a.codes_later = 1;
        a.append = MDB_APPEND;
        if (!rc)
            rc = cat_walk(t, DB_ITEMS, NULL, 0, write_one, &a);
        if (!rc)
            rc = cat_walk(t, DB_BARCODES, NULL, 0, code_one, &a);
    } else if (t->recs) {
        const char **o = sorted(t->recs);
        if (!o)
            rc = -ENOMEM;
        /* first the named barcodes' records go, then the named items
         * write theirs (a barcode that moved is named with both items) */
        for (size_t i = 0; o && i < t->recs->n && !rc; i++)
            if (o[i][0] == CODE_TAG) {
                a.sku = "";
                rc = code_rec(&a, o[i] + 1, 0);
            }
        for (size_t i = 0; o && i < t->recs->n && !rc; i++)
            if (o[i][0] != CODE_TAG) {
                pl_cpu_share();
                rc = rec_write(&a, o[i]);
            }
        free((void *)o);
    }
    free(buf);
    if (!rc)
        rc = cat_meta_put_u64(t, "recs", state);
    if (!rc)
        rc = cat_meta_put_u64(t, "codes", a.codes_bad ? 0 : state);
    return txn_fail(t, rc);
}

/* ---- reading a record -------------------------------------------------------- */

/* Are the records current in this read snapshot? (Once per snapshot.)
 * rec_use: 1 the items' records, 3 the barcodes' too, 2 neither. */
static int recs_current(pl_txn_t *t)
{
    if (!t->rec_use) {
        uint64_t state = 0, recs = 0, codes = 0;
        int ok = cat_has(t, DB_ITEMRECS) && cat_meta_get_u64(t, "state", &state) == 0 &&
                 cat_meta_get_u64(t, "recs", &recs) == 0 && state && recs == state;
        int bc = ok && cat_meta_get_u64(t, "codes", &codes) == 0 && codes == state;
        t->rec_use = bc ? 3 : ok ? 1 : 2;
    }
    return t->rec_use & 1;
}

static int rows_decode(rec_r *r, const char *sku, int64_t now, pl_item_t *it, char gtin[15],
                       const pl_item_rows_fn_t *fn);

int pl_item_rows(pl_txn_t *t, const char *sku, int64_t now, pl_item_t *it, char gtin[15],
                 const pl_item_rows_fn_t *fn)
{
    MDB_val v;
    if (t->write || t->cat->no_item_recs || !recs_current(t))
        return 1;
    int rc = cat_get(t, DB_ITEMRECS, sku, strlen(sku), &v);
    if (rc)
        return rc == PL_ENOTFOUND ? 1 : rc;
    rec_r r = {v.mv_data, v.mv_size, 0, 0};
    return rows_decode(&r, sku, now, it, gtin, fn);
}

int pl_code_rows(pl_txn_t *t, const char *key, int64_t now, char *sku, pl_item_t *it, char gtin[15],
                 const pl_item_rows_fn_t *fn)
{
    char k[1 + PL_BARCODE_KEY_MAX];
    size_t kl = strlen(key);
    MDB_val v;
    sku[0] = 0;
    if (t->write || t->cat->no_item_recs || !recs_current(t) || t->rec_use != 3 ||
        kl > PL_BARCODE_KEY_MAX)
        return 1;
    k[0] = CODE_TAG;
    memcpy(k + 1, key, kl);
    int rc = cat_get(t, DB_ITEMRECS, k, kl + 1, &v);
    if (rc)
        return rc == PL_ENOTFOUND ? 1 : rc; /* no record: the barcodes database says */
    const uint8_t *p = v.mv_data;
    size_t n = v.mv_size ? p[0] : 0;
    if (!v.mv_size || n == 0 || n > PL_ITEM_CODE_MAX || 1 + n > v.mv_size || memchr(p + 1, 0, n))
        return PL_ECORRUPT;
    memcpy(sku, p + 1, n);
    sku[n] = 0;
    rec_r r = {p + 1 + n, v.mv_size - 1 - n, 0, 0};
    return rows_decode(&r, sku, now, it, gtin, fn);
}

/* A record's rows, after its key: see pl_item_rows. */
static int rows_decode(rec_r *rp, const char *sku, int64_t now, pl_item_t *it, char gtin[15],
                       const pl_item_rows_fn_t *fn)
{
    rec_r r = *rp;
    int rc;
    if (rr_u8(&r) != ITEMREC_VERSION)
        return r.err ? PL_ECORRUPT : 1;
    uint8_t kind = rr_u8(&r);
    int64_t at = rr_i64(&r);
    if (r.err || kind > KIND_TOO_BIG)
        return PL_ECORRUPT;
    if (kind == KIND_TOO_BIG || now < at)
        return 1;
    memset(it, 0, sizeof(*it));
    pl_str_copy(it->sku, sizeof(it->sku), sku);
    cat_item_body_read(&r, it);
    rr_str(&r, gtin, 15);
    if (r.err)
        return PL_ECORRUPT;

    uint32_t n = rr_u32(&r);
    for (uint32_t i = 0; i < n && !r.err; i++) {
        pl_price_t p;
        p.level = rr_u8(&r);
        rr_str(&r, p.scope, sizeof(p.scope));
        p.start = rr_i64(&r);
        p.price = rr_i64(&r);
        p.scheduled = rr_u8(&r);
        if (!r.err && fn->price && (rc = fn->price(&p, fn->arg)) != 0)
            return rc;
    }
    n = rr_u32(&r);
    for (uint32_t i = 0; i < n && !r.err; i++) {
        pl_promo_t pr;
        rr_str(&r, pr.id, sizeof(pr.id));
        pr.kind = rr_u8(&r);
        pr.member_only = rr_u8(&r);
        pr.priority = (int32_t)rr_u32(&r);
        pr.start = rr_i64(&r);
        pr.end = rr_i64(&r);
        pr.price = rr_i64(&r);
        pr.pct_off_bp = (int32_t)rr_u32(&r);
        pr.scope_kind = rr_u8(&r);
        pr.nscope = rr_u8(&r);
        if (pr.nscope > PL_PROMO_SCOPE_MAX)
            return PL_ECORRUPT;
        for (int s = 0; s < pr.nscope; s++)
            rr_str(&r, pr.scope[s], sizeof(pr.scope[s]));
        pr.cancelled_at = rr_i64(&r);
        pr.text[0] = pr.batch[0] = 0;
        if (!r.err && fn->promo && (rc = fn->promo(&pr, fn->arg)) != 0)
            return rc;
    }
    n = rr_u32(&r);
    for (uint32_t i = 0; i < n && !r.err; i++) {
        pl_label_t lb;
        lb.sku[0] = 0; /* (not read: the caller has the item's code) */
        rr_str(&r, lb.scope, sizeof(lb.scope));
        lb.price = rr_i64(&r);
        lb.job = rr_u64(&r);
        lb.printed_at = rr_i64(&r);
        lb.due = rr_i64(&r);
        lb.placed_at = rr_i64(&r);
        if (!r.err && fn->label && (rc = fn->label(&lb, fn->arg)) != 0)
            return rc;
    }
    n = rr_u32(&r);
    for (uint32_t i = 0; i < n && !r.err; i++) {
        pl_label_job_t j;
        rr_str(&r, j.scope, sizeof(j.scope));
        j.due = rr_i64(&r);
        if (!r.err && fn->job && (rc = fn->job(&j, fn->arg)) != 0)
            return rc;
    }
    return r.err || r.off != r.len ? PL_ECORRUPT : 0;
}

int cat_rec_build_buf(pl_txn_t *t, const char *sku, int64_t at, uint8_t *buf, size_t cap,
                      size_t *len)
{
    rec_w w = {buf, 0, cap < REC_MAX ? cap : REC_MAX, 0};
    int rc = rec_build(t, sku, at, &w);
    *len = rc ? 0 : w.len;
    return rc;
}
