/* Unit test of core/barcode.c: GS1 check digits, UPC-E expansion, ISBN-10,
 * restricted-circulation decoding, keyed item codes and pattern parsing.
 *
 * Check digits the test needs are computed here by reference functions
 * written from the GS1 definitions (not copied from the implementation), and
 * published vectors pin both. */
#include <stdbool.h>

#include "check.h"

#include "pricelane/barcode.h"
#include "pricelane/err.h"

static pl_barcode_cfg_t defaults;

/* ---- reference algorithms ----------------------------------------------- */

/* GS1 7.9.1 check digit, computed left to right: a payload digit gets weight
 * 3 when an odd number of digits (itself included) stand at its right. */
static int ref_check(const char *payload)
{
    size_t n = strlen(payload);
    int sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (payload[i] - '0') * ((n - i) % 2 ? 3 : 1);
    return (10 - sum % 10) % 10;
}

/* Writes payload + its check digit into buf and returns buf. */
static const char *with_check(const char *payload, char *buf)
{
    size_t n = strlen(payload);
    memcpy(buf, payload, n);
    buf[n] = (char)('0' + ref_check(payload));
    buf[n + 1] = '\0';
    return buf;
}

/* GS1 7.9.2 weighting factors by arithmetic rather than lookup tables. */
static int wf_2minus(int d)
{
    int p = 2 * d;
    return (p % 10 - p / 10 + 10) % 10;
}

static int wf_3(int d)
{
    return 3 * d % 10;
}

static int wf_5plus(int d)
{
    int p = 5 * d;
    return (p % 10 + p / 10) % 10;
}

static int wf_5minus(int d)
{
    int p = 5 * d;
    return (p % 10 - p / 10 + 10) % 10;
}

static int ref_price4(int price)
{
    int d0 = price / 1000, d1 = price / 100 % 10, d2 = price / 10 % 10, d3 = price % 10;
    return (wf_2minus(d0) + wf_2minus(d1) + wf_3(d2) + wf_5minus(d3)) * 3 % 10;
}

static int ref_price5(int price)
{
    int d[5];
    for (int i = 4; i >= 0; i--, price /= 10)
        d[i] = price % 10;
    int sum = wf_5plus(d[0]) + wf_2minus(d[1]) + wf_5minus(d[2]) + wf_5plus(d[3]) + wf_2minus(d[4]);
    int want = (10 - sum % 10) % 10;
    for (int k = 0; k < 10; k++)
        if (wf_5minus(k) == want)
            return k;
    return -1;
}

/* ---- helpers ------------------------------------------------------------ */

static int norm(const pl_barcode_cfg_t *cfg, const char *s, pl_code_t *c)
{
    return pl_barcode_normalize(cfg, s, strlen(s), c);
}

static bool has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

#define CHECK_HAS(hay, needle) CHECK(has(hay, needle), "\"%s\" lacks \"%s\"", hay, needle)

/* Normalizes s and expects a GTIN with the given 14 digits. */
static void expect_gtin(const pl_barcode_cfg_t *cfg, const char *s, const char *gtin)
{
    pl_code_t c;
    int rc = norm(cfg, s, &c);
    CHECK(rc == 0 && c.kind == PL_CODE_GTIN && strcmp(c.gtin, gtin) == 0,
          "\"%s\": rc %d kind %d gtin \"%s\" error \"%s\", want GTIN %s", s, rc, c.kind, c.gtin,
          c.error, gtin);
}

/* Normalizes s and expects rc with msg somewhere in the error text. */
static void expect_error(const pl_barcode_cfg_t *cfg, const char *s, int want, const char *msg)
{
    pl_code_t c;
    int rc = norm(cfg, s, &c);
    CHECK(rc == want && c.kind == PL_CODE_NONE && has(c.error, msg),
          "\"%s\": rc %s kind %d error \"%s\", want %s \"%s\"", s, pl_errname(rc), c.kind, c.error,
          pl_errname(want), msg);
}

static void expect_item(const pl_barcode_cfg_t *cfg, const char *s, const char *item)
{
    pl_code_t c;
    int rc = norm(cfg, s, &c);
    CHECK(rc == 0 && c.kind == PL_CODE_ITEM && strcmp(c.item, item) == 0 && c.gtin[0] == '\0',
          "\"%s\": rc %d kind %d item \"%s\" error \"%s\", want ITEM %s", s, rc, c.kind, c.item,
          c.error, item);
}

