/* Unit test of GS1 data in a lookup (core/resolve.c, core/answer.c): a 2D
 * code is looked up by its GTIN, then its expiry, best-before, net weight
 * and amount payable are applied at the request's instant; the answer
 * carries the AIs; a memoized answer never outlives its dates nor serves
 * another scan.
 *
 * Every date in a code is made from the instant the lookup is made at
 * (T0 ± days, in the catalogue's +08:00), never from the clock. */
#include "catfix.h"

#include "pricelane/err.h"
#include "pricelane/memo.h"
#include "pricelane/timefmt.h"

#define T0 1790000000LL /* 2026-09-21 */
#define DAY 86400
#define OFF 480
#define GS "\x1d"
#define GTIN_G "09506000134352" /* item G, each, 10.00 */
#define GTIN_M "04006381333931" /* item M, per kg, 39.80 */
#define GTIN_F "05901234123457" /* item F, each, 10.00, with expiry markdowns */
#define GTIN_B "05012345678900" /* item B, department DAIRY, with best-before rules */

static pl_resolver_t *res;
static pl_answer_t ans;
static char json[4096];

static const pl_answer_t *look(const char *code, int64_t now, int flags)
{
    pl_resolve(res, NULL, code, strlen(code), now, flags, &ans);
    CHECK(pl_answer_json(&ans, OFF, json, sizeof(json)) > 0, "json of %s", code);
    return &ans;
}

/* YYMMDD of the local day of t + days. */
static const char *yymmdd(int64_t t, int days, char *buf)
{
    int64_t y;
    int m, d;
    pl_time_civil(t + (int64_t)days * DAY, OFF, &y, &m, &d);
    snprintf(buf, 16, "%02d%02d%02d", (int)(y % 100), m % 100, d % 100);
    return buf;
}

static int64_t midnight_after(int64_t t)
{
    int64_t y;
    int m, d;
    pl_time_civil(t, OFF, &y, &m, &d);
    return pl_time_local(y, m, d + 1, 0, 0, OFF);
}

