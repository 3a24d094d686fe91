/* The body of the two row-reader targets (fuzz_rows_csv, fuzz_rows_jsonl):
 * the input becomes a file named in.csv or in.jsonl, read by pl_rows_read
 * with the loader's batch columns; every value of every row then goes
 * through each field parser.
 *
 * Checks: the file is read to the end (or up to the row where the callback
 * stops it, with the callback's code); the digest is XXH3-128 of the file;
 * every value handed out is terminated, at most PL_ROWS_FIELD_MAX bytes,
 * valid UTF-8 without control bytes other than tab; pl_row_get agrees with
 * the row; each field parser returns 0 with an in-range result, or
 * PL_EFORMAT with exactly one diagnostic; a parsed time formats and parses
 * back to the same instant. */
#pragma once
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "fuzz.h"
#include "pricelane/err.h"
#include "pricelane/rows.h"
#include "pricelane/timefmt.h"

/* The loader's batch columns (loader/ops.c, batch_columns): the header a
 * real batch is checked against. Kept in step by hand; a column missing
 * here only makes the fuzzer see it as unknown. */
static const char *const fuzz_columns[] = {
    "op",    "batch", "sku",   "barcode", "name",    "unit",     "pack_qty", "dept",
    "flags", "plu",   "content", "price", "zone",    "store",    "start",    "end",
    "promo", "kind",  "pct_off", "priority", "member", "scope",  "items",    "text",
    "formats",
};
#define FUZZ_NCOLUMNS ((int)(sizeof(fuzz_columns) / sizeof(fuzz_columns[0])))

#define UTC_OFFSET 480

struct rows_ctx {
    pl_diags_t *d;
    int rows, stop_at;
};

static size_t utf8_ok(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t need;
    uint32_t cp, min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c < 0xe0)
        need = 1, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c < 0xf0)
        need = 2, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c < 0xf5)
        need = 3, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    if (need >= n)
        return 0;
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return need + 1;
}

static void check_value(const char *col, const char *v)
{
    size_t n = strlen(v);
    FUZZ_CHECK(n > 0 && n <= PL_ROWS_FIELD_MAX, "%s: value of %zu bytes", col, n);
    const unsigned char *u = (const unsigned char *)v;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_ok(u + i, n - i);
        FUZZ_CHECK(k, "%s: invalid UTF-8 at byte %zu", col, i);
        FUZZ_CHECK((u[i] >= 0x20 || u[i] == '\t') && u[i] != 0x7f,
                   "%s: control byte 0x%02x at %zu", col, u[i], i);
        if (k == 2)
            FUZZ_CHECK(!(u[i] == 0xc2 && u[i + 1] < 0xa0), "%s: C1 control at %zu", col, i);
        i += k;
    }
}

/* A field parser's result: 0, or PL_EFORMAT with exactly one diagnostic. */
static int parsed(const pl_diags_t *d, size_t before, int rc, const char *what, const char *v)
{
    FUZZ_CHECK(rc == 0 || rc == PL_EFORMAT, "%s(%s): rc %d", what, v, rc);
    FUZZ_CHECK(d->count - before == (rc ? 1u : 0u), "%s(%s): rc %d with %zu diagnostics", what,
               v, rc, d->count - before);
    return rc;
}

