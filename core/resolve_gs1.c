/* What the GS1 data of a 2D code does to an answer: a weight or amount
 * (AI 310n, 392n/393n), expiry (AI 17, 7003) and best-before (AI 15) dates
 * in the catalogue's offset, the expiry markdown rules, recalls of lots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pricelane/err.h"
#include "pricelane/str.h"
#include "pricelane/timefmt.h"
#include "resolve_int.h"

static void blocked(pl_answer_t *a, const char *reason, const char *fmt, const char *date)
{
    a->status = PL_ANS_BLOCKED;
    a->reason = reason;
    snprintf(a->error, sizeof(a->error), fmt, date);
}

static void date_str(const pl_gs1_date_t *d, char *out)
{
    snprintf(out, 16, "%04d-%02d-%02d", d->y % 10000, d->m, d->d);
}

int resolve_yday(const pl_resolver_t *r, int m, int d)
{
    static const short before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    return before[m - 1] + (m > 2 ? r->leap : 0) + d - 1;
}

/* The midnight that ends date d in the catalogue's offset. A date of this
 * year is counted from the resolver's day, kept while now is in it (no
 * calendar conversion per lookup); another year's is converted. */
static int64_t end_of(const pl_resolver_t *r, const pl_gs1_date_t *d)
{
    if (d->y == r->year)
        return r->day_from + (int64_t)(resolve_yday(r, d->m, d->d) - r->yday + 1) * 86400;
    return pl_time_local(d->y, d->m, d->d + 1, 0, 0, r->utc_offset);
}

static void until(pl_answer_t *a, int64_t t)
{
    if (t < a->valid_until)
        a->valid_until = t;
}

static int in_scope(const pl_xmd_t *x, const char *store, const char *zone)
{
    if (x->scope_kind == PL_SCOPE_ALL)
        return 1;
    const char *want = x->scope_kind == PL_SCOPE_STORES ? store : zone;
    for (int i = 0; want && i < x->nscope; i++)
        if (!strcmp(x->scope[i], want))
            return 1;
    return 0;
}

static int for_item(const pl_xmd_t *x, const char *sku, const char *dept)
{
    if (x->dept[0] && strcmp(x->dept, dept) != 0)
        return 0;
    for (int i = 0; i < x->nitems; i++)
        if (!strcmp(x->items[i], sku))
            return 1;
    return !x->nitems;
}

/* Whether rule x (a markdown or a best-before rule) reaches this answer's
 * item (a->sku, or its department) at the store and is in force at now;
 * the answer's validity ends at the rule's next start or end. */
static int rule_in_force(const pl_xmd_t *x, const char *store, const char *zone, const char *dept,
                         int64_t now, pl_answer_t *a)
{
    if (!for_item(x, a->sku, dept) || !in_scope(x, store, zone))
        return 0;
    if (now < x->start) {
        until(a, x->start);
        return 0;
    }
    if (x->end != PL_TIME_NONE && now >= x->end)
        return 0;
    if (x->end != PL_TIME_NONE)
        until(a, x->end);
    return 1;
}

/* The expiry markdown for a pack with `left` days to its date: the rule
 * of highest priority, then largest percentage, then smallest id, among
 * those in force at now for this item and store. Applied when it lowers the
 * price (rounded down: the customer's favour). The answer then holds until
 * the next midnight (a day less to go) and the rules' next start or end. */
static void expiry_markdown(const pl_resolver_t *r, const char *store, const char *zone,
                            const char *dept, int64_t left, int64_t midnight, int64_t now,
                            pl_answer_t *a)
{
    const pl_xmd_t *best = NULL;
    for (size_t i = 0; i < r->nxmd; i++) {
        const pl_xmd_t *x = &r->xmd[i];
        if (x->kind != PL_XMD_MARKDOWN || !rule_in_force(x, store, zone, dept, now, a))
            continue;
        if (left > x->days)
            continue;
        if (!best || x->priority > best->priority ||
            (x->priority == best->priority && x->pct_off_bp > best->pct_off_bp))
            best = x; /* the table is in id order: the smallest id wins ties */
    }
    until(a, midnight);
    if (!best || a->price == PL_PRICE_NONE)
        return;
    int64_t p = a->price * (10000 - best->pct_off_bp) / 10000;
    if (p >= a->price)
        return;
    a->price = p;
    a->source = "expiry_markdown";
    pl_str_copy(a->promo_id, sizeof(a->promo_id), best->id);
    a->promo_ends = PL_TIME_NONE;
}

/* Whether a past best-before date blocks this pack: the best-before rule
 * in force at now for the item, its department and the store with the
 * highest priority (then the smallest id), else the server's setting
 * (block: PL_LOOKUP_BEST_BEFORE in flags). The answer holds until the
 * rules' next start or end. */
static int best_before_blocks(const pl_resolver_t *r, const char *store, const char *zone,
                              const char *dept, unsigned flags, int64_t now, pl_answer_t *a)
{
    const pl_xmd_t *best = NULL;
    for (size_t i = 0; i < r->nxmd; i++) {
        const pl_xmd_t *x = &r->xmd[i];
        if (x->kind == PL_XMD_MARKDOWN || !rule_in_force(x, store, zone, dept, now, a))
            continue;
        if (!best || x->priority > best->priority)
            best = x; /* the table is in id order: the smallest id wins ties */
    }
    if (best)
        return best->kind == PL_XMD_BB_BLOCK;
    return (flags & PL_LOOKUP_BEST_BEFORE) != 0;
}

