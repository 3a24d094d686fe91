/* report: the morning handover of the lanes' exception log (收银异常登记表).
 *
 * Reads one local day of the report store that pricelaned writes, settles
 * each report's final cause with what the catalogue knows now
 * (pl_report_cause: a correction batch since the scan, a label printed or
 * placed late), and prints per store the reports grouped by cause and the
 * department that must act, with counts and refunded totals, and the items
 * whose barcodes were keyed most. CSV, JSON or one printable HTML page. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/report.h"
#include "pricelane/resolve.h"
#include "pricelane/rows.h"
#include "pricelane/timefmt.h"

static const char usage_text[] =
    "usage: pricelane-load report --db DIR --date YYYY-MM-DD [--store S]\n"
    "                             [--format csv|html|json] [--reports DIR] [--top N]\n"
    "                             [--now TIME]\n"
    "\n"
    "The lanes' exception log of one day, for the morning handover: every report a\n"
    "lane sent to pricelaned (REPORT) on local day YYYY-MM-DD (the catalogue's UTC\n"
    "offset), per store, grouped by cause and the department that must act, with\n"
    "counts and refunded totals, and the items whose barcodes were keyed most.\n"
    "\n"
    "Each report's cause is settled again with what the catalogue knows now: a\n"
    "correction batch (reason column \"correction\") committed after the scan that\n"
    "changed the item's price makes it system_price (merchandising data); a reprint\n"
    "due by the scan and printed after it, label_not_printed (data entry); printed\n"
    "by the scan and placed after it, label_not_placed (store customer service); a\n"
    "shelf price equal to a promotion not in force there, promo_sign (store\n"
    "planning). The cause the lane was told at the scan is kept beside it.\n"
    "\n"
    "  --db DIR        the catalogue\n"
    "  --date D        the local day, YYYY-MM-DD\n"
    "  --store S       only store S (default: every store with reports or keyed\n"
    "                  entries that day)\n"
    "  --format F      csv (RFC 4180, one row per cause total, report and keyed item,\n"
    "                  told apart by the section column), json (one document) or\n"
    "                  html (one self-contained printable page, a page per store);\n"
    "                  default csv\n"
    "  --reports DIR   the report store (default: \"reports\" beside the catalogue\n"
    "                  directory, as pricelaned's reports_dir setting)\n"
    "  --top N         the keyed items listed per store (default 10, 0: none; at\n"
    "                  most 100000)\n"
    "  --now TIME      what the catalogue is taken to know up to (default: now)\n"
    "\n"
    "Exit status: 0 printed, 1 the catalogue or the report store could not be read\n"
    "(or an unknown store), 2 usage.\n";

/* Causes in the order the report lists them: those a department acts on
 * first, unknown last. */
static const int cause_order[PL_CAUSE_COUNT] = {
    PL_CAUSE_SYSTEM_PRICE,     PL_CAUSE_PROMO_SIGN, PL_CAUSE_LABEL_NOT_PRINTED,
    PL_CAUSE_LABEL_NOT_PLACED, PL_CAUSE_NO_SCAN,    PL_CAUSE_ITEM_DATA,
    PL_CAUSE_UNKNOWN,
};

/* A cause for people: English and the manuals' words. */
static const char *const cause_title[PL_CAUSE_COUNT] = {
    [PL_CAUSE_UNKNOWN] = "Cause not found (原因待查)",
    [PL_CAUSE_SYSTEM_PRICE] = "System price wrong (系统价格错误)",
    [PL_CAUSE_PROMO_SIGN] = "Promotion sign wrong (POP 价格错误)",
    [PL_CAUSE_LABEL_NOT_PRINTED] = "Label not printed (标签未打印)",
    [PL_CAUSE_LABEL_NOT_PLACED] = "Label not placed (标签未上架)",
    [PL_CAUSE_NO_SCAN] = "Barcode would not scan (条码无法扫描)",
    [PL_CAUSE_ITEM_DATA] = "Name or barcode wrong (品名/条码不符)",
};

typedef struct rrow {
    pl_report_t r;
    int final;
    char name[PL_NAME_MAX + 1];
} rrow_t;

