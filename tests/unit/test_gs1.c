/* Unit test of core/gs1.c: symbology identifiers, element strings with and
 * without separators, Digital Link URIs, the predefined-length table, dates
 * and the GS1 7.12 century rule, weights, amounts, and the reasons of
 * bad codes.
 *
 * Vectors: the GS1 General Specifications' running example GTIN
 * 09506000134352 and its Digital Link form (GS1 Digital Link standard 1.2,
 * https://id.gs1.org/01/09506000134352/10/ABC); python-stdnum's gs1_128
 * docstring "013842587609507417181119371" = (01)38425876095074
 * (17)181119 (37)1. The years are given to the parser, never read from the
 * clock. */
#include "check.h"

#include "pricelane/err.h"
#include "pricelane/gs1.h"

#define GS "\x1d"

static pl_gs1_t g;

static int parse(const char *s, int year)
{
    return pl_gs1_parse(s, strlen(s), year, &g);
}

static void check_date(const pl_gs1_date_t *d, int y, int m, int day, const char *what)
{
    CHECK(d->y == y && d->m == m && d->d == day, "%s: got %04d-%02d-%02d, want %04d-%02d-%02d",
          what, d->y, d->m, d->d, y, m, day);
}

static void test_elements(void)
{
    /* A lane's example: ]d2, 01, 17 with day 00, 10 variable, GS, 3103. */
    CHECK_INT(parse("]d201095060001343521726010010ABC" GS "3103000500", 2026), 0);
    CHECK_INT(g.form, PL_GS1_ELEMENTS);
    CHECK_STR(g.sym, "]d2");
    CHECK_STR(g.gtin, "09506000134352");
    CHECK_STR(g.lot, "ABC");
    check_date(&g.expiry, 2026, 1, 31, "17 260100 (day 00 = last day)");
    CHECK_INT(g.weight_g, 500);
    CHECK_INT(g.nais, 4);
    CHECK_STR(pl_gs1_get(&g, "3103"), "000500");
    CHECK(pl_gs1_get(&g, "21") == NULL, "no AI 21");

    /* python-stdnum: 01, 17 (predefined lengths, no separator), 37 last. */
    /* a parse into a struct that held garbage: every field set */
    memset(&g, 0x5a, sizeof(g));
    CHECK_INT(parse("]C10109506000134352", 2026), 0);
    CHECK_STR(g.sym, "]C1");
    CHECK_STR(g.lot, "");
    CHECK_INT(g.weight_g, -1);
    memset(&g, 0x5a, sizeof(g));
    CHECK_INT(parse("]E04006381333931", 2026), 0);
    CHECK_STR(g.sym, "]E0");
    CHECK_INT(g.nais, 0);
    CHECK_INT(parse("013842587609507417181119371", 2026), 0);
    CHECK_INT(g.form, PL_GS1_ELEMENTS);
    CHECK_STR(g.sym, "");
    CHECK_STR(g.gtin, "38425876095074");
    check_date(&g.expiry, 2018, 11, 19, "17 181119");
    CHECK_STR(pl_gs1_get(&g, "37"), "1");

    /* Every identifier of element strings, and a leading FNC1 as GS. */
    const char *ids[] = {"]Q3", "]C1", "]e0"};
    for (int i = 0; i < 3; i++) {
        char buf[80];
        snprintf(buf, sizeof(buf),
                 "%s" GS "0109506000134352"
                 "21SER-1" GS "15270228",
                 ids[i]);
        CHECK_INT(parse(buf, 2026), 0);
        CHECK_STR(g.sym, ids[i]);
        CHECK_STR(g.serial, "SER-1");
        check_date(&g.best_before, 2027, 2, 28, "15 270228");
    }

    /* A separator after a predefined-length value is allowed. */
    CHECK_INT(parse("]C10109506000134352" GS "17261231", 2026), 0);
    check_date(&g.expiry, 2026, 12, 31, "17 261231 after GS");

    /* 392n / 393n amounts, 7003, 11, 13, 16 and unknown-but-valid AIs. */
    CHECK_INT(parse("]d2010950600013435239221250" GS "70032612312359" GS "11260101"
                    "13260102"
                    "16260103"
                    "4300ANYWHERE" GS "9912345",
                    2026),
              0);
    CHECK_INT(g.amount, 1250);
    CHECK_INT(g.amount_dec, 2);
    CHECK_INT(g.currency, 0);
    check_date(&g.expiry_at, 2026, 12, 31, "7003 date");
    CHECK_INT(g.expiry_hhmm, 2359);
    check_date(&g.prod, 2026, 1, 1, "11");
    check_date(&g.pack, 2026, 1, 2, "13");
    check_date(&g.sell_by, 2026, 1, 3, "16");
    CHECK_STR(pl_gs1_get(&g, "4300"), "ANYWHERE");
    CHECK_STR(pl_gs1_get(&g, "99"), "12345");
    CHECK_INT(parse("]d20109506000134352"
                    "39319781999",
                    2026),
              0);
    CHECK_INT(g.currency, 978);
    CHECK_INT(g.amount, 1999);
    CHECK_INT(g.amount_dec, 1);

    /* Weights: 3100 whole kg; 3105 rounds down to grams. */
    CHECK_INT(parse("0109506000134352"
                    "3100000002",
                    2026),
              0);
    CHECK_INT(g.weight_g, 2000);
    CHECK_INT(parse("0109506000134352"
                    "3105123456",
                    2026),
              0);
    CHECK_INT(g.weight_g, 1234);
}

