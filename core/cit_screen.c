/* cit screens: an answer (or a status) to the bytes the NQuire shows, as a
 * compiled layout says (cit.h, docs/price-checker.md). */
#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cit_int.h"
#include "json.h"
#include "pricelane/timefmt.h"

/* ---- output: commands as they are, text through the converter ---- */

#define ESC "\x1b"
#define CMD_CLEAR ESC "\x25"
#define CMD_BEEP ESC "\x5e"
#define CMD_ETX "\x03"
#define CMD_CR "\x0d"

typedef struct em {
    out_t o;
    pl_cit_conv_t *conv;
    int font; /* -1: not set yet on this screen */
} em_t;

static void cmd(em_t *e, const char *s, size_t n)
{
    put(&e->o, s, n);
}

static void font(em_t *e, int large)
{
    if (e->font == large)
        return;
    cmd(e, large ? ESC "\x42\x31" : ESC "\x42\x30", 3);
    e->font = large;
}

/* Text is valid UTF-8 here (cleaned on the way in); what the character set
 * cannot encode becomes '?'. */
static void text(em_t *e, const char *s, size_t n)
{
    if (!e->conv) {
        put(&e->o, s, n);
        return;
    }
    char *in = (char *)s;
    size_t left = n;
    while (left && !e->o.full) {
        char *op = e->o.p + e->o.len;
        size_t room = e->o.cap - e->o.len;
        size_t rc = iconv(e->conv->cd, &in, &left, &op, &room);
        e->o.len = (size_t)(op - e->o.p);
        if (rc != (size_t)-1)
            break;
        if (errno == E2BIG) {
            e->o.full = 1;
            break;
        }
        size_t k = pl_utf8_len((const unsigned char *)in, left);
        k = k ? k : 1;
        put(&e->o, "?", 1);
        in += k;
        left -= k;
    }
}

/* ---- characters ---- */

static uint32_t decode(const unsigned char *s, size_t k)
{
    if (k == 1)
        return s[0];
    uint32_t cp = s[0] & (0x7f >> k);
    for (size_t i = 1; i < k; i++)
        cp = cp << 6 | (s[i] & 0x3f);
    return cp;
}

/* East Asian wide and fullwidth characters: two columns. */
static int is_wide(uint32_t cp)
{
    static const uint32_t r[][2] = {
        {0x1100, 0x115f},   {0x2e80, 0x303e},   {0x3041, 0x33ff},   {0x3400, 0x4dbf},
        {0x4e00, 0x9fff},   {0xa000, 0xa4cf},   {0xa960, 0xa97f},   {0xac00, 0xd7a3},
        {0xf900, 0xfaff},   {0xfe10, 0xfe19},   {0xfe30, 0xfe6f},   {0xff00, 0xff60},
        {0xffe0, 0xffe6},   {0x1f300, 0x1f64f}, {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd},
        {0x30000, 0x3fffd},
    };
    if (cp < 0x1100)
        return 0;
    for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
        if (cp >= r[i][0] && cp <= r[i][1])
            return 1;
    return 0;
}

/* Punctuation a line must not start with (it stays with what precedes). */
static int no_start(uint32_t cp)
{
    static const uint32_t p[] = {',',    '.',    ';',    ':',    '?',    '!',    ')',    '%',
                                 0x3001, 0x3002, 0xff0c, 0xff0e, 0xff1b, 0xff1a, 0xff1f, 0xff01,
                                 0xff09, 0x300d, 0x300f, 0x3011, 0x300b, 0x3009, 0xff05, 0x2026};
    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        if (cp == p[i])
            return 1;
    return 0;
}

/* ---- one line of the screen, assembled as UTF-8 ---- */

typedef struct lbuf {
    char b[CIT_LINE_BYTES];
    size_t len;
    struct {
        size_t s, e;
    } keep[PL_CIT_PARTS_MAX]; /* never broken inside: prices, dates, codes */
    int nkeep;
    size_t name_s, name_e; /* the name's bytes, when has_name */
    int has_name;
} lbuf_t;