typedef struct krow {
    pl_keyed_count_t k;
    char name[PL_NAME_MAX + 1];
} krow_t;

/* One store's part of the report. */
typedef struct sstore {
    char id[PL_SCOPE_MAX + 1];
    char name[PL_NAME_MAX + 1];
    rrow_t *by_cause[PL_CAUSE_COUNT]; /* the first of ncause[c] rows of the day's (sorted) */
    size_t ncause[PL_CAUSE_COUNT];
    int64_t refund[PL_CAUSE_COUNT];
    size_t nreports;
    int64_t refunded;
    krow_t *keyed; /* the top keyed items, most first */
    size_t nkeyed;
} sstore_t;

typedef struct day {
    const char *date;
    int off;
    int64_t from, to, now;
    char currency[4];
    rrow_t *rows;
    size_t nrows, caprows;
    krow_t *keyed;
    size_t nkeyed, capkeyed;
    sstore_t *stores;
    size_t nstores;
    pl_txn_t *txn;
} day_t;

/* ---- reading ------------------------------------------------------------------ */

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 64;
    void *p = realloc(*v, c * size);
    if (!p)
        return -ENOMEM;
    *v = p;
    *cap = c;
    return 0;
}

static void item_name(pl_txn_t *txn, const char *sku, char *out)
{
    pl_item_t it;
    out[0] = 0;
    if (sku[0] && pl_item_get(txn, sku, &it) == 0)
        memcpy(out, it.name, sizeof(it.name));
}

static int take_report(const pl_report_t *r, void *arg)
{
    day_t *d = arg;
    if (grow((void **)&d->rows, &d->caprows, d->nrows, sizeof(*d->rows)))
        return -ENOMEM;
    rrow_t *w = &d->rows[d->nrows++];
    w->r = *r;
    w->final = pl_report_cause(d->txn, r, d->now);
    item_name(d->txn, r->sku, w->name);
    return 0;
}

static int take_keyed(const pl_keyed_count_t *k, void *arg)
{
    day_t *d = arg;
    if (grow((void **)&d->keyed, &d->capkeyed, d->nkeyed, sizeof(*d->keyed)))
        return -ENOMEM;
    krow_t *w = &d->keyed[d->nkeyed++];
    w->k = *k;
    item_name(d->txn, k->sku, w->name);
    return 0;
}

static int cmp_keyed(const void *a, const void *b)
{
    const krow_t *x = a, *y = b;
    int c = strcmp(x->k.store, y->k.store);
    if (c)
        return c;
    if (x->k.n != y->k.n)
        return x->k.n > y->k.n ? -1 : 1;
    return strcmp(x->k.sku, y->k.sku);
}

static int cause_rank(int cause)
{
    for (int o = 0; o < PL_CAUSE_COUNT; o++)
        if (cause_order[o] == cause)
            return o;
    return PL_CAUSE_COUNT;
}

/* By store, cause (in the listed order), instant, lane, id: each store's
 * reports of one cause are consecutive. */
static int cmp_row(const void *a, const void *b)
{
    const rrow_t *x = a, *y = b;
    int c = strcmp(x->r.store, y->r.store);
    if (c)
        return c;
    if (x->final != y->final)
        return cause_rank(x->final) - cause_rank(y->final);
    if (x->r.at != y->r.at)
        return x->r.at < y->r.at ? -1 : 1;
    c = strcmp(x->r.lane, y->r.lane);
    return c ? c : strcmp(x->r.id, y->r.id);
}

static int cmp_store(const void *a, const void *b)
{
    return strcmp(((const sstore_t *)a)->id, ((const sstore_t *)b)->id);
}

static sstore_t *store_of(day_t *d, const char *id)
{
    sstore_t key;
    snprintf(key.id, sizeof(key.id), "%s", id);
    return bsearch(&key, d->stores, d->nstores, sizeof(*d->stores), cmp_store);
}

/* The stores of the day (sorted, each once), each with its reports by cause
 * and its top keyed items. */