static void expect_variable(const pl_barcode_cfg_t *cfg, const char *s, const char *plu,
                            pl_measure_t m, int64_t amount, int format)
{
    pl_code_t c;
    int rc = norm(cfg, s, &c);
    CHECK(rc == 0 && c.kind == PL_CODE_VARIABLE && strcmp(c.item, plu) == 0 && c.measure == m &&
              c.amount == amount && c.format == format,
          "\"%s\": rc %d kind %d item \"%s\" measure %d amount %" PRId64
          " format %d error \"%s\"; want PLU %s measure %d amount %" PRId64 " format %d",
          s, rc, c.kind, c.item, c.measure, c.amount, c.format, c.error, plu, m, amount, format);
}

static void section(const char *what)
{
    printf("checking %s\n", what);
}

/* ---- tests -------------------------------------------------------------- */

static void test_check_digit(void)
{
    section("GS1 check digit (known codes, reference on generated payloads, non-digits)");
    CHECK_INT(pl_barcode_check_digit("400638133393", 12), 1);
    CHECK_INT(pl_barcode_check_digit("7351353", 7), 7);
    CHECK_INT(pl_barcode_check_digit("03600029145", 11), 2);
    CHECK_INT(pl_barcode_check_digit("950110153100", 12), 0);
    CHECK_INT(pl_barcode_check_digit("1003600029145", 13), 9);
    CHECK_INT(pl_barcode_check_digit("", 0), 0);
    CHECK_INT(pl_barcode_check_digit("40063813339x", 12), -1);
    /* Only n bytes are read: the 'x' after them does not matter. */
    CHECK_INT(pl_barcode_check_digit("7351353x", 7), 7);

    unsigned seed = 12345;
    for (int t = 0; t < 50; t++) {
        char p[14];
        size_t n = 7 + (size_t)t % 7;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            p[i] = (char)('0' + (seed >> 16) % 10);
        }
        p[n] = '\0';
        CHECK(pl_barcode_check_digit(p, n) == ref_check(p), "payload %s: got %d, want %d", p,
              pl_barcode_check_digit(p, n), ref_check(p));
    }
}

static void test_gtins(void)
{
    section("EAN-13, EAN-8, UPC-A, GTIN-14 vectors and wrong check digits");
    char b[20];

    expect_gtin(&defaults, "4006381333931", "04006381333931");
    expect_gtin(&defaults, "73513537", "00000073513537");
    expect_gtin(&defaults, "036000291452", "00036000291452");
    expect_gtin(&defaults, "0036000291452", "00036000291452"); /* same item as EAN-13 */
    expect_gtin(&defaults, "00036000291452", "00036000291452");
    expect_gtin(&defaults, "10036000291459", "10036000291459");
    expect_gtin(&defaults, "9501101531000", "09501101531000"); /* check digit 0 */
    expect_gtin(&defaults, with_check("590123412345", b), "05901234123457");
    expect_gtin(&defaults, with_check("9638507", b), "00000096385074");
    expect_gtin(&defaults, with_check("61414100003", b), "00614141000036");
    expect_gtin(&defaults, with_check("4061414100003", b), "40614141000034");

    expect_error(&defaults, "4006381333932", PL_ECHECK, "EAN-13 check digit is 2, expected 1");
    expect_error(&defaults, "73513538", PL_ECHECK, "EAN-8 check digit is 8, expected 7");
    expect_error(&defaults, "036000291453", PL_ECHECK, "UPC-A check digit is 3, expected 2");
    expect_error(&defaults, "10036000291458", PL_ECHECK, "GTIN-14 check digit is 8, expected 9");
    expect_error(&defaults, "9501101531001", PL_ECHECK, "check digit is 1, expected 0");
}

