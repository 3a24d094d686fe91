/* Helpers shared by the subcommands: money and time as text, numbers on the
 * command line, finding the item behind a code, aligned table cells with CJK
 * names. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

#include "cmds.h"
#include "pricelane/barcode.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/timefmt.h"

const char *cmd_money(int64_t v, const char *none, char *out, size_t cap)
{
    if (v == PL_PRICE_NONE)
        snprintf(out, cap, "%s", none);
    else if (v < 0)
        snprintf(out, cap, "-%" PRId64 ".%02" PRId64, -v / 100, -v % 100);
    else
        snprintf(out, cap, "%" PRId64 ".%02" PRId64, v / 100, v % 100);
    return out;
}

void cmd_csv_field(FILE *f, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputs(last ? "\r\n" : ",", f);
}

const char *cmd_time(int64_t t, int utc_offset_min, const char *none, char *out, size_t cap)
{
    if (t == PL_TIME_NONE || !pl_time_format(t, utc_offset_min, out, cap))
        snprintf(out, cap, "%s", none);
    return out;
}

int cmd_parse_time(const char *cmd, const char *opt, const char *s, int utc_offset_min,
                   int64_t *out)
{
    char why[160];
    if (pl_time_parse(s, utc_offset_min, out, why, sizeof(why)) == 0)
        return 0;
    fprintf(stderr,
            "pricelane-load %s: --%s \"%s\": %s (write 2026-11-26T08:00:00+08:00, "
            "'2026-11-26 08:00' in the catalogue's offset, or @unix-seconds)\n",
            cmd, opt, s, why);
    return -1;
}

int cmd_num_check(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
    if (len == 0)
        return CMD_NUM_EMPTY;
    size_t i = s[0] == '-' && len > 1; /* "-5" is negative; "-" and "-5x" are no number */
    uint64_t v = 0;
    int over = 0;
    for (size_t k = i; k < len; k++) {
        if (s[k] < '0' || s[k] > '9')
            return CMD_NUM_JUNK;
        unsigned d = (unsigned)(s[k] - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
    }
    if (i)
        return v || over ? CMD_NUM_NEGATIVE : CMD_NUM_JUNK; /* "-0": no sign is taken */
    if (over || v < min || v > max)
        return CMD_NUM_RANGE;
    *out = v;
    return CMD_NUM_OK;
}

void cmd_num_error(const char *cmd, const char *opt, const char *s, int why, const char *what,
                   const char *range)
{
    /* The value as given, at most 40 bytes of it; bytes that would not
     * print (a terminal's escapes) as \xNN. */
    char shown[40 * 4 + 4];
    size_t o = 0, n = strlen(s);
    for (size_t i = 0; i < n && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '\\' || c == '\'')
            o += (size_t)snprintf(shown + o, sizeof(shown) - o, "\\x%02x", c);
        else
            shown[o++] = (char)c;
    }
    snprintf(shown + o, sizeof(shown) - o, "%s", n > 40 ? "..." : "");
    fprintf(stderr, "pricelane-load %s: %s: '%s' %s%s (%s)\n", cmd, opt, shown,
            why == CMD_NUM_EMPTY      ? "is empty: expected "
            : why == CMD_NUM_NEGATIVE ? "is negative: expected "
            : why == CMD_NUM_RANGE    ? "is out of range: expected "
                                      : "is not ",
            what, range);
}

int cmd_parse_uint(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                   const char *what, uint64_t *out)
{
    int why = cmd_num_check(s, strlen(s), min, max, out);
    if (why == CMD_NUM_OK)
        return 0;
    char range[48];
    if (max == UINT64_MAX)
        snprintf(range, sizeof(range), "from %" PRIu64, min);
    else
        snprintf(range, sizeof(range), "%" PRIu64 " to %" PRIu64, min, max);
    cmd_num_error(cmd, opt, s, why, what, range);
    return -1;
}

int cmd_utc_offset(struct pl_cat *cat, int *off)
{
    pl_txn_t *t;
    pl_meta_t m;
    *off = 0;
    int rc = pl_txn_begin(cat, 0, &t);
    if (rc == 0) {
        rc = pl_meta_get(t, &m);
        pl_txn_abort(t);
    }
    if (rc) {
        fprintf(stderr, "pricelane-load: reading the catalogue's meta record: %s\n",
                pl_strerror(rc));
        return rc;
    }
    *off = m.utc_offset_min;
    return 0;
}

