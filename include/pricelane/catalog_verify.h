/* Catalogue invariants, checked over raw LMDB records.
 *
 * The catalogue keeps several facts twice so that lookups stay a few
 * mdb_get calls: barcodes ↔ itemcodes, promos' item lists ↔ promoitems,
 * pending jobs ↔ ljobitem, meta's generation ↔ the batch ledger. Every
 * writer keeps both sides in one transaction; pl_cat_verify checks that they
 * agree, that everything a record names exists, and that every record
 * decodes.
 */
#pragma once
#include <stdint.h>

#include "pricelane/catalog.h"

typedef struct pl_verify_counts {
    uint64_t records;    /* records read, all databases */
    uint64_t violations; /* problems reported */
} pl_verify_counts_t;

/* Reports one violation: `db` is the database where it was found ("items",
 * "barcodes"...), `msg` a one-line description naming the keys involved.
 * Both strings are valid during the call only. */
typedef void (*pl_verify_fn)(const char *db, const char *msg, void *arg);

/* Checks, inside txn (a read transaction is enough):
 *  - meta: every key present and decodable; next_job > every job id;
 *    gen == the highest generation in the batch ledger and last_batch ==
 *    that batch's id (when the ledger is not empty); no two ledger records
 *    share a generation;
 *  - every record of every database decodes (no PL_ECORRUPT/PL_EVERSION);
 *  - items: pack quantity >= 1; a scale code (plu) is a barcode key "P"+plu
 *    of the item;
 *  - barcodes: the item exists and lists the barcode in itemcodes; every
 *    itemcodes entry is in barcodes pointing back (so no barcode is on two
 *    items);
 *  - stores: a zone referenced by a price, promotion, label or job has at
 *    least one store; a store referenced exists;
 *  - prices: the item exists; the level is valid; base rows have scope "";
 *  - promotions: valid kind and window; every item exists and has a
 *    promoitems entry; every promoitems entry names a promotion listing it;
 *  - recalls: the item exists; a recall under one barcode names a barcode
 *    of the item; the window does not end before it starts; a lot range is
 *    a range; recallitems holds exactly (item → recall) of every recall;
 *  - expiry markdown rules: each decodes; its items, zones and stores exist;
 *  - labels and label jobs: the item exists (pending jobs: and is not
 *    discontinued); valid state; ljobitem holds exactly the pending jobs;
 *  - item records, while current (meta "recs" is the state): every item
 *    whose rows read has one, every record is an item's, and each equals
 *    the record its rows give at the record's instant (db "itemrecs").
 * Calls fn for each violation. Returns 0 when the walk completed (see
 * counts->violations), or a negative code when the catalogue could not be
 * read. */
int pl_cat_verify(pl_txn_t *txn, pl_verify_fn fn, void *arg, pl_verify_counts_t *counts);