static int group(day_t *d, int top)
{
    d->stores = calloc(d->nrows + d->nkeyed + 1, sizeof(*d->stores));
    if (!d->stores)
        return -ENOMEM;
    for (size_t i = 0; i < d->nrows + d->nkeyed; i++) {
        const char *id = i < d->nrows ? d->rows[i].r.store : d->keyed[i - d->nrows].k.store;
        snprintf(d->stores[i].id, sizeof(d->stores[i].id), "%s", id);
    }
    size_t n = d->nrows + d->nkeyed;
    if (n)
        qsort(d->stores, n, sizeof(*d->stores), cmp_store);
    for (size_t i = 0; i < n; i++)
        if (!d->nstores || strcmp(d->stores[d->nstores - 1].id, d->stores[i].id) != 0)
            d->stores[d->nstores++] = d->stores[i];
    for (size_t i = 0; i < d->nstores; i++) {
        pl_store_t st;
        if (pl_store_get(d->txn, d->stores[i].id, &st) == 0)
            memcpy(d->stores[i].name, st.name, sizeof(d->stores[i].name));
    }
    if (d->nrows)
        qsort(d->rows, d->nrows, sizeof(*d->rows), cmp_row);
    if (d->nkeyed)
        qsort(d->keyed, d->nkeyed, sizeof(*d->keyed), cmp_keyed);
    for (size_t i = 0; i < d->nrows; i++) {
        rrow_t *w = &d->rows[i];
        sstore_t *s = store_of(d, w->r.store);
        if (w->final < 0 || w->final >= PL_CAUSE_COUNT)
            w->final = PL_CAUSE_UNKNOWN;
        int c = w->final;
        if (!s->ncause[c]++)
            s->by_cause[c] = w;
        s->refund[c] += w->r.refund;
        s->nreports++;
        s->refunded += w->r.refund;
    }
    for (size_t i = 0; i < d->nkeyed; i++) {
        sstore_t *s = store_of(d, d->keyed[i].k.store);
        if (!s->keyed)
            s->keyed = &d->keyed[i];
        if (s->nkeyed < (size_t)top)
            s->nkeyed++;
    }
    return 0;
}

/* ---- csv ------------------------------------------------------------------------ */

static const char *const csv_cols[] = {
    "section",
    "store",
    "cause",
    "department",
    "count",
    "refunded",
    "at",
    "lane",
    "cashier",
    "report",
    "code",
    "sku",
    "name",
    "kind",
    "shelf_price",
    "system_price",
    "charged",
    "refund",
    "provisional_cause",
    "keyed",
};
#define NCSV ((int)(sizeof(csv_cols) / sizeof(csv_cols[0])))
enum {
    K_SECTION,
    K_STORE,
    K_CAUSE,
    K_DEPT,
    K_COUNT,
    K_REFUNDED,
    K_AT,
    K_LANE,
    K_CASHIER,
    K_REPORT,
    K_CODE,
    K_SKU,
    K_NAME,
    K_KIND,
    K_SHELF,
    K_SYSTEM,
    K_CHARGED,
    K_REFUND,
    K_PROVISIONAL,
    K_KEYED
};

static void csv_row(FILE *f, const char *const *v)
{
    for (int k = 0; k < NCSV; k++)
        cmd_csv_field(f, v[k] ? v[k] : "", k == NCSV - 1);
}

