/* The change log (catalog.h, "change log"): what each generation changed.
 *
 * Write side: a write transaction collects the keys its writes touched in a
 * set (deduplicated by a small open-addressing table of their hashes) and,
 * if it bumped the generation, writes them as that generation's record at
 * commit. Which key a write touches is decided here, per database, from the
 * key (and value) written: so every writer, present or future, is covered.
 *
 * Record: u8 version, u8 flags (1 = wide), u64 prev_state, u64 state,
 * u32 nkeys, then nkeys × (u8 length, bytes). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "catalog_int.h"
#include "pricelane/err.h"
#include "pricelane/random.h"
#include "rec.h"

#define CHANGE_VERSION 1
#define CHANGE_WIDE 1
#define SET_SLOTS (2 * PL_CHANGE_KEYS_MAX) /* power of two, at most half full */

/* The keys' hash. A test compiles this file with a hash that makes every
 * key collide (tests/unit/test_change_keys.c). */
#ifndef CHANGE_KEY_HASH
#define CHANGE_KEY_HASH(p, n, seed) XXH3_64bits_withSeed(p, n, seed)
#endif

/* The set's table holds each key's hash and where the key is in `keys`: two
 * keys are the same only when their bytes are, so keys whose hashes collide
 * (a batch's rows are an attacker's: XXH3 collisions can be searched for)
 * are both listed, never one taken for the other. Seeded per transaction. */
typedef struct cat_touched {
    int wide;
    uint32_t n;
    uint64_t seed;
    uint64_t set[SET_SLOTS]; /* key hashes (0: empty) */
    uint32_t at[SET_SLOTS];  /* offset of the key's length byte in keys */
    size_t len, cap;
    uint8_t *keys; /* n × (u8 length, bytes): the record's tail */
} cat_touched_t;

static cat_touched_t *touched(pl_txn_t *t)
{
    if (!t->touched && (t->touched = calloc(1, sizeof(*t->touched))))
        t->touched->seed = pl_random_u64();
    return t->touched;
}

/* Any answer may have changed: no keys are listed. */
static void touch_wide(pl_txn_t *t)
{
    cat_touched_t *s = touched(t);
    if (s)
        s->wide = 1;
    else
        txn_fail(t, -ENOMEM);
}

/* Written around the hooks (a restore, a snapshot): the item records are
 * rewritten too, every one. */
void pl_txn_touch_all(pl_txn_t *t)
{
    touch_wide(t);
    t->rec_all = 1;
}

static void touch_key(pl_txn_t *t, char kind, const void *k, size_t klen)
{
    cat_touched_t *s = touched(t);
    if (!s) {
        txn_fail(t, -ENOMEM);
        return;
    }
    if (s->wide || !klen)
        return;
    if (klen > 254 || s->n == PL_CHANGE_KEYS_MAX) { /* not describable key by key */
        s->wide = 1;
        return;
    }
    uint8_t buf[256];
    buf[0] = (uint8_t)kind;
    memcpy(buf + 1, k, klen);
    uint64_t h = CHANGE_KEY_HASH(buf, klen + 1, s->seed) | 1;
    size_t i = h & (SET_SLOTS - 1);
    for (; s->set[i]; i = (i + 1) & (SET_SLOTS - 1))
        if (s->set[i] == h && s->keys[s->at[i]] == klen + 1 &&
            memcmp(s->keys + s->at[i] + 1, buf, klen + 1) == 0)
            return; /* already listed */
    if (s->len + klen + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        while (cap < s->len + klen + 2)
            cap *= 2;
        uint8_t *p = realloc(s->keys, cap);
        if (!p) {
            txn_fail(t, -ENOMEM);
            return;
        }
        s->keys = p;
        s->cap = cap;
    }
    s->set[i] = h;
    s->at[i] = (uint32_t)s->len;
    s->keys[s->len++] = (uint8_t)(klen + 1);
    memcpy(s->keys + s->len, buf, klen + 1);
    s->len += klen + 1;
    s->n++;
}

/* The SKU a composite key starts with (sku NUL ...). */
static size_t sku_part(const void *k, size_t klen)
{
    const char *z = memchr(k, 0, klen);
    return z ? (size_t)(z - (const char *)k) : klen;
}

