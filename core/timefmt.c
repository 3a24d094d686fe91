/* Instants as RFC 3339 text with a fixed UTC offset. The civil-calendar
 * arithmetic is done here (proleptic Gregorian, days counted from
 * 1970-01-01) so that neither the process TZ nor the C library's tz database
 * can change an answer. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pricelane/err.h"
#include "pricelane/timefmt.h"

#define MAX_OFFSET_MIN (14 * 60)
/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: "@<seconds>" stays within
 * the years the other forms can write. */
#define T_MIN (-62167219200LL)
#define T_MAX 253402300799LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil): the year is
 * taken to start on 1 March so that the leap day is the last of the year. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;                                  /* [0, 399] */
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

int pl_time_days_in_month(int64_t y, int m)
{
    return m >= 1 && m <= 12 ? days_in_month(y, m) : 0;
}

int64_t pl_time_local(int64_t y, int m, int d, int hh, int mm, int utc_offset_min)
{
    return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 - utc_offset_min * 60LL;
}

void pl_time_civil(int64_t t, int utc_offset_min, int64_t *y, int *m, int *d)
{
    civil_from_days(floor_div(t + utc_offset_min * 60LL, 86400), y, m, d);
}

size_t pl_time_format(int64_t t, int utc_offset_min, char *out, size_t cap)
{
    if (!out || cap < 26)
        return 0;
    /* Only what pl_time_parse reads back is written: years 0000-9999 at an
     * offset within +-14:00. Anything else (a corrupt instant) is refused
     * before the arithmetic below could overflow. */
    if (utc_offset_min < -MAX_OFFSET_MIN || utc_offset_min > MAX_OFFSET_MIN ||
        t < T_MIN - MAX_OFFSET_MIN * 60 || t > T_MAX + MAX_OFFSET_MIN * 60)
        return 0;
    int64_t local = t + (int64_t)utc_offset_min * 60;
    if (local < T_MIN || local > T_MAX)
        return 0;
    int64_t days = floor_div(local, 86400);
    int64_t sec = local - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int off = utc_offset_min < 0 ? -utc_offset_min : utc_offset_min;
    /* Fixed width, written by hand: answers carry up to three instants and
     * formatted output was a visible share of answering. */
    const int fields[] = {(int)y, m, d, (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60),
                          off / 60, off % 60};
    static const char seps[] = "--T::\0:";
    char *p = out;
    for (int i = 0; i < 8; i++) {
        int v = fields[i];
        if (i == 0) {
            *p++ = (char)('0' + v / 1000);
            *p++ = (char)('0' + v / 100 % 10);
        }
        *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        if (i == 5)
            *p++ = utc_offset_min < 0 ? '-' : '+';
        else if (i < 7)
            *p++ = seps[i];
    }
    *p = 0;
    return (size_t)(p - out);
}

int64_t pl_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t pl_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- parsing ------------------------------------------------------------ */

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return PL_EFORMAT;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at *p into *v; advances *p. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

static int parse_epoch(const char *s, int64_t *t, char *err, size_t errlen)
{
    const char *p = s + 1;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (!is_digit(*p))
        return fail(err, errlen, "expected digits after '@' (seconds since 1970-01-01 UTC)");
    int64_t v = 0;
    for (; is_digit(*p); p++) {
        v = v * 10 + (*p - '0');
        if (v > T_MAX + 1) /* keeps v far from overflow */
            return fail(err, errlen, "seconds out of range (years 0000-9999)");
    }
    if (*p)
        return fail(err, errlen, "unexpected '%c' after '@<seconds>'", *p);
    if (neg)
        v = -v;
    if (v < T_MIN || v > T_MAX)
        return fail(err, errlen, "seconds out of range (years 0000-9999)");
    *t = v;
    return 0;
}