/* Whether date e has ended at now: then a is blocked for reason, its error
 * fmt with the date; else a holds until it ends. */
static int past(const pl_resolver_t *r, const pl_gs1_date_t *e, int64_t now, const char *reason,
                const char *fmt, pl_answer_t *a)
{
    int64_t t = end_of(r, e);
    if (now < t) {
        until(a, t);
        return 0;
    }
    char d[16];
    date_str(e, d);
    blocked(a, reason, fmt, d);
    return 1;
}

/* 310n weight, 392n/393n amount, then expiry and best-before. */
void resolve_apply_gs1(const pl_resolver_t *r, const rstore_t *st, const char *dept, unsigned flags,
                       int64_t now, pl_answer_t *a)
{
    const pl_gs1_t *g = &a->gs1;
    int off = r->utc_offset;
    int recalled = a->status == PL_ANS_BLOCKED;
    if (g->weight_g >= 0 && !recalled) {
        pl_code_t c = {.measure = PL_MEASURE_WEIGHT, .amount = g->weight_g};
        resolve_apply_measure(&c, a);
    }
    if (g->amount >= 0 && !recalled) {
        int minor = 0, ours = pl_gs1_currency(r->currency, &minor);
        if (g->currency && g->currency != ours) {
            a->status = PL_ANS_BAD_CODE;
            snprintf(a->error, sizeof(a->error),
                     "GS1 AI (393%d): amount in currency %03d, the catalogue's is %s (%03d)",
                     g->amount_dec, g->currency, r->currency, ours);
            return;
        }
        if (!ours) {
            a->status = PL_ANS_BAD_CODE;
            snprintf(a->error, sizeof(a->error),
                     "GS1 AI (39%c%d): the catalogue's currency %s has no known minor unit",
                     g->currency ? '3' : '2', g->amount_dec, r->currency);
            return;
        }
        /* to minor units, rounded down: never against the customer */
        int64_t v = g->amount;
        for (int i = g->amount_dec; i < minor; i++)
            v *= 10;
        for (int i = minor; i < g->amount_dec; i++)
            v /= 10;
        pl_code_t c = {.measure = PL_MEASURE_PRICE, .amount = v};
        resolve_apply_measure(&c, a);
    }
    /* A YYMMDD date's century follows the year of now. */
    until(a, r->year_to);
    if (recalled)
        return; /* a recall says more than a date */
    if (g->expiry_at.y) {
        const pl_gs1_date_t *e = &g->expiry_at;
        int64_t t =
            end_of(r, e) - 86400 + (g->expiry_hhmm / 100) * 3600 + (g->expiry_hhmm % 100) * 60;
        char ts[40];
        if (now >= t) {
            pl_time_format(t, off, ts, sizeof(ts));
            blocked(a, "expired", "expired at %s (AI 7003)", ts);
            return;
        }
        until(a, t);
    }
    if (g->expiry.y && past(r, &g->expiry, now, "expired", "expired on %s (AI 17)", a))
        return;
    if (g->best_before.y &&
        best_before_blocks(r, st ? st->st.id : NULL, st ? st->st.zone : "", dept, flags, now, a) &&
        past(r, &g->best_before, now, "best_before", "best before %s (AI 15)", a))
        return;
    /* days to the pack's date: expiry, else best-before */
    const pl_gs1_date_t *due = g->expiry.y ? &g->expiry : g->best_before.y ? &g->best_before : NULL;
    if (due && r->nxmd && a->status == PL_ANS_OK) {
        int64_t left = (end_of(r, due) - 86400 - r->day_from) / 86400;
        expiry_markdown(r, st ? st->st.id : NULL, st ? st->st.zone : "", dept, left, r->day_to, now,
                        a);
    }
}

struct recall_check {
    pl_answer_t *a;
    int64_t now;
    const pl_recall_t *hit; /* the first recall in force (id order) */
    pl_recall_t first;
};

static int recall_one(const pl_recall_t *rc, void *arg)
{
    struct recall_check *c = arg;
    pl_recall_t open = *rc;
    open.start = INT64_MIN;
    open.end = PL_TIME_NONE;
    if (!pl_recall_matches(&open, c->a->gtin, c->a->gs1.lot, c->now))
        return 0; /* not this pack, at any instant */
    if (c->now < rc->start) {
        until(c->a, rc->start);
    } else if (rc->end == PL_TIME_NONE || c->now < rc->end) {
        if (rc->end != PL_TIME_NONE)
            until(c->a, rc->end);
        if (!c->hit) {
            c->first = *rc;
            c->hit = &c->first;
        }
    }
    return 0;
}

int resolve_check_recall(pl_resolver_t *r, int64_t now, pl_answer_t *a)
{
    if (!a->gs1.lot[0] || !r->recalls)
        return 0;
    struct recall_check c;
    memset(&c, 0, sizeof(c));
    c.a = a;
    c.now = now;
    int rc = pl_recall_each_for_item(r->txn, a->sku, recall_one, &c);
    if (rc)
        return resolve_fail(a, PL_ANS_ERROR, rc, "catalogue: %s", pl_strerror(rc));
    if (!c.hit)
        return 0;
    a->status = PL_ANS_BLOCKED;
    a->reason = "recalled";
    /* the recall's text, for the cashier (it fits: PL_RECALL_TEXT_MAX) */
    pl_str_copy(a->error, sizeof(a->error), c.hit->text);
    return 1;
}