/* The separator's escapes, as scanner configurations write it. */
static void test_escapes(void)
{
    const char *forms[] = {"^]", "\\x1D", "\\x1d", "<GS>", GS};
    for (int i = 0; i < 5; i++) {
        char buf[96];
        snprintf(buf, sizeof(buf), "]d201095060001343521726010010ABC%s3103000500", forms[i]);
        CHECK(parse(buf, 2026) == 0, "form %d: %s", i, g.error);
        CHECK_STR(g.lot, "ABC");
        CHECK_INT(g.weight_g, 500);
        /* and with no symbology identifier */
        CHECK(parse(buf + 3, 2026) == 0 && g.form == PL_GS1_ELEMENTS, "form %d bare: %s", i,
              g.error);
        CHECK_STR(g.lot, "ABC");
    }
}

/* What some readers print: the human readable form with parentheses
 * (ZXing-cpp's DataBar Expanded), and DataBar's bare GTIN-14. */
static void test_readers(void)
{
    CHECK_INT(parse("]e0(01)06920000000012(3922)5000", 2026), 0);
    CHECK_INT(g.form, PL_GS1_ELEMENTS);
    CHECK_STR(g.gtin, "06920000000012");
    CHECK_INT(g.amount, 5000);
    CHECK_INT(g.amount_dec, 2);
    CHECK_INT(parse("(01)09506000134352(10)A(B)(17)260100", 2026), 0);
    CHECK_STR(g.lot, "A(B)");
    check_date(&g.expiry, 2026, 1, 31, "17 after a lot in the human readable form");
    CHECK_INT(parse("]e0(01)09506000134352(1)", 2026), PL_EBADCODE);
    CHECK_INT(parse("]e006901234567892", 2026), 0);
    CHECK_INT(g.form, PL_GS1_PLAIN);
    CHECK_INT(g.plain_off, 3);
    CHECK_INT(g.plain_len, 14);
}

static void test_century(void)
{
    /* GS1 7.12 in 2026: 00-76 → 20YY, 77-99 → 19YY (Python's %y would say
     * 69-99 → 19YY). */
    CHECK_INT(parse("0109506000134352"
                    "17760101",
                    2026),
              0);
    check_date(&g.expiry, 2076, 1, 1, "76 in 2026");
    CHECK_INT(parse("0109506000134352"
                    "17770101",
                    2026),
              0);
    check_date(&g.expiry, 1977, 1, 1, "77 in 2026");
    CHECK_INT(parse("0109506000134352"
                    "17700101",
                    2026),
              0);
    check_date(&g.expiry, 2070, 1, 1, "70 in 2026");
    /* Near a century: in 2090, 40 → 2140; in 9998, 05 → 10005 is not a
     * year: the rule gives 10005 and the date must still be a date. */
    CHECK_INT(parse("0109506000134352"
                    "17400101",
                    2090),
              0);
    check_date(&g.expiry, 2140, 1, 1, "40 in 2090");
    CHECK_INT(parse("0109506000134352"
                    "17990101",
                    2010),
              0);
    check_date(&g.expiry, 1999, 1, 1, "99 in 2010");
    /* Day 00 and leap years. */
    CHECK_INT(parse("0109506000134352"
                    "17280200",
                    2026),
              0);
    check_date(&g.expiry, 2028, 2, 29, "280200 (leap)");
    CHECK_INT(parse("0109506000134352"
                    "17270200",
                    2026),
              0);
    check_date(&g.expiry, 2027, 2, 28, "270200");
}

