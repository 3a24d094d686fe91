/* The NQuire price checker module (core/cit.c, core/cit_layout.c): framing
 * and parsing what the device sends, compiling layouts, and the screens for
 * answers built by hand and answers resolved from a small catalogue, in
 * UTF-8 and GB18030.
 *
 * Screens are compared in a readable form: <CLR> clear, <S>/<L> font, <@n>
 * aligned text at position n, <ETX>, <BEEP>, and a newline for each 0x0D. */
#include <iconv.h>
#include <stdlib.h>
#include <unistd.h>

#include "catfix.h"
#include "check.h"
#include "pricelane/catalog.h"
#include "pricelane/cit.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"

#define T0 1790000000LL /* 2026-09-21T22:13:20+08:00 */
#define DAY 86400
#define OFF 480

static char out[PL_CIT_OUT_MAX];
static size_t out_len;

/* The readable form of a screen; "<?xx>" marks a byte that is neither a
 * known command nor text (a test failure by itself). */
static const char *show(const char *b, size_t n)
{
    static char s[4 * PL_CIT_OUT_MAX];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof(s) - 16; i++) {
        unsigned char c = (unsigned char)b[i];
        const char *w = NULL;
        char t[16];
        if (c == 0x1b && i + 1 < n) {
            unsigned char d = (unsigned char)b[++i];
            if (d == 0x25)
                w = "<CLR>";
            else if (d == 0x5e)
                w = "<BEEP>";
            else if (d == 0x42 && i + 1 < n && (b[i + 1] == '0' || b[i + 1] == '1'))
                w = b[++i] == '0' ? "<S>" : "<L>";
            else if (d == 0x2e && i + 1 < n && b[i + 1] >= 0x30 && b[i + 1] <= 0x38)
                snprintf(t, sizeof(t), "<@%c>", b[++i]), w = t;
            else
                snprintf(t, sizeof(t), "<?1b%02x>", d), w = t;
        } else if (c == 0x0d) {
            w = "\n";
        } else if (c == 0x03) {
            w = "<ETX>";
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(t, sizeof(t), "<?%02x>", c), w = t;
        }
        if (w) {
            size_t m = strlen(w);
            memcpy(s + k, w, m);
            k += m;
        } else {
            s[k++] = (char)c;
        }
    }
    s[k] = 0;
    return s;
}

static const char *render(const pl_cit_layout_t *lay, const pl_answer_t *a, const pl_answer_t *m)
{
    out_len = pl_cit_render(lay, a, m, OFF, NULL, out, sizeof(out));
    CHECK(out_len > 0 && out_len <= lay->out_max, "screen of %zu bytes, layout bound %zu", out_len,
          lay->out_max);
    return show(out, out_len);
}

/* An ok answer as pl_resolve leaves it: absent values absent. */
static pl_answer_t ok(const char *sku, const char *name, const char *unit, int64_t price)
{
    pl_answer_t a;
    memset(&a, 0, sizeof(a));
    a.status = PL_ANS_OK;
    snprintf(a.code, sizeof(a.code), "6901234567892");
    snprintf(a.sku, sizeof(a.sku), "%s", sku);
    snprintf(a.name, sizeof(a.name), "%s", name);
    snprintf(a.unit, sizeof(a.unit), "%s", unit);
    a.pack_qty = 1;
    a.base_price = a.price = price;
    a.source = "base";
    a.promo_ends = a.prev_changed_at = PL_TIME_NONE;
    a.label_price = a.prev_price = PL_PRICE_NONE;
    a.low_7d = price;
    a.unit_price = PL_PRICE_NONE;
    return a;
}

static pl_cit_layout_t compile(const char *tmpl)
{
    pl_cit_layout_t lay;
    char err[256] = "";
    memset(&lay, 0, sizeof(lay));
    int rc = pl_cit_layout_compile(&lay, tmpl, err, sizeof(err));
    CHECK(rc == 0, "template \"%s\": %s", tmpl ? tmpl : "(default)", err);
    return lay;
}

/* The compile error of tmpl, "" when it compiles. */
static const char *compile_err(const char *tmpl)
{
    static char err[256];
    pl_cit_layout_t lay;
    memset(&lay, 0x5a, sizeof(lay));
    err[0] = 0;
    int rc = pl_cit_layout_compile(&lay, tmpl, err, sizeof(err));
    if (rc) {
        /* the layout is left as it was */
        const unsigned char *u = (const unsigned char *)&lay;
        size_t i = 0;
        while (i < sizeof(lay) && u[i] == 0x5a)
            i++;
        CHECK(i == sizeof(lay), "\"%s\": layout changed on error at byte %zu", tmpl, i);
        CHECK_INT(rc, PL_EFORMAT);
    }
    return err;
}

#define CHECK_HAS(hay, needle)                                                                     \
    CHECK(strstr((hay), (needle)) != NULL, "\"%s\" does not contain \"%s\"", (hay), (needle))
#define CHECK_NOT(hay, needle)                                                                     \
    CHECK(strstr((hay), (needle)) == NULL, "\"%s\" contains \"%s\"", (hay), (needle))

static void test_frame(void)
{
    printf("checking line framing\n");
    size_t off, n, used;
    const char *b = "123\r\n456\n";
    CHECK_INT(pl_cit_frame(b, strlen(b), &off, &n, &used), 1);
    CHECK_INT(off, 0);
    CHECK_INT(n, 3);
    CHECK_INT(used, 4);
    b += used; /* "\n456\n": the LF of the CR LF pair is skipped */
    CHECK_INT(pl_cit_frame(b, strlen(b), &off, &n, &used), 1);
    CHECK_INT(off, 1);
    CHECK_INT(n, 3);
    CHECK_INT(used, 5);
    CHECK_INT(pl_cit_frame("12", 2, &off, &n, &used), 0);
    CHECK_INT(used, 0);
    CHECK_INT(pl_cit_frame("\r\n\r\n", 4, &off, &n, &used), 0);
    CHECK_INT(used, 4);
    CHECK_INT(pl_cit_frame("\n12", 3, &off, &n, &used), 0);
    CHECK_INT(used, 1);
    char big[PL_CIT_LINE_MAX + 1];
    memset(big, '1', sizeof(big));
    CHECK_INT(pl_cit_frame(big, PL_CIT_LINE_MAX - 1, &off, &n, &used), 0);
    CHECK_INT(pl_cit_frame(big, PL_CIT_LINE_MAX, &off, &n, &used), -1);
    CHECK_INT(used, 0);
    big[PL_CIT_LINE_MAX - 1] = '\n';
    CHECK_INT(pl_cit_frame(big, PL_CIT_LINE_MAX, &off, &n, &used), 1);
    CHECK_INT(n, PL_CIT_LINE_MAX - 1);
}

