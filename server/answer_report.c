/* The lane's exception log on the answering side (answer.h): a REPORT made
 * into a report record (the item, the system price, what to charge), its
 * reply once the writer has recorded it, and the keyed lookups a worker
 * counts. No sockets and no writing: the report writer (rwriter.h) records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "json.h"
#include "pricelane/barcode.h"
#include "pricelane/err.h"
#include "pricelane/timefmt.h"

#define KEYED_SLOTS 1024 /* distinct (day, store, item) a worker counts between flushes */

struct keyed_tab {
    pl_barcode_cfg_t cfg; /* the default code rules: is a code a GTIN or in-store code */
    size_t n;
    int64_t day[KEYED_SLOTS];
    pl_keyed_count_t e[KEYED_SLOTS]; /* e[i].n == 0: free */
    pl_keyed_count_t flat[KEYED_SLOTS];
};

int keyed_tab_new(keyed_tab_t **out)
{
    keyed_tab_t *k = calloc(1, sizeof(*k));
    if (!k)
        return -1;
    pl_barcode_cfg_default(&k->cfg);
    *out = k;
    return 0;
}

void keyed_tab_free(keyed_tab_t *k)
{
    free(k);
}

size_t keyed_tab_take(keyed_tab_t *k, const pl_keyed_count_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < KEYED_SLOTS && n < k->n; i++)
        if (k->e[i].n) {
            k->flat[n++] = k->e[i];
            k->e[i].n = 0;
        }
    k->n = 0;
    *out = k->flat;
    return n;
}

static int64_t local_day(int64_t t, int off)
{
    int64_t s = t + (int64_t)off * 60;
    return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* 1 when code[0..len) is no barcode or in-store code by the code rules: a
 * cashier keyed it. (A code that is both a valid GTIN and an item's SKU is
 * looked up as the GTIN, so it is never keyed.) */
static int typed(const pl_barcode_cfg_t *cfg, const char *code, size_t len)
{
    pl_code_t c;
    return pl_barcode_normalize(cfg, code, len, &c) != 0 || c.kind == PL_CODE_ITEM;
}

/* The JSON string at *p (a quote), as raw bytes between its quotes; 0 when
 * it is not one or has an escape (no keyed code or SKU has one). */
static int raw_str(const char **p, const char *end, const char **s, size_t *n)
{
    const char *q = *p;
    if (q >= end || *q != '"')
        return 0;
    const char *b = ++q;
    while (q < end && *q != '"' && *q != '\\')
        q++;
    if (q >= end || *q != '"')
        return 0;
    *s = b;
    *n = (size_t)(q - b);
    *p = q + 1;
    return 1;
}

static int lit(const char **p, const char *end, const char *l)
{
    size_t n = strlen(l);
    if ((size_t)(end - *p) < n || memcmp(*p, l, n) != 0)
        return 0;
    *p += n;
    return 1;
}

/* From the head of an ok answer, {"status":"ok","code":C,"gtin":G,"sku":S:
 * the SKU when C is S (a keyed item code) and G is a barcode of it. */
static int keyed_sku(const char *json, size_t len, const char **sku, size_t *n)
{
    const char *p = json, *end = json + len, *code, *gtin;
    size_t cn, gn;
    if (!lit(&p, end, "{\"status\":\"ok\",\"code\":") || !raw_str(&p, end, &code, &cn) ||
        !lit(&p, end, ",\"gtin\":") || !raw_str(&p, end, &gtin, &gn) ||
        !lit(&p, end, ",\"sku\":") || !raw_str(&p, end, sku, n))
        return 0;
    return gn > 0 && cn == *n && cn <= PL_ITEM_CODE_MAX && memcmp(code, *sku, cn) == 0;
}

void answer_keyed_note(answer_ctx_t *ax, const char *store, const char *json, size_t len)
{
    keyed_tab_t *k = ax->keyed;
    const char *sku;
    size_t n;
    if (!k || !keyed_sku(json, len, &sku, &n) || !typed(&k->cfg, sku, n))
        return;
    pl_stat_add(ax->stats, PL_ST_KEYED_LOOKUPS, 1);
    int64_t day = local_day(ax->now, pl_resolver_utc_offset(ax->res));
    uint64_t h = (uint64_t)day * 0x9e3779b97f4a7c15ull;
    for (const char *s = store; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)sku[i]) * 0x100000001b3ull;
    for (size_t probe = 0; probe < KEYED_SLOTS; probe++) {
        size_t i = (size_t)(h + probe) % KEYED_SLOTS;
        pl_keyed_count_t *e = &k->e[i];
        if (e->n && k->day[i] == day && strcmp(e->store, store) == 0 &&
            strncmp(e->sku, sku, n) == 0 && e->sku[n] == 0) {
            e->n++;
            return;
        }
        if (!e->n) {
            if (k->n >= KEYED_SLOTS * 3 / 4)
                break; /* full enough: counted as dropped until the next flush */
            e->n = 1;
            e->at = ax->now;
            k->day[i] = day;
            snprintf(e->store, sizeof(e->store), "%s", store);
            memcpy(e->sku, sku, n);
            e->sku[n] = 0;
            k->n++;
            return;
        }
    }
    pl_stat_add(ax->stats, PL_ST_KEYED_DROPPED, 1);
}

/* ---- REPORT ------------------------------------------------------------------ */

static void copy(char *dst, size_t cap, pl_slice_t s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = 0;
}

