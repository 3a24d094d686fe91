/* resolve against a catalogue written through the catalogue API: price
 * levels, scheduled prices, promotion rules (priority, member, percent,
 * best price among equals, store scope, cancel), previous price, lowest
 * price of 7 days, labels, variable-measure codes, keyed codes, errors. */
#include <stdlib.h>
#include <unistd.h>

#include "catfix.h"
#include "check.h"
#include "pricelane/cache.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/memo.h"
#include "pricelane/resolve.h"
#include "pricelane/timefmt.h"

#define T0 1790000000LL /* 2026-09-21 */
#define DAY 86400

static pl_txn_t *txn;

/* The rows of this catalogue, in the transaction txn; a weighed item is
 * sold per kg, a price after T0 is a scheduled one. */
static void item(const char *sku, const char *name, uint32_t flags, const char *plu)
{
    catfix_item(txn, sku, name, flags & PL_ITEM_WEIGHED ? "kg" : "each", flags, plu);
}

static void barcode(const char *gtin14, const char *sku)
{
    catfix_barcode(txn, gtin14, sku);
}

static void price(const char *sku, int level, const char *scope, int64_t start, int64_t p)
{
    catfix_price(txn, sku, level, scope, start, p, start > T0, "b1");
}

static void promo(const char *id, int kind, const char *sku, int64_t start, int64_t end, int64_t p,
                  int pct_bp, int prio, int scope_kind, const char *scope)
{
    catfix_promo_rule(txn, id, kind, sku, start, end, p, pct_bp, prio, scope_kind, scope);
}

static pl_resolver_t *res;
static pl_answer_t ans;

static const pl_answer_t *look(const char *store, const char *code, int64_t now, int member)
{
    pl_resolve(res, store, code, strlen(code), now, member, &ans);
    return &ans;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The items, their barcodes, prices and promotions. */
static void write_items(void)
{
    /* A: base 1000 since T0-30d, cut to 900 at T0-2d; zone north 950 from
     * T0-1d; store S2 override 800 from T0-1d; scheduled base 850 at T0+1d. */
    item("A", "金龙鱼 调和油 5L", 0, NULL);
    barcode("06901234567892", "A");
    barcode("06901234567885", "A"); /* second barcode on one item */
    price("A", PL_LEVEL_BASE, "", T0 - 30 * DAY, 1000);
    price("A", PL_LEVEL_BASE, "", T0 - 2 * DAY, 900);
    price("A", PL_LEVEL_ZONE, "north", T0 - DAY, 950);
    price("A", PL_LEVEL_STORE, "S2", T0 - DAY, 800);
    price("A", PL_LEVEL_BASE, "", T0 + DAY, 850);

    /* B: base 500; special 450 prio 1 [T0-1h, T0+1h); flyer 400 prio 1 same
     * window (best price among equals wins); markdown 300 prio 0 (lower
     * priority loses although cheaper); member 350 prio 5 (members only);
     * 10% off for store S3 only, prio 9. */
    item("B", "蒙牛 纯牛奶 250ml×24", 0, NULL);
    barcode("06920000000012", "B");
    price("B", PL_LEVEL_BASE, "", T0 - 30 * DAY, 500);
    promo("P-special", PL_PROMO_SPECIAL, "B", T0 - 3600, T0 + 3600, 450, 0, 1, PL_SCOPE_ALL, NULL);
    promo("P-flyer", PL_PROMO_FLYER, "B", T0 - 3600, T0 + 3600, 400, 0, 1, PL_SCOPE_ALL, NULL);
    promo("P-mark", PL_PROMO_MARKDOWN, "B", T0 - 3600, T0 + 3600, 300, 0, 0, PL_SCOPE_ALL, NULL);
    promo("P-member", PL_PROMO_MEMBER, "B", T0 - 3600, T0 + 3600, 350, 0, 5, PL_SCOPE_ALL, NULL);
    promo("P-s3", PL_PROMO_SPECIAL, "B", T0 - 3600, T0 + 3600, PL_PRICE_NONE, 1000, 9,
          PL_SCOPE_STORES, "S3");

    /* W: weighed item, 3980 per kg, scale code 12345. */
    item("W", "猪肉 精瘦肉", PL_ITEM_WEIGHED, "12345");
    price("W", PL_LEVEL_BASE, "", T0 - DAY, 3980);

    /* N: no price; D: discontinued. */
    item("N", "无价商品", 0, NULL);
    item("D", "停售商品", PL_ITEM_DISCONTINUED, NULL);
    price("D", PL_LEVEL_BASE, "", T0 - DAY, 100);
}

/* The stores, the items, A's label and the pending reprints of A and W, in
 * one batch (generation 1). */
static void write_catalogue(pl_cat_t *cat)
{
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);

    pl_store_t s1 = {"S1", "north", "Store 1", ""}, s2 = {"S2", "north", "Store 2", ""},
               s3 = {"S3", "south", "Store 3", ""};
    CHECK_INT(pl_store_put(txn, &s1), 0);
    CHECK_INT(pl_store_put(txn, &s2), 0);
    CHECK_INT(pl_store_put(txn, &s3), 0);

    write_items();

    pl_label_t lb = {"A", "", 1000, T0 - 30 * DAY, 0, PL_TIME_NONE, T0 - 30 * DAY};
    CHECK_INT(pl_label_put(txn, &lb), 0);
    catfix_job(txn, "A", PL_LEVEL_BASE, "", 900, T0 - 2 * DAY);
    /* W's label is due for a reprint at an instant nothing else happens. */
    catfix_job(txn, "W", PL_LEVEL_BASE, "", 3980, T0 + 5 * 3600);
    uint64_t gen;
    CHECK_INT(pl_meta_bump(txn, "b1", &gen), 0);
    CHECK_INT(gen, 1);
    CHECK_INT(pl_txn_commit(txn), 0);
}