static void req_ok(const char *line, const char *prefixes, const char *code, const char *prefix)
{
    pl_cit_req_t r;
    int rc = pl_cit_request(line, strlen(line), prefixes, &r);
    CHECK(rc == 0, "\"%s\": %s", line, r.error);
    CHECK_STR(r.code, code);
    CHECK_INT(r.len, strlen(code));
    CHECK_STR(r.prefix, prefix);
}

static void req_bad(const char *line, size_t len, const char *why)
{
    pl_cit_req_t r;
    CHECK_INT(pl_cit_request(line, len, NULL, &r), PL_EFORMAT);
    CHECK_STR(r.error, why);
    CHECK_STR(r.code, "");
}

static void test_request(void)
{
    printf("checking requests and symbology prefixes\n");
    req_ok("6901234567892\r\n", NULL, "6901234567892", "");
    req_ok("6901234567892\n\r", NULL, "6901234567892", "");
    req_ok("F6901234567892\r", NULL, "6901234567892", "F");
    req_ok("FF12345670\n", NULL, "12345670", "FF");
    req_ok("A012345678905", NULL, "012345678905", "A");
    req_ok("E01234565\r\n", NULL, "01234565", "E");
    req_ok("]E06901234567892\r\n", NULL, "6901234567892", "]E0");
    req_ok("]C1A-1234", "", "A-1234", "]C1");
    req_ok("]E0 6901234567892", NULL, "6901234567892", "]E0");
    req_ok("  6901234567892  \r\n", NULL, "6901234567892", "");
    /* letters and digits otherwise: a keyed item code, intact */
    req_ok("A-1234", NULL, "A-1234", "");
    req_ok("AB12C3", NULL, "AB12C3", "");
    req_ok("12AB", NULL, "12AB", "");
    req_ok("ABCD1234", NULL, "ABCD1234", "");
    req_ok("FOO", NULL, "FOO", "");
    /* the device's own list */
    req_ok("C10023", "F,FF,A,E", "C10023", "");
    req_ok("FF12345670", "F, FF ,A,E", "12345670", "FF");
    req_ok("F6901234567892", "F,FF", "6901234567892", "F");
    req_ok("f6901234567892", "F,FF", "f6901234567892", "");
    req_ok("F6901234567892", "", "F6901234567892", "");

    req_bad("", 0, "empty line");
    req_bad("\r\n", 2, "empty line");
    req_bad("  \n", 3, "empty line");
    req_bad("12\03334\r\n", 6, "control byte 0x1b at position 3: not a scanned code");
    req_bad("1\t2", 3, "control byte 0x09 at position 2: not a scanned code");
    req_bad("12\r34", 5, "control byte 0x0d at position 3: not a scanned code");
    req_bad("12\xc3\xa9", 4, "byte 0xc3 at position 3: not ASCII (binary data?)");
    req_bad("1\0002", 3, "control byte 0x00 at position 2: not a scanned code");
    req_bad("]E0\r\n", 5, "nothing after the prefix ]E0");
    req_bad("]E0  \r\n", 7, "nothing after the prefix ]E0");
    char lng[80];
    memset(lng, '7', sizeof(lng));
    req_bad(lng, 64, "code of 64 bytes: longer than 63");
    lng[0] = 'F';
    req_bad(lng, 65, "code of 64 bytes after the prefix F: longer than 63");
    req_ok("F77777777777777777777777777777777777777777777777777777777777777", NULL,
           "77777777777777777777777777777777777777777777777777777777777777", "F");
}

static void test_charset(void)
{
    printf("checking character set names\n");
    pl_cit_charset_t cs = PL_CIT_GB18030;
    CHECK_INT(pl_cit_charset_parse("UTF-8", &cs), 0);
    CHECK_INT(cs, PL_CIT_UTF8);
    CHECK_INT(pl_cit_charset_parse("gb18030", &cs), 0);
    CHECK_INT(cs, PL_CIT_GB18030);
    CHECK_INT(pl_cit_charset_parse("gbk", &cs), PL_EINVAL);
    CHECK_STR(pl_cit_charset_name(PL_CIT_GB18030), "gb18030");
    pl_cit_conv_t *c = (pl_cit_conv_t *)1;
    CHECK_INT(pl_cit_conv_open(PL_CIT_UTF8, &c), 0);
    CHECK(c == NULL, "UTF-8 needs no converter");
}

