/* cit layouts: the template language of docs/price-checker.md, compiled
 * once into a pl_cit_layout_t the renderer walks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cit_int.h"
#include "json.h"
#include "pricelane/err.h"

const char *const cit_field_names[CIT_NFIELDS] = {
    [F_TEXT] = "",
    [F_NAME] = "name",
    [F_CODE] = "code",
    [F_SKU] = "sku",
    [F_UNIT] = "unit",
    [F_PACK] = "pack",
    [F_PRICE] = "price",
    [F_UNIT_PRICE] = "unit_price",
    [F_WEIGHT] = "weight",
    [F_QTY] = "qty",
    [F_PROMO] = "promo",
    [F_PROMO_END] = "promo_end",
    [F_WAS] = "was",
    [F_MEMBER] = "member",
    [F_LABEL_PRICE] = "label_price",
    [F_LABEL_LOWER] = "label_lower",
};

#define FIELD_LIST                                                                                 \
    "name, code, sku, unit, pack, price, unit_price, weight, qty, promo, promo_end, was, "         \
    "member, label_price, label_lower"

/* The default screen (明码标价): lines only; the settings' defaults are in
 * the table below. */
static const char default_template[] = "{name}"
                                       "|{unit:单位 %}{pack: ×%}"
                                       "|[large,center]{price}"
                                       "|{weight:重量 %}{qty:数量 %}"
                                       "|{unit_price:单价 %}"
                                       "|{promo}"
                                       "|{promo_end:至 %}"
                                       "|{was:原价 %}"
                                       "|{member:会员价 %}"
                                       "|{label_price:货架标签 %}"
                                       "|{label_lower:以较低价 % 为准}";

const char *pl_cit_layout_default(void)
{
    return default_template;
}

/* ---- settings: one table drives the parser, the defaults and the docs ---- */

enum { S_INT, S_ENUM, S_TEXT };

typedef struct setting {
    const char *name;
    int type;
    size_t off;          /* S_INT, S_ENUM: offset of the int in the layout; S_TEXT: text index */
    int min, max;        /* S_INT */
    const char *choices; /* S_ENUM: "a|b|c", value = index */
    const char *def;
} setting_t;

#define L(f) offsetof(pl_cit_layout_t, f)
static const setting_t settings[] = {
    {"width", S_INT, L(width), 8, 64, NULL, "20"},
    {"width_large", S_INT, L(width_large), 4, 64, NULL, NULL}, /* default: width / 2 */
    {"name", S_ENUM, L(cut_names), 0, 0, "wrap|cut", "wrap"},
    {"weight", S_ENUM, L(jin), 0, 0, "kg|jin", "kg"},
    {"beep", S_ENUM, L(beep), 0, 0, "never|message|always", "message"},
    {"currency", S_TEXT, PL_CIT_T_CURRENCY, 0, 0, NULL, "￥"},
    {"not_found", S_TEXT, PL_CIT_T_NOT_FOUND, 0, 0, NULL, "未找到该商品，请咨询服务台"},
    {"bad_code", S_TEXT, PL_CIT_T_BAD_CODE, 0, 0, NULL, "条码无法识别，请咨询服务台"},
    {"check_digit", S_TEXT, PL_CIT_T_CHECK_DIGIT, 0, 0, NULL, "条码校验位错误"},
    {"no_price", S_TEXT, PL_CIT_T_NO_PRICE, 0, 0, NULL, "该商品暂无价格，请咨询服务台"},
    {"error", S_TEXT, PL_CIT_T_ERROR, 0, 0, NULL, "价格系统暂不可用，请咨询服务台"},
    {"promo_special", S_TEXT, PL_CIT_T_SPECIAL, 0, 0, NULL, "特价"},
    {"promo_flyer", S_TEXT, PL_CIT_T_FLYER, 0, 0, NULL, "惊爆价"},
    {"promo_markdown", S_TEXT, PL_CIT_T_MARKDOWN, 0, 0, NULL, "削价"},
    {"promo_member", S_TEXT, PL_CIT_T_MEMBER, 0, 0, NULL, "会员价"},
    {"promo_clearance", S_TEXT, PL_CIT_T_CLEARANCE, 0, 0, NULL, "清仓价"},
    {"promo_other", S_TEXT, PL_CIT_T_PROMO, 0, 0, NULL, "促销"},
};
#undef L
#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* ---- the compiler ---- */

typedef struct comp {
    pl_cit_layout_t *lay;
    const char *t;             /* the template */
    size_t pos;                /* byte being read */
    int line;                  /* template line number, from 1 */
    int large_set;             /* %width_large was given */
    int src[PL_CIT_LINES_MAX]; /* template line number of each screen line */
    char *err;
    size_t errlen;
} comp_t;

