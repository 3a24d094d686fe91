/* resolve: normalize the code, find the item, get its view (cache or
 * catalogue), evaluate it at `now`. The resolver's snapshot and store table
 * are here too; what GS1 data does to an answer is in resolve_gs1.c,
 * finished answers (memo, shared cache) in resolve_answer.c. */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pricelane/err.h"
#include "pricelane/str.h"
#include "pricelane/timefmt.h"
#include "rec.h"
#include "resolve_int.h"

/* The answer depends on key kind+key[0..len) (dependency i: 0 its item, 1
 * the barcode it was reached by). The key itself is kept only for a shared
 * answer's trailer (pl_resolve starts with no_dep, so a resolver switched to
 * sharing never stores keys of an earlier lookup). */
static void set_dep(pl_resolver_t *r, int i, char kind, const char *key, size_t len)
{
    r->dep[i] = track_dep(&r->tk, kind, key, len);
    if (!r->share_answers)
        return;
    if (len >= DEP_KEY_MAX) { /* no SKU or barcode key is this long */
        r->deplen[i] = DEP_TOO_LONG;
        return;
    }
    r->depkey[i][0] = kind;
    memcpy(r->depkey[i] + 1, key, len);
    r->deplen[i] = (uint8_t)(len + 1);
}

static void no_dep(pl_resolver_t *r, int i)
{
    r->dep[i] = TRACK_NO_DEP;
    r->deplen[i] = 0;
}

int pl_resolver_new(pl_cat_t *cat, pl_cache_t *cache, pl_resolver_t **out)
{
    pl_resolver_t *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->cat = cat;
    r->cache = cache;
    if (track_init(&r->tk) != 0) {
        free(r);
        return -ENOMEM;
    }
    pl_barcode_cfg_default(&r->default_cfg);
    r->answer_format = resolve_answer_format();
    *out = r;
    return 0;
}

void pl_resolver_share_answers(pl_resolver_t *r, int on)
{
    r->share_answers = on != 0;
}

void pl_resolver_free(pl_resolver_t *r)
{
    if (!r)
        return;
    pl_txn_abort(r->txn);
    track_free(&r->tk);
    free(r->xmd);
    free(r->stores);
    free(r);
}

static int store_cmp(const void *a, const void *b)
{
    return strcmp(((const rstore_t *)a)->st.id, ((const rstore_t *)b)->st.id);
}

/* The array p of *cap elements (n in use) with room for one more: p, or
 * p grown (doubled, from `first` elements) with *cap updated, or NULL when
 * out of memory (p is then still valid and unchanged). */
static void *grow(void *p, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return p;
    size_t c = *cap ? *cap * 2 : first;
    void *q = realloc(p, c * size);
    if (q)
        *cap = c;
    return q;
}

static int load_store(const pl_store_t *st, void *arg)
{
    pl_resolver_t *r = arg;
    rstore_t *a = grow(r->stores, &r->capstores, r->nstores, sizeof(*a), 16);
    if (!a)
        return -ENOMEM;
    r->stores = a;
    rstore_t *s = &r->stores[r->nstores++];
    s->st = *st;
    s->cfg = r->default_cfg;
    /* Formats were validated when the store was written; a failure here
     * leaves the defaults in place. */
    if (st->formats[0])
        pl_barcode_cfg_formats(&s->cfg, st->formats, NULL, 0);
    return 0;
}

static int load_xmd(const pl_xmd_t *x, void *arg)
{
    pl_resolver_t *r = arg;
    pl_xmd_t *a = grow(r->xmd, &r->capxmd, r->nxmd, sizeof(*a), 8);
    if (!a)
        return -ENOMEM;
    r->xmd = a;
    r->xmd[r->nxmd++] = *x;
    return 0;
}

