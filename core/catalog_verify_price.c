/* Catalogue invariants: price rows (scope, level, sign), promotions (kind,
 * window, price or percent, scope, items) and the item → promotions index
 * against the promotions' item lists, both directions. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "catalog_verify_int.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"

/* ---- prices ------------------------------------------------------------------- */

static int check_price(const pl_price_t *p, void *arg)
{
    verify_t *v = arg;
    char what[128];
    snprintf(what, sizeof(what), "price row of item %s", p->sku);
    verify_need_scope(v, p->level, p->scope, what);
    if (p->price < 0 && !(p->price == PL_PRICE_REMOVED && p->level != PL_LEVEL_BASE))
        verify_report(v, "%s (%s %s from @%" PRId64 "): price %" PRId64 " is negative", what,
                      p->level == PL_LEVEL_BASE   ? "base"
                      : p->level == PL_LEVEL_ZONE ? "zone"
                                                  : "store",
                      p->scope, p->start, p->price);
    return 0;
}

static int check_prices_of(verify_t *v, const char *sku)
{
    pl_item_t it;
    int rc = verify_need_item(v, sku, &it, "price rows");
    if (rc < 0)
        return rc;
    rc = pl_price_each(v->t, sku, check_price, v);
    if (rc == PL_ECORRUPT || rc == PL_EVERSION) {
        verify_report(v, "price rows of item %s: a record does not decode (%s)", sku,
                      pl_strerror(rc));
        rc = 0;
    }
    return rc;
}

static int check_price_key(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sh[256];
    const uint8_t *z = memchr(k->mv_data, 0, k->mv_size);
    size_t n = z ? (size_t)(z - (const uint8_t *)k->mv_data) : 0;
    (void)val;
    if (!z || n == 0 || n > PL_ITEM_CODE_MAX || k->mv_size < n + 1 + 1 + 1 + 8) {
        verify_report(v, "key \"%s\" is not sku NUL level scope NUL start",
                      verify_show(k->mv_data, k->mv_size, sh, sizeof(sh)));
        return 0;
    }
    if (strlen(v->price_sku) == n && memcmp(v->price_sku, k->mv_data, n) == 0)
        return 0; /* rows of this item were checked with the first one */
    memcpy(v->price_sku, k->mv_data, n);
    v->price_sku[n] = 0;
    return check_prices_of(v, v->price_sku);
}

/* ---- promotions ----------------------------------------------------------------- */

struct promo_check {
    verify_t *v;
    const char *id;
    const char *want; /* promoitems side: the SKU looked for */
    int found;
};

static int check_promo_item(const char *sku, void *arg)
{
    struct promo_check *pc = arg;
    verify_t *v = pc->v;
    pl_item_t it;
    char what[128];
    snprintf(what, sizeof(what), "promotion %s", pc->id);
    int rc = verify_need_item(v, sku, &it, what);
    if (rc < 0)
        return rc;
    rc = verify_has_pair(v, DB_PROMOITEMS, sku, strlen(sku), pc->id, strlen(pc->id));
    if (rc == 0)
        verify_report(v, "promotion %s lists item %s, but promoitems lacks %s → %s", pc->id, sku,
                      sku, pc->id);
    return rc < 0 ? rc : 0;
}

static int check_promo(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char id[PL_PROMO_ID_MAX + 1];
    pl_promo_t pr;
    (void)val;
    if (!verify_key_id(v, k, id, PL_PROMO_ID_MAX, "", "a promotion id"))
        return 0;
    int rc = verify_decoded(v, pl_promo_get(v->t, id, &pr), "promotion", id);
    if (rc <= 0)
        return rc;
    if (pr.kind < PL_PROMO_SPECIAL || pr.kind > PL_PROMO_CLEARANCE)
        verify_report(v, "promotion %s: unknown kind %d", id, pr.kind);
    if (pr.end <= pr.start)
        verify_report(v, "promotion %s: window ends (@%" PRId64 ") before it starts (@%" PRId64 ")",
                      id, pr.end, pr.start);
    if (pr.price == PL_PRICE_NONE ? pr.pct_off_bp <= 0 || pr.pct_off_bp >= 10000 : pr.price < 0)
        verify_report(v, "promotion %s: neither a price nor a percent off in (0, 100)", id);
    if (pr.scope_kind > PL_SCOPE_STORES || (pr.scope_kind != PL_SCOPE_ALL && !pr.nscope))
        verify_report(v, "promotion %s: scope kind %d with %d entries", id, pr.scope_kind,
                      pr.nscope);
    char what[128];
    snprintf(what, sizeof(what), "promotion %s", id);
    for (int i = 0; i < pr.nscope && pr.scope_kind != PL_SCOPE_ALL; i++)
        verify_need_scope(v, pr.scope_kind == PL_SCOPE_ZONES ? PL_LEVEL_ZONE : PL_LEVEL_STORE,
                          pr.scope[i], what);
    struct promo_check pc = {v, id, NULL, 0};
    rc = pl_promo_items(v->t, id, check_promo_item, &pc);
    if (rc == PL_ECORRUPT) {
        verify_report(v, "promotion %s: item list does not decode", id);
        rc = 0;
    }
    return rc;
}

static int find_item(const char *sku, void *arg)
{
    struct promo_check *pc = arg;
    pc->found |= strcmp(sku, pc->want) == 0;
    return 0;
}

static int check_promoitem(verify_t *v, const MDB_val *k, const MDB_val *val)
{
    char sku[PL_ITEM_CODE_MAX + 1], id[PL_PROMO_ID_MAX + 1];
    if (!verify_index_entry(v, k, val, sku, id, PL_PROMO_ID_MAX, "promotion"))
        return 0;
    struct promo_check pc = {v, id, sku, 0};
    int rc = pl_promo_items(v->t, id, find_item, &pc);
    if (rc == PL_ENOTFOUND)
        verify_report(v, "item %s → promotion %s, which does not exist", sku, id);
    else if (!rc && !pc.found)
        verify_report(v, "item %s → promotion %s, which does not list the item", sku, id);
    else if (rc && rc != PL_ECORRUPT && rc != PL_EVERSION)
        return rc;
    return 0;
}

int verify_prices(verify_t *v)
{
    int rc = verify_walk(v, DB_PRICES, "prices", check_price_key);
    if (!rc)
        rc = verify_walk(v, DB_PROMOS, "promos", check_promo);
    if (!rc)
        rc = verify_walk(v, DB_PROMOITEMS, "promoitems", check_promoitem);
    return rc;
}
