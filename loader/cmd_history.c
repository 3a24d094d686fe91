/* history: everything the catalogue knows about one item's prices over time.
 * Price rows are never overwritten, so they are the history; promotions keep
 * their window and cancel instant; labels and pending label jobs say what the
 * shelves show and what is still to be printed. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/timefmt.h"

static const char usage_text[] =
    "usage: pricelane-load history --db DIR [--store S] [--at TIME] CODE\n"
    "\n"
    "Prints the history of the item CODE names. CODE is read as a lookup reads it: a\n"
    "barcode (EAN-13/8, UPC-A/E, GTIN-14, ISBN), a scale label (with the store's\n"
    "scale formats when --store is given) or a keyed item code (SKU).\n"
    "\n"
    "  item        name, unit, pack quantity, department, flags, barcodes\n"
    "  now         the answer a lookup gives at TIME (default: now)\n"
    "  prices      every price row, ordered by the instant it takes effect: level\n"
    "              (base, zone, store) and scope, price ('withdrawn' ends a zone or\n"
    "              store override), source (the level, or 'scheduled' for a price\n"
    "              submitted ahead of its instant), the batch (with its reason, as\n"
    "              '(correction)', when it was sent with one) and when it was recorded\n"
    "  promotions  every promotion naming the item, ordered by start: window, kind,\n"
    "              price or percent off, priority, member-only, scope, cancel instant\n"
    "  labels      the price each shelf-label scope shows, when it was printed and\n"
    "              when it was placed on the shelf ('not yet': printed, not placed)\n"
    "  jobs        the pending label jobs (reprints) of the item\n"
    "\n"
    "  --db DIR    the catalogue\n"
    "  --store S   only the rows that matter to store S (the chain, S's zone, S) and\n"
    "              S's scale formats for CODE\n"
    "  --at TIME   the instant of the 'now' line (RFC 3339, 'YYYY-MM-DD HH:MM' in the\n"
    "              catalogue's offset, or @unix-seconds)\n"
    "\n"
    "Exit status: 0 printed, 1 CODE names no item (or the catalogue could not be\n"
    "read), 2 usage.\n";

typedef struct hist {
    pl_txn_t *txn;
    int off;
    const char *store;
    char zone[PL_SCOPE_MAX + 1];
    void *v;
    size_t n, cap, size;
} hist_t;

/* A growing array of records of h->size bytes. */
static int push(hist_t *h, const void *rec)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        void *n = realloc(h->v, cap * h->size);
        if (!n)
            return -ENOMEM;
        h->v = n;
        h->cap = cap;
    }
    memcpy((char *)h->v + h->n++ * h->size, rec, h->size);
    return 0;
}

/* With --store, a scope matters when it is the chain, the store's zone or
 * the store (zone and store ids share one namespace). */
static int scope_matters(const hist_t *h, const char *scope)
{
    return !h->store || !scope[0] || !strcmp(scope, h->store) ||
           (h->zone[0] && !strcmp(scope, h->zone));
}

static int keep_price(const pl_price_t *p, void *arg)
{
    hist_t *h = arg;
    return scope_matters(h, p->scope) ? push(h, p) : 0;
}

static int keep_promo(const pl_promo_t *pr, void *arg)
{
    hist_t *h = arg;
    int hit = !h->store || pr->scope_kind == PL_SCOPE_ALL;
    for (int i = 0; !hit && i < pr->nscope; i++)
        hit = pr->scope_kind == PL_SCOPE_ZONES ? !strcmp(pr->scope[i], h->zone)
                                               : !strcmp(pr->scope[i], h->store);
    return hit ? push(h, pr) : 0;
}

static int keep_label(const pl_label_t *lb, void *arg)
{
    hist_t *h = arg;
    return scope_matters(h, lb->scope) ? push(h, lb) : 0;
}

static int keep_job(const pl_label_job_t *j, void *arg)
{
    hist_t *h = arg;
    return scope_matters(h, j->scope) ? push(h, j) : 0;
}

static int cmp_price(const void *a, const void *b)
{
    const pl_price_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->level != y->level)
        return x->level - y->level;
    return strcmp(x->scope, y->scope);
}

