/* Item records (pricelane/catalog.h, "item records"): a lookup that reads
 * an item's record answers byte for byte as one that walks its rows, at
 * every instant around every change of a catalogue built around the run's
 * clock (long price histories the records prune, promotions over, cut and
 * to come, zone and store rows, labels and jobs, an item too big for a
 * record); the records follow a batch that changes prices, promotions,
 * barcodes, labels and items; a writer that does not keep them (an older
 * version) makes readers walk the rows until the next batch rewrites them
 * all, as does a transaction written around the hooks (a restore, a
 * snapshot); and verify finds every record equal to its rows. A barcode's
 * own record (the lookup's one descent) follows its barcode when it moves
 * to another item or goes, and is not read after a writer that keeps only
 * the items' records (the version before them). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_int.h"
#include "catfix.h"
#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/catalog_verify.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"

#define DAY 86400LL

static int64_t now0; /* the run's clock at the start */
static pl_cat_t *cat;
static pl_resolver_t *res;

static const char *const codes[] = {
    "6901234567892", "6901234567885", "6920000000012", "W", "N", "D", "Z", "E", "6901234567809"};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static const char *const stores[] = {NULL, "S1", "S2", "S3"};

/* A promotion of priority 1, cut at `cancelled` (PL_TIME_NONE: never). */
static void promo_cut(pl_txn_t *t, const char *id, const char *sku, int64_t start, int64_t end,
                      int64_t cancelled, int64_t price, int pct, int kind, int scope_kind,
                      const char *scope)
{
    catfix_promo_cut(t, id, kind, sku, start, end, price, pct, 1, scope_kind, scope, cancelled);
}

