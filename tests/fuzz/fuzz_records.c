/* Fuzz target: the catalogue record decoders. Raw bytes are written as
 * records of a scratch catalogue with LMDB directly (format in
 * fuzz_records.h), then read back through every pl_*_get / pl_*_each
 * function and view_build (and view_eval on the view), in the same write
 * transaction, which is then aborted so every run starts from the empty
 * catalogue.
 *
 * Checks: each reader returns 0, PL_ENOTFOUND, PL_ECORRUPT or PL_EVERSION
 * (view_build also PL_ETOOBIG), never crashes or reads out of bounds, and
 * every string it hands out is terminated within its field; a view built
 * from the records evaluates without undefined behaviour. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "catalog_int.h"
#include "fuzz.h"
#include "fuzz_records.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "rec.h"
#include "view.h"

#define TERMINATED(s) FUZZ_CHECK(memchr((s), 0, sizeof(s)) != NULL, "%s not terminated", #s)

static pl_cat_t *cat;
static char dir[128];

static void cleanup(void)
{
    char p[192];
    pl_cat_close(cat);
    snprintf(p, sizeof(p), "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%.80s/plfuzz-rec-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    int rc = pl_cat_init(dir, "CNY", 480);
    FUZZ_CHECK(rc == 0, "pl_cat_init: %s", pl_strerror(rc));
    pl_cat_opts_t o = {.map_size = 64u << 20};
    rc = pl_cat_open(dir, &o, &cat);
    FUZZ_CHECK(rc == 0, "pl_cat_open: %s", pl_strerror(rc));
    atexit(cleanup);
}

static void expect(int rc, const char *what)
{
    FUZZ_CHECK(rc == 0 || rc == PL_ENOTFOUND || rc == PL_ECORRUPT || rc == PL_EVERSION,
               "%s: rc %d (%s)", what, rc, pl_errname(rc));
}

/* ---- callbacks: what the readers hand out --------------------------------- */

static int on_key(const char *key, void *arg)
{
    FUZZ_CHECK(strlen(key) <= PL_BARCODE_KEY_MAX, "barcode key of %zu bytes", strlen(key));
    return 0;
}

static int on_store(const pl_store_t *st, void *arg)
{
    TERMINATED(st->id);
    TERMINATED(st->zone);
    TERMINATED(st->name);
    TERMINATED(st->formats);
    return 0;
}

static int on_price(const pl_price_t *p, void *arg)
{
    TERMINATED(p->sku);
    TERMINATED(p->scope);
    TERMINATED(p->batch);
    FUZZ_CHECK(strcmp(p->sku, FUZZ_SKU) == 0, "price of sku %s", p->sku);
    return 0;
}

static int on_promo(const pl_promo_t *pr, void *arg)
{
    TERMINATED(pr->id);
    TERMINATED(pr->text);
    TERMINATED(pr->batch);
    FUZZ_CHECK(pr->nscope <= PL_PROMO_SCOPE_MAX, "nscope %d", pr->nscope);
    for (int i = 0; i < pr->nscope; i++)
        TERMINATED(pr->scope[i]);
    return 0;
}

static int on_sku(const char *sku, void *arg)
{
    FUZZ_CHECK(strlen(sku) <= PL_ITEM_CODE_MAX, "sku of %zu bytes", strlen(sku));
    return 0;
}

static int on_label(const pl_label_t *lb, void *arg)
{
    TERMINATED(lb->sku);
    TERMINATED(lb->scope);
    return 0;
}

static int on_job(const pl_label_job_t *j, void *arg)
{
    TERMINATED(j->scope);
    TERMINATED(j->sku);
    TERMINATED(j->gtin);
    TERMINATED(j->name);
    TERMINATED(j->unit_basis);
    TERMINATED(j->promo_text);
    TERMINATED(j->reason);
    TERMINATED(j->batch);
    return 0;
}

static int on_batch(const pl_batch_rec_t *b, void *arg)
{
    TERMINATED(b->id);
    TERMINATED(b->digest);
    return 0;
}

static const char *zone_of(void *arg, const char *store)
{
    return strcmp(store, "S1") == 0 || strcmp(store, "S2") == 0 ? "north" : NULL;
}

