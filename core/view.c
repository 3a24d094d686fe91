/* Building an item view from the catalogue and evaluating it at an instant.
 * See view.h for what a view holds and why. */
#include <stdlib.h>
#include <string.h>

#include "pricelane/err.h"
#include "view.h"

/* What a catalogue can hold (the loader's money limit is 10^12 minor units,
 * percentages are below 100%, instants lie in years 0000-9999), with a
 * margin. Evaluation does arithmetic on these values (percent off, the
 * instant before a change, the 7-day window), so a view holding anything
 * else is corrupt, not a view to answer from. */
#define VIEW_MONEY_MAX 10000000000000LL /* 10^13 */
#define VIEW_TIME_MAX 1000000000000LL   /* 10^12 s: about year 33658 */

static int money_ok(int64_t v)
{
    return v >= 0 && v <= VIEW_MONEY_MAX;
}

static int time_ok(int64_t t)
{
    return t >= -VIEW_TIME_MAX && t <= VIEW_TIME_MAX;
}

static int values_ok(const view_t *v)
{
    if (!time_ok(v->built_at))
        return 0;
    for (int i = 0; i < v->nprices; i++) {
        const view_price_t *e = &v->prices[i];
        if ((e->price != PL_PRICE_REMOVED && !money_ok(e->price)) || !time_ok(e->start))
            return 0;
    }
    for (int i = 0; i < v->npromos; i++) {
        const view_promo_t *p = &v->promos[i];
        if ((p->price != PL_PRICE_NONE && !money_ok(p->price)) || p->pct_off_bp < 0 ||
            p->pct_off_bp > 10000 || !time_ok(p->start) || !time_ok(p->end))
            return 0;
    }
    for (int i = 0; i < v->nlabels; i++) {
        const view_label_t *l = &v->labels[i];
        if ((l->price != PL_PRICE_NONE && !money_ok(l->price)) ||
            (l->due != PL_TIME_NONE && !time_ok(l->due)) ||
            (l->place_due != PL_TIME_NONE && !time_ok(l->place_due)))
            return 0;
    }
    return 1;
}

/* ---- build ---------------------------------------------------------------- */

struct build {
    view_t *v;
    const char *zone, *store;
    int64_t cutoff; /* now - VIEW_WINDOW: older rows only matter as "in force then" */
    const char *(*zone_of)(void *arg, const char *store);
    void *arg;
    int too_big;
    const view_hooks_t *h;
};

#define HOOK(b, name, row)                                                                         \
    do {                                                                                           \
        if ((b)->h && (b)->h->name)                                                                \
            (b)->h->name((b)->h->arg, row);                                                        \
    } while (0)

static int in_view_store(struct build *b, const char *store)
{
    if (b->store)
        return strcmp(store, b->store) == 0;
    const char *z = b->zone_of ? b->zone_of(b->arg, store) : NULL;
    return z && strcmp(z, b->zone) == 0;
}

static int add_price(const pl_price_t *p, void *arg)
{
    struct build *b = arg;
    view_t *v = b->v;
    HOOK(b, price, p);
    if (p->level == PL_LEVEL_ZONE && strcmp(p->scope, b->zone) != 0)
        return 0;
    if (p->level == PL_LEVEL_STORE && !in_view_store(b, p->scope))
        return 0;
    /* Rows arrive ordered by level, scope, start. Of the rows that started
     * before the cutoff only the latest can still matter: it replaces the
     * previous row of the same group. */
    if (v->nprices > 0 && p->start <= b->cutoff) {
        view_price_t *last = &v->prices[v->nprices - 1];
        if (last->level == p->level && strcmp(last->scope, p->scope) == 0 &&
            last->start <= b->cutoff)
            v->nprices--;
    }
    if (v->nprices == VIEW_PRICES) {
        b->too_big = 1;
        return 0;
    }
    view_price_t *e = &v->prices[v->nprices++];
    e->start = p->start;
    e->price = p->price;
    e->level = p->level;
    e->scheduled = p->scheduled;
    memcpy(e->scope, p->scope, sizeof(e->scope));
    return 0;
}

