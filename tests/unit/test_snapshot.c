/* The snapshot rule (pricelane/resolve.h, pl_resolver_snapshot): a lookup
 * reads the snapshot held; the first lookup after pl_resolver_stale() or
 * pl_resolver_release() takes a new one; a batch costs one snapshot. Pinned
 * through pl_resolve, pl_lookup_json (with and without the memo) and the
 * server's answer context, against commits made between lookups. */
#include <stdlib.h>
#include <unistd.h>

#include "answer.h"
#include "catfix.h"
#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/memo.h"
#include "pricelane/resolve.h"

#define NOW 1790000000LL

static pl_cat_t *cat;

/* Commits price p for item A (a new generation). */
static void set_price(int64_t p, int first)
{
    pl_txn_t *txn;
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    if (first) {
        catfix_item(txn, "A", "Oil 5L", "each", 0, NULL);
        catfix_barcode(txn, "06901234567892", "A");
    }
    char batch[32];
    snprintf(batch, sizeof(batch), "b%lld", (long long)p);
    /* each change later than the one before */
    catfix_price(txn, "A", PL_LEVEL_BASE, "", NOW - 100 + p, p, 0, batch);
    uint64_t gen;
    CHECK_INT(pl_meta_bump(txn, batch, &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
}

static int64_t price_now(pl_resolver_t *r)
{
    pl_answer_t a;
    CHECK_INT(pl_resolve(r, NULL, "6901234567892", 13, NOW, 0, &a), 0);
    return a.status == PL_ANS_OK ? a.price : -1;
}

static int64_t json_price(pl_resolver_t *r, pl_memo_t *memo)
{
    char buf[4096];
    size_t len;
    pl_status_t st;
    const char *j =
        pl_lookup_json(r, memo, "", "6901234567892", 13, NOW, 0, buf, sizeof(buf), &len, &st);
    CHECK(j != NULL && st == PL_ANS_OK, "a JSON answer");
    const char *p = j ? strstr(j, "\"price\":") : NULL;
    return p ? strtoll(p + 8, NULL, 10) : -1;
}

static void rule_through_resolve(pl_resolver_t *r)
{
    set_price(10, 1);
    CHECK_INT(price_now(r), 10);
    set_price(20, 0);
    CHECK_INT(price_now(r), 10); /* the snapshot held is kept */
    CHECK_INT(pl_resolver_snapshot(r), 0);
    pl_resolver_stale(r);
    CHECK_INT(price_now(r), 20); /* stale: the next lookup takes a new one */
    CHECK_INT(pl_resolver_snapshot(r), 0);
    set_price(30, 0);
    pl_resolver_release(r);
    CHECK_INT(price_now(r), 30); /* released: likewise */
    pl_resolver_stale(r);
    CHECK_INT(pl_resolver_snapshot(r), 1);
    CHECK_INT(pl_resolver_snapshot(r), 0);
}

static void rule_through_json(pl_resolver_t *r, pl_memo_t *memo)
{
    int64_t p0 = json_price(r, memo);
    set_price(p0 + 10, 0);
    CHECK_INT(json_price(r, memo), p0);
    pl_resolver_stale(r);
    CHECK_INT(json_price(r, memo), p0 + 10);
    set_price(p0 + 20, 0);
    pl_resolver_release(r);
    CHECK_INT(json_price(r, memo), p0 + 20);
}

/* The server's context: a batch takes one snapshot for all its lookups. */
static void rule_through_answer(pl_resolver_t *r)
{
    pl_stats_t stats = {0};
    answer_ctx_t ax;
    memset(&ax, 0, sizeof(ax));
    ax.res = r;
    ax.stats = &stats;
    pl_req_t req;
    size_t used;
    char out[4096];
    int fl;
    const char *line = "6901234567892\n";
    CHECK_INT(pl_proto_parse(&req, line, strlen(line), 0, &used), 1);

    answer_batch_begin(&ax, NOW);
    for (int i = 0; i < 3; i++)
        CHECK(answer(&ax, &req, PL_SP_TCP, out, sizeof(out), &fl) > 0, "an answer");
    CHECK_INT(stats.v[PL_ST_SNAPSHOTS], 1);
    int64_t before = json_price(r, NULL);
    set_price(before + 10, 0);
    answer(&ax, &req, PL_SP_TCP, out, sizeof(out), &fl);
    CHECK(strstr(out, "\"price\":") && strtoll(strstr(out, "\"price\":") + 8, NULL, 10) == before,
          "within the batch, the batch's snapshot");
    answer_stale(&ax); /* a read after the batch began */
    answer(&ax, &req, PL_SP_TCP, out, sizeof(out), &fl);
    CHECK(strtoll(strstr(out, "\"price\":") + 8, NULL, 10) == before + 10,
          "after a read, a new snapshot: %s", out);
    CHECK_INT(stats.v[PL_ST_SNAPSHOTS], 2);
    answer_idle(&ax);
    answer_batch_begin(&ax, NOW);
    answer(&ax, &req, PL_SP_TCP, out, sizeof(out), &fl);
    CHECK_INT(stats.v[PL_ST_SNAPSHOTS], 3);
    CHECK_INT(stats.v[PL_ST_GENERATION], pl_resolver_gen(r));
}

int main(void)
{
    char dir[] = "/tmp/pl-test-snapshot-XXXXXX";
    cat = catfix_open(dir, 480, 1);
    pl_resolver_t *r;
    pl_memo_t *memo;
    CHECK_INT(pl_resolver_new(cat, NULL, &r), 0);
    CHECK_INT(pl_memo_new(1 << 20, &memo), 0);

    rule_through_resolve(r);
    printf("pl_resolve: held, stale, released\n");
    rule_through_json(r, NULL);
    rule_through_json(r, memo);
    printf("pl_lookup_json, with and without the memo\n");
    rule_through_answer(r);
    printf("answer context: one snapshot per batch, a new one after a read\n");

    pl_memo_free(memo);
    pl_resolver_free(r);
    catfix_close(cat, dir);
    return pl_test_done("test_snapshot");
}