/* pl_time_format writes the local date in the catalogue's offset, and only
 * years 0000-9999 read back: an instant whose local date falls outside them
 * (e.g. "0000-01-01T00:00:00+14:00" in a +08:00 catalogue) is refused, so
 * every instant accepted here can be written and parsed again. */
static int writable(int64_t t, int utc_offset_min, int64_t *out, char *err, size_t errlen)
{
    int64_t local = t + (int64_t)utc_offset_min * 60;
    if (local < T_MIN || local > T_MAX)
        return fail(err, errlen,
                    "out of range: before 0000-01-01 or after 9999-12-31 in the catalogue's "
                    "UTC offset");
    *out = t;
    return 0;
}

int pl_time_parse(const char *s, int utc_offset_min, int64_t *t, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!s || !*s)
        return fail(err, errlen, "empty");
    if (utc_offset_min < -MAX_OFFSET_MIN || utc_offset_min > MAX_OFFSET_MIN)
        return fail(err, errlen, "catalogue UTC offset %d minutes is out of range", utc_offset_min);
    if (s[0] == '@') {
        int64_t v = 0;
        int rc = parse_epoch(s, &v, err, errlen);
        return rc ? rc : writable(v, utc_offset_min, t, err, errlen);
    }

    const char *p = s;
    int y, m, d, hh = 0, mi = 0, ss = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &m) || *p++ != '-' || digits(&p, 2, &d))
        return fail(err, errlen,
                    "expected YYYY-MM-DD[ HH:MM[:SS]], RFC 3339 (2026-11-26T08:00:00+08:00) "
                    "or @<unix seconds>");
    if (m < 1 || m > 12)
        return fail(err, errlen, "month %02d is out of range 01-12", m);
    if (d < 1 || d > days_in_month(y, m))
        return fail(err, errlen, "day %02d is out of range for %04d-%02d (%d days)", d, y, m,
                    days_in_month(y, m));

    int has_time = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &hh) || *p++ != ':' || digits(&p, 2, &mi))
            return fail(err, errlen, "expected HH:MM or HH:MM:SS after the date");
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &ss))
                return fail(err, errlen, "expected two digits of seconds after HH:MM:");
            if (*p == '.' || *p == ',') { /* fractions of a second: instants are whole seconds */
                p++;
                if (!is_digit(*p))
                    return fail(err, errlen, "expected digits after the decimal point of seconds");
                while (is_digit(*p))
                    p++;
            }
        }
        has_time = 1;
        if (hh > 23)
            return fail(err, errlen, "hour %02d is out of range 00-23", hh);
        if (mi > 59)
            return fail(err, errlen, "minute %02d is out of range 00-59", mi);
        if (ss > 59)
            return fail(err, errlen, "second %02d is out of range 00-59", ss);
    }

    int off = utc_offset_min;
    if (*p == 'Z' || *p == 'z') {
        if (!has_time)
            return fail(err, errlen, "a UTC offset needs a time of day (YYYY-MM-DDTHH:MM...)");
        off = 0;
        p++;
    } else if (*p == '+' || *p == '-') {
        if (!has_time)
            return fail(err, errlen, "a UTC offset needs a time of day (YYYY-MM-DDTHH:MM...)");
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om))
            return fail(err, errlen, "UTC offset must be written +HH:MM or -HH:MM");
        if (om > 59)
            return fail(err, errlen, "offset minutes %02d are out of range 00-59", om);
        if (oh * 60 + om > MAX_OFFSET_MIN)
            return fail(err, errlen, "UTC offset %c%02d:%02d is out of range (at most 14:00)",
                        sign < 0 ? '-' : '+', oh, om);
        off = sign * (oh * 60 + om);
    }
    if (*p)
        return fail(err, errlen, "unexpected text \"%.20s\" after the %s", p,
                    has_time ? "time" : "date");

    int64_t days = days_from_civil(y, m, d);
    return writable(days * 86400 + hh * 3600 + mi * 60 + ss - (int64_t)off * 60, utc_offset_min,
                    t, err, errlen);
}
