/* The report store (pricelane/report.h): a new report is recorded, a retry
 * of the same (store, lane, id) with the same content gets the first record
 * back and writes nothing, other content is a conflict; time ranges per
 * store and over all stores; keyed counts add up per local day; a reopened
 * store reads the same read-only; a directory without a store is
 * PL_ENOTFOUND; a corrupted record is PL_ECORRUPT, never trusted. */
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pricelane/err.h"
#include "pricelane/report.h"

#define T0 1790000000LL /* any instant: nothing here compares with the clock */

static pl_report_t mk(const char *store, const char *lane, const char *id, int64_t at,
                      int64_t shelf)
{
    pl_report_t r;
    memset(&r, 0, sizeof(r));
    snprintf(r.id, sizeof(r.id), "%s", id);
    snprintf(r.store, sizeof(r.store), "%s", store);
    snprintf(r.lane, sizeof(r.lane), "%s", lane);
    snprintf(r.cashier, sizeof(r.cashier), "c07");
    snprintf(r.code, sizeof(r.code), "6901234567014");
    snprintf(r.sku, sizeof(r.sku), "SKU1");
    r.kind = PL_REPORT_PRICE;
    r.cause = PL_CAUSE_LABEL_NOT_PLACED;
    r.at = at;
    r.shelf_price = shelf;
    r.system_price = 1290;
    r.charge = shelf < 1290 ? shelf : 1290;
    r.refund = 1290 - r.charge;
    r.gen = 42;
    return r;
}

typedef struct seen {
    int n;
    char ids[16][PL_REPORT_ID_MAX + 1];
    char stores[16][PL_SCOPE_MAX + 1];
    int64_t at[16];
} seen_t;

static int collect(const pl_report_t *r, void *arg)
{
    seen_t *s = arg;
    if (s->n < 16) {
        snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", r->id);
        snprintf(s->stores[s->n], sizeof(s->stores[0]), "%s", r->store);
        s->at[s->n] = r->at;
    }
    s->n++;
    return 0;
}

static int stop_at_first(const pl_report_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 7;
}

typedef struct kseen {
    int n;
    char what[8][64];
} kseen_t;

static int kcollect(const pl_keyed_count_t *k, void *arg)
{
    kseen_t *s = arg;
    if (s->n < 8)
        snprintf(s->what[s->n], sizeof(s->what[0]), "%s/%s=%llu", k->store, k->sku,
                 (unsigned long long)k->n);
    s->n++;
    return 0;
}