static void test_price_levels(void)
{
    printf("checking price levels and scheduled prices\n");
    const pl_answer_t *a = look(NULL, "6901234567892", T0, 0);
    CHECK_INT(a->status, PL_ANS_OK);
    CHECK_STR(a->sku, "A");
    CHECK_STR(a->gtin, "06901234567892");
    CHECK_INT(a->price, 900);
    CHECK_STR(a->source, "base");
    CHECK_INT(a->prev_price, 1000);
    CHECK_INT(a->prev_changed_at, T0 - 2 * DAY);
    CHECK_INT(a->low_7d, 900);
    CHECK_INT(a->label_price, 1000);
    CHECK_INT(a->label_pending, 1);
    a = look(NULL, "6901234567885", T0, 0);
    CHECK_STR(a->sku, "A");
    a = look("S1", "6901234567892", T0, 0);
    CHECK_INT(a->price, 950);
    CHECK_STR(a->source, "zone");
    CHECK_INT(a->base_price, 900);
    a = look("S2", "6901234567892", T0, 0);
    CHECK_INT(a->price, 800);
    CHECK_STR(a->source, "store");
    a = look("S3", "6901234567892", T0, 0);
    CHECK_INT(a->price, 900);
    a = look(NULL, "6901234567892", T0 + DAY, 0);
    CHECK_INT(a->price, 850);
    CHECK_STR(a->source, "scheduled");
    CHECK_INT(a->prev_price, 900);
    CHECK_INT(a->low_7d, 900);
    a = look(NULL, "6901234567892", T0 + DAY - 1, 0);
    CHECK_INT(a->price, 900);
    a = look(NULL, "6901234567892", T0 - 10 * DAY, 0);
    CHECK_INT(a->price, 1000);
    CHECK_INT(a->prev_price, PL_PRICE_NONE);
}

static void test_promotions(void)
{
    printf("checking promotion rules\n");
    const pl_answer_t *a = look(NULL, "6920000000012", T0, 0);
    CHECK_INT(a->price, 400);
    CHECK_STR(a->source, "flyer");
    CHECK_STR(a->promo_id, "P-flyer");
    CHECK_INT(a->promo_ends, T0 + 3600);
    CHECK_INT(a->base_price, 500);
    CHECK_INT(a->prev_price, 500);
    CHECK_INT(a->prev_changed_at, T0 - 3600);
    CHECK_INT(a->low_7d, 400);
    a = look(NULL, "6920000000012", T0, 1);
    CHECK_INT(a->price, 350);
    CHECK_STR(a->source, "member");
    a = look("S3", "6920000000012", T0, 0);
    CHECK_INT(a->price, 450); /* 10% off 500, priority 9 */
    CHECK_STR(a->promo_id, "P-s3");
    a = look("S1", "6920000000012", T0, 0);
    CHECK_STR(a->promo_id, "P-flyer");
    a = look(NULL, "6920000000012", T0 + 3600, 0);
    CHECK_INT(a->price, 500);
    CHECK_STR(a->source, "base");
    CHECK_INT(a->low_7d, 400);
    a = look(NULL, "6920000000012", T0 - 3601, 0);
    CHECK_INT(a->price, 500);
}

