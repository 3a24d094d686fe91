/* pl_labelplan_build against a catalogue written through the catalogue API:
 * the steps of the chain, a zone, a store and an unknown store (scheduled
 * price, promotion start and end, member prices left out), agreement with a
 * lookup, the row hooks (no_labels too), the primary barcode, an item with
 * no price, an unknown item, and an item past the view's limits. */
#include <stdlib.h>
#include <unistd.h>

#include "catfix.h"
#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/labelplan.h"
#include "pricelane/resolve.h"

#define T0 1790000000LL /* 2026-09-21 */
#define DAY 86400

static pl_txn_t *txn;

static void item(const char *sku)
{
    catfix_item(txn, sku, NULL, "each", 0, NULL);
}

/* A price after T0 is a scheduled one. */
static void price(const char *sku, int level, const char *scope, int64_t start, int64_t p)
{
    catfix_price(txn, sku, level, scope, start, p, start > T0, "b1");
}

static void promo(const char *id, int kind, const char *sku, int64_t start, int64_t end, int64_t p)
{
    catfix_promo(txn, id, kind, sku, start, end, p);
}

typedef struct want {
    int64_t due, price;
    const char *promo, *reason;
} want_t;

static void check_plan(const char *what, const pl_labelplan_t *p, const want_t *w, int n)
{
    CHECK(p->nsteps == n, "%s: %d steps, want %d", what, p->nsteps, n);
    for (int i = 0; i < n && i < p->nsteps; i++) {
        const pl_labelplan_step_t *s = &p->steps[i];
        CHECK(s->due == w[i].due && s->price == w[i].price &&
                  strcmp(s->promo_id, w[i].promo) == 0 && strcmp(s->reason, w[i].reason) == 0,
              "%s step %d: got due T0%+lld price %lld promo \"%s\" %s, want due T0%+lld price "
              "%lld promo \"%s\" %s",
              what, i, (long long)(s->due - T0), (long long)s->price, s->promo_id, s->reason,
              (long long)(w[i].due - T0), (long long)w[i].price, w[i].promo, w[i].reason);
    }
}

typedef struct counts {
    int prices, promos, labels, jobs;
} counts_t;

static void count_price(void *arg, const pl_price_t *p)
{
    ((counts_t *)arg)->prices++;
}

static void count_promo(void *arg, const pl_promo_t *pr)
{
    ((counts_t *)arg)->promos++;
}

static void count_label(void *arg, const pl_label_t *lb)
{
    ((counts_t *)arg)->labels++;
}

static void count_job(void *arg, const pl_label_job_t *j)
{
    ((counts_t *)arg)->jobs++;
}

