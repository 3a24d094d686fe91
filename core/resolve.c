/* resolve: normalize the code, find the item, get its view (cache or
 * catalogue), evaluate it at `now`. */
#include <ctype.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "pricelane/cache.h"
#include "pricelane/err.h"
#include "pricelane/memo.h"
#include "pricelane/random.h"
#include "pricelane/resolve.h"
#include "pricelane/str.h"
#include "pricelane/timefmt.h"
#include "rec.h"
#include "track.h"
#include "view.h"

typedef struct rstore {
    pl_store_t st;
    pl_barcode_cfg_t cfg;
} rstore_t;

#define DEP_KEY_MAX (1 + PL_ITEM_CODE_MAX) /* kind byte and an SKU or barcode key */
#define DEP_TOO_LONG 255                   /* deplen: a key that does not fit: never shared */
_Static_assert(PL_BARCODE_KEY_MAX <= PL_ITEM_CODE_MAX, "a barcode key fits a dependency key");

struct pl_resolver {
    pl_cat_t *cat;
    pl_cache_t *cache;
    pl_txn_t *txn;
    int active; /* a snapshot is held */
    int stale;  /* requests arrived since it was taken: the next lookup renews it */
    int read;   /* what follows was read from the committed state txn_id */
    uint64_t txn_id;
    uint64_t gen;
    uint64_t state; /* pl_meta_t.state: the tag of every cached view and memoized answer */
    int utc_offset;
    track_t tk;      /* which of them the batches since left exact */
    uint32_t dep[2]; /* the last answer's item and barcode slots (track_dep) */
    /* and the keys behind them (kind byte, then the key; length 0: none), which
     * another resolver, whose tracker hashes under another seed, needs */
    uint8_t deplen[2]; /* DEP_TOO_LONG: the answer stays in this resolver's memo */
    char depkey[2][DEP_KEY_MAX];
    uint64_t stores_epoch; /* tk.epoch the store table was read at */
    char currency[4];      /* the catalogue's (meta), for amounts in GS1 data */
    int recalls;           /* the snapshot holds recalls (else a lot needs no walk) */
    pl_xmd_t *xmd;         /* expiry markdown rules, read with the store table */
    /* today in the catalogue's offset, kept while now is in it: the local
     * day [day_from, day_to) is y-m-d of the year ending at year_to */
    int64_t day_from, day_to, year_to;
    int64_t year;
    int month, mday, day_offset;
    int yday, leap; /* today's day of the year (0: 1 January), and whether it is a leap year */
    size_t nxmd, capxmd;
    int stores_loaded;
    rstore_t *stores; /* sorted by id */
    size_t nstores, capstores;
    pl_barcode_cfg_t default_cfg;
    view_t view;
    uint8_t packbuf[PL_CACHE_SLOT_SIZE];
    uint64_t answer_format; /* the build that writes this resolver's answers (answer_format) */
    int share_answers;      /* pl_resolver_share_answers */
};

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

/* The program's GNU build ID (the first loaded object is the program
 * itself), hashed into *arg. */
static int build_id_of_program(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr), *end = p + ph->p_memsz;
        while ((size_t)(end - p) >= sizeof(ElfW(Nhdr))) {
            ElfW(Nhdr) n;
            memcpy(&n, p, sizeof(n));
            const char *name = p + sizeof(n);
            size_t nsz = (n.n_namesz + 3u) & ~3u, dsz = (n.n_descsz + 3u) & ~3u;
            if ((size_t)(end - name) < nsz || (size_t)(end - name) - nsz < dsz)
                break;
            if (n.n_type == NT_GNU_BUILD_ID && n.n_namesz == 4 && memcmp(name, "GNU", 4) == 0 &&
                n.n_descsz > 0) {
                *(uint64_t *)arg = XXH3_64bits(name + nsz, n.n_descsz) | 1;
                return 1;
            }
            p = name + nsz + dsz;
        }
    }
    return 1; /* the program only */
}

static uint64_t build_identity;
static pthread_once_t build_identity_once = PTHREAD_ONCE_INIT;

/* This build: its build ID, or, for a program linked without one, a number
 * drawn once per process (its answers are then shared between its own
 * workers only). */
static void build_identity_init(void)
{
    uint64_t id = 0;
    dl_iterate_phdr(build_id_of_program, &id);
    build_identity = id ? id : pl_random_u64() | 1;
}