static void test_templates(void)
{
    printf("checking template errors\n");
    pl_cit_layout_t d = compile(NULL);
    CHECK(d.out_max <= PL_CIT_OUT_MAX, "default bound %zu", d.out_max);
    CHECK_INT(d.width, 20);
    CHECK_INT(d.width_large, 10);
    CHECK_INT(d.nlines, 11);
    CHECK_STR(d.texts[PL_CIT_T_CURRENCY], "￥");
    CHECK_STR(compile_err("{name}|{price}|{nmae}"),
              "byte 16 (line 3): unknown field {nmae}; fields are name, code, sku, unit, pack, "
              "price, unit_price, weight, qty, promo, promo_end, was, member, label_price, "
              "label_lower");
    CHECK_STR(compile_err("[big]{price}"),
              "byte 2 (line 1): unknown attribute 'big'; attributes are small, large, left, "
              "center, right and the positions tl tc tr ml mc mr bl bc br");
    CHECK_STR(compile_err("[large,small]{price}"), "byte 8 (line 1): two fonts in [...]");
    CHECK_STR(compile_err("[center,br]{price}"),
              "byte 9 (line 1): two alignments or positions in [...]");
    CHECK_STR(compile_err("[large{price}"),
              "byte 1 (line 1): '[' without ']' (write \\[ for the character)");
    CHECK_STR(compile_err("%width=200"), "byte 1 (line 1): %width: '200' is not a number in 8..64");
    CHECK_STR(compile_err("%width=2x"), "byte 1 (line 1): %width: '2x' is not a number in 8..64");
    CHECK_STR(compile_err("{name}\n%weight=lb"),
              "byte 8 (line 2): %weight: 'lb' is not one of kg|jin");
    CHECK_STR(compile_err("%colour=red"),
              "byte 1 (line 1): unknown setting %colour; settings are width, width_large, name, "
              "weight, beep, currency, not_found, bad_code, check_digit, no_price, error, "
              "promo_special, promo_flyer, promo_markdown, promo_member, promo_clearance, "
              "promo_other");
    CHECK_STR(compile_err("%width"), "byte 1 (line 1): %width needs '=' and a value");
    CHECK_STR(compile_err("原价 {price"), "byte 8 (line 1): field {price not closed by '}'");
    CHECK_STR(compile_err("a}b"),
              "byte 2 (line 1): '}' not allowed here (fields do not nest; \\} is the character)");
    CHECK_STR(compile_err("{was:原价 {price}}"),
              "byte 13 (line 1): '{' not allowed here (fields do not nest; \\{ is the character)");
    CHECK_STR(compile_err("{was:%a%}"),
              "byte 8 (line 1): a second % in {was:...}: one % stands for the value, \\% is a %");
    CHECK_STR(compile_err("a\\qb"),
              "byte 2 (line 1): unknown escape \\q: write \\\\ \\| \\{ \\} \\[ or \\%");
    CHECK_STR(compile_err("a\tb"),
              "byte 2 (line 1): control byte 0x09: the device would take it as a command");
    CHECK_STR(compile_err("{name}|a\xff"), "byte 9 (line 2): byte 0xff is not UTF-8");
    CHECK_STR(compile_err("%currency=\x1b"),
              "byte 11 (line 1): control byte 0x1b: the device would take it as a command");
    char t[PL_CIT_TEMPLATE_MAX + 8];
    t[0] = 0;
    for (int i = 0; i < 17; i++)
        strcat(t, "{name}|");
    CHECK_STR(compile_err(t), "byte 113 (line 17): more than 16 lines");
    strcpy(t, "{name}{name}{name}{name}{name}");
    CHECK_STR(compile_err(t), "line 1 may hold 2400 bytes, more than 2048: fewer fields on it");
    t[0] = 0;
    for (int i = 0; i < 8; i++)
        strcat(t, "{name}{name}{name}|");
    CHECK_HAS(compile_err(t), "a screen may take ");
    CHECK_HAS(compile_err(t), " bytes, more than 8192: fewer lines or fields");
    memset(t, 'x', sizeof(t) - 1);
    t[sizeof(t) - 1] = 0;
    CHECK_STR(compile_err(t), "byte 2049 (line 1): template longer than 2047 bytes");

    printf("checking template forms\n");
    CHECK_STR(compile_err("%width=24|%name=cut|%weight=jin|%beep=always|{name}"), "");
    pl_cit_layout_t l = compile("%width=24|%name=cut|%weight=jin|%beep=always|\r\n{name}\r\n");
    CHECK_INT(l.width, 24);
    CHECK_INT(l.width_large, 12); /* half the width unless set */
    CHECK_INT(l.cut_names, 1);
    CHECK_INT(l.jin, 1);
    CHECK_INT(l.beep, 2);
    CHECK_INT(l.nlines, 1);
    l = compile("%width=30|%width_large=12");
    CHECK_INT(l.width_large, 12);
    CHECK_INT(l.nlines, d.nlines); /* no lines: the default ones */
    l = compile("%not_found=Sorry \\| not here");
    CHECK_STR(l.texts[PL_CIT_T_NOT_FOUND], "Sorry | not here");
}

/* A screen's lines with the commands in readable form, for one layout. */
static pl_cit_layout_t deflt;

static void test_plain(void)
{
    printf("checking a plain item\n");
    pl_answer_t a = ok("100007", "农夫山泉 饮用天然水 550ml", "瓶", 200);
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>农夫山泉 饮用天然水\n550ml\n单位 瓶\n<L>  ￥2.00\n");
    a.pack_qty = 4;
    snprintf(a.unit, sizeof(a.unit), "组");
    a.price = 99900;
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>农夫山泉 饮用天然水\n550ml\n单位 组 ×4\n<L> ￥999.00\n");
    /* a price wider than the large font is written small, never broken */
    a.price = 12345678;
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>农夫山泉 饮用天然水\n550ml\n单位 组 ×4\n    ￥123456.78\n");
}