static int reload_stores(pl_resolver_t *r)
{
    r->nstores = 0;
    r->stores_loaded = 0; /* until the whole table is read */
    int rc = pl_store_each(r->txn, load_store, r);
    if (rc)
        return rc;
    r->nxmd = 0;
    rc = pl_xmd_each(r->txn, load_xmd, r);
    if (rc)
        return rc;
    if (r->nstores) /* qsort and bsearch must not be given NULL, even for 0 */
        qsort(r->stores, r->nstores, sizeof(*r->stores), store_cmp);
    r->stores_epoch = r->tk.epoch;
    r->stores_loaded = 1;
    return 0;
}

static const rstore_t *find_store(const pl_resolver_t *r, const char *id)
{
    rstore_t key;
    if (!r->nstores)
        return NULL;
    pl_str_copy(key.st.id, sizeof(key.st.id), id);
    return bsearch(&key, r->stores, r->nstores, sizeof(*r->stores), store_cmp);
}

static const char *zone_of(void *arg, const char *store)
{
    const rstore_t *s = find_store(arg, store);
    return s ? s->st.zone : NULL;
}

int pl_resolver_refresh(pl_resolver_t *r)
{
    int rc;
    r->stale = 0;
    if (!r->txn) {
        rc = pl_txn_begin(r->cat, 0, &r->txn);
    } else {
        if (r->active)
            pl_txn_reset(r->txn);
        rc = pl_txn_renew(r->txn);
    }
    r->active = rc == 0;
    if (rc)
        return rc;
    /* No commit since the last snapshot (the common case: a server renews
     * at every batch of requests, a batch is committed a few times a
     * second): the meta, the change log, the store table and the recalls
     * are what they were, and reading them again would cost more than the
     * requests of a small batch. */
    uint64_t id = pl_txn_id(r->txn);
    if (r->read && id == r->txn_id)
        return 0;
    r->read = 0;
    pl_meta_t m;
    rc = pl_meta_get(r->txn, &m);
    if (rc == 0) {
        r->gen = m.gen;
        r->state = m.state;
        r->utc_offset = m.utc_offset_min;
        track_update(&r->tk, r->txn, m.gen, m.state);
        memcpy(r->currency, m.currency, sizeof(r->currency));
        /* Stores (and expiry markdown rules) change only by a wide change,
         * which moves the epoch. */
        if (!r->stores_loaded || r->stores_epoch != r->tk.epoch)
            rc = reload_stores(r);
        if (!rc) {
            /* every batch changes the state: read with the snapshot */
            int any = pl_recall_any(r->txn);
            r->recalls = any != 0; /* an error: walk, and meet the error there */
        }
    }
    if (rc) {
        /* No snapshot half taken: lookups answer the error, and the next
         * one tries again, never with this transaction and the previous
         * state's tags or stores. */
        pl_txn_reset(r->txn);
        r->active = 0;
    } else {
        r->read = 1;
        r->txn_id = id;
    }
    return rc;
}

int pl_resolver_snapshot(pl_resolver_t *r)
{
    if (r->active && !r->stale)
        return 0;
    int rc = pl_resolver_refresh(r);
    return rc ? rc : 1;
}

void pl_resolver_stale(pl_resolver_t *r)
{
    r->stale = 1;
}

void pl_resolver_release(pl_resolver_t *r)
{
    if (r->txn && r->active)
        pl_txn_reset(r->txn);
    r->active = 0;
}

uint64_t pl_resolver_gen(const pl_resolver_t *r)
{
    return r->gen;
}

void pl_resolver_changes(const pl_resolver_t *r, uint64_t *followed, uint64_t *flushes)
{
    *followed = r->tk.followed;
    *flushes = r->tk.epoch;
}

int pl_resolver_utc_offset(const pl_resolver_t *r)
{
    return r->utc_offset;
}

static void answer_init(pl_answer_t *a, const char *code, size_t len, uint64_t gen)
{
    while (len && isspace((unsigned char)*code))
        code++, len--;
    while (len && isspace((unsigned char)code[len - 1]))
        len--;
    memset(a, 0, offsetof(pl_answer_t, gs1));
    a->gs1.form = PL_GS1_PLAIN;
    if (len > PL_CODE_ECHO_MAX)
        len = PL_CODE_ECHO_MAX;
    memcpy(a->code, code, len);
    a->base_price = a->price = a->label_price = PL_PRICE_NONE;
    a->prev_price = a->low_7d = a->unit_price = PL_PRICE_NONE;
    a->promo_ends = a->prev_changed_at = PL_TIME_NONE;
    a->gen = gen;
    a->valid_until = INT64_MAX;
}

