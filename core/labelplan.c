/* Label plans: the item view of a label scope, evaluated at every instant
 * from now on where the non-member price may change. The view stays private
 * to the library (it is the cache's format); the loader sees only plans. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pricelane/err.h"
#include "pricelane/labelplan.h"
#include "pricelane/str.h"
#include "view.h"

/* labelplan.h names these limits; the loader's diagnostics quote them. */
_Static_assert(PL_LABELPLAN_PRICES == VIEW_PRICES, "labelplan.h: price rows of a view");
_Static_assert(PL_LABELPLAN_PROMOS == VIEW_PROMOS, "labelplan.h: promotions of a view");
_Static_assert(VIEW_LABELS == 8 && VIEW_PROMO_STORES == 4, "labelplan.h: the PL_ETOOBIG limits");

typedef struct zones {
    pl_txn_t *txn;
    pl_store_t st;
} zones_t;

static const char *zone_of(void *arg, const char *store)
{
    zones_t *z = arg;
    return pl_store_get(z->txn, store, &z->st) == 0 ? z->st.zone : NULL;
}

static void hook_price(void *arg, const pl_price_t *p)
{
    const pl_labelplan_rows_t *rows = arg;
    rows->price(rows->arg, p);
}

static void hook_promo(void *arg, const pl_promo_t *pr)
{
    const pl_labelplan_rows_t *rows = arg;
    rows->promo(rows->arg, pr);
}

static void hook_label(void *arg, const pl_label_t *lb)
{
    const pl_labelplan_rows_t *rows = arg;
    rows->label(rows->arg, lb);
}

static void hook_job(void *arg, const pl_label_job_t *j)
{
    const pl_labelplan_rows_t *rows = arg;
    rows->job(rows->arg, j);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The steps: now, then every later price row start and promotion bound, each
 * evaluated; a step is kept when a price is in force then and it differs
 * from the step before. */
static void plan_steps(const view_t *v, const char *store, int64_t now, pl_labelplan_t *plan)
{
    int64_t inst[VIEW_PRICES + 2 * VIEW_PROMOS + 1];
    int n = 0;
    inst[n++] = now;
    for (int i = 0; i < v->nprices; i++)
        if (v->prices[i].start > now)
            inst[n++] = v->prices[i].start;
    for (int i = 0; i < v->npromos; i++) {
        if (v->promos[i].start > now)
            inst[n++] = v->promos[i].start;
        if (v->promos[i].end > now)
            inst[n++] = v->promos[i].end;
    }
    qsort(inst, (size_t)n, sizeof(*inst), cmp_i64);

    pl_labelplan_step_t *out = plan->steps;
    int *nout = &plan->nsteps;
    int64_t last = PL_PRICE_NONE;
    for (int i = 0; i < n && *nout < PL_LABELPLAN_STEPS; i++) {
        if (i && inst[i] == inst[i - 1])
            continue;
        pl_answer_t a;
        memset(&a, 0, sizeof(a));
        if (view_eval(v, store, inst[i], 0, &a) != 0)
            continue; /* no price then: nothing to print */
        if (i > 0 && a.price == last)
            continue;
        pl_labelplan_step_t *d = &out[(*nout)++];
        d->due = inst[i];
        d->price = a.price;
        d->promo_ends = a.promo_ends;
        memcpy(d->promo_id, a.promo_id, sizeof(d->promo_id));
        int had_promo = *nout > 1 && out[*nout - 2].promo_id[0];
        d->reason = i == 0          ? "price"
                    : a.promo_id[0] ? "promo_start"
                    : had_promo     ? "promo_end"
                                    : "scheduled";
        last = a.price;
    }
}

int pl_labelplan_build(pl_txn_t *txn, const char *sku, int level, const char *scope, int64_t now,
                       const pl_labelplan_rows_t *rows, pl_labelplan_t *plan)
{
    zones_t zones = {.txn = txn};
    char zone[PL_SCOPE_MAX + 1] = "";
    const char *store = NULL;
    if (level == PL_LEVEL_ZONE)
        pl_str_copy(zone, sizeof(zone), scope);
    if (level == PL_LEVEL_STORE) {
        const char *z = zone_of(&zones, scope);
        store = scope;
        pl_str_copy(zone, sizeof(zone), z ? z : "");
    }

    view_hooks_t hooks = {0};
    if (rows) {
        hooks.price = rows->price ? hook_price : NULL;
        hooks.promo = rows->promo ? hook_promo : NULL;
        hooks.label = rows->label ? hook_label : NULL;
        hooks.job = rows->job ? hook_job : NULL;
        hooks.arg = (void *)rows;
        hooks.no_labels = rows->no_labels;
    }
    /* A view is tens of KiB: on the heap, not on the caller's stack. */
    view_t *v = malloc(sizeof(*v));
    if (!v)
        return -ENOMEM;
    plan->nsteps = 0;
    int rc =
        view_build_hooked(txn, sku, zone, store, now, zone_of, &zones, rows ? &hooks : NULL, v);
    if (!rc || rc == PL_ETOOBIG) {
        plan->item = v->item;
        memcpy(plan->gtin, v->gtin, sizeof(plan->gtin));
    }
    if (!rc)
        plan_steps(v, store, now, plan);
    free(v);
    return rc;
}
