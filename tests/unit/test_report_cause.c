/* pl_report_cause against a catalogue written through the catalogue API:
 * the kinds without a price, a reprint due and not printed (provisional and
 * final, another store's scope, a job of a batch after the scan, a job not
 * yet due), a promotion sign (ended, not started, another zone, member-only,
 * percent off, and one in force), a correction batch (only after the scan and
 * by the instant known, only when marked), and an unknown store or item.
 * Every instant is relative to the fixed T0, never the clock. */
#include <stdlib.h>

#include "catfix.h"
#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/report.h"
#include "pricelane/resolve.h"

#define T0 1790000000LL /* the scan of most reports */
#define HOUR 3600
#define DAY 86400

static pl_cat_t *cat;
static pl_txn_t *txn;

static void store(const char *id, const char *zone)
{
    pl_store_t st = {0};
    snprintf(st.id, sizeof(st.id), "%s", id);
    snprintf(st.zone, sizeof(st.zone), "%s", zone);
    CHECK_INT(pl_store_put(txn, &st), 0);
}

static void batch(const char *id, int64_t applied_at, const char *reason)
{
    pl_batch_rec_t b = {0};
    snprintf(b.id, sizeof(b.id), "%s", id);
    snprintf(b.digest, sizeof(b.digest), "%032d", 0);
    snprintf(b.reason, sizeof(b.reason), "%s", reason);
    b.applied_at = applied_at;
    CHECK_INT(pl_batch_put(txn, &b), 0);
}

/* A price row recorded by batch at recorded_at. */
static void price(const char *sku, int level, const char *scope, int64_t start, int64_t p,
                  const char *bid, int64_t recorded_at)
{
    pl_price_t pr = {0};
    snprintf(pr.sku, sizeof(pr.sku), "%s", sku);
    pr.level = (uint8_t)level;
    snprintf(pr.scope, sizeof(pr.scope), "%s", scope);
    pr.start = start;
    pr.price = p;
    pr.recorded_at = recorded_at;
    snprintf(pr.batch, sizeof(pr.batch), "%s", bid);
    CHECK_INT(pl_price_put(txn, &pr), 0);
}

static uint64_t job(const char *sku, int level, const char *scope, int64_t p, int64_t due,
                    const char *bid)
{
    pl_label_job_t j = {0};
    snprintf(j.sku, sizeof(j.sku), "%s", sku);
    snprintf(j.scope, sizeof(j.scope), "%s", scope);
    snprintf(j.batch, sizeof(j.batch), "%s", bid);
    j.level = (uint8_t)level;
    j.price = p;
    j.due = due;
    j.old_price = PL_PRICE_NONE;
    j.unit_price = PL_PRICE_NONE;
    j.promo_ends = PL_TIME_NONE;
    CHECK_INT(pl_job_add(txn, &j), 0);
    return j.id;
}

static void wbegin(void)
{
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
}

static void wcommit(void)
{
    CHECK_INT(pl_txn_commit(txn), 0);
    txn = NULL;
}

static pl_report_t report(const char *store_id, const char *sku, int kind, int64_t shelf)
{
    pl_report_t r = {0};
    snprintf(r.id, sizeof(r.id), "r1");
    snprintf(r.store, sizeof(r.store), "%s", store_id);
    snprintf(r.sku, sizeof(r.sku), "%s", sku);
    snprintf(r.code, sizeof(r.code), "%s", sku);
    r.kind = (uint8_t)kind;
    r.at = T0;
    r.shelf_price = shelf;
    r.system_price = PL_PRICE_NONE;
    return r;
}

/* The cause of a report of kind price at store for sku, shelf price seen,
 * known until `until` (T0: the provisional cause). */
static const char *cause(const char *store_id, const char *sku, int64_t shelf, int64_t until)
{
    pl_txn_t *rt = NULL;
    CHECK_INT(pl_txn_begin(cat, 0, &rt), 0);
    pl_report_t r = report(store_id, sku, PL_REPORT_PRICE, shelf);
    int c = pl_report_cause(rt, &r, until);
    pl_txn_abort(rt);
    static const char *names[PL_CAUSE_COUNT] = {
        "unknown",          "system_price", "promo_sign", "label_not_printed",
        "label_not_placed", "no_scan",      "item_data"};
    return c >= 0 && c < PL_CAUSE_COUNT ? names[c] : "?";
}

