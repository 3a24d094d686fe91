/* Unit test of the evaluation of an item view (core/view.c view_eval)
 * against the way it was first written, kept here as the reference: that
 * one sorted every change instant (qsort) and evaluated the price afresh
 * at each instant it looked at (four passes over the rows for an item
 * with one price row); view_eval now takes the regular and the base price
 * from one pass, sorts only the instants up to now and evaluates each
 * stretch between them once. Random views (price rows at every level,
 * withdrawn overrides, scheduled rows, promotions by price and by percent,
 * of several priorities, for members, for some stores, cut short) are
 * evaluated at every change instant, one second either side, the same 7
 * days later and between them, for no store, a store with rows of its own
 * and another, member or not; every price field must be the reference's.
 * (The reference's previous price looks back over the last 7 days only, as
 * view_eval's has since views built at other instants had to agree.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pricelane/err.h"
#include "view.h"

#define DAY 86400LL

/* ---- the reference: view_eval's price fields as first written ---------- */

typedef struct ref_price_at {
    int64_t price;
    const char *source;
    const view_promo_t *promo;
} ref_price_at_t;

static const char *const ref_level_source[] = {"base", "zone", "store"};

/* The regular (non-promotional) price in force at t: the latest row of the
 * most specific level that has one; a withdrawn override falls through. */
static int ref_regular_at(const view_t *v, const char *store, int64_t t, int only_base,
                          ref_price_at_t *out)
{
    const view_price_t *best[3] = {NULL, NULL, NULL};
    for (int i = 0; i < v->nprices; i++) {
        const view_price_t *e = &v->prices[i];
        if (e->start > t || e->level > PL_LEVEL_STORE)
            continue;
        if (only_base && e->level != PL_LEVEL_BASE)
            continue;
        if (e->level == PL_LEVEL_STORE && (!store || strcmp(e->scope, store) != 0))
            continue;
        if (!best[e->level] || e->start >= best[e->level]->start)
            best[e->level] = e;
    }
    for (int l = PL_LEVEL_STORE; l >= PL_LEVEL_BASE; l--) {
        if (best[l] && best[l]->price != PL_PRICE_REMOVED) {
            out->price = best[l]->price;
            out->source = best[l]->scheduled ? "scheduled" : ref_level_source[l];
            out->promo = NULL;
            return 1;
        }
    }
    return 0;
}

static int ref_promo_applies(const view_promo_t *p, const char *store, int64_t t, int member)
{
    if (t < p->start || t >= p->end || (p->member_only && !member))
        return 0;
    if (!p->nstores)
        return 1;
    for (int i = 0; i < p->nstores; i++)
        if (store && strcmp(p->stores[i], store) == 0)
            return 1;
    return 0;
}

/* Percent off is rounded down: never against the customer. */
static int64_t ref_promo_price(const view_promo_t *p, int64_t regular)
{
    if (p->price != PL_PRICE_NONE)
        return p->price;
    return regular - (regular * p->pct_off_bp + 9999) / 10000;
}

/* The price charged at t: the regular price, or the winning promotion when it
 * is lower. Winner: highest priority, then lowest price, then smallest id. */
static int ref_price_at(const view_t *v, const char *store, int64_t t, int member,
                        ref_price_at_t *out)
{
    if (!ref_regular_at(v, store, t, 0, out))
        return 0;
    const view_promo_t *win = NULL;
    int64_t win_price = 0;
    for (int i = 0; i < v->npromos; i++) {
        const view_promo_t *p = &v->promos[i];
        if (!ref_promo_applies(p, store, t, member))
            continue;
        int64_t pp = ref_promo_price(p, out->price);
        if (pp >= out->price)
            continue;
        if (!win || p->priority > win->priority ||
            (p->priority == win->priority &&
             (pp < win_price || (pp == win_price && strcmp(p->id, win->id) < 0)))) {
            win = p;
            win_price = pp;
        }
    }
    if (win) {
        out->price = win_price;
        out->source = pl_promo_kind_name(win->kind);
        out->promo = win;
    }
    return 1;
}

static int ref_cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Instants at which the charged price may change, in no order: every price
 * row's start, every promotion's start and end. */
