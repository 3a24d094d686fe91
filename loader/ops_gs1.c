/* Batch operations on what 2D codes are checked against: recalls of lots
 * (recall, recall_lift) and the rules by a pack's dates (expiry_markdown,
 * best_before). */
#include <string.h>

#include "ops.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/str.h"

/* ---- recalls --------------------------------------------------------------- */

int op_recall(batch_t *b, const pl_row_t *row)
{
    const char *id, *sku = pl_row_get(row, "sku"), *from, *to, *text_s;
    const char *bc = pl_row_get(row, "barcode");
    pl_recall_t r;
    pl_item_t it;
    memset(&r, 0, sizeof(r));
    int bad = ops_ident(b, row, "recall", 1, PL_RECALL_ID_MAX, &id) != 0;
    bad |= ops_lot(b, row, "lot", 1, &from) != 0;
    bad |= ops_lot(b, row, "lot_to", 0, &to) != 0;
    bad |= ops_text(b, row, "text", PL_RECALL_TEXT_MAX, &text_s) != 0;
    if (!bad && !text_s) {
        BAD(b, row, "text", "missing: a recall needs the text the cashier sees");
        bad = 1;
    }
    if (!bad && to && (strlen(to) != strlen(from) || strcmp(to, from) < 0)) {
        BAD(b, row, "lot_to",
            "\"%s\": a lot range ends at a lot of the same length as \"%s\", "
            "not before it",
            to, from);
        bad = 1;
    }
    bad |= ops_when(b, row, "start", b->now, &r.start) != 0;
    bad |= ops_when(b, row, "end", PL_TIME_NONE, &r.end) != 0;
    if (!bad && r.end != PL_TIME_NONE && r.end <= r.start) {
        BAD(b, row, "end", "the recall ends before it starts");
        bad = 1;
    }
    if (!sku == !bc) {
        BAD(b, row, sku ? "barcode" : "sku", "give either a sku or a barcode");
        return PL_EFORMAT;
    }
    if (bc) {
        char key[PL_BARCODE_KEY_MAX + 1], owner[PL_ITEM_CODE_MAX + 1];
        if (bad || ops_barcode_key(b, row, key, 1))
            return PL_EFORMAT;
        int rc = pl_cat_barcode_get(b->txn, key, owner);
        if (rc == PL_ENOTFOUND) {
            BAD(b, row, "barcode", "%s is on no item", key);
            return PL_EFORMAT;
        }
        if (rc)
            return rc;
        pl_str_copy(r.gtin, sizeof(r.gtin), key);
        pl_str_copy(r.sku, sizeof(r.sku), owner);
    } else {
        if (ops_ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku) || bad ||
            ops_need_item(b, row, "sku", sku, &it))
            return PL_EFORMAT;
        pl_str_copy(r.sku, sizeof(r.sku), sku);
    }
    if (bad)
        return PL_EFORMAT;
    pl_recall_t old;
    int rc = pl_recall_get(b->txn, id, &old);
    if (!rc && strcmp(old.sku, r.sku) != 0) {
        BAD(b, row, "recall", "recall %s is of item %s, not %s", id, old.sku, r.sku);
        return PL_EFORMAT;
    }
    if (rc && rc != PL_ENOTFOUND)
        return rc;
    pl_str_copy(r.id, sizeof(r.id), id);
    pl_str_copy(r.lot_from, sizeof(r.lot_from), from);
    pl_str_copy(r.lot_to, sizeof(r.lot_to), to ? to : "");
    pl_str_copy(r.text, sizeof(r.text), text_s);
    pl_str_copy(r.batch, sizeof(r.batch), b->id);
    return pl_recall_put(b->txn, &r);
}

int op_recall_lift(batch_t *b, const pl_row_t *row)
{
    const char *id;
    pl_recall_t r;
    if (ops_ident(b, row, "recall", 1, PL_RECALL_ID_MAX, &id))
        return PL_EFORMAT;
    int rc = pl_recall_get(b->txn, id, &r);
    if (rc == PL_ENOTFOUND) {
        BAD(b, row, "recall", "unknown recall %s", id);
        return PL_EFORMAT;
    }
    if (rc)
        return rc;
    if (r.end != PL_TIME_NONE && r.end <= b->now)
        return 0; /* already over: nothing changes */
    if (b->now <= r.start)
        r.start = b->now; /* lifted before it began: an empty window */
    r.end = b->now;
    pl_str_copy(r.batch, sizeof(r.batch), b->id);
    return pl_recall_put(b->txn, &r);
}

/* ---- expiry markdowns ------------------------------------------------------- */

/* What every rule of the table has: id (promo), dept, then the kind's
 * own columns (own), then priority, start, end, scope, items (the order
 * problems are listed in). Returns nonzero when a column is wrong
 * (reported). */