static int bad(comp_t *c, size_t at, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        int k = snprintf(c->err, c->errlen, "byte %zu (line %d): ", at + 1, c->line);
        va_list ap;
        va_start(ap, fmt);
        if (k >= 0 && (size_t)k < c->errlen)
            vsnprintf(c->err + k, c->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return PL_EFORMAT;
}

static int is_sep(char ch)
{
    return ch == '|' || ch == '\n';
}

/* Reads one character of text at c->pos, ending at `stop` (unescaped) or at
 * the end of the line. Escapes: \\ \| \{ \} \[ \% → the character itself.
 * Appends it to the pool. Returns 1 for a character, 0 at a stop, or a
 * negative code. */
static int text_char(comp_t *c, const char *stop, int *pct)
{
    const unsigned char *u = (const unsigned char *)c->t;
    size_t p = c->pos;
    unsigned char ch = u[p];
    if (!ch || is_sep((char)ch) || (ch == '\r' && is_sep(c->t[p + 1])) || strchr(stop, ch))
        return 0;
    if (pct)
        *pct = 0;
    size_t k = 1;
    if (ch == '\\') {
        unsigned char e = u[p + 1];
        if (!e || !strchr("\\|{}[%", e))
            return bad(c, p,
                       e ? "unknown escape \\%c: write \\\\ \\| \\{ \\} \\[ or \\%%"
                         : "\\ at the end of a line",
                       e);
        p++;
    } else if (ch == '%' && pct) {
        *pct = 1;
    } else if (ch == '{' || ch == '}') {
        return bad(c, p, "'%c' not allowed here (fields do not nest; \\%c is the character)", ch,
                   ch);
    } else if (ch < 0x20 || ch == 0x7f) {
        return bad(c, p, "control byte 0x%02x: the device would take it as a command", ch);
    } else if (ch >= 0x80) {
        k = pl_utf8_len(u + p, strlen(c->t + p));
        if (!k)
            return bad(c, p, "byte 0x%02x is not UTF-8", ch);
    }
    pl_cit_layout_t *l = c->lay;
    if (l->pool_len + k > sizeof(l->pool))
        return bad(c, p, "template longer than %d bytes", PL_CIT_TEMPLATE_MAX);
    memcpy(l->pool + l->pool_len, c->t + p, k);
    l->pool_len = (uint16_t)(l->pool_len + k);
    c->pos = p + k;
    return 1;
}

/* Reads the name of a field or setting at c->pos (lowercase letters and
 * '_') and leaves c->pos after it. *start: where it begins. Returns its
 * length, 0 when there is none. */
static size_t read_name(comp_t *c, size_t *start)
{
    *start = c->pos;
    while (c->t[c->pos] && strchr("abcdefghijklmnopqrstuvwxyz_", c->t[c->pos]))
        c->pos++;
    return c->pos - *start;
}

/* 1 when name is the n bytes at s. */
static int name_is(const char *name, const char *s, size_t n)
{
    return strlen(name) == n && memcmp(name, s, n) == 0;
}

static int add_part(comp_t *c, size_t at, pl_cit_part_t **out)
{
    pl_cit_layout_t *l = c->lay;
    if (l->nparts >= PL_CIT_PARTS_MAX)
        return bad(c, at, "more than %d text runs and fields in the template", PL_CIT_PARTS_MAX);
    *out = &l->parts[l->nparts++];
    memset(*out, 0, sizeof(**out));
    (*out)->a_off = l->pool_len;
    return 0;
}

/* {name} or {name:affix with % for the value}. */
static int field(comp_t *c)
{
    size_t at = c->pos++, s;
    size_t n = read_name(c, &s);
    int f = 0;
    for (int i = 1; i < CIT_NFIELDS; i++)
        if (name_is(cit_field_names[i], c->t + s, n))
            f = i;
    char ch = c->t[c->pos];
    if (!f) {
        size_t e = c->pos;
        while (c->t[e] && c->t[e] != '}' && c->t[e] != ':' && !is_sep(c->t[e]) && e - s < 24)
            e++;
        return bad(c, at, "unknown field {%.*s}; fields are " FIELD_LIST, (int)(e - s), c->t + s);
    }
    if (ch != '}' && ch != ':')
        return bad(c, at, "field {%s not closed by '}'", cit_field_names[f]);
    pl_cit_part_t *p = NULL;
    int rc = add_part(c, at, &p);
    if (rc)
        return rc;
    p->field = (uint8_t)f;
    int seen = 0;
    if (ch == ':') {
        c->pos++;
        int pct;
        while ((rc = text_char(c, "}", &pct)) == 1) {
            if (!pct)
                continue;
            if (seen)
                return bad(c, c->pos - 1,
                           "a second %% in {%s:...}: one %% stands for the value, \\%% is a %%",
                           cit_field_names[f]);
            seen = 1;
            c->lay->pool_len--; /* the % is not text */
            p->a_len = (uint16_t)(c->lay->pool_len - p->a_off);
            p->b_off = c->lay->pool_len;
        }
        if (rc < 0)
            return rc;
    }
    if (c->t[c->pos] != '}')
        return bad(c, at, "field {%s not closed by '}'", cit_field_names[f]);
    c->pos++;
    if (seen) {
        p->b_len = (uint16_t)(c->lay->pool_len - p->b_off);
    } else if (ch == ':') { /* {f:text}: the text stands for the value */
        p->a_len = (uint16_t)(c->lay->pool_len - p->a_off);
        p->b_off = c->lay->pool_len;
        p->field |= 0x80;
    }
    return 0;
}

static const struct {
    const char *name;
    int large, align, anchor;
} attrs[] = {
    {"small", 0, -1, -1}, {"large", 1, -1, -1}, {"left", -1, 0, -1},  {"center", -1, 1, -1},
    {"right", -1, 2, -1}, {"tl", -1, -1, 0x30}, {"tc", -1, -1, 0x31}, {"tr", -1, -1, 0x32},
    {"ml", -1, -1, 0x33}, {"mc", -1, -1, 0x34}, {"mr", -1, -1, 0x35}, {"bl", -1, -1, 0x36},
    {"bc", -1, -1, 0x37}, {"br", -1, -1, 0x38},
};

/* [attr,attr,...] at the start of a line. */
static int line_attrs(comp_t *c, pl_cit_line_t *ln)
{
    size_t open = c->pos++;
    int font = 0, align = 0;
    for (;;) {
        while (c->t[c->pos] == ' ')
            c->pos++;
        size_t s = c->pos;
        while (c->t[c->pos] && strchr("abcdefghijklmnopqrstuvwxyz", c->t[c->pos]))
            c->pos++;
        size_t n = c->pos - s;
        int k = -1;
        for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++)
            if (name_is(attrs[i].name, c->t + s, n))
                k = (int)i;
        if (k < 0)
            return bad(c, s,
                       n ? "unknown attribute '%.*s'; attributes are small, large, left, center, "
                           "right and the positions tl tc tr ml mc mr bl bc br"
                         : "attribute expected in [...]%.*s",
                       (int)n, c->t + s);
        if (attrs[k].large >= 0) {
            if (font++)
                return bad(c, s, "two fonts in [...]");
            ln->large = (uint8_t)attrs[k].large;
        } else {
            if (align++)
                return bad(c, s, "two alignments or positions in [...]");
            if (attrs[k].anchor >= 0)
                ln->anchor = (uint8_t)attrs[k].anchor;
            else
                ln->align = (uint8_t)attrs[k].align;
        }
        while (c->t[c->pos] == ' ')
            c->pos++;
        if (c->t[c->pos] == ',') {
            c->pos++;
            continue;
        }
        if (c->t[c->pos] == ']') {
            c->pos++;
            return 0;
        }
        return bad(c, open, "'[' without ']' (write \\[ for the character)");
    }
}

