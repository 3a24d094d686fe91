/* The answering side of the lane's exception log (server/answer_report.c)
 * on a small catalogue, without sockets or a writer: what a REPORT charges
 * under each policy and what it refunds, the item and the keyed flag, the
 * requests refused before anything is recorded, the reply's fields and
 * framing, and the keyed lookups a worker counts (and the ones it does
 * not: a barcode, an item code of an item without barcodes, another day). */
#include <string.h>

#include "answer.h"
#include "catfix.h"
#include "check.h"
#include "pricelane/proto.h"

#define T0 1790000000LL
#define DAY 86400LL

static pl_resolver_t *res;
static pl_stats_t stats;
static answer_ctx_t ax;

static void parse(pl_req_t *req, const char *line)
{
    size_t used;
    CHECK_INT(pl_proto_parse(req, line, strlen(line), 1, &used), 1);
    CHECK(req->type == PL_REQ_REPORT, "%s: a REPORT (%s)", line, req->error);
}

/* Prepares line under policy charge; returns the status (0: to record). */
static int prepare(const char *line, int charge, pl_report_t *r, char *err)
{
    pl_req_t req;
    parse(&req, line);
    err[0] = 0;
    return answer_report_prepare(&ax, &req, charge, r, err, 160);
}

static void test_charge(void)
{
    pl_report_t r;
    char err[160];
    CHECK_INT(prepare("REPORT 06901234567892 id=1 store=S1 lane=L1 cashier=c kind=price shelf=4990",
                      REPORT_CHARGE_LOWER, &r, err),
              0);
    CHECK_STR(r.sku, "A");
    CHECK_INT(r.system_price, 5990);
    CHECK_INT(r.shelf_price, 4990);
    CHECK_INT(r.charge, 4990);
    CHECK_INT(r.refund, 1000);
    CHECK_INT(r.keyed, 0);
    CHECK_INT(r.at, T0);
    CHECK_INT(r.kind, PL_REPORT_PRICE);
    CHECK_STR(r.store, "S1");
    CHECK_STR(r.lane, "L1");
    CHECK_STR(r.id, "1");

    /* The shelf above the system price: the system price, nothing back. */
    prepare("REPORT 06901234567892 id=2 store=S1 lane=L1 cashier=c kind=price shelf=6990",
            REPORT_CHARGE_LOWER, &r, err);
    CHECK_INT(r.charge, 5990);
    CHECK_INT(r.refund, 0);
    /* Policy shelf: the shelf price whatever it is; system: no refund. */
    prepare("REPORT 06901234567892 id=3 store=S1 lane=L1 cashier=c kind=price shelf=6990",
            REPORT_CHARGE_SHELF, &r, err);
    CHECK_INT(r.charge, 6990);
    CHECK_INT(r.refund, 0);
    prepare("REPORT 06901234567892 id=4 store=S1 lane=L1 cashier=c kind=price shelf=4990",
            REPORT_CHARGE_SHELF, &r, err);
    CHECK_INT(r.charge, 4990);
    CHECK_INT(r.refund, 1000);
    prepare("REPORT 06901234567892 id=5 store=S1 lane=L1 cashier=c kind=price shelf=4990",
            REPORT_CHARGE_SYSTEM, &r, err);
    CHECK_INT(r.charge, 5990);
    CHECK_INT(r.refund, 0);
    /* Not a price disagreement: the system price. */
    prepare("REPORT 06901234567892 id=6 store=S1 lane=L1 cashier=c kind=name", REPORT_CHARGE_LOWER,
            &r, err);
    CHECK_INT(r.charge, 5990);
    CHECK_INT(r.shelf_price, PL_PRICE_NONE);
    /* A keyed item code of an item with barcodes. */
    prepare("REPORT A id=7 store=S1 lane=L1 cashier=c kind=no_scan", REPORT_CHARGE_LOWER, &r, err);
    CHECK_STR(r.sku, "A");
    CHECK_INT(r.keyed, 1);
    /* An unknown well-formed code is recorded: no item, no system price;
     * a price report then charges the shelf. */
    CHECK_INT(prepare("REPORT 06901234567809 id=8 store=S1 lane=L1 cashier=c kind=price shelf=100",
                      REPORT_CHARGE_LOWER, &r, err),
              0);
    CHECK_STR(r.sku, "");
    CHECK_INT(r.system_price, PL_PRICE_NONE);
    CHECK_INT(r.charge, 100);
    CHECK_INT(r.refund, 0);

    /* Refused: an unknown store, a code that is not one. */
    CHECK_INT(prepare("REPORT 06901234567892 id=9 store=S9 lane=L1 cashier=c kind=name",
                      REPORT_CHARGE_LOWER, &r, err),
              PL_SS_BAD_REQUEST);
    CHECK_STR(err, "unknown store 'S9'");
    CHECK_INT(prepare("REPORT 6901234567893 id=10 store=S1 lane=L1 cashier=c kind=name",
                      REPORT_CHARGE_LOWER, &r, err),
              PL_SS_BAD_REQUEST);
    CHECK(strncmp(err, "bad code: ", 10) == 0, "bad code: %s", err);
}