static int add_promo(const pl_promo_t *pr, void *arg)
{
    struct build *b = arg;
    view_t *v = b->v;
    HOOK(b, promo, pr);
    int64_t end = pr->end;
    if (pr->cancelled_at != PL_TIME_NONE && pr->cancelled_at < end)
        end = pr->cancelled_at;
    if (end <= pr->start || end <= b->cutoff)
        return 0; /* never ran, or over before anything we answer about */
    view_promo_t e;
    memset(&e, 0, sizeof(e));
    if (pr->scope_kind == PL_SCOPE_ZONES) {
        int hit = 0;
        for (int i = 0; i < pr->nscope; i++)
            hit |= strcmp(pr->scope[i], b->zone) == 0;
        if (!hit)
            return 0;
    } else if (pr->scope_kind == PL_SCOPE_STORES) {
        for (int i = 0; i < pr->nscope; i++) {
            if (!in_view_store(b, pr->scope[i]))
                continue;
            if (e.nstores == VIEW_PROMO_STORES) {
                b->too_big = 1;
                return 0;
            }
            memcpy(e.stores[e.nstores++], pr->scope[i], PL_SCOPE_MAX + 1);
        }
        if (!e.nstores)
            return 0;
    }
    if (v->npromos == VIEW_PROMOS) {
        b->too_big = 1;
        return 0;
    }
    e.start = pr->start;
    e.end = end;
    e.price = pr->price;
    e.pct_off_bp = pr->pct_off_bp;
    e.priority = pr->priority;
    e.kind = pr->kind;
    e.member_only = pr->member_only;
    memcpy(e.id, pr->id, sizeof(e.id));
    v->promos[v->npromos++] = e;
    return 0;
}

static int label_scope_wanted(struct build *b, const char *scope)
{
    return !scope[0] || strcmp(scope, b->zone) == 0 || in_view_store(b, scope);
}

static view_label_t *label_slot(struct build *b, const char *scope)
{
    view_t *v = b->v;
    for (int i = 0; i < v->nlabels; i++)
        if (strcmp(v->labels[i].scope, scope) == 0)
            return &v->labels[i];
    if (v->nlabels == VIEW_LABELS) {
        b->too_big = 1;
        return NULL;
    }
    view_label_t *l = &v->labels[v->nlabels++];
    memcpy(l->scope, scope, sizeof(l->scope));
    l->price = PL_PRICE_NONE;
    l->due = PL_TIME_NONE;
    l->place_due = PL_TIME_NONE;
    return l;
}

static int add_label(const pl_label_t *lb, void *arg)
{
    struct build *b = arg;
    HOOK(b, label, lb);
    view_label_t *l = label_scope_wanted(b, lb->scope) ? label_slot(b, lb->scope) : NULL;
    if (l) {
        l->price = lb->price;
        if (lb->placed_at == PL_TIME_NONE)
            l->place_due = lb->due != PL_TIME_NONE ? lb->due : lb->printed_at;
    }
    return 0;
}

static int add_job(const pl_label_job_t *j, void *arg)
{
    struct build *b = arg;
    HOOK(b, job, j);
    view_label_t *l = label_scope_wanted(b, j->scope) ? label_slot(b, j->scope) : NULL;
    if (l && (l->due == PL_TIME_NONE || j->due < l->due))
        l->due = j->due;
    return 0;
}

static int first_gtin(const char *key, void *arg)
{
    if (strlen(key) != 14)
        return 0; /* a scale PLU key, not a printable barcode */
    memcpy(arg, key, 15);
    return 1;
}

int view_build(pl_txn_t *txn, const char *sku, const char *zone, const char *store, int64_t now,
               const char *(*zone_of)(void *arg, const char *store), void *arg, view_t *v)
{
    return view_build_hooked(txn, sku, zone, store, now, zone_of, arg, NULL, v);
}

/* The record's rows go through the same filters as the walks' rows. */
static int rec_price(const pl_price_t *p, void *arg)
{
    return add_price(p, arg);
}

static int rec_promo(const pl_promo_t *pr, void *arg)
{
    return add_promo(pr, arg);
}

static int rec_label(const pl_label_t *lb, void *arg)
{
    return add_label(lb, arg);
}

static int rec_job(const pl_label_job_t *j, void *arg)
{
    return add_job(j, arg);
}