/* Appends s[0..n) cleaned: bytes that are not valid UTF-8 become U+FFFD,
 * control characters (C0, DEL, C1) a space, so nothing from the catalogue
 * reaches the device as a command. */
static void add(lbuf_t *lb, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t k = u[i] < 0x80 ? 1 : pl_utf8_len(u + i, n - i);
        const char *w = s + i;
        size_t wn = k;
        if (!k)
            w = "\xef\xbf\xbd", wn = 3, k = 1;
        else if (u[i] < 0x20 || u[i] == 0x7f || (k == 2 && decode(u + i, 2) < 0xa0))
            w = " ", wn = 1;
        if (lb->len + wn > sizeof(lb->b))
            return; /* not reached: the compiler bounds every line */
        memcpy(lb->b + lb->len, w, wn);
        lb->len += wn;
        i += k;
    }
}

typedef struct chr {
    uint16_t off; /* < CIT_LINE_BYTES */
    uint8_t len, cols, space, wide, nostart, inkeep;
} chr_t;

/* Splits lb into characters; returns the count and the total columns. */
static size_t chars_of(const lbuf_t *lb, chr_t *c, size_t *cols)
{
    size_t n = 0;
    *cols = 0;
    for (size_t i = 0; i < lb->len; n++) {
        const unsigned char *u = (const unsigned char *)lb->b + i;
        size_t k = u[0] < 0x80 ? 1 : pl_utf8_len(u, lb->len - i);
        k = k ? k : 1;
        uint32_t cp = decode(u, k);
        chr_t *x = &c[n];
        x->off = (uint16_t)i;
        x->len = (uint8_t)k;
        x->wide = (uint8_t)is_wide(cp);
        x->cols = x->wide ? 2 : 1;
        x->space = cp == ' ';
        x->nostart = (uint8_t)no_start(cp);
        x->inkeep = 0;
        for (int s = 0; s < lb->nkeep; s++)
            if (lb->keep[s].s < i && i < lb->keep[s].e)
                x->inkeep = 1;
        *cols += x->cols;
        i += k;
    }
    return n;
}

/* May a wrapped line start at character j? */
static int can_break(const chr_t *c, size_t j)
{
    return j > 0 && !c[j].inkeep && !c[j].space && !c[j].nostart &&
           (c[j - 1].space || c[j - 1].wide || c[j].wide);
}

/* Shortens the name from its end until the line fits max_cols and
 * max_chars, or the name is gone. */
static void cut_name(lbuf_t *lb, size_t cols, size_t chars, size_t max_cols, size_t max_chars)
{
    size_t e = lb->name_e;
    while (e > lb->name_s && (cols > max_cols || chars > max_chars)) {
        size_t s = e - 1;
        while (s > lb->name_s && ((unsigned char)lb->b[s] & 0xc0) == 0x80)
            s--;
        size_t k = e - s;
        uint32_t cp = decode((const unsigned char *)lb->b + s, k);
        cols -= is_wide(cp) ? 2 : 1;
        chars--;
        e = s;
    }
    size_t gone = lb->name_e - e;
    if (!gone)
        return;
    memmove(lb->b + e, lb->b + lb->name_e, lb->len - lb->name_e);
    lb->len -= gone;
    for (int s = 0; s < lb->nkeep; s++)
        if (lb->keep[s].s >= lb->name_e)
            lb->keep[s].s -= gone, lb->keep[s].e -= gone;
    lb->name_e = e;
}

/* Columns and characters of lb->b[s..e). */
static size_t cols_of(const lbuf_t *lb, size_t s, size_t e, size_t *chars)
{
    size_t cols = 0, n = 0;
    for (size_t i = s; i < e; n++) {
        const unsigned char *u = (const unsigned char *)lb->b + i;
        size_t k = u[0] < 0x80 ? 1 : pl_utf8_len(u, e - i);
        k = k ? k : 1;
        cols += is_wide(decode(u, k)) ? 2 : 1;
        i += k;
    }
    if (chars)
        *chars = n;
    return cols;
}