static void test_promo(void)
{
    printf("checking a promotion and the was price\n");
    pl_answer_t a = ok("100234", "酸奶 200g", "each", 490);
    a.base_price = 590;
    a.source = "special";
    snprintf(a.promo_id, sizeof(a.promo_id), "P2024-18");
    a.promo_ends = 1796054400; /* 2026-12-01T00:00:00+08:00 */
    a.prev_price = 590;
    a.prev_changed_at = T0;
    a.low_7d = 490;
    a.label_price = 490;
    const char *want = "<CLR><S>酸奶 200g\n单位 each\n<L>  ￥4.90\n<S>特价\n至 2026-12-01 00:00\n"
                       "原价 ￥5.90\n";
    CHECK_STR(render(&deflt, &a, NULL), want);
    a.source = "flyer";
    CHECK_HAS(render(&deflt, &a, NULL), "<S>惊爆价\n");
    a.source = "bogof";
    CHECK_HAS(render(&deflt, &a, NULL), "<S>促销\n");
    pl_cit_layout_t l = compile("%width=30|%promo_other=Deal|{promo}{promo_end: until %}");
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>Deal until 2026-12-01 00:00\n");
    /* the end in another offset */
    out_len = pl_cit_render(&l, &a, NULL, 0, NULL, out, sizeof(out));
    CHECK_STR(show(out, out_len), "<CLR><S>Deal until 2026-11-30 16:00\n");
    /* no promotion: no promo lines, even with a source and an end */
    a.promo_id[0] = 0;
    CHECK_STR(render(&l, &a, NULL), "<CLR>");
}

static void test_was(void)
{
    printf("checking honest and dishonest was prices\n");
    pl_cit_layout_t l = compile("{price}{was: 原价 %}");
    pl_answer_t a = ok("1", "x", "each", 490);
    a.prev_price = 590, a.low_7d = 490; /* 5.90 for long, 4.90 now */
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>￥4.90 原价 ￥5.90\n");
    a.prev_price = 590, a.low_7d = 590; /* changed this instant: not above low_7d */
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>￥4.90\n");
    a.prev_price = 390, a.low_7d = 390; /* the price went up */
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>￥4.90\n");
    a.prev_price = 490, a.low_7d = 490; /* the same */
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>￥4.90\n");
    a.prev_price = PL_PRICE_NONE, a.low_7d = 490; /* never changed */
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>￥4.90\n");
    a.prev_price = 590, a.low_7d = PL_PRICE_NONE; /* no 7-day reference */
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>￥4.90\n");
    /* raised to 5.90, then "cut" to 4.90: 3.90 was charged within 7 days */
    a.prev_price = 590, a.low_7d = 390;
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>￥4.90\n");
}

static void test_member(void)
{
    printf("checking the member price\n");
    pl_answer_t a = ok("100002", "娃哈哈 AD钙奶 220g×4", "组", 990);
    a.pack_qty = 4;
    pl_answer_t m = a;
    m.price = 850;
    m.source = "member";
    snprintf(m.promo_id, sizeof(m.promo_id), "MB-0001");
    const char *base = "<CLR><S>娃哈哈 AD钙奶 220g×4\n单位 组 ×4\n<L>  ￥9.90\n";
    char want[256];
    snprintf(want, sizeof(want), "%s<S>会员价 ￥8.50\n", base);
    CHECK_STR(render(&deflt, &a, &m), want);
    CHECK_STR(render(&deflt, &a, NULL), base);
    m.price = 990; /* not lower */
    CHECK_STR(render(&deflt, &a, &m), base);
    m.price = 850;
    snprintf(m.sku, sizeof(m.sku), "other");
    CHECK_STR(render(&deflt, &a, &m), base);
    snprintf(m.sku, sizeof(m.sku), "100002");
    m.status = PL_ANS_ERROR;
    CHECK_STR(render(&deflt, &a, &m), base);
}

static void test_weighed(void)
{
    printf("checking weighed items and scale codes\n");
    pl_answer_t a = ok("W", "猪肉 精瘦肉", "kg", 3981);
    CHECK_STR(render(&deflt, &a, NULL), "<CLR><S>猪肉 精瘦肉\n<L>￥39.81/kg\n");
    pl_cit_layout_t jin = compile("%weight=jin");
    /* per 500 g: what 500 g is charged (19.905 rounded down) */
    CHECK_STR(render(&jin, &a, NULL), "<CLR><S>猪肉 精瘦肉\n<L>￥19.90/斤\n");
    a.prev_price = 4580, a.low_7d = 3981;
    CHECK_HAS(render(&jin, &a, NULL), "原价 ￥22.90/斤\n");

    /* scale code with a weight: the charge, the weight, the price per kg */
    a = ok("W", "猪肉 精瘦肉", "kg", 1814);
    a.measure = PL_MEASURE_WEIGHT;
    a.amount = 456;
    a.unit_price = 3980;
    a.low_7d = 3980;
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>猪肉 精瘦肉\n<L> ￥18.14\n<S>重量 0.456kg\n单价 ￥39.80/kg\n");
    CHECK_STR(render(&jin, &a, NULL),
              "<CLR><S>猪肉 精瘦肉\n<L> ￥18.14\n<S>重量 0.456kg\n单价 ￥19.90/斤\n");
    a.amount = 12050;
    CHECK_HAS(render(&deflt, &a, NULL), "重量 12.050kg\n");

    /* scale code with a count */
    a = ok("E", "鸡蛋", "个", 750);
    a.measure = PL_MEASURE_COUNT;
    a.amount = 3;
    a.unit_price = 250;
    a.low_7d = 250;
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>鸡蛋\n单位 个\n<L>  ￥7.50\n<S>数量 3\n单价 ￥2.50/个\n");

    /* scale code with an embedded price */
    a = ok("W", "猪肉 精瘦肉", "kg", 2000);
    a.measure = PL_MEASURE_PRICE;
    a.amount = 2000;
    a.unit_price = 3980;
    a.source = "embedded";
    CHECK_STR(render(&deflt, &a, NULL), "<CLR><S>猪肉 精瘦肉\n<L> ￥20.00\n<S>单价 ￥39.80/kg\n");
}