/* What a finished answer in the shared cache must have been written by: this
 * very build (any other one, an upgrade or a rebuild, may compute prices or
 * write answers otherwise, so its answers are never served). The build ID
 * covers every byte of the program, the form of its answers included. */
static uint64_t answer_format(void)
{
    pthread_once(&build_identity_once, build_identity_init);
    return build_identity;
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
    r->answer_format = answer_format();
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

static int fail(pl_answer_t *a, pl_status_t st, int rc, const char *fmt, const char *arg)
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
        return c->kind == PL_CODE_ITEM ? fail(a, PL_ANS_NOT_FOUND, rc, "no item has code %s", sku)
                                       : fail(a, PL_ANS_NOT_FOUND, rc, "no item has barcode %s",
                                              c->gtin[0] ? c->gtin : c->item);
    if (!rc && !built)
        rc = view_build(r->txn, sku, zone, NULL, now, zone_of, r, &r->view);
    if (rc == PL_ETOOBIG && store) {
        rc = view_build(r->txn, sku, zone, store, now, zone_of, r, &r->view);
        zlen = 0;
    }
    if (rc == PL_ENOTFOUND)
        return fail(a, PL_ANS_NOT_FOUND, rc, "no item has code %s", sku);
    if (rc)
        return fail(a, PL_ANS_ERROR, rc, "catalogue: %s", pl_strerror(rc));
    r->view.gen = r->gen;
    if (zlen)
        cache_store(r, zkey, zlen);
    else
        cache_store(r, skey, slen);
    return 0;
}

/* Applies an embedded weight, count or price. Charges round down: never
 * against the customer. */
static void apply_measure(const pl_code_t *c, pl_answer_t *a)
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

static void blocked(pl_answer_t *a, const char *reason, const char *fmt, const char *date)
{
    a->status = PL_ANS_BLOCKED;
    a->reason = reason;
    snprintf(a->error, sizeof(a->error), fmt, date);
}

static void date_str(const pl_gs1_date_t *d, char *out)
{
    snprintf(out, 16, "%04d-%02d-%02d", d->y % 10000, d->m, d->d);
}

/* The day of the year of month m, day d in the resolver's year. */
static int yday(const pl_resolver_t *r, int m, int d)
{
    static const short before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    return before[m - 1] + (m > 2 ? r->leap : 0) + d - 1;
}

/* The midnight that ends date d in the catalogue's offset. A date of this
 * year is counted from the resolver's day, kept while now is in it (no
 * calendar conversion per lookup); another year's is converted. */
static int64_t end_of(const pl_resolver_t *r, const pl_gs1_date_t *d)
{
    if (d->y == r->year)
        return r->day_from + (int64_t)(yday(r, d->m, d->d) - r->yday + 1) * 86400;
    return pl_time_local(d->y, d->m, d->d + 1, 0, 0, r->utc_offset);
}

static void until(pl_answer_t *a, int64_t t)
{
    if (t < a->valid_until)
        a->valid_until = t;
}

static int in_scope(const pl_xmd_t *x, const char *store, const char *zone)
{
    if (x->scope_kind == PL_SCOPE_ALL)
        return 1;
    const char *want = x->scope_kind == PL_SCOPE_STORES ? store : zone;
    for (int i = 0; want && i < x->nscope; i++)
        if (!strcmp(x->scope[i], want))
            return 1;
    return 0;
}

static int for_item(const pl_xmd_t *x, const char *sku, const char *dept)
{
    if (x->dept[0] && strcmp(x->dept, dept) != 0)
        return 0;
    for (int i = 0; i < x->nitems; i++)
        if (!strcmp(x->items[i], sku))
            return 1;
    return !x->nitems;
}

/* Whether rule x (a markdown or a best-before rule) reaches this answer's
 * item (a->sku, or its department) at the store and is in force at now;
 * the answer's validity ends at the rule's next start or end. */
static int rule_in_force(const pl_xmd_t *x, const char *store, const char *zone, const char *dept,
                         int64_t now, pl_answer_t *a)
{
    if (!for_item(x, a->sku, dept) || !in_scope(x, store, zone))
        return 0;
    if (now < x->start) {
        until(a, x->start);
        return 0;
    }
    if (x->end != PL_TIME_NONE && now >= x->end)
        return 0;
    if (x->end != PL_TIME_NONE)
        until(a, x->end);
    return 1;
}

