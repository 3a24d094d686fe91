/* A batch invalidates only what it touched (core/track.h, the change log of
 * pricelane/catalog.h): batches touch a known set of items while lookups of
 * the other items stay memo hits and shared-cache hits, byte-identical to
 * an answer built afresh; a finished answer in the shared cache serves
 * another resolver until a batch touches its item, never one another build
 * wrote, and only for a code as plain as written (no spaces, no GS1 data); a barcode a batch adds
 * turns a memoized not_found into the item; a store change flushes; and a copy of the catalogue
 * that reaches the same generation by another history never validates an entry of the original,
 * while one of their common history stays good. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catfix.h"
#include "check.h"
#include "pricelane/cache.h"
#include "pricelane/catalog.h"
#include "pricelane/memo.h"
#include "pricelane/resolve.h"

#define NOW 1790000000LL
#define CODE_A "6901234567014"
#define CODE_B "6901234567021"
#define CODE_C "6901234567038"

static int64_t seq; /* makes each price row start later than the one before */

/* One batch: price p for sku (NULL: none), barcode code for sku2 (NULL:
 * none), a store (store != 0). Returns the new generation. */
static uint64_t batch(pl_cat_t *cat, const char *sku, int64_t p, const char *code, const char *sku2,
                      int store)
{
    pl_txn_t *txn;
    char id[32];
    uint64_t gen = 0;
    snprintf(id, sizeof(id), "b%lld", (long long)++seq);
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    if (sku)
        catfix_price(txn, sku, PL_LEVEL_BASE, "", NOW - 100000 + seq, p, 0, id);
    if (code)
        catfix_barcode(txn, code, sku2);
    if (store) {
        pl_store_t st = {.id = "S1", .zone = "Z1"};
        CHECK_INT(pl_store_put(txn, &st), 0);
    }
    CHECK_INT(pl_meta_bump(txn, id, &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    return gen;
}

static uint64_t memo_hits(pl_memo_t *m)
{
    pl_memo_stats_t st;
    pl_memo_stats(m, &st);
    return st.hits;
}

static pl_cache_stats_t cstats(pl_cache_t *c)
{
    pl_cache_stats_t st;
    pl_cache_stats(c, &st);
    return st;
}

/* Hits of the shared cache: views and finished answers alike. */
static uint64_t cache_hits(pl_cache_t *c)
{
    return cstats(c).hits + cstats(c).answer_hits;
}

/* A's finished answer in the shared cache, its price written as `price`
 * and, when other_build, marked as another build's; stored back. The
 * trailer after the JSON mirrors shared_answer_t in core/resolve.c: 112
 * bytes, the writer's answer form at offset 24. */
#define TRAILER 112
static void forge_answer(pl_cache_t *cache, const char *price, int other_build)
{
    static const char key[] = "A-\0" CODE_A;
    char val[1024], out[1024];
    size_t vlen;
    uint64_t tag;
    CHECK_INT(pl_cache_answer_get(cache, key, sizeof(key) - 1, &tag, val, sizeof(val), &vlen), 0);
    CHECK(vlen > TRAILER && vlen < sizeof(val), "a stored answer with its trailer (%zu bytes)",
          vlen);
    const char *p = memmem(val, vlen - TRAILER, "\"price\":", 8);
    CHECK(p != NULL, "the stored answer has a price");
    if (!p)
        return;
    const char *q = p + 8;
    while (*q >= '0' && *q <= '9')
        q++;
    size_t head = (size_t)(p + 8 - val), plen = strlen(price), n = 0;
    memcpy(out, val, head), n = head;
    memcpy(out + n, price, plen), n += plen;
    memcpy(out + n, q, (size_t)(val + vlen - q)), n += (size_t)(val + vlen - q);
    if (other_build)
        out[n - TRAILER + 24] ^= 1;
    CHECK_INT(pl_cache_answer_put(cache, key, sizeof(key) - 1, tag, out, n), 0);
}

/* A resolver with no cache: its answers are built afresh from the rows. */
static pl_resolver_t *fresh;

/* The answer through memo (NULL: resolved afresh) as a string. */
static const char *lookup(pl_resolver_t *r, pl_memo_t *memo, const char *code, char *out)
{
    char buf[4096];
    size_t len = 0;
    pl_status_t st;
    pl_resolver_stale(r);
    const char *j =
        pl_lookup_json(r, memo, "", code, strlen(code), NOW, 0, buf, sizeof(buf), &len, &st);
    CHECK(j != NULL, "an answer for %s", code);
    memcpy(out, j ? j : "", j ? len : 0);
    out[j ? len : 0] = 0;
    return out;
}

/* A memo hit for code, byte-identical to the answer built afresh. */
static void check_hit(pl_resolver_t *r, pl_memo_t *memo, const char *code, const char *why)
{
    char a[4096], b[4096];
    uint64_t h = memo_hits(memo);
    lookup(r, memo, code, a);
    CHECK(memo_hits(memo) == h + 1, "%s: %s is a memo hit", why, code);
    CHECK_STR(a, lookup(fresh, NULL, code, b));
}

static void check_miss(pl_resolver_t *r, pl_memo_t *memo, const char *code, const char *want,
                       const char *why)
{
    char a[4096];
    uint64_t h = memo_hits(memo);
    lookup(r, memo, code, a);
    CHECK(memo_hits(memo) == h, "%s: %s is not a memo hit", why, code);
    CHECK(strstr(a, want) != NULL, "%s: %s answers %s: %s", why, code, want, a);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-track-XXXXXX";
    char a[4096];
    pl_cat_t *cat = catfix_open(dir, 8 * 60, 1); /* no_tls: several resolvers on one thread */
    pl_txn_t *txn;
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    catfix_item(txn, "A", NULL, "each", 0, NULL);
    catfix_item(txn, "B", NULL, "each", 0, NULL);
    catfix_item(txn, "C", NULL, "each", 0, NULL);
    catfix_barcode(txn, "0" CODE_A, "A");
    catfix_barcode(txn, "0" CODE_B, "B");
    catfix_price(txn, "A", PL_LEVEL_BASE, "", NOW - 200000, 100, 0, "b0");
    catfix_price(txn, "B", PL_LEVEL_BASE, "", NOW - 200000, 200, 0, "b0");
    catfix_price(txn, "C", PL_LEVEL_BASE, "", NOW - 200000, 300, 0, "b0");
    CHECK_INT(pl_meta_bump(txn, "b0", NULL), 0);
    CHECK_INT(pl_txn_commit(txn), 0);

    pl_meta_t meta;
    CHECK_INT(pl_txn_begin(cat, 0, &txn), 0);
    CHECK_INT(pl_meta_get(txn, &meta), 0);
    pl_txn_abort(txn);
    char cpath[] = "/tmp/pl-test-track-cache-XXXXXX";
    int cfd = mkstemp(cpath);
    CHECK(cfd >= 0, "cache file");
    close(cfd);
    pl_cache_t *cache;
    CHECK_INT(pl_cache_open(cpath, 1 << 20, meta.catalog_id, &cache), 0);
    pl_resolver_t *r, *r2;
    pl_memo_t *memo;
    CHECK_INT(pl_resolver_new(cat, cache, &r), 0);
    pl_resolver_share_answers(r, 1);
    CHECK_INT(pl_resolver_new(cat, NULL, &fresh), 0);
    CHECK_INT(pl_memo_new(1 << 20, &memo), 0);

    printf("checking untouched items stay memo hits across batches\n");
    check_miss(r, memo, CODE_A, "\"price\":100", "first lookup");
    check_miss(r, memo, CODE_B, "\"price\":200", "first lookup");
    check_miss(r, memo, CODE_C, "\"status\":\"not_found\"", "first lookup");
    check_hit(r, memo, CODE_A, "same generation");
    for (int i = 1; i <= 40; i++) {
        uint64_t gen = batch(cat, "B", 200 + i, NULL, NULL, 0);
        char want[32];
        snprintf(want, sizeof(want), "\"price\":%d", 200 + i);
        check_hit(r, memo, CODE_A, "a batch that touched B only");
        check_hit(r, memo, CODE_C, "a batch that touched B only (not found)");
        check_miss(r, memo, CODE_B, want, "a batch that touched B");
        snprintf(want, sizeof(want), "\"gen\":%llu", (unsigned long long)gen);
        CHECK(strstr(lookup(r, memo, CODE_A, a), want) != NULL, "A's answer says %s: %s", want, a);
    }

    printf("checking a new barcode and the item it names\n");
    batch(cat, NULL, 0, "0" CODE_C, "C", 0);
    check_miss(r, memo, CODE_C, "\"price\":300", "the barcode was added");
    check_hit(r, memo, CODE_A, "the batch touched C");
    check_hit(r, memo, CODE_C, "after it");

    printf("checking the shared cache keeps views of untouched items\n");
    CHECK_INT(pl_resolver_new(cat, cache, &r2), 0);
    pl_resolver_share_answers(r2, 1);
    uint64_t ch = cache_hits(cache);
    lookup(r2, NULL, CODE_A, a); /* A's view was built at generation 1 */
    CHECK(cache_hits(cache) == ch + 1, "another resolver (a new tracker) finds A's old view");
    CHECK(strstr(a, "\"price\":100") != NULL, "with A's price: %s", a);
    batch(cat, "B", 999, NULL, NULL, 0);
    ch = cache_hits(cache);
    lookup(r2, NULL, CODE_A, a);
    CHECK(cache_hits(cache) == ch + 1, "A's view is kept across a batch on B");
    batch(cat, "A", 150, NULL, NULL, 0);
    check_miss(r2, NULL, CODE_A, "\"price\":150", "a batch that touched A (cache)");

    printf("checking finished answers are shared between resolvers\n");
    /* r2 has just answered A: another resolver (its tracker under another
     * seed) takes that answer, byte-identical to one built afresh, until a
     * batch touches A. */
    pl_resolver_t *r3;
    char b[4096];
    CHECK_INT(pl_resolver_new(cat, cache, &r3), 0);
    pl_resolver_share_answers(r3, 1);
    uint64_t ah = cstats(cache).answer_hits;
    lookup(r3, NULL, CODE_A, a);
    CHECK(cstats(cache).answer_hits == ah + 1, "another resolver takes A's finished answer");
    CHECK_STR(a, lookup(fresh, NULL, CODE_A, b));
    batch(cat, "B", 998, NULL, NULL, 0);
    ah = cstats(cache).answer_hits;
    lookup(r3, NULL, CODE_A, a);
    CHECK(cstats(cache).answer_hits == ah + 1, "A's finished answer is kept across a batch on B");
    CHECK_STR(a, lookup(fresh, NULL, CODE_A, b)); /* its "gen" the new one */
    batch(cat, "A", 160, NULL, NULL, 0);
    lookup(r3, NULL, CODE_A, a); /* the answer found is stale: built anew */
    CHECK(strstr(a, "\"price\":160") != NULL, "A's new price after a batch on A: %s", a);
    CHECK_STR(a, lookup(fresh, NULL, CODE_A, b));
    ah = cstats(cache).answer_hits;
    check_miss(r, memo, CODE_A, "\"price\":160", "a worker's memo after a batch on A");
    CHECK(cstats(cache).answer_hits == ah + 1, "the memo's miss answered from the shared cache");
    check_hit(r, memo, CODE_A, "the shared answer memoized");

    printf("checking which answers are not shared\n");
    /* Forms a sender can vary without end (spaces, GS1 data with a lot):
     * answered, and kept in a worker's memo only. */
    uint64_t ai = cstats(cache).answer_inserts;
    lookup(r3, NULL, " " CODE_A, a);
    CHECK(strstr(a, "\"price\":160") != NULL, "A with a space before it: %s", a);
    lookup(r3, NULL, "]d2010" CODE_A "10LOT7", a);
    CHECK(strstr(a, "\"status\":\"ok\"") && strstr(a, "\"price\":160"),
          "A's 2D code with a lot: %s", a);
    CHECK(cstats(cache).answer_inserts == ai, "neither is stored in the shared cache");

    printf("checking an answer another build wrote is not served\n");
    /* Control: the same bytes marked as this build's are served as they are
     * (so it is the mark that keeps the other build's answer out). */
    pl_resolver_t *r4;
    forge_answer(cache, "161", 0);
    CHECK_INT(pl_resolver_new(cat, cache, &r4), 0);
    pl_resolver_share_answers(r4, 1);
    lookup(r4, NULL, CODE_A, a);
    CHECK(strstr(a, "\"price\":161") != NULL, "control: a forged answer of this build: %s", a);
    pl_resolver_free(r4);
    forge_answer(cache, "161", 1);
    CHECK_INT(pl_resolver_new(cat, cache, &r4), 0);
    pl_resolver_share_answers(r4, 1);
    lookup(r4, NULL, CODE_A, a);
    CHECK_STR(a, lookup(fresh, NULL, CODE_A, b));
    pl_resolver_free(r4);
    pl_resolver_free(r3);

    printf("checking a copy that reaches the same generation by another history\n");
    char dir2[] = "/tmp/pl-test-track-copy-XXXXXX";
    CHECK(mkdtemp(dir2) != NULL, "mkdtemp");
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cp %s/data.mdb %s/", dir, dir2);
    CHECK_INT(system(cmd), 0);
    pl_cat_t *copy;
    pl_cat_opts_t opts = {.no_tls = 1};
    CHECK_INT(pl_cat_open(dir2, &opts, &copy), 0);
    pl_resolver_t *rc;
    CHECK_INT(pl_resolver_new(copy, cache, &rc), 0);
    pl_resolver_share_answers(rc, 1);
    ch = cache_hits(cache);
    lookup(rc, NULL, CODE_C, a);
    CHECK(cache_hits(cache) == ch + 1, "the copy uses a view of the common history");
    uint64_t g1 = batch(cat, "A", 500, NULL, NULL, 0);
    uint64_t g2 = batch(copy, "A", 777, NULL, NULL, 0);
    CHECK(g1 == g2, "both at generation %llu", (unsigned long long)g1);
    check_miss(r2, NULL, CODE_A, "\"price\":500", "the original");
    check_miss(rc, NULL, CODE_A, "\"price\":777", "the copy, after the original cached A");
    check_miss(r2, NULL, CODE_A, "\"price\":500", "the original, after the copy cached A");

    printf("checking a store change flushes\n");
    lookup(r, memo, CODE_B, a);
    check_hit(r, memo, CODE_B, "before the store change");
    batch(cat, NULL, 0, NULL, NULL, 1);
    check_miss(r, memo, CODE_B, "\"status\":\"ok\"", "a store changed");

    pl_resolver_free(rc);
    pl_cat_close(copy);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir2);
    CHECK_INT(system(cmd), 0);
    pl_resolver_free(r2);
    pl_resolver_free(r);
    pl_resolver_free(fresh);
    pl_memo_free(memo);
    pl_cache_close(cache);
    unlink(cpath);
    catfix_close(cat, dir);
    return pl_test_done("test_track");
}
