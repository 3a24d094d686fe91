/* Writes the generated seed inputs of fuzz_records and fuzz_view: a small
 * catalogue is built through the public write functions, then each of its
 * raw entries becomes a records seed (format in fuzz_records.h) and the
 * item's views, packed as the cache holds them, become view seeds.
 *
 * Usage: fuzz_gen_seeds CORPUS_DIR   (writes CORPUS_DIR/records/gen-*,
 *                                     CORPUS_DIR/view/gen-*) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_int.h"
#include "fuzz_records.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "view.h"

#define NOW 1795000000 /* 2026-11-18 */

static const char *out_dir;

static void die(const char *what, int rc)
{
    fprintf(stderr, "fuzz_gen_seeds: %s: %s\n", what, pl_strerror(rc));
    exit(1);
}

static void write_seed(const char *sub, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/gen-%s", out_dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "fuzz_gen_seeds: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    printf("%s (%zu bytes)\n", path, n);
}

/* ---- the catalogue -------------------------------------------------------- */

static void fill(pl_cat_t *cat)
{
    pl_txn_t *t;
    int rc = pl_txn_begin(cat, 1, &t);
    if (rc)
        die("begin", rc);
    pl_item_t it = {.sku = FUZZ_SKU, .name = "金龙鱼 调和油 5L", .unit = "each",
                    .dept = "grocery", .pack_qty = 1, .content = 5000, .content_unit = "ml"};
    pl_item_t w = {.sku = "200001", .name = "猪肉 精瘦肉", .unit = "kg", .dept = "meat",
                   .pack_qty = 1, .flags = PL_ITEM_WEIGHED, .plu = "12345"};
    pl_store_t s1 = {.id = "S1", .zone = "north", .name = "一号店",
                     .formats = "20IIIIIPPPPPC,21IIIIIWWWWWC"};
    pl_store_t s2 = {.id = "S2", .zone = "north", .name = "二号店"};
    pl_price_t base = {.sku = FUZZ_SKU, .level = PL_LEVEL_BASE, .start = NOW - 30 * 86400,
                       .price = 5990, .recorded_at = NOW - 30 * 86400, .batch = "b-0001"};
    pl_price_t zone = {.sku = FUZZ_SKU, .level = PL_LEVEL_ZONE, .scope = "north",
                       .start = NOW - 3 * 86400, .price = 5790, .recorded_at = NOW - 3 * 86400,
                       .batch = "b-0002"};
    pl_price_t store = {.sku = FUZZ_SKU, .level = PL_LEVEL_STORE, .scope = "S1",
                        .start = NOW + 86400, .price = 5690, .scheduled = 1,
                        .recorded_at = NOW, .batch = "b-0003"};
    pl_price_t removed = {.sku = FUZZ_SKU, .level = PL_LEVEL_STORE, .scope = "S2",
                          .start = NOW - 86400, .price = PL_PRICE_REMOVED,
                          .recorded_at = NOW - 86400, .batch = "b-0003"};
    pl_promo_t flyer = {.id = "P-flyer", .kind = PL_PROMO_FLYER, .priority = 1,
                        .start = NOW - 86400, .end = NOW + 6 * 86400, .price = 4990,
                        .scope_kind = PL_SCOPE_STORES, .nscope = 2, .scope = {"S1", "S2"},
                        .text = "惊爆价", .cancelled_at = PL_TIME_NONE, .batch = "b-0004"};
    pl_promo_t member = {.id = "P-member", .kind = PL_PROMO_MEMBER, .member_only = 1,
                         .start = NOW - 86400, .end = NOW + 30 * 86400, .price = PL_PRICE_NONE,
                         .pct_off_bp = 1000, .scope_kind = PL_SCOPE_ALL, .text = "会员九折",
                         .cancelled_at = PL_TIME_NONE, .batch = "b-0004"};
    const char *skus[] = {FUZZ_SKU, "200001"};
    pl_label_t lb = {.sku = FUZZ_SKU, .scope = "", .price = 5990, .printed_at = NOW - 20 * 86400};
    pl_label_t lbz = {.sku = FUZZ_SKU, .scope = "north", .price = 5790,
                      .printed_at = NOW - 2 * 86400};
    pl_label_job_t job = {.level = PL_LEVEL_STORE, .scope = "S1", .sku = FUZZ_SKU,
                          .gtin = FUZZ_BARCODE, .name = "金龙鱼 调和油 5L", .price = 5690,
                          .unit_price = 1138, .unit_basis = "l", .promo_ends = PL_TIME_NONE,
                          .old_price = 5790, .due = NOW + 86400, .reason = "scheduled",
                          .batch = "b-0003"};
    pl_batch_rec_t b = {.id = "b-0003", .digest = "0123456789abcdef0123456789abcdef",
                        .applied_at = NOW, .rows = 3, .gen = 3};
    uint64_t gen;

    if ((rc = pl_item_put(t, &it)) || (rc = pl_item_put(t, &w)) ||
        (rc = pl_cat_barcode_add(t, FUZZ_BARCODE, FUZZ_SKU, NULL)) ||
        (rc = pl_cat_barcode_add(t, "P12345", "200001", NULL)) || (rc = pl_store_put(t, &s1)) ||
        (rc = pl_store_put(t, &s2)) || (rc = pl_price_put(t, &base)) ||
        (rc = pl_price_put(t, &zone)) || (rc = pl_price_put(t, &store)) ||
        (rc = pl_price_put(t, &removed)) || (rc = pl_promo_put(t, &flyer, skus, 2)) ||
        (rc = pl_promo_put(t, &member, skus, 1)) || (rc = pl_label_put(t, &lb)) ||
        (rc = pl_label_put(t, &lbz)) || (rc = pl_job_add(t, &job)) || (rc = pl_batch_put(t, &b)) ||
        (rc = pl_meta_bump(t, "b-0003", &gen)))
        die("filling the catalogue", rc);
    if ((rc = pl_txn_commit(t)))
        die("commit", rc);
}