static int ref_change_instants(const view_t *v, int64_t *out)
{
    int n = 0;
    for (int i = 0; i < v->nprices; i++)
        out[n++] = v->prices[i].start;
    for (int i = 0; i < v->npromos; i++) {
        out[n++] = v->promos[i].start;
        out[n++] = v->promos[i].end;
    }
    return n;
}

/* The same, newest first. */
static int ref_breakpoints(const view_t *v, int64_t *out)
{
    int n = ref_change_instants(v, out);
    qsort(out, (size_t)n, sizeof(*out), ref_cmp_desc);
    return n;
}

/* The label a store's shelf shows is the one of the most specific scope
 * (store, then zone, then chain) that has a printed label or a pending job;
 * a reprint is pending when that scope has a job due by now. A scope with a
 * job but no printed label yet still shows the next scope's label. */
static int ref_eval(const view_t *v, const char *store, int64_t now, int member, pl_answer_t *a)
{
    ref_price_at_t cur, x;
    if (store && !store[0])
        store = NULL;
    if (!ref_price_at(v, store, now, member, &cur))
        return PL_ENOTFOUND;
    a->price = cur.price;
    a->source = cur.source;
    a->promo_id[0] = 0;
    a->promo_ends = PL_TIME_NONE;
    if (cur.promo) {
        memcpy(a->promo_id, cur.promo->id, sizeof(a->promo_id));
        a->promo_ends = cur.promo->end;
    }
    a->base_price = ref_regular_at(v, store, now, 1, &x) ? x.price : PL_PRICE_NONE;

    int64_t bp[VIEW_PRICES + 2 * VIEW_PROMOS];
    int n = ref_breakpoints(v, bp);
    a->prev_price = PL_PRICE_NONE;
    a->prev_changed_at = PL_TIME_NONE;
    for (int i = 0; i < n; i++) {
        if (bp[i] > now || (i > 0 && bp[i] == bp[i - 1]))
            continue;
        if (bp[i] <= now - VIEW_WINDOW)
            break; /* a change of the last 7 days only (since it was written so) */
        if (!ref_price_at(v, store, bp[i] - 1, member, &x))
            break; /* no price before this: the item was new then */
        if (x.price != cur.price) {
            a->prev_price = x.price;
            a->prev_changed_at = bp[i];
            break;
        }
    }

    int64_t from = now - VIEW_WINDOW;
    a->low_7d = PL_PRICE_NONE;
    if (ref_price_at(v, store, from, member, &x))
        a->low_7d = x.price;
    for (int i = 0; i < n; i++) {
        if (bp[i] <= from || bp[i] >= now)
            continue;
        if (ref_price_at(v, store, bp[i], member, &x) &&
            (a->low_7d == PL_PRICE_NONE || x.price < a->low_7d))
            a->low_7d = x.price;
    }
    return 0;
}

/* ---- random views --------------------------------------------------------- */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int64_t below(int64_t n)
{
    return (int64_t)(rnd() % (uint64_t)n);
}

static const char *const stores[] = {"S1", "S2", "S3"};

/* A view around t0: up to 8 rows and 5 promotions over three weeks, a
 * few instants repeated on purpose. */
static void random_view(view_t *v, int64_t t0)
{
    memset(v, 0, offsetof(view_t, prices));
    v->format = VIEW_FORMAT;
    strcpy(v->zone, "Z1");
    int64_t pool[6];
    for (int i = 0; i < 6; i++)
        pool[i] = t0 - 14 * DAY + below(21 * DAY);
    v->nprices = (uint16_t)(1 + below(8));
    for (int i = 0; i < v->nprices; i++) {
        view_price_t *e = &v->prices[i];
        memset(e, 0, sizeof(*e));
        e->level = (uint8_t)below(3);
        e->start = below(3) ? pool[below(6)] : t0 - 20 * DAY + below(27 * DAY);
        e->price = e->level && !below(4) ? PL_PRICE_REMOVED : 100 + below(900);
        e->scheduled = !below(5);
        if (e->level == PL_LEVEL_ZONE)
            strcpy(e->scope, "Z1");
        else if (e->level == PL_LEVEL_STORE)
            strcpy(e->scope, stores[below(2)]);
    }
    v->npromos = (uint16_t)below(6);
    for (int i = 0; i < v->npromos; i++) {
        view_promo_t *p = &v->promos[i];
        memset(p, 0, sizeof(*p));
        p->start = below(2) ? pool[below(6)] : t0 - 10 * DAY + below(15 * DAY);
        p->end = p->start + 1 + (below(2) ? below(3 * DAY) : below(10 * DAY));
        p->price = below(2) ? PL_PRICE_NONE : 50 + below(900);
        p->pct_off_bp = (int32_t)below(5000);
        p->priority = (int32_t)below(3);
        p->kind = (uint8_t)(1 + below(3));
        p->member_only = !below(3);
        snprintf(p->id, sizeof(p->id), "P%d", (int)below(4));
        if (!below(3)) {
            p->nstores = (uint8_t)(1 + below(2));
            for (int k = 0; k < p->nstores; k++)
                strcpy(p->stores[k], stores[below(3)]);
        }
    }
}