static void write_catalogue(pl_cat_t *cat)
{
    pl_txn_t *txn;
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    catfix_item(txn, "G", NULL, "each", 0, NULL);
    catfix_barcode(txn, GTIN_G, "G");
    catfix_price(txn, "G", PL_LEVEL_BASE, "", T0 - 30 * DAY, 1000, 0, "b1");
    catfix_item(txn, "M", NULL, "kg", PL_ITEM_WEIGHED, NULL);
    catfix_barcode(txn, GTIN_M, "M");
    catfix_price(txn, "M", PL_LEVEL_BASE, "", T0 - 30 * DAY, 3980, 0, "b1");
    catfix_item(txn, "F", NULL, "each", 0, NULL);
    catfix_barcode(txn, GTIN_F, "F");
    catfix_price(txn, "F", PL_LEVEL_BASE, "", T0 - 30 * DAY, 1000, 0, "b1");
    catfix_item(txn, "B", NULL, "each", 0, NULL);
    pl_item_t b;
    CHECK_INT(pl_item_get(txn, "B", &b), 0);
    snprintf(b.dept, sizeof(b.dept), "DAIRY");
    CHECK_INT(pl_item_put(txn, &b), 0);
    catfix_barcode(txn, GTIN_B, "B");
    catfix_price(txn, "B", PL_LEVEL_BASE, "", T0 - 30 * DAY, 500, 0, "b1");
    pl_store_t s1 = {"S1", "north", "Store 1", ""};
    CHECK_INT(pl_store_put(txn, &s1), 0);
    /* Best-before rules: department DAIRY blocks; item B in store S1 sells
     * (priority 5); from T0 + 1 h all of DAIRY sells (priority 9). */
    const struct {
        const char *id;
        int kind, prio;
        const char *dept, *item, *store;
        int64_t start;
    } bb[] = {{"BB-D", PL_XMD_BB_BLOCK, 0, "DAIRY", NULL, NULL, T0 - DAY},
              {"BB-S1", PL_XMD_BB_INFO, 5, "", "B", "S1", T0 - DAY},
              {"BB-LATER", PL_XMD_BB_INFO, 9, "DAIRY", NULL, NULL, T0 + 3600}};
    for (size_t i = 0; i < sizeof(bb) / sizeof(bb[0]); i++) {
        pl_xmd_t x;
        memset(&x, 0, sizeof(x));
        snprintf(x.id, sizeof(x.id), "%s", bb[i].id);
        x.kind = (uint8_t)bb[i].kind;
        x.priority = bb[i].prio;
        x.start = bb[i].start;
        x.end = PL_TIME_NONE;
        snprintf(x.dept, sizeof(x.dept), "%s", bb[i].dept);
        if (bb[i].item) {
            x.nitems = 1;
            snprintf(x.items[0], sizeof(x.items[0]), "%s", bb[i].item);
        }
        if (bb[i].store) {
            x.scope_kind = PL_SCOPE_STORES;
            x.nscope = 1;
            snprintf(x.scope[0], sizeof(x.scope[0]), "%s", bb[i].store);
        }
        CHECK_INT(pl_xmd_put(txn, &x), 0);
    }
    /* a best-before rule has no days or percentage; a markdown has both */
    pl_xmd_t bad;
    memset(&bad, 0, sizeof(bad));
    snprintf(bad.id, sizeof(bad.id), "BAD");
    bad.kind = PL_XMD_BB_BLOCK;
    bad.pct_off_bp = 1000;
    CHECK_INT(pl_xmd_put(txn, &bad), PL_EINVAL);
    bad.kind = 7;
    bad.pct_off_bp = 0;
    CHECK_INT(pl_xmd_put(txn, &bad), PL_EINVAL);
    /* 3 days → 30 %, 1 day → 50 %, the last day → 70 %; in store S1 a
     * rule of higher priority gives 10 % from 3 days; one starts later. */
    const struct {
        const char *id;
        int days, bp, prio, store;
        int64_t start;
    } rules[] = {{"X0", 0, 7000, 0, 0, T0 - DAY},
                 {"X1", 1, 5000, 0, 0, T0 - DAY},
                 {"X3", 3, 3000, 0, 0, T0 - DAY},
                 {"XS", 3, 1000, 5, 1, T0 - DAY},
                 {"XL", 9, 9000, 9, 0, T0 + 3600}};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        pl_xmd_t x;
        memset(&x, 0, sizeof(x));
        snprintf(x.id, sizeof(x.id), "%s", rules[i].id);
        x.days = rules[i].days;
        x.pct_off_bp = rules[i].bp;
        x.priority = rules[i].prio;
        x.start = rules[i].start;
        x.end = PL_TIME_NONE;
        x.nitems = 1;
        snprintf(x.items[0], sizeof(x.items[0]), "F");
        if (rules[i].store) {
            x.scope_kind = PL_SCOPE_STORES;
            x.nscope = 1;
            snprintf(x.scope[0], sizeof(x.scope[0]), "S1");
        }
        CHECK_INT(pl_xmd_put(txn, &x), 0);
    }
    uint64_t gen;
    CHECK_INT(pl_meta_bump(txn, "b1", &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
}

static void test_expiry(void)
{
    char code[160], d[16];
    /* Expires today: sold, and the answer is good until midnight. */
    snprintf(code, sizeof(code), "]d201" GTIN_G "17%s10LOT1", yymmdd(T0, 0, d));
    const pl_answer_t *a = look(code, T0, 0);
    CHECK_INT(a->status, PL_ANS_OK);
    CHECK_INT(a->price, 1000);
    CHECK_STR(a->sku, "G");
    CHECK_STR(a->gs1.lot, "LOT1");
    CHECK_INT(a->valid_until, midnight_after(T0));
    CHECK(strstr(json, "\"symbology\":\"]d2\",\"lot\":\"LOT1\",\"serial\":null,\"expiry\":\"") &&
              strstr(json, "\"ais\":{\"01\":\"" GTIN_G "\",\"17\":\"") && !strstr(json, "reason"),
          "json %s", json);
    /* The same code one second after midnight: expired. */
    a = look(code, midnight_after(T0), 0);
    CHECK_INT(a->status, PL_ANS_BLOCKED);
    CHECK_STR(a->reason, "expired");
    CHECK(strstr(a->error, "expired on ") && strstr(a->error, "(AI 17)"), "error %s", a->error);
    CHECK(strstr(json, "\"status\":\"blocked\"") && strstr(json, "\"reason\":\"expired\""),
          "json %s", json);
    /* Expired yesterday, seen by a Digital Link. */
    snprintf(code, sizeof(code), "https://shop.example/01/" GTIN_G "/10/L2?17=%s",
             yymmdd(T0, -1, d));
    a = look(code, T0, 0);
    CHECK_INT(a->status, PL_ANS_BLOCKED);
    CHECK_STR(a->gs1.lot, "L2");
    /* 7003: expired one minute ago; good for one hour more. */
    int64_t y;
    int m, dd;
    pl_time_civil(T0 - 60, OFF, &y, &m, &dd);
    int64_t tod = ((T0 - 60 + OFF * 60) % DAY) / 60; /* minutes into the local day */
    snprintf(code, sizeof(code), "]Q301" GTIN_G "7003%02d%02d%02d%02d%02d", (int)(y % 100), m, dd,
             (int)(tod / 60), (int)(tod % 60));
    a = look(code, T0, 0);
    CHECK_INT(a->status, PL_ANS_BLOCKED);
    CHECK(strstr(a->error, "expired at ") != NULL, "error %s", a->error);
    int64_t t = T0 - T0 % 60 + 3600;
    pl_time_civil(t, OFF, &y, &m, &dd);
    tod = ((t + OFF * 60) % DAY) / 60;
    snprintf(code, sizeof(code), "]Q301" GTIN_G "7003%02d%02d%02d%02d%02d", (int)(y % 100), m, dd,
             (int)(tod / 60), (int)(tod % 60));
    a = look(code, T0, 0);
    CHECK_INT(a->status, PL_ANS_OK);
    CHECK_INT(a->valid_until, t);
}

static void test_best_before(void)
{
    char code[160], d[16];
    snprintf(code, sizeof(code), "]d201" GTIN_G "15%s", yymmdd(T0, -1, d));
    const pl_answer_t *a = look(code, T0, 0);
    CHECK_INT(a->status, PL_ANS_OK); /* reported only */
    CHECK(strstr(json, "\"best_before\":\"") != NULL, "json %s", json);
    a = look(code, T0, PL_LOOKUP_BEST_BEFORE);
    CHECK_INT(a->status, PL_ANS_BLOCKED);
    CHECK_STR(a->reason, "best_before");
    a = look(code, T0, PL_LOOKUP_BEST_BEFORE | PL_LOOKUP_MEMBER);
    CHECK_INT(a->status, PL_ANS_BLOCKED);
}

/* Per department, item and store: a best-before rule decides over the
 * server's setting (the flag). */
static void test_best_before_rules(void)
{
    char code[160], d[16];
    snprintf(code, sizeof(code), "]d201" GTIN_B "15%s10L1", yymmdd(T0, -1, d));
    for (int flags = 0; flags <= (int)PL_LOOKUP_BEST_BEFORE; flags += (int)PL_LOOKUP_BEST_BEFORE) {
        /* DAIRY blocks, whatever the server's setting */
        const pl_answer_t *a = look(code, T0, flags);
        CHECK_INT(a->status, PL_ANS_BLOCKED);
        CHECK_STR(a->reason, "best_before");
        CHECK(a->valid_until <= T0 + 3600, "blocked until %lld, a rule starts at T0 + 1 h",
              (long long)a->valid_until);
        /* in S1 the item's rule of higher priority sells it */
        pl_resolve(res, "S1", code, strlen(code), T0, flags, &ans);
        CHECK_INT(ans.status, PL_ANS_OK);
        CHECK_INT(ans.price, 500);
        /* from T0 + 1 h the department sells everywhere */
        a = look(code, T0 + 3600, flags);
        CHECK_INT(a->status, PL_ANS_OK);
    }
    /* a pack not past its date: sold under any rule */
    snprintf(code, sizeof(code), "]d201" GTIN_B "15%s", yymmdd(T0, 0, d));
    CHECK_INT(look(code, T0, PL_LOOKUP_BEST_BEFORE)->status, PL_ANS_OK);
    /* another department (G has none) follows the server's setting */
    snprintf(code, sizeof(code), "]d201" GTIN_G "15%s", yymmdd(T0, -1, d));
    CHECK_INT(look(code, T0, 0)->status, PL_ANS_OK);
    CHECK_INT(look(code, T0, PL_LOOKUP_BEST_BEFORE)->status, PL_ANS_BLOCKED);
    /* an expiry markdown is not a best-before rule, nor the reverse: B has
     * no markdown, F no best-before rule */
    snprintf(code, sizeof(code), "]d201" GTIN_B "15%s", yymmdd(T0, 0, d));
    CHECK_STR(look(code, T0, 0)->source, "base");
}

static void test_weight_and_amount(void)
{
    /* 0.500 kg of 39.80/kg: 19.90, like a scale label's weight. */
    const pl_answer_t *a = look("]e001" GTIN_M "3103000500", T0, 0);
    CHECK_INT(a->status, PL_ANS_OK);
    CHECK_INT(a->price, 1990);
    CHECK_INT(a->unit_price, 3980);
    CHECK_INT(a->amount, 500);
    CHECK(strstr(json, "\"weight_g\":500,\"unit_price\":3980") != NULL, "json %s", json);
    /* 0.333 kg: 13.2534 → 13.25, rounded down */
    a = look("]e001" GTIN_M "3103000333", T0, 0);
    CHECK_INT(a->price, 1325);
    /* Amount payable 12.50 (3922), 12.5 (3921), 12.345 → 12.34 (3923). */
    const char *codes[] = {"]C101" GTIN_M "3922001250", "]C101" GTIN_M "3921125",
                           "]C101" GTIN_M "392312345", "]C101" GTIN_M "39321561250"};
    const int64_t want[] = {1250, 1250, 1234, 1250};
    for (int i = 0; i < 4; i++) {
        a = look(codes[i], T0, 0);
        CHECK(a->status == PL_ANS_OK && a->price == want[i] && !strcmp(a->source, "embedded"),
              "%s: status %d price %lld (%s)", codes[i], a->status, (long long)a->price, a->error);
    }
    a = look("]C101" GTIN_M "39329781250", T0, 0);
    CHECK_INT(a->status, PL_ANS_BAD_CODE);
    CHECK_STR(a->error, "GS1 AI (3932): amount in currency 978, the catalogue's is CNY (156)");
}

static void test_markdowns(void)
{
    char code[96], d[16];
    const struct {
        int days;
        int64_t price;
        const char *id;
    } cases[] = {{5, 1000, NULL}, {4, 1000, NULL}, {3, 700, "X3"},
                 {2, 700, "X3"},  {1, 500, "X1"},  {0, 300, "X0"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(code, sizeof(code), "]d201" GTIN_F "17%s", yymmdd(T0, cases[i].days, d));
        const pl_answer_t *a = look(code, T0, 0);
        CHECK(a->status == PL_ANS_OK && a->price == cases[i].price,
              "%d days left: price %lld, want %lld", cases[i].days, (long long)a->price,
              (long long)cases[i].price);
        CHECK_STR(a->source, cases[i].id ? "expiry_markdown" : "base");
        CHECK_STR(a->promo_id, cases[i].id ? cases[i].id : "");
        CHECK_INT(a->base_price, 1000);
        /* a day less to go at midnight; XL starts in an hour */
        CHECK_INT(a->valid_until, T0 + 3600 < midnight_after(T0) ? T0 + 3600 : midnight_after(T0));
    }
    /* Store S1: its own rule wins by priority (10 %). */
    snprintf(code, sizeof(code), "]d201" GTIN_F "17%s", yymmdd(T0, 1, d));
    pl_resolve(res, "S1", code, strlen(code), T0, 0, &ans);
    CHECK(ans.price == 900 && !strcmp(ans.promo_id, "XS"), "S1: %lld %s", (long long)ans.price,
          ans.promo_id);
    /* An hour later XL (9 days, 90 %, priority 9) is in force. */
    const pl_answer_t *a = look(code, T0 + 3600, 0);
    CHECK(a->price == 100 && !strcmp(a->promo_id, "XL"), "XL: %lld %s", (long long)a->price,
          a->promo_id);
    /* Best-before when there is no expiry date; the plain code: no markdown. */
    snprintf(code, sizeof(code), "]d201" GTIN_F "15%s", yymmdd(T0, 0, d));
    a = look(code, T0, 0);
    CHECK_INT(a->price, 300);
    a = look(GTIN_F, T0, 0);
    CHECK_INT(a->price, 1000);
    CHECK_STR(a->source, "base");
}

static void test_codes(void)
{
    const pl_answer_t *a = look("]E04006381333931", T0, 0);
    CHECK(a->status == PL_ANS_OK && !strcmp(a->sku, "M"), "]E0: %d %s", a->status, a->error);
    CHECK(!strstr(json, "symbology"), "no GS1 fields for EAN-13: %s", json);
    a = look("]d201" GTIN_G "17261301", T0, 0);
    CHECK_INT(a->status, PL_ANS_BAD_CODE);
    CHECK_STR(a->error, "GS1 AI (17) \"261301\": month 13 is not a month");
    a = look("]d20109506000134353", T0, 0);
    CHECK_INT(a->status, PL_ANS_BAD_CODE);
    a = look("]d201"
             "09506000134345",
             T0, 0); /* a right GTIN no item has */
    CHECK_INT(a->status, PL_ANS_NOT_FOUND);
}

/* The memo keys the code as sent: a scan of another lot or date is its own
 * answer, and an answer ends at its expiry. (Most 2D answers with their key
 * are over what one memo entry holds, and are then resolved each time;
 * what is checked here holds either way.) */
static void test_memo(void)
{
    pl_memo_t *memo;
    CHECK_INT(pl_memo_new(1 << 20, &memo), 0);
    char c1[96], c2[96], d[16];
    snprintf(c1, sizeof(c1), "]d201" GTIN_G "17%s10A", yymmdd(T0, 0, d));
    snprintf(c2, sizeof(c2), "]d201" GTIN_G "17%s10A", yymmdd(T0, -1, d));
    size_t len;
    pl_status_t st;
    char buf[2048];
    const char *j =
        pl_lookup_json(res, memo, NULL, c1, strlen(c1), T0, 0, buf, sizeof(buf), &len, &st);
    CHECK(j && st == PL_ANS_OK, "first scan %d", st);
    j = pl_lookup_json(res, memo, NULL, c1, strlen(c1), T0 + 60, 0, buf, sizeof(buf), &len, &st);
    CHECK(j && st == PL_ANS_OK, "the same scan a minute later: status %d", st);
    j = pl_lookup_json(res, memo, NULL, c2, strlen(c2), T0 + 60, 0, buf, sizeof(buf), &len, &st);
    CHECK(j && st == PL_ANS_BLOCKED, "another date: status %d", st);
    j = pl_lookup_json(res, memo, NULL, c1, strlen(c1), midnight_after(T0), 0, buf, sizeof(buf),
                       &len, &st);
    CHECK(j && j == buf && st == PL_ANS_BLOCKED, "at midnight: a miss, blocked (status %d)", st);
    j = pl_lookup_json(res, memo, NULL, c1, strlen(c1), T0 + 60, PL_LOOKUP_BEST_BEFORE, buf,
                       sizeof(buf), &len, &st);
    CHECK(j == buf, "another flag is another key");
    pl_memo_free(memo);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-gs1-answer-XXXXXX";
    pl_cat_t *cat = catfix_open(dir, OFF, 1);
    write_catalogue(cat);
    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);
    CHECK_INT(pl_resolver_refresh(res), 0);
    test_expiry();
    test_best_before();
    test_best_before_rules();
    test_weight_and_amount();
    test_markdowns();
    test_codes();
    test_memo();
    pl_resolver_free(res);
    catfix_close(cat, dir);
    return pl_test_done("test_gs1_answer");
}