/* ---- records seeds -------------------------------------------------------- */

typedef struct seed {
    unsigned char buf[8192];
    size_t len;
} seed_t;

static void seed_add(seed_t *s, int type, const void *k, size_t klen, const void *v, size_t vlen)
{
    if (klen > 255 || vlen > 65535 || s->len + 4 + klen + vlen > sizeof(s->buf)) {
        fprintf(stderr, "fuzz_gen_seeds: seed too large\n");
        exit(1);
    }
    unsigned char *p = s->buf + s->len;
    p[0] = (unsigned char)type;
    p[1] = (unsigned char)klen;
    p[2] = (unsigned char)vlen;
    p[3] = (unsigned char)(vlen >> 8);
    memcpy(p + 4, k, klen);
    memcpy(p + 4 + klen, v, vlen);
    s->len += 4 + klen + vlen;
}

static const char *const meta_names[] = {"schema", "catalog_id", "gen", "next_job",
                                         "utc_offset", "currency", "last_batch"};

/* Appends the entries of db that concern FUZZ_SKU (or all, for tables
 * keyed otherwise) to one seed per type and to the combined seed. */
static void dump_db(pl_txn_t *t, int db, int type, const char *name, seed_t *all)
{
    static seed_t one;
    one.len = 0;
    MDB_cursor *cur;
    MDB_val k, v;
    size_t skulen = strlen(FUZZ_SKU);
    if (mdb_cursor_open(t->txn, t->cat->dbi[db], &cur))
        die("cursor", PL_EMDB);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const char *kp = k.mv_data;
        size_t kl = k.mv_size;
        unsigned char mk;
        switch (type) {
        case REC_ITEM:
        case REC_ITEMCODE:
        case REC_PROMOITEM:
        case REC_JOBITEM:
            if (kl != skulen || memcmp(kp, FUZZ_SKU, skulen) != 0)
                continue;
            kl = 0;
            break;
        case REC_BARCODE:
            if (kl != strlen(FUZZ_BARCODE) || memcmp(kp, FUZZ_BARCODE, kl) != 0)
                continue;
            kl = 0;
            break;
        case REC_PRICE:
        case REC_LABEL:
            if (kl <= skulen || memcmp(kp, FUZZ_SKU, skulen + 1) != 0)
                continue;
            kp += skulen + 1;
            kl -= skulen + 1;
            break;
        case REC_META:
            mk = 0;
            while (mk < 7 && (strlen(meta_names[mk]) != kl || memcmp(meta_names[mk], kp, kl)))
                mk++;
            if (mk == 7)
                continue;
            kp = (const char *)&mk;
            kl = 1;
            break;
        default:
            break;
        }
        seed_add(&one, type, kp, kl, v.mv_data, v.mv_size);
        seed_add(all, type, kp, kl, v.mv_data, v.mv_size);
    }
    mdb_cursor_close(cur);
    if (one.len)
        write_seed("records", name, one.buf, one.len);
}