static void test_link(void)
{
    CHECK_INT(parse("https://id.gs1.org/01/09506000134352/10/ABC?17=260100&3103=000500", 2026), 0);
    CHECK_INT(g.form, PL_GS1_LINK);
    CHECK_STR(g.gtin, "09506000134352");
    CHECK_STR(g.lot, "ABC");
    check_date(&g.expiry, 2026, 1, 31, "17 in the query");
    CHECK_INT(g.weight_g, 500);

    /* Any domain, a path prefix, 22/10/21, percent-encoding, a GTIN-13,
     * non-AI parameters and a fragment. */
    CHECK_INT(parse("]Q1HTTPS://example.com/shop/01/9506000134352/22/2A/10/AB%2F1%25/21/S%20?"
                    "linkType=gs1:pip&15=270101#x",
                    2026),
              PL_EBADCODE); /* %20 (space) is not a GS1 character */
    CHECK(strstr(g.error, "(21)") != NULL, "error names AI 21: %s", g.error);
    CHECK_INT(parse("]Q1HTTPS://example.com/shop/01/9506000134352/22/2A/10/AB%2F1%25/21/S%21?"
                    "linkType=gs1:pip&15=270101#x",
                    2026),
              0);
    CHECK_STR(g.sym, "]Q1");
    CHECK_STR(g.gtin, "09506000134352");
    CHECK_STR(pl_gs1_get(&g, "22"), "2A");
    CHECK_STR(g.lot, "AB/1%");
    CHECK_STR(g.serial, "S!");
    check_date(&g.best_before, 2027, 1, 1, "15");

    CHECK_INT(parse("https://id.gs1.org/01/09506000134352/21/X/10/ABC", 2026), PL_EBADCODE);
    CHECK(strstr(g.error, "out of order") != NULL, "%s", g.error);
    CHECK_INT(parse("https://id.gs1.org/gtin/09506000134352", 2026), PL_EBADCODE);
    CHECK(strstr(g.error, "no /01/") != NULL, "%s", g.error);
    CHECK_INT(parse("https://id.gs1.org/01/09506000134352?10=ABC", 2026), PL_EBADCODE);
    CHECK(strstr(g.error, "belongs in the path") != NULL, "%s", g.error);
    CHECK_INT(parse("https://id.gs1.org/01/09506000134352/10/A%2", 2026), PL_EBADCODE);
    CHECK(strstr(g.error, "percent") != NULL, "%s", g.error);
    CHECK_INT(parse("https:///01/09506000134352", 2026), PL_EBADCODE);
    CHECK(strstr(g.error, "no host") != NULL, "%s", g.error);
    CHECK_INT(parse("https://id.gs1.org/01/09506000134353", 2026), PL_ECHECK);
}

static void test_plain(void)
{
    CHECK_INT(parse("]E04006381333931", 2026), 0);
    CHECK_INT(g.form, PL_GS1_PLAIN);
    CHECK_STR(g.sym, "]E0");
    CHECK_INT(g.plain_off, 3);
    CHECK_INT(g.plain_len, 13);
    CHECK_INT(parse("  4006381333931\r\n", 2026), 0);
    CHECK_INT(g.form, PL_GS1_PLAIN);
    CHECK_INT(g.plain_off, 2);
    CHECK_INT(g.plain_len, 13);
    /* 16 digits starting 01 + a GTIN is a GTIN-14 in AI 01 only with more;
     * a keyed code that happens to start "01" stays plain. */
    CHECK_INT(parse("0109506000134352", 2026), 0);
    CHECK_INT(g.form, PL_GS1_PLAIN);
    CHECK_INT(parse("01095060001343539", 2026), 0);
    CHECK_INT(g.form, PL_GS1_PLAIN);
    CHECK_INT(parse("]d1ABC-1", 2026), 0);
    CHECK_INT(g.form, PL_GS1_PLAIN);
}

