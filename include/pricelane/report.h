/* pricelane/report.h: the lane's exception log.
 *
 * A report is a disagreement settled at the lane: the customer saw another
 * price on the shelf, a barcode would not scan and the item code was keyed,
 * the name on the screen was not the product in hand. The lane sends it to
 * pricelaned with the code, the store, the lane, the cashier, the kind, the
 * shelf price the customer saw (kind "price") and an id of its own choosing;
 * pricelaned answers what to charge, the difference to refund and the
 * provisional cause, and acknowledges only once the report is on disk.
 *
 * Reports live in their own LMDB environment, the report store (never in the
 * catalogue: the catalogue has one writer, the loader, and lookups never wait
 * for a report). pricelaned's report writer thread is its only writer and
 * commits reports in groups; `pricelane-load report` reads it the next
 * morning and settles each report's cause with what is known by then.
 *
 * Keyed lookups of items that have barcodes are counted in the same store
 * per local day, store and item: a keyed code for such an item is a barcode
 * that did not scan, whether or not the lane reports it.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/catalog.h"

#define PL_REPORT_ID_MAX 63 /* the lane's report id: bytes of [A-Za-z0-9_.:-] */
#define PL_LANE_MAX 15
#define PL_CASHIER_MAX 31

typedef enum pl_report_kind {
    PL_REPORT_PRICE = 0,   /* the shelf (label or promotion sign) showed another price */
    PL_REPORT_NO_SCAN = 1, /* the barcode would not scan: the code was keyed */
    PL_REPORT_NAME = 2,    /* name, pack or barcode do not match the item in hand */
    PL_REPORT_OTHER = 3,
} pl_report_kind_t;

/* A report's cause and, through pl_report_cause_dept, who must act. */
typedef enum pl_report_cause {
    PL_CAUSE_UNKNOWN = 0,           /* nothing the catalogue shows explains it */
    PL_CAUSE_SYSTEM_PRICE = 1,      /* the price was wrong: a later batch corrected it */
    PL_CAUSE_PROMO_SIGN = 2,        /* the shelf price is a promotion not in force there */
    PL_CAUSE_LABEL_NOT_PRINTED = 3, /* a reprint was due before the scan, not printed */
    PL_CAUSE_LABEL_NOT_PLACED = 4,  /* printed, not on the shelf by the scan */
    PL_CAUSE_NO_SCAN = 5,           /* the barcode would not scan */
    PL_CAUSE_ITEM_DATA = 6,         /* name / pack / swapped barcodes */
} pl_report_cause_t;
#define PL_CAUSE_COUNT 7

/* Names as they appear on the wire, in reports and in /metrics ("price",
 * "no_scan", "name", "other"; "unknown", "system_price", "promo_sign",
 * "label_not_printed", "label_not_placed", "no_scan", "item_data"). parse:
 * the kind of a name (case-insensitive), or -1. */
const char *pl_report_kind_name(int kind);
int pl_report_kind_parse(const char *s, size_t len);
const char *pl_report_cause_name(int cause);
/* The department that must act on a cause, as the cashier manuals assign
 * it (e.g. "merchandising data", "store planning", "data entry", "store
 * customer service", "store management"). */
const char *pl_report_cause_dept(int cause);

typedef struct pl_report {
    char id[PL_REPORT_ID_MAX + 1];
    char store[PL_SCOPE_MAX + 1];
    char lane[PL_LANE_MAX + 1];
    char cashier[PL_CASHIER_MAX + 1];
    char code[PL_CODE_ECHO_MAX + 1]; /* as the lane sent it */
    char sku[PL_ITEM_CODE_MAX + 1];  /* the item the code resolved to; "" unknown */
    uint8_t kind;                    /* pl_report_kind_t */
    uint8_t cause;                   /* pl_report_cause_t: provisional, at `at` */
    uint8_t keyed;                   /* the code was a keyed item code */
    int64_t at;                      /* when pricelaned recorded it */
    int64_t shelf_price;  /* kind price: what the customer saw; else PL_PRICE_NONE */
    int64_t system_price; /* what the catalogue charged at `at`; PL_PRICE_NONE unknown */
    int64_t charge;       /* what the lane was told to charge */
    int64_t refund;       /* difference refunded to the customer (>= 0) */
    uint64_t gen;         /* catalogue generation the answer was built from */
} pl_report_t;

/* ---- the cause ------------------------------------------------------------- */

/* The cause of report r, from the catalogue as read by txn, taking into
 * account what was committed up to known_until: r->at gives the provisional
 * cause the lane is told; a later instant (the next morning) gives the final
 * one (a correction batch after the scan reassigns a label cause to the
 * price data). One rule for both: the server and `pricelane-load report`
 * call this function. */