/* The expiry markdown for a pack with `left` days to its date: the rule
 * of highest priority, then largest percentage, then smallest id, among
 * those in force at now for this item and store. Applied when it lowers the
 * price (rounded down: the customer's favour). The answer then holds until
 * the next midnight (a day less to go) and the rules' next start or end. */
static void expiry_markdown(const pl_resolver_t *r, const char *store, const char *zone,
                            const char *dept, int64_t left, int64_t midnight, int64_t now,
                            pl_answer_t *a)
{
    const pl_xmd_t *best = NULL;
    for (size_t i = 0; i < r->nxmd; i++) {
        const pl_xmd_t *x = &r->xmd[i];
        if (x->kind != PL_XMD_MARKDOWN || !rule_in_force(x, store, zone, dept, now, a))
            continue;
        if (left > x->days)
            continue;
        if (!best || x->priority > best->priority ||
            (x->priority == best->priority && x->pct_off_bp > best->pct_off_bp))
            best = x; /* the table is in id order: the smallest id wins ties */
    }
    until(a, midnight);
    if (!best || a->price == PL_PRICE_NONE)
        return;
    int64_t p = a->price * (10000 - best->pct_off_bp) / 10000;
    if (p >= a->price)
        return;
    a->price = p;
    a->source = "expiry_markdown";
    pl_str_copy(a->promo_id, sizeof(a->promo_id), best->id);
    a->promo_ends = PL_TIME_NONE;
}

/* Whether a past best-before date blocks this pack: the best-before rule
 * in force at now for the item, its department and the store with the
 * highest priority (then the smallest id), else the server's setting
 * (block: PL_LOOKUP_BEST_BEFORE in flags). The answer holds until the
 * rules' next start or end. */
static int best_before_blocks(const pl_resolver_t *r, const char *store, const char *zone,
                              const char *dept, unsigned flags, int64_t now, pl_answer_t *a)
{
    const pl_xmd_t *best = NULL;
    for (size_t i = 0; i < r->nxmd; i++) {
        const pl_xmd_t *x = &r->xmd[i];
        if (x->kind == PL_XMD_MARKDOWN || !rule_in_force(x, store, zone, dept, now, a))
            continue;
        if (!best || x->priority > best->priority)
            best = x; /* the table is in id order: the smallest id wins ties */
    }
    if (best)
        return best->kind == PL_XMD_BB_BLOCK;
    return (flags & PL_LOOKUP_BEST_BEFORE) != 0;
}

/* What the GS1 data of the code does to an answer of status ok at now:
 * 310n weight, 392n/393n amount, then expiry and best-before. */
static void apply_gs1(const pl_resolver_t *r, const rstore_t *st, const char *dept, unsigned flags,
                      int64_t now, pl_answer_t *a)
{
    const pl_gs1_t *g = &a->gs1;
    int off = r->utc_offset;
    char d[16];
    int recalled = a->status == PL_ANS_BLOCKED;
    if (g->weight_g >= 0 && !recalled) {
        pl_code_t c = {.measure = PL_MEASURE_WEIGHT, .amount = g->weight_g};
        apply_measure(&c, a);
    }
    if (g->amount >= 0 && !recalled) {
        int minor = 0, ours = pl_gs1_currency(r->currency, &minor);
        if (g->currency && g->currency != ours) {
            a->status = PL_ANS_BAD_CODE;
            snprintf(a->error, sizeof(a->error),
                     "GS1 AI (393%d): amount in currency %03d, the catalogue's is %s (%03d)",
                     g->amount_dec, g->currency, r->currency, ours);
            return;
        }
        if (!ours) {
            a->status = PL_ANS_BAD_CODE;
            snprintf(a->error, sizeof(a->error),
                     "GS1 AI (39%c%d): the catalogue's currency %s has no known minor unit",
                     g->currency ? '3' : '2', g->amount_dec, r->currency);
            return;
        }
        /* to minor units, rounded down: never against the customer */
        int64_t v = g->amount;
        for (int i = g->amount_dec; i < minor; i++)
            v *= 10;
        for (int i = minor; i < g->amount_dec; i++)
            v /= 10;
        pl_code_t c = {.measure = PL_MEASURE_PRICE, .amount = v};
        apply_measure(&c, a);
    }
    /* A YYMMDD date's century follows the year of now. */
    until(a, r->year_to);
    if (recalled)
        return; /* a recall says more than a date */
    if (g->expiry_at.y) {
        const pl_gs1_date_t *e = &g->expiry_at;
        int64_t t =
            end_of(r, e) - 86400 + (g->expiry_hhmm / 100) * 3600 + (g->expiry_hhmm % 100) * 60;
        char ts[40];
        if (now >= t) {
            pl_time_format(t, off, ts, sizeof(ts));
            blocked(a, "expired", "expired at %s (AI 7003)", ts);
            return;
        }
        until(a, t);
    }
    if (g->expiry.y) {
        int64_t t = end_of(r, &g->expiry);
        if (now >= t) {
            date_str(&g->expiry, d);
            blocked(a, "expired", "expired on %s (AI 17)", d);
            return;
        }
        until(a, t);
    }
    if (g->best_before.y &&
        best_before_blocks(r, st ? st->st.id : NULL, st ? st->st.zone : "", dept, flags, now, a)) {
        int64_t t = end_of(r, &g->best_before);
        if (now >= t) {
            date_str(&g->best_before, d);
            blocked(a, "best_before", "best before %s (AI 15)", d);
            return;
        }
        until(a, t);
    }
    /* days to the pack's date: expiry, else best-before */
    const pl_gs1_date_t *due = g->expiry.y ? &g->expiry : g->best_before.y ? &g->best_before : NULL;
    if (due && r->nxmd && a->status == PL_ANS_OK) {
        int64_t left = (end_of(r, due) - 86400 - r->day_from) / 86400;
        expiry_markdown(r, st ? st->st.id : NULL, st ? st->st.zone : "", dept, left, r->day_to, now,
                        a);
    }
}