static void test_put_and_retry(pl_reports_t *rs)
{
    pl_report_t g[3] = {mk("S1", "L1", "r1", T0, 990), mk("S1", "L2", "r1", T0 + 5, 1100),
                        mk("S2", "L1", "r1", T0 + 1, 1000)};
    pl_report_put_t out[3];
    CHECK_INT(pl_reports_put(rs, g, 3, out, NULL, 0, 480), 0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(out[i], PL_REPORT_NEW);

    /* A retry: same lane content, a later instant and another answer. */
    pl_report_t again = mk("S1", "L1", "r1", T0 + 60, 990);
    again.cause = PL_CAUSE_UNKNOWN;
    again.charge = 1;
    CHECK_INT(pl_reports_put(rs, &again, 1, out, NULL, 0, 480), 0);
    CHECK_INT(out[0], PL_REPORT_SAME);
    CHECK_INT(again.at, T0);
    CHECK_INT(again.charge, 990);
    CHECK_INT(again.cause, PL_CAUSE_LABEL_NOT_PLACED);

    /* Other content under the same id: refused, the stored one returned. */
    pl_report_t other = mk("S1", "L1", "r1", T0 + 60, 500);
    CHECK_INT(pl_reports_put(rs, &other, 1, out, NULL, 0, 480), 0);
    CHECK_INT(out[0], PL_REPORT_CONFLICT);
    CHECK_INT(other.shelf_price, 990);

    /* A group where the second is a retry of the first. */
    pl_report_t pair[2] = {mk("S1", "L1", "r2", T0 + 10, 700), mk("S1", "L1", "r2", T0 + 11, 700)};
    CHECK_INT(pl_reports_put(rs, pair, 2, out, NULL, 0, 480), 0);
    CHECK_INT(out[0], PL_REPORT_NEW);
    CHECK_INT(out[1], PL_REPORT_SAME);
    CHECK_INT(pair[1].at, T0 + 10);

    seen_t s = {0};
    CHECK_INT(pl_reports_each(rs, T0, T0 + 100, NULL, collect, &s), 0);
    CHECK_INT(s.n, 4); /* one record for r1 on L1 despite the retry and the conflict */
}

static void test_ranges(pl_reports_t *rs)
{
    seen_t s = {0};
    CHECK_INT(pl_reports_each(rs, T0, T0 + 100, "S1", collect, &s), 0);
    CHECK_INT(s.n, 3);
    /* (store, at) order */
    CHECK_INT(s.at[0], T0);
    CHECK_INT(s.at[1], T0 + 5);
    CHECK_INT(s.at[2], T0 + 10);

    memset(&s, 0, sizeof(s));
    CHECK_INT(pl_reports_each(rs, T0 + 1, T0 + 10, "S1", collect, &s), 0);
    CHECK_INT(s.n, 1); /* [from, to): T0 + 5 only */
    CHECK_STR(s.ids[0], "r1");
    CHECK_INT(s.at[0], T0 + 5);

    memset(&s, 0, sizeof(s));
    CHECK_INT(pl_reports_each(rs, T0 + 1, T0 + 2, NULL, collect, &s), 0);
    CHECK_INT(s.n, 1);
    CHECK_STR(s.stores[0], "S2");

    memset(&s, 0, sizeof(s));
    CHECK_INT(pl_reports_each(rs, T0, T0 + 100, NULL, collect, &s), 0);
    CHECK_INT(s.n, 4);
    CHECK_STR(s.stores[0], "S1");
    CHECK_STR(s.stores[3], "S2");

    memset(&s, 0, sizeof(s));
    CHECK_INT(pl_reports_each(rs, T0, T0 + 100, "S9", collect, &s), 0);
    CHECK_INT(s.n, 0);
    CHECK_INT(pl_reports_each(rs, T0, T0 + 100, "S", collect, &s), 0);
    CHECK_INT(s.n, 0); /* a prefix of a store is another store */

    int calls = 0;
    CHECK_INT(pl_reports_each(rs, T0, T0 + 100, NULL, stop_at_first, &calls), 7);
    CHECK_INT(calls, 1);
}

static void test_keyed(pl_reports_t *rs)
{
    /* UTC+8: local midnight is 16:00 UTC. day d starts at d*86400 - 8h. */
    int64_t day = 20700;
    int64_t start = day * 86400 - 8 * 3600;
    pl_keyed_count_t k[4] = {
        {start, "S1", "SKU1", 2},
        {start + 86399, "S1", "SKU1", 3}, /* same local day */
        {start - 1, "S1", "SKU1", 5},     /* the day before */
        {start + 100, "S2", "SKU9", 1},
    };
    pl_report_put_t out[1];
    CHECK_INT(pl_reports_put(rs, NULL, 0, out, k, 4, 480), 0);
    CHECK_INT(pl_reports_put(rs, NULL, 0, out, k, 1, 480), 0); /* adds, not replaces */

    kseen_t s = {0};
    CHECK_INT(pl_reports_keyed_each(rs, day, NULL, kcollect, &s), 0);
    CHECK_INT(s.n, 2);
    CHECK_STR(s.what[0], "S1/SKU1=7");
    CHECK_STR(s.what[1], "S2/SKU9=1");
    memset(&s, 0, sizeof(s));
    CHECK_INT(pl_reports_keyed_each(rs, day - 1, "S1", kcollect, &s), 0);
    CHECK_INT(s.n, 1);
    CHECK_STR(s.what[0], "S1/SKU1=5");
    memset(&s, 0, sizeof(s));
    CHECK_INT(pl_reports_keyed_each(rs, day, "S2", kcollect, &s), 0);
    CHECK_INT(s.n, 1);
    CHECK_STR(s.what[0], "S2/SKU9=1");
    memset(&s, 0, sizeof(s));
    CHECK_INT(pl_reports_keyed_each(rs, day + 1, NULL, kcollect, &s), 0);
    CHECK_INT(s.n, 0);
}

/* Overwrites the first record of the reports database with bytes that end
 * mid-field, as a torn or foreign write would. */
static void corrupt_first(const char *dir)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cur;
    MDB_val k, v;
    CHECK_INT(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 8);
    CHECK_INT(mdb_env_open(env, dir, 0, 0660), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
    CHECK_INT(mdb_dbi_open(txn, "reports", 0, &dbi), 0);
    CHECK_INT(mdb_cursor_open(txn, dbi, &cur), 0);
    CHECK_INT(mdb_cursor_get(cur, &k, &v, MDB_FIRST), 0);
    uint8_t bad[] = {1, 9, 0, 'r'};
    MDB_val nv = {sizeof(bad), bad};
    CHECK_INT(mdb_cursor_put(cur, &k, &nv, MDB_CURRENT), 0);
    mdb_cursor_close(cur);
    CHECK_INT(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-reports-XXXXXX";
    char sub[128], err[256];
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(sub, sizeof(sub), "%s/reports", dir);

    CHECK_STR(pl_report_kind_name(PL_REPORT_NO_SCAN), "no_scan");
    CHECK_INT(pl_report_kind_parse("PRICE", 5), PL_REPORT_PRICE);
    CHECK_INT(pl_report_kind_parse("pricex", 6), -1);
    CHECK_INT(pl_report_kind_parse("pri", 3), -1);
    CHECK_STR(pl_report_cause_name(PL_CAUSE_LABEL_NOT_PRINTED), "label_not_printed");
    CHECK_STR(pl_report_cause_dept(PL_CAUSE_PROMO_SIGN), "store planning");
    CHECK_STR(pl_report_cause_dept(PL_CAUSE_SYSTEM_PRICE), "merchandising data");
    CHECK_STR(pl_report_cause_name(99), "?");

    pl_reports_t *rs = NULL;
    int rc = pl_reports_open(sub, 0, &rs, err, sizeof(err));
    CHECK_INT(rc, PL_ENOTFOUND);
    CHECK(strstr(err, sub) != NULL, "the error names the directory: %s", err);

    CHECK_INT(pl_reports_open(sub, 1, &rs, err, sizeof(err)), 0);
    if (rs) {
        test_put_and_retry(rs);
        test_ranges(rs);
        test_keyed(rs);
        pl_reports_close(rs);
    }

    /* Read-only: the same records; no writes. */
    rs = NULL;
    CHECK_INT(pl_reports_open(sub, 0, &rs, err, sizeof(err)), 0);
    if (rs) {
        seen_t s = {0};
        CHECK_INT(pl_reports_each(rs, T0, T0 + 100, NULL, collect, &s), 0);
        CHECK_INT(s.n, 4);
        pl_report_t r = mk("S1", "L1", "r9", T0, 1);
        pl_report_put_t out;
        CHECK_INT(pl_reports_put(rs, &r, 1, &out, NULL, 0, 0), PL_EINVAL);
        pl_reports_close(rs);
    }

    corrupt_first(sub);
    rs = NULL;
    CHECK_INT(pl_reports_open(sub, 1, &rs, err, sizeof(err)), 0);
    if (rs) {
        seen_t s = {0};
        CHECK_INT(pl_reports_each(rs, T0, T0 + 100, "S1", collect, &s), PL_ECORRUPT);
        CHECK_INT(s.n, 0);
        /* A retry of the corrupted record is an error, and nothing is written. */
        pl_report_t g[2] = {mk("S1", "L1", "new", T0 + 20, 800),
                            mk("S1", "L1", "r1", T0 + 20, 990)};
        pl_report_put_t out[2];
        CHECK_INT(pl_reports_put(rs, g, 2, out, NULL, 0, 0), PL_ECORRUPT);
        CHECK_STR(g[1].id, "r1");
        CHECK_INT(g[1].at, T0 + 20);
        memset(&s, 0, sizeof(s));
        CHECK_INT(pl_reports_each(rs, T0 + 20, T0 + 21, NULL, collect, &s), 0);
        CHECK_INT(s.n, 0);
        /* Other stores still read. */
        CHECK_INT(pl_reports_each(rs, T0, T0 + 100, "S2", collect, &s), 0);
        CHECK_INT(s.n, 1);
        pl_reports_close(rs);
    }

    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", dir);
    return pl_test_done("test_reports");
}