static int line(comp_t *c)
{
    pl_cit_layout_t *l = c->lay;
    if (l->nlines >= PL_CIT_LINES_MAX)
        return bad(c, c->pos, "more than %d lines", PL_CIT_LINES_MAX);
    pl_cit_line_t *ln = &l->lines[l->nlines];
    memset(ln, 0, sizeof(*ln));
    c->src[l->nlines] = c->line;
    ln->first = (uint8_t)l->nparts;
    int rc = 0;
    if (c->t[c->pos] == '[' && (rc = line_attrs(c, ln)) != 0)
        return rc;
    for (;;) {
        if (c->t[c->pos] == '{') {
            if ((rc = field(c)) != 0)
                return rc;
            continue;
        }
        pl_cit_part_t *p = NULL;
        if ((rc = add_part(c, c->pos, &p)) != 0)
            return rc;
        while ((rc = text_char(c, "{", NULL)) == 1)
            ;
        if (rc < 0)
            return rc;
        p->a_len = (uint16_t)(l->pool_len - p->a_off);
        if (!p->a_len)
            l->nparts--;
        if (c->t[c->pos] != '{')
            break;
    }
    ln->nparts = (uint8_t)(l->nparts - ln->first);
    l->nlines++;
    return 0;
}

static int set_value(pl_cit_layout_t *l, const setting_t *s, const char *v, size_t n, char *why,
                     size_t whylen)
{
    if (s->type == S_TEXT) {
        if (n > PL_CIT_SETTING_MAX) {
            snprintf(why, whylen, "longer than %d bytes", PL_CIT_SETTING_MAX);
            return PL_EFORMAT;
        }
        memcpy(l->texts[s->off], v, n);
        l->texts[s->off][n] = 0;
        return 0;
    }
    int *dst = (int *)((char *)l + s->off);
    if (s->type == S_INT) {
        char b[16];
        char *end;
        snprintf(b, sizeof(b), "%.*s", (int)(n < 15 ? n : 15), v);
        long x = strtol(b, &end, 10);
        if (!n || n > 6 || *end || b[0] == '+' || b[0] == '-' || x < s->min || x > s->max) {
            snprintf(why, whylen, "'%.*s' is not a number in %d..%d", (int)(n < 16 ? n : 16), v,
                     s->min, s->max);
            return PL_EFORMAT;
        }
        *dst = (int)x;
        return 0;
    }
    const char *ch = s->choices;
    for (int i = 0;; i++) {
        size_t k = strcspn(ch, "|");
        if (k == n && memcmp(ch, v, n) == 0) {
            *dst = i;
            return 0;
        }
        if (!ch[k])
            break;
        ch += k + 1;
    }
    snprintf(why, whylen, "'%.*s' is not one of %s", (int)(n < 16 ? n : 16), v, s->choices);
    return PL_EFORMAT;
}