static int xmd_rule(batch_t *b, const pl_row_t *row, pl_xmd_t *x,
                    int (*own)(batch_t *b, const pl_row_t *row, pl_xmd_t *x))
{
    const char *id, *dept, *items = pl_row_get(row, "items");
    const char *prio_s = pl_row_get(row, "priority");
    pl_promo_t scope;
    int bad = ops_ident(b, row, "promo", 1, PL_PROMO_ID_MAX, &id) != 0;
    bad |= ops_text(b, row, "dept", PL_DEPT_MAX, &dept) != 0;
    bad |= own(b, row, x) != 0;
    uint64_t u = 0;
    if (prio_s && pl_parse_uint(row, "priority", prio_s, 0, 1000000, &u, b->d))
        bad = 1;
    x->priority = (int32_t)u;
    bad |= ops_when(b, row, "start", b->now, &x->start) != 0;
    bad |= ops_when(b, row, "end", PL_TIME_NONE, &x->end) != 0;
    if (!bad && x->end != PL_TIME_NONE && x->end <= x->start) {
        BAD(b, row, "end", "the rule ends before it starts");
        bad = 1;
    }
    memset(&scope, 0, sizeof(scope));
    bad |= ops_promo_scope(b, row, &scope) != 0;
    if (items) {
        char buf[PL_ROWS_FIELD_MAX + 1], *save = NULL;
        pl_str_copy(buf, sizeof(buf), items);
        for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
            pl_item_t it;
            if (x->nitems == PL_XMD_ITEMS_MAX) {
                BAD(b, row, "items", "more than %d items: use a dept", PL_XMD_ITEMS_MAX);
                bad = 1;
                break;
            }
            if (strlen(t) > PL_ITEM_CODE_MAX || pl_item_get(b->txn, t, &it) != 0) {
                BAD(b, row, "items", "unknown item %s", t);
                bad = 1;
                continue;
            }
            pl_str_copy(x->items[x->nitems++], PL_ITEM_CODE_MAX + 1, t);
        }
    }
    if (bad)
        return 1;
    pl_str_copy(x->id, sizeof(x->id), id);
    pl_str_copy(x->dept, sizeof(x->dept), dept ? dept : "");
    x->scope_kind = scope.scope_kind;
    x->nscope = scope.nscope;
    memcpy(x->scope, scope.scope, sizeof(x->scope));
    pl_str_copy(x->batch, sizeof(x->batch), b->id);
    return 0;
}

static int markdown_cols(batch_t *b, const pl_row_t *row, pl_xmd_t *x)
{
    const char *days_s = pl_row_get(row, "days"), *pct_s = pl_row_get(row, "pct_off");
    int bad = 0;
    uint64_t u = 0;
    if (!days_s) {
        BAD(b, row, "days", "missing: days to the pack's date at which the markdown starts");
        bad = 1;
    } else if (pl_parse_uint(row, "days", days_s, 0, 3650, &u, b->d)) {
        bad = 1;
    }
    x->days = (int32_t)u;
    int64_t bp = 0;
    if (!pct_s) {
        BAD(b, row, "pct_off", "missing: an expiry markdown is a percent off");
        bad = 1;
    } else if (pl_parse_money(row, "pct_off", pct_s, &bp, b->d)) {
        bad = 1;
    } else if (bp <= 0 || bp >= 10000) {
        BAD(b, row, "pct_off", "\"%s\": percent off must be above 0 and below 100", pct_s);
        bad = 1;
    }
    x->pct_off_bp = (int32_t)bp;
    x->kind = PL_XMD_MARKDOWN;
    return bad;
}

/* A rule of the table with the kind's own columns (own), checked whole,
 * then written. */
static int put_rule(batch_t *b, const pl_row_t *row,
                    int (*own)(batch_t *b, const pl_row_t *row, pl_xmd_t *x))
{
    pl_xmd_t x;
    memset(&x, 0, sizeof(x));
    if (xmd_rule(b, row, &x, own))
        return PL_EFORMAT;
    return pl_xmd_put(b->txn, &x);
}

int op_expiry_markdown(batch_t *b, const pl_row_t *row)
{
    return put_rule(b, row, markdown_cols);
}

/* ---- best-before rules ------------------------------------------------------ */

static int best_before_cols(batch_t *b, const pl_row_t *row, pl_xmd_t *x)
{
    const char *kind = pl_row_get(row, "kind");
    int bad = 0;
    if (!kind) {
        BAD(b, row, "kind", "missing: block or info (does a past best-before date stop the pack)");
        bad = 1;
    } else if (!strcmp(kind, "block")) {
        x->kind = PL_XMD_BB_BLOCK;
    } else if (!strcmp(kind, "info")) {
        x->kind = PL_XMD_BB_INFO;
    } else {
        BAD(b, row, "kind", "\"%s\": a best-before rule is block or info", kind);
        bad = 1;
    }
    for (const char *const *c = (const char *const[]){"days", "pct_off", NULL}; *c; c++)
        if (pl_row_get(row, *c)) {
            BAD(b, row, *c, "a best-before rule has no %s (that is an expiry_markdown)", *c);
            bad = 1;
        }
    return bad;
}

/* Whether a past best-before date blocks the packs of some items,
 * departments or stores, instead of the server's setting. */
int op_best_before(batch_t *b, const pl_row_t *row)
{
    return put_rule(b, row, best_before_cols);
}