static void test_label(void)
{
    printf("checking the pending shelf label note\n");
    pl_answer_t a = ok("A", "调和油", "桶", 900);
    a.label_price = 1000;
    a.label_pending = 1;
    const char *base = "<CLR><S>调和油\n单位 桶\n<L>  ￥9.00\n";
    char want[256];
    snprintf(want, sizeof(want), "%s<S>货架标签 ￥10.00\n以较低价 ￥9.00 为准\n", base);
    CHECK_STR(render(&deflt, &a, NULL), want);
    a.label_price = 850; /* the shelf is lower: it applies */
    snprintf(want, sizeof(want), "%s<S>货架标签 ￥8.50\n以较低价 ￥8.50 为准\n", base);
    CHECK_STR(render(&deflt, &a, NULL), want);
    a.label_pending = 0;
    CHECK_STR(render(&deflt, &a, NULL), base);
    a.label_pending = 1;
    a.label_price = 900;
    CHECK_STR(render(&deflt, &a, NULL), base);
    a.label_price = PL_PRICE_NONE;
    CHECK_STR(render(&deflt, &a, NULL), base);
}

static void test_wrap(void)
{
    printf("checking wrapping and cutting at the width\n");
    pl_cit_layout_t w = compile("%width=12|{name}"), c = compile("%width=12|%name=cut|{name}");
    pl_cit_layout_t c11 = compile("%width=11|%name=cut|{name}");
    pl_answer_t a = ok("1", "一二三四五六七八九十", "each", 100);
    CHECK_STR(render(&w, &a, NULL), "<CLR><S>一二三四五六\n七八九十\n");
    CHECK_STR(render(&c, &a, NULL), "<CLR><S>一二三四五六\n");
    CHECK_STR(render(&c11, &a, NULL), "<CLR><S>一二三四五\n"); /* never half a character */
    snprintf(a.name, sizeof(a.name), "Organic Whole Milk 2L Family Pack");
    CHECK_STR(render(&w, &a, NULL), "<CLR><S>Organic\nWhole Milk\n2L Family\nPack\n");
    CHECK_STR(render(&c, &a, NULL), "<CLR><S>Organic Whol\n");
    snprintf(a.name, sizeof(a.name), "Supercalifragilistic");
    CHECK_STR(render(&w, &a, NULL), "<CLR><S>Supercalifra\ngilistic\n");
    snprintf(a.name, sizeof(a.name), "金龙鱼 黄金比例调和油 5L");
    CHECK_STR(render(&w, &a, NULL), "<CLR><S>金龙鱼 黄金\n比例调和油\n5L\n");
    /* punctuation stays with what precedes it */
    snprintf(a.name, sizeof(a.name), "一二三四五，六七");
    CHECK_STR(render(&c11, &a, NULL), "<CLR><S>一二三四五\n");
    pl_cit_layout_t w10 = compile("%width=10|{name}");
    CHECK_STR(render(&w10, &a, NULL), "<CLR><S>一二三四\n五，六七\n");
    /* cut shortens the name only: the price on its line stays whole */
    pl_cit_layout_t np = compile("%width=12|%name=cut|{name} {price}");
    snprintf(a.name, sizeof(a.name), "Organic Whole Milk");
    CHECK_STR(render(&np, &a, NULL), "<CLR><S>Organ ￥1.00\n");
    /* alignment by padding, per wrapped line */
    pl_cit_layout_t r = compile("%width=12|[right]{name}|[center]{price}");
    CHECK_STR(render(&r, &a, NULL), "<CLR><S>     Organic\n  Whole Milk\n   ￥1.00\n");

    printf("checking names that are not clean UTF-8\n");
    snprintf(a.name, sizeof(a.name), "Bad\xff名\x1b字\xc2\x85!");
    CHECK_STR(render(&w, &a, NULL), "<CLR><S>Bad\xef\xbf\xbd名 字 !\n");
    /* a cut never leaves half a character, even next to a replaced byte */
    snprintf(a.name, sizeof(a.name),
             "\xe4\xb8\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80\xe4\xb8\x80"
             "\xe4\xb8\x80\xe4\xb8\x80");
    CHECK_STR(render(&c11, &a, NULL), "<CLR><S>\xef\xbf\xbd\xef\xbf\xbd一一一一\n");
}

static void test_anchor(void)
{
    printf("checking aligned text at the device's positions\n");
    pl_cit_layout_t l = compile("{name}|[large,br]{price}|[tc]{promo}");
    pl_answer_t a = ok("1", "酸奶", "each", 490);
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>酸奶\n<L><@8>￥4.90<ETX>");
    snprintf(a.promo_id, sizeof(a.promo_id), "P1");
    a.source = "special";
    CHECK_STR(render(&l, &a, NULL), "<CLR><S>酸奶\n<L><@8>￥4.90<ETX><S><@1>特价<ETX>");
    /* an aligned text is one line: the name is cut to fit */
    pl_cit_layout_t n = compile("[large,mc]{name} {price}");
    snprintf(a.name, sizeof(a.name), "Organic Whole Milk Family Pack");
    CHECK_STR(render(&n, &a, NULL), "<CLR><L><@4>Org ￥4.90<ETX>");
    /* a price too wide for the large font: small */
    pl_cit_layout_t big = compile("[large,mc]{price}");
    a.price = 12345678;
    CHECK_STR(render(&big, &a, NULL), "<CLR><S><@4>￥123456.78<ETX>");
    a.price = 490;
    /* more than the device takes in one aligned text: flows instead, centred */
    pl_cit_layout_t f = compile("%width=40|[bc]原价 {price} 会员价 {member} 标签 {label_price}");
    pl_answer_t m = a;
    m.price = 450;
    a.label_pending = 1, a.label_price = 500;
    CHECK_STR(render(&f, &a, &m), "<CLR><S> 原价 ￥4.90 会员价 ￥4.50 标签 ￥5.00\n");
    /* ...with the name whole when cutting it would not be enough */
    pl_cit_layout_t fn =
        compile("%width=40|[bc]{name} 原价 {price} 会员价 {member} 标签 {label_price}");
    CHECK_STR(render(&fn, &a, &m), "<CLR><S>  Organic Whole Milk Family Pack 原价\n"
                                   "    ￥4.90 会员价 ￥4.50 标签 ￥5.00\n");
}

