/* The field parsers of the rows module (pl_parse_*): money, whole numbers,
 * instants, booleans, each with a diagnostic naming the row and the column. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pricelane/err.h"
#include "pricelane/timefmt.h"
#include "rows_int.h"

#define ROW_DIAG(row, col, d, ...)                                                                 \
    pl_diag((d), (row) ? (row)->file : NULL, (row) ? (row)->line : 0, (col), __VA_ARGS__)

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int required(const pl_row_t *row, const char *col, const char *s, const char *what,
                    pl_diags_t *d)
{
    if (s && *s)
        return 0;
    ROW_DIAG(row, col, d, "is empty; %s is required", what);
    return PL_EFORMAT;
}

#define MONEY_MAX 1000000000000LL /* minor units: 10,000,000,000.00 */

int pl_parse_money(const pl_row_t *row, const char *col, const char *s, int64_t *out, pl_diags_t *d)
{
    char sh[SHOW_BUF];
    if (required(row, col, s, "an amount such as 12.50", d))
        return PL_EFORMAT;
    const char *p = s;
    int neg = *p == '-';
    p += neg;
    const char *int_start = p;
    while (is_digit(*p))
        p++;
    size_t nint = (size_t)(p - int_start);
    const char *frac = NULL;
    size_t nfrac = 0;
    if (*p == '.') {
        frac = ++p;
        while (is_digit(*p))
            p++;
        nfrac = (size_t)(p - frac);
    }
    if (*p || nint == 0 || (frac && nfrac == 0)) {
        ROW_DIAG(row, col, d, "%s is not an amount of money (write it like 12.50)",
                 rows_show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    if (neg) {
        ROW_DIAG(row, col, d, "%s is negative", rows_show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    if (nfrac > 2) {
        ROW_DIAG(row, col, d, "%s has more than 2 decimals",
                 rows_show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    while (nint > 1 && *int_start == '0') /* leading zeros do not count toward size */
        int_start++, nint--;
    int64_t v = 0;
    if (nint > 11)
        v = MONEY_MAX + 1;
    for (size_t i = 0; i < nint && v <= MONEY_MAX; i++)
        v = v * 10 + (int_start[i] - '0');
    if (v <= MONEY_MAX) {
        v *= 100;
        if (nfrac >= 1)
            v += (frac[0] - '0') * 10;
        if (nfrac == 2)
            v += frac[1] - '0';
    }
    if (v > MONEY_MAX) {
        ROW_DIAG(row, col, d, "%s is too large (at most 10000000000.00)",
                 rows_show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    *out = v;
    return 0;
}

int pl_parse_uint(const pl_row_t *row, const char *col, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out, pl_diags_t *d)
{
    char sh[SHOW_BUF];
    if (required(row, col, s, "a whole number", d))
        return PL_EFORMAT;
    uint64_t v = 0;
    int over = 0;
    const char *p = s;
    for (; is_digit(*p); p++) {
        unsigned dg = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - dg) / 10)
            over = 1;
        else
            v = v * 10 + dg;
    }
    if (*p || p == s) {
        ROW_DIAG(row, col, d, "%s is not a whole number", rows_show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    if (over || v < min || v > max) {
        ROW_DIAG(row, col, d, "%s is out of range %llu-%llu",
                 rows_show(sh, sizeof(sh), s, strlen(s)), (unsigned long long)min,
                 (unsigned long long)max);
        return PL_EFORMAT;
    }
    *out = v;
    return 0;
}

int pl_parse_time(const pl_row_t *row, const char *col, const char *s, int utc_offset_min,
                  int64_t *out, pl_diags_t *d)
{
    char sh[SHOW_BUF], why[160];
    if (required(row, col, s, "a time such as 2026-11-26 08:00", d))
        return PL_EFORMAT;
    if (pl_time_parse(s, utc_offset_min, out, why, sizeof(why)) != 0) {
        ROW_DIAG(row, col, d, "%s is not a valid time: %s", rows_show(sh, sizeof(sh), s, strlen(s)),
                 why);
        return PL_EFORMAT;
    }
    return 0;
}

int pl_parse_bool(const pl_row_t *row, const char *col, const char *s, int *out, pl_diags_t *d)
{
    static const char *const yes[] = {"1", "true", "yes", "y"};
    static const char *const no[] = {"0", "false", "no", "n"};
    char sh[SHOW_BUF];
    if (required(row, col, s, "true or false", d))
        return PL_EFORMAT;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    ROW_DIAG(row, col, d, "%s is not a yes/no value (use true/false, yes/no, y/n or 1/0)",
             rows_show(sh, sizeof(sh), s, strlen(s)));
    return PL_EFORMAT;
}