int cmd_code_sku(struct pl_txn *txn, const char *store, const char *code, char *sku, char *err,
                 size_t errlen)
{
    pl_barcode_cfg_t cfg;
    pl_barcode_cfg_default(&cfg);
    if (store) {
        pl_store_t st;
        int rc = pl_store_get(txn, store, &st);
        if (rc) {
            snprintf(err, errlen, "%s store %s", rc == PL_ENOTFOUND ? "unknown" : pl_strerror(rc),
                     store);
            return -1;
        }
        if (st.formats[0])
            pl_barcode_cfg_formats(&cfg, st.formats, NULL, 0);
    }
    pl_code_t c;
    pl_item_t it;
    if (pl_code_normalize(txn, &cfg, code, strlen(code), &c) != 0) {
        snprintf(err, errlen, "\"%s\": %s", code, c.error);
        return -1;
    }
    if (c.kind == PL_CODE_ITEM) {
        int rc = pl_item_get(txn, c.item, &it);
        if (rc) {
            snprintf(err, errlen, "%s: %s", c.item,
                     rc == PL_ENOTFOUND ? "no item has this code" : pl_strerror(rc));
            return -1;
        }
        snprintf(sku, PL_ITEM_CODE_MAX + 1, "%s", c.item);
        return 0;
    }
    int rc = pl_code_sku(txn, &c, sku);
    if (rc) {
        if (rc != PL_ENOTFOUND)
            snprintf(err, errlen, "%s: %s", code, pl_strerror(rc));
        else if (c.kind == PL_CODE_VARIABLE)
            snprintf(err, errlen, "%s: scale code %s is on no item", code, c.item);
        else
            snprintf(err, errlen, "%s: no item has barcode %s", code, c.gtin);
        return -1;
    }
    return 0;
}

/* ---- table cells ----------------------------------------------------------- */

/* Length of the UTF-8 sequence at s and its code point; invalid bytes count
 * as one column each. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    size_t len = s[0] < 0x80             ? 1
                 : (s[0] & 0xe0) == 0xc0 ? 2
                 : (s[0] & 0xf0) == 0xe0 ? 3
                 : (s[0] & 0xf8) == 0xf0 ? 4
                                         : 1;
    *cp = len == 1 ? s[0] : s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = s[0];
            return 1;
        }
        *cp = *cp << 6 | (s[i] & 0x3f);
    }
    return len;
}

/* East Asian wide and fullwidth ranges (Unicode 15, the ones names use). */
static int wide(uint32_t cp)
{
    return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
           (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
           (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
           (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
           (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
}

size_t cmd_width(const char *s)
{
    size_t w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        p += utf8_next(p, &cp);
        w += wide(cp) ? 2 : 1;
    }
    return w;
}

void cmd_cell(FILE *f, const char *s, size_t width, int gap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    while (*p) {
        uint32_t cp;
        size_t len = utf8_next(p, &cp);
        size_t cw = wide(cp) ? 2 : 1;
        if (w + cw > width)
            break;
        fwrite(p, 1, len, f);
        w += cw;
        p += len;
    }
    for (size_t i = w; i < width + (size_t)gap; i++)
        fputc(' ', f);
}

/* ---- tables ----------------------------------------------------------------- */

void cmd_table_init(cmd_table_t *t, int ncols, const char *const *head)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    cmd_table_add(t, head);
}

int cmd_table_add(cmd_table_t *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **n = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*n));
        if (!n)
            return -ENOMEM;
        t->cells = n;
        t->cap = cap;
    }
    char **row = t->cells + t->nrows * (size_t)t->ncols;
    for (int k = 0; k < t->ncols; k++) {
        row[k] = strdup(cells[k] ? cells[k] : "");
        if (!row[k]) {
            while (k--)
                free(row[k]);
            return -ENOMEM;
        }
    }
    t->nrows++;
    return 0;
}

void cmd_table_print(const cmd_table_t *t, FILE *f, const char *indent, unsigned skip)
{
    size_t w[32] = {0};
    int last = -1;
    for (int k = 0; k < t->ncols && k < 32; k++)
        if (!(skip & (1u << k)))
            last = k;
    for (size_t r = 0; r < t->nrows; r++)
        for (int k = 0; k < t->ncols && k < 32; k++) {
            size_t cw = cmd_width(t->cells[r * (size_t)t->ncols + k]);
            w[k] = cw > w[k] ? cw : w[k];
        }
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(indent, f);
        for (int k = 0; k <= last; k++) {
            if (skip & (1u << k))
                continue;
            const char *s = t->cells[r * (size_t)t->ncols + k];
            if (k == last)
                fputs(s, f);
            else
                cmd_cell(f, s, w[k], 2);
        }
        fputc('\n', f);
    }
}

void cmd_table_free(cmd_table_t *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

const char *cmd_storage_error(const char *db, int rc, char *buf, size_t cap)
{
    struct statvfs sv;
    snprintf(buf, cap, "%s", pl_strerror(rc));
    if ((rc == -EIO || rc == -ENOSPC || rc == -EDQUOT) && db && statvfs(db, &sv) == 0) {
        unsigned long long kib = (unsigned long long)sv.f_bavail * sv.f_frsize / 1024;
        if (kib < 1024)
            snprintf(buf, cap,
                     "no space left on the catalogue's file system (%llu KiB free; the write "
                     "failed with: %s)",
                     kib, pl_strerror(rc));
    }
    return buf;
}