/* 21 12345 00500 C: 500 g of W; make_scale_code adds the check digit. */
static char scale[14] = "211234500500";

static void make_scale_code(void)
{
    scale[12] = 0;
    int sum = 0;
    for (int i = 0; i < 12; i++)
        sum += (scale[11 - i] - '0') * (i % 2 == 0 ? 3 : 1);
    scale[12] = (char)('0' + (10 - sum % 10) % 10);
    scale[13] = 0;
}

static void test_codes(void)
{
    printf("checking variable-measure, keyed and bad codes\n");
    /* 21 12345 00500 C: 500 g at 39.80/kg = 19.90 */
    const pl_answer_t *a = look(NULL, scale, T0, 0);
    CHECK_INT(a->status, PL_ANS_OK);
    CHECK_STR(a->sku, "W");
    CHECK_INT(a->measure, PL_MEASURE_WEIGHT);
    CHECK_INT(a->amount, 500);
    CHECK_INT(a->unit_price, 3980);
    CHECK_INT(a->price, 1990);
    a = look(NULL, "A", T0, 0);
    CHECK_INT(a->status, PL_ANS_OK);
    CHECK_STR(a->gtin, "06901234567885");
    a = look(NULL, "6901234567893", T0, 0);
    CHECK_INT(a->status, PL_ANS_BAD_CODE);
    CHECK(strstr(a->error, "expected 2") != NULL, "error says the expected digit: %s", a->error);
    a = look(NULL, "6901234567809", T0, 0);
    CHECK_INT(a->status, PL_ANS_NOT_FOUND);
    a = look(NULL, "N", T0, 0);
    CHECK_INT(a->status, PL_ANS_NO_PRICE);
    a = look(NULL, "D", T0, 0);
    CHECK_INT(a->status, PL_ANS_NOT_FOUND);
    a = look("NOPE", "A", T0, 0);
    CHECK_INT(a->status, PL_ANS_ERROR);
}

static void test_json(void)
{
    printf("checking the JSON encoding\n");
    char json[2048];
    const pl_answer_t *a = look(NULL, "6920000000012", T0, 0);
    size_t n = pl_answer_json(a, 480, json, sizeof(json));
    CHECK(n > 0, "json fits");
    const char *head = "\"status\":\"ok\",\"code\":\"6920000000012\",\"gtin\":\"06920000000012\"";
    CHECK(strstr(json, head) != NULL, "%s", json);
    CHECK(strstr(json, "\"promo_ends\":\"2026-09-21T23:13:20+08:00\"") != NULL, "%s", json);
    CHECK(strstr(json, "\"error\":null}") != NULL, "%s", json);
    CHECK_INT(pl_answer_json(a, 480, json, 20), 0);
    pl_resolve(res, NULL, "\"\xff\n", 3, T0, 0, &ans);
    n = pl_answer_json(&ans, 480, json, sizeof(json));
    CHECK(strstr(json, "\"code\":\"\\\"\\ufffd\"") != NULL, "escaped: %s", json);
}

/* The codes and stores the comparisons below go through. */
static const char *const codes[] = {
    "6901234567892", "6920000000012", "A", scale, "6901234567809", "N", "D"};
#define NCODES (sizeof(codes) / sizeof(codes[0]))
static const char *const stores[] = {NULL, "S1", "S2", "S3"};