static size_t widest_keep(const lbuf_t *lb)
{
    size_t w = 0;
    for (int s = 0; s < lb->nkeep; s++) {
        size_t cols = cols_of(lb, lb->keep[s].s, lb->keep[s].e, NULL);
        w = cols > w ? cols : w;
    }
    return w;
}

static void emit_piece(em_t *e, const lbuf_t *lb, const chr_t *c, size_t s, size_t end, int align,
                       int width)
{
    while (end > s && c[end - 1].space)
        end--;
    size_t cols = 0;
    for (size_t i = s; i < end; i++)
        cols += c[i].cols;
    size_t pad = 0;
    if (cols < (size_t)width)
        pad = align == 1 ? ((size_t)width - cols) / 2 : align == 2 ? (size_t)width - cols : 0;
    char spaces[64]; /* width <= 64 */
    memset(spaces, ' ', sizeof(spaces));
    cmd(e, spaces, pad < sizeof(spaces) ? pad : sizeof(spaces));
    if (end > s)
        text(e, lb->b + c[s].off, c[end - 1].off + c[end - 1].len - c[s].off);
    cmd(e, CMD_CR, 1);
}

/* Writes lb as the layout says: cut or wrapped at the width, aligned by
 * padding, or placed at an anchor. A price is never cut or broken: a large
 * line whose price does not fit the large width is written small, and an
 * anchored line that does not fit one line flows instead. */
static void emit_line(em_t *e, const pl_cit_layout_t *lay, lbuf_t *lb, int large, int align,
                      int anchor)
{
    chr_t c[CIT_LINE_BYTES];
    size_t cols, n = chars_of(lb, c, &cols);
    if (large && widest_keep(lb) > (size_t)lay->width_large)
        large = 0;
    int w = large ? lay->width_large : lay->width;
    if (anchor) {
        /* What stays when the whole name is cut must fit. */
        size_t name_chars = 0, name_cols = 0;
        if (lb->has_name)
            name_cols = cols_of(lb, lb->name_s, lb->name_e, &name_chars);
        if (large && (cols - name_cols > (size_t)w || n - name_chars > PL_CIT_ALIGN_TEXT_MAX))
            large = 0, w = lay->width;
        if (cols - name_cols <= (size_t)w && n - name_chars <= PL_CIT_ALIGN_TEXT_MAX) {
            char pos[3] = {'\x1b', '\x2e', (char)anchor};
            if (cols > (size_t)w || n > PL_CIT_ALIGN_TEXT_MAX)
                cut_name(lb, cols, n, (size_t)w, PL_CIT_ALIGN_TEXT_MAX);
            font(e, large);
            cmd(e, pos, 3);
            text(e, lb->b, lb->len);
            cmd(e, CMD_ETX, 1);
            return;
        }
        align = (anchor - 0x30) % 3;
    }
    if (cols > (size_t)w && lb->has_name && lay->cut_names) {
        cut_name(lb, cols, n, (size_t)w, SIZE_MAX);
        n = chars_of(lb, c, &cols);
    }
    font(e, large);
    size_t i = 0;
    do {
        size_t s = i, used = 0, brk = 0, end = n;
        if (s > 0) {
            while (s < n && c[s].space)
                s++;
            if (s == n)
                break; /* spaces at the end of a wrapped line */
        }
        for (size_t j = s; j < n; j++) {
            if (j > s && can_break(c, j))
                brk = j;
            if (j > s && used + c[j].cols > (size_t)w) {
                /* at the space that overflows, else at the last opportunity */
                end = c[j].space && !c[j].inkeep ? j : brk > s ? brk : j;
                while (end < n && c[end].inkeep) /* a price runs over, never breaks */
                    end++;
                break;
            }
            used += c[j].cols;
        }
        emit_piece(e, lb, c, s, end, align, w);
        i = end;
    } while (i < n);
}

/* ---- field values ---- */

typedef struct view {
    const pl_cit_layout_t *lay;
    const pl_answer_t *a, *m;
    int off;
} view_t;

static int is_kg(const char *unit)
{
    return !strcasecmp(unit, "kg") || !strcmp(unit, "千克") || !strcmp(unit, "公斤");
}

