/* Shelf-label reconciliation. After a batch's rows are written, every touched
 * item is looked at in each label scope that can show it (chain, zones and
 * stores with their own prices or promotions, scopes that already have a
 * label): what the label must show now and at each future instant where the
 * charged price changes (scheduled prices, promotion starts and ends). Pending
 * jobs that still match are kept, those that no longer do are superseded, and
 * missing ones are created; on import the present is written straight into
 * the label records (the shelves are assumed labelled) and only future
 * changes become jobs. Running it twice changes nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "pricelane/cpu_share.h"
#include "pricelane/err.h"
#include "pricelane/labelplan.h"
#include "pricelane/resolve.h"
#include "pricelane/str.h"

#define MAX_SCOPES 64
#define MAX_PENDING 128

typedef struct scope {
    uint8_t level;
    char id[PL_SCOPE_MAX + 1];
} scope_t;

typedef struct recon {
    batch_t *b;
    const char *sku;
    scope_t scopes[MAX_SCOPES];
    int nscopes;
    pl_label_job_t pending[MAX_PENDING];
    int npending;
    int too_many;
    int chain_ok; /* chain holds the chain scope's plan, built while collecting */
    pl_labelplan_t chain;
} recon_t;

static void add_scope(recon_t *r, int level, const char *id)
{
    for (int i = 0; i < r->nscopes; i++)
        if (strcmp(r->scopes[i].id, id) == 0)
            return;
    if (r->nscopes == MAX_SCOPES) {
        r->too_many = 1;
        return;
    }
    r->scopes[r->nscopes].level = (uint8_t)level;
    pl_str_copy(r->scopes[r->nscopes++].id, PL_SCOPE_MAX + 1, id);
}

static int scope_of_price(const pl_price_t *p, void *arg)
{
    add_scope(arg, p->level, p->scope);
    return 0;
}

/* A promotion's zones or stores are label scopes of their own, unless it
 * is for members only: shelf labels show the price everyone pays, and a
 * member price never changes what a shelf label must show. */
static int scope_of_promo(const pl_promo_t *pr, void *arg)
{
    if (pr->member_only)
        return 0;
    int level = pr->scope_kind == PL_SCOPE_ZONES ? PL_LEVEL_ZONE : PL_LEVEL_STORE;
    for (int i = 0; pr->scope_kind != PL_SCOPE_ALL && i < pr->nscope; i++)
        add_scope(arg, level, pr->scope[i]);
    return 0;
}

static int scope_of_label(const pl_label_t *lb, void *arg)
{
    recon_t *r = arg;
    pl_store_t st;
    int level = !lb->scope[0] ? PL_LEVEL_BASE
                : pl_store_get(r->b->txn, lb->scope, &st) == 0 ? PL_LEVEL_STORE
                                                               : PL_LEVEL_ZONE;
    add_scope(r, level, lb->scope);
    return 0;
}

static int collect_pending(const pl_label_job_t *j, void *arg)
{
    recon_t *r = arg;
    add_scope(r, j->level, j->scope);
    if (r->npending == MAX_PENDING) {
        r->too_many = 1;
        return 0;
    }
    r->pending[r->npending++] = *j;
    return 0;
}

/* The rows of the chain scope's plan, seen before it filters them. */
static void hook_price(void *arg, const pl_price_t *p)
{
    scope_of_price(p, arg);
}

static void hook_promo(void *arg, const pl_promo_t *pr)
{
    scope_of_promo(pr, arg);
}

static void hook_label(void *arg, const pl_label_t *lb)
{
    scope_of_label(lb, arg);
}

static void hook_job(void *arg, const pl_label_job_t *j)
{
    collect_pending(j, arg);
}