static void test_cache(pl_cat_t *cat, const char *dir)
{
    printf("checking answers are byte-identical with the shared-memory cache\n");
    char cpath[300];
    snprintf(cpath, sizeof(cpath), "%s/cache.shm", dir);
    pl_cache_t *cache;
    CHECK_INT(pl_cache_open(cpath, 4 << 20, pl_cat_id(cat), &cache), 0);
    pl_resolver_t *cached;
    CHECK_INT(pl_resolver_new(cat, cache, &cached), 0);
    /* ascending: a view cached at one instant answers the later ones, up to
     * more than 7 days after it was built (its rows reach further back than
     * those of a view built then) */
    int64_t times[] = {T0 - 10 * DAY, T0, T0 + 3599, T0 + DAY, T0 + 3600 + 7 * DAY, T0 + 30 * DAY};
    const size_t ntimes = sizeof(times) / sizeof(times[0]);
    int same = 0, total = 0;
    for (int round = 0; round < 2; round++)
        for (size_t c = 0; c < NCODES; c++)
            for (size_t s = 0; s < 4; s++)
                for (size_t t = 0; t < ntimes; t++)
                    for (int m = 0; m < 2; m++) {
                        pl_answer_t x, y;
                        char jx[2048], jy[2048];
                        pl_resolve(res, stores[s], codes[c], strlen(codes[c]), times[t], m, &x);
                        pl_resolve(cached, stores[s], codes[c], strlen(codes[c]), times[t], m, &y);
                        pl_answer_json(&x, 480, jx, sizeof(jx));
                        pl_answer_json(&y, 480, jy, sizeof(jy));
                        total++;
                        same += strcmp(jx, jy) == 0;
                        if (strcmp(jx, jy) != 0 && total - same <= 3)
                            printf("differs:\n  %s\n  %s\n", jx, jy);
                    }
    CHECK_INT(same, total);
    pl_cache_stats_t st;
    pl_cache_stats(cache, &st);
    CHECK(st.hits > 0, "cache was used: %llu hits", (unsigned long long)st.hits);
    printf("%d answers compared, cache hits %llu misses %llu\n", total, (unsigned long long)st.hits,
           (unsigned long long)st.misses);
    pl_resolver_free(cached);
    pl_cache_close(cache);
}

/* Every instant where some answer of this catalogue changes, one and two
 * seconds either side, the same a 7-day window later, and a coarse grid;
 * in order. Returns how many (when has room for 512). */
static int breakpoints(int64_t *when)
{
    const int64_t base[] = {T0 - 30 * DAY, T0 - 2 * DAY, T0 - DAY,     T0 + DAY,
                            T0 - 3600,     T0 + 3600,    T0 + 5 * 3600};
    int nw = 0;
    for (size_t b = 0; b < sizeof(base) / sizeof(base[0]); b++)
        for (int64_t off = 0; off <= 7 * DAY; off += 7 * DAY)
            for (int d = -2; d <= 2; d++)
                when[nw++] = base[b] + off + d;
    for (int64_t t = T0 - 32 * DAY; t < T0 + 10 * DAY; t += 6 * 3600)
        when[nw++] = t;
    qsort(when, (size_t)nw, sizeof(when[0]), cmp_i64);
    return nw;
}

/* Compares the memo's answers with fresh ones at every breakpoint, forward
 * then backward (a clock stepped back). Returns how many were compared; *same
 * counts the equal ones. */
static int compare_memo(pl_resolver_t *cached, pl_memo_t *memo, const int64_t *when, int nw,
                        int *same)
{
    int total = 0;
    for (int back = 0; back < 2; back++)
        for (int k = 0; k < nw; k++) {
            int64_t t = when[back ? nw - 1 - k : k];
            for (size_t c = 0; c < NCODES; c++)
                for (size_t s = 0; s < 4; s++)
                    for (int m = 0; m < 2; m++) {
                        pl_answer_t x;
                        char jx[2048], jy[2048];
                        size_t ly;
                        pl_status_t sy;
                        pl_resolve(res, stores[s], codes[c], strlen(codes[c]), t, m, &x);
                        pl_answer_json(&x, 480, jx, sizeof(jx));
                        const char *y =
                            pl_lookup_json(cached, memo, stores[s], codes[c], strlen(codes[c]), t,
                                           m, jy, sizeof(jy), &ly, &sy);
                        total++;
                        int ok = y && ly == strlen(jx) && memcmp(jx, y, ly) == 0 && sy == x.status;
                        *same += ok;
                        if (!ok && total - *same <= 3)
                            printf("differs at %lld:\n  %s\n  %.*s\n", (long long)t, jx,
                                   y ? (int)ly : 0, y ? y : "");
                    }
        }
    return total;
}

static void test_memo(pl_cat_t *cat)
{
    printf("checking memoized answers are byte-identical across every breakpoint\n");
    pl_memo_t *memo;
    CHECK_INT(pl_memo_new(1 << 20, &memo), 0);
    pl_resolver_t *cached;
    CHECK_INT(pl_resolver_new(cat, NULL, &cached), 0);
    int64_t when[512];
    int nw = breakpoints(when);
    int same = 0, total = compare_memo(cached, memo, when, nw, &same);
    CHECK_INT(same, total);
    pl_memo_stats_t ms;
    pl_memo_stats(memo, &ms);
    CHECK(ms.hits > (uint64_t)total / 2, "memo answered most: %llu hits of %d",
          (unsigned long long)ms.hits, total);
    CHECK(ms.misses > 0, "memo missed at breakpoints");
    printf("%d answers compared at %d instants, memo hits %llu misses %llu\n", total, nw,
           (unsigned long long)ms.hits, (unsigned long long)ms.misses);
    pl_resolver_free(cached);
    pl_memo_free(memo);
}