/* What every build ends with: the view's tags and its checks. */
static int build_end(struct build *b, int rc, int64_t now)
{
    view_t *v = b->v;
    v->format = VIEW_FORMAT;
    v->built_at = now;
    v->per_store = b->store != NULL;
    memcpy(v->zone, b->zone, strnlen(b->zone, PL_SCOPE_MAX));
    if (!rc && b->too_big)
        rc = PL_ETOOBIG;
    if (!rc && !values_ok(v))
        rc = PL_ECORRUPT;
    return rc;
}

int view_build_hooked(pl_txn_t *txn, const char *sku, const char *zone, const char *store,
                      int64_t now, const char *(*zone_of)(void *arg, const char *store), void *arg,
                      const view_hooks_t *hooks, view_t *v)
{
    memset(v, 0, offsetof(view_t, prices));
    struct build b = {v, zone, store, now - VIEW_WINDOW, zone_of, arg, 0, hooks};
    /* A lookup reads the item's record (one descent) when one serves; a
     * caller that wants every row (hooks) reads the rows. */
    int rc = 1;
    if (!hooks) {
        const pl_item_rows_fn_t fn = {rec_price, rec_promo, rec_label, rec_job, &b};
        rc = pl_item_rows(txn, sku, now, &v->item, v->gtin, &fn);
    }
    if (rc == 1) {
        rc = pl_item_get(txn, sku, &v->item);
        if (rc)
            return rc;
        rc = pl_cat_barcode_each(txn, sku, first_gtin, v->gtin);
        if (rc == 1)
            rc = 0;
        if (!rc)
            rc = pl_price_each(txn, sku, add_price, &b);
        if (!rc)
            rc = pl_promo_each_for_item(txn, sku, add_promo, &b);
        if (!rc && !(hooks && hooks->no_labels))
            rc = pl_label_each(txn, sku, add_label, &b);
        if (!rc && !(hooks && hooks->no_labels))
            rc = pl_job_each_for_item(txn, sku, add_job, &b);
    }
    return build_end(&b, rc, now);
}

int view_build_code(pl_txn_t *txn, const char *key, const char *zone, int64_t now,
                    const char *(*zone_of)(void *arg, const char *store), void *arg, view_t *v,
                    char *sku)
{
    memset(v, 0, offsetof(view_t, prices));
    struct build b = {v, zone, NULL, now - VIEW_WINDOW, zone_of, arg, 0, NULL};
    const pl_item_rows_fn_t fn = {rec_price, rec_promo, rec_label, rec_job, &b};
    int rc = pl_code_rows(txn, key, now, sku, &v->item, v->gtin, &fn);
    return rc == 1 ? 1 : build_end(&b, rc, now);
}

/* ---- evaluate ------------------------------------------------------------- */

typedef struct price_at {
    int64_t price;
    const char *source;
    const view_promo_t *promo;
} price_at_t;

static const char *const level_source[] = {"base", "zone", "store"};

/* The rows in force at t: per level, the latest row with start <= t (of
 * store rows, the store's own only). */
static void rows_at(const view_t *v, const char *store, int64_t t, const view_price_t *best[3])
{
    best[0] = best[1] = best[2] = NULL;
    for (int i = 0; i < v->nprices; i++) {
        const view_price_t *e = &v->prices[i];
        if (e->start > t || e->level > PL_LEVEL_STORE)
            continue;
        if (e->level == PL_LEVEL_STORE && (!store || strcmp(e->scope, store) != 0))
            continue;
        if (!best[e->level] || e->start >= best[e->level]->start)
            best[e->level] = e;
    }
}

/* The regular (non-promotional) price of those rows: the most specific
 * level's; a withdrawn override falls through. */
static int regular_of(const view_price_t *const best[3], price_at_t *out)
{
    for (int l = PL_LEVEL_STORE; l >= PL_LEVEL_BASE; l--) {
        if (best[l] && best[l]->price != PL_PRICE_REMOVED) {
            out->price = best[l]->price;
            out->source = best[l]->scheduled ? "scheduled" : level_source[l];
            out->promo = NULL;
            return 1;
        }
    }
    return 0;
}

static int promo_applies(const view_promo_t *p, const char *store, int64_t t, int member)
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
static int64_t promo_price(const view_promo_t *p, int64_t regular)
{
    if (p->price != PL_PRICE_NONE)
        return p->price;
    return regular - (regular * p->pct_off_bp + 9999) / 10000;
}