struct recall_check {
    pl_answer_t *a;
    int64_t now;
    const pl_recall_t *hit; /* the first recall in force (id order) */
    pl_recall_t first;
};

static int recall_one(const pl_recall_t *rc, void *arg)
{
    struct recall_check *c = arg;
    pl_recall_t open = *rc;
    open.start = INT64_MIN;
    open.end = PL_TIME_NONE;
    if (!pl_recall_matches(&open, c->a->gtin, c->a->gs1.lot, c->now))
        return 0; /* not this pack, at any instant */
    if (c->now < rc->start) {
        until(c->a, rc->start);
    } else if (rc->end == PL_TIME_NONE || c->now < rc->end) {
        if (rc->end != PL_TIME_NONE)
            until(c->a, rc->end);
        if (!c->hit) {
            c->first = *rc;
            c->hit = &c->first;
        }
    }
    return 0;
}

/* A recall of the scanned lot: 1 (the answer is blocked), 0, or a
 * catalogue error (the answer is an error). */
static int check_recall(pl_resolver_t *r, int64_t now, pl_answer_t *a)
{
    if (!a->gs1.lot[0] || !r->recalls)
        return 0;
    struct recall_check c;
    memset(&c, 0, sizeof(c));
    c.a = a;
    c.now = now;
    int rc = pl_recall_each_for_item(r->txn, a->sku, recall_one, &c);
    if (rc)
        return fail(a, PL_ANS_ERROR, rc, "catalogue: %s", pl_strerror(rc));
    if (!c.hit)
        return 0;
    a->status = PL_ANS_BLOCKED;
    a->reason = "recalled";
    /* the recall's text, for the cashier (it fits: PL_RECALL_TEXT_MAX) */
    pl_str_copy(a->error, sizeof(a->error), c.hit->text);
    return 1;
}