static void test_upce(void)
{
    section("UPC-E expansion (published vectors, number system 1, bad check, bad input)");
    static const struct {
        const char *upce, *upca;
    } v[] = {
        {"02345673", "023456000073"},                               /* X6 5-9 */
        {"02345147", "023450000017"},                               /* X6 4 */
        {"06397126", "063200009716"},                               /* X6 0-2 */
        {"08679339", "086700000939"},                               /* X6 3 */
        {"14252611", "142100005261"},                               /* number system 1 */
        {"04252614", "042100005264"}, {"01234505", "012000003455"}, /* X6 0 */
    };
    char out[13], g14[15];

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        int rc = pl_barcode_upce_expand(v[i].upce, out);
        CHECK(rc == 0 && strcmp(out, v[i].upca) == 0, "%s: rc %d out \"%s\", want %s", v[i].upce,
              rc, out, v[i].upca);
        snprintf(g14, sizeof g14, "00%s", v[i].upca);
        expect_gtin(&defaults, v[i].upce, g14);
    }

    CHECK_INT(pl_barcode_upce_expand("02345674", out), PL_ECHECK);
    CHECK_STR(out, "023456000073"); /* the expansion, with its right check digit */
    CHECK_INT(pl_barcode_upce_expand("0234567a", out), PL_EBADCODE);
    CHECK_INT(pl_barcode_upce_expand("22345673", out), PL_EBADCODE); /* number system 2 */
    CHECK_INT(pl_barcode_upce_expand("0234", out), PL_EBADCODE);     /* stops at the NUL */
    expect_error(&defaults, "02345674", PL_ECHECK, "UPC-E check digit is 4, expected 3");
    expect_error(&defaults, "14252612", PL_ECHECK, "expected 1");
}

static void test_books(void)
{
    section("ISBN-13, ISSN 977, ISBN-10 (dashes, spaces, X) to 978, bad ISBN-10 check");
    expect_gtin(&defaults, "9780306406157", "09780306406157");
    expect_gtin(&defaults, "0306406152", "09780306406157");
    expect_gtin(&defaults, "0-306-40615-2", "09780306406157");
    expect_gtin(&defaults, " 0 306 40615 2\r\n", "09780306406157");
    expect_gtin(&defaults, "080442957X", "09780804429573");
    expect_gtin(&defaults, "0-8044-2957-x", "09780804429573");
    expect_gtin(&defaults, "9771234567003", "09771234567003");
    expect_error(&defaults, "0306406153", PL_ECHECK, "ISBN-10 check digit is 3, expected 2");
    expect_error(&defaults, "0804429570", PL_ECHECK, "ISBN-10 check digit is 0, expected X");
    expect_error(&defaults, "0-306-40615-X", PL_ECHECK, "expected 2");
    /* X anywhere but last is not an ISBN: then it is a keyed code. */
    expect_item(&defaults, "X306406152", "X306406152");
}

static void test_trimming(void)
{
    section("surrounding spaces, CR/LF, empty input, inner spaces");
    expect_gtin(&defaults, "  4006381333931\r\n", "04006381333931");
    expect_gtin(&defaults, "\t73513537 ", "00000073513537");
    expect_gtin(&defaults, "036000291452\n", "00036000291452");
    expect_gtin(&defaults, "02345673\r", "00023456000073");
    expect_item(&defaults, "  SKU-42\r\n", "SKU-42");
    expect_error(&defaults, "", PL_EBADCODE, "empty code");
    expect_error(&defaults, "  \r\n", PL_EBADCODE, "empty code");
    expect_error(&defaults, "4006381 333931", PL_EBADCODE, "bad character ' ' at position 8");

    pl_code_t c;
    CHECK_INT(pl_barcode_normalize(&defaults, NULL, 0, &c), PL_EBADCODE);
}

