/* Batch operations on what an item costs: price rows (price: base, zone or
 * store, now or scheduled, or an override withdrawn) and promotions (promo,
 * promo_cancel). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/str.h"

/* zone or store (at most one) for price rows; level and scope out. */
static int price_scope(batch_t *b, const pl_row_t *row, uint8_t *level, char *scope)
{
    const char *zone, *store;
    if (ops_ident(b, row, "zone", 0, PL_SCOPE_MAX, &zone) ||
        ops_ident(b, row, "store", 0, PL_SCOPE_MAX, &store))
        return PL_EFORMAT;
    if (zone && store) {
        BAD(b, row, "store", "give a zone or a store, not both");
        return PL_EFORMAT;
    }
    pl_store_t st;
    if (store && pl_store_get(b->txn, store, &st) != 0) {
        BAD(b, row, "store", "unknown store %s", store);
        return PL_EFORMAT;
    }
    if (zone && !ops_zone_exists(b, zone)) {
        BAD(b, row, "zone", "unknown zone %s (no store belongs to it)", zone);
        return PL_EFORMAT;
    }
    *level = store ? PL_LEVEL_STORE : zone ? PL_LEVEL_ZONE : PL_LEVEL_BASE;
    pl_str_copy(scope, PL_SCOPE_MAX + 1, store ? store : zone ? zone : "");
    return 0;
}

int ops_put_price(batch_t *b, const char *sku, uint8_t level, const char *scope, int64_t start,
                  int64_t price)
{
    pl_price_t p = {0};
    pl_str_copy(p.sku, sizeof(p.sku), sku);
    p.level = level;
    pl_str_copy(p.scope, sizeof(p.scope), scope);
    p.start = start;
    p.price = price;
    p.scheduled = start > b->now;
    p.recorded_at = b->now;
    pl_str_copy(p.batch, sizeof(p.batch), b->id);
    return pl_price_put(b->txn, &p);
}

int op_price(batch_t *b, const pl_row_t *row)
{
    const char *sku, *ps = pl_row_get(row, "price");
    pl_item_t it;
    uint8_t level = 0;
    char scope[PL_SCOPE_MAX + 1] = "";
    int64_t price = 0, start = b->now;
    int bad = ops_ident(b, row, "sku", 1, PL_ITEM_CODE_MAX, &sku) != 0;
    bad |= price_scope(b, row, &level, scope) != 0;
    bad |= ops_when(b, row, "start", b->now, &start) != 0;
    if (!ps) {
        BAD(b, row, "price", "missing: this op needs a price (or - to withdraw an override)");
        bad = 1;
    } else if (!strcmp(ps, "-")) {
        price = PL_PRICE_REMOVED;
        if (!bad && level == PL_LEVEL_BASE) {
            BAD(b, row, "price", "\"-\" withdraws a zone or store price; give a zone or store");
            bad = 1;
        }
    } else if (pl_parse_money(row, "price", ps, &price, b->d)) {
        bad = 1;
    }
    if (!bad && !b->import && start < b->now) {
        BAD(b, row, "start", "in the past: a price takes effect now or later");
        bad = 1;
    }
    if (bad || ops_need_item(b, row, "sku", sku, &it))
        return PL_EFORMAT;
    if (b->only_store && level == PL_LEVEL_STORE && strcmp(scope, b->only_store) != 0) {
        b->skipped++; /* checked like every row; another store's price */
        return 0;
    }
    batch_touch(b, sku, 0);
    return ops_put_price(b, sku, level, scope, start, price);
}

/* Touches every item of an existing promotion (its labels change too). */
static int touch_one(const char *sku, void *arg)
{
    batch_touch(arg, sku, 0);
    return 0;
}

