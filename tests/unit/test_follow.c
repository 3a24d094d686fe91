/* A store follower's stream position in the catalogue (pl_follow_get /
 * pl_follow_put): absent until written, written and read back whole, gone
 * with an aborted transaction, bounded strings refused, a record that does
 * not decode reported, and the generation left alone. */
#include <string.h>

#include "catalog_int.h"
#include "catfix.h"
#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"

static uint64_t gen_of(pl_cat_t *cat)
{
    pl_txn_t *t;
    pl_meta_t m = {0};
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    CHECK_INT(pl_meta_get(t, &m), 0);
    pl_txn_abort(t);
    return m.gen;
}

int main(void)
{
    char dir[] = "/tmp/pl-test-follow-XXXXXX";
    pl_cat_t *cat = catfix_open(dir, 480, 0);
    pl_txn_t *t;
    pl_follow_t f, g;

    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    CHECK_INT(pl_follow_get(t, &g), PL_ENOTFOUND);
    CHECK_INT(pl_follow_put(t, &g), PL_EINVAL); /* a read transaction */
    pl_txn_abort(t);
    printf("ok   no position in a new catalogue; none written through a read transaction\n");

    memset(&f, 0, sizeof(f));
    snprintf(f.stream, sizeof(f.stream), "PRICELANE_north");
    f.created = 1764921600123456789LL;
    f.seq = 41;
    f.head = 45;
    f.stopped = 42;
    snprintf(f.batch, sizeof(f.batch), "b-42");
    snprintf(f.error, sizeof(f.error), "batch b-42: refused: 价格 unknown item");
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    CHECK_INT(pl_follow_put(t, &f), 0);
    pl_txn_abort(t);
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    CHECK_INT(pl_follow_get(t, &g), PL_ENOTFOUND);
    pl_txn_abort(t);
    printf("ok   a position written in an aborted transaction is not there\n");

    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    CHECK_INT(pl_follow_put(t, &f), 0);
    CHECK_INT(pl_txn_commit(t), 0);
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    CHECK_INT(pl_follow_get(t, &g), 0);
    pl_txn_abort(t);
    CHECK_STR(g.stream, f.stream);
    CHECK_INT(g.created, f.created);
    CHECK_INT(g.seq, 41);
    CHECK_INT(g.head, 45);
    CHECK_INT(g.stopped, 42);
    CHECK_STR(g.batch, "b-42");
    CHECK_STR(g.error, f.error);
    CHECK_INT(gen_of(cat), 0);
    printf("ok   every field read back; the generation unchanged (0)\n");

    pl_follow_t big = f;
    memset(big.stream, 'S', sizeof(big.stream) - 1);
    big.stream[sizeof(big.stream) - 1] = 0;
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    CHECK_INT(pl_follow_put(t, &big), 0); /* exactly PL_FOLLOW_STREAM_MAX bytes */
    memset(&big, 0, sizeof(big));
    memset(big.error, 'e', sizeof(big.error));
    CHECK_INT(pl_follow_put(t, &big), PL_EINVAL); /* not terminated within its field */
    pl_txn_abort(t);
    printf("ok   a stream name of %d bytes fits; an unterminated error text is refused\n",
           PL_FOLLOW_STREAM_MAX);

    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    CHECK_INT(cat_put(t, DB_META, "follow", 6, "\x01\x05", 2, 0), 0);
    CHECK_INT(pl_follow_get(t, &g), PL_ECORRUPT);
    CHECK_INT(cat_put(t, DB_META, "follow", 6, "\x02", 1, 0), 0);
    CHECK_INT(pl_follow_get(t, &g), PL_ECORRUPT);
    pl_txn_abort(t);
    printf("ok   a truncated record and one of an unknown version do not decode\n");

    catfix_close(cat, dir);
    return pl_test_done("test_follow");
}