static void test_messages(void)
{
    printf("checking the message screens\n");
    pl_answer_t a;
    memset(&a, 0, sizeof(a));
    a.status = PL_ANS_NOT_FOUND;
    snprintf(a.code, sizeof(a.code), "6901234567892");
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>未找到该商品，请咨询\n服务台\n6901234567892\n<BEEP>");
    a.status = PL_ANS_BAD_CODE;
    snprintf(a.error, sizeof(a.error), "EAN-13 check digit is 3, expected 2");
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>条码无法识别，请咨询\n服务台\n条码校验位错误\n<BEEP>");
    snprintf(a.error, sizeof(a.error), "7 digits: not a GTIN length (8, 12, 13, 14)");
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>条码无法识别，请咨询\n服务台\n7 digits: not a GTIN\n"
              "length (8, 12, 13,\n14)\n<BEEP>");
    a.status = PL_ANS_NO_PRICE;
    snprintf(a.name, sizeof(a.name), "无价商品");
    CHECK_STR(render(&deflt, &a, NULL), "<CLR><S>无价商品\n该商品暂无价格，请咨\n询服务台\n<BEEP>");
    a.status = PL_ANS_ERROR;
    snprintf(a.error, sizeof(a.error), "catalogue: catalogue storage error");
    CHECK_STR(render(&deflt, &a, NULL), "<CLR><S>价格系统暂不可用，请\n咨询服务台\n<BEEP>");
    pl_cit_layout_t o = compile("%not_found=Not found, ask at the desk|%beep=never");
    a.status = PL_ANS_NOT_FOUND;
    CHECK_STR(render(&o, &a, NULL), "<CLR><S>Not found, ask at\nthe desk\n6901234567892\n");
    pl_cit_layout_t b = compile("%beep=always|{price}");
    pl_answer_t p = ok("1", "x", "each", 100);
    CHECK_STR(render(&b, &p, NULL), "<CLR><S>￥1.00\n<BEEP>");

    /* a line the request parser refused */
    pl_cit_req_t r;
    pl_cit_request("12\x01", 3, NULL, &r);
    out_len = pl_cit_render_status(&o, PL_ANS_BAD_CODE, r.error, NULL, out, sizeof(out));
    CHECK_STR(show(out, out_len), "<CLR><S>条码无法识别，请咨询\n服务台\ncontrol byte 0x01 at\n"
                                  "position 3: not a\nscanned code\n");
    out_len = pl_cit_render_status(&deflt, PL_ANS_ERROR, NULL, NULL, out, sizeof(out));
    CHECK_STR(show(out, out_len), "<CLR><S>价格系统暂不可用，请\n咨询服务台\n<BEEP>");
}

/* In: UTF-8 bytes; out: what glibc makes of them in GB18030, or "" when
 * it cannot convert one of them. */
static size_t to_gb(const char *in, size_t n, char *o, size_t cap)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    CHECK(cd != (iconv_t)-1, "iconv_open GB18030");
    char *ip = (char *)in, *op = o;
    size_t il = n, ol = cap;
    size_t rc = iconv(cd, &ip, &il, &op, &ol);
    iconv_close(cd);
    return rc == (size_t)-1 ? 0 : cap - ol;
}

static void test_gb18030(void)
{
    printf("checking GB18030 output\n");
    pl_cit_conv_t *conv = NULL;
    int rc = pl_cit_conv_open(PL_CIT_GB18030, &conv);
    CHECK(rc == 0 && conv, "GB18030 converter: %s", pl_strerror(rc));
    if (!conv)
        return;
    pl_answer_t a = ok("100234", "酸奶 200g", "元", 490);
    a.prev_price = 590;
    size_t ul = pl_cit_render(&deflt, &a, NULL, OFF, NULL, out, sizeof(out));
    char utf[PL_CIT_OUT_MAX], gb[PL_CIT_OUT_MAX], want[PL_CIT_OUT_MAX];
    memcpy(utf, out, ul);
    size_t gl = pl_cit_render(&deflt, &a, NULL, OFF, conv, gb, sizeof(gb));
    size_t wl = to_gb(utf, ul, want, sizeof(want));
    CHECK(gl > 0 && gl == wl && memcmp(gb, want, gl) == 0,
          "GB18030 screen (%zu bytes) is not the UTF-8 one converted (%zu bytes)", gl, wl);
    /* known bytes: 元 D4 AA, ￥ A3 A4, 酸 CB E1, 奶 C4 CC */
    CHECK(memmem(gb, gl, "\xb5\xa5\xce\xbb \xd4\xaa\r", 8) != NULL, "单位 元 in GB18030");
    CHECK(memmem(gb, gl,
                 "\x1b\x42\x31  \xa3\xa4"
                 "4.90\r",
                 12) != NULL,
          "￥4.90 in GB18030");
    CHECK(memmem(gb, gl, "\x1b\x25\x1b\x42\x30\xcb\xe1\xc4\xcc 200g\r", 15) != NULL,
          "酸奶 in GB18030");
    /* U+E78D: private use, which glibc's GB18030 (2022 mapping) does not
     * encode: it becomes '?'. Older tables encode it: then as they do. */
    snprintf(a.name, sizeof(a.name),
             "A\xee\x9e\x8d"
             "B");
    gl = pl_cit_render(&deflt, &a, NULL, OFF, conv, gb, sizeof(gb));
    char one[8];
    if (to_gb("\xee\x9e\x8d", 3, one, sizeof(one)) == 0)
        CHECK(memmem(gb, gl, "A?B\r", 4) != NULL, "unencodable character as '?': %s", show(gb, gl));
    else
        printf("  (this glibc encodes U+E78D: '?' not checked)\n");
    /* the converter is reusable after a screen that did not fit */
    CHECK_INT(pl_cit_render(&deflt, &a, NULL, OFF, conv, gb, 10), 0);
    snprintf(a.name, sizeof(a.name), "酸奶 200g");
    gl = pl_cit_render(&deflt, &a, NULL, OFF, conv, gb, sizeof(gb));
    CHECK(gl == wl && memcmp(gb, want, gl) == 0, "GB18030 after a failed screen");
    /* the message screens too */
    gl = pl_cit_render_status(&deflt, PL_ANS_NOT_FOUND, "690", conv, gb, sizeof(gb));
    ul = pl_cit_render_status(&deflt, PL_ANS_NOT_FOUND, "690", NULL, utf, sizeof(utf));
    wl = to_gb(utf, ul, want, sizeof(want));
    CHECK(gl == wl && memcmp(gb, want, gl) == 0, "GB18030 message screen");
    pl_cit_conv_close(conv);
}