static void out_csv(FILE *f, const day_t *d)
{
    char a[32], b[32], c[32], e[32], t[40];
    csv_row(f, csv_cols);
    for (size_t i = 0; i < d->nstores; i++) {
        const sstore_t *s = &d->stores[i];
        for (int o = 0; o < PL_CAUSE_COUNT; o++) {
            int cause = cause_order[o];
            if (!s->ncause[cause])
                continue;
            char n[24];
            snprintf(n, sizeof(n), "%zu", s->ncause[cause]);
            const char *v[NCSV] = {[K_SECTION] = "cause",
                                   [K_STORE] = s->id,
                                   [K_CAUSE] = pl_report_cause_name(cause),
                                   [K_DEPT] = pl_report_cause_dept(cause),
                                   [K_COUNT] = n,
                                   [K_REFUNDED] = cmd_money(s->refund[cause], "", a, sizeof(a))};
            csv_row(f, v);
        }
        for (int o = 0; o < PL_CAUSE_COUNT; o++) {
            int cause = cause_order[o];
            for (size_t k = 0; k < s->ncause[cause]; k++) {
                const rrow_t *w = &s->by_cause[cause][k];
                const pl_report_t *r = &w->r;
                const char *v[NCSV] = {
                    [K_SECTION] = "report",
                    [K_STORE] = s->id,
                    [K_CAUSE] = pl_report_cause_name(cause),
                    [K_DEPT] = pl_report_cause_dept(cause),
                    [K_AT] = cmd_time(r->at, d->off, "", t, sizeof(t)),
                    [K_LANE] = r->lane,
                    [K_CASHIER] = r->cashier,
                    [K_REPORT] = r->id,
                    [K_CODE] = r->code,
                    [K_SKU] = r->sku,
                    [K_NAME] = w->name,
                    [K_KIND] = pl_report_kind_name(r->kind),
                    [K_SHELF] = cmd_money(r->shelf_price, "", a, sizeof(a)),
                    [K_SYSTEM] = cmd_money(r->system_price, "", b, sizeof(b)),
                    [K_CHARGED] = cmd_money(r->charge, "", c, sizeof(c)),
                    [K_REFUND] = cmd_money(r->refund, "", e, sizeof(e)),
                    [K_PROVISIONAL] = pl_report_cause_name(r->cause),
                    [K_KEYED] = r->keyed ? "yes" : "no",
                };
                csv_row(f, v);
            }
        }
        for (size_t k = 0; k < s->nkeyed; k++) {
            char n[24];
            snprintf(n, sizeof(n), "%" PRIu64, s->keyed[k].k.n);
            const char *v[NCSV] = {[K_SECTION] = "keyed",
                                   [K_STORE] = s->id,
                                   [K_COUNT] = n,
                                   [K_SKU] = s->keyed[k].k.sku,
                                   [K_NAME] = s->keyed[k].name};
            csv_row(f, v);
        }
    }
}

/* ---- json ------------------------------------------------------------------------ */