int main(void)
{
    char dir[] = "/tmp/pl-test-labelplan-XXXXXX";
    /* no_tls: the plans' and the resolver's read transactions in one thread */
    pl_cat_t *cat = catfix_open(dir, 480, 1);
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);

    pl_store_t s1 = {"S1", "north", "Store 1", ""}, s2 = {"S2", "north", "Store 2", ""};
    CHECK_INT(pl_store_put(txn, &s1), 0);
    CHECK_INT(pl_store_put(txn, &s2), 0);

    /* A: base 1000, zone north 950, store S2 800, scheduled base 850 at
     * T0+1d; a special at 700 over [T0+2d, T0+3d); a member price of 500
     * now, which no label shows. */
    item("A");
    catfix_barcode(txn, "P12345", "A"); /* a scale key: not printed */
    catfix_barcode(txn, "06901234567892", "A");
    price("A", PL_LEVEL_BASE, "", T0 - 30 * DAY, 1000);
    price("A", PL_LEVEL_ZONE, "north", T0 - DAY, 950);
    price("A", PL_LEVEL_STORE, "S2", T0 - DAY, 800);
    price("A", PL_LEVEL_BASE, "", T0 + DAY, 850);
    promo("P1", PL_PROMO_SPECIAL, "A", T0 + 2 * DAY, T0 + 3 * DAY, 700);
    promo("M1", PL_PROMO_MEMBER, "A", T0 - DAY, T0 + 10 * DAY, 500);
    pl_label_t lb = {"A", "north", 950, T0 - DAY, 0, PL_TIME_NONE, T0 - DAY};
    CHECK_INT(pl_label_put(txn, &lb), 0);
    catfix_job(txn, "A", PL_LEVEL_STORE, "S2", 800, T0);

    /* B: no price at all. C: more price rows in force from 7 days ago on
     * than a view holds. */
    item("B");
    item("C");
    for (int i = 0; i <= PL_LABELPLAN_PRICES; i++)
        price("C", PL_LEVEL_BASE, "", T0 + i * 60, 100 + i);
    CHECK_INT(pl_txn_commit(txn), 0);

    pl_txn_t *rt;
    CHECK_INT(pl_txn_begin(cat, 0, &rt), 0);
    pl_labelplan_t plan;

    /* The chain: base prices, the scheduled one, the special. */
    counts_t n = {0};
    pl_labelplan_rows_t rows = {count_price, count_promo, count_label, count_job, &n, 0};
    CHECK_INT(pl_labelplan_build(rt, "A", PL_LEVEL_BASE, "", T0, &rows, &plan), 0);
    const want_t chain[] = {{T0, 1000, "", "price"},
                            {T0 + DAY, 850, "", "scheduled"},
                            {T0 + 2 * DAY, 700, "P1", "promo_start"},
                            {T0 + 3 * DAY, 850, "", "promo_end"}};
    check_plan("chain", &plan, chain, 4);
    CHECK_INT(plan.steps[2].promo_ends, T0 + 3 * DAY);
    CHECK_INT(plan.steps[0].promo_ends, PL_TIME_NONE);
    CHECK_STR(plan.item.sku, "A");
    CHECK_STR(plan.item.name, "item A");
    CHECK_STR(plan.gtin, "06901234567892");
    /* Every row, before it is filtered for the scope. */
    CHECK_INT(n.prices, 4);
    CHECK_INT(n.promos, 2);
    CHECK_INT(n.labels, 1);
    CHECK_INT(n.jobs, 1);
    memset(&n, 0, sizeof(n));
    rows.no_labels = 1;
    CHECK_INT(pl_labelplan_build(rt, "A", PL_LEVEL_BASE, "", T0, &rows, &plan), 0);
    CHECK(n.prices == 4 && n.promos == 2 && n.labels == 0 && n.jobs == 0,
          "no_labels: hooks saw %d prices, %d promotions, %d labels, %d jobs", n.prices, n.promos,
          n.labels, n.jobs);
    check_plan("chain (no_labels)", &plan, chain, 4);

    /* The zone's override outlives the scheduled base price. */
    CHECK_INT(pl_labelplan_build(rt, "A", PL_LEVEL_ZONE, "north", T0, NULL, &plan), 0);
    const want_t zone[] = {{T0, 950, "", "price"},
                           {T0 + 2 * DAY, 700, "P1", "promo_start"},
                           {T0 + 3 * DAY, 950, "", "promo_end"}};
    check_plan("zone north", &plan, zone, 3);

    /* A store: its own override; its zone is read from the stores. */
    CHECK_INT(pl_labelplan_build(rt, "A", PL_LEVEL_STORE, "S2", T0, NULL, &plan), 0);
    const want_t store[] = {{T0, 800, "", "price"},
                            {T0 + 2 * DAY, 700, "P1", "promo_start"},
                            {T0 + 3 * DAY, 800, "", "promo_end"}};
    check_plan("store S2", &plan, store, 3);
    CHECK_INT(pl_labelplan_build(rt, "A", PL_LEVEL_STORE, "S1", T0, NULL, &plan), 0);
    check_plan("store S1 (zone north)", &plan, zone, 3);
    CHECK_INT(pl_labelplan_build(rt, "A", PL_LEVEL_STORE, "S9", T0, NULL, &plan), 0);
    check_plan("unknown store (no zone)", &plan, chain, 4);

    /* Later in time: the first step is the price in force then. */
    CHECK_INT(pl_labelplan_build(rt, "A", PL_LEVEL_BASE, "", T0 + 2 * DAY + 5, NULL, &plan), 0);
    const want_t later[] = {{T0 + 2 * DAY + 5, 700, "P1", "price"},
                            {T0 + 3 * DAY, 850, "", "promo_end"}};
    check_plan("chain at T0+2d", &plan, later, 2);

    /* A plan never disagrees with a lookup of a non-member. */
    pl_resolver_t *res;
    pl_answer_t ans;
    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);
    const char *stores[] = {NULL, "S1", "S2"};
    for (int s = 0; s < 3; s++) {
        for (int64_t t = T0; t < T0 + 4 * DAY; t += DAY / 2) {
            int level = stores[s] ? PL_LEVEL_STORE : PL_LEVEL_BASE;
            CHECK_INT(
                pl_labelplan_build(rt, "A", level, stores[s] ? stores[s] : "", t, NULL, &plan), 0);
            pl_resolve(res, stores[s], "06901234567892", 14, t, 0, &ans);
            CHECK(ans.status == PL_ANS_OK && plan.nsteps > 0 && plan.steps[0].price == ans.price,
                  "store %s at T0%+lld: plan %lld, lookup %lld", stores[s] ? stores[s] : "-",
                  (long long)(t - T0), plan.nsteps ? (long long)plan.steps[0].price : -1LL,
                  (long long)ans.price);
        }
    }
    pl_resolver_free(res);

    /* No price: an empty plan. No item: PL_ENOTFOUND. */
    CHECK_INT(pl_labelplan_build(rt, "B", PL_LEVEL_BASE, "", T0, NULL, &plan), 0);
    CHECK_INT(plan.nsteps, 0);
    CHECK_INT(pl_labelplan_build(rt, "NOPE", PL_LEVEL_BASE, "", T0, NULL, &plan), PL_ENOTFOUND);

    /* Past the limits: PL_ETOOBIG, with every row seen and the item known. */
    memset(&n, 0, sizeof(n));
    rows.no_labels = 0;
    CHECK_INT(pl_labelplan_build(rt, "C", PL_LEVEL_BASE, "", T0, &rows, &plan), PL_ETOOBIG);
    CHECK_INT(n.prices, PL_LABELPLAN_PRICES + 1);
    CHECK_STR(plan.item.sku, "C");
    CHECK_INT(plan.nsteps, 0);

    pl_txn_abort(rt);
    catfix_close(cat, dir);
    return pl_test_done("test_labelplan");
}