/* %name=value: the value is text up to the end of the line. */
static int setting(comp_t *c)
{
    size_t at = c->pos++, s;
    size_t n = read_name(c, &s);
    const setting_t *st = NULL;
    for (size_t i = 0; i < NSETTINGS; i++)
        if (name_is(settings[i].name, c->t + s, n))
            st = &settings[i];
    if (!st)
        return bad(c, at,
                   "unknown setting %%%.*s; settings are width, width_large, name, weight, "
                   "beep, currency, not_found, bad_code, check_digit, no_price, error, "
                   "promo_special, promo_flyer, promo_markdown, promo_member, "
                   "promo_clearance, promo_other",
                   (int)(n < 24 ? n : 24), c->t + s);
    if (c->t[c->pos] != '=')
        return bad(c, at, "%%%s needs '=' and a value", st->name);
    c->pos++;
    /* The value's text goes through the pool (escapes, UTF-8 checks), then
     * leaves it. */
    pl_cit_layout_t *l = c->lay;
    uint16_t mark = l->pool_len;
    int rc;
    while ((rc = text_char(c, "", NULL)) == 1)
        ;
    if (rc < 0)
        return rc;
    char why[96];
    rc = set_value(l, st, l->pool + mark, l->pool_len - mark, why, sizeof(why));
    l->pool_len = mark;
    if (rc)
        return bad(c, at, "%%%s: %s", st->name, why);
    if (st->off == offsetof(pl_cit_layout_t, width_large) && st->type == S_INT)
        c->large_set = 1;
    return 0;
}

size_t cit_chars(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xc0) != 0x80;
    return k;
}

static size_t text_chars(const pl_cit_layout_t *l, int t)
{
    return cit_chars(l->texts[t], strlen(l->texts[t]));
}

size_t cit_field_max_chars(const pl_cit_layout_t *l, int f)
{
    /* money: sign, 19 digits, point, and a "/unit" of up to PL_UNIT_MAX */
    size_t money = text_chars(l, PL_CIT_T_CURRENCY) + 21 + 1 + PL_UNIT_MAX;
    size_t promo = 0;
    switch (f & 0x7f) {
    case F_NAME:
        return PL_NAME_MAX; /* a byte each at most, U+FFFD for an invalid one */
    case F_CODE:
        return PL_CODE_ECHO_MAX;
    case F_SKU:
        return PL_ITEM_CODE_MAX;
    case F_UNIT:
        return PL_UNIT_MAX;
    case F_PACK:
        return 10;
    case F_WEIGHT:
    case F_QTY:
        return 24;
    case F_PROMO_END:
        return 16;
    case F_PROMO:
        for (int t = PL_CIT_T_SPECIAL; t <= PL_CIT_T_PROMO; t++)
            if (text_chars(l, t) > promo)
                promo = text_chars(l, t);
        return promo;
    default:
        return money;
    }
}