void cat_touch(pl_txn_t *t, int db, const void *k, size_t klen, const void *v, size_t vlen)
{
    switch (db) {
    case DB_ITEMS:
    case DB_ITEMCODES:
    case DB_PROMOITEMS: /* a promotion's every item is unindexed and indexed by each put */
    case DB_LJOBITEM:   /* a job changes state only with its item's pending index */
        touch_key(t, 's', k, klen);
        cat_rec_note(t, k, klen); /* what the item's record holds: catalog_rec.c */
        break;
    case DB_PRICES:
    case DB_LABELS:
        touch_key(t, 's', k, sku_part(k, klen));
        cat_rec_note(t, k, sku_part(k, klen));
        break;
    case DB_BARCODES:
        touch_key(t, 'b', k, klen);
        cat_rec_note_code(t, k, klen); /* the barcode's record: catalog_rec.c */
        if (v)
            touch_key(t, 's', v, vlen);
        break;
    case DB_RECALLITEMS:
        touch_key(t, 's', k, klen);
        break;
    case DB_STORES:     /* zones and scale formats: any answer of the store */
    case DB_RECALLS:    /* an item or one barcode, by lot: rare, so all answers */
    case DB_XMARKDOWNS: /* rules by department, items, zones: all 2D answers */
        touch_wide(t);  /* (item records hold none of these) */
        break;
    default: /* meta, promotion records (their items above), jobs, ledger, log, item records */
        break;
    }
}

void cat_changes_free(pl_txn_t *t)
{
    if (t->touched) {
        free(t->touched->keys);
        free(t->touched);
        t->touched = NULL;
    }
}

int cat_changes_commit(pl_txn_t *t)
{
    if (!t->bumped)
        return 0;
    cat_touched_t *s = touched(t);
    if (!s)
        return txn_fail(t, -ENOMEM);
    size_t cap = 32 + (s->wide ? 0 : s->len);
    uint8_t *b = malloc(cap), k[8];
    if (!b)
        return txn_fail(t, -ENOMEM);
    rec_w w = {b, 0, cap, 0};
    rw_u8(&w, CHANGE_VERSION);
    rw_u8(&w, s->wide ? CHANGE_WIDE : 0);
    rw_u64(&w, t->bump_prev);
    rw_u64(&w, t->bump_state);
    rw_u32(&w, s->wide ? 0 : s->n);
    if (!s->wide && s->len) /* no keys: none to copy (and no buffer) */
        rw_bytes(&w, s->keys, s->len);
    key_be64(k, t->bump_gen);
    int rc = w.err ? txn_fail(t, PL_EINVAL) : cat_put(t, DB_CHANGES, k, 8, b, w.len, 0);
    free(b);
    if (!rc && t->bump_gen > PL_CHANGE_KEEP) {
        key_be64(k, t->bump_gen - PL_CHANGE_KEEP);
        rc = cat_del(t, DB_CHANGES, k, 8, NULL, 0);
        if (rc == PL_ENOTFOUND)
            rc = 0;
    }
    return rc;
}

int pl_change_get(pl_txn_t *t, uint64_t gen, pl_change_t *c,
                  int (*fn)(const char *key, size_t len, void *arg), void *arg)
{
    uint8_t k[8];
    MDB_val v;
    memset(c, 0, sizeof(*c));
    if (!cat_has(t, DB_CHANGES))
        return PL_ENOTFOUND;
    key_be64(k, gen);
    int rc = cat_get(t, DB_CHANGES, k, 8, &v);
    if (rc)
        return rc;
    rec_r r = {v.mv_data, v.mv_size, 0, 0};
    if (rr_u8(&r) != CHANGE_VERSION)
        return r.err ? PL_ECORRUPT : PL_EVERSION;
    uint8_t flags = rr_u8(&r);
    c->gen = gen;
    c->prev_state = rr_u64(&r);
    c->state = rr_u64(&r);
    c->nkeys = rr_u32(&r);
    c->wide = (flags & CHANGE_WIDE) != 0;
    if (r.err || (c->wide && c->nkeys))
        return PL_ECORRUPT;
    for (uint32_t i = 0; i < c->nkeys; i++) {
        uint8_t n = rr_u8(&r);
        const uint8_t *key = rr_take(&r, n);
        if (!key || !n)
            return PL_ECORRUPT;
        if (fn && (rc = fn((const char *)key, n, arg)) != 0)
            return rc;
    }
    return r.off == r.len ? 0 : PL_ECORRUPT;
}
