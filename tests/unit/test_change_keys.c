/* The change log's key set (core/catalog_change.c) when every key's hash
 * collides: this file compiles core/catalog_change.c itself with a hash
 * that gives every key the same value, as keys an attacker searched for
 * would. A batch's rows can be chosen, and a key taken for another whose
 * hash it shares would leave its item out of the generation's record: the
 * caches would keep a price the batch changed. So:
 *
 *  - a batch touching 300 items and their barcodes lists every one of them,
 *    each once;
 *  - a batch touching the same items several times over lists each once;
 *  - a lookup memoized before a batch that changes one of those colliding
 *    items is not answered from the memo after it. */
#include <stdlib.h>
#include <string.h>

#define CHANGE_KEY_HASH(p, n, seed) ((void)(p), (void)(n), (void)(seed), 0x5eedull)
#include "catalog_change.c"

#include "catfix.h"
#include "check.h"
#include "pricelane/memo.h"
#include "pricelane/resolve.h"

#define NOW 1790000000LL
#define NITEMS 300

/* Counts of each item's key in a record: seen[i] for SKU i, bseen[i] for
 * its barcode; other counts keys that are neither. */
typedef struct tally {
    int seen[NITEMS], bseen[NITEMS], other;
} tally_t;

static void code_of(int i, char *out, size_t cap)
{
    /* a GTIN-13 with its check digit: 690 + 9 digits + check (0 <= i < NITEMS) */
    char d[24];
    snprintf(d, sizeof(d), "690%09u", (unsigned)i % 1000000000u);
    int sum = 0;
    for (int k = 0; k < 12; k++)
        sum += (d[k] - '0') * (k % 2 ? 3 : 1);
    snprintf(out, cap, "%s%d", d, (10 - sum % 10) % 10);
}

static int count_key(const char *key, size_t len, void *arg)
{
    tally_t *t = arg;
    char k[300];
    CHECK(len < sizeof(k), "key length");
    memcpy(k, key, len);
    k[len] = 0;
    int i;
    char rest;
    if (k[0] == 's' && sscanf(k + 1, "I%d%c", &i, &rest) == 1 && i >= 0 && i < NITEMS)
        t->seen[i]++;
    else if (k[0] == 'b' && strstr(k + 1, "690") &&
             sscanf(strstr(k + 1, "690") + 3, "%9d", &i) == 1 && i >= 0 && i < NITEMS)
        t->bseen[i]++;
    else
        t->other++;
    return 0;
}

static tally_t record_of(pl_cat_t *cat, uint64_t gen, pl_change_t *c)
{
    tally_t t;
    memset(&t, 0, sizeof(t));
    pl_txn_t *txn;
    CHECK_INT(pl_txn_begin(cat, 0, &txn), 0);
    CHECK_INT(pl_change_get(txn, gen, c, count_key, &t), 0);
    pl_txn_abort(txn);
    return t;
}

int main(void)
{
    char dir[] = "/tmp/pl-test-change-keys-XXXXXX";
    pl_cat_t *cat = catfix_open(dir, 0, 1);
    pl_txn_t *txn;
    char sku[16], code[32];
    uint64_t gen;

    printf("checking a batch of colliding keys lists every key once\n");
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    for (int i = 0; i < NITEMS; i++) {
        snprintf(sku, sizeof(sku), "I%d", i);
        code_of(i, code, sizeof(code));
        char gtin14[40];
        snprintf(gtin14, sizeof(gtin14), "0%s", code); /* the barcode's key */
        catfix_item(txn, sku, NULL, "each", 0, NULL);
        catfix_barcode(txn, gtin14, sku);
        catfix_price(txn, sku, PL_LEVEL_BASE, "", NOW - 1000, 100 + i, 0, "b1");
    }
    CHECK_INT(pl_meta_bump(txn, "b1", &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    pl_change_t c;
    tally_t t = record_of(cat, gen, &c);
    CHECK(!c.wide, "the record lists its keys");
    int once = 1, bonce = 1;
    for (int i = 0; i < NITEMS; i++) {
        once &= t.seen[i] == 1;
        bonce &= t.bseen[i] == 1;
    }
    CHECK(once, "every item's key listed exactly once");
    CHECK(bonce, "every barcode's key listed exactly once");
    CHECK_INT(t.other, 0);
    CHECK_INT((long long)c.nkeys, 2 * NITEMS);

    printf("checking the same keys touched over and over are listed once\n");
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < NITEMS; i += 3) {
            snprintf(sku, sizeof(sku), "I%d", i);
            catfix_price(txn, sku, PL_LEVEL_BASE, "", NOW - 900 + round, 200 + i, 0, "b2");
        }
    CHECK_INT(pl_meta_bump(txn, "b2", &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    t = record_of(cat, gen, &c);
    int right = 1;
    for (int i = 0; i < NITEMS; i++)
        right &= t.seen[i] == (i % 3 == 0);
    CHECK(right, "each item touched listed once, no other");
    CHECK_INT((long long)c.nkeys, NITEMS / 3);

    printf("checking a memoized answer does not outlive a batch that changed its item\n");
    pl_resolver_t *r;
    pl_memo_t *memo;
    CHECK_INT(pl_resolver_new(cat, NULL, &r), 0);
    CHECK_INT(pl_memo_new(1 << 20, &memo), 0);
    char out[4096];
    size_t len;
    pl_status_t st;
    code_of(7, code, sizeof(code));
    for (int k = 0; k < 2; k++) { /* the second one a memo hit */
        pl_resolver_stale(r);
        const char *j =
            pl_lookup_json(r, memo, NULL, code, strlen(code), NOW, 0, out, sizeof(out), &len, &st);
        CHECK(j && memmem(j, len, "\"price\":107,", 12), "item 7's price before");
    }
    /* one batch: items 5..9, item 7 among keys of the same hash */
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    for (int i = 5; i < 10; i++) {
        snprintf(sku, sizeof(sku), "I%d", i);
        catfix_price(txn, sku, PL_LEVEL_BASE, "", NOW - 800, 500 + i, 0, "b3");
    }
    CHECK_INT(pl_meta_bump(txn, "b3", &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    pl_resolver_stale(r);
    const char *j =
        pl_lookup_json(r, memo, NULL, code, strlen(code), NOW, 0, out, sizeof(out), &len, &st);
    CHECK(j && memmem(j, len, "\"price\":507,", 12), "item 7's new price after the batch");

    pl_memo_free(memo);
    pl_resolver_free(r);
    catfix_close(cat, dir);
    return pl_test_done("test_change_keys");
}