/* Is the answer's per-unit price a price per kg? */
static int per_weight(const pl_answer_t *a)
{
    return a->measure == PL_MEASURE_WEIGHT || (a->measure != PL_MEASURE_COUNT && is_kg(a->unit));
}

/* The price per unit now: what prev_price, low_7d and label_price compare
 * with (for a variable-measure code, price is the charge for the pack). */
static int64_t unit_now(const pl_answer_t *a)
{
    return a->measure != PL_MEASURE_NONE ? a->unit_price : a->price;
}

static size_t money(const view_t *v, char *b, size_t cap, int64_t x)
{
    if (x == PL_PRICE_NONE)
        return 0;
    uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    int k = snprintf(b, cap, "%s%s%" PRIu64 ".%02u", v->lay->texts[PL_CIT_T_CURRENCY],
                     x < 0 ? "-" : "", u / 100, (unsigned)(u % 100));
    return k > 0 && (size_t)k < cap ? (size_t)k : 0;
}

/* A per-unit price: per kg, per 500 g (斤: what 500 g is charged, rounded
 * down as a charge is), or per the unit of a counted or priced code. */
static size_t per_unit(const view_t *v, const pl_answer_t *a, char *b, size_t cap, int64_t x)
{
    if (x == PL_PRICE_NONE)
        return 0;
    int jin = v->lay->jin && per_weight(a);
    size_t k = money(v, b, cap, jin ? x / 2 : x);
    const char *unit = per_weight(a) ? (jin ? "斤" : "kg") : a->unit;
    if (!k || (a->measure == PL_MEASURE_NONE && !per_weight(a)) || !unit[0])
        return k;
    int n = snprintf(b + k, cap - k, "/%s", unit);
    return n > 0 && (size_t)n < cap - k ? k + (size_t)n : k;
}

/* The price to pay: the charge of a variable-measure code, else the price
 * (per kg for an item sold by weight). */
static size_t pay(const view_t *v, const pl_answer_t *a, char *b, size_t cap)
{
    return a->measure != PL_MEASURE_NONE ? money(v, b, cap, a->price)
                                         : per_unit(v, a, b, cap, a->price);
}

/* A "was" price is shown only when it is honest: it existed, it is above
 * the price now, and no price below the one now was charged in the last 7
 * days (China's marked-price rules compare with the lowest price of the 7
 * days before a reduction; low_7d, the lowest of the last 7 days, is the
 * nearest the answer carries: see docs/price-checker.md). */
static int honest_was(const pl_answer_t *a)
{
    int64_t now = unit_now(a);
    return a->prev_price != PL_PRICE_NONE && a->low_7d != PL_PRICE_NONE && now != PL_PRICE_NONE &&
           a->prev_price > now && a->prev_price > a->low_7d && a->low_7d >= now;
}

static int member_lower(const view_t *v)
{
    const pl_answer_t *a = v->a, *m = v->m;
    return m && m->status == PL_ANS_OK && !strcmp(m->sku, a->sku) && m->measure == a->measure &&
           unit_now(m) != PL_PRICE_NONE && unit_now(m) < unit_now(a);
}

/* The shelf label shows another price and its reprint is due. */
static int label_note(const pl_answer_t *a)
{
    return a->label_pending && a->label_price != PL_PRICE_NONE && unit_now(a) != PL_PRICE_NONE &&
           a->label_price != unit_now(a);
}

static const char *promo_text(const view_t *v)
{
    static const char *const kinds[] = {"special", "flyer", "markdown", "member", "clearance"};
    const char *src = v->a->source ? v->a->source : "";
    for (int i = 0; i < 5; i++)
        if (!strcmp(src, kinds[i]))
            return v->lay->texts[PL_CIT_T_SPECIAL + i];
    return v->lay->texts[PL_CIT_T_PROMO];
}

static size_t copy(char *b, size_t cap, const char *s)
{
    size_t n = strlen(s);
    n = n < cap ? n : cap - 1;
    memcpy(b, s, n);
    return n;
}