/* One write transaction of f(arg) as a batch, then the resolver renewed. */
static void batch(pl_cat_t *cat, void (*f)(uint64_t *ids), uint64_t *ids)
{
    uint64_t gen;
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    f(ids);
    CHECK_INT(pl_meta_bump(txn, NULL, &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    CHECK_INT(pl_resolver_refresh(res), 0);
}

static void steps_items(uint64_t *ids)
{
    pl_label_job_t j = {0};
    item("900001", "label steps", 0, NULL);
    barcode("06900000000011", "900001");
    price("900001", PL_LEVEL_BASE, "", T0 - 30 * DAY, 500);
    j = (pl_label_job_t){.sku = "900001", .price = 500, .due = T0 - DAY};
    j.unit_price = j.old_price = PL_PRICE_NONE;
    j.promo_ends = PL_TIME_NONE;
    CHECK_INT(pl_job_add(txn, &j), 0);
    ids[0] = j.id;
}

static void steps_print(uint64_t *ids)
{
    CHECK_INT(pl_job_ack(txn, ids[0], T0 - DAY + 3600), 0);
}

static void steps_place(uint64_t *ids)
{
    CHECK_INT(pl_job_place(txn, ids[0], T0 - 3600), 0);
}

/* The label's steps in answers: a reprint due (print), printed and due
 * (place, until placed), placed (none); a label printed ahead of its due
 * instant is to be placed from that instant, which bounds the answer. */
static void test_label_steps(pl_cat_t *cat)
{
    uint64_t ids[1];
    printf("checking the label's steps in answers\n");
    batch(cat, steps_items, ids);
    const pl_answer_t *a = look(NULL, "900001", T0, 0);
    CHECK_INT(a->label_pending, 1);
    CHECK_INT(a->label_step, PL_LABEL_STEP_PRINT);
    batch(cat, steps_print, ids);
    a = look(NULL, "900001", T0, 0);
    CHECK_INT(a->label_pending, 0);
    CHECK_INT(a->label_step, PL_LABEL_STEP_PLACE);
    CHECK_INT(a->label_price, 500);
    char json[1024];
    pl_answer_json(a, 480, json, sizeof(json));
    CHECK(strstr(json, "\"label_pending\":false,\"label_step\":\"place\"") != NULL, "json: %s",
          json);
    batch(cat, steps_place, ids);
    a = look(NULL, "900001", T0, 0);
    CHECK_INT(a->label_step, PL_LABEL_STEP_NONE);
    pl_answer_json(a, 480, json, sizeof(json));
    CHECK(strstr(json, "\"label_step\":null") != NULL, "json: %s", json);

    /* Printed ahead: nothing to do before the due instant, place from it. */
    pl_label_t lb = {"900001", "", 500, T0 - 3600, 0, T0 + 5 * 3600, PL_TIME_NONE};
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    CHECK_INT(pl_label_put(txn, &lb), 0);
    CHECK_INT(pl_meta_bump(txn, NULL, NULL), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    CHECK_INT(pl_resolver_refresh(res), 0);
    a = look(NULL, "900001", T0, 0);
    CHECK_INT(a->label_step, PL_LABEL_STEP_NONE);
    CHECK(a->valid_until <= T0 + 5 * 3600, "valid until %lld, not past the due instant",
          (long long)a->valid_until);
    a = look(NULL, "900001", T0 + 5 * 3600, 0);
    CHECK_INT(a->label_step, PL_LABEL_STEP_PLACE);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-resolve-XXXXXX";
    /* no_tls: two resolvers in one thread each hold a read transaction */
    pl_cat_t *cat = catfix_open(dir, 480, 1);
    CHECK_INT(pl_cat_init(dir, "CNY", 480), PL_EEXIST);
    write_catalogue(cat);

    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);
    CHECK_INT(pl_resolver_refresh(res), 0);
    CHECK_INT(pl_resolver_gen(res), 1);
    make_scale_code();
    test_price_levels();
    test_promotions();
    test_codes();
    test_json();
    test_cache(cat, dir);
    test_memo(cat);
    test_label_steps(cat);

    pl_resolver_free(res);
    catfix_close(cat, dir);
    return pl_test_done("test_resolve");
}