/* Unit price for the label: per kg / per l, or per 100 g / 100 ml for small packs. */
static void unit_price(const pl_item_t *it, int64_t price, pl_label_job_t *j)
{
    j->unit_price = PL_PRICE_NONE;
    j->unit_basis[0] = 0;
    if (it->flags & PL_ITEM_WEIGHED) {
        j->unit_price = price;
        snprintf(j->unit_basis, sizeof(j->unit_basis), "kg");
        return;
    }
    if (!it->content || !it->content_unit[0])
        return;
    int small = it->content < 100;
    int64_t per = small ? 100 : 1000;
    /* per-unit price rounded half up to the minor unit */
    j->unit_price = (price * per * 2 / it->content + 1) / 2;
    snprintf(j->unit_basis, sizeof(j->unit_basis), "%s%s", small ? "100" : "",
             !strcmp(it->content_unit, "g") ? (small ? "g" : "kg") : (small ? "ml" : "l"));
}

/* The plan of one scope: the chain scope's was built while the item's
 * scopes were collected; other scopes get their own. */
static int plan_for(recon_t *r, const scope_t *sc, const pl_labelplan_t **out)
{
    static __thread pl_labelplan_t scoped;
    if (sc->level == PL_LEVEL_BASE && r->chain_ok) {
        *out = &r->chain;
        return 0;
    }
    *out = &scoped;
    return pl_labelplan_build(r->b->txn, r->sku, sc->level, sc->id, r->b->now, NULL, &scoped);
}

static int make_job(recon_t *r, const scope_t *sc, const pl_labelplan_t *plan,
                    const pl_labelplan_step_t *d, int64_t old_price, const char *reason)
{
    batch_t *b = r->b;
    const pl_item_t *it = &plan->item;
    pl_label_job_t j;
    memset(&j, 0, sizeof(j));
    j.level = sc->level;
    memcpy(j.scope, sc->id, sizeof(j.scope));
    pl_str_copy(j.sku, sizeof(j.sku), r->sku);
    memcpy(j.gtin, plan->gtin, sizeof(j.gtin));
    memcpy(j.name, it->name, sizeof(j.name));
    j.price = d->price;
    unit_price(it, d->price, &j);
    j.promo_ends = d->promo_ends;
    if (d->promo_id[0]) {
        pl_promo_t pr;
        if (pl_promo_get(b->txn, d->promo_id, &pr) == 0)
            pl_str_copy(j.promo_text, sizeof(j.promo_text),
                        pr.text[0] ? pr.text : pl_promo_kind_name(pr.kind));
    }
    j.old_price = old_price;
    j.due = d->due;
    pl_str_copy(j.reason, sizeof(j.reason), reason);
    pl_str_copy(j.batch, sizeof(j.batch), b->id);
    int rc = pl_job_add(b->txn, &j);
    if (!rc)
        b->jobs++;
    return rc;
}