int pl_resolve(pl_resolver_t *r, const char *store, const char *code, size_t len, int64_t now,
               int member, pl_answer_t *a)
{
    int rc = pl_resolver_snapshot(r);
    answer_init(a, code, len, r->gen);
    no_dep(r, 0);
    no_dep(r, 1);
    if (rc < 0)
        return fail(a, PL_ANS_ERROR, rc, "catalogue: %s", pl_strerror(rc));

    const rstore_t *st = NULL;
    if (store && store[0]) {
        st = find_store(r, store);
        if (!st)
            return fail(a, PL_ANS_ERROR, PL_ENOTFOUND, "unknown store '%s'", store);
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
        r->yday = yday(r, r->month, r->mday);
    }
    int64_t year = r->year;
    rc = pl_gs1_parse(code, len, (int)year, &a->gs1);
    if (rc) {
        /* the verdict can change with the century of a date (a 29 February) */
        a->valid_until = r->year_to;
        a->gs1.form = PL_GS1_PLAIN;
        return fail(a, PL_ANS_BAD_CODE, 0, "%s", a->gs1.error);
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
        return fail(a, PL_ANS_BAD_CODE, 0, "%s", c.error);
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
        fail(a, PL_ANS_NOT_FOUND, 0, "item %s is discontinued", v->item.sku);
        return 0;
    }
    if (view_eval(v, st ? st->st.id : NULL, now, member & PL_LOOKUP_MEMBER, a) != 0) {
        fail(a, PL_ANS_NO_PRICE, 0, "item %s has no price in force", v->item.sku);
        return 0;
    }
    if (c.kind == PL_CODE_VARIABLE)
        apply_measure(&c, a);
    a->status = PL_ANS_OK;
    if (a->gs1.form != PL_GS1_PLAIN) {
        rc = check_recall(r, now, a);
        if (rc < 0)
            return rc;
        apply_gs1(r, st, v->item.dept, (unsigned)member, now, a);
    }
    return 0;
}

/* Memo key: member flag, store, NUL, the code exactly as sent. */
static size_t memo_key(char *k, const char *store, const char *code, size_t len, int member)
{
    size_t sl = store ? strlen(store) : 0;
    if (2 + sl + len > PL_MEMO_KEY_MAX)
        return 0;
    /* every flag changes the answer: one key byte per combination */
    k[0] = "-MbB"[member & 3];
    if (sl)
        memcpy(k + 1, store, sl);
    k[1 + sl] = 0;
    memcpy(k + 2 + sl, code, len);
    return 2 + sl + len;
}

/* A finished answer in the shared cache: under 'A' + the memo's key, the
 * JSON then this trailer; tagged with the catalogue state it was built in.
 * It is what the memo keeps, for every worker and process on the host. */
typedef struct shared_answer {
    uint64_t gen;
    int64_t from, until; /* valid over [from, until) */
    uint64_t format;     /* answer_format() of the build that wrote it */
    int32_t utc_offset;  /* the catalogue's, which the JSON's instants are written in */
    int32_t status;
    /* what it depends on, as keys: each reader's tracker hashes them under
     * its own seed (kind byte, then the key; length 0: none) */
    uint8_t deplen[2];
    char depkey[2][DEP_KEY_MAX];
} shared_answer_t;

/* The shared cache's key of the finished answer of memo key key[0..klen)
 * (at most PL_MEMO_KEY_MAX bytes: it fits). */
_Static_assert(1 + PL_MEMO_KEY_MAX <= PL_CACHE_KEY_MAX, "an answer's key fits a cache key");
static size_t answer_key(char *akey, const char *key, size_t klen)
{
    akey[0] = 'A';
    memcpy(akey + 1, key, klen);
    return klen + 1;
}

/* The shared cache's finished answer for memo key key[0..klen), still exact
 * at now: copied into scratch (cap bytes) with its "gen" restamped, its
 * length into *len and what it was built from into *ver, *until; or 0. */
static int answer_fetch(pl_resolver_t *r, const char *key, size_t klen, int64_t now, char *scratch,
                        size_t cap, size_t *len, pl_status_t *status, pl_memo_ver_t *ver,
                        int64_t *until)
{
    char akey[PL_CACHE_KEY_MAX];
    shared_answer_t t;
    uint64_t state;
    size_t vlen;
    /* straight into scratch: the JSON first, the trailer after it */
    if (pl_cache_answer_get(r->cache, akey, answer_key(akey, key, klen), &state, scratch, cap,
                            &vlen) != 0 ||
        vlen <= sizeof(t))
        return 0;
    size_t jl = vlen - sizeof(t);
    memcpy(&t, scratch + jl, sizeof(t));
    if (t.format != r->answer_format || t.utc_offset != r->utc_offset || now < t.from ||
        now >= t.until)
        return 0;
    uint32_t dep[2];
    for (int i = 0; i < 2; i++) {
        if (t.deplen[i] > DEP_KEY_MAX)
            return 0; /* damaged: a checksum collision */
        dep[i] = t.deplen[i] ? track_dep(&r->tk, t.depkey[i][0], t.depkey[i] + 1, t.deplen[i] - 1u)
                             : TRACK_NO_DEP;
    }
    if (!track_valid(&r->tk, state, t.gen, dep, 2))
        return 0;
    if (t.gen != r->tk.gen && !(jl = pl_answer_restamp(scratch, jl, cap, r->tk.gen)))
        return 0;
    *len = jl;
    *status = (pl_status_t)t.status;
    *ver = (pl_memo_ver_t){r->tk.state, r->tk.gen, {dep[0], dep[1]}};
    *until = t.until;
    return 1;
}