static void test_item_codes(void)
{
    section("keyed item codes, non-digits, 7/11/15/21-digit input, all zeros");
    pl_barcode_cfg_t narrow = defaults;
    narrow.item_max = 6;
    pl_code_t c;

    expect_item(&defaults, "ABC-123_x.9", "ABC-123_x.9");
    expect_item(&defaults, "40063813339x1", "40063813339x1");
    expect_item(&defaults, "1234567", "1234567");
    expect_item(&defaults, "12345678901", "12345678901");
    expect_item(&defaults, "123456789012345", "123456789012345");
    expect_item(&narrow, "123456", "123456");
    expect_error(&narrow, "1234567", PL_EBADCODE, "7 digits: not a GTIN length (8, 12, 13, 14)");
    expect_error(&narrow, "12345678901", PL_EBADCODE, "11 digits: not a GTIN length");
    expect_error(&narrow, "123456789012345", PL_EBADCODE, "15 digits: not a GTIN length");
    expect_error(&defaults, "123456789012345678901", PL_EBADCODE, "21 digits: not a GTIN length");
    expect_error(&narrow, "ABCDEFG", PL_EBADCODE, "item code of 7 characters: allowed 1..6");
    expect_error(&defaults, "abc$", PL_EBADCODE, "bad character '$' at position 4");
    expect_error(&defaults, "]E04006381333931", PL_EBADCODE, "bad character ']'");
    expect_error(&defaults,
                 "12\x01"
                 "34",
                 PL_EBADCODE, "bad character 0x01 at position 3");
    CHECK_INT(pl_barcode_normalize(&defaults,
                                   "1234\0"
                                   "5678",
                                   9, &c),
              PL_EBADCODE);
    CHECK_HAS(c.error, "0x00 at position 5");

    expect_error(&defaults, "00000000", PL_EBADCODE, "all zeros");
    expect_error(&defaults, "000000000000", PL_EBADCODE, "all zeros");
    expect_error(&defaults, "0000000000000", PL_EBADCODE, "all zeros");
    expect_error(&defaults, "00000000000000", PL_EBADCODE, "all zeros");
    expect_error(&defaults, "0000000000", PL_EBADCODE, "all zeros");
    expect_error(&defaults, "0000", PL_EBADCODE, "all zeros");
}

static void test_rcn_defaults(void)
{
    section("in-store codes with the default formats (20/21/22, UPC NS2, 02) and price checks");
    char b[20];

    expect_variable(&defaults, with_check("200012301234", b), "00123", PL_MEASURE_PRICE, 1234, 0);
    expect_variable(&defaults, with_check("210045601500", b), "00456", PL_MEASURE_WEIGHT, 1500, 1);
    expect_variable(&defaults, with_check("220078900003", b), "00789", PL_MEASURE_COUNT, 3, 2);

    /* The gtin field of an in-store code is what was scanned, left-padded. */
    pl_code_t c;
    CHECK_INT(norm(&defaults, with_check("200012301234", b), &c), 0);
    CHECK_STR(c.gtin, "02000123012346");

    /* GS1 7.9.3 example 2875 → 9, in a UPC-A number system 2 label. */
    expect_variable(&defaults, with_check("21234592875", b), "12345", PL_MEASURE_PRICE, 2875, 3);
    expect_error(&defaults, with_check("21234582875", b), PL_ECHECK,
                 "price check digit is 8, expected 9");
    /* GS1 7.9.4 example 14685 → 6, in an EAN-13 prefix 02 label. */
    expect_variable(&defaults, with_check("021234614685", b), "1234", PL_MEASURE_PRICE, 14685, 4);
    expect_error(&defaults, with_check("021234514685", b), PL_ECHECK,
                 "price check digit is 5, expected 6");
    /* A wrong code check digit is reported before any decoding. */
    expect_error(&defaults, "2000123012343", PL_ECHECK, "EAN-13 check digit is 3, expected 6");

    /* Every 4- and 5-digit price against the reference verifier. */
    for (int price = 0; price <= 9999; price += 7) {
        char p[16];
        snprintf(p, sizeof p, "212345%d%04d", ref_price4(price), price);
        expect_variable(&defaults, with_check(p, b), "12345", PL_MEASURE_PRICE, price, 3);
    }
    for (int price = 0; price <= 99999; price += 97) {
        char p[16];
        snprintf(p, sizeof p, "024321%d%05d", ref_price5(price), price);
        expect_variable(&defaults, with_check(p, b), "4321", PL_MEASURE_PRICE, price, 4);
    }
}