/* ---- entry ---------------------------------------------------------------- */

static const char *const meta_names[] = {"schema", "catalog_id", "gen", "next_job",
                                         "utc_offset", "currency", "last_batch"};

/* Keys named by the input, kept to call the matching get functions. */
typedef struct named {
    int type;
    char key[256];
    size_t klen;
} named_t;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned dbs[REC_NTYPES] = {
        [REC_ITEM] = DB_ITEMS,   [REC_BARCODE] = DB_BARCODES, [REC_ITEMCODE] = DB_ITEMCODES,
        [REC_STORE] = DB_STORES, [REC_PRICE] = DB_PRICES,     [REC_PROMO] = DB_PROMOS,
        [REC_PROMOITEM] = DB_PROMOITEMS, [REC_LABEL] = DB_LABELS, [REC_JOB] = DB_LJOBS,
        [REC_JOBITEM] = DB_LJOBITEM, [REC_BATCH] = DB_BATCHES, [REC_META] = DB_META,
    };
    static named_t names[64];
    int nnames = 0;
    if (!cat)
        setup();

    pl_txn_t *t;
    int rc = pl_txn_begin(cat, 1, &t);
    FUZZ_CHECK(rc == 0, "pl_txn_begin: %s", pl_strerror(rc));
    fuzz_in_t in = {data, size};
    while (in.len >= 4) {
        int type = fuzz_u8(&in) % REC_NTYPES;
        size_t klen, vlen;
        size_t kwant = fuzz_u8(&in);
        size_t vwant = fuzz_u16(&in);
        const uint8_t *k = fuzz_take(&in, kwant, &klen);
        const uint8_t *v = fuzz_take(&in, vwant, &vlen);
        uint8_t key[512], val8[8] = {0};
        size_t n = 0;
        switch (type) {
        case REC_ITEM:
        case REC_ITEMCODE:
        case REC_PROMOITEM:
        case REC_JOBITEM:
            memcpy(key, FUZZ_SKU, n = strlen(FUZZ_SKU));
            break;
        case REC_BARCODE:
            memcpy(key, FUZZ_BARCODE, n = strlen(FUZZ_BARCODE));
            break;
        case REC_PRICE:
        case REC_LABEL:
            memcpy(key, FUZZ_SKU, n = strlen(FUZZ_SKU) + 1); /* with its NUL */
            memcpy(key + n, k, klen);
            n += klen;
            break;
        case REC_META: {
            const char *m = meta_names[(klen ? k[0] : 0) % (sizeof(meta_names) / sizeof(*meta_names))];
            memcpy(key, m, n = strlen(m));
            break;
        }
        default:
            memcpy(key, k, n = klen);
        }
        /* Sizes LMDB refuses are not records a catalogue can hold. */
        int dup = type == REC_ITEMCODE || type == REC_PROMOITEM || type == REC_JOBITEM;
        if (n == 0 || n > 511 || (dup && (vlen == 0 || vlen > 511)))
            continue;
        if (type == REC_JOBITEM) {
            memcpy(val8, v, vlen < 8 ? vlen : 8);
            v = val8;
            vlen = 8;
        }
        MDB_val mk = {n, key}, mv = {vlen, (void *)v};
        int mrc = mdb_put(t->txn, t->cat->dbi[dbs[type]], &mk, &mv, 0);
        FUZZ_CHECK(mrc == 0 || mrc == MDB_KEYEXIST, "mdb_put: %s", mdb_strerror(mrc));
        if (nnames < 64 && (type == REC_STORE || type == REC_PROMO || type == REC_LABEL ||
                            type == REC_JOB || type == REC_BATCH)) {
            named_t *nm = &names[nnames++];
            nm->type = type;
            nm->klen = klen < sizeof(nm->key) - 1 ? klen : sizeof(nm->key) - 1;
            memcpy(nm->key, k, nm->klen);
            nm->key[nm->klen] = 0;
        }
    }

    pl_item_t it;
    rc = pl_item_get(t, FUZZ_SKU, &it);
    expect(rc, "pl_item_get");
    if (rc == 0) {
        TERMINATED(it.name);
        TERMINATED(it.unit);
        TERMINATED(it.dept);
        TERMINATED(it.content_unit);
        TERMINATED(it.plu);
    }
    char sku[PL_ITEM_CODE_MAX + 1];
    expect(pl_cat_barcode_get(t, FUZZ_BARCODE, sku), "pl_cat_barcode_get");
    expect(pl_cat_barcode_each(t, FUZZ_SKU, on_key, NULL), "pl_cat_barcode_each");
    expect(pl_store_each(t, on_store, NULL), "pl_store_each");
    expect(pl_price_each(t, FUZZ_SKU, on_price, NULL), "pl_price_each");
    expect(pl_promo_each_for_item(t, FUZZ_SKU, on_promo, NULL), "pl_promo_each_for_item");
    expect(pl_label_each(t, FUZZ_SKU, on_label, NULL), "pl_label_each");
    expect(pl_job_each(t, 0, on_job, NULL), "pl_job_each");
    expect(pl_job_each(t, 1, on_job, NULL), "pl_job_each pending");
    expect(pl_job_each_for_item(t, FUZZ_SKU, on_job, NULL), "pl_job_each_for_item");
    expect(pl_batch_each(t, on_batch, NULL), "pl_batch_each");
    pl_meta_t m;
    rc = pl_meta_get(t, &m);
    expect(rc, "pl_meta_get");
    if (rc == 0) {
        TERMINATED(m.currency);
        TERMINATED(m.last_batch);
    }

    for (int i = 0; i < nnames; i++) {
        const named_t *nm = &names[i];
        if (!nm->key[0] &&
            (nm->type == REC_STORE || nm->type == REC_PROMO || nm->type == REC_BATCH))
            continue; /* no id is empty: not a question a caller can ask */
        switch (nm->type) {
        case REC_STORE: {
            pl_store_t st;
            if ((rc = pl_store_get(t, nm->key, &st)) == 0)
                on_store(&st, NULL);
            expect(rc, "pl_store_get");
            break;
        }
        case REC_PROMO: {
            pl_promo_t pr;
            if ((rc = pl_promo_get(t, nm->key, &pr)) == 0)
                on_promo(&pr, NULL);
            expect(rc, "pl_promo_get");
            expect(pl_promo_items(t, nm->key, on_sku, NULL), "pl_promo_items");
            break;
        }
        case REC_LABEL: {
            pl_label_t lb;
            if (strlen(nm->key) > PL_SCOPE_MAX)
                break; /* no such key can be asked for */
            if ((rc = pl_label_get(t, FUZZ_SKU, nm->key, &lb)) == 0)
                on_label(&lb, NULL);
            expect(rc, "pl_label_get");
            break;
        }
        case REC_JOB: {
            pl_label_job_t j;
            if (nm->klen != 8)
                break;
            if ((rc = pl_job_get(t, key_get_be64((const uint8_t *)nm->key), &j)) == 0)
                on_job(&j, NULL);
            expect(rc, "pl_job_get");
            break;
        }
        case REC_BATCH: {
            pl_batch_rec_t b;
            if ((rc = pl_batch_get(t, nm->key, &b)) == 0)
                on_batch(&b, NULL);
            expect(rc, "pl_batch_get");
            break;
        }
        }
    }

    /* The consumer of every record of an item. */
    static view_t v;
    const char *stores[2] = {NULL, "S1"};
    for (int i = 0; i < 2; i++) {
        rc = view_build(t, FUZZ_SKU, "north", stores[i], 1795000000, zone_of, NULL, &v);
        if (rc != PL_ETOOBIG)
            expect(rc, "view_build");
        if (rc != 0)
            continue;
        /* A view built from whatever the records held is then evaluated. */
        pl_answer_t a;
        memset(&a, 0, sizeof(a));
        rc = view_eval(&v, stores[i], 1795000000 + 3600, i, &a);
        FUZZ_CHECK(rc == 0 || rc == PL_ENOTFOUND, "view_eval rc %d", rc);
    }
    pl_txn_abort(t);
    return 0;
}
