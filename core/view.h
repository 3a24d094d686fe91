/* The item view: everything needed to answer for one item in one zone (or,
 * when the zone-wide view would not fit, one store) at any instant from its
 * build time on: the item, every price row and promotion that can matter for
 * "now", "previous price" and "lowest price of the last 7 days", the shelf
 * label prices and the earliest due instant of pending label jobs.
 *
 * A view is what the shared-memory cache holds (packed), keyed by code and
 * zone, tagged with the price generation. Evaluation against the clock
 * happens per request, after the cache. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/catalog.h"
#include "pricelane/resolve.h"

#define VIEW_PRICES 512 /* price rows that can matter from "now" on: a change every 20 minutes for 7 days */
#define VIEW_PROMOS 64
#define VIEW_PROMO_STORES 4
#define VIEW_LABELS 8
#define VIEW_JOBS 8
#define VIEW_WINDOW PL_HISTORY_WINDOW /* history kept for low_7d (item records prune by it too) */

typedef struct view_price {
    int64_t start;
    int64_t price;
    uint8_t level;
    uint8_t scheduled;
    char scope[PL_SCOPE_MAX + 1];
} view_price_t;

typedef struct view_promo {
    int64_t start, end; /* end already cut at the cancel instant */
    int64_t price;      /* PL_PRICE_NONE: pct_off_bp applies */
    int32_t pct_off_bp;
    int32_t priority;
    uint8_t kind, member_only;
    uint8_t nstores; /* 0: applies to every store of the view; else only these */
    char id[PL_PROMO_ID_MAX + 1];
    char stores[VIEW_PROMO_STORES][PL_SCOPE_MAX + 1];
} view_promo_t;

typedef struct view_label {
    char scope[PL_SCOPE_MAX + 1];
    int64_t price;   /* PL_PRICE_NONE when the scope has no label record */
    int64_t due;     /* earliest due instant of a pending job, or PL_TIME_NONE */
    /* The printed label is not yet on the shelf: from this instant (its
     * job's due) placing it is outstanding; PL_TIME_NONE when placed. */
    int64_t place_due;
} view_label_t;

/* Changes whenever view_t's layout does: a cache segment written by another
 * build of the server must never be read as this one's views. */
#define VIEW_FORMAT 0x50560003u

typedef struct view {
    uint32_t format; /* VIEW_FORMAT */
    uint64_t gen;
    int64_t built_at; /* the "now" it was built for: valid for now >= built_at */
    uint8_t per_store;
    uint16_t nprices, npromos, nlabels;
    char zone[PL_SCOPE_MAX + 1];
    char gtin[15]; /* primary barcode of the item */
    pl_item_t item;
    view_price_t prices[VIEW_PRICES];
    view_promo_t promos[VIEW_PROMOS];
    view_label_t labels[VIEW_LABELS];
} view_t;

/* Builds the view of `sku` for zone (and, when store is non-NULL, for that
 * store only) at instant now. zone_of(store) tells which zone a store is in
 * (NULL when unknown). Returns 0, PL_ENOTFOUND (no such item), PL_ETOOBIG (the
 * zone-wide view does not fit: build per store), PL_ECORRUPT (a price,
 * percentage or instant no catalogue can hold), or a catalogue error. */
int view_build(pl_txn_t *txn, const char *sku, const char *zone, const char *store, int64_t now,
               const char *(*zone_of)(void *arg, const char *store), void *arg, view_t *v);

/* view_build (zone-wide) for the item of barcode key `key`, from the
 * barcode's record (pl_code_rows). sku (PL_ITEM_CODE_MAX + 1 bytes)
 * receives the item's code when the record names it, else "". Returns what
 * view_build returns, or 1 when no record serves: then view_build the item
 * sku, or, when sku is "", look the barcode up first. */
int view_build_code(pl_txn_t *txn, const char *key, const char *zone, int64_t now,
                    const char *(*zone_of)(void *arg, const char *store), void *arg, view_t *v,
                    char *sku);

/* Called with every row view_build reads, before it filters them for the
 * zone and store: lets one pass over the item serve a caller that needs the
 * rows too (label reconciliation). Any hook may be NULL. */
typedef struct view_hooks {
    void (*price)(void *arg, const pl_price_t *p);
    void (*promo)(void *arg, const pl_promo_t *pr);
    void (*label)(void *arg, const pl_label_t *lb);
    void (*job)(void *arg, const pl_label_job_t *j);
    void *arg;
    int no_labels; /* the caller knows the item has no labels or jobs yet */
} view_hooks_t;

int view_build_hooked(pl_txn_t *txn, const char *sku, const char *zone, const char *store,
                      int64_t now, const char *(*zone_of)(void *arg, const char *store), void *arg,
                      const view_hooks_t *hooks, view_t *v);

/* Evaluates the view for store (in the view's zone) at now into the price
 * fields of ans (base_price, price, source, promo_id, promo_ends, label_price,
 * label_pending, label_step, prev_price, prev_changed_at, low_7d). Returns 0, or
 * PL_ENOTFOUND when no price is in force. */
int view_eval(const view_t *v, const char *store, int64_t now, int member, pl_answer_t *ans);

/* The first instant after now at which view_eval of this view may give
 * another result, for any store and member flag: a price row's start, a
 * promotion's start or end, the 7-day window's far edge passing one of those,
 * a pending label job falling due. INT64_MAX when nothing ever changes. */
int64_t view_next_change(const view_t *v, int64_t now);

/* Packs the used part of a view into buf[cap]; returns its length or 0 if it
 * does not fit. Unpack returns 0 or PL_ECORRUPT (wrong length or counts, or
 * values view_build would refuse). */
size_t view_pack(const view_t *v, void *buf, size_t cap);
int view_unpack(const void *buf, size_t len, view_t *v);

/* view_unpack of the len packed bytes at the start of v itself (where a
 * cache get can copy them straight away): the same checks and result, for a
 * len up to offsetof(view_t, promos) (20,760 bytes: any cache slot's value);
 * PL_ECORRUPT past it. */
int view_unpack_in_place(view_t *v, size_t len);
