/* Catalogue snapshots (pricelane/snapshot.h): a catalogue written out and
 * loaded into another one whole (items, barcodes, stores, prices, ledger;
 * meta's generation never goes back; identity and a follower's position
 * stay the loader's), other stores' price rows left out on request, and
 * every malformed file refused with why: not a snapshot, cut short, a
 * database or meta key the catalogue does not have, a record too large. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "catfix.h"
#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/catalog_verify.h"
#include "pricelane/err.h"
#include "pricelane/snapshot.h"

#define T0 1764900000LL

static void store(pl_txn_t *t, const char *id, const char *zone)
{
    pl_store_t st = {0};
    snprintf(st.id, sizeof(st.id), "%s", id);
    snprintf(st.zone, sizeof(st.zone), "%s", zone);
    CHECK_INT(pl_store_put(t, &st), 0);
}

static int count(const pl_price_t *p, void *arg)
{
    (void)p;
    ((int *)arg)[0]++;
    return 0;
}

static int price_rows(pl_txn_t *t, const char *sku)
{
    int n = 0;
    CHECK_INT(pl_price_each(t, sku, count, &n), 0);
    return n;
}

static void no_violation(const char *db, const char *msg, void *arg)
{
    (void)arg;
    printf("violation: %s: %s\n", db, msg);
}

int main(void)
{
    char d1[] = "/tmp/pl-test-catsnap1-XXXXXX", d2[] = "/tmp/pl-test-catsnap2-XXXXXX";
    pl_cat_t *src = catfix_open(d1, 480, 0), *dst = catfix_open(d2, 480, 0);
    pl_txn_t *t;
    uint64_t gen = 0;

    CHECK_INT(pl_txn_begin(src, 1, &t), 0);
    store(t, "S1", "north");
    store(t, "S2", "north");
    catfix_item(t, "A", "油", "each", 0, NULL);
    catfix_barcode(t, "06901234560015", "A");
    catfix_price(t, "A", PL_LEVEL_BASE, "", T0, 1000, 0, "b1");
    catfix_price(t, "A", PL_LEVEL_STORE, "S1", T0, 900, 0, "b1");
    catfix_price(t, "A", PL_LEVEL_STORE, "S2", T0, 950, 0, "b1");
    for (int i = 0; i < 5; i++)
        CHECK_INT(pl_meta_bump(t, "b1", &gen), 0);
    pl_batch_rec_t rec = {0};
    snprintf(rec.id, sizeof(rec.id), "b1");
    snprintf(rec.digest, sizeof(rec.digest), "0123456789abcdef0123456789abcdef");
    rec.gen = gen;
    CHECK_INT(pl_batch_put(t, &rec), 0);
    CHECK_INT(pl_txn_commit(t), 0);

    int fd = memfd_create("snap", 0);
    uint64_t records = 0;
    CHECK_INT(pl_txn_begin(src, 0, &t), 0);
    CHECK_INT(pl_snapshot_write(t, fd, &records), 0);
    pl_txn_abort(t);
    off_t len = lseek(fd, 0, SEEK_END);
    char *data = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(data != MAP_FAILED, "mmap");
    printf("ok   snapshot written: %llu records, %lld bytes\n", (unsigned long long)records,
           (long long)len);

    /* The loading catalogue has its own position and a generation of 2. */
    pl_follow_t pos = {0};
    snprintf(pos.stream, sizeof(pos.stream), "PRICELANE_north");
    pos.seq = 7;
    CHECK_INT(pl_txn_begin(dst, 1, &t), 0);
    CHECK_INT(pl_follow_put(t, &pos), 0);
    CHECK_INT(pl_meta_bump(t, "x", NULL), 0);
    CHECK_INT(pl_meta_bump(t, "y", NULL), 0);
    CHECK_INT(pl_txn_commit(t), 0);

    pl_snapshot_info_t info;
    char err[256] = "";
    CHECK_INT(pl_txn_begin(dst, 1, &t), 0);
    CHECK_INT(pl_snapshot_load(t, data, (size_t)len, "S1", &info, err, sizeof(err)), 0);
    CHECK_INT(info.src_gen, 5);
    CHECK_INT(info.skipped, 1);
    uint64_t g2 = 0;
    CHECK_INT(pl_meta_bump(t, "snapshot@7", &g2), 0);
    CHECK_INT(g2, 6); /* above both: 5 and 2 */
    rec.gen = g2;
    snprintf(rec.id, sizeof(rec.id), "snapshot@7");
    CHECK_INT(pl_batch_put(t, &rec), 0);
    pl_verify_counts_t vc = {0};
    CHECK_INT(pl_cat_verify(t, no_violation, NULL, &vc), 0);
    CHECK_INT(vc.violations, 0);
    CHECK_INT(pl_txn_commit(t), 0);
    CHECK_INT(pl_txn_begin(dst, 0, &t), 0);
    pl_item_t it;
    pl_follow_t got;
    pl_meta_t m;
    char sku[PL_ITEM_CODE_MAX + 1];
    CHECK_INT(pl_item_get(t, "A", &it), 0);
    CHECK_STR(it.name, "油");
    CHECK_INT(pl_cat_barcode_get(t, "06901234560015", sku), 0);
    CHECK_STR(sku, "A");
    CHECK_INT(price_rows(t, "A"), 2); /* base and S1; S2's left out */
    CHECK_INT(pl_follow_get(t, &got), 0);
    CHECK_INT(got.seq, 7);
    CHECK_INT(pl_meta_get(t, &m), 0);
    CHECK(m.catalog_id == pl_cat_id(dst), "catalogue id kept: %llx",
          (unsigned long long)m.catalog_id);
    CHECK_INT(m.gen, 6);
    pl_txn_abort(t);
    printf("ok   loaded whole: item, barcode, prices (S2's left out), verify clean, generation 6,"
           " identity and position kept\n");

    /* Malformed files: each refused with why. */
    struct {
        const char *what;
        size_t off, len;
        const char *bytes;
        size_t cut;
        const char *why;
    } bad[] = {
        {"not a snapshot", 0, 8, "NOTSNAP!", 0, "not a pricelane catalogue snapshot"},
        {"cut short", 0, 0, NULL, 40, "cut short"},
        {"unknown database", 10, 4, "xeta", 0, "is not one of this catalogue's"},
        {"no end mark", 0, 0, NULL, 1, "cut short"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *copy = malloc((size_t)len);
        memcpy(copy, data, (size_t)len);
        if (bad[i].bytes)
            memcpy(copy + bad[i].off, bad[i].bytes, bad[i].len);
        size_t n = bad[i].cut ? (size_t)len - bad[i].cut : (size_t)len;
        err[0] = 0;
        CHECK_INT(pl_txn_begin(dst, 1, &t), 0);
        CHECK_INT(pl_snapshot_load(t, copy, n, NULL, &info, err, sizeof(err)), PL_ECORRUPT);
        CHECK(strstr(err, bad[i].why) != NULL, "%s: \"%s\" lacks \"%s\"", bad[i].what, err,
              bad[i].why);
        pl_txn_abort(t);
        free(copy);
        printf("ok   %s: %s\n", bad[i].what, err);
    }
    /* A record too large: the first record's key length. */
    {
        char *copy = malloc((size_t)len);
        memcpy(copy, data, (size_t)len);
        size_t hdr = 8 + 1;
        for (int d = 0; d < (unsigned char)copy[8]; d++)
            hdr += 1 + (unsigned char)copy[hdr];
        memcpy(copy + hdr + 1, "\xff\xff\xff\x7f", 4);
        CHECK_INT(pl_txn_begin(dst, 1, &t), 0);
        CHECK_INT(pl_snapshot_load(t, copy, (size_t)len, NULL, &info, err, sizeof(err)),
                  PL_ECORRUPT);
        CHECK(strstr(err, "a key of") != NULL, "\"%s\"", err);
        pl_txn_abort(t);
        free(copy);
        printf("ok   a record too large: %s\n", err);
    }
    CHECK_INT(pl_txn_begin(dst, 0, &t), 0);
    CHECK_INT(pl_snapshot_load(t, data, (size_t)len, NULL, &info, err, sizeof(err)), PL_EINVAL);
    pl_txn_abort(t);
    CHECK_INT(pl_txn_begin(dst, 0, &t), 0);
    CHECK_INT(pl_item_get(t, "A", &it), 0); /* the refused loads changed nothing */
    pl_txn_abort(t);
    printf("ok   a read transaction refused; the catalogue unchanged by the refusals\n");

    munmap(data, (size_t)len);
    close(fd);
    catfix_close(src, d1);
    catfix_close(dst, d2);
    return pl_test_done("test_catsnap");
}