static void kinds(void)
{
    pl_txn_t *rt = NULL;
    CHECK_INT(pl_txn_begin(cat, 0, &rt), 0);
    pl_report_t r = report("S1", "A", PL_REPORT_NO_SCAN, PL_PRICE_NONE);
    CHECK_INT(pl_report_cause(rt, &r, T0), PL_CAUSE_NO_SCAN);
    r.kind = PL_REPORT_NAME;
    CHECK_INT(pl_report_cause(rt, &r, T0 + DAY), PL_CAUSE_ITEM_DATA);
    r.kind = PL_REPORT_OTHER;
    CHECK_INT(pl_report_cause(rt, &r, T0), PL_CAUSE_UNKNOWN);
    r.kind = 9;
    CHECK_INT(pl_report_cause(rt, &r, T0), PL_CAUSE_UNKNOWN);
    pl_txn_abort(rt);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-report-cause-XXXXXX";
    cat = catfix_open(dir, 480, 0);

    wbegin();
    store("S1", "Z1");
    store("S2", "Z1");
    store("S3", "Z2");
    batch("b-early", T0 - 2 * DAY, "");
    batch("b-late", T0 + HOUR, "");
    batch("b-fix", T0 + 2 * HOUR, "correction");
    batch("b-plain", T0 + 2 * HOUR, "");
    const char *skus[] = {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M"};
    for (size_t i = 0; i < sizeof(skus) / sizeof(skus[0]); i++) {
        catfix_item(txn, skus[i], NULL, "each", 0, NULL);
        price(skus[i], PL_LEVEL_BASE, "", T0 - 10 * DAY, 1000, "b-early", T0 - 2 * DAY);
    }
    /* A: a zone reprint due an hour before the scan, still pending; S3's
     * zone has none. */
    price("A", PL_LEVEL_ZONE, "Z1", T0 - HOUR, 900, "b-early", T0 - 2 * DAY);
    job("A", PL_LEVEL_ZONE, "Z1", 900, T0 - HOUR, "b-early");
    /* B: a store reprint for S1 printed after the scan. */
    uint64_t jb = job("B", PL_LEVEL_STORE, "S1", 800, T0 - HOUR, "b-early");
    /* C: a job due after the scan; D: a job of a batch committed after it. */
    job("C", PL_LEVEL_BASE, "", 700, T0 + HOUR, "b-early");
    job("D", PL_LEVEL_BASE, "", 700, T0 - HOUR, "b-late");
    /* E: an ended promotion at 750, one for zone Z2 at 760, a members' one at
     * 770, one not started at 780, 10 % off (900) ended, and one in force
     * everywhere at 790. */
    catfix_promo(txn, "p-ended", PL_PROMO_SPECIAL, "E", T0 - 5 * DAY, T0 - DAY, 750);
    catfix_promo_rule(txn, "p-z2", PL_PROMO_SPECIAL, "E", T0 - DAY, T0 + DAY, 760, 0, 0,
                      PL_SCOPE_ZONES, "Z2");
    catfix_promo(txn, "p-member", PL_PROMO_MEMBER, "E", T0 - DAY, T0 + DAY, 770);
    catfix_promo(txn, "p-later", PL_PROMO_FLYER, "E", T0 + DAY, T0 + 2 * DAY, 780);
    catfix_promo_rule(txn, "p-pct", PL_PROMO_SPECIAL, "E", T0 - 5 * DAY, T0 - DAY, PL_PRICE_NONE,
                      1000, 0, PL_SCOPE_ALL, NULL);
    catfix_promo(txn, "p-now", PL_PROMO_SPECIAL, "E", T0 - DAY, T0 + DAY, 790);
    /* F: corrected after the scan by a batch marked so; G: changed after it
     * by an unmarked batch; H: corrected in S3's zone only. F also has a
     * reprint due: the correction wins. */
    price("F", PL_LEVEL_BASE, "", T0 + 2 * HOUR, 1100, "b-fix", T0 + 2 * HOUR);
    job("F", PL_LEVEL_BASE, "", 1000, T0 - HOUR, "b-early");
    price("G", PL_LEVEL_BASE, "", T0 + 2 * HOUR, 1100, "b-plain", T0 + 2 * HOUR);
    price("H", PL_LEVEL_ZONE, "Z2", T0 + 2 * HOUR, 1100, "b-fix", T0 + 2 * HOUR);
    /* I: printed before the scan, placed after it; J: printed and placed
     * before it; K: an electronic label placed (and so printed) after it. */
    uint64_t ji = job("I", PL_LEVEL_STORE, "S1", 600, T0 - 2 * HOUR, "b-early");
    uint64_t jj = job("J", PL_LEVEL_STORE, "S1", 600, T0 - 2 * HOUR, "b-early");
    uint64_t jk = job("K", PL_LEVEL_STORE, "S1", 600, T0 - 2 * HOUR, "b-early");
    CHECK_INT(pl_job_ack(txn, ji, T0 - HOUR), 0);
    CHECK_INT(pl_job_ack(txn, jj, T0 - HOUR), 0);
    CHECK_INT(pl_job_place(txn, jj, T0 - HOUR / 2), 0);
    CHECK_INT(pl_job_place(txn, jj, T0 - HOUR / 2), PL_EDONE);
    /* L: a reprint due before the scan, superseded after it by a change of a
     * later batch; M: superseded before the scan by a job not yet due. */
    uint64_t jl = job("L", PL_LEVEL_BASE, "", 900, T0 - HOUR, "b-early");
    uint64_t jm = job("M", PL_LEVEL_BASE, "", 900, T0 - HOUR, "b-early");
    CHECK_INT(pl_job_supersede(txn, jm), 0);
    job("M", PL_LEVEL_BASE, "", 950, T0 + HOUR, "b-early");
    wcommit();

    kinds();

    /* Provisional causes (known until the scan). */
    CHECK_STR(cause("S1", "A", 1000, T0), "label_not_printed");
    CHECK_STR(cause("S2", "A", 1000, T0), "label_not_printed");
    CHECK_STR(cause("S3", "A", 1000, T0), "unknown");
    CHECK_STR(cause("S1", "B", 1000, T0), "label_not_printed");
    CHECK_STR(cause("S2", "B", 1000, T0), "unknown");
    CHECK_STR(cause("S1", "C", 1000, T0), "unknown");
    CHECK_STR(cause("S1", "D", 1000, T0), "unknown");
    CHECK_STR(cause("S1", "E", 750, T0), "promo_sign");
    CHECK_STR(cause("S1", "E", 760, T0), "promo_sign");
    CHECK_STR(cause("S3", "E", 760, T0), "unknown");
    CHECK_STR(cause("S1", "E", 770, T0), "promo_sign");
    CHECK_STR(cause("S1", "E", 780, T0), "promo_sign");
    CHECK_STR(cause("S1", "E", 900, T0), "promo_sign");
    CHECK_STR(cause("S1", "E", 790, T0), "unknown");
    CHECK_STR(cause("S1", "E", 555, T0), "unknown");
    CHECK_STR(cause("S1", "F", 1000, T0), "label_not_printed");
    CHECK_STR(cause("S1", "G", 1000, T0), "unknown");
    CHECK_STR(cause("S9", "A", 1000, T0), "unknown");
    CHECK_STR(cause("S1", "I", 1000, T0), "label_not_placed");
    CHECK_STR(cause("S2", "I", 1000, T0), "unknown");
    CHECK_STR(cause("S1", "J", 1000, T0), "unknown");
    CHECK_STR(cause("S1", "K", 1000, T0), "label_not_printed");
    CHECK_STR(cause("S1", "nope", 1000, T0), "unknown");

    /* B's reprint printed two hours after the scan: still not printed at the
     * scan for the final cause. */
    wbegin();
    CHECK_INT(pl_job_ack(txn, jb, T0 + 2 * HOUR), 0);
    CHECK_INT(pl_job_place(txn, ji, T0 + HOUR), 0);
    CHECK_INT(pl_job_place(txn, jk, T0 + HOUR), 0);
    wcommit();
    CHECK_STR(cause("S1", "I", 1000, T0 + DAY), "label_not_placed");
    CHECK_STR(cause("S1", "M", 1000, T0 + DAY), "unknown");
    wbegin();
    CHECK_INT(pl_job_supersede(txn, jl), 0);
    job("L", PL_LEVEL_BASE, "", 950, T0 + HOUR, "b-late");
    wcommit();
    CHECK_STR(cause("S1", "L", 1000, T0 + DAY), "label_not_printed");
    CHECK_STR(cause("S1", "J", 1000, T0 + DAY), "unknown");
    CHECK_STR(cause("S1", "K", 1000, T0 + DAY), "label_not_printed");
    {
        pl_txn_t *rt = NULL;
        pl_label_job_t j;
        pl_label_t lb;
        CHECK_INT(pl_txn_begin(cat, 0, &rt), 0);
        CHECK_INT(pl_job_get(rt, jk, &j), 0);
        CHECK(j.state == PL_JOB_ACKED && j.acked_at == T0 + HOUR && j.placed_at == T0 + HOUR,
              "an electronic label placed is printed at once: state %d", j.state);
        CHECK_INT(pl_label_get(rt, "K", "S1", &lb), 0);
        CHECK(lb.job == jk && lb.placed_at == T0 + HOUR && lb.price == 600,
              "the label record names the job and its placement");
        pl_txn_abort(rt);
    }
    CHECK_STR(cause("S1", "B", 1000, T0 + DAY), "label_not_printed");

    /* Final causes: the correction is known by the next morning, not an
     * hour after the scan; the unmarked change is no correction; H's
     * correction is for another zone. */
    CHECK_STR(cause("S1", "F", 1000, T0 + HOUR), "label_not_printed");
    CHECK_STR(cause("S1", "F", 1000, T0 + DAY), "system_price");
    CHECK_STR(cause("S1", "G", 1000, T0 + DAY), "unknown");
    CHECK_STR(cause("S1", "H", 1000, T0 + DAY), "unknown");
    CHECK_STR(cause("S3", "H", 1000, T0 + DAY), "system_price");
    CHECK_STR(cause("S1", "C", 1000, T0 + DAY), "unknown");
    CHECK_STR(cause("S1", "D", 1000, T0 + DAY), "unknown");

    catfix_close(cat, dir);
    return pl_test_done("test_report_cause");
}