/* Whether the answer a, to code[0..len), is one to share: a found item
 * asked for by a plain barcode or item code exactly as it is written (no
 * spaces, symbology identifier, GS1 data or embedded measure). Any sender
 * can make up endless other forms that still find an item (a lot, a
 * serial, an expiry, a weight, spaces), each its own key, and a serialised
 * pack is scanned once: those answers stay in each worker's memo, and
 * cannot crowd the items' views and answers out of the segment. */
static int shareable(const pl_answer_t *a, const char *code, size_t len)
{
    return a->status == PL_ANS_OK && a->gs1.form == PL_GS1_PLAIN && a->measure == PL_MEASURE_NONE &&
           a->gs1.plain_off == 0 && a->gs1.plain_len == len && len &&
           !isspace((unsigned char)code[0]) && !isspace((unsigned char)code[len - 1]);
}

/* Stores the finished answer scratch[0..jl) for the other workers and
 * processes (cap: scratch's room, for the trailer), if it fits a slot. */
static void answer_store(pl_resolver_t *r, const char *key, size_t klen, const pl_memo_ver_t *ver,
                         int64_t from, int64_t until, pl_status_t status, char *scratch, size_t jl,
                         size_t cap)
{
    shared_answer_t t;
    if (until <= from || jl + sizeof(t) > cap || jl + sizeof(t) > pl_cache_value_max() ||
        r->deplen[0] == DEP_TOO_LONG || r->deplen[1] == DEP_TOO_LONG)
        return;
    memset(&t, 0, sizeof(t)); /* no stray bytes in the cache */
    t.gen = ver->gen;
    t.from = from;
    t.until = until;
    t.format = r->answer_format;
    t.utc_offset = r->utc_offset;
    t.status = (int32_t)status;
    for (int i = 0; i < 2; i++) {
        t.deplen[i] = r->deplen[i];
        memcpy(t.depkey[i], r->depkey[i], r->deplen[i]);
    }
    char akey[PL_CACHE_KEY_MAX];
    memcpy(scratch + jl, &t, sizeof(t)); /* after the answer, which stays as it is */
    pl_cache_answer_put(r->cache, akey, answer_key(akey, key, klen), ver->state, scratch,
                        jl + sizeof(t));
}

const char *pl_lookup_json(pl_resolver_t *r, pl_memo_t *memo, const char *store, const char *code,
                           size_t len, int64_t now, int member, char *scratch, size_t cap,
                           size_t *out_len, pl_status_t *status)
{
    char key[PL_MEMO_KEY_MAX];
    size_t klen = 0;
    int share = r->cache && r->share_answers;
    if ((memo || share) && pl_resolver_snapshot(r) >= 0) {
        klen = memo_key(key, store, code, len, member);
        int tag;
        const char *hit = pl_memo_get(memo, key, klen, &r->tk, now, out_len, &tag);
        if (hit) {
            *status = (pl_status_t)tag;
            return hit;
        }
    }
    pl_memo_ver_t ver;
    int64_t until;
    if (klen && share &&
        answer_fetch(r, key, klen, now, scratch, cap, out_len, status, &ver, &until)) {
        pl_memo_put(memo, key, klen, &r->tk, &ver, now, until, (int)*status, scratch, *out_len);
        return scratch;
    }
    pl_answer_t ans;
    pl_resolve(r, store, code, len, now, member, &ans);
    *status = ans.status;
    size_t jl = pl_answer_json(&ans, r->utc_offset, scratch, cap);
    if (!jl)
        return NULL;
    if (klen) {
        ver = (pl_memo_ver_t){r->state, r->gen, {r->dep[0], r->dep[1]}};
        pl_memo_put(memo, key, klen, &r->tk, &ver, now, ans.valid_until, (int)ans.status, scratch,
                    jl);
        if (share && shareable(&ans, code, len))
            answer_store(r, key, klen, &ver, now, ans.valid_until, ans.status, scratch, jl, cap);
    }
    *out_len = jl;
    return scratch;
}