int resolve_fail(pl_answer_t *a, pl_status_t st, int rc, const char *fmt, const char *arg)
{
    a->status = st;
    if (st == PL_ANS_ERROR)
        a->valid_until = PL_TIME_NONE; /* a read error is never kept */
    snprintf(a->error, sizeof(a->error), fmt, arg);
    return rc;
}

/* Cache key: kind, code key, NUL, zone, and for per-store views NUL store. */
static size_t cache_key(char *k, const pl_code_t *c, const char *zone, const char *store)
{
    const char *parts[3] = {c->kind == PL_CODE_GTIN ? c->gtin : c->item, zone, store};
    size_t n = 1;
    k[0] = c->kind == PL_CODE_ITEM ? 'I' : c->kind == PL_CODE_GTIN ? 'G' : 'P';
    for (int i = 0; i < 3 && parts[i]; i++) {
        size_t len = strlen(parts[i]);
        if (n + len + 1 > PL_CACHE_KEY_MAX)
            return 0;
        memcpy(k + n, parts[i], len);
        n += len;
        if (i < 2 && parts[i + 1])
            k[n++] = 0;
    }
    return n;
}

/* A view from the cache: built from any generation and state the tracker
 * still vouches for, given what it read (its item; the barcode it was
 * reached by, r->dep[1]). */
static int cache_fetch(pl_resolver_t *r, const char *key, size_t klen, int64_t now)
{
    size_t vlen;
    uint64_t tag;
    if (!r->cache || !klen)
        return 0;
    /* Straight into the view: the get copies the value once, as it checks
     * it (r->view is rebuilt whenever this fails). */
    if (pl_cache_get_any(r->cache, key, klen, &tag, &r->view, pl_cache_value_max(), &vlen) != 0)
        return 0;
    /* A view answers for instants from its build time on. */
    if (view_unpack_in_place(&r->view, vlen) != 0 || r->view.built_at > now)
        return 0;
    set_dep(r, 0, 's', r->view.item.sku, strlen(r->view.item.sku));
    return track_valid(&r->tk, tag, r->view.gen, r->dep, 2);
}

static void cache_store(pl_resolver_t *r, const char *key, size_t klen)
{
    if (!r->cache || !klen)
        return;
    size_t vlen = view_pack(&r->view, r->packbuf, pl_cache_value_max());
    if (vlen)
        pl_cache_put(r->cache, key, klen, r->state, r->packbuf, vlen);
}

int pl_code_sku(pl_txn_t *txn, const pl_code_t *c, char *sku)
{
    char key[PL_BARCODE_KEY_MAX + 2];
    if (c->kind == PL_CODE_ITEM) {
        pl_str_copy(sku, PL_ITEM_CODE_MAX + 1, c->item);
        return 0;
    }
    pl_barcode_key(c, key, sizeof(key));
    return pl_cat_barcode_get(txn, key, sku);
}