/* A JSON string; a text that is not valid UTF-8 (jansson refuses it) with
 * each byte past ASCII as '?', so a field is never dropped. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char b[PL_ROWS_FIELD_MAX];
    size_t n = 0;
    for (; *s && n + 1 < sizeof(b); s++)
        b[n++] = (unsigned char)*s < 0x80 ? *s : '?';
    b[n] = 0;
    return json_string(b);
}

static json_t *jmoney(int64_t v)
{
    return v == PL_PRICE_NONE ? json_null() : json_integer(v);
}

static json_t *jtime(int64_t t, int off)
{
    char b[40];
    return t == PL_TIME_NONE || !pl_time_format(t, off, b, sizeof(b)) ? json_null() : jstr(b);
}

static int out_json(FILE *f, const day_t *d)
{
    json_t *doc = json_object(), *stores = json_array();
    json_object_set_new(doc, "date", jstr(d->date));
    json_object_set_new(doc, "from", jtime(d->from, d->off));
    json_object_set_new(doc, "to", jtime(d->to, d->off));
    json_object_set_new(doc, "known_until", jtime(d->now, d->off));
    json_object_set_new(doc, "currency", jstr(d->currency));
    for (size_t i = 0; i < d->nstores; i++) {
        const sstore_t *s = &d->stores[i];
        json_t *js = json_object(), *causes = json_array(), *keyed = json_array();
        json_object_set_new(js, "store", jstr(s->id));
        json_object_set_new(js, "name", s->name[0] ? jstr(s->name) : json_null());
        json_object_set_new(js, "reports", json_integer((json_int_t)s->nreports));
        json_object_set_new(js, "refunded", json_integer(s->refunded));
        for (int o = 0; o < PL_CAUSE_COUNT; o++) {
            int cause = cause_order[o];
            if (!s->ncause[cause])
                continue;
            json_t *jc = json_object(), *list = json_array();
            json_object_set_new(jc, "cause", jstr(pl_report_cause_name(cause)));
            json_object_set_new(jc, "department", jstr(pl_report_cause_dept(cause)));
            json_object_set_new(jc, "count", json_integer((json_int_t)s->ncause[cause]));
            json_object_set_new(jc, "refunded", json_integer(s->refund[cause]));
            for (size_t k = 0; k < s->ncause[cause]; k++) {
                const rrow_t *w = &s->by_cause[cause][k];
                const pl_report_t *r = &w->r;
                json_t *jr = json_object();
                json_object_set_new(jr, "report", jstr(r->id));
                json_object_set_new(jr, "at", jtime(r->at, d->off));
                json_object_set_new(jr, "lane", jstr(r->lane));
                json_object_set_new(jr, "cashier", jstr(r->cashier));
                json_object_set_new(jr, "code", jstr(r->code));
                json_object_set_new(jr, "sku", r->sku[0] ? jstr(r->sku) : json_null());
                json_object_set_new(jr, "name", w->name[0] ? jstr(w->name) : json_null());
                json_object_set_new(jr, "kind", jstr(pl_report_kind_name(r->kind)));
                json_object_set_new(jr, "keyed", json_boolean(r->keyed));
                json_object_set_new(jr, "shelf_price", jmoney(r->shelf_price));
                json_object_set_new(jr, "system_price", jmoney(r->system_price));
                json_object_set_new(jr, "charged", jmoney(r->charge));
                json_object_set_new(jr, "refund", json_integer(r->refund));
                json_object_set_new(jr, "provisional_cause", jstr(pl_report_cause_name(r->cause)));
                json_array_append_new(list, jr);
            }
            json_object_set_new(jc, "list", list);
            json_array_append_new(causes, jc);
        }
        json_object_set_new(js, "causes", causes);
        for (size_t k = 0; k < s->nkeyed; k++) {
            json_t *jk = json_object();
            json_object_set_new(jk, "sku", jstr(s->keyed[k].k.sku));
            json_object_set_new(jk, "name",
                                s->keyed[k].name[0] ? jstr(s->keyed[k].name) : json_null());
            json_object_set_new(jk, "count", json_integer((json_int_t)s->keyed[k].k.n));
            json_array_append_new(keyed, jk);
        }
        json_object_set_new(js, "keyed", keyed);
        json_array_append_new(stores, js);
    }
    json_object_set_new(doc, "stores", stores);
    int rc = json_dumpf(doc, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    fputc('\n', f);
    json_decref(doc);
    return rc ? -ENOMEM : 0;
}

/* ---- html ------------------------------------------------------------------------ */