pl_report_cause_t pl_report_cause(pl_txn_t *txn, const pl_report_t *r, int64_t known_until);

/* ---- the report store ------------------------------------------------------- */

typedef struct pl_reports pl_reports_t;

/* pl_reports_open's modes: how a writer's commit reaches the disk.
 *   PL_REPORTS_WRITE: pl_reports_put's commit is durable when it returns
 *     (two disk flushes: the pages, then the commit record).
 *   PL_REPORTS_WRITE_COVERED: pl_reports_put writes and flushes the pages
 *     and writes the commit record without a flush of its own; the commit
 *     is durable once a later pl_reports_put or pl_reports_sync returns 0
 *     (the next flush covers it: one flush a commit under load). Until
 *     then a crash or power loss may undo it, never corrupt the store; a
 *     caller holds the acknowledgements of a commit until then. */
#define PL_REPORTS_READ 0
#define PL_REPORTS_WRITE 1
#define PL_REPORTS_WRITE_COVERED 2

/* Opens (a write mode: creates) the report store in directory dir; write
 * is one of the modes above. 0, PL_ENOTFOUND (read-only and no store
 * there), or an error; err says what and where. */
int pl_reports_open(const char *dir, int write, pl_reports_t **out, char *err, size_t errlen);
/* Makes every commit so far durable (PL_REPORTS_WRITE_COVERED: one flush
 * when a commit waits for one; otherwise nothing to do). 0 or an error. */
int pl_reports_sync(pl_reports_t *rs);
/* 1 when a commit waits for a flush (pl_reports_sync would flush), else 0. */
int pl_reports_pending(const pl_reports_t *rs);
/* Keeps the store's file ahead of its use (a write mode): whenever less
 * than half of `step` bytes lies past the pages in use, the writer extends
 * the file by written zeros to `step` bytes past them (never beyond the
 * map), under the store's write lock and flushed. A commit then overwrites
 * blocks the file already owns, and its flush needs no file-system journal
 * commit or inode write. step 0 (the default): the file grows with each
 * commit that needs new pages. A file that cannot grow (a full disk) stops
 * the extension for this handle; commits go on as without it. The store never shrinks the file;
 * LMDB reads no byte past its pages in use. */
void pl_reports_set_extend(pl_reports_t *rs, size_t step);
/* Syncs a commit that waits for one (pl_reports_sync), then closes. */
void pl_reports_close(pl_reports_t *rs);

/* The outcome of one report of a group. */
typedef enum pl_report_put {
    PL_REPORT_NEW = 0,      /* recorded */
    PL_REPORT_SAME = 1,     /* the same (store, lane, id) with the same content: nothing written */
    PL_REPORT_CONFLICT = 2, /* the same (store, lane, id) with other content: refused */
} pl_report_put_t;

/* Records n reports and adds the keyed counts in ONE transaction, made
 * durable before it returns (group commit; PL_REPORTS_WRITE_COVERED: see
 * there: when it returns 0, every earlier commit is durable, this one at
 * the next put or pl_reports_sync). out[i] is the outcome of
 * reports[i]; for PL_REPORT_SAME and PL_REPORT_CONFLICT, reports[i] is
 * replaced by the stored report, so a retry gets the first reply again.
 * 0, or an error with nothing written. */
typedef struct pl_keyed_count {
    int64_t at; /* instant of the keyed lookup (its local day counts) */
    char store[PL_SCOPE_MAX + 1];
    char sku[PL_ITEM_CODE_MAX + 1];
    uint64_t n;
} pl_keyed_count_t;
int pl_reports_put(pl_reports_t *rs, pl_report_t *reports, size_t n, pl_report_put_t *out,
                   const pl_keyed_count_t *keyed, size_t nkeyed, int utc_offset_min);

/* Reports recorded in [from, to), in (store, at) order; store NULL: all
 * stores. A callback's non-zero return stops the walk and is returned. */
int pl_reports_each(pl_reports_t *rs, int64_t from, int64_t to, const char *store,
                    int (*fn)(const pl_report_t *r, void *arg), void *arg);
/* Keyed counts of one local day (days since 1970-01-01 in the catalogue's
 * offset), store NULL: all stores, in (store, sku) order. The counts passed
 * to fn carry at = day * 86400 (the day, not the instant of a lookup). */
int pl_reports_keyed_each(pl_reports_t *rs, int64_t day, const char *store,
                          int (*fn)(const pl_keyed_count_t *k, void *arg), void *arg);