static void test_rcn_rules(void)
{
    section("which codes are in-store: unmatched prefixes, lengths, indicator digits, RCN-8");
    pl_barcode_cfg_t cfg = defaults;
    char b[20], p[20];
    pl_code_t c;

    /* 23-29 are in-store, but no default format describes them: kept as GTINs. */
    expect_gtin(&defaults, with_check("230012301234", b), "02300123012347");

    /* A 12-character pattern only matches a 12-digit scan. */
    CHECK_INT(pl_barcode_cfg_formats(&cfg, "2IIIIIVPPPPC", NULL, 0), 0);
    expect_variable(&cfg, with_check("21234592875", b), "12345", PL_MEASURE_PRICE, 2875, 0);
    expect_gtin(&cfg, with_check("021234592875", b), "00212345928752");

    /* A pattern without literal digits still only applies to in-store ranges. */
    CHECK_INT(pl_barcode_cfg_formats(&cfg, "IIIIIIPPPPPPC", NULL, 0), 0);
    expect_gtin(&cfg, "4006381333931", "04006381333931");

    /* Indicator 1-9 marks a trade item whatever its body: never in-store. */
    CHECK_INT(pl_barcode_cfg_formats(&cfg, "020IIIIIPPPPPC", NULL, 0), 0);
    for (char ind = '1'; ind <= '9'; ind++) {
        snprintf(p, sizeof p, "%c200012301234", ind);
        with_check(p, b);
        expect_gtin(&cfg, b, b);
        expect_gtin(&defaults, b, b);
    }
    /* Indicator 0 with a 14-character pattern is decoded... */
    expect_variable(&cfg, with_check("0200012301234", b), "00123", PL_MEASURE_PRICE, 1234, 0);
    /* ...and kept as a GTIN when only 13-character patterns exist. */
    expect_gtin(&defaults, b, b);

    /* RCN-8: EAN-8 with prefix 2 and an 8-character pattern. */
    CHECK_INT(pl_barcode_cfg_formats(&cfg, "2IIIPPPC", NULL, 0), 0);
    expect_variable(&cfg, with_check("2123456", b), "123", PL_MEASURE_PRICE, 456, 0);
    expect_gtin(&defaults, b, "00000021234569");
    expect_gtin(&cfg, "73513537", "00000073513537");

    /* A weight with a verifier digit (GS1 measure verifier, same algorithm). */
    CHECK_INT(pl_barcode_cfg_formats(&cfg, "28IIIIVWWWWWC", NULL, 0), 0);
    snprintf(p, sizeof p, "281234%d01250", ref_price5(1250));
    expect_variable(&cfg, with_check(p, b), "1234", PL_MEASURE_WEIGHT, 1250, 0);
    p[6] = (char)('0' + (ref_price5(1250) + 1) % 10);
    expect_error(&cfg, with_check(p, b), PL_ECHECK, "weight check digit is");

    /* The first matching format wins. */
    CHECK_INT(pl_barcode_cfg_formats(&cfg, "2IIIIIIPPPPPC,20IIIIIPPPPPC", NULL, 0), 0);
    expect_variable(&cfg, with_check("200012301234", b), "000123", PL_MEASURE_PRICE, 1234, 0);

    /* No formats at all: every in-store code is a plain GTIN. */
    CHECK_INT(pl_barcode_cfg_formats(&cfg, "", NULL, 0), 0);
    CHECK_INT(cfg.nformats, 0);
    CHECK_INT(norm(&cfg, with_check("200012301234", b), &c), 0);
    CHECK_INT(c.kind, PL_CODE_GTIN);
}

static void test_key(void)
{
    section("pl_barcode_key for GTIN, VARIABLE, ITEM and a short buffer");
    pl_code_t c;
    char key[32], b[20];

    CHECK_INT(norm(&defaults, "4006381333931", &c), 0);
    CHECK_INT(pl_barcode_key(&c, key, sizeof key), 14);
    CHECK_STR(key, "04006381333931");

    CHECK_INT(norm(&defaults, with_check("200012301234", b), &c), 0);
    CHECK_INT(pl_barcode_key(&c, key, sizeof key), 6);
    CHECK_STR(key, "P00123");
    CHECK_INT(pl_barcode_key(&c, key, 4), 6); /* snprintf-style: full length, truncated */
    CHECK_STR(key, "P00");

    CHECK_INT(norm(&defaults, "SKU-42", &c), 0);
    strcpy(key, "untouched");
    CHECK_INT(pl_barcode_key(&c, key, sizeof key), 0);
    CHECK_STR(key, "untouched");
}