static void write_catalogue(void)
{
    pl_txn_t *t;
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    pl_store_t s1 = {"S1", "north", "Store 1", ""}, s2 = {"S2", "north", "Store 2", ""},
               s3 = {"S3", "south", "Store 3", ""};
    CHECK_INT(pl_store_put(t, &s1), 0);
    CHECK_INT(pl_store_put(t, &s2), 0);
    CHECK_INT(pl_store_put(t, &s3), 0);

    /* A: a base price every day for 60 days (the record keeps the last
     * weeks), zone and store rows, a withdrawn override, a scheduled price,
     * two barcodes, labels and jobs. */
    catfix_item(t, "A", "金龙鱼 调和油 5L", "each", 0, NULL);
    catfix_barcode(t, "06901234567892", "A");
    catfix_barcode(t, "06901234567885", "A");
    for (int d = 60; d >= 1; d--)
        catfix_price(t, "A", PL_LEVEL_BASE, "", now0 - d * DAY, 1000 + d * 7, 0, "b1");
    catfix_price(t, "A", PL_LEVEL_BASE, "", now0 + 2 * DAY, 850, 1, "b1");
    catfix_price(t, "A", PL_LEVEL_ZONE, "north", now0 - 45 * DAY, 990, 0, "b1");
    catfix_price(t, "A", PL_LEVEL_ZONE, "north", now0 - 3 * DAY, 950, 0, "b1");
    catfix_price(t, "A", PL_LEVEL_STORE, "S2", now0 - 40 * DAY, 800, 0, "b1");
    catfix_price(t, "A", PL_LEVEL_STORE, "S2", now0 - 2 * DAY, PL_PRICE_REMOVED, 0, "b1");
    /* The chain's label placed when printed; the zone's printed by job 7,
     * due three days ago, not yet on the shelf (its answers say "place"). */
    pl_label_t lb = {"A", "", 1007, now0 - 30 * DAY, 0, PL_TIME_NONE, now0 - 30 * DAY},
               lz = {"A", "north", 950, now0 - 3 * DAY, 7, now0 - 3 * DAY, PL_TIME_NONE};
    CHECK_INT(pl_label_put(t, &lb), 0);
    CHECK_INT(pl_label_put(t, &lz), 0);
    catfix_job(t, "A", PL_LEVEL_BASE, "", 850, now0 + 2 * DAY);
    catfix_job(t, "A", PL_LEVEL_STORE, "S1", 950, now0 - 3600);

    /* B: promotions over long ago, cancelled long ago, cut in an hour,
     * for a zone, a store, members, and one to come. */
    catfix_item(t, "B", "蒙牛 纯牛奶 250ml×24", "each", 0, NULL);
    catfix_barcode(t, "06920000000012", "B");
    catfix_price(t, "B", PL_LEVEL_BASE, "", now0 - 90 * DAY, 500, 0, "b1");
    promo_cut(t, "P-old", "B", now0 - 60 * DAY, now0 - 50 * DAY, PL_TIME_NONE, 300, 0,
              PL_PROMO_SPECIAL, PL_SCOPE_ALL, NULL);
    promo_cut(t, "P-gone", "B", now0 - 50 * DAY, now0 + 50 * DAY, now0 - 45 * DAY, 310, 0,
              PL_PROMO_SPECIAL, PL_SCOPE_ALL, NULL);
    promo_cut(t, "P-cut", "B", now0 - DAY, now0 + 10 * DAY, now0 + 3600, 450, 0, PL_PROMO_FLYER,
              PL_SCOPE_ALL, NULL);
    promo_cut(t, "P-south", "B", now0 - 5 * DAY, now0 + 5 * DAY, PL_TIME_NONE, PL_PRICE_NONE, 1500,
              PL_PROMO_SPECIAL, PL_SCOPE_ZONES, "south");
    promo_cut(t, "P-s1", "B", now0 - 6 * 3600, now0 + 6 * 3600, PL_TIME_NONE, 420, 0,
              PL_PROMO_MARKDOWN, PL_SCOPE_STORES, "S1");
    promo_cut(t, "P-member", "B", now0 - 2 * DAY, now0 + 2 * DAY, PL_TIME_NONE, 399, 0,
              PL_PROMO_MEMBER, PL_SCOPE_ALL, NULL);
    promo_cut(t, "P-next", "B", now0 + 3 * DAY, now0 + 5 * DAY, PL_TIME_NONE, 350, 0,
              PL_PROMO_SPECIAL, PL_SCOPE_ALL, NULL);

    catfix_item(t, "W", "猪肉 精瘦肉", "kg", PL_ITEM_WEIGHED, "12345");
    catfix_price(t, "W", PL_LEVEL_BASE, "", now0 - DAY, 3980, 0, "b1");
    catfix_item(t, "N", "无价商品", "each", 0, NULL);
    catfix_item(t, "D", "停售商品", "each", PL_ITEM_DISCONTINUED, NULL);
    catfix_price(t, "D", PL_LEVEL_BASE, "", now0 - DAY, 100, 0, "b1");

    /* Z: a zone price every 10 minutes for 30 days: too big for a record
     * (and, in zone south, for a view). */
    catfix_item(t, "Z", "频繁调价", "each", 0, NULL);
    catfix_price(t, "Z", PL_LEVEL_BASE, "", now0 - 40 * DAY, 2000, 0, "b1");
    for (int i = 0; i < 30 * 144; i++)
        catfix_price(t, "Z", PL_LEVEL_ZONE, "south", now0 - 30 * DAY + i * 600, 1500 + i % 50, 0,
                     "b1");

    /* E: one row: its record leaves nothing out and serves every instant. */
    catfix_item(t, "E", "一行商品", "each", 0, NULL);
    catfix_price(t, "E", PL_LEVEL_BASE, "", now0 - 10 * DAY, 700, 0, "b1");
    CHECK_INT(pl_meta_bump(t, "b1", NULL), 0);
    CHECK_INT(pl_txn_commit(t), 0);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Each change of the catalogue, a second either side and a week later;
 * and a 6-hour grid over [now - 70 days, now + 10 days]. */
static int instants(int64_t *when)
{
    const int64_t base[] = {-60 * DAY, -50 * DAY, -45 * DAY, -40 * DAY, -30 * DAY,
                            -10 * DAY, -6 * DAY,  -5 * DAY,  -3 * DAY,  -2 * DAY,
                            -DAY,      -6 * 3600, -3600,     0,         3600,
                            6 * 3600,  2 * DAY,   3 * DAY,   5 * DAY,   10 * DAY};
    int n = 0;
    for (size_t b = 0; b < sizeof(base) / sizeof(base[0]); b++)
        for (int64_t off = 0; off <= 7 * DAY; off += 7 * DAY)
            for (int d = -1; d <= 1; d++)
                when[n++] = now0 + base[b] + off + d;
    for (int64_t t = now0 - 70 * DAY; t < now0 + 10 * DAY; t += 6 * 3600)
        when[n++] = t;
    qsort(when, (size_t)n, sizeof(when[0]), cmp_i64);
    return n;
}

/* Every code, store and member flag at every instant, from the records and
 * from the rows: returns how many differ; *served counts the lookups a
 * record answered. */
static int compare(const char *what, uint64_t *served)
{
    static int64_t when[1024];
    int nw = instants(when), total = 0, differ = 0;
    for (int k = 0; k < nw; k++)
        for (size_t c = 0; c < NCODES; c++)
            for (size_t s = 0; s < 4; s++)
                for (int m = 0; m < 2; m++) {
                    pl_answer_t x, y;
                    char jx[2048], jy[2048];
                    cat->no_item_recs = 0;
                    pl_resolve(res, stores[s], codes[c], strlen(codes[c]), when[k], m, &x);
                    cat->no_item_recs = 1;
                    pl_resolve(res, stores[s], codes[c], strlen(codes[c]), when[k], m, &y);
                    cat->no_item_recs = 0;
                    pl_answer_json(&x, 480, jx, sizeof(jx));
                    pl_answer_json(&y, 480, jy, sizeof(jy));
                    total++;
                    if (strcmp(jx, jy) != 0 && ++differ <= 3)
                        printf("differs at now%+lld s, store %s, member %d:\n  record %s\n  rows   "
                               "%s\n",
                               (long long)(when[k] - now0), stores[s] ? stores[s] : "-", m, jx, jy);
                }
    /* how many of the items a record serves, at each instant */
    const char *skus[] = {"A", "B", "W", "N", "D", "Z", "E"};
    pl_txn_t *t;
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    for (int k = 0; k < nw; k++)
        for (size_t i = 0; i < sizeof(skus) / sizeof(skus[0]); i++) {
            pl_item_t it;
            char gtin[15];
            pl_item_rows_fn_t none = {0};
            *served += pl_item_rows(t, skus[i], when[k], &it, gtin, &none) == 0;
        }
    pl_txn_abort(t);
    printf("%s: %d answers at %d instants compared, %d differ; %llu item lookups served by a "
           "record\n",
           what, total, nw, differ, (unsigned long long)*served);
    return differ;
}

/* pl_item_rows for sku at instant t: 0 (a record served) or 1. */
static int rows_rc(const char *sku, int64_t when, char *name, char *gtin)
{
    pl_txn_t *t;
    pl_item_t it;
    pl_item_rows_fn_t none = {0};
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    int rc = pl_item_rows(t, sku, when, &it, gtin, &none);
    if (name)
        strcpy(name, rc == 0 ? it.name : "");
    pl_txn_abort(t);
    return rc;
}

/* Counts verify's reports on the item records (the catalogue here has no
 * ledger, and the old writer breaks the change log's chain). */
static void collect(const char *db, const char *msg, void *arg)
{
    if (strcmp(db, "itemrecs") == 0) {
        (*(uint64_t *)arg)++;
        printf("  verify: %s: %s\n", db, msg);
    }
}

static uint64_t verify(void)
{
    pl_txn_t *t;
    pl_verify_counts_t n;
    uint64_t recs = 0;
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    CHECK_INT(pl_cat_verify(t, collect, &recs, &n), 0);
    pl_txn_abort(t);
    return recs;
}

/* A batch that changes what the records hold: a price, a promotion's
 * cancellation, a new first barcode, a job acknowledged, an item renamed. */
static void second_batch(void)
{
    pl_txn_t *t;
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    catfix_price(t, "A", PL_LEVEL_BASE, "", now0 - 1800, 777, 0, "b2");
    promo_cut(t, "P-member", "B", now0 - 2 * DAY, now0 + 2 * DAY, now0 - 600, 399, 0,
              PL_PROMO_MEMBER, PL_SCOPE_ALL, NULL);
    catfix_barcode(t, "06901234567809", "E");
    CHECK_INT(pl_job_ack(t, 2, now0), 0);
    catfix_item(t, "W", "猪肉 里脊", "kg", PL_ITEM_WEIGHED, "12345");
    CHECK_INT(pl_meta_bump(t, "b2", NULL), 0);
    CHECK_INT(pl_txn_commit(t), 0);
}

/* A barcode's record: 0 (it served, *sku its item), 1 (none served; *sku
 * the item it names, or ""). */
static int code_rc(const char *key, char *sku)
{
    pl_txn_t *t;
    pl_item_t it;
    char gtin[15];
    pl_item_rows_fn_t none = {0};
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    int rc = pl_code_rows(t, key, now0, sku, &it, gtin, &none);
    pl_txn_abort(t);
    return rc;
}

/* A batch that moves A's second barcode to B and takes E's away. */
static void barcode_batch(void)
{
    pl_txn_t *t;
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    CHECK_INT(pl_cat_barcode_del(t, "06901234567885", "A"), 0);
    catfix_barcode(t, "06901234567885", "B");
    CHECK_INT(pl_cat_barcode_del(t, "06901234567809", "E"), 0);
    CHECK_INT(pl_meta_bump(t, "b2c", NULL), 0);
    CHECK_INT(pl_txn_commit(t), 0);
}

/* The writer before barcodes' records: it keeps the items' records (here:
 * rebuilt and put raw) but not the barcodes'. It moves A's first barcode
 * to E; a reader must not follow the barcode's old record to A. */
static void items_only_writer(void)
{
    pl_txn_t *t;
    uint8_t buf[65536];
    size_t len;
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    const char *key = "06901234567892";
    MDB_val k = {strlen(key), (void *)key}, a = {1, "A"}, e = {1, "E"};
    CHECK_INT(mdb_put(t->txn, t->cat->dbi[DB_BARCODES], &k, &e, 0), 0);
    CHECK_INT(mdb_del(t->txn, t->cat->dbi[DB_ITEMCODES], &a, &k), 0);
    CHECK_INT(mdb_put(t->txn, t->cat->dbi[DB_ITEMCODES], &e, &k, 0), 0);
    uint64_t state = 0x0dd5eed0dd5eedull;
    CHECK_INT(cat_meta_put_u64(t, "state", state), 0);
    for (int i = 0; i < 2; i++) {
        const char *sku = i ? "E" : "A";
        MDB_val sk = {1, (void *)sku}, v;
        CHECK_INT(cat_rec_build_buf(t, sku, now0 - PL_ITEM_REC_BACK, buf, sizeof(buf), &len), 0);
        v.mv_size = len;
        v.mv_data = buf;
        CHECK_INT(mdb_put(t->txn, t->cat->dbi[DB_ITEMRECS], &sk, &v, 0), 0);
    }
    CHECK_INT(cat_meta_put_u64(t, "recs", state), 0);
    CHECK_INT(mdb_txn_commit(t->txn), 0);
    cat_changes_free(t);
    cat_rec_free(t);
    free(t);
}

/* A writer that keeps no records (an older version): a price and a new
 * state, committed around the hooks. */
static void old_writer(void)
{
    pl_txn_t *t;
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    catfix_price(t, "E", PL_LEVEL_BASE, "", now0 - 900, 650, 0, "old");
    CHECK_INT(cat_meta_put_u64(t, "state", 0x5eed5eed5eedull), 0);
    CHECK_INT(mdb_txn_commit(t->txn), 0); /* (frees the write cursors) */
    cat_changes_free(t);
    cat_rec_free(t);
    free(t);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-itemrec-XXXXXX";
    char name[PL_NAME_MAX + 1], gtin[15];
    now0 = (int64_t)time(NULL);
    cat = catfix_open(dir, 480,
                      1); /* no_tls: the resolver and the checks each hold a read transaction */
    write_catalogue();
    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);

    printf("records after the first batch\n");
    CHECK_INT(rows_rc("A", now0, name, gtin), 0);
    CHECK_STR(gtin, "06901234567885");
    CHECK_INT(rows_rc("A", now0 - PL_ITEM_REC_BACK - 1, NULL, gtin), 1); /* pruned: before */
    CHECK_INT(rows_rc("E", now0 - 400 * DAY, NULL, gtin), 0);            /* nothing left out */
    CHECK_INT(rows_rc("Z", now0, NULL, gtin), 1);                        /* too big */
    CHECK_INT(rows_rc("GHOST", now0, NULL, gtin), 1);
    uint64_t served = 0;
    CHECK_INT(compare("first batch", &served), 0);
    CHECK(served > 0, "records served lookups");
    CHECK_INT(verify(), 0);

    printf("records after a batch that changes them\n");
    second_batch();
    CHECK_INT(rows_rc("W", now0, name, gtin), 0);
    CHECK_STR(name, "猪肉 里脊");
    CHECK_INT(rows_rc("E", now0, NULL, gtin), 0);
    CHECK_STR(gtin, "06901234567809");
    served = 0;
    CHECK_INT(compare("second batch", &served), 0);
    CHECK(served > 0, "records served lookups");
    CHECK_INT(verify(), 0);

    printf("a barcode's record follows its barcode\n");
    char sku[PL_ITEM_CODE_MAX + 1];
    CHECK_INT(code_rc("06901234567885", sku), 0);
    CHECK_STR(sku, "A");
    CHECK_INT(code_rc("P12345", sku), 0); /* a scale item's PLU key */
    CHECK_STR(sku, "W");
    CHECK_INT(code_rc("06901234567809", sku), 0);
    CHECK_STR(sku, "E");
    barcode_batch();
    CHECK_INT(code_rc("06901234567885", sku), 0);
    CHECK_STR(sku, "B");
    CHECK_INT(code_rc("06901234567809", sku), 1); /* gone: the barcodes database says */
    CHECK_STR(sku, "");
    CHECK_INT(rows_rc("A", now0, NULL, gtin), 0);
    CHECK_STR(gtin, "06901234567892");
    pl_resolver_stale(res);
    served = 0;
    CHECK_INT(compare("barcodes moved", &served), 0);
    CHECK(served > 0, "records served lookups");
    CHECK_INT(verify(), 0);

    printf("the writer before barcodes' records: readers use the items' records alone\n");
    items_only_writer();
    CHECK_INT(code_rc("06901234567892", sku), 1); /* its record (still A's) is not read */
    CHECK_STR(sku, "");
    CHECK_INT(rows_rc("E", now0, NULL, gtin), 0); /* the items' records are */
    pl_resolver_stale(res);
    pl_answer_t moved;
    pl_resolve(res, NULL, "6901234567892", 13, now0, 0, &moved);
    CHECK_STR(moved.sku, "E");
    served = 0;
    CHECK_INT(compare("after the items-only writer", &served), 0);
    CHECK_INT(verify(), 0); /* (the barcodes' records are not current: not checked) */
    pl_txn_t *t;
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    CHECK_INT(pl_meta_bump(t, "b2d", NULL), 0);
    CHECK_INT(pl_txn_commit(t), 0); /* rewrites every record */
    CHECK_INT(code_rc("06901234567892", sku), 0);
    CHECK_STR(sku, "E");
    pl_resolver_stale(res);
    served = 0;
    CHECK_INT(compare("rewritten after it", &served), 0);
    CHECK(served > 0, "records served lookups");
    CHECK_INT(verify(), 0);

    printf("a writer without records: readers walk the rows until the next batch\n");
    old_writer();
    CHECK_INT(rows_rc("A", now0, NULL, gtin), 1);
    pl_resolver_stale(res);
    served = 0;
    CHECK_INT(compare("after the old writer", &served), 0);
    CHECK_INT(served, 0);
    pl_answer_t a;
    pl_resolve(res, NULL, "E", 1, now0, 0, &a);
    CHECK_INT(a.price, 650);
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    CHECK_INT(pl_meta_bump(t, "b3", NULL), 0);
    CHECK_INT(pl_txn_commit(t), 0);
    CHECK_INT(rows_rc("A", now0, NULL, gtin), 0);
    pl_resolver_stale(res);
    served = 0;
    CHECK_INT(compare("rewritten whole", &served), 0);
    CHECK(served > 0, "records served lookups");
    pl_resolve(res, NULL, "E", 1, now0, 0, &a);
    CHECK_INT(a.price, 650);
    CHECK_INT(verify(), 0);

    printf("a transaction written around the hooks rewrites every record\n");
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    MDB_val cut;
    CHECK_INT(cat_get(t, DB_ITEMRECS, "B", 1, &cut), 0);
    uint8_t head[2];
    memcpy(head, cut.mv_data, sizeof(head)); /* version and kind, no instant */
    CHECK_INT(cat_put(t, DB_ITEMRECS, "B", 1, head, sizeof(head), 0), 0); /* (no item noted) */
    CHECK_INT(pl_txn_commit(t), 0);
    CHECK_INT(rows_rc("B", now0, NULL, gtin), PL_ECORRUPT);
    /* A record of another version (an older writer's layout) is not
     * read: the lookup walks the rows. */
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    head[0] = (uint8_t)(head[0] - 1);
    CHECK_INT(cat_put(t, DB_ITEMRECS, "B", 1, head, sizeof(head), 0), 0);
    CHECK_INT(pl_txn_commit(t), 0);
    CHECK_INT(rows_rc("B", now0, NULL, gtin), 1);
    CHECK(verify() > 0, "verify reports the broken record");
    /* A barcode's record that names another item than the barcode's */
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    MDB_val bk = {15, "~06901234567885"}, bv;
    CHECK_INT(mdb_get(t->txn, t->cat->dbi[DB_ITEMRECS], &bk, &bv), 0);
    uint8_t other[4096];
    CHECK(bv.mv_size < sizeof(other) && ((const uint8_t *)bv.mv_data)[0] == 1, "B's record");
    memcpy(other, bv.mv_data, bv.mv_size);
    other[1] = 'A';
    bv.mv_data = other;
    CHECK_INT(mdb_put(t->txn, t->cat->dbi[DB_ITEMRECS], &bk, &bv, 0), 0);
    CHECK_INT(pl_txn_commit(t), 0);
    CHECK(verify() > 1, "verify reports the barcode's record");
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    pl_txn_touch_all(t);
    CHECK_INT(pl_meta_bump(t, "b4", NULL), 0);
    CHECK_INT(pl_txn_commit(t), 0);
    CHECK_INT(rows_rc("B", now0, NULL, gtin), 0);
    CHECK_INT(verify(), 0);
    pl_resolver_stale(res);
    served = 0;
    CHECK_INT(compare("after touch_all", &served), 0);
    CHECK(served > 0, "records served lookups");

    pl_resolver_free(res);
    catfix_close(cat, dir);
    return pl_test_done("test_itemrec");
}
