/* Unit test of core/timefmt.c: RFC 3339 output with a fixed offset, every
 * accepted input form, every rejected one with its reason, round trips, and
 * independence from the process time zone (the calendar is cross-checked
 * against glibc's timegm(), which ignores TZ). */
#include <time.h>

#include "check.h"

#include "pricelane/err.h"
#include "pricelane/timefmt.h"

#define T_20261126_0800_CST 1795651200LL /* 2026-11-26T08:00:00+08:00 */

static void check_format(int64_t t, int off, const char *want)
{
    char buf[32];
    size_t n = pl_time_format(t, off, buf, sizeof(buf));
    CHECK_STR(buf, want);
    CHECK_INT(n, strlen(want));
}

static void check_parse(const char *s, int off, int64_t want)
{
    int64_t t = -42;
    char err[160] = "";
    int rc = pl_time_parse(s, off, &t, err, sizeof(err));
    CHECK(rc == 0 && t == want, "parse \"%s\" (offset %d): rc %d t %lld, want %lld (%s)", s, off,
          rc, (long long)t, (long long)want, err);
}

/* s must be rejected with a reason containing `why`. */
static void check_bad(const char *s, const char *why)
{
    int64_t t = 7;
    char err[160] = "";
    int rc = pl_time_parse(s, 480, &t, err, sizeof(err));
    CHECK(rc == PL_EFORMAT && strstr(err, why) && t == 7,
          "parse \"%s\": rc %d, reason \"%s\", want PL_EFORMAT with \"%s\"", s ? s : "(null)", rc,
          err, why);
}

static void test_format(void)
{
    check_format(0, 0, "1970-01-01T00:00:00+00:00");
    check_format(0, 480, "1970-01-01T08:00:00+08:00");
    check_format(-1, 0, "1969-12-31T23:59:59+00:00");
    check_format(T_20261126_0800_CST, 480, "2026-11-26T08:00:00+08:00");
    check_format(T_20261126_0800_CST, 0, "2026-11-26T00:00:00+00:00");
    check_format(T_20261126_0800_CST, -330, "2026-11-25T18:30:00-05:30");
    check_format(T_20261126_0800_CST, 840, "2026-11-26T14:00:00+14:00");
    check_format(1709229896, -330, "2024-02-29T12:34:56-05:30");
    check_format(-62167219200LL, 0, "0000-01-01T00:00:00+00:00");
    check_format(253402300799LL, 0, "9999-12-31T23:59:59+00:00");
    check_format(951782400, 0, "2000-02-29T00:00:00+00:00"); /* 400-year leap day */

    char small[25];
    CHECK_INT(pl_time_format(0, 0, small, sizeof(small)), 0);
    CHECK_INT(pl_time_format(0, 0, NULL, 64), 0);
    printf("format: fixed offsets, negative instants, years 0000 and 9999, short buffer\n");
}

static void test_parse_forms(void)
{
    const int64_t t = T_20261126_0800_CST;
    /* RFC 3339 */
    check_parse("2026-11-26T08:00:00+08:00", 0, t);
    check_parse("2026-11-26T00:00:00Z", 480, t);
    check_parse("2026-11-26t00:00:00z", 480, t);
    check_parse("2026-11-26 00:00:00Z", 480, t);
    check_parse("2026-11-25T18:30:00-05:30", 480, t);
    check_parse("2026-11-26T00:00:00.999Z", 480, t); /* fractions dropped */
    check_parse("2026-11-26T00:00:00,5Z", 480, t);
    check_parse("2026-11-26T00:00Z", 480, t);
    check_parse("2026-11-26T00:00:00+00:00", 480, t);
    check_parse("2026-11-25T23:59:59-00:01", 0, t + 59);
    check_parse("2026-11-26T14:00:00+14:00", 0, t);
    check_parse("2026-11-25T10:00:00-14:00", 0, t);
    /* local forms in the catalogue's offset */
    check_parse("2026-11-26 08:00", 480, t);
    check_parse("2026-11-26 08:00:00", 480, t);
    check_parse("2026-11-26T08:00", 480, t);
    check_parse("2026-11-26T08:00:00", 480, t);
    check_parse("2026-11-26 08:00:30", 480, t + 30);
    check_parse("2026-11-26", 480, t - 8 * 3600);
    check_parse("2026-11-26", 0, t);
    check_parse("2026-11-26", -300, t + 5 * 3600);
    /* epoch seconds */
    check_parse("@0", 480, 0);
    check_parse("@1795651200", 0, t);
    check_parse("@-1", 0, -1);
    check_parse("@253402300799", 0, 253402300799LL);
    check_parse("@-62167219200", 0, -62167219200LL);
    /* calendar edges */
    check_parse("2024-02-29", 0, 1709164800);
    check_parse("2000-02-29", 0, 951782400);
    check_parse("1969-12-31 23:59:59", 0, -1);
    check_parse("0000-01-01", 0, -62167219200LL);
    check_parse("9999-12-31 23:59:59", 0, 253402300799LL);
    check_parse("2026-12-31 23:59:59", 480, 1798732799LL); /* date -u -d ...+08:00 +%s */
    printf("parse: RFC 3339 (Z, z, t, space, fractions, offsets to +-14:00), local date and "
           "date-time forms, @seconds, leap days\n");
}

