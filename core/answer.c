/* The answer's canonical encoding: one line of JSON, fields in a fixed order,
 * prices as integers in minor units, instants as RFC 3339 with the
 * catalogue's offset, null for absent values. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "pricelane/resolve.h"
#include "pricelane/timefmt.h"

/* The writer is json.h's output cursor over cap - 1 bytes: one byte stays
 * free for the final NUL. */
typedef out_t jw_t;

static void puts_(jw_t *w, const char *s)
{
    put(w, s, strlen(s));
}

static void str(jw_t *w, const char *s)
{
    size_t k = w->full ? 0 : pl_json_str(w->p + w->len, w->cap - w->len, s, strlen(s));
    if (!k)
        w->full = 1;
    w->len += k;
}

static void key(jw_t *w, const char *k)
{
    put(w, w->len > 1 ? ",\"" : "\"", w->len > 1 ? 2 : 1);
    puts_(w, k);
    put(w, "\":", 2);
}

static void kstr(jw_t *w, const char *k, const char *v)
{
    key(w, k);
    if (v && v[0])
        str(w, v);
    else
        puts_(w, "null");
}

static void kint(jw_t *w, const char *k, int64_t v, int64_t none)
{
    char b[24];
    key(w, k);
    if (v == none) {
        puts_(w, "null");
        return;
    }
    /* digits by hand: no formatted output on the answer path */
    char *e = b + sizeof(b), *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    put(w, p, (size_t)(e - p));
}

static void ktime(jw_t *w, const char *k, int64_t t, int off)
{
    char b[40];
    key(w, k);
    if (t == PL_TIME_NONE || !pl_time_format(t, off, b, sizeof(b))) {
        puts_(w, "null");
        return;
    }
    str(w, b);
}

static const char *const status_names[] = {
    [PL_ANS_OK] = "ok",       [PL_ANS_NOT_FOUND] = "not_found", [PL_ANS_BAD_CODE] = "bad_code",
    [PL_ANS_ERROR] = "error", [PL_ANS_NO_PRICE] = "no_price",   [PL_ANS_BLOCKED] = "blocked",
};

static void kdate(jw_t *w, const char *k, const pl_gs1_date_t *d)
{
    char b[16];
    key(w, k);
    if (!d->y) {
        puts_(w, "null");
        return;
    }
    snprintf(b, sizeof(b), "%04d-%02d-%02d", d->y % 10000, d->m, d->d);
    str(w, b);
}

/* The GS1 data of a 2D code: the fields a POS prints, then every AI. */
static void gs1_fields(jw_t *w, const pl_gs1_t *g, int off)
{
    kstr(w, "symbology", g->sym);
    kstr(w, "lot", g->lot);
    kstr(w, "serial", g->serial);
    kdate(w, "expiry", &g->expiry);
    int64_t at = PL_TIME_NONE;
    if (g->expiry_at.y)
        at = pl_time_local(g->expiry_at.y, g->expiry_at.m, g->expiry_at.d, g->expiry_hhmm / 100,
                           g->expiry_hhmm % 100, off);
    ktime(w, "expiry_at", at, off);
    kdate(w, "best_before", &g->best_before);
    key(w, "ais");
    put(w, "{", 1);
    for (int i = 0; i < g->nais; i++) {
        if (i)
            put(w, ",", 1);
        str(w, g->ais[i].ai);
        put(w, ":", 1);
        str(w, g->data + g->ais[i].off);
    }
    put(w, "}", 1);
}

size_t pl_answer_json(const pl_answer_t *a, int off, char *out, size_t cap)
{
    if (cap == 0)
        return 0;
    jw_t w = {out, cap - 1, 0, 0};
    int ok = a->status == PL_ANS_OK;
    put(&w, "{", 1);
    kstr(&w, "status", status_names[a->status]);
    kstr(&w, "code", a->code);
    kstr(&w, "gtin", a->gtin);
    kstr(&w, "sku", a->sku);
    kstr(&w, "name", a->name);
    kstr(&w, "unit", a->unit);
    kint(&w, "pack_qty", a->sku[0] ? a->pack_qty : 0, 0);
    kint(&w, "base_price", a->base_price, PL_PRICE_NONE);
    kint(&w, "price", a->price, PL_PRICE_NONE);
    kstr(&w, "source", ok ? a->source : NULL);
    kstr(&w, "promo_id", a->promo_id);
    ktime(&w, "promo_ends", a->promo_ends, off);
    kint(&w, "label_price", a->label_price, PL_PRICE_NONE);
    key(&w, "label_pending");
    puts_(&w, ok ? (a->label_pending ? "true" : "false") : "null");
    kstr(&w, "label_step",
         !ok                                    ? NULL
         : a->label_step == PL_LABEL_STEP_PRINT ? "print"
         : a->label_step == PL_LABEL_STEP_PLACE ? "place"
                                                : NULL);
    kint(&w, "prev_price", a->prev_price, PL_PRICE_NONE);
    ktime(&w, "prev_changed_at", a->prev_changed_at, off);
    kint(&w, "low_7d", a->low_7d, PL_PRICE_NONE);
    kint(&w, "gen", (int64_t)a->gen, -1);
    if (ok && a->measure != PL_MEASURE_NONE) {
        if (a->measure == PL_MEASURE_WEIGHT)
            kint(&w, "weight_g", a->amount, PL_PRICE_NONE);
        else if (a->measure == PL_MEASURE_COUNT)
            kint(&w, "qty", a->amount, PL_PRICE_NONE);
        else
            kint(&w, "embedded_price", a->amount, PL_PRICE_NONE);
        kint(&w, "unit_price", a->unit_price, PL_PRICE_NONE);
    }
    if (a->gs1.form != PL_GS1_PLAIN)
        gs1_fields(&w, &a->gs1, off);
    if (a->status == PL_ANS_BLOCKED)
        kstr(&w, "reason", a->reason);
    kstr(&w, "error", ok ? NULL : a->error);
    put(&w, "}", 1);
    if (w.full)
        return 0;
    out[w.len] = 0;
    return w.len;
}