static const char *zone_of(void *arg, const char *store)
{
    return strcmp(store, "S1") == 0 || strcmp(store, "S2") == 0 ? "north" : NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_gen_seeds CORPUS_DIR\n");
        return 2;
    }
    out_dir = argv[1];
    char dir[] = "/tmp/plseeds-XXXXXX", p[64];
    if (!mkdtemp(dir))
        die("mkdtemp", -errno);
    int rc = pl_cat_init(dir, "CNY", 480);
    pl_cat_t *cat;
    if (rc || (rc = pl_cat_open(dir, NULL, &cat)))
        die("catalogue", rc);
    fill(cat);

    pl_txn_t *t;
    if ((rc = pl_txn_begin(cat, 0, &t)))
        die("begin", rc);
    static seed_t all;
    dump_db(t, DB_META, REC_META, "meta", &all);
    dump_db(t, DB_ITEMS, REC_ITEM, "item", &all);
    dump_db(t, DB_BARCODES, REC_BARCODE, "barcode", &all);
    dump_db(t, DB_ITEMCODES, REC_ITEMCODE, "itemcode", &all);
    dump_db(t, DB_STORES, REC_STORE, "store", &all);
    dump_db(t, DB_PRICES, REC_PRICE, "price", &all);
    dump_db(t, DB_PROMOS, REC_PROMO, "promo", &all);
    dump_db(t, DB_PROMOITEMS, REC_PROMOITEM, "promoitem", &all);
    dump_db(t, DB_LABELS, REC_LABEL, "label", &all);
    dump_db(t, DB_LJOBS, REC_JOB, "job", &all);
    dump_db(t, DB_LJOBITEM, REC_JOBITEM, "jobitem", &all);
    dump_db(t, DB_BATCHES, REC_BATCH, "batch", &all);
    write_seed("records", "all", all.buf, all.len);

    static view_t v;
    static unsigned char buf[sizeof(view_t)];
    const char *stores[2] = {NULL, "S1"};
    const char *names[2] = {"zone-north", "store-S1"};
    for (int i = 0; i < 2; i++) {
        if ((rc = view_build(t, FUZZ_SKU, "north", stores[i], NOW, zone_of, NULL, &v)))
            die("view_build", rc);
        v.gen = 1;
        size_t n = view_pack(&v, buf, sizeof(buf));
        if (!n)
            die("view_pack", PL_ETOOBIG);
        write_seed("view", names[i], buf, n);
    }
    if ((rc = view_build(t, "200001", "north", NULL, NOW, zone_of, NULL, &v)))
        die("view_build", rc);
    write_seed("view", "no-price", buf, view_pack(&v, buf, sizeof(buf)));
    pl_txn_abort(t);
    pl_cat_close(cat);

    snprintf(p, sizeof(p), "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
    return 0;
}
