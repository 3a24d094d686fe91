/* The cause of a lane report (pricelane/report.h): one rule for the
 * provisional cause pricelaned tells the lane and the final one
 * `pricelane-load report` settles the next morning.
 *
 * Precedence, first that holds wins:
 *   1. system_price       a correction batch committed after the scan and by
 *                         known_until changed the item's price for the store:
 *                         the price itself was wrong, whatever the shelf said;
 *   2. label_not_printed  a reprint of the item for the label scope of the
 *                         store was due by the scan and not printed by it;
 *   3. label_not_placed   such a reprint was printed by the scan and not
 *                         confirmed on the shelf by it;
 *   4. promo_sign         the shelf price is the price of a promotion of the
 *                         item that is not in force for that store then.
 * A correction outranks the label causes because the label showed what the
 * price data said (the reprint would have carried the wrong price too); the
 * label causes outrank the promotion sign because they rest on a dated
 * record of what was due, the sign only on an equal price.
 *
 * Everything here reads instants from the report and the catalogue, never
 * the clock: the same report and catalogue give the same cause. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/report.h"
#include "pricelane/resolve.h"
#include "pricelane/str.h"

#define CORRECTION_REASON "correction"

typedef struct ctx {
    pl_txn_t *txn;
    const pl_report_t *r;
    int64_t known_until;
    pl_store_t st;
    const char *scopes[3]; /* store, zone, chain: most specific first */
    int label_scope;       /* index into scopes of the store's label scope, -1 none */
    uint64_t label_job[3]; /* the job that printed each scope's label, 0 none */
    int not_printed, not_placed;
    int superseded_late;   /* a job due by the scan, superseded only after it */
    pl_label_job_t *jobs;  /* a final cause: every job of the item, read once */
    size_t njobs, capjobs;
    int have_jobs;
    int64_t best_start[3]; /* regular price: latest start per level */
    int64_t best_price[3];
    int64_t regular;
    int corrected;
} ctx_t;

/* Index of scope in c->scopes, or -1 when it does not apply to the store. */
static int scope_rank(const ctx_t *c, const char *scope)
{
    for (int i = 0; i < 3; i++)
        if (c->scopes[i] && strcmp(c->scopes[i], scope) == 0)
            return i;
    return -1;
}

/* Was batch id committed within (after, until]? A job or row without a batch
 * id (written by a command, not a batch) counts as known. */
static int batch_known(pl_txn_t *txn, const char *id, int64_t until)
{
    pl_batch_rec_t b;
    if (!id[0])
        return 1;
    return pl_batch_get(txn, id, &b) == 0 && b.applied_at <= until;
}

/* ---- the label scope and its jobs ------------------------------------------ */

static int note_label(const pl_label_t *lb, void *arg)
{
    ctx_t *c = arg;
    int k = scope_rank(c, lb->scope);
    if (k >= 0)
        c->label_job[k] = lb->job;
    if (k >= 0 && (c->label_scope < 0 || k < c->label_scope))
        c->label_scope = k;
    return 0;
}

static int note_job_scope(const pl_label_job_t *j, void *arg)
{
    ctx_t *c = arg;
    if (strcmp(j->sku, c->r->sku) != 0 || !batch_known(c->txn, j->batch, c->r->at))
        return 0;
    int k = scope_rank(c, j->scope);
    if (k >= 0 && (c->label_scope < 0 || k < c->label_scope))
        c->label_scope = k;
    return 0;
}

/* A job of the store's label scope, known at the scan and due by it: was it
 * printed by then, and placed? Jobs come in id order (the order they were
 * made): a job superseded by a later one made after the scan was still to
 * be printed at the scan; one superseded before it left the work to the
 * job that replaced it (judged in its turn). */
static int judge_job(const pl_label_job_t *j, void *arg)
{
    ctx_t *c = arg;
    int64_t at = c->r->at;
    if (strcmp(j->sku, c->r->sku) != 0 || c->label_scope < 0 ||
        strcmp(j->scope, c->scopes[c->label_scope]) != 0 || !batch_known(c->txn, j->batch, at))
        return 0;
    c->superseded_late = 0; /* a later job known at the scan replaced any before it */
    if (j->due == PL_TIME_NONE || j->due > at)
        return 0;
    if (j->state == PL_JOB_SUPERSEDED) {
        c->superseded_late = 1;
        return 0;
    }
    if (j->state == PL_JOB_PENDING || j->acked_at == PL_TIME_NONE || j->acked_at > at)
        c->not_printed = 1;
    else if (j->placed_at == PL_TIME_NONE || j->placed_at > at)
        c->not_placed = 1;
    return 0;
}