int op_promo(batch_t *b, const pl_row_t *row)
{
    const char *id, *kind = pl_row_get(row, "kind"), *items = pl_row_get(row, "items");
    const char *price_s = pl_row_get(row, "price"), *pct_s = pl_row_get(row, "pct_off");
    const char *text_s, *prio_s = pl_row_get(row, "priority"), *mem_s = pl_row_get(row, "member");
    pl_promo_t pr;
    memset(&pr, 0, sizeof(pr));
    int bad = ops_ident(b, row, "promo", 1, PL_PROMO_ID_MAX, &id) != 0;
    bad |= ops_text(b, row, "text", PL_PROMO_TEXT_MAX, &text_s) != 0;
    if (!kind || !(pr.kind = (uint8_t)pl_promo_kind_parse(kind))) {
        BAD(b, row, "kind", "%s%s%s: expected special, flyer, markdown, member or clearance",
            kind ? "\"" : "missing", kind ? kind : "", kind ? "\"" : "");
        bad = 1;
    }
    pr.price = PL_PRICE_NONE;
    if (!!price_s == !!pct_s) {
        BAD(b, row, "price", "give either a price or a pct_off");
        bad = 1;
    } else if (price_s && pl_parse_money(row, "price", price_s, &pr.price, b->d)) {
        bad = 1;
    } else if (pct_s) {
        int64_t bp;
        /* pct_off 12.5 → 1250 basis points: the money parser reads two decimals */
        if (pl_parse_money(row, "pct_off", pct_s, &bp, b->d))
            bad = 1;
        else if (bp <= 0 || bp >= 10000) {
            BAD(b, row, "pct_off", "\"%s\": percent off must be above 0 and below 100", pct_s);
            bad = 1;
        } else
            pr.pct_off_bp = (int32_t)bp;
    }
    const char *st = pl_row_get(row, "start"), *en = pl_row_get(row, "end");
    if (!st || !en) {
        BAD(b, row, st ? "end" : "start", "missing: a promotion needs a start and an end");
        bad = 1;
    } else {
        bad |= pl_parse_time(row, "start", st, b->utc_offset, &pr.start, b->d) != 0;
        bad |= pl_parse_time(row, "end", en, b->utc_offset, &pr.end, b->d) != 0;
        if (!bad && pr.end <= pr.start) {
            BAD(b, row, "end", "the window ends (%s) before it starts (%s)", en, st);
            bad = 1;
        }
    }
    uint64_t prio = 0;
    if (prio_s && pl_parse_uint(row, "priority", prio_s, 0, 1000000, &prio, b->d))
        bad = 1;
    int member = 0;
    if (mem_s && pl_parse_bool(row, "member", mem_s, &member, b->d))
        bad = 1;
    bad |= ops_promo_scope(b, row, &pr) != 0;
    if (!items) {
        BAD(b, row, "items", "missing: a promotion needs items (SKU|SKU...)");
        bad = 1;
    }
    if (bad)
        return PL_EFORMAT;

    /* Item list: every SKU must exist. */
    size_t cap = 1 + strlen(items) / 2, n = 0;
    char *buf = strdup(items), *save = NULL;
    const char **skus = calloc(cap, sizeof(*skus));
    if (!buf || !skus) {
        free(buf);
        free(skus);
        return -ENOMEM;
    }
    for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
        pl_item_t it;
        if (pl_item_get(b->txn, t, &it) != 0) {
            BAD(b, row, "items", "unknown item %s", t);
            bad = 1;
        } else if (n < cap)
            skus[n++] = t;
    }
    int rc = 0;
    if (!n && !bad) {
        BAD(b, row, "items", "names no item");
        bad = 1;
    }
    if (!bad) {
        pl_str_copy(pr.id, sizeof(pr.id), id);
        pr.member_only = (uint8_t)(member || pr.kind == PL_PROMO_MEMBER);
        pr.priority = (int32_t)prio;
        pl_str_copy(pr.text, sizeof(pr.text), text_s ? text_s : "");
        pr.cancelled_at = PL_TIME_NONE;
        pl_str_copy(pr.batch, sizeof(pr.batch), b->id);
        rc = pl_promo_items(b->txn, id, touch_one, b);
        if (rc == PL_ENOTFOUND)
            rc = 0;
        if (!rc)
            rc = pl_promo_put(b->txn, &pr, skus, n);
        for (size_t i = 0; i < n; i++)
            batch_touch(b, skus[i], 0);
    }
    free(skus);
    free(buf);
    return bad ? PL_EFORMAT : rc;
}

struct item_list {
    char (*skus)[PL_ITEM_CODE_MAX + 1];
    size_t n, cap;
};

static int collect_item(const char *sku, void *arg)
{
    struct item_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *n = realloc(l->skus, cap * sizeof(*l->skus));
        if (!n)
            return -ENOMEM;
        l->skus = n;
        l->cap = cap;
    }
    pl_str_copy(l->skus[l->n++], PL_ITEM_CODE_MAX + 1, sku);
    return 0;
}

int op_promo_cancel(batch_t *b, const pl_row_t *row)
{
    const char *id;
    pl_promo_t pr;
    if (ops_ident(b, row, "promo", 1, PL_PROMO_ID_MAX, &id))
        return PL_EFORMAT;
    if (pl_promo_get(b->txn, id, &pr) != 0) {
        BAD(b, row, "promo", "unknown promotion %s", id);
        return PL_EFORMAT;
    }
    if (pr.cancelled_at != PL_TIME_NONE)
        return 0; /* already cancelled: nothing changes */
    /* Rewrite with the same items and the cancel instant. */
    struct item_list list = {0};
    int rc = pl_promo_items(b->txn, id, collect_item, &list);
    pr.cancelled_at = b->now;
    if (!rc) {
        const char **skus = calloc(list.n + 1, sizeof(*skus));
        if (!skus)
            rc = -ENOMEM;
        for (size_t i = 0; !rc && i < list.n; i++) {
            skus[i] = list.skus[i];
            batch_touch(b, list.skus[i], 0);
        }
        if (!rc)
            rc = pl_promo_put(b->txn, &pr, skus, list.n);
        free(skus);
    }
    free(list.skus);
    return rc;
}