int answer_report_prepare(answer_ctx_t *ax, const pl_req_t *req, int charge, pl_report_t *r,
                          char *err, size_t errlen)
{
    static _Thread_local pl_answer_t a;
    memset(r, 0, sizeof(*r));
    copy(r->id, sizeof(r->id), req->report.id);
    copy(r->store, sizeof(r->store), req->store);
    copy(r->lane, sizeof(r->lane), req->report.lane);
    copy(r->cashier, sizeof(r->cashier), req->report.cashier);
    copy(r->code, sizeof(r->code), req->args[0]);
    r->kind = (uint8_t)pl_report_kind_parse(req->report.kind.p, req->report.kind.len);
    r->cause = PL_CAUSE_UNKNOWN;
    r->at = ax->now;
    r->shelf_price = PL_PRICE_NONE;
    if (r->kind == PL_REPORT_PRICE) {
        r->shelf_price = 0;
        for (size_t i = 0; i < req->report.shelf.len; i++)
            r->shelf_price = r->shelf_price * 10 + (req->report.shelf.p[i] - '0');
    }

    answer_snapshot(ax);
    int rc = pl_resolve(ax->res, r->store, req->args[0].p, req->args[0].len, ax->now, 0, &a);
    switch (a.status) {
    case PL_ANS_ERROR:
        snprintf(err, errlen, "%s", rc == PL_ENOTFOUND ? a.error : "catalogue error");
        return rc == PL_ENOTFOUND ? PL_SS_BAD_REQUEST : PL_SS_ERROR;
    case PL_ANS_BAD_CODE:
        snprintf(err, errlen, "bad code: %s", a.error);
        return PL_SS_BAD_REQUEST;
    default:
        break;
    }
    memcpy(r->sku, a.sku, sizeof(r->sku));
    r->gen = a.gen ? a.gen : pl_resolver_gen(ax->res);
    r->system_price =
        (a.status == PL_ANS_OK || a.status == PL_ANS_BLOCKED) ? a.price : PL_PRICE_NONE;
    pl_barcode_cfg_t cfg;
    pl_barcode_cfg_default(&cfg);
    r->keyed = r->sku[0] && strcmp(a.code, r->sku) == 0 && typed(&cfg, a.code, strlen(a.code));
    /* What the lane charges: for a price disagreement the store's policy;
     * otherwise the system price. The refund is what the customer paid
     * over that charge, as the lane charged the system price first. */
    int64_t sys = r->system_price, shelf = r->shelf_price;
    if (r->kind != PL_REPORT_PRICE || charge == REPORT_CHARGE_SYSTEM)
        r->charge = sys;
    else if (charge == REPORT_CHARGE_SHELF || sys == PL_PRICE_NONE)
        r->charge = shelf;
    else
        r->charge = shelf < sys ? shelf : sys;
    r->refund =
        sys != PL_PRICE_NONE && r->charge != PL_PRICE_NONE && sys > r->charge ? sys - r->charge : 0;
    return 0;
}

static void kv_str(out_t *o, const char *k, const char *v)
{
    put(o, ",\"", 2);
    put(o, k, strlen(k));
    put(o, "\":", 2);
    size_t n = o->full ? 0 : pl_json_str(o->p + o->len, o->cap - o->len, v, strlen(v));
    if (!n)
        o->full = 1;
    o->len += n;
}

static void kv_int(out_t *o, const char *k, int64_t v)
{
    char b[32];
    int n = v == PL_PRICE_NONE ? snprintf(b, sizeof(b), "null")
                               : snprintf(b, sizeof(b), "%lld", (long long)v);
    put(o, ",\"", 2);
    put(o, k, strlen(k));
    put(o, "\":", 2);
    put(o, b, (size_t)n);
}

size_t answer_report_reply(answer_ctx_t *ax, const pl_req_t *req, const pl_report_t *r, int retry,
                           char *out, size_t cap)
{
    char json[1024], at[40];
    out_t o = {json, sizeof(json), 0, 0};
    put(&o, "{\"status\":\"ok\"", 14);
    kv_str(&o, "report", r->id);
    put(&o, retry ? ",\"retry\":true" : ",\"retry\":false", retry ? 13 : 14);
    kv_str(&o, "store", r->store);
    kv_str(&o, "lane", r->lane);
    kv_str(&o, "cashier", r->cashier);
    kv_str(&o, "code", r->code);
    if (r->sku[0])
        kv_str(&o, "sku", r->sku);
    else
        put(&o, ",\"sku\":null", 11);
    kv_str(&o, "kind", pl_report_kind_name(r->kind));
    put(&o, r->keyed ? ",\"keyed\":true" : ",\"keyed\":false", r->keyed ? 13 : 14);
    kv_int(&o, "shelf_price", r->shelf_price);
    kv_int(&o, "system_price", r->system_price);
    kv_int(&o, "charge", r->charge);
    kv_int(&o, "refund", r->refund);
    kv_str(&o, "cause", pl_report_cause_name(r->cause));
    kv_str(&o, "department", pl_report_cause_dept(r->cause));
    if (pl_time_format(r->at, pl_resolver_utc_offset(ax->res), at, sizeof(at)))
        kv_str(&o, "at", at);
    put(&o, "}", 1);
    if (o.full)
        return 0;
    return pl_proto_reply_answer(req, json, o.len, out, cap);
}