static void parse_fields(const pl_row_t *row, const char *col, const char *v, pl_diags_t *d)
{
    int64_t money = -1, t = 0, t2 = 0;
    uint64_t u = 0;
    int b = -1;
    size_t n0 = d->count;
    if (parsed(d, n0, pl_parse_money(row, col, v, &money, d), "money", v) == 0)
        FUZZ_CHECK(money >= 0 && money <= 1000000000000LL, "money %s → %lld", v,
                   (long long)money);
    n0 = d->count;
    if (parsed(d, n0, pl_parse_uint(row, col, v, 1, 1000, &u, d), "uint", v) == 0)
        FUZZ_CHECK(u >= 1 && u <= 1000, "uint %s → %llu", v, (unsigned long long)u);
    n0 = d->count;
    parsed(d, n0, pl_parse_uint(row, col, v, 0, UINT64_MAX, &u, d), "uint", v);
    n0 = d->count;
    if (parsed(d, n0, pl_parse_bool(row, col, v, &b, d), "bool", v) == 0)
        FUZZ_CHECK(b == 0 || b == 1, "bool %s → %d", v, b);
    n0 = d->count;
    if (parsed(d, n0, pl_parse_time(row, col, v, UTC_OFFSET, &t, d), "time", v) == 0) {
        char s[32], err[160];
        size_t n = pl_time_format(t, UTC_OFFSET, s, sizeof(s));
        FUZZ_CHECK(n > 0, "time %s → %lld does not format", v, (long long)t);
        int rc = pl_time_parse(s, UTC_OFFSET, &t2, err, sizeof(err));
        FUZZ_CHECK(rc == 0 && t2 == t, "time %s → %lld → %s → rc %d %lld (%s)", v, (long long)t,
                   s, rc, (long long)t2, err);
    }
}

static int on_row(const pl_row_t *row, void *arg)
{
    struct rows_ctx *c = arg;
    FUZZ_CHECK(row->ncols >= 0 && row->ncols <= PL_ROWS_COLS_MAX, "ncols %d", row->ncols);
    FUZZ_CHECK(row->line >= 1, "line %llu", (unsigned long long)row->line);
    int any = 0;
    for (int i = 0; i < row->ncols; i++) {
        const char *name = row->names[i];
        FUZZ_CHECK(name != NULL, "column %d has no name", i);
        int known = 0;
        for (int k = 0; k < FUZZ_NCOLUMNS; k++)
            known |= name == fuzz_columns[k];
        FUZZ_CHECK(known, "column name %s is not one of the known ones", name);
        const char *v = row->vals[i];
        if (!v || !v[0])
            continue;
        any = 1;
        check_value(name, v);
        FUZZ_CHECK(pl_row_get(row, name) == v, "pl_row_get(%s) disagrees", name);
        parse_fields(row, name, v, c->d);
    }
    FUZZ_CHECK(any, "a row of empty values was handed out");
    if (++c->rows == c->stop_at)
        return -ECANCELED;
    return 0;
}

static char fuzz_rows_dir[64];

static void fuzz_rows_cleanup(void)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/in.csv", fuzz_rows_dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/in.jsonl", fuzz_rows_dir);
    unlink(p);
    rmdir(fuzz_rows_dir);
}

static void fuzz_rows(const uint8_t *data, size_t size, const char *ext)
{
    if (!fuzz_rows_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_rows_dir, sizeof(fuzz_rows_dir), "%.40s/plfuzz-rows-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        FUZZ_CHECK(mkdtemp(fuzz_rows_dir), "mkdtemp: %s", strerror(errno));
        atexit(fuzz_rows_cleanup);
    }
    char path[128];
    snprintf(path, sizeof(path), "%s/in%s", fuzz_rows_dir, ext);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "%s: %s", path, strerror(errno));
    FUZZ_CHECK(write(fd, data, size) == (ssize_t)size, "short write");
    close(fd);

    pl_diags_t d;
    pl_diags_init(&d);
    d.limit = 50;
    /* Some inputs also check that a callback can stop the walk. */
    struct rows_ctx c = {&d, 0, size % 5 == 0 ? 2 : -1};
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    int rc = pl_rows_read(path, fuzz_columns, FUZZ_NCOLUMNS, on_row, &c, &d, st);
    if (c.rows == c.stop_at) {
        FUZZ_CHECK(rc == -ECANCELED, "stopped by the callback, rc %d", rc);
    } else {
        FUZZ_CHECK(rc == 0, "rc %d (%s)", rc, pl_strerror(rc));
        XXH128_hash_t got = XXH3_128bits_digest(st), want = XXH3_128bits(data, size);
        FUZZ_CHECK(XXH128_isEqual(got, want), "digest is not XXH3-128 of the file");
    }
    for (size_t i = 0; i < d.count && i < d.limit; i++)
        FUZZ_CHECK(d.msgs[i] && strlen(d.msgs[i]) < 2048, "diagnostic %zu", i);
    XXH3_freeState(st);
    pl_diags_free(&d);
}