static void test_sizes(void)
{
    printf("checking buffer sizes\n");
    pl_answer_t a = ok("100234", "酸奶 200g", "each", 490);
    size_t n = pl_cit_render(&deflt, &a, NULL, OFF, NULL, out, sizeof(out));
    char small[PL_CIT_OUT_MAX];
    CHECK_INT(pl_cit_render(&deflt, &a, NULL, OFF, NULL, small, n - 1), 0);
    CHECK_INT(pl_cit_render(&deflt, &a, NULL, OFF, NULL, small, 0), 0);
    CHECK_INT(pl_cit_render(&deflt, &a, NULL, OFF, NULL, small, n), n);
    CHECK(memcmp(small, out, n) == 0, "same screen in a buffer of its size");
    CHECK_INT(pl_cit_render_status(&deflt, PL_ANS_ERROR, NULL, NULL, small, 5), 0);
    /* a reason longer than an answer's is cut, before a character */
    char why[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(why, "错");
    n = pl_cit_render_status(&deflt, PL_ANS_BAD_CODE, why, NULL, out, sizeof(out));
    CHECK(n > 0 && n <= deflt.out_max, "long reason: %zu bytes, bound %zu", n, deflt.out_max);
    const char *txt = show(out, n);
    CHECK_HAS(txt, "错错错错错错错错错错\n错错错错错错错错错错\n错错错错错错错错错错\n"
                   "错错错错错错错错错错\n错错\n<BEEP>"); /* 42 of them: 126 bytes */

    /* the worst answer: the longest name, all bytes invalid, every field */
    pl_cit_conv_t *conv = NULL;
    pl_cit_conv_open(PL_CIT_GB18030, &conv);
    pl_cit_layout_t all = compile(
        "{name}|{code} {sku} {unit}{pack}|[large,center]{price}|{weight}{qty}{unit_price}|"
        "{promo} {promo_end}|{was}|{member}|{label_price}{label_lower}|[large,center]{name}");
    a = ok("SKU-1234567890123456789012345678", "", "ＡＢＣＤＥＦＧ", INT64_MAX);
    memset(a.name, 0xff, PL_NAME_MAX);
    a.name[PL_NAME_MAX] = 0;
    memset(a.code, '9', PL_CODE_ECHO_MAX);
    a.pack_qty = UINT32_MAX;
    a.measure = PL_MEASURE_COUNT;
    a.amount = INT64_MAX;
    a.unit_price = INT64_MAX - 1;
    a.prev_price = INT64_MAX;
    a.low_7d = INT64_MAX - 1;
    a.label_pending = 1, a.label_price = INT64_MAX - 2;
    a.source = "clearance";
    snprintf(a.promo_id, sizeof(a.promo_id), "X");
    a.promo_ends = T0;
    pl_answer_t m = a;
    m.unit_price = 0;
    m.price = INT64_MIN + 1;
    const pl_cit_layout_t *lays[] = {&deflt, &all};
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 2; k++) {
            pl_cit_conv_t *cv = k ? conv : NULL;
            size_t len = pl_cit_render(lays[i], &a, &m, OFF, cv, out, sizeof(out));
            CHECK(len > 0 && len <= lays[i]->out_max, "worst screen %zu bytes, bound %zu", len,
                  lays[i]->out_max);
        }
    }
    pl_cit_conv_close(conv);
}