/* text: the TEXT_* changes of the item's label text in this batch. */
static int reconcile_scope(recon_t *r, const scope_t *sc, int text)
{
    batch_t *b = r->b;
    const pl_labelplan_t *plan;
    int rc = plan_for(r, sc, &plan);
    if (rc)
        return rc;
    const pl_labelplan_step_t *want = plan->steps;
    int nwant = plan->nsteps;
    pl_label_t lb;
    int64_t shelf = !b->fresh && pl_label_get(b->txn, r->sku, sc->id, &lb) == 0 ? lb.price : PL_PRICE_NONE;

    /* Keep pending jobs that still say the right thing; supersede others.
     * After a name or pack-quantity change none does: every pending job,
     * future ones included, would print the old text. */
    int covered[PL_LABELPLAN_STEPS] = {0};
    for (int p = 0; p < r->npending; p++) {
        pl_label_job_t *j = &r->pending[p];
        if (strcmp(j->scope, sc->id) != 0)
            continue;
        int keep = 0;
        for (int w = 0; w < nwant && !keep; w++) {
            int same_time = w == 0 ? j->due <= b->now : j->due == want[w].due;
            if (same_time && j->price == want[w].price && !covered[w] && !text) {
                covered[w] = keep = 1;
            }
        }
        if (!keep && (rc = pl_job_supersede(b->txn, j->id)) != 0)
            return rc;
    }

    for (int w = 0; w < nwant; w++) {
        if (covered[w])
            continue;
        if (w == 0) {
            if (b->import && !text) {
                lb = (pl_label_t){0};
                pl_str_copy(lb.sku, sizeof(lb.sku), r->sku);
                memcpy(lb.scope, sc->id, sizeof(lb.scope));
                lb.price = want[0].price;
                lb.printed_at = b->now;
                lb.due = PL_TIME_NONE;
                lb.placed_at = b->now;
                rc = pl_label_put(b->txn, &lb);
            } else if (want[0].price != shelf || text) {
                rc = make_job(r, sc, plan, &want[0], shelf,
                              want[0].price != shelf ? (shelf == PL_PRICE_NONE ? "new" : "price")
                              : text & TEXT_NAME     ? "name"
                                                     : "pack_qty");
            }
        } else {
            rc = make_job(r, sc, plan, &want[w], want[w - 1].price, want[w].reason);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int first_pending(const pl_label_job_t *j, void *arg)
{
    *(uint64_t *)arg = j->id;
    return 1;
}

/* Supersedes the pending jobs of sku beyond the MAX_PENDING collected. */
static int supersede_rest(batch_t *b, const char *sku)
{
    for (;;) {
        uint64_t id = 0;
        int rc = pl_job_each_for_item(b->txn, sku, first_pending, &id);
        if (rc != 1)
            return rc;
        rc = pl_job_supersede(b->txn, id);
        if (rc)
            return rc;
    }
}

static int cmp_aff(const void *a, const void *b)
{
    return strcmp(((const struct affected *)a)->sku, ((const struct affected *)b)->sku);
}

int labels_reconcile(batch_t *b)
{
    if (b->aff_lost)
        return -ENOMEM;
    if (!b->naff)
        return 0;
    qsort(b->aff, b->naff, sizeof(*b->aff), cmp_aff);
    static __thread recon_t r;
    for (size_t i = 0; i < b->naff; i++) {
        pl_cpu_share();
        int text = b->aff[i].text_changed;
        while (i + 1 < b->naff && strcmp(b->aff[i + 1].sku, b->aff[i].sku) == 0)
            text |= b->aff[++i].text_changed;
        memset(&r, 0, offsetof(recon_t, pending));
        r.npending = 0;
        r.too_many = 0;
        r.b = b;
        r.sku = b->aff[i].sku;
        add_scope(&r, PL_LEVEL_BASE, "");
        /* One pass over the item builds the chain scope's plan and, through
         * the hooks, collects every scope and pending job of the item. */
        pl_labelplan_rows_t rows = {hook_price, hook_promo, hook_label, hook_job, &r, b->fresh};
        int rc = pl_labelplan_build(b->txn, r.sku, PL_LEVEL_BASE, "", b->now, &rows, &r.chain);
        r.chain_ok = rc == 0;
        if (rc == PL_ETOOBIG)
            rc = 0; /* scopes are all collected; the chain scope reports it below */
        pl_item_t it = r.chain.item;
        if (!rc && (it.flags & PL_ITEM_DISCONTINUED)) {
            /* Its labels come off the shelf: nothing is to be printed. */
            for (int p = 0; !rc && p < r.npending; p++)
                rc = pl_job_supersede(b->txn, r.pending[p].id);
            if (!rc && r.npending == MAX_PENDING)
                rc = supersede_rest(b, r.sku);
            if (rc)
                return rc;
            continue;
        }
        for (int s = 0; !rc && s < r.nscopes; s++)
            rc = reconcile_scope(&r, &r.scopes[s], text);
        if (rc == PL_ETOOBIG || (!rc && r.too_many)) {
            pl_diag(b->d, NULL, 0, NULL,
                    "item %s: over the limits of one item (%d price rows in force within 7 days "
                    "and later, %d promotions, %d label scopes, %d pending label jobs)",
                    r.sku, PL_LABELPLAN_PRICES, PL_LABELPLAN_PROMOS, MAX_SCOPES, MAX_PENDING);
            rc = PL_EFORMAT;
        }
        if (rc)
            return rc;
    }
    return 0;
}
