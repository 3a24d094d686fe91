/* verify: checks the catalogue's invariants and lists every violation. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "pricelane/catalog.h"
#include "pricelane/catalog_verify.h"
#include "pricelane/err.h"

static const char usage_text[] =
    "usage: pricelane-load verify --db DIR [--quiet]\n"
    "\n"
    "Checks the catalogue's invariants in one read snapshot and prints every\n"
    "violation as 'DATABASE: problem', one per line:\n"
    "  - every record of every database decodes;\n"
    "  - every barcode points at an existing item and is in that item's barcode\n"
    "    list, and every listed barcode points back (no barcode on two items);\n"
    "    a scale code (PLU) of an item is its barcode key P+PLU;\n"
    "  - every price row, promotion item, shelf label and label job names an\n"
    "    existing item; a pending label job's item is not discontinued;\n"
    "  - every promotion's items are indexed under the item (promoitems) and\n"
    "    every index entry names a promotion that lists the item;\n"
    "  - the pending-job index (ljobitem) holds exactly the pending jobs;\n"
    "  - the next job id is above every job id;\n"
    "  - the price generation is the highest generation in the batch ledger and\n"
    "    last_batch is that batch (no two batches share a generation);\n"
    "  - every zone named by a price, promotion, label or job has a store, every\n"
    "    store named exists, and no zone id is also a store id;\n"
    "  - every item with a shelf label has a price row (prune keeps the row in\n"
    "    force at its cutoff; no loader removes the last one);\n"
    "  - while the item records are current, every item has one, every record\n"
    "    is an item's, and each is byte for byte what the item's rows give\n"
    "    (itemrecs).\n"
    "A loader never commits a violation: each one means the catalogue was\n"
    "changed by other means (or a bug). verify only reads, and may run while\n"
    "loaders and servers run.\n"
    "\n"
    "  --db DIR   the catalogue\n"
    "  --quiet    print only the summary line\n"
    "\n"
    "Exit status: 0 no violation, 1 violations (or the catalogue could not be\n"
    "read), 2 usage.\n";

static void print_violation(const char *db, const char *msg, void *arg)
{
    if (!*(int *)arg)
        printf("%s: %s\n", db, msg);
}

int cmd_verify(int argc, char **argv)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'}, {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'}, {0}};
    const char *db = NULL;
    int quiet = 0, c;
    while ((c = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (!db || optind != argc) {
        fprintf(stderr, "pricelane-load verify: %s\n",
                !db ? "--db DIR is required" : "takes no arguments besides options");
        return 2;
    }
    pl_cat_t *cat = cmd_open_db(db, 1);
    if (!cat)
        return 1;
    pl_txn_t *txn;
    pl_verify_counts_t n = {0};
    int rc = pl_txn_begin(cat, 0, &txn);
    if (!rc) {
        rc = pl_cat_verify(txn, print_violation, &quiet, &n);
        pl_txn_abort(txn);
    }
    pl_cat_close(cat);
    if (rc) {
        fprintf(stderr, "pricelane-load verify: %s: %s (after %" PRIu64 " records)\n", db,
                pl_strerror(rc), n.records);
        return 1;
    }
    if (n.violations)
        printf("%s: %" PRIu64 " violation%s in %" PRIu64 " records\n", db, n.violations,
               n.violations == 1 ? "" : "s", n.records);
    else
        printf("%s: ok, %" PRIu64 " records, no violation\n", db, n.records);
    return n.violations ? 1 : 0;
}