/* The screen of docs/price-checker.md, byte for byte. */
static void test_doc_example(void)
{
    printf("checking the captured screen of docs/price-checker.md\n");
    pl_answer_t a = ok("100234", "光明 莫斯利安 酸奶 200g", "盒", 490);
    snprintf(a.gtin, sizeof(a.gtin), "06901234567892");
    a.base_price = 590;
    a.source = "special";
    snprintf(a.promo_id, sizeof(a.promo_id), "P2024-18");
    a.promo_ends = 1796054400;
    a.label_price = 590;
    a.label_pending = 1;
    a.label_step = PL_LABEL_STEP_PRINT;
    a.prev_price = 590;
    a.prev_changed_at = 1795536000;
    a.low_7d = 490;
    a.gen = 42;
    char json[1024];
    pl_answer_json(&a, OFF, json, sizeof(json));
    CHECK_STR(json, "{\"status\":\"ok\",\"code\":\"6901234567892\",\"gtin\":\"06901234567892\","
                    "\"sku\":\"100234\",\"name\":\"光明 莫斯利安 酸奶 200g\",\"unit\":\"盒\","
                    "\"pack_qty\":1,\"base_price\":590,\"price\":490,\"source\":\"special\","
                    "\"promo_id\":\"P2024-18\",\"promo_ends\":\"2026-12-01T00:00:00+08:00\","
                    "\"label_price\":590,\"label_pending\":true,\"label_step\":\"print\","
                    "\"prev_price\":590,"
                    "\"prev_changed_at\":\"2026-11-25T00:00:00+08:00\",\"low_7d\":490,\"gen\":42,"
                    "\"error\":null}");
    static const char utf8[] = "1b251b4230e58589e6988e20e88eabe696afe588a9e5ae8920e985b8e5a5b60d"
                               "323030670de58d95e4bd8d20e79b920d1b42312020efbfa5342e39300d1b4230"
                               "e789b9e4bbb70de887b320323032362d31322d30312030303a30300de58e9fe4"
                               "bbb720efbfa5352e39300de8b4a7e69eb6e6a087e7adbe20efbfa5352e39300d"
                               "e4bba5e8be83e4bd8ee4bbb720efbfa5342e393020e4b8bae587860d";
    static const char gb[] = "1b251b4230b9e2c3f720c4aacbb9c0fbb0b220cbe1c4cc0d323030670db5a5ce"
                             "bb20bad00d1b42312020a3a4342e39300d1b4230ccd8bcdb0dd6c12032303236"
                             "2d31322d30312030303a30300dd4adbcdb20a3a4352e39300dbbf5bcdcb1eac7"
                             "a920a3a4352e39300dd2d4bdcfb5cdbcdb20a3a4342e393020ceaad7bc0d";
    pl_cit_conv_t *conv = NULL;
    pl_cit_conv_open(PL_CIT_GB18030, &conv);
    for (int k = 0; k < 2; k++) {
        const char *want = k ? gb : utf8;
        size_t n = pl_cit_render(&deflt, &a, NULL, OFF, k ? conv : NULL, out, sizeof(out));
        char hex[2 * PL_CIT_OUT_MAX + 1];
        for (size_t i = 0; i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", (unsigned char)out[i]);
        hex[2 * n] = 0;
        CHECK_STR(hex, want);
    }
    pl_cit_conv_close(conv);
}

/* ---- answers from a catalogue ---- */

static pl_txn_t *txn;

static void price(const char *sku, int64_t start, int64_t p)
{
    catfix_price(txn, sku, PL_LEVEL_BASE, "", start, p, 0, "b1");
}

/* A promotion from an hour before T0. */
static void promo(const char *id, int kind, const char *sku, int64_t end, int64_t p)
{
    catfix_promo(txn, id, kind, sku, T0 - 3600, end, p);
}

static void test_catalogue(void)
{
    printf("checking screens of resolved answers\n");
    char dir[] = "/tmp/pl-test-cit-XXXXXX";
    pl_cat_t *cat = catfix_open(dir, OFF, 0);
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    /* A: 10.00 for a month, 9.00 for two days; its label still says 10.00 */
    catfix_item(txn, "A", "金龙鱼 调和油 5L", "桶", 0, NULL);
    catfix_barcode(txn, "06901234567892", "A");
    price("A", T0 - 30 * DAY, 1000);
    price("A", T0 - 2 * DAY, 900);
    pl_label_t lb = {"A", "", 1000, T0 - 30 * DAY, 0, PL_TIME_NONE, T0 - 30 * DAY};
    CHECK_INT(pl_label_put(txn, &lb), 0);
    catfix_job(txn, "A", PL_LEVEL_BASE, "", 900, T0 - 2 * DAY);
    /* B: 5.00, members 3.50, a special at 4.50 for everyone */
    catfix_item(txn, "B", "蒙牛 纯牛奶 250ml×24", "箱", 0, NULL);
    catfix_barcode(txn, "06920000000012", "B");
    price("B", T0 - 30 * DAY, 500);
    promo("P-sp", PL_PROMO_SPECIAL, "B", T0 + 10 * DAY, 450);
    promo("P-mb", PL_PROMO_MEMBER, "B", T0 + 10 * DAY, 350);
    /* W: weighed, 39.80 per kg, scale item code 12345 */
    catfix_item(txn, "W", "猪肉 精瘦肉", "kg", PL_ITEM_WEIGHED, "12345");
    price("W", T0 - DAY, 3980);
    uint64_t gen;
    CHECK_INT(pl_meta_bump(txn, "b1", &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    pl_resolver_t *res;
    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);
    CHECK_INT(pl_resolver_refresh(res), 0);
    CHECK_INT(pl_resolver_utc_offset(res), OFF);

    pl_answer_t a, m;
    pl_cit_req_t r;
    CHECK_INT(pl_cit_request("F6901234567892\r\n", 16, NULL, &r), 0);
    pl_resolve(res, NULL, r.code, r.len, T0, 0, &a);
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>金龙鱼 调和油 5L\n单位 桶\n<L>  ￥9.00\n"
              "<S>原价 ￥10.00\n货架标签 ￥10.00\n以较低价 ￥9.00 为准\n");

    pl_resolve(res, NULL, "6920000000012", 13, T0, 0, &a);
    pl_resolve(res, NULL, "6920000000012", 13, T0, 1, &m);
    CHECK_STR(render(&deflt, &a, &m), "<CLR><S>蒙牛 纯牛奶 250ml×24\n单位 箱\n<L>  ￥4.50\n"
                                      "<S>特价\n至 2026-10-01 22:13\n原价 ￥5.00\n会员价 ￥3.50\n");

    /* 21 12345 00456 C: 456 g of W */
    char code[16] = "211234500456";
    code[12] = (char)('0' + pl_barcode_check_digit(code, 12));
    code[13] = 0;
    pl_resolve(res, NULL, code, 13, T0, 0, &a);
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>猪肉 精瘦肉\n<L> ￥18.14\n<S>重量 0.456kg\n单价 ￥39.80/kg\n");
    code[12] = code[12] == '9' ? '0' : code[12] + 1;
    pl_resolve(res, NULL, code, 13, T0, 0, &a);
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>条码无法识别，请咨询\n服务台\n条码校验位错误\n<BEEP>");
    pl_resolve(res, NULL, "4006381333931", 13, T0, 0, &a);
    CHECK_STR(render(&deflt, &a, NULL),
              "<CLR><S>未找到该商品，请咨询\n服务台\n4006381333931\n<BEEP>");

    pl_resolver_free(res);
    catfix_close(cat, dir);
}

int main(void)
{
    test_frame();
    test_request();
    test_charset();
    test_templates();
    deflt = compile(NULL);
    test_plain();
    test_promo();
    test_was();
    test_member();
    test_weighed();
    test_label();
    test_wrap();
    test_anchor();
    test_messages();
    test_gb18030();
    test_sizes();
    test_doc_example();
    test_catalogue();
    return pl_test_done("test_cit");
}