static void expect_format_error(const char *list, const char *msg)
{
    pl_barcode_cfg_t cfg = defaults;
    char err[128] = "";
    int rc = pl_barcode_cfg_formats(&cfg, list, err, sizeof err);
    CHECK(rc == PL_EFORMAT && has(err, msg), "\"%s\": rc %s err \"%s\", want PL_EFORMAT \"%s\"",
          list, pl_errname(rc), err, msg);
    CHECK(memcmp(&cfg, &defaults, sizeof cfg) == 0, "\"%s\": cfg changed by a failed parse", list);
}

static void test_cfg(void)
{
    section("default configuration and pl_barcode_cfg_formats errors");
    static const char *const want[] = {"20IIIIIPPPPPC", "21IIIIIWWWWWC", "22IIIIINNNNNC",
                                       "2IIIIIVPPPPC", "02IIIIVPPPPPC"};
    pl_barcode_cfg_t cfg;
    char err[128];

    CHECK_INT(defaults.nformats, 5);
    for (int i = 0; i < 5; i++)
        CHECK_STR(defaults.formats[i].pattern, want[i]);
    CHECK_INT(defaults.item_min, 1);
    CHECK_INT(defaults.item_max, 20);

    cfg = defaults;
    CHECK_INT(pl_barcode_cfg_formats(&cfg, " 20IIIIIPPPPPC , 21IIIIIWWWWWC ", err, sizeof err), 0);
    CHECK_INT(cfg.nformats, 2);
    CHECK_STR(cfg.formats[1].pattern, "21IIIIIWWWWWC");
    CHECK_STR(err, "");

    expect_format_error("20IIIIIQPPPPC", "bad character 'Q' at position 8");
    expect_format_error("20IIIIIPPPPPP", "does not end with the check digit 'C'");
    expect_format_error("20IIIICPPPPPC", "'C' at position 7");
    expect_format_error("2IIIIIIVPPPC", "'V' needs a 4- or 5-digit amount, not 3");
    expect_format_error("2IIIIVPPPPPPC", "'V' needs a 4- or 5-digit amount, not 6");
    expect_format_error("2IIIVVPPPPPC", "more than one 'V'");
    expect_format_error("20IIIIPPPPC", "length 11, not 8, 12, 13 or 14");
    expect_format_error("20IIIIIIIIIPPPPPPC", "length 18");
    expect_format_error("20IIIPPWWWWWC", "mixes 'P' and 'W'");
    expect_format_error("2000000PPPPPC", "0 item digits");
    expect_format_error("2IIIIIIIII00C", "9 item digits");
    expect_format_error("20IIIIIIII000C", "no price, weight or count digits");
    expect_format_error("20IIIIIPPPPPC,,21IIIIIWWWWWC", "pattern 2 is empty");
    expect_format_error("20IIIIIPPPPPC,", "pattern 2 is empty");
    expect_format_error(",20IIIIIPPPPPC", "pattern 1 is empty");
    expect_format_error("20IIIIIPPPPPC,21IIIIIWWWWWX", "pattern 2 \"21IIIIIWWWWWX\"");
    expect_format_error("20IIIIIPPPPPC,20IIIIIPPPPPC,20IIIIIPPPPPC,20IIIIIPPPPPC,"
                        "20IIIIIPPPPPC,20IIIIIPPPPPC,20IIIIIPPPPPC,20IIIIIPPPPPC,20IIIIIPPPPPC",
                        "more than 8 patterns");

    cfg = defaults;
    CHECK_INT(pl_barcode_cfg_formats(&cfg, "20IIIIIPPPPPX", NULL, 0), PL_EFORMAT);
    CHECK_INT(pl_barcode_cfg_formats(&cfg, NULL, NULL, 0), 0);
    CHECK_INT(cfg.nformats, 0);
}

int main(void)
{
    pl_barcode_cfg_default(&defaults);
    test_cfg();
    test_check_digit();
    test_gtins();
    test_upce();
    test_books();
    test_trimming();
    test_item_codes();
    test_rcn_defaults();
    test_rcn_rules();
    test_key();
    return pl_test_done("test_barcode");
}
