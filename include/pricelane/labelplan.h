/* labelplan: what the shelf label of one item in one label scope must show
 * now, and at each later instant where the price everyone pays changes (a
 * scheduled price, a promotion's start or end).
 *
 * A plan is computed from the same item view and the same evaluation as a
 * lookup's answer (as a non-member: a member price never changes what a
 * shelf label shows), so a label and the price a lane charges never
 * disagree. The loader's label reconciliation (loader/labelgen.c) compares
 * plans with the label records and pending jobs and writes the difference.
 *
 * A plan is a copy: nothing in it points into the transaction or the map, so
 * it stays valid after the transaction ends. No state is kept between calls;
 * any thread may build plans, each on a transaction it may use (see
 * catalog.h).
 */
#pragma once
#include <stdint.h>

#include "pricelane/catalog.h"

/* The limits of one item's view, which lookups share: the price rows in
 * force within the last 7 days or later, and the promotions not over by
 * then, of the scope's zone and stores. An item past them is PL_ETOOBIG. */
#define PL_LABELPLAN_PRICES 512
#define PL_LABELPLAN_PROMOS 64

#define PL_LABELPLAN_STEPS 64 /* steps a plan keeps; later changes are left out */

typedef struct pl_labelplan_step {
    int64_t due;   /* the plan's `now` for a price in force then; else the change's instant */
    int64_t price; /* what is charged from `due` on (minor units) */
    char promo_id[PL_PROMO_ID_MAX + 1]; /* the promotion that sets it, or "" */
    int64_t promo_ends;                 /* that promotion's end, or PL_TIME_NONE */
    /* "price" for a step at `now`; after it "promo_start" (a promotion sets
     * the price), "promo_end" (the step before had one) or "scheduled". A
     * static string. */
    const char *reason;
} pl_labelplan_step_t;

typedef struct pl_labelplan {
    pl_item_t item;
    char gtin[15]; /* the item's first 14-digit barcode in key order, or "" */
    /* steps[0] is the price in force at `now` (or, when none is, the first
     * later one); every further step is an instant after `now` where the
     * price differs from the step before, in time order. 0 steps: the item
     * has no price now nor later in this scope. */
    int nsteps;
    pl_labelplan_step_t steps[PL_LABELPLAN_STEPS];
} pl_labelplan_t;

/* Row hooks: called with every row of the item that the plan reads, before
 * the rows are filtered for the scope, so that one pass over an item also
 * serves a caller that needs its rows (which scopes can show the item, its
 * pending jobs). Any hook may be NULL. A row is valid during its call only.
 * A hook may read through the same transaction; it must not write. */
typedef struct pl_labelplan_rows {
    void (*price)(void *arg, const pl_price_t *p);   /* every price row */
    void (*promo)(void *arg, const pl_promo_t *pr);  /* every promotion naming the item */
    void (*label)(void *arg, const pl_label_t *lb);  /* every label record */
    void (*job)(void *arg, const pl_label_job_t *j); /* every pending label job */
    void *arg;
    int no_labels; /* read no label records nor jobs: the caller knows there are none */
} pl_labelplan_rows_t;

/* Plans the label of item `sku` at instant `now` in one label scope:
 * level PL_LEVEL_ZONE with scope = a zone id, PL_LEVEL_STORE with scope = a
 * store id (its zone is read from the stores; an unknown store is in no
 * zone), any other level the chain (scope not used). rows may be NULL.
 *
 * Returns 0 with *plan filled; PL_ENOTFOUND when there is no such item;
 * PL_ETOOBIG when the item has more rows that matter in this scope than one
 * view holds (PL_LABELPLAN_PRICES price rows, PL_LABELPLAN_PROMOS
 * promotions, 8 scopes with labels or jobs, 4 stores of one promotion in
 * the zone) — every row hook has still been called, plan->item and
 * plan->gtin are filled and plan->nsteps is 0; PL_ECORRUPT (a record that
 * does not decode, or a price, percentage or instant no catalogue can
 * hold); -ENOMEM; or another catalogue error (catalog.h). On any other
 * error *plan is unspecified. Writes nothing. */
int pl_labelplan_build(pl_txn_t *txn, const char *sku, int level, const char *scope, int64_t now,
                       const pl_labelplan_rows_t *rows, pl_labelplan_t *plan);