/* Applies the winning promotion at t to the regular price in out when it
 * is lower. Winner: highest priority, then lowest price, then smallest id. */
static void promo_at(const view_t *v, const char *store, int64_t t, int member, price_at_t *out)
{
    const view_promo_t *win = NULL;
    int64_t win_price = 0;
    for (int i = 0; i < v->npromos; i++) {
        const view_promo_t *p = &v->promos[i];
        if (!promo_applies(p, store, t, member))
            continue;
        int64_t pp = promo_price(p, out->price);
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
}

/* The price charged at t: the regular price, or the winning promotion when
 * it is lower. 0 when no price is in force. */
static int price_at(const view_t *v, const char *store, int64_t t, int member, price_at_t *out)
{
    const view_price_t *best[3];
    rows_at(v, store, t, best);
    if (!regular_of(best, out))
        return 0;
    promo_at(v, store, t, member, out);
    return 1;
}

/* Instants at which the charged price may change, in no order: every price
 * row's start, every promotion's start and end. */
static int change_instants(const view_t *v, int64_t *out)
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

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The change instants up to now, newest first, each once. A view has a few
 * (one price row and no promotion is the common case): an insertion sort
 * in place, qsort past a few dozen. */
static int breakpoints(const view_t *v, int64_t now, int64_t *out)
{
    int64_t all[VIEW_PRICES + 2 * VIEW_PROMOS];
    int n = change_instants(v, all), m = 0;
    for (int i = 0; i < n; i++)
        if (all[i] <= now)
            out[m++] = all[i];
    if (m > 32) {
        qsort(out, (size_t)m, sizeof(*out), cmp_desc);
    } else {
        for (int i = 1; i < m; i++) {
            int64_t x = out[i];
            int j = i;
            for (; j > 0 && out[j - 1] < x; j--)
                out[j] = out[j - 1];
            out[j] = x;
        }
    }
    int k = 0;
    for (int i = 0; i < m; i++)
        if (!k || out[i] != out[k - 1])
            out[k++] = out[i];
    return k;
}

/* The label a store's shelf shows is the one of the most specific scope
 * (store, then zone, then chain) that has a printed label or a pending job;
 * a reprint is pending when that scope has a job due by now. A scope with a
 * job but no printed label yet still shows the next scope's label. */
static void label_eval(const view_t *v, const char *store, int64_t now, pl_answer_t *a)
{
    const char *order[3] = {store ? store : NULL, v->zone[0] ? v->zone : NULL, ""};
    int scope_found = 0;
    a->label_price = PL_PRICE_NONE;
    a->label_pending = 0;
    a->label_step = PL_LABEL_STEP_NONE;
    for (int k = 0; k < 3; k++) {
        if (!order[k])
            continue;
        for (int i = 0; i < v->nlabels; i++) {
            const view_label_t *l = &v->labels[i];
            if (strcmp(l->scope, order[k]) != 0)
                continue;
            if (!scope_found && l->due != PL_TIME_NONE && l->due <= now)
                a->label_pending = 1, a->label_step = PL_LABEL_STEP_PRINT;
            else if (!scope_found && l->place_due != PL_TIME_NONE && l->place_due <= now)
                a->label_step = PL_LABEL_STEP_PLACE;
            scope_found = 1;
            if (a->label_price == PL_PRICE_NONE && l->price != PL_PRICE_NONE)
                a->label_price = l->price;
        }
        if (a->label_price != PL_PRICE_NONE)
            return;
    }
}

/* The charged price over each stretch between the change instants up to
 * now (bp[0] > bp[1] > ... > bp[n-1], all <= now): every comparison in
 * price_at is of t with a change instant, so the price is the same at
 * every t of [bp[i], bp[i-1]) and of [bp[0], now]. seg(i) is that price
 * over [bp[i], ...), computed at most once; seg(n), before the first
 * instant, has no price (a price row's start is one of them). */
typedef struct segs {
    const view_t *v;
    const char *store;
    int member;
    const int64_t *bp;
    int n;
    int64_t price[VIEW_PRICES + 2 * VIEW_PROMOS + 1];
    uint8_t known[VIEW_PRICES + 2 * VIEW_PROMOS + 1];
} segs_t;

static int64_t seg(segs_t *s, int i)
{
    if (i >= s->n)
        return PL_PRICE_NONE;
    if (!s->known[i]) {
        price_at_t x;
        s->price[i] = price_at(s->v, s->store, s->bp[i], s->member, &x) ? x.price : PL_PRICE_NONE;
        s->known[i] = 1;
    }
    return s->price[i];
}

int view_eval(const view_t *v, const char *store, int64_t now, int member, pl_answer_t *a)
{
    price_at_t cur;
    const view_price_t *best[3];
    if (store && !store[0])
        store = NULL;
    /* one pass over the rows gives the regular price and the base price */
    rows_at(v, store, now, best);
    if (!regular_of(best, &cur))
        return PL_ENOTFOUND;
    promo_at(v, store, now, member, &cur);
    a->price = cur.price;
    a->source = cur.source;
    a->promo_id[0] = 0;
    a->promo_ends = PL_TIME_NONE;
    if (cur.promo) {
        memcpy(a->promo_id, cur.promo->id, sizeof(a->promo_id));
        a->promo_ends = cur.promo->end;
    }
    const view_price_t *base = best[PL_LEVEL_BASE];
    a->base_price = base && base->price != PL_PRICE_REMOVED ? base->price : PL_PRICE_NONE;

    int64_t bp[VIEW_PRICES + 2 * VIEW_PROMOS];
    segs_t s;
    s.v = v, s.store = store, s.member = member, s.bp = bp;
    s.n = breakpoints(v, now, bp);
    memset(s.known, 0, (size_t)s.n);
    if (s.n) {
        s.price[0] = cur.price; /* [bp[0], now] */
        s.known[0] = 1;
    }
    /* The previous price: back from now over the change instants of the
     * last 7 days, the price just before the first one where it differs.
     * Not further: a view keeps of the rows older than 7 days only those in
     * force 7 days before it was built, so a change older than that would be
     * seen or not depending on when the view was built (a view cached a
     * week ago, an item record written then, or one built now). Just before
     * an instant inside the window, every view has the rows in force. */
    int64_t from = now - VIEW_WINDOW;
    a->prev_price = PL_PRICE_NONE;
    a->prev_changed_at = PL_TIME_NONE;
    for (int i = 0; i < s.n && bp[i] > from; i++) {
        int64_t before = seg(&s, i + 1);
        if (before == PL_PRICE_NONE)
            break; /* no price before this: the item was new then */
        if (before != cur.price) {
            a->prev_price = before;
            a->prev_changed_at = bp[i];
            break;
        }
    }

    /* The lowest over [now - 7 days, now): the price at the window's start
     * and at each change inside it. */
    a->low_7d = PL_PRICE_NONE;
    for (int i = 0; i < s.n; i++) {
        if (bp[i] >= now)
            continue;
        int64_t x = seg(&s, i);
        if (x != PL_PRICE_NONE && (a->low_7d == PL_PRICE_NONE || x < a->low_7d))
            a->low_7d = x;
        if (bp[i] <= from)
            break; /* the stretch the window starts in */
    }
    label_eval(v, store, now, a);
    return 0;
}

static void sooner(int64_t *until, int64_t now, int64_t t, int64_t add)
{
    if (t == PL_TIME_NONE || t > INT64_MAX - add)
        return;
    t += add;
    if (t > now && t < *until)
        *until = t;
}

/* view_eval compares now with each breakpoint b as "b > now" and "b >= now"
 * (so b and b + 1 matter) and with now - VIEW_WINDOW against b (b +
 * VIEW_WINDOW), and with each label job's due instant. */
int64_t view_next_change(const view_t *v, int64_t now)
{
    int64_t until = INT64_MAX;
    int64_t bp[VIEW_PRICES + 2 * VIEW_PROMOS];
    int n = change_instants(v, bp);
    for (int i = 0; i < n; i++) {
        sooner(&until, now, bp[i], 0);
        sooner(&until, now, bp[i], 1);
        sooner(&until, now, bp[i], VIEW_WINDOW);
        sooner(&until, now, bp[i], VIEW_WINDOW + 1);
    }
    for (int i = 0; i < v->nlabels; i++)
        sooner(&until, now, v->labels[i].due, 0), sooner(&until, now, v->labels[i].place_due, 0);
    return until;
}

/* ---- pack / unpack -------------------------------------------------------- */

size_t view_pack(const view_t *v, void *buf, size_t cap)
{
    size_t head = offsetof(view_t, prices);
    size_t np = v->nprices * sizeof(view_price_t), nq = v->npromos * sizeof(view_promo_t);
    size_t nl = v->nlabels * sizeof(view_label_t);
    size_t len = head + np + nq + nl;
    if (len > cap)
        return 0;
    uint8_t *p = buf;
    memcpy(p, v, head);
    memcpy(p + head, v->prices, np);
    memcpy(p + head + np, v->promos, nq);
    memcpy(p + head + np + nq, v->labels, nl);
    return len;
}

/* The checks after the copy, for both unpacks. */
static int unpack_finish(view_t *v)
{
    /* Shared memory is not trusted to hold terminated strings. */
#define TERMINATE(s) ((s)[sizeof(s) - 1] = 0)
    TERMINATE(v->zone);
    TERMINATE(v->gtin);
    TERMINATE(v->item.sku);
    TERMINATE(v->item.name);
    TERMINATE(v->item.unit);
    TERMINATE(v->item.dept);
    TERMINATE(v->item.content_unit);
    TERMINATE(v->item.plu);
    for (int i = 0; i < v->nprices; i++)
        TERMINATE(v->prices[i].scope);
    for (int i = 0; i < v->npromos; i++) {
        TERMINATE(v->promos[i].id);
        if (v->promos[i].nstores > VIEW_PROMO_STORES)
            return PL_ECORRUPT;
        for (int k = 0; k < VIEW_PROMO_STORES; k++)
            TERMINATE(v->promos[i].stores[k]);
    }
    for (int i = 0; i < v->nlabels; i++)
        TERMINATE(v->labels[i].scope);
#undef TERMINATE
    return values_ok(v) ? 0 : PL_ECORRUPT;
}

/* The head's counts against the length: 0, or the error. */
static int unpack_counts(const view_t *v, size_t len)
{
    size_t head = offsetof(view_t, prices);
    if (v->format != VIEW_FORMAT)
        return PL_EVERSION;
    if (v->nprices > VIEW_PRICES || v->npromos > VIEW_PROMOS || v->nlabels > VIEW_LABELS)
        return PL_ECORRUPT;
    size_t np = v->nprices * sizeof(view_price_t), nq = v->npromos * sizeof(view_promo_t);
    size_t nl = v->nlabels * sizeof(view_label_t);
    return len == head + np + nq + nl ? 0 : PL_ECORRUPT;
}

int view_unpack(const void *buf, size_t len, view_t *v)
{
    size_t head = offsetof(view_t, prices);
    if (len < head)
        return PL_ECORRUPT;
    memcpy(v, buf, head);
    int rc = unpack_counts(v, len);
    if (rc)
        return rc;
    size_t np = v->nprices * sizeof(view_price_t), nq = v->npromos * sizeof(view_promo_t);
    size_t nl = v->nlabels * sizeof(view_label_t);
    const uint8_t *p = buf;
    memcpy(v->prices, p + head, np);
    memcpy(v->promos, p + head + np, nq);
    memcpy(v->labels, p + head + np + nq, nl);
    return unpack_finish(v);
}

/* The packed head and prices already lie where the view keeps them (the
 * prices follow the head in both); only the promotions and labels move, from
 * before v->promos to their arrays, so the copies never overlap. */
int view_unpack_in_place(view_t *v, size_t len)
{
    size_t head = offsetof(view_t, prices);
    if (len < head || len > offsetof(view_t, promos))
        return PL_ECORRUPT;
    int rc = unpack_counts(v, len);
    if (rc)
        return rc;
    size_t np = v->nprices * sizeof(view_price_t), nq = v->npromos * sizeof(view_promo_t);
    size_t nl = v->nlabels * sizeof(view_label_t);
    const uint8_t *p = (const uint8_t *)v;
    if (nq)
        memcpy(v->promos, p + head + np, nq);
    if (nl)
        memcpy(v->labels, p + head + np + nq, nl);
    return unpack_finish(v);
}
