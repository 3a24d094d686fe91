/* Private to the catalogue's invariant checks (catalog_verify*.c): the state
 * of one walk and what the checks share.
 *
 *   catalog_verify.c         the walk (pl_cat_verify), meta, stores, and the
 *                            shared helpers below
 *   catalog_verify_item.c    items, barcodes and the item → barcodes index
 *   catalog_verify_price.c   price rows, promotions and the item → promotions index
 *   catalog_verify_gs1.c     recalls, the item → recalls index, expiry markdown
 *                            and best-before rules
 *   catalog_verify_label.c   labels, label jobs and the pending-job index
 *   catalog_verify_ledger.c  the batch ledger against meta, the change log
 *   catalog_verify_rec.c     item records against their rows
 *
 * pl_cat_verify loads the stores first (every other check may name a zone or
 * a store), then calls each part in the order of this list. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "catalog_int.h"
#include "pricelane/catalog_verify.h"

typedef struct verify {
    pl_txn_t *t;
    pl_verify_fn fn;
    void *arg;
    pl_verify_counts_t *c;
    /* zones that have stores, sorted; store ids, sorted */
    char (*zones)[PL_SCOPE_MAX + 1];
    size_t nzones;
    char (*stores)[PL_SCOPE_MAX + 1];
    size_t nstores;
    uint64_t max_job;
    char price_sku[PL_ITEM_CODE_MAX + 1]; /* prices: the item whose rows were checked last */
    const char *db;                       /* database being walked, for reports */
} verify_t;

/* ---- shared by the parts (catalog_verify.c) -------------------------------- */

/* Reports one violation in the database being walked (v->db). */
void verify_report(verify_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A key or value as text: printable ASCII and UTF-8 as is, other bytes \xNN,
 * at most 60 bytes of it. Returns out. */
const char *verify_show(const void *p, size_t n, char *out, size_t cap);
/* Copies a key into a C string of at most max bytes; 0 when it does not fit
 * or holds a NUL. */
int verify_key_str(const MDB_val *k, char *out, size_t max);
/* A key that must be an id of at most max bytes, copied into out: 1, or 0
 * after reporting "KIND key "..." is not NOUN" (KIND "" leaves it out). */
int verify_key_id(verify_t *v, const MDB_val *k, char *out, size_t max, const char *kind,
                  const char *noun);
/* An entry of an index from items (itemcodes, promoitems, recallitems):
 * the key a SKU into sku[PL_ITEM_CODE_MAX + 1], the value an id of at most
 * max bytes into id. 1, or 0 after reporting "entry ... is not SKU → NOUN". */
int verify_index_entry(verify_t *v, const MDB_val *k, const MDB_val *val, char *sku, char *id,
                       size_t max, const char *noun);
/* What a getter's code rc says of the record of KIND and ID being checked:
 * 1 it decoded, 0 it does not (reported: "KIND ID: record does not decode
 * (why)"; the walk goes on), or rc, another error. */
int verify_decoded(verify_t *v, int rc, const char *kind, const char *id);
/* Calls fn on every entry of db (every duplicate of dupsort databases),
 * counting records; reports name the database `name`. 0 or the first error. */
int verify_walk(verify_t *v, int db, const char *name,
                int (*fn)(verify_t *v, const MDB_val *k, const MDB_val *val));
/* Is (k, val) in dupsort database db? 1, 0, or a negative code. */
int verify_has_pair(verify_t *v, int db, const void *k, size_t klen, const void *val, size_t vlen);
/* Is id in the sorted set[0..n)? */
int verify_in_set(char (*set)[PL_SCOPE_MAX + 1], size_t n, const char *id);
/* An item that must exist: 1 (it.flags filled), 0 (reported), < 0 error. */
int verify_need_item(verify_t *v, const char *sku, pl_item_t *it, const char *what);
/* A label or price scope at a level: "" (chain), a zone, or a store. */
void verify_need_scope(verify_t *v, int level, const char *scope, const char *what);

/* ---- the parts: each returns 0 when its walks completed, or an error ------- */

int verify_items(verify_t *v);                     /* items, barcodes, itemcodes */
int verify_prices(verify_t *v);                    /* prices, promos, promoitems */
int verify_gs1(verify_t *v);                       /* recalls, recallitems, xmarkdowns */
int verify_labels(verify_t *v, uint64_t next_job); /* labels, ljobs, ljobitem, next_job */
int verify_ledger(verify_t *v);                    /* batches against meta, changes */