static int keep_job(const pl_label_job_t *j, void *arg)
{
    ctx_t *c = arg;
    if (c->njobs == c->capjobs) {
        size_t cap = c->capjobs ? c->capjobs * 2 : 16;
        pl_label_job_t *n = realloc(c->jobs, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        c->jobs = n;
        c->capjobs = cap;
    }
    c->jobs[c->njobs++] = *j;
    return 0;
}

/* The jobs that can matter: those still pending (indexed under the item)
 * and the one that printed the label scope's label (not yet placed, maybe);
 * for a final cause also those printed or placed since the scan, which only
 * the whole queue still holds (one walk of the queue per report, read once:
 * the morning report's cost, never a lookup's). */
static int jobs_each(ctx_t *c, int (*fn)(const pl_label_job_t *j, void *arg))
{
    int rc;
    if (c->known_until > c->r->at) {
        if (!c->have_jobs) {
            rc = pl_job_each_ever_for_item(c->txn, c->r->sku, keep_job, c);
            if (rc)
                return rc;
            c->have_jobs = 1;
        }
        for (size_t i = 0; i < c->njobs; i++)
            if ((rc = fn(&c->jobs[i], c)) != 0)
                return rc;
        return 0;
    }
    rc = pl_job_each_for_item(c->txn, c->r->sku, fn, c);
    pl_label_job_t j;
    for (int k = 0; k < 3 && !rc; k++)
        if (c->label_job[k] && pl_job_get(c->txn, c->label_job[k], &j) == 0 &&
            j.state == PL_JOB_ACKED)
            rc = fn(&j, c);
    return rc;
}

static int label_cause(ctx_t *c)
{
    int rc = pl_label_each(c->txn, c->r->sku, note_label, c);
    if (!rc)
        rc = jobs_each(c, note_job_scope);
    if (!rc && c->label_scope >= 0)
        rc = jobs_each(c, judge_job);
    if (c->superseded_late)
        c->not_printed = 1;
    return rc;
}

/* ---- the regular price and the promotions ----------------------------------- */

static int note_price(const pl_price_t *p, void *arg)
{
    ctx_t *c = arg;
    int k = scope_rank(c, p->scope);
    /* The level must agree with the scope: a zone row never counts as the
     * store's because a zone and a store share a name. */
    if (k < 0 || p->level != (uint8_t)(2 - k) || p->start > c->r->at)
        return 0;
    if (c->best_start[k] == PL_TIME_NONE || p->start >= c->best_start[k]) {
        c->best_start[k] = p->start;
        c->best_price[k] = p->price;
    }
    return 0;
}

static int64_t regular_price(ctx_t *c)
{
    for (int k = 0; k < 3; k++)
        if (c->best_start[k] != PL_TIME_NONE && c->best_price[k] != PL_PRICE_REMOVED)
            return c->best_price[k];
    return PL_PRICE_NONE;
}

/* Does promotion pr apply to the store at `at` for any customer? */
static int promo_in_force(const ctx_t *c, const pl_promo_t *pr, int64_t at)
{
    if (pr->member_only || at < pr->start || at >= pr->end ||
        (pr->cancelled_at != PL_TIME_NONE && at >= pr->cancelled_at))
        return 0;
    if (pr->scope_kind == PL_SCOPE_ALL)
        return 1;
    const char *want = pr->scope_kind == PL_SCOPE_ZONES ? c->st.zone : c->st.id;
    for (int i = 0; i < pr->nscope && i < PL_PROMO_SCOPE_MAX; i++)
        if (want[0] && strcmp(pr->scope[i], want) == 0)
            return 1;
    return 0;
}

static int match_promo(const pl_promo_t *pr, void *arg)
{
    ctx_t *c = arg;
    int64_t p = pr->price;
    if (p == PL_PRICE_NONE) {
        if (c->regular == PL_PRICE_NONE || c->regular < 0)
            return 0;
        p = c->regular - (c->regular * pr->pct_off_bp + 9999) / 10000;
    }
    if (p != c->r->shelf_price || promo_in_force(c, pr, c->r->at))
        return 0;
    return 1; /* stops the walk: a sign out of place */
}

/* ---- corrections ------------------------------------------------------------ */

static int match_correction(const pl_price_t *p, void *arg)
{
    ctx_t *c = arg;
    pl_batch_rec_t b;
    int k = scope_rank(c, p->scope);
    if (k < 0 || p->level != (uint8_t)(2 - k) || p->recorded_at <= c->r->at ||
        p->recorded_at > c->known_until || !p->batch[0])
        return 0;
    if (pl_batch_get(c->txn, p->batch, &b) != 0 || strcmp(b.reason, CORRECTION_REASON) != 0)
        return 0;
    c->corrected = 1;
    return 1;
}

/* ---- the rule ------------------------------------------------------------------ */

pl_report_cause_t pl_report_cause(pl_txn_t *txn, const pl_report_t *r, int64_t known_until)
{
    switch (r->kind) {
    case PL_REPORT_NO_SCAN:
        return PL_CAUSE_NO_SCAN;
    case PL_REPORT_NAME:
        return PL_CAUSE_ITEM_DATA;
    case PL_REPORT_PRICE:
        break;
    default:
        return PL_CAUSE_UNKNOWN;
    }
    if (!r->sku[0] || pl_store_get(txn, r->store, &(pl_store_t){0}) != 0)
        return PL_CAUSE_UNKNOWN;
    ctx_t c = {.txn = txn, .r = r, .known_until = known_until, .label_scope = -1};
    pl_store_get(txn, r->store, &c.st);
    c.scopes[0] = c.st.id;
    c.scopes[1] = c.st.zone[0] ? c.st.zone : NULL;
    c.scopes[2] = "";
    for (int k = 0; k < 3; k++) {
        c.best_start[k] = PL_TIME_NONE;
        c.best_price[k] = PL_PRICE_NONE;
    }

    if (pl_price_each(txn, r->sku, match_correction, &c) < 0)
        return PL_CAUSE_UNKNOWN;
    if (c.corrected)
        return PL_CAUSE_SYSTEM_PRICE;
    int rc = label_cause(&c);
    free(c.jobs);
    if (rc < 0)
        return PL_CAUSE_UNKNOWN;
    if (c.not_printed)
        return PL_CAUSE_LABEL_NOT_PRINTED;
    if (c.not_placed)
        return PL_CAUSE_LABEL_NOT_PLACED;
    if (r->shelf_price == PL_PRICE_NONE || pl_price_each(txn, r->sku, note_price, &c) < 0)
        return PL_CAUSE_UNKNOWN;
    c.regular = regular_price(&c);
    if (pl_promo_each_for_item(txn, r->sku, match_promo, &c) == 1)
        return PL_CAUSE_PROMO_SIGN;
    return PL_CAUSE_UNKNOWN;
}