static void test_parse_invalid(void)
{
    check_bad(NULL, "empty");
    check_bad("", "empty");
    check_bad("2026-13-01", "month 13 is out of range 01-12");
    check_bad("2026-00-10", "month 00 is out of range");
    check_bad("2026-04-31", "day 31 is out of range for 2026-04 (30 days)");
    check_bad("2026-11-00", "day 00 is out of range");
    check_bad("2023-02-29", "day 29 is out of range for 2023-02 (28 days)");
    check_bad("1900-02-29", "(28 days)");
    check_bad("2100-02-29", "(28 days)");
    check_bad("2026-01-32", "day 32");
    check_bad("2026-11-26 24:00", "hour 24 is out of range 00-23");
    check_bad("2026-11-26 23:60", "minute 60 is out of range 00-59");
    check_bad("2026-11-26 23:59:60", "second 60 is out of range 00-59");
    check_bad("2026-11-26T08:00:00+14:01", "UTC offset +14:01 is out of range");
    check_bad("2026-11-26T08:00:00-15:00", "UTC offset -15:00 is out of range");
    check_bad("2026-11-26T08:00:00+08:60", "offset minutes 60");
    check_bad("2026-11-26T08:00:00+0800", "+HH:MM");
    check_bad("2026-11-26T08:00:00+08", "+HH:MM");
    check_bad("2026-11-26+08:00", "needs a time of day");
    check_bad("2026-11-26Z", "needs a time of day");
    check_bad("2026-1-5", "expected YYYY-MM-DD");
    check_bad("26-11-26", "expected YYYY-MM-DD");
    check_bad("2026/11/26", "expected YYYY-MM-DD");
    check_bad("20261126", "expected YYYY-MM-DD");
    check_bad("tomorrow", "expected YYYY-MM-DD");
    check_bad("2026-11-26T8:00", "expected HH:MM");
    check_bad("2026-11-26T08", "expected HH:MM");
    check_bad("2026-11-26T", "expected HH:MM");
    check_bad("2026-11-26 08:00:0", "two digits of seconds");
    check_bad("2026-11-26T08:00:00.", "digits after the decimal point");
    check_bad("2026-11-26 08:00 extra", "unexpected text \" extra\" after the time");
    check_bad("2026-11-26x", "unexpected text \"x\" after the date");
    check_bad(" 2026-11-26", "expected YYYY-MM-DD");
    check_bad("@", "expected digits after '@'");
    check_bad("@abc", "expected digits after '@'");
    check_bad("@1e5", "unexpected 'e'");
    check_bad("@99999999999999999999", "out of range");
    check_bad("@253402300800", "out of range");

    int64_t t;
    char err[64];
    CHECK_INT(pl_time_parse("2026-11-26", 15 * 60, &t, err, sizeof(err)), PL_EFORMAT);
    CHECK_INT(pl_time_parse("2026-11-26", 480, &t, NULL, 0), 0);
    CHECK_INT(pl_time_parse("2026-13-26", 480, &t, NULL, 0), PL_EFORMAT);
    printf("parse: rejects bad months, days (incl. non-leap 29 Feb, 1900, 2100), hours, minutes, "
           "leap seconds, offsets beyond 14:00, malformed shapes, trailing text, bad @seconds\n");
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t next_rand(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void test_round_trip(void)
{
    static const int offsets[] = {0, 480, -330, 840, -840, 345, -60};
    const int64_t lo = -62167219200LL + 14 * 3600, hi = 253402300799LL - 14 * 3600;
    int bad = 0, n = 0;
    for (int i = 0; i < 200000; i++) {
        int64_t t = lo + (int64_t)(next_rand() % (uint64_t)(hi - lo));
        int off = offsets[i % (int)(sizeof(offsets) / sizeof(offsets[0]))];
        char buf[32], again[32];
        int64_t back = 0;
        pl_time_format(t, off, buf, sizeof(buf));
        /* parse(format(t)) == t, in a catalogue of any other offset */
        if (pl_time_parse(buf, 480, &back, NULL, 0) != 0 || back != t) {
            if (bad++ < 5)
                CHECK(0, "t %lld off %d → \"%s\" → %lld", (long long)t, off, buf, (long long)back);
            continue;
        }
        /* format(parse(x)) == x for canonical x */
        pl_time_format(back, off, again, sizeof(again));
        if (strcmp(buf, again) != 0 && bad++ < 5)
            CHECK(0, "\"%s\" → \"%s\"", buf, again);
        n++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(n, 200000);

    static const char *const canon[] = {"2026-11-26T08:00:00+08:00", "1970-01-01T00:00:00+00:00",
                                        "2099-12-31T23:59:59+08:00", "2024-02-29T12:34:56-05:30"};
    for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
        int64_t t;
        char buf[32];
        /* the offset written in the string: "...+HH:MM" at [19..24] */
        int off = (canon[i][19] == '-' ? -1 : 1) *
                  (((canon[i][20] - '0') * 10 + (canon[i][21] - '0')) * 60 +
                   (canon[i][23] - '0') * 10 + (canon[i][24] - '0'));
        CHECK_INT(pl_time_parse(canon[i], 0, &t, NULL, 0), 0);
        pl_time_format(t, off, buf, sizeof(buf));
        CHECK_STR(buf, canon[i]);
    }
    printf("round trip: parse(format(t)) == t and format(parse(x)) == x for 200000 random "
           "instants in years 0000-9999 at 7 offsets, and 4 fixed strings\n");
}

/* Every day from 0001-01-01 to 9999-12-31 in steps: our calendar against
 * timegm(), and under a non-UTC TZ to show the process zone plays no part. */
static void test_against_timegm(void)
{
    setenv("TZ", "America/Sao_Paulo", 1);
    tzset();
    int bad = 0, n = 0;
    for (int y = 1; y <= 9999; y += (y < 1600 ? 37 : 1)) {
        for (int m = 1; m <= 12; m++) {
            static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
            int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            int last = mdays[m - 1] + (m == 2 && leap);
            for (int d = 1; d <= last; d += (d == last - 1 ? 1 : 9)) {
                struct tm tm = {.tm_year = y - 1900,
                                .tm_mon = m - 1,
                                .tm_mday = d,
                                .tm_hour = 13,
                                .tm_min = 7,
                                .tm_sec = 5};
                int64_t want = (int64_t)timegm(&tm), got = 0;
                char s[40];
                snprintf(s, sizeof(s), "%04d-%02d-%02d 13:07:05", y, m, d);
                if (pl_time_parse(s, 0, &got, NULL, 0) != 0 || got != want) {
                    if (bad++ < 5)
                        CHECK(0, "%s: got %lld, timegm %lld", s, (long long)got, (long long)want);
                }
                n++;
            }
        }
    }
    CHECK_INT(bad, 0);
    char buf[32];
    pl_time_format(T_20261126_0800_CST, 480, buf, sizeof(buf));
    CHECK_STR(buf, "2026-11-26T08:00:00+08:00");
    printf("calendar: %d dates from 0001 to 9999 agree with timegm() under TZ=%s\n", n,
           getenv("TZ"));

    int64_t now = pl_time_now(), sys = (int64_t)time(NULL);
    CHECK(now >= sys - 5 && now <= sys + 5, "pl_time_now %lld vs time() %lld", (long long)now,
          (long long)sys);
}

int main(void)
{
    test_format();
    test_parse_forms();
    test_parse_invalid();
    test_round_trip();
    test_against_timegm();
    return pl_test_done("test_time");
}