static void test_reply(void)
{
    pl_report_t r;
    char err[160], out[2048];
    prepare("REPORT 06901234567892 id=r1 store=S1 lane=L1 cashier=c kind=price shelf=4990",
            REPORT_CHARGE_LOWER, &r, err);
    r.cause = PL_CAUSE_LABEL_NOT_PLACED;
    pl_req_t req;
    parse(&req, "#t9 REPORT 06901234567892 id=r1 store=S1 lane=L1 cashier=c kind=price shelf=4990");
    size_t n = answer_report_reply(&ax, &req, &r, 1, out, sizeof(out));
    out[n] = 0;
    CHECK_STR(out, "{\"tag\":\"t9\",\"status\":\"ok\",\"report\":\"r1\",\"retry\":true,"
                   "\"store\":\"S1\",\"lane\":\"L1\",\"cashier\":\"c\",\"code\":"
                   "\"06901234567892\",\"sku\":\"A\",\"kind\":\"price\",\"keyed\":false,"
                   "\"shelf_price\":4990,\"system_price\":5990,\"charge\":4990,\"refund\":1000,"
                   "\"cause\":\"label_not_placed\",\"department\":\"store customer service\","
                   "\"at\":\"2026-09-21T22:13:20+08:00\"}\n");
    CHECK_INT(answer_report_reply(&ax, &req, &r, 0, out, 100), 0); /* too small: nothing */
}

/* Looks code up for store as a worker does and notes it. */
static void lookup(const char *code, const char *store)
{
    char line[128], out[4096];
    snprintf(line, sizeof(line), "GET %s store=%s\n", code, store);
    pl_req_t req;
    size_t used;
    int fl;
    CHECK_INT(pl_proto_parse(&req, line, strlen(line), 0, &used), 1);
    CHECK(answer(&ax, &req, PL_SP_TCP, out, sizeof(out), &fl) > 0, "answered %s", code);
}

static void test_keyed(void)
{
    lookup("A", "S1");                 /* keyed, item with barcodes */
    lookup("A", "S1");                 /* again */
    lookup("06901234567892", "S1");    /* its barcode: not keyed */
    lookup("NOBAR", "S1");             /* keyed, but no barcode to fail */
    lookup("A", "S2");                 /* another store */
    answer_batch_begin(&ax, T0 + DAY); /* the next local day */
    lookup("A", "S1");
    CHECK_INT(stats.v[PL_ST_KEYED_LOOKUPS], 4);
    const pl_keyed_count_t *k;
    size_t n = keyed_tab_take(ax.keyed, &k);
    CHECK_INT(n, 3);
    uint64_t s1_day0 = 0, s1_day1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        CHECK_STR(k[i].sku, "A");
        if (strcmp(k[i].store, "S2") == 0)
            s2 += k[i].n;
        else if (k[i].at == T0)
            s1_day0 += k[i].n;
        else
            s1_day1 += k[i].n;
    }
    CHECK_INT(s1_day0, 2);
    CHECK_INT(s1_day1, 1);
    CHECK_INT(s2, 1);
    CHECK_INT(keyed_tab_take(ax.keyed, &k), 0); /* taken: empty */
}

int main(void)
{
    char dir[] = "/tmp/pl-test-answer-report-XXXXXX";
    pl_cat_t *cat = catfix_open(dir, 480, 1);
    pl_txn_t *txn;
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    catfix_item(txn, "A", "Oil 5L", "each", 0, NULL);
    catfix_barcode(txn, "06901234567892", "A");
    catfix_price(txn, "A", PL_LEVEL_BASE, "", T0 - 30 * DAY, 5990, 0, "b1");
    catfix_item(txn, "NOBAR", NULL, "each", 0, NULL);
    catfix_price(txn, "NOBAR", PL_LEVEL_BASE, "", T0 - 30 * DAY, 100, 0, "b1");
    pl_store_t s1 = {"S1", "north", "Store 1", ""}, s2 = {"S2", "north", "Store 2", ""};
    CHECK_INT(pl_store_put(txn, &s1), 0);
    CHECK_INT(pl_store_put(txn, &s2), 0);
    uint64_t gen;
    CHECK_INT(pl_meta_bump(txn, "b1", &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);
    ax.res = res;
    ax.stats = &stats;
    CHECK_INT(keyed_tab_new(&ax.keyed), 0);
    answer_batch_begin(&ax, T0);

    test_charge();
    test_reply();
    test_keyed();

    keyed_tab_free(ax.keyed);
    pl_resolver_free(res);
    catfix_close(cat, dir);
    return pl_test_done("test_answer_report");
}