/* Compares view_eval with the reference at t; 1 when they agree. */
static int same_at(const view_t *v, const char *store, int64_t t, int member)
{
    pl_answer_t a, r;
    memset(&a, 0x5a, sizeof(a));
    memset(&r, 0x5a, sizeof(r));
    int ra = view_eval(v, store, t, member, &a), rr = ref_eval(v, store, t, member, &r);
    if (ra != rr)
        return 0;
    if (ra)
        return 1;
    return a.price == r.price && strcmp(a.source, r.source) == 0 &&
           strcmp(a.promo_id, r.promo_id) == 0 && a.promo_ends == r.promo_ends &&
           a.base_price == r.base_price && a.prev_price == r.prev_price &&
           a.prev_changed_at == r.prev_changed_at && a.low_7d == r.low_7d;
}

int main(void)
{
    static view_t v;
    const char *const who[] = {NULL, "", "S1", "S3"};
    int64_t t0 = 1800000000; /* any instant: the views are built around it */
    long evals = 0, bad = 0, with_prev = 0, with_low = 0, found = 0;
    for (int round = 0; round < 3000; round++) {
        random_view(&v, t0);
        int64_t inst[VIEW_PRICES + 2 * VIEW_PROMOS];
        int n = 0;
        for (int i = 0; i < v.nprices; i++)
            inst[n++] = v.prices[i].start;
        for (int i = 0; i < v.npromos; i++)
            inst[n++] = v.promos[i].start, inst[n++] = v.promos[i].end;
        for (int i = 0; i < n; i++) {
            const int64_t at[] = {inst[i] - 1,
                                  inst[i],
                                  inst[i] + 1,
                                  inst[i] + VIEW_WINDOW - 1,
                                  inst[i] + VIEW_WINDOW,
                                  inst[i] + VIEW_WINDOW + 1,
                                  inst[i] + below(VIEW_WINDOW)};
            for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
                for (int s = 0; s < 4; s++)
                    for (int m = 0; m < 2; m++) {
                        pl_answer_t a;
                        evals++;
                        if (!same_at(&v, who[s], at[k], m)) {
                            if (bad++ < 5)
                                printf("differs: view %d, store %s, member %d, t %lld\n", round,
                                       who[s] ? who[s] : "(none)", m, (long long)at[k]);
                        } else if (view_eval(&v, who[s], at[k], m, &a) == 0) {
                            found++;
                            with_prev += a.prev_price != PL_PRICE_NONE;
                            with_low += a.low_7d != PL_PRICE_NONE && a.low_7d != a.price;
                        }
                    }
        }
    }
    CHECK_INT(bad, 0);
    /* the sweep reaches what it means to check */
    CHECK(found > evals / 3, "%ld of %ld evaluations found a price", found, evals);
    CHECK(with_prev > found / 10, "%ld of %ld answers had a previous price", with_prev, found);
    CHECK(with_low > found / 20, "%ld of %ld answers had a 7-day low below the price", with_low,
          found);
    printf("%ld evaluations of 3000 random views: the same as the reference's (%ld with a price, "
           "%ld with a previous price, %ld with a lower 7-day low)\n",
           evals, found, with_prev, with_low);
    return pl_test_done("test_view_eval");
}