/* Field f's text into b (raw: add() cleans it); 0 = empty. */
static size_t value(const view_t *v, int f, char *b, size_t cap)
{
    const pl_answer_t *a = v->a;
    int64_t now = unit_now(a);
    switch (f) {
    case F_NAME:
        return copy(b, cap, a->name);
    case F_CODE:
        return copy(b, cap, a->code);
    case F_SKU:
        return copy(b, cap, a->sku);
    case F_UNIT:
        return per_weight(a) ? 0 : copy(b, cap, a->unit);
    case F_PACK:
        return a->pack_qty > 1 ? (size_t)snprintf(b, cap, "%" PRIu32, a->pack_qty) : 0;
    case F_PRICE:
        return pay(v, a, b, cap);
    case F_UNIT_PRICE:
        return a->measure != PL_MEASURE_NONE ? per_unit(v, a, b, cap, a->unit_price) : 0;
    case F_WEIGHT:
        if (a->measure != PL_MEASURE_WEIGHT || a->amount < 0)
            return 0;
        return (size_t)snprintf(b, cap, "%" PRId64 ".%03dkg", a->amount / 1000,
                                (int)(a->amount % 1000));
    case F_QTY:
        if (a->measure != PL_MEASURE_COUNT || a->amount < 0)
            return 0;
        return (size_t)snprintf(b, cap, "%" PRId64, a->amount);
    case F_PROMO:
        return a->promo_id[0] ? copy(b, cap, promo_text(v)) : 0;
    case F_PROMO_END: {
        char t[40];
        if (!a->promo_id[0] || a->promo_ends == PL_TIME_NONE ||
            pl_time_format(a->promo_ends, v->off, t, sizeof(t)) < 16)
            return 0;
        t[10] = ' '; /* 2026-12-01T00:00:00+08:00 → 2026-12-01 00:00 */
        memcpy(b, t, 16);
        return 16;
    }
    case F_WAS:
        return honest_was(a) ? per_unit(v, a, b, cap, a->prev_price) : 0;
    case F_MEMBER:
        return member_lower(v) ? pay(v, v->m, b, cap) : 0;
    case F_LABEL_PRICE:
        return label_note(a) ? per_unit(v, a, b, cap, a->label_price) : 0;
    case F_LABEL_LOWER:
        return label_note(a) ? per_unit(v, a, b, cap, a->label_price < now ? a->label_price : now)
                             : 0;
    default:
        return 0;
    }
}

/* Assembles a template line; returns 0 when it is left out (it has fields
 * and all are empty). */
static int build(const view_t *v, const pl_cit_line_t *ln, lbuf_t *lb)
{
    const pl_cit_layout_t *lay = v->lay;
    int fields = 0, full = 0;
    lb->len = 0;
    lb->nkeep = 0;
    lb->has_name = 0;
    for (int k = ln->first; k < ln->first + ln->nparts; k++) {
        const pl_cit_part_t *p = &lay->parts[k];
        int f = p->field & 0x7f;
        char val[256];
        size_t n = 0;
        if (f) {
            fields++;
            n = value(v, f, val, sizeof(val));
            if (!n)
                continue;
            full++;
        }
        add(lb, lay->pool + p->a_off, p->a_len);
        if (!f || (p->field & 0x80))
            continue;
        size_t s = lb->len;
        add(lb, val, n);
        if (f == F_NAME && !lb->has_name) {
            lb->has_name = 1;
            lb->name_s = s, lb->name_e = lb->len;
        } else if (f != F_NAME && f != F_UNIT && f != F_PROMO && lb->nkeep < PL_CIT_PARTS_MAX) {
            lb->keep[lb->nkeep].s = s;
            lb->keep[lb->nkeep++].e = lb->len;
        }
        add(lb, lay->pool + p->b_off, p->b_len);
    }
    return !fields || full;
}

/* ---- screens ---- */

static void start(em_t *e, pl_cit_conv_t *conv, char *out, size_t cap)
{
    e->o = (out_t){out, cap, 0, 0};
    e->conv = conv;
    e->font = -1;
    if (conv)
        iconv(conv->cd, NULL, NULL, NULL, NULL); /* a failed call may have left a state */
    cmd(e, CMD_CLEAR, 2);
}