static int all_digits(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int pl_code_normalize(pl_txn_t *txn, const pl_barcode_cfg_t *cfg, const char *code, size_t len,
                      pl_code_t *c)
{
    int rc = pl_barcode_normalize(cfg, code, len, c);
    if (!rc)
        return 0;
    while (len && isspace((unsigned char)*code))
        code++, len--;
    while (len && isspace((unsigned char)code[len - 1]))
        len--;
    pl_item_t it;
    char sku[PL_ITEM_CODE_MAX + 1];
    if (!all_digits(code, len) || len > PL_ITEM_CODE_MAX)
        return rc;
    memcpy(sku, code, len);
    sku[len] = 0;
    if (pl_item_get(txn, sku, &it) != 0)
        return rc;
    memset(c, 0, sizeof(*c));
    c->kind = PL_CODE_ITEM;
    memcpy(c->item, sku, len + 1);
    return 0;
}

/* Gets the view into r->view from the cache or the catalogue. */
static int get_view(pl_resolver_t *r, const pl_code_t *c, const char *zone, const char *store,
                    int64_t now, pl_answer_t *a)
{
    char zkey[PL_CACHE_KEY_MAX], skey[PL_CACHE_KEY_MAX], bkey[PL_BARCODE_KEY_MAX + 2];
    no_dep(r, 1);
    if (c->kind != PL_CODE_ITEM) {
        pl_barcode_key(c, bkey, sizeof(bkey));
        set_dep(r, 1, 'b', bkey, strlen(bkey));
    }
    /* (no cache: no keys to make) */
    size_t zlen = r->cache ? cache_key(zkey, c, zone, NULL) : 0;
    size_t slen = r->cache && store ? cache_key(skey, c, zone, store) : 0;
    if (cache_fetch(r, zkey, zlen, now) || cache_fetch(r, skey, slen, now))
        return 0;

    /* A barcode's own record gives its item and the item's rows in one
     * descent; else the barcode leads to the item, whose view is built. */
    char sku[PL_ITEM_CODE_MAX + 1] = "";
    int rc = 1;
    if (c->kind != PL_CODE_ITEM)
        rc = view_build_code(r->txn, bkey, zone, now, zone_of, r, &r->view, sku);
    int built = rc != 1;
    if (!built && !sku[0]) {
        if (c->kind == PL_CODE_ITEM) {
            pl_str_copy(sku, sizeof(sku), c->item);
            rc = 0;
        } else {
            rc = pl_cat_barcode_get(r->txn, bkey, sku);
        }
    } else if (!built) {
        rc = 0;
    }
    if (sku[0] && (built || rc == 0))
        set_dep(r, 0, 's', sku, strlen(sku));
    if (rc == PL_ENOTFOUND && !built)
        return c->kind == PL_CODE_ITEM
                   ? resolve_fail(a, PL_ANS_NOT_FOUND, rc, "no item has code %s", sku)
                   : resolve_fail(a, PL_ANS_NOT_FOUND, rc, "no item has barcode %s",
                                  c->gtin[0] ? c->gtin : c->item);
    if (!rc && !built)
        rc = view_build(r->txn, sku, zone, NULL, now, zone_of, r, &r->view);
    if (rc == PL_ETOOBIG && store) {
        rc = view_build(r->txn, sku, zone, store, now, zone_of, r, &r->view);
        zlen = 0;
    }
    if (rc == PL_ENOTFOUND)
        return resolve_fail(a, PL_ANS_NOT_FOUND, rc, "no item has code %s", sku);
    if (rc)
        return resolve_fail(a, PL_ANS_ERROR, rc, "catalogue: %s", pl_strerror(rc));
    r->view.gen = r->gen;
    if (zlen)
        cache_store(r, zkey, zlen);
    else
        cache_store(r, skey, slen);
    return 0;
}

/* Charges round down: never against the customer. */
void resolve_apply_measure(const pl_code_t *c, pl_answer_t *a)
{
    a->measure = c->measure;
    a->amount = c->amount;
    a->unit_price = a->price;
    switch (c->measure) {
    case PL_MEASURE_WEIGHT:
        a->price = a->unit_price * c->amount / 1000;
        break;
    case PL_MEASURE_COUNT:
        a->price = a->unit_price * c->amount;
        break;
    case PL_MEASURE_PRICE:
        a->price = c->amount;
        a->source = "embedded";
        break;
    default:
        break;
    }
}

int pl_resolve(pl_resolver_t *r, const char *store, const char *code, size_t len, int64_t now,
               int member, pl_answer_t *a)
{
    int rc = pl_resolver_snapshot(r);
    answer_init(a, code, len, r->gen);
    no_dep(r, 0);
    no_dep(r, 1);
    if (rc < 0)
        return resolve_fail(a, PL_ANS_ERROR, rc, "catalogue: %s", pl_strerror(rc));

    const rstore_t *st = NULL;
    if (store && store[0]) {
        st = find_store(r, store);
        if (!st)
            return resolve_fail(a, PL_ANS_ERROR, PL_ENOTFOUND, "unknown store '%s'", store);
    }
    const char *zone = st ? st->st.zone : "";
    pl_code_t c;
    const pl_barcode_cfg_t *cfg = st ? &st->cfg : &r->default_cfg;
    /* the day (and year, for GS1 dates' century) of now */
    if (now < r->day_from || now >= r->day_to || r->day_offset != r->utc_offset) {
        pl_time_civil(now, r->utc_offset, &r->year, &r->month, &r->mday);
        r->day_from = pl_time_local(r->year, r->month, r->mday, 0, 0, r->utc_offset);
        r->day_to = pl_time_local(r->year, r->month, r->mday + 1, 0, 0, r->utc_offset);
        r->year_to = pl_time_local(r->year + 1, 1, 1, 0, 0, r->utc_offset);
        r->day_offset = r->utc_offset;
        r->leap = r->year % 4 == 0 && (r->year % 100 != 0 || r->year % 400 == 0);
        r->yday = resolve_yday(r, r->month, r->mday);
    }
    int64_t year = r->year;
    rc = pl_gs1_parse(code, len, (int)year, &a->gs1);
    if (rc) {
        /* the verdict can change with the century of a date (a 29 February) */
        a->valid_until = r->year_to;
        a->gs1.form = PL_GS1_PLAIN;
        return resolve_fail(a, PL_ANS_BAD_CODE, 0, "%s", a->gs1.error);
    }
    if (a->gs1.form == PL_GS1_PLAIN)
        rc = pl_code_normalize(r->txn, cfg, code + a->gs1.plain_off, a->gs1.plain_len, &c);
    else
        rc = pl_barcode_normalize(cfg, a->gs1.gtin, 14, &c);
    if (rc) {
        /* Bad now; an item with this code as its SKU would make it keyed. */
        const char *k = code + a->gs1.plain_off;
        size_t kl = a->gs1.plain_len;
        while (kl && isspace((unsigned char)*k))
            k++, kl--;
        while (kl && isspace((unsigned char)k[kl - 1]))
            kl--;
        set_dep(r, 0, 's', k, kl);
        return resolve_fail(a, PL_ANS_BAD_CODE, 0, "%s", c.error);
    }
    if (c.kind != PL_CODE_ITEM)
        memcpy(a->gtin, c.gtin, sizeof(a->gtin));

    rc = get_view(r, &c, zone, st ? st->st.id : NULL, now, a);
    if (rc)
        return a->status == PL_ANS_NOT_FOUND ? 0 : rc;
    const view_t *v = &r->view;
    a->valid_until = view_next_change(v, now);
    memcpy(a->sku, v->item.sku, sizeof(a->sku));
    memcpy(a->name, v->item.name, sizeof(a->name));
    memcpy(a->unit, v->item.unit, sizeof(a->unit));
    a->pack_qty = v->item.pack_qty;
    if (!a->gtin[0])
        memcpy(a->gtin, v->gtin, sizeof(a->gtin));
    if (v->item.flags & PL_ITEM_DISCONTINUED) {
        resolve_fail(a, PL_ANS_NOT_FOUND, 0, "item %s is discontinued", v->item.sku);
        return 0;
    }
    if (view_eval(v, st ? st->st.id : NULL, now, member & PL_LOOKUP_MEMBER, a) != 0) {
        resolve_fail(a, PL_ANS_NO_PRICE, 0, "item %s has no price in force", v->item.sku);
        return 0;
    }
    if (c.kind == PL_CODE_VARIABLE)
        resolve_apply_measure(&c, a);
    a->status = PL_ANS_OK;
    if (a->gs1.form != PL_GS1_PLAIN) {
        rc = resolve_check_recall(r, now, a);
        if (rc < 0)
            return rc;
        resolve_apply_gs1(r, st, v->item.dept, (unsigned)member, now, a);
    }
    return 0;
}
