/* Fixtures for unit tests that write a catalogue through the catalogue API
 * (pricelane/catalog.h): a catalogue in a new temporary directory, and the
 * rows tests put in it. Each helper checks every catalogue call it makes
 * with CHECK_INT (check.h), one check per call, and takes the write
 * transaction explicitly. Fields a helper does not name stay zero. */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/resolve.h"

/* Makes the directory of template dir ("/tmp/pl-test-NAME-XXXXXX",
 * rewritten in place), creates a catalogue there (currency CNY, UTC offset
 * utc_offset_min) and opens it, with MDB_NOTLS when no_tls. Three checks. */
static inline pl_cat_t *catfix_open(char *dir, int utc_offset_min, int no_tls)
{
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK_INT(pl_cat_init(dir, "CNY", utc_offset_min), 0);
    pl_cat_t *cat = NULL;
    pl_cat_opts_t opts = {0};
    opts.no_tls = no_tls;
    CHECK_INT(pl_cat_open(dir, &opts, &cat), 0);
    return cat;
}

/* Closes cat and removes dir. One check. */
static inline void catfix_close(pl_cat_t *cat, const char *dir)
{
    pl_cat_close(cat);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
}

/* Barcode (or any lookup key) code for sku. One check. */
static inline void catfix_barcode(pl_txn_t *txn, const char *code, const char *sku)
{
    CHECK_INT(pl_cat_barcode_add(txn, code, sku, NULL), 0);
}

/* Item sku, one a pack; name NULL is "item SKU". With a scale item code
 * plu (NULL: none) also its key "P<plu>". One check, two with plu. */
static inline void catfix_item(pl_txn_t *txn, const char *sku, const char *name, const char *unit,
                               uint32_t flags, const char *plu)
{
    pl_item_t it = {0};
    snprintf(it.sku, sizeof(it.sku), "%s", sku);
    if (name)
        snprintf(it.name, sizeof(it.name), "%s", name);
    else
        snprintf(it.name, sizeof(it.name), "item %s", sku);
    snprintf(it.unit, sizeof(it.unit), "%s", unit);
    it.pack_qty = 1;
    it.flags = flags;
    snprintf(it.plu, sizeof(it.plu), "%s", plu ? plu : "");
    CHECK_INT(pl_item_put(txn, &it), 0);
    if (plu) {
        char key[16];
        snprintf(key, sizeof(key), "P%s", plu);
        catfix_barcode(txn, key, sku);
    }
}

/* Price p of sku at level (scope: "" for the base level, else the zone or
 * store) in force from start, written by batch. One check. */
static inline void catfix_price(pl_txn_t *txn, const char *sku, int level, const char *scope,
                                int64_t start, int64_t p, int scheduled, const char *batch)
{
    pl_price_t pr = {0};
    snprintf(pr.sku, sizeof(pr.sku), "%s", sku);
    pr.level = (uint8_t)level;
    snprintf(pr.scope, sizeof(pr.scope), "%s", scope);
    pr.start = start;
    pr.price = p;
    pr.scheduled = (uint8_t)scheduled;
    snprintf(pr.batch, sizeof(pr.batch), "%s", batch);
    CHECK_INT(pl_price_put(txn, &pr), 0);
}

/* Promotion id of kind (members only for PL_PROMO_MEMBER) on the one item
 * sku over [start, end): price p or pct_bp basis points off, priority prio,
 * for scope_kind with the one zone or store scope (NULL: none), cut at
 * `cancelled` (PL_TIME_NONE: never). One check. */
static inline void catfix_promo_cut(pl_txn_t *txn, const char *id, int kind, const char *sku,
                                    int64_t start, int64_t end, int64_t p, int pct_bp, int prio,
                                    int scope_kind, const char *scope, int64_t cancelled)
{
    pl_promo_t pr = {0};
    snprintf(pr.id, sizeof(pr.id), "%s", id);
    pr.kind = (uint8_t)kind;
    pr.member_only = kind == PL_PROMO_MEMBER;
    pr.priority = prio;
    pr.start = start;
    pr.end = end;
    pr.price = p;
    pr.pct_off_bp = pct_bp;
    pr.scope_kind = (uint8_t)scope_kind;
    if (scope) {
        pr.nscope = 1;
        snprintf(pr.scope[0], sizeof(pr.scope[0]), "%s", scope);
    }
    pr.cancelled_at = cancelled;
    const char *skus[1] = {sku};
    CHECK_INT(pl_promo_put(txn, &pr, skus, 1), 0);
}

/* catfix_promo_cut, never cancelled. */
static inline void catfix_promo_rule(pl_txn_t *txn, const char *id, int kind, const char *sku,
                                     int64_t start, int64_t end, int64_t p, int pct_bp, int prio,
                                     int scope_kind, const char *scope)
{
    catfix_promo_cut(txn, id, kind, sku, start, end, p, pct_bp, prio, scope_kind, scope,
                     PL_TIME_NONE);
}

/* A promotion at price p for every store, priority 0. One check. */
static inline void catfix_promo(pl_txn_t *txn, const char *id, int kind, const char *sku,
                                int64_t start, int64_t end, int64_t p)
{
    catfix_promo_rule(txn, id, kind, sku, start, end, p, 0, 0, PL_SCOPE_ALL, NULL);
}

/* A pending label reprint of sku at level and scope ("" for the base
 * level): price p, due at due. One check. */
static inline void catfix_job(pl_txn_t *txn, const char *sku, int level, const char *scope,
                              int64_t p, int64_t due)
{
    pl_label_job_t job = {0};
    snprintf(job.sku, sizeof(job.sku), "%s", sku);
    snprintf(job.scope, sizeof(job.scope), "%s", scope);
    job.level = (uint8_t)level;
    job.price = p;
    job.due = due;
    CHECK_INT(pl_job_add(txn, &job), 0);
}
