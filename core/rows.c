/* Batch and catalogue files as rows of named fields (CSV or JSON Lines),
 * with diagnostics that name the file, the line and the column.
 *
 * The file is read in blocks and cut into physical lines before it reaches
 * either parser (rows_csv.c, rows_jsonl.c): that is how every row knows the
 * line it starts on. The module's files are listed in rows_int.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xxhash.h>

#include "pricelane/err.h"
#include "rows_int.h"

#define BLOCK_SIZE (64 * 1024)

static enum fmt format_by_name(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base : path, '.');
    if (!dot)
        return FMT_UNKNOWN;
    if (strcasecmp(dot, ".csv") == 0)
        return FMT_CSV;
    if (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0)
        return FMT_JSONL;
    return FMT_UNKNOWN;
}

/* Reads up to cap bytes, short only at the end of the file. */
static ssize_t read_block(int fd, off_t *off, char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t n = pread(fd, buf + got, cap - got, *off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        got += (size_t)n;
        *off += n;
    }
    return (ssize_t)got;
}

/* At the first block of the file, p..end: skips a UTF-8 byte order mark,
 * sniffs the format when the name does not give it and readies that format.
 * Returns where the text starts, or NULL when the CSV parser could not be
 * started (the reader is stopped). */
static const char *begin_file(struct reader *r, enum fmt *fmt, const char *p, const char *end)
{
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    if (*fmt == FMT_UNKNOWN) {
        const char *q = p;
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
            q++;
        *fmt = q < end && *q == '{' ? FMT_JSONL : FMT_CSV;
    }
    if (*fmt == FMT_CSV && rows_csv_restart(r) != 0)
        return NULL;
    if (*fmt == FMT_JSONL) { /* every line may name any known column */
        for (int k = 0; k < r->nknown; k++)
            r->names[k] = r->known[k];
        r->ncols = r->nknown;
    }
    return p;
}

int pl_rows_read(const char *path, const char *const *known, int nknown,
                 int (*fn)(const pl_row_t *row, void *arg), void *arg, pl_diags_t *d, void *digest)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        pl_diag(d, path, 0, NULL, "cannot open: %s", strerror(-rc));
        return rc;
    }
    int rc = pl_rows_read_fd(fd, path, known, nknown, fn, arg, d, digest);
    close(fd);
    return rc;
}

int pl_rows_read_fd(int fd, const char *path, const char *const *known, int nknown,
                    int (*fn)(const pl_row_t *row, void *arg), void *arg, pl_diags_t *d,
                    void *digest)
{
    struct reader r = {
        .path = path, .known = known, .nknown = nknown, .fn = fn, .arg = arg, .d = d, .line = 1};
    char *block = NULL;
    int rc = 0;
    off_t off = 0;

    if (nknown < 0 || nknown > PL_ROWS_COLS_MAX) {
        pl_diag(d, path, 0, NULL, "%d known columns: at most %d", nknown, PL_ROWS_COLS_MAX);
        return PL_EINVAL;
    }
    block = malloc(BLOCK_SIZE);
    r.store = malloc((size_t)PL_ROWS_COLS_MAX * (PL_ROWS_FIELD_MAX + 1));
    if (!block || !r.store) {
        rc = -ENOMEM;
        pl_diag(d, path, 0, NULL, "out of memory");
        goto out_free;
    }

    enum fmt fmt = format_by_name(path);
    int first = 1;
    for (;;) {
        ssize_t n = read_block(fd, &off, block, BLOCK_SIZE);
        if (n < 0) {
            rc = (int)n;
            pl_diag(d, path, r.line, NULL, "read error: %s", strerror(-rc));
            goto out_parser;
        }
        if (n == 0)
            break;
        if (digest)
            XXH3_128bits_update(digest, block, (size_t)n);
        const char *p = block, *end = block + n;
        if (first) {
            first = 0;
            p = begin_file(&r, &fmt, p, end);
            if (!p)
                break;
        }
        while (p < end && !r.stop) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
            if (fmt == FMT_CSV)
                rows_csv_feed(&r, p, len, nl != NULL);
            else
                rows_jsonl_feed(&r, p, len, nl != NULL);
            if (nl)
                r.line++;
            p += len;
        }
        if (r.stop)
            break;
    }
    if (!r.stop) {
        if (fmt == FMT_JSONL) {
            rows_jsonl_finish(&r);
        } else if (r.csv_ready) {
            rows_csv_finish(&r);
        } else {
            pl_diag(d, path, 0, NULL, "no header row (the file is empty)");
        }
    }
    rc = r.rc;

out_parser:
    if (r.csv_ready)
        csv_free(&r.csv);
out_free:
    free(r.lbuf);
    free(r.store);
    free(block);
    return rc;
}