size_t cit_line_bound(size_t chars, int width)
{
    /* Each character takes at most 4 bytes (UTF-8 or GB18030) and 2
     * columns. Two consecutive wrapped pieces take at least `width` columns
     * of the text between them (a piece ends early only at a break
     * opportunity, and what follows it did not fit), so there are at most
     * 2 * cols / width + 2 pieces, each with at most width bytes of padding
     * and a line break. 8: font, position and ETX commands. */
    size_t cols = 2 * chars, pieces = 2 * cols / (size_t)width + 2;
    return 4 * chars + pieces * ((size_t)width + 1) + 8;
}

/* The most bytes a screen of l can take: its lines, or the longest
 * message screen (name, message, reason). */
static size_t screen_bound(const pl_cit_layout_t *l, int *worst_line, size_t *line_bytes)
{
    int w = l->width < l->width_large ? l->width : l->width_large;
    size_t total = 4, msg = 0;
    *worst_line = -1;
    *line_bytes = 0;
    for (int i = 0; i < l->nlines; i++) {
        const pl_cit_line_t *ln = &l->lines[i];
        size_t chars = 0;
        for (int k = ln->first; k < ln->first + ln->nparts; k++) {
            const pl_cit_part_t *p = &l->parts[k];
            chars +=
                cit_chars(l->pool + p->a_off, p->a_len) + cit_chars(l->pool + p->b_off, p->b_len);
            if (p->field)
                chars += cit_field_max_chars(l, p->field);
        }
        if (4 * chars > *line_bytes)
            *line_bytes = 4 * chars, *worst_line = i;
        total += cit_line_bound(chars, ln->large || ln->anchor ? w : l->width);
    }
    for (int t = PL_CIT_T_NOT_FOUND; t <= PL_CIT_T_ERROR; t++)
        if (text_chars(l, t) > msg)
            msg = text_chars(l, t);
    size_t m = 4 + cit_line_bound(PL_NAME_MAX, l->width) + cit_line_bound(msg, l->width) +
               cit_line_bound(sizeof(((pl_answer_t *)0)->error), l->width);
    return total > m ? total : m;
}

int pl_cit_layout_compile(pl_cit_layout_t *out, const char *tmpl, char *err, size_t errlen)
{
    pl_cit_layout_t lay, *l = &lay; /* *out stays as it was on error */
    memset(l, 0, sizeof(*l));
    comp_t c = {.lay = l, .t = "", .err = err, .errlen = errlen};
    char why[96];
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].def)
            set_value(l, &settings[i], settings[i].def, strlen(settings[i].def), why, sizeof(why));
    if (!tmpl || !tmpl[0])
        tmpl = default_template;
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        /* pass 0: the template; pass 1: the default lines, when it has none */
        if (pass == 1) {
            if (l->nlines)
                break;
            tmpl = default_template;
        }
        c.t = tmpl, c.pos = 0, c.line = 1;
        if (strlen(tmpl) >= PL_CIT_TEMPLATE_MAX) {
            rc = bad(&c, PL_CIT_TEMPLATE_MAX, "template longer than %d bytes",
                     PL_CIT_TEMPLATE_MAX - 1);
            break;
        }
        while (!rc && tmpl[c.pos]) {
            if (tmpl[c.pos] == '%')
                rc = setting(&c);
            else if (!is_sep(tmpl[c.pos]) && tmpl[c.pos] != '\r')
                rc = line(&c);
            if (rc)
                break;
            if (tmpl[c.pos] == '\r')
                c.pos++;
            if (tmpl[c.pos] && !is_sep(tmpl[c.pos])) {
                rc = bad(&c, c.pos, "'%c' where the line should end", tmpl[c.pos]);
                break;
            }
            if (tmpl[c.pos])
                c.pos++, c.line++;
        }
    }
    if (!rc && !c.large_set)
        l->width_large = l->width / 2 < 4 ? 4 : l->width / 2;
    int worst;
    size_t lb;
    if (rc)
        return rc;
    l->out_max = screen_bound(l, &worst, &lb);
    if (lb > CIT_LINE_BYTES || l->out_max > PL_CIT_OUT_MAX) {
        if (err && errlen && lb > CIT_LINE_BYTES)
            snprintf(err, errlen, "line %d may hold %zu bytes, more than %d: fewer fields on it",
                     c.src[worst], lb, CIT_LINE_BYTES);
        else if (err && errlen)
            snprintf(err, errlen,
                     "a screen may take %zu bytes, more than %d: fewer lines or fields", l->out_max,
                     PL_CIT_OUT_MAX);
        return PL_EFORMAT;
    }
    memcpy(out, l, sizeof(*l));
    return 0;
}
