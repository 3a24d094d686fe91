/* Batch rows: the columns a batch may have, the dispatch of each row to its
 * operation (ops.h lists the files that hold them), the batch and reason
 * columns every row may carry, and the items whose shelf labels the batch
 * must reconcile. */
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "pricelane/err.h"
#include "pricelane/str.h"

const char *const batch_columns[] = {
    "op",      "batch",  "sku",     "barcode",  "name",   "unit",   "pack_qty", "dept",
    "flags",   "plu",    "content", "price",    "zone",   "store",  "start",    "end",
    "promo",   "kind",   "pct_off", "priority", "member", "scope",  "items",    "text",
    "formats", "recall", "lot",     "lot_to",   "days",   "reason",
};
const int batch_ncolumns = (int)(sizeof(batch_columns) / sizeof(batch_columns[0]));

void batch_touch(batch_t *b, const char *sku, int text_changed)
{
    if (b->naff == b->capaff) {
        size_t cap = b->capaff ? b->capaff * 2 : 256;
        struct affected *n = realloc(b->aff, cap * sizeof(*n));
        if (!n) {
            b->aff_lost = 1; /* labels_reconcile fails the batch: no label work is skipped */
            return;
        }
        b->aff = n;
        b->capaff = cap;
    }
    struct affected *a = &b->aff[b->naff++];
    pl_str_copy(a->sku, sizeof(a->sku), sku);
    a->text_changed = (uint8_t)text_changed;
}

/* ---- dispatch -------------------------------------------------------------- */

static const struct op {
    const char *name;
    int (*fn)(batch_t *b, const pl_row_t *row);
} ops[] = {
    {"store", op_store},
    {"item", op_item},
    {"discontinue", op_discontinue},
    {"barcode", op_barcode},
    {"barcode_remove", op_barcode_remove},
    {"barcode_move", op_barcode_move},
    {"price", op_price},
    {"promo", op_promo},
    {"promo_cancel", op_promo_cancel},
    {"recall", op_recall},
    {"recall_lift", op_recall_lift},
    {"expiry_markdown", op_expiry_markdown},
    {"best_before", op_best_before},
};

/* The batch's reason (the reason column, "correction"...): a word of
 * lowercase letters, digits, '_' or '-', the same on every row that gives
 * one. 0, or 1 after a diagnostic (the row is bad). */
static int batch_reason(batch_t *b, const pl_row_t *row)
{
    const char *v = pl_row_get(row, "reason");
    if (!v)
        return 0;
    size_t n = strlen(v);
    if (n > PL_BATCH_REASON_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n) {
        BAD(b, row, "reason",
            "\"%.40s\" is not a reason (a word of at most %d lowercase letters, digits, '_' or "
            "'-', as \"correction\")",
            v, PL_BATCH_REASON_MAX);
        b->bad++;
        return 1;
    }
    if (b->reason[0] && strcmp(b->reason, v) != 0) {
        BAD(b, row, "reason", "\"%s\" differs from the reason \"%s\" of earlier rows", v,
            b->reason);
        b->bad++;
        return 1;
    }
    memcpy(b->reason, v, n + 1);
    return 0;
}

int batch_row(batch_t *b, const pl_row_t *row)
{
    b->rows++;
    const char *id = pl_row_get(row, "batch");
    if (id) {
        if (strlen(id) > PL_BATCH_ID_MAX) {
            BAD(b, row, "batch", "longer than %d bytes", PL_BATCH_ID_MAX);
            b->bad++;
            return 0;
        }
        if (!b->id_from_column) {
            pl_str_copy(b->id, sizeof(b->id), id);
            b->id_from_column = 1;
        } else if (strcmp(b->id, id) != 0) {
            BAD(b, row, "batch", "\"%s\" differs from the batch id \"%s\" of earlier rows", id, b->id);
            b->bad++;
            return 0;
        }
    }
    if (batch_reason(b, row))
        return 0;
    const char *op = pl_row_get(row, "op");
    for (size_t i = 0; op && i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(op, ops[i].name) != 0)
            continue;
        int rc = ops[i].fn(b, row);
        if (rc == PL_EFORMAT) {
            b->bad++;
            return 0;
        }
        return rc;
    }
    BAD(b, row, "op", op ? "unknown operation \"%s\"" : "missing%s: every row needs an op",
        op ? op : "");
    b->bad++;
    return 0;
}