static void h(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static const char html_css[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\","
    "\"PingFang SC\",Arial,sans-serif;color:#000;margin:1.5em;font-size:11pt}\n"
    "h1{font-size:16pt;margin:0 0 .2em}\n"
    "h2{font-size:12.5pt;margin:1.2em 0 .3em;border-bottom:1px solid #000}\n"
    ".meta{margin:0 0 .8em;color:#333}\n"
    "table{border-collapse:collapse;width:100%;margin:.3em 0 .6em}\n"
    "th,td{border:1px solid #777;padding:.2em .4em;text-align:left;vertical-align:top}\n"
    "th{background:#e8e8e8}\n"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.total td{font-weight:bold;border-top:2px solid #000}\n"
    ".was{color:#555;font-size:9pt}\n"
    ".sign{display:flex;gap:2em;margin-top:1.5em}\n"
    ".sign div{flex:1;border-top:1px solid #000;padding-top:.2em}\n"
    "section.store{page-break-after:always;break-after:page}\n"
    "section.store:last-of-type{page-break-after:auto;break-after:auto}\n"
    "@media print{body{margin:0;font-size:10pt}th{background:#e8e8e8 !important;"
    "-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "thead{display:table-header-group}tr{page-break-inside:avoid;break-inside:avoid}}\n"
    "@page{size:A4;margin:12mm}\n";

static void hm(FILE *f, int64_t v)
{
    char b[32];
    h(f, cmd_money(v, "-", b, sizeof(b)));
}

static void html_store(FILE *f, const day_t *d, const sstore_t *s)
{
    char t[40];
    fputs("<section class=\"store\">\n<h1>Lane exception report (收银异常登记表) — ", f);
    h(f, s->id);
    if (s->name[0]) {
        fputs(" ", f);
        h(f, s->name);
    }
    fputs("</h1>\n<p class=\"meta\">Day ", f);
    h(f, d->date);
    fprintf(f, " · %zu report%s · refunded ", s->nreports, s->nreports == 1 ? "" : "s");
    hm(f, s->refunded);
    fputs(" ", f);
    h(f, d->currency);
    fputs(" · causes as known at ", f);
    h(f, cmd_time(d->now, d->off, "-", t, sizeof(t)));
    fputs("</p>\n", f);

    fputs("<h2>By cause</h2>\n<table class=\"causes\"><thead><tr><th>Cause</th><th>"
          "Department to act</th><th class=\"n\">Reports</th><th class=\"n\">Refunded</th>"
          "</tr></thead><tbody>\n",
          f);
    for (int o = 0; o < PL_CAUSE_COUNT; o++) {
        int c = cause_order[o];
        if (!s->ncause[c])
            continue;
        fprintf(f, "<tr data-cause=\"%s\"><td>", pl_report_cause_name(c));
        h(f, cause_title[c]);
        fputs("</td><td>", f);
        h(f, pl_report_cause_dept(c));
        fprintf(f, "</td><td class=\"n\">%zu</td><td class=\"n\">", s->ncause[c]);
        hm(f, s->refund[c]);
        fputs("</td></tr>\n", f);
    }
    fprintf(f,
            "<tr class=\"total\"><td colspan=\"2\">Total</td><td class=\"n\">%zu</td>"
            "<td class=\"n\">",
            s->nreports);
    hm(f, s->refunded);
    fputs("</td></tr>\n</tbody></table>\n", f);

    for (int o = 0; o < PL_CAUSE_COUNT; o++) {
        int c = cause_order[o];
        if (!s->ncause[c])
            continue;
        fputs("<h2>", f);
        h(f, cause_title[c]);
        fputs(" — ", f);
        h(f, pl_report_cause_dept(c));
        fprintf(f,
                "</h2>\n<table class=\"reports\" data-cause=\"%s\"><thead><tr><th>Time</th>"
                "<th>Lane</th><th>Cashier</th><th>Report</th><th>Code</th><th>Item</th>"
                "<th>Kind</th><th class=\"n\">Shelf</th><th class=\"n\">System</th>"
                "<th class=\"n\">Charged</th><th class=\"n\">Refund</th></tr></thead><tbody>\n",
                pl_report_cause_name(c));
        for (size_t k = 0; k < s->ncause[c]; k++) {
            const rrow_t *w = &s->by_cause[c][k];
            const pl_report_t *r = &w->r;
            const char *hhmm = cmd_time(r->at, d->off, "-", t, sizeof(t));
            fputs("<tr><td>", f);
            fprintf(f, "%.5s", strlen(hhmm) >= 16 ? hhmm + 11 : hhmm);
            fputs("</td><td>", f);
            h(f, r->lane);
            fputs("</td><td>", f);
            h(f, r->cashier);
            fputs("</td><td>", f);
            h(f, r->id);
            fputs("</td><td>", f);
            h(f, r->code);
            fputs("</td><td>", f);
            h(f, w->name[0] ? w->name : r->sku[0] ? r->sku : "(unknown item)");
            if (r->cause != c) {
                fputs("<div class=\"was\">told at the lane: ", f);
                h(f, pl_report_cause_name(r->cause));
                fputs("</div>", f);
            }
            fputs("</td><td>", f);
            h(f, pl_report_kind_name(r->kind));
            fputs(r->keyed ? " (keyed)" : "", f);
            fputs("</td><td class=\"n\">", f);
            hm(f, r->shelf_price);
            fputs("</td><td class=\"n\">", f);
            hm(f, r->system_price);
            fputs("</td><td class=\"n\">", f);
            hm(f, r->charge);
            fputs("</td><td class=\"n\">", f);
            hm(f, r->refund);
            fputs("</td></tr>\n", f);
        }
        fprintf(f, "<tr class=\"total\"><td colspan=\"10\">%zu report%s</td><td class=\"n\">",
                s->ncause[c], s->ncause[c] == 1 ? "" : "s");
        hm(f, s->refund[c]);
        fputs("</td></tr>\n</tbody></table>\n", f);
    }
    if (!s->nreports)
        fputs("<p>No reports from the lanes this day.</p>\n", f);

    fputs("<h2>Barcodes keyed most (条码无法扫描, 手工输入)</h2>\n", f);
    if (!s->nkeyed) {
        fputs("<p>No keyed entries of items with barcodes.</p>\n", f);
    } else {
        fputs("<table class=\"keyed\"><thead><tr><th>Item code</th><th>Name</th>"
              "<th class=\"n\">Keyed entries</th></tr></thead><tbody>\n",
              f);
        for (size_t k = 0; k < s->nkeyed; k++) {
            fputs("<tr><td>", f);
            h(f, s->keyed[k].k.sku);
            fputs("</td><td>", f);
            h(f, s->keyed[k].name);
            fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td></tr>\n", s->keyed[k].k.n);
        }
        fputs("</tbody></table>\n", f);
    }
    fputs("<div class=\"sign\"><div>Head cashier (收银主管)</div><div>Handed over (交接时间)"
          "</div><div>Received by (接收部门签字)</div></div>\n</section>\n",
          f);
}

static void out_html(FILE *f, const day_t *d)
{
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
          "Lane exception report ",
          f);
    h(f, d->date);
    fputs("</title>\n<style>\n", f);
    fputs(html_css, f);
    fputs("</style>\n</head>\n<body>\n", f);
    for (size_t i = 0; i < d->nstores; i++)
        html_store(f, d, &d->stores[i]);
    if (!d->nstores) {
        fputs("<section class=\"store\"><h1>Lane exception report (收银异常登记表)</h1>\n"
              "<p class=\"meta\">Day ",
              f);
        h(f, d->date);
        fputs(": no reports and no keyed entries.</p></section>\n", f);
    }
    fputs("</body>\n</html>\n", f);
}

/* ---- main -------------------------------------------------------------------------- */

typedef struct ropts {
    const char *db, *date, *store, *format, *reports, *now_s;
    long top;
} ropts_t;

/* "reports" beside the catalogue directory, as pricelaned's default. */
static void default_reports(const char *db, char *out, size_t cap)
{
    char d[4096];
    snprintf(d, sizeof(d), "%s", db);
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/')
        d[--n] = 0;
    char *slash = strrchr(d, '/');
    if (!slash)
        snprintf(out, cap, "reports");
    else if (slash == d)
        snprintf(out, cap, "/reports");
    else {
        *slash = 0;
        snprintf(out, cap, "%s/reports", d);
    }
}

static int parse(int argc, char **argv, ropts_t *o)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'},     {"date", 1, 0, 'D'},    {"store", 1, 0, 's'},
        {"format", 1, 0, 'f'}, {"reports", 1, 0, 'r'}, {"now", 1, 0, 'n'},
        {"top", 1, 0, 't'},    {"help", 0, 0, 'h'},    {0}};
    int c;
    o->top = 10;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        uint64_t top;
        switch (c) {
        case 'd':
            o->db = optarg;
            break;
        case 'D':
            o->date = optarg;
            break;
        case 's':
            o->store = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'r':
            o->reports = optarg;
            break;
        case 'n':
            o->now_s = optarg;
            break;
        case 't':
            if (cmd_parse_uint("report", "--top", optarg, 0, 100000,
                               "a whole number of items per store", &top))
                return 2;
            o->top = (long)top;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pricelane-load report: takes no arguments besides options\n");
        return 2;
    }
    if (!o->db || !o->date) {
        fprintf(stderr, "pricelane-load report: --db DIR and --date YYYY-MM-DD are required\n");
        return 2;
    }
    if (!o->format)
        o->format = "csv";
    if (strcmp(o->format, "csv") && strcmp(o->format, "json") && strcmp(o->format, "html")) {
        fprintf(stderr, "pricelane-load report: --format %s: csv, json or html\n", o->format);
        return 2;
    }
    return -1;
}

