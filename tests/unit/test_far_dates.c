/* Instants the calendar makes special, evaluated by resolve with explicit
 * instants (never the clock): a promotion window across the signed 32-bit
 * time_t rollover (2038-01-19 03:14:08 UTC), a markdown that ends at
 * midnight of the new year in the catalogue's +08:00 and the 7-day low
 * across it, and windows in the last year the product accepts (9999). Each
 * answer is checked as a struct and as the JSON a lane gets. */
#include <stdlib.h>
#include <unistd.h>

#include "catfix.h"
#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/timefmt.h"

#define DAY 86400
#define OFFSET 480 /* +08:00 */

static pl_txn_t *txn;
static pl_resolver_t *res;
static pl_answer_t ans;

static int64_t at(const char *s)
{
    int64_t t = 0;
    char err[128];
    if (pl_time_parse(s, OFFSET, &t, err, sizeof(err)) != 0) {
        printf("FAIL bad instant in the test: %s: %s\n", s, err);
        exit(1);
    }
    return t;
}

/* Item sku with its barcode and one base price from since. */
static void item(const char *sku, const char *gtin14, int64_t since, int64_t p)
{
    catfix_item(txn, sku, NULL, "each", 0, NULL);
    catfix_barcode(txn, gtin14, sku);
    catfix_price(txn, sku, PL_LEVEL_BASE, "", since, p, 0, "b1");
}

static void promo(const char *id, const char *sku, int64_t start, int64_t end, int64_t p)
{
    catfix_promo(txn, id, PL_PROMO_MARKDOWN, sku, start, end, p);
}

static const pl_answer_t *look(const char *code, int64_t now)
{
    pl_resolve(res, NULL, code, strlen(code), now, 0, &ans);
    return &ans;
}

/* The lane's JSON for code at now contains want. */
static void json_has(const char *code, int64_t now, const char *want)
{
    char json[2048];
    look(code, now);
    CHECK(pl_answer_json(&ans, OFFSET, json, sizeof(json)) > 0, "answer_json");
    CHECK(strstr(json, want) != NULL, "want %s in %s", want, json);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-far-XXXXXX";
    pl_cat_t *cat = catfix_open(dir, OFFSET, 0);
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);

    /* R: the first second a signed 32-bit time_t cannot hold. */
    const int64_t R = at("2038-01-19T03:14:08Z");
    CHECK_INT(R, 2147483648LL);
    item("R", "06901234567892", R - 30 * DAY, 1000);
    promo("P-R", "R", R - 60, R + 60, 500);

    /* Y: a markdown over the last week of 2027 that ends at midnight of the
     * new year in the catalogue's offset (16:00 UTC). */
    const int64_t NY = at("2028-01-01 00:00");
    CHECK_INT(NY, at("2027-12-31T16:00:00Z"));
    item("Y", "06920000000012", NY - 60 * DAY, 2000);
    promo("P-Y", "Y", NY - 7 * DAY, NY, 1500);

    /* L: a promotion in the last days the product accepts. */
    const int64_t L = at("9999-12-31 00:00");
    item("L", "00036000291452", L - 30 * DAY, 300);
    promo("P-L", "L", L - DAY, L, 250);

    uint64_t gen;
    CHECK_INT(pl_meta_bump(txn, "b1", &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);
    CHECK_INT(pl_resolver_refresh(res), 0);

    printf("checking a promotion across the 32-bit time_t rollover\n");
    CHECK_INT(look("6901234567892", R - 61)->price, 1000);
    CHECK_INT(look("6901234567892", R - 60)->price, 500);
    CHECK_INT(look("6901234567892", R - 1)->price, 500);
    CHECK_INT(look("6901234567892", R)->price, 500);
    CHECK_INT(ans.promo_ends, R + 60);
    CHECK_INT(look("6901234567892", R + 59)->price, 500);
    const pl_answer_t *a = look("6901234567892", R + 60);
    CHECK_INT(a->price, 1000);
    CHECK_STR(a->source, "base");
    CHECK_INT(a->prev_price, 500);
    CHECK_INT(a->prev_changed_at, R + 60);
    CHECK_INT(a->low_7d, 500);
    json_has("6901234567892", R, "\"promo_ends\":\"2038-01-19T11:15:08+08:00\"");
    json_has("6901234567892", R + 60, "\"prev_changed_at\":\"2038-01-19T11:15:08+08:00\"");

    printf("checking a markdown that ends at the new year in +08:00, and low_7d across it\n");
    a = look("6920000000012", NY - 1);
    CHECK_INT(a->price, 1500);
    CHECK_STR(a->source, "markdown");
    json_has("6920000000012", NY - 1, "\"promo_ends\":\"2028-01-01T00:00:00+08:00\"");
    a = look("6920000000012", NY);
    CHECK_INT(a->price, 2000);
    CHECK_INT(a->prev_price, 1500);
    CHECK_INT(a->prev_changed_at, NY);
    CHECK_INT(a->low_7d, 1500);
    /* The markdown's last second, 2027-12-31 23:59:59, is inside the 7 days
     * before 2028-01-07 23:59:59 and outside those before 2028-01-08 00:00. */
    CHECK_INT(look("6920000000012", at("2028-01-07 23:59:59"))->low_7d, 1500);
    CHECK_INT(look("6920000000012", at("2028-01-08 00:00"))->low_7d, 2000);
    /* A week before the markdown's start, its price is not yet in the low. */
    CHECK_INT(look("6920000000012", NY - 7 * DAY - 1)->low_7d, 2000);

    printf("checking windows in the year 9999\n");
    CHECK_INT(look("036000291452", L - DAY - 1)->price, 300);
    CHECK_INT(look("036000291452", L - DAY)->price, 250);
    json_has("036000291452", L - 1, "\"promo_ends\":\"9999-12-31T00:00:00+08:00\"");
    a = look("036000291452", at("9999-12-31 23:59:59"));
    CHECK_INT(a->price, 300);
    CHECK_INT(a->low_7d, 250);
    json_has("036000291452", at("9999-12-31 23:59:59"),
             "\"prev_changed_at\":\"9999-12-31T00:00:00+08:00\"");

    pl_resolver_free(res);
    catfix_close(cat, dir);
    return pl_test_done("test_far_dates");
}
