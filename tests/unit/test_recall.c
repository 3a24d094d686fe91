/* Unit test of recalls (core/catalog_recall.c, core/resolve.c): lot and lot
 * range matching, a recall under one GTIN, windows and lifting, a 2D scan
 * of a recalled lot answered blocked/recalled with the recall's text while
 * the same code without a lot (or another lot) is sold, the memo's validity
 * ending at a recall's start, verify over the recall databases, and a
 * catalogue without them (made before they existed) opened read-only.
 * Instants are arguments (T0), never the clock. */
#include <lmdb.h>

#include "catfix.h"

#include "pricelane/catalog_verify.h"
#include "pricelane/err.h"
#include "pricelane/str.h"

#define T0 1790000000LL /* 2026-09-21 */
#define DAY 86400
#define GS "\x1d"

static void test_matches(void)
{
    pl_recall_t r = {"R", "A", "", "L2601", "L2609", T0, PL_TIME_NONE, "t", "b"};
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2601", T0), 1);
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2605", T0), 1);
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2609", T0), 1);
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2610", T0), 0);
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L26050", T0), 0); /* another length */
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2605", T0 - 1), 0);
    r.end = T0 + DAY;
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2605", T0 + DAY - 1), 1);
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2605", T0 + DAY), 0);
    r.lot_to[0] = 0;
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2601", T0), 1);
    CHECK_INT(pl_recall_matches(&r, "09506000134352", "L2602", T0), 0);
    pl_str_copy(r.gtin, sizeof(r.gtin), "09506000134352");
    CHECK_INT(pl_recall_matches(&r, "04006381333931", "L2601", T0), 0);
}

static void show(const char *db, const char *msg, void *arg)
{
    printf("  verify (%s) %s: %s\n", (const char *)arg, db, msg);
}

static void verify_clean(pl_cat_t *cat, const char *what)
{
    pl_txn_t *txn;
    pl_verify_counts_t c;
    CHECK_INT(pl_txn_begin(cat, 0, &txn), 0);
    CHECK_INT(pl_cat_verify(txn, show, (void *)what, &c), 0);
    CHECK(c.violations == 0, "%s: %llu violations", what, (unsigned long long)c.violations);
    pl_txn_abort(txn);
}

static pl_resolver_t *res;
static pl_answer_t ans;

static const pl_answer_t *look(const char *code, int64_t now)
{
    pl_resolve(res, NULL, code, strlen(code), now, 0, &ans);
    return &ans;
}

int main(void)
{
    test_matches();

    char dir[] = "/tmp/pl-test-recall-XXXXXX";
    pl_cat_t *cat = catfix_open(dir, 480, 1);
    pl_txn_t *txn;
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    catfix_item(txn, "A", NULL, "each", 0, NULL);
    catfix_barcode(txn, "09506000134352", "A");
    catfix_barcode(txn, "04006381333931", "A");
    catfix_price(txn, "A", PL_LEVEL_BASE, "", T0 - 30 * DAY, 1000, 0, "b1");
    pl_recall_t r1 = {"R1",    "A",      "",           "L2601",
                      "L2609", T0 - DAY, PL_TIME_NONE, "召回：批次 L2601-L2609 请勿销售",
                      "b1"};
    pl_recall_t r2 = {"R2",      "A",          "04006381333931", "X1", "",
                      T0 + 3600, PL_TIME_NONE, "later",          "b1"};
    CHECK_INT(pl_recall_put(txn, &r1), 0);
    CHECK_INT(pl_recall_put(txn, &r2), 0);
    pl_recall_t moved = r1;
    pl_str_copy(moved.sku, sizeof(moved.sku), "B");
    CHECK_INT(pl_recall_put(txn, &moved), PL_EINVAL); /* a recall keeps its item */
    uint64_t gen;
    CHECK_INT(pl_meta_bump(txn, "b1", &gen), 0);
    pl_batch_rec_t led = {"b1", "00000000000000000000000000000000", T0 - DAY, 8, gen, ""};
    CHECK_INT(pl_batch_put(txn, &led), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    verify_clean(cat, "with recalls");

    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);
    const pl_answer_t *a = look("]d20109506000134352"
                                "10L2605",
                                T0);
    CHECK_INT(a->status, PL_ANS_BLOCKED);
    CHECK_STR(a->reason, "recalled");
    CHECK_STR(a->error, "召回：批次 L2601-L2609 请勿销售");
    CHECK_STR(a->sku, "A");
    char json[2048];
    CHECK(pl_answer_json(a, 480, json, sizeof(json)) && strstr(json, "\"reason\":\"recalled\""),
          "json %s", json);
    a = look("]d20109506000134352"
             "10L2610",
             T0);
    CHECK_INT(a->status, PL_ANS_OK);
    a = look("]d20109506000134352", T0); /* no lot: nothing to match */
    CHECK_INT(a->status, PL_ANS_OK);
    a = look("9506000134352", T0);
    CHECK_INT(a->status, PL_ANS_OK);
    /* R2: only under 04006381333931, from T0 + 1 h; the answer before it
     * is good until then. */
    a = look("]d20104006381333931"
             "10X1",
             T0);
    CHECK_INT(a->status, PL_ANS_OK);
    CHECK_INT(a->valid_until, T0 + 3600);
    a = look("]d20104006381333931"
             "10X1",
             T0 + 3600);
    CHECK_INT(a->status, PL_ANS_BLOCKED);
    CHECK_STR(a->error, "later");
    a = look("]d20109506000134352"
             "10X1",
             T0 + 3600);
    CHECK_INT(a->status, PL_ANS_OK);
    /* A recall outranks a date: an expired recalled pack says recalled. */
    a = look("]d20109506000134352"
             "17200101"
             "10L2605",
             T0);
    CHECK_STR(a->reason, "recalled");
    pl_resolver_free(res);
    pl_cat_close(cat);

    /* A catalogue without the recall databases (made before them): drop
     * them with LMDB itself, then open read-only as a server does. */
    MDB_env *env;
    MDB_txn *mt;
    MDB_dbi dbi;
    CHECK_INT(mdb_env_create(&env), 0);
    CHECK_INT(mdb_env_set_maxdbs(env, 32), 0);
    CHECK_INT(mdb_env_open(env, dir, 0, 0644), 0);
    CHECK_INT(mdb_txn_begin(env, NULL, 0, &mt), 0);
    CHECK_INT(mdb_dbi_open(mt, "recalls", 0, &dbi), 0);
    CHECK_INT(mdb_drop(mt, dbi, 1), 0);
    CHECK_INT(mdb_dbi_open(mt, "recallitems", 0, &dbi), 0);
    CHECK_INT(mdb_drop(mt, dbi, 1), 0);
    CHECK_INT(mdb_txn_commit(mt), 0);
    mdb_env_close(env);
    pl_cat_opts_t opts = {0};
    opts.read_only = 1;
    opts.no_tls = 1;
    CHECK_INT(pl_cat_open(dir, &opts, &cat), 0);
    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);
    a = look("]d20109506000134352"
             "10L2605",
             T0);
    CHECK(a->status == PL_ANS_OK, "no recall databases: status %d (%s)", a->status, a->error);
    pl_resolver_free(res);
    verify_clean(cat, "without the recall databases");
    catfix_close(cat, dir);
    return pl_test_done("test_recall");
}