static size_t finish(em_t *e, int beep)
{
    if (beep)
        cmd(e, CMD_BEEP, 2);
    return e->o.full ? 0 : e->o.len;
}

static void flow(em_t *e, const pl_cit_layout_t *lay, lbuf_t *lb, const char *s, int is_name)
{
    lb->len = 0;
    lb->nkeep = 0;
    add(lb, s, strlen(s));
    lb->has_name = is_name;
    lb->name_s = 0, lb->name_e = lb->len;
    if (lb->len)
        emit_line(e, lay, lb, 0, 0, 0);
}

static size_t message(const pl_cit_layout_t *lay, pl_status_t st, const char *name,
                      const char *detail, pl_cit_conv_t *conv, char *out, size_t cap)
{
    static const int text_of[] = {[PL_ANS_NOT_FOUND] = PL_CIT_T_NOT_FOUND,
                                  [PL_ANS_BAD_CODE] = PL_CIT_T_BAD_CODE,
                                  [PL_ANS_ERROR] = PL_CIT_T_ERROR,
                                  [PL_ANS_NO_PRICE] = PL_CIT_T_NO_PRICE};
    int t = st > 0 && st <= PL_ANS_NO_PRICE ? text_of[st] : PL_CIT_T_ERROR;
    /* A reason is at most what an answer carries (the layout's bound counts
     * on it), cut before a character, never inside one. */
    char d[sizeof(((pl_answer_t *)0)->error)];
    if (detail) {
        size_t n = strlen(detail);
        if (n >= sizeof(d))
            for (n = sizeof(d) - 1; n && ((unsigned char)detail[n] & 0xc0) == 0x80;)
                n--;
        memcpy(d, detail, n);
        d[n] = 0;
        detail = d;
    }
    em_t e;
    lbuf_t lb;
    start(&e, conv, out, cap);
    font(&e, 0);
    if (name)
        flow(&e, lay, &lb, name, 1);
    if (st != PL_ANS_BLOCKED) /* a blocked pack: the name and the reason alone */
        flow(&e, lay, &lb, lay->texts[t], 0);
    /* The answer carries its reason as text only: a wrong check digit is
     * recognised by the words barcode.c puts in it. */
    if (detail && st == PL_ANS_BAD_CODE && strstr(detail, "check digit"))
        detail = lay->texts[PL_CIT_T_CHECK_DIGIT];
    if (detail)
        flow(&e, lay, &lb, detail, 0);
    return finish(&e, lay->beep >= 1);
}

size_t pl_cit_render_status(const pl_cit_layout_t *lay, pl_status_t st, const char *detail,
                            pl_cit_conv_t *conv, char *out, size_t cap)
{
    return message(lay, st, NULL, detail, conv, out, cap);
}

size_t pl_cit_render(const pl_cit_layout_t *lay, const pl_answer_t *a, const pl_answer_t *member,
                     int utc_offset_min, pl_cit_conv_t *conv, char *out, size_t cap)
{
    switch (a->status) {
    case PL_ANS_OK:
        break;
    case PL_ANS_NOT_FOUND:
        return message(lay, a->status, NULL, a->code, conv, out, cap);
    case PL_ANS_BAD_CODE:
        return message(lay, a->status, NULL, a->error, conv, out, cap);
    case PL_ANS_NO_PRICE:
        return message(lay, a->status, a->name, NULL, conv, out, cap);
    case PL_ANS_BLOCKED:
        return message(lay, a->status, a->name, a->error, conv, out, cap);
    default:
        return message(lay, PL_ANS_ERROR, NULL, NULL, conv, out, cap);
    }
    view_t v = {lay, a, member, utc_offset_min};
    em_t e;
    lbuf_t lb;
    start(&e, conv, out, cap);
    for (int i = 0; i < lay->nlines; i++) {
        const pl_cit_line_t *ln = &lay->lines[i];
        if (build(&v, ln, &lb))
            emit_line(&e, lay, &lb, ln->large, ln->align, ln->anchor);
    }
    return finish(&e, lay->beep >= 2);
}
