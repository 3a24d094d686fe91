/* The answer's canonical encoding: one line of JSON, fields in a fixed order,
 * prices as integers in minor units, instants as RFC 3339 with the
 * catalogue's offset, null for absent values. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pricelane/resolve.h"
#include "pricelane/timefmt.h"

typedef struct jw {
    char *p;
    size_t len, cap;
    int overflow;
} jw_t;

static void put(jw_t *w, const char *s, size_t n)
{
    if (w->overflow || w->len + n >= w->cap) {
        w->overflow = 1;
        return;
    }
    memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void puts_(jw_t *w, const char *s)
{
    put(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (max n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;
    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0)
        len = 2, cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        len = 3, cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A JSON string; bytes that are not valid UTF-8 become U+FFFD so the line
 * is always valid JSON whatever a client sent. */
static void str(jw_t *w, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    put(w, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char ch = u[i];
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            put(w, e, 2);
            i++;
        } else if (ch < 0x20 || ch == 0x7f) {
            char e[8];
            snprintf(e, sizeof(e), "\\u%04x", ch);
            put(w, e, 6);
            i++;
        } else {
            size_t k = utf8_seq(u + i, n - i);
            if (k)
                put(w, s + i, k);
            else
                puts_(w, "\\ufffd");
            i += k ? k : 1;
        }
    }
    put(w, "\"", 1);
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
    snprintf(b, sizeof(b), "%" PRId64, v);
    puts_(w, b);
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
    [PL_ANS_ERROR] = "error", [PL_ANS_NO_PRICE] = "no_price",
};

size_t pl_answer_json(const pl_answer_t *a, int off, char *out, size_t cap)
{
    jw_t w = {out, 0, cap, 0};
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
    kstr(&w, "error", ok ? NULL : a->error);
    put(&w, "}", 1);
    if (w.overflow)
        return 0;
    out[w.len] = 0;
    return w.len;
}