/* --date: the local day [from, to) and its number (days since 1970-01-01). */
static int parse_date(const char *s, int off, int64_t *from, int64_t *day)
{
    int y, m, dd, n = 0;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &dd, &n) != 3 || n != 10 ||
        s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || dd < 1 ||
        dd > pl_time_days_in_month(y, m)) {
        fprintf(stderr, "pricelane-load report: --date \"%s\": not a date (write YYYY-MM-DD)\n", s);
        return -1;
    }
    *from = pl_time_local(y, m, dd, 0, 0, off);
    int64_t local = *from + (int64_t)off * 60;
    *day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    return 0;
}

static void day_free(day_t *d)
{
    free(d->stores);
    free(d->rows);
    free(d->keyed);
}

int cmd_report(int argc, char **argv)
{
    ropts_t o = {0};
    int status = parse(argc, argv, &o);
    if (status >= 0)
        return status;
    day_t d = {0};
    d.date = o.date;
    pl_cat_t *cat = cmd_open_db(o.db, 1);
    if (!cat)
        return 1;
    pl_reports_t *rs = NULL;
    status = 1;
    int64_t dayno = 0;
    char dir[4096], err[512];
    pl_meta_t m;
    if (cmd_utc_offset(cat, &d.off))
        goto out;
    if (parse_date(o.date, d.off, &d.from, &dayno)) {
        status = 2;
        goto out;
    }
    d.to = d.from + 86400;
    d.now = pl_time_now();
    if (o.now_s && cmd_parse_time("report", "now", o.now_s, d.off, &d.now)) {
        status = 2;
        goto out;
    }
    if (o.reports)
        snprintf(dir, sizeof(dir), "%s", o.reports);
    else
        default_reports(o.db, dir, sizeof(dir));
    int rc = pl_reports_open(dir, 0, &rs, err, sizeof(err));
    if (rc == PL_ENOTFOUND) {
        fprintf(stderr,
                "pricelane-load report: %s: no report store there (pricelaned writes it; give "
                "--reports DIR for another place)\n",
                dir);
        goto out;
    }
    if (rc) {
        fprintf(stderr, "pricelane-load report: %s\n", err[0] ? err : pl_strerror(rc));
        goto out;
    }
    rc = pl_txn_begin(cat, 0, &d.txn);
    if (!rc)
        rc = pl_meta_get(d.txn, &m);
    if (rc) {
        fprintf(stderr, "pricelane-load report: reading the catalogue: %s\n", pl_strerror(rc));
        goto out;
    }
    memcpy(d.currency, m.currency, sizeof(d.currency));
    if (o.store) {
        pl_store_t st;
        rc = pl_store_get(d.txn, o.store, &st);
        if (rc) {
            fprintf(stderr, "pricelane-load report: store %s: %s\n", o.store,
                    rc == PL_ENOTFOUND ? "unknown store" : pl_strerror(rc));
            goto out;
        }
    }
    rc = pl_reports_each(rs, d.from, d.to, o.store, take_report, &d);
    if (!rc)
        rc = pl_reports_keyed_each(rs, dayno, o.store, take_keyed, &d);
    if (!rc)
        rc = group(&d, (int)o.top);
    if (rc) {
        fprintf(stderr, "pricelane-load report: reading %s: %s\n", dir, pl_strerror(rc));
        goto out;
    }
    if (!strcmp(o.format, "csv"))
        out_csv(stdout, &d);
    else if (!strcmp(o.format, "json"))
        rc = out_json(stdout, &d);
    else
        out_html(stdout, &d);
    status = rc || fflush(stdout) || ferror(stdout) ? 1 : 0;
    if (status)
        fprintf(stderr, "pricelane-load report: writing the report failed\n");
out:
    if (d.txn)
        pl_txn_abort(d.txn);
    if (rs)
        pl_reports_close(rs);
    pl_cat_close(cat);
    day_free(&d);
    return status;
}