static void test_errors(void)
{
    struct {
        const char *in;
        int rc;
        const char *msg;
    } cases[] = {
        {"]z9123", PL_EBADCODE, "unknown symbology identifier \"]z9\""},
        {"]d20109506000134353", PL_ECHECK,
         "GS1 AI (01) 09506000134353: check digit is 3, expected 2"},
        {"]d2010950600013435217261301", PL_EBADCODE,
         "GS1 AI (17) \"261301\": month 13 is not a month"},
        {"]d2010950600013435217260230", PL_EBADCODE,
         "GS1 AI (17) \"260230\": 2026-02 has no day 30"},
        {"]d2010950600013435212260200", PL_EBADCODE,
         "GS1 AI (12) \"260200\": 2026-02 has no day 00"},
        {"]d201095060001343521726", PL_EBADCODE,
         "GS1 AI (17) at byte 22: value cut short, needs 6 characters"},
        {"]d2010950600013435210ABCDEFGHIJKLMNOPQRSTU", PL_EBADCODE,
         "GS1 AI (10): value of 21 characters, allowed 1..20"},
        {"]d2010950600013435210" GS "17260101", PL_EBADCODE,
         "GS1 AI (10): value of 0 characters, allowed 1..20"},
        {"]d2010950600013435210A B", PL_EBADCODE,
         "GS1 AI (10): byte 0x20 at value position 2 is not a GS1 character"},
        {"]d20109506000134352270", PL_EBADCODE, "GS1: no AI starts with \"27\" (byte 20)"},
        {"]d20109506000134352310", PL_EBADCODE, "GS1: AI at byte 20 is cut short (\"310\")"},
        {"]d201095060001343523106000500", PL_EBADCODE,
         "GS1 AI (3106): decimal point position 6 (0..5)"},
        {"]d270032601312400" GS "0109506000134352", PL_EBADCODE,
         "GS1 AI (7003) \"2601312400\": 24:00 is not a time of day"},
        {"]d210ABC", PL_EBADCODE, "GS1: no GTIN (AI 01)"},
        {"]d20109506000134352"
         "10A" GS "10B",
         PL_EBADCODE, "GS1 AI (10) twice"},
        {"]d2", PL_EBADCODE, "GS1: no element strings"},
        {"]d2AB", PL_EBADCODE, "GS1: no application identifier at byte 4"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = parse(cases[i].in, 2026);
        CHECK(rc == cases[i].rc, "case %zu: rc %d, want %d (%s)", i, rc, cases[i].rc, g.error);
        CHECK_STR(g.error, cases[i].msg);
    }
    /* A missing separator after a variable value runs on: detected when
     * what follows breaks a rule (here a lot of 21 characters). */
    CHECK_INT(parse("]d2010950600013435210ABCDEFGHIJKLMNOP17260101", 2026), PL_EBADCODE);
}

/* Exactly the 82 characters of GS1 character set 82 are accepted in a
 * value, byte by byte. */
static void test_cset82(void)
{
    const char *set = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_"
                      "abcdefghijklmnopqrstuvwxyz";
    int accepted = 0, wrong = 0;
    for (int c = 1; c < 256; c++) {
        char buf[40];
        snprintf(buf, sizeof(buf),
                 "]d20109506000134352"
                 "10A%cB",
                 c);
        int rc = parse(buf, 2026);
        int want = strchr(set, c) != NULL;
        accepted += rc == 0;
        if ((rc == 0) != want) {
            wrong++;
            printf("  byte 0x%02x: rc %d (%s)\n", c, rc, g.error);
        }
    }
    CHECK_INT(accepted, 82);
    CHECK_INT(wrong, 0);
}

static void test_currency(void)
{
    int minor = -1;
    CHECK_INT(pl_gs1_currency("CNY", &minor), 156);
    CHECK_INT(minor, 2);
    CHECK_INT(pl_gs1_currency("JPY", &minor), 392);
    CHECK_INT(minor, 0);
    CHECK_INT(pl_gs1_currency("EUR", NULL), 978);
    CHECK_INT(pl_gs1_currency("XXX", NULL), 0);
}

int main(void)
{
    test_elements();
    test_escapes();
    test_readers();
    test_century();
    test_link();
    test_plain();
    test_errors();
    test_cset82();
    test_currency();
    return pl_test_done("test_gs1");
}