static int cmp_promo(const void *a, const void *b)
{
    const pl_promo_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int cmp_job(const void *a, const void *b)
{
    const pl_label_job_t *x = a, *y = b;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const char *const level_names[] = {"base", "zone", "store"};

static const char *level_name(int l)
{
    return l >= 0 && l <= PL_LEVEL_STORE ? level_names[l] : "?";
}

static int add_bc(const char *key, void *arg)
{
    char *list = arg;
    size_t n = strlen(list);
    snprintf(list + n, 1024 - n, "%s%s", n ? ", " : "", key[0] == 'P' ? key + 1 : key);
    return 0;
}

static void print_item(pl_txn_t *txn, const pl_item_t *it)
{
    char bcs[1024] = "";
    pl_cat_barcode_each(txn, it->sku, add_bc, bcs);
    printf("item %s  %s\n", it->sku, it->name);
    printf("  unit %s, pack quantity %u%s%s", it->unit, it->pack_qty,
           it->dept[0] ? ", department " : "", it->dept);
    if (it->content)
        printf(", content %u%s", it->content, it->content_unit);
    static const struct {
        unsigned flag;
        const char *name;
    } flags[] = {{PL_ITEM_WEIGHED, "sold by weight"},
                 {PL_ITEM_COUNTED, "counted"},
                 {PL_ITEM_AGE_RESTRICTED, "age-restricted"},
                 {PL_ITEM_DISCONTINUED, "DISCONTINUED"}};
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (it->flags & flags[i].flag)
            printf(", %s", flags[i].name);
    printf("\n  barcodes: %s\n", bcs[0] ? bcs : "none");
    if (it->plu[0])
        printf("  scale code (PLU): %s\n", it->plu);
}

/* The answer a lookup gives. It runs before the history's own read
 * transaction: a thread holds one read transaction at a time. */
static void answer_now(pl_cat_t *cat, const char *store, const char *code, int64_t at,
                       pl_answer_t *a)
{
    pl_resolver_t *r;
    memset(a, 0, sizeof(*a));
    a->status = PL_ANS_ERROR;
    if (pl_resolver_new(cat, NULL, &r) != 0)
        return;
    pl_resolve(r, store, code, strlen(code), at, 0, a);
    pl_resolver_free(r);
}

static void print_now(const pl_answer_t *ap, const char *store, int64_t at, int off)
{
    const pl_answer_t a = *ap;
    char t[40], m1[32], m2[32], m3[32];
    printf("\nnow (%s%s%s):\n", cmd_time(at, off, "?", t, sizeof(t)),
           store ? ", store " : ", chain", store ? store : "");
    if (a.status != PL_ANS_OK) {
        printf("  %s\n", a.error[0] ? a.error : "no answer");
    } else {
        printf("  price %s (%s%s%s%s%s), base %s\n", cmd_money(a.price, "-", m1, sizeof(m1)),
               a.source, a.promo_id[0] ? " " : "", a.promo_id,
               a.promo_ends != PL_TIME_NONE ? " until " : "",
               a.promo_ends != PL_TIME_NONE ? cmd_time(a.promo_ends, off, "", t, sizeof(t)) : "",
               cmd_money(a.base_price, "-", m2, sizeof(m2)));
        printf("  shelf label %s, reprint %s\n", cmd_money(a.label_price, "none", m1, sizeof(m1)),
               a.label_pending ? "PENDING" : "not pending");
        printf("  previous price %s", cmd_money(a.prev_price, "none", m1, sizeof(m1)));
        if (a.prev_changed_at != PL_TIME_NONE)
            printf(" (changed %s)", cmd_time(a.prev_changed_at, off, "", t, sizeof(t)));
        printf(", lowest in the last 7 days %s, generation %" PRIu64 "\n",
               cmd_money(a.low_7d, "none", m3, sizeof(m3)), a.gen);
    }
}

static int print_prices(hist_t *h, const char *sku)
{
    static const char *const head[] = {"FROM",   "LEVEL", "SCOPE",   "PRICE",
                                       "SOURCE", "BATCH", "RECORDED"};
    h->n = 0;
    h->size = sizeof(pl_price_t);
    int rc = pl_price_each(h->txn, sku, keep_price, h);
    if (rc)
        return rc;
    if (h->n)
        qsort(h->v, h->n, h->size, cmp_price);
    printf("\nprices (%zu row%s):\n", h->n, h->n == 1 ? "" : "s");
    cmd_table_t t;
    cmd_table_init(&t, 7, head);
    for (size_t i = 0; i < h->n && !rc; i++) {
        const pl_price_t *p = (const pl_price_t *)h->v + i;
        char from[40], price[32], rec[40], batch[PL_BATCH_ID_MAX + PL_BATCH_REASON_MAX + 8];
        pl_batch_rec_t br;
        /* A batch sent with a reason (a correction) says so beside its id. */
        if (p->batch[0] && pl_batch_get(h->txn, p->batch, &br) == 0 && br.reason[0])
            snprintf(batch, sizeof(batch), "%s (%s)", p->batch, br.reason);
        else
            snprintf(batch, sizeof(batch), "%s", p->batch);
        const char *row[7] = {cmd_time(p->start, h->off, "-", from, sizeof(from)),
                              level_name(p->level),
                              p->scope[0] ? p->scope : "-",
                              p->price == PL_PRICE_REMOVED
                                  ? "withdrawn"
                                  : cmd_money(p->price, "-", price, sizeof(price)),
                              p->scheduled ? "scheduled" : level_name(p->level),
                              batch,
                              cmd_time(p->recorded_at, h->off, "-", rec, sizeof(rec))};
        rc = cmd_table_add(&t, row);
    }
    if (!rc && h->n)
        cmd_table_print(&t, stdout, "  ", 0);
    cmd_table_free(&t);
    return rc;
}

static void scope_text(const pl_promo_t *pr, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "%s",
                                pr->scope_kind == PL_SCOPE_ALL     ? "all"
                                : pr->scope_kind == PL_SCOPE_ZONES ? "zone:"
                                                                   : "store:");
    for (int i = 0; i < pr->nscope && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "|" : "", pr->scope[i]);
}

static int print_promos(hist_t *h, const char *sku)
{
    static const char *const head[] = {"START",  "END",   "PROMO",     "KIND", "PRICE", "PRIORITY",
                                       "MEMBER", "SCOPE", "CANCELLED", "TEXT", "BATCH"};
    h->n = 0;
    h->size = sizeof(pl_promo_t);
    int rc = pl_promo_each_for_item(h->txn, sku, keep_promo, h);
    if (rc)
        return rc;
    if (h->n)
        qsort(h->v, h->n, h->size, cmp_promo);
    printf("\npromotions (%zu):\n", h->n);
    cmd_table_t t;
    cmd_table_init(&t, 11, head);
    for (size_t i = 0; i < h->n && !rc; i++) {
        const pl_promo_t *pr = (const pl_promo_t *)h->v + i;
        char st[40], en[40], price[32], prio[16], scope[300], cancel[40];
        if (pr->price != PL_PRICE_NONE)
            cmd_money(pr->price, "-", price, sizeof(price));
        else
            snprintf(price, sizeof(price), "%d.%02d%% off", pr->pct_off_bp / 100,
                     pr->pct_off_bp % 100);
        snprintf(prio, sizeof(prio), "%d", pr->priority);
        scope_text(pr, scope, sizeof(scope));
        const char *row[11] = {cmd_time(pr->start, h->off, "-", st, sizeof(st)),
                               cmd_time(pr->end, h->off, "-", en, sizeof(en)),
                               pr->id,
                               pl_promo_kind_name(pr->kind),
                               price,
                               prio,
                               pr->member_only ? "yes" : "no",
                               scope,
                               cmd_time(pr->cancelled_at, h->off, "-", cancel, sizeof(cancel)),
                               pr->text[0] ? pr->text : "-",
                               pr->batch};
        rc = cmd_table_add(&t, row);
    }
    if (!rc && h->n)
        cmd_table_print(&t, stdout, "  ", 0);
    cmd_table_free(&t);
    return rc;
}

static int print_labels(hist_t *h, const char *sku)
{
    static const char *const lhead[] = {"SCOPE", "PRICE", "PRINTED", "PLACED"};
    static const char *const jhead[] = {"JOB", "DUE",   "SCOPE",  "PRICE",
                                        "OLD", "PROMO", "REASON", "BATCH"};
    h->n = 0;
    h->size = sizeof(pl_label_t);
    int rc = pl_label_each(h->txn, sku, keep_label, h);
    if (rc)
        return rc;
    printf("\nshelf labels (%zu):\n", h->n);
    cmd_table_t t;
    cmd_table_init(&t, 4, lhead);
    for (size_t i = 0; i < h->n && !rc; i++) {
        const pl_label_t *lb = (const pl_label_t *)h->v + i;
        char price[32], at[40], placed[40];
        /* "not yet" for a printed label not confirmed on the shelf. */
        const char *row[4] = {lb->scope[0] ? lb->scope : "(chain)",
                              cmd_money(lb->price, "-", price, sizeof(price)),
                              cmd_time(lb->printed_at, h->off, "-", at, sizeof(at)),
                              cmd_time(lb->placed_at, h->off, "not yet", placed, sizeof(placed))};
        rc = cmd_table_add(&t, row);
    }
    if (!rc && h->n)
        cmd_table_print(&t, stdout, "  ", 0);
    cmd_table_free(&t);
    if (rc)
        return rc;

    h->n = 0;
    h->size = sizeof(pl_label_job_t);
    rc = pl_job_each_for_item(h->txn, sku, keep_job, h);
    if (rc)
        return rc;
    if (h->n)
        qsort(h->v, h->n, h->size, cmp_job);
    printf("\npending label jobs (%zu):\n", h->n);
    cmd_table_init(&t, 8, jhead);
    for (size_t i = 0; i < h->n && !rc; i++) {
        const pl_label_job_t *j = (const pl_label_job_t *)h->v + i;
        char id[24], due[40], price[32], old[32];
        snprintf(id, sizeof(id), "%" PRIu64, j->id);
        const char *row[8] = {id,
                              cmd_time(j->due, h->off, "-", due, sizeof(due)),
                              j->scope[0] ? j->scope : "(chain)",
                              cmd_money(j->price, "-", price, sizeof(price)),
                              cmd_money(j->old_price, "-", old, sizeof(old)),
                              j->promo_text[0] ? j->promo_text : "-",
                              j->reason,
                              j->batch};
        rc = cmd_table_add(&t, row);
    }
    if (!rc && h->n)
        cmd_table_print(&t, stdout, "  ", 0);
    cmd_table_free(&t);
    return rc;
}

int cmd_history(int argc, char **argv)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'}, {"store", 1, 0, 's'}, {"at", 1, 0, 'a'}, {"help", 0, 0, 'h'}, {0}};
    const char *db = NULL, *store = NULL, *at_s = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 's':
            store = optarg;
            break;
        case 'a':
            at_s = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (!db || optind != argc - 1) {
        fprintf(stderr, "pricelane-load history: %s\n",
                !db              ? "--db DIR is required"
                : optind == argc ? "no CODE given"
                                 : "give one CODE");
        return 2;
    }
    const char *code = argv[optind];
    pl_cat_t *cat = cmd_open_db(db, 1);
    if (!cat)
        return 1;
    hist_t h;
    memset(&h, 0, sizeof(h));
    h.store = store;
    int status = 1, rc;
    int64_t at = pl_time_now();
    if (cmd_utc_offset(cat, &h.off))
        goto out_cat;
    if (at_s && cmd_parse_time("history", "at", at_s, h.off, &at)) {
        status = 2;
        goto out_cat;
    }
    pl_answer_t now;
    answer_now(cat, store, code, at, &now);
    rc = pl_txn_begin(cat, 0, &h.txn);
    if (rc) {
        fprintf(stderr, "pricelane-load history: %s\n", pl_strerror(rc));
        goto out_cat;
    }
    char sku[PL_ITEM_CODE_MAX + 1], err[256];
    pl_item_t it;
    if (cmd_code_sku(h.txn, store, code, sku, err, sizeof(err)) != 0) {
        fprintf(stderr, "pricelane-load history: %s\n", err);
        goto out;
    }
    if (store) {
        pl_store_t st;
        if (pl_store_get(h.txn, store, &st) == 0)
            snprintf(h.zone, sizeof(h.zone), "%s", st.zone);
    }
    rc = pl_item_get(h.txn, sku, &it);
    if (rc) {
        fprintf(stderr, "pricelane-load history: item %s: %s\n", sku,
                rc == PL_ENOTFOUND ? "barcode points at an item that does not exist (run verify)"
                                   : pl_strerror(rc));
        goto out;
    }
    print_item(h.txn, &it);
    print_now(&now, store, at, h.off);
    rc = print_prices(&h, sku);
    if (!rc)
        rc = print_promos(&h, sku);
    if (!rc)
        rc = print_labels(&h, sku);
    if (rc) {
        fprintf(stderr, "pricelane-load history: item %s: %s\n", sku, pl_strerror(rc));
        goto out;
    }
    status = fflush(stdout) == 0 ? 0 : 1;
out:
    pl_txn_abort(h.txn);
    free(h.v);
out_cat:
    pl_cat_close(cat);
    return status;
}
