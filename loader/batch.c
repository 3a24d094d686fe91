/* The loader's engine: files → one write transaction each (apply) or one for
 * all (import), with the batch ledger, the generation bump, label
 * reconciliation, idempotency and map growth. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "load.h"
#include "pricelane/cpu_share.h"
#include "pricelane/err.h"
#include "pricelane/timefmt.h"

typedef struct progress {
    int on;
    uint64_t rows;
    struct timespec start, last;
} progress_t;

typedef struct reader {
    batch_t *b;
    progress_t *pg;
    int fatal; /* a catalogue error that ends the transaction */
} reader_t;

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_tick(progress_t *pg, int final)
{
    struct timespec now;
    if (!pg->on)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!final && since(&pg->last, &now) < 0.5)
        return;
    pg->last = now;
    double s = since(&pg->start, &now);
    fprintf(stderr, "\r%" PRIu64 " rows, %.0f rows/s%s", pg->rows, s > 0 ? (double)pg->rows / s : 0.0,
            final ? "\n" : "");
}

static int on_row(const pl_row_t *row, void *arg)
{
    reader_t *r = arg;
    pl_cpu_share();
    int rc = batch_row(r->b, row);
    if (rc) {
        r->fatal = rc;
        return rc;
    }
    r->pg->rows++;
    if ((r->pg->rows & 0x3fff) == 0)
        progress_tick(r->pg, 0);
    return 0;
}

/* "dir/2026-11-26-0001.csv" → "2026-11-26-0001" */
static void file_stem(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, base, n);
    out[n] = 0;
}

/* What names a batch before any row is applied: its id (the first value of
 * the batch column, else the first file's stem) and the digest of its bytes.
 * The ledger is consulted with these first, so that a batch applied before
 * is recognized as such even when its rows would no longer apply (a
 * scheduled price whose instant has passed, a barcode moved since).
 *
 * Only the first row of each file is read for the id. When a file has a
 * batch column that its first row leaves empty (always possible in JSON
 * Lines), a later row may still name the batch, so the candidate id is not
 * certain. A ledger record under the candidate with the same digest still
 * proves "already applied" (the same bytes name themselves the same way);
 * a record with another digest proves nothing, and the main pass decides. */
typedef struct identity {
    int ok;
    int certain; /* the id cannot come from a later row */
    char id[PL_BATCH_ID_MAX + 1];
    char digest[33];
} identity_t;

struct id_find {
    char id[PL_BATCH_ID_MAX + 1];
    int found, too_long, has_column;
};

static int find_batch_id(const pl_row_t *row, void *arg)
{
    struct id_find *f = arg;
    const char *v = pl_row_get(row, "batch");
    if (v) {
        f->found = 1;
        f->too_long = strlen(v) > PL_BATCH_ID_MAX;
        snprintf(f->id, sizeof(f->id), "%s", v);
    }
    for (int i = 0; i < row->ncols; i++)
        if (row->names[i] && strcmp(row->names[i], "batch") == 0)
            f->has_column = 1;
    return PL_EDONE; /* the first row only */
}

/* The files of one transaction, each opened once: every pass reads the
 * same descriptor, and what fstat said at the start is compared again
 * before the commit. */
typedef struct input {
    const char *path;
    int fd;
    struct stat st;
} input_t;

static int hash_file(const input_t *in, XXH3_state_t *st)
{
    char buf[65536];
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(in->fd, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        XXH3_128bits_update(st, buf, (size_t)n);
        off += n;
    }
}

/* 0 when the file is as it was when opened, else PL_ECHANGED with the
 * reason in d. */
static int unchanged(const input_t *in, pl_diags_t *d)
{
    struct stat now;
    if (fstat(in->fd, &now) != 0)
        return -errno;
    if (now.st_size == in->st.st_size && now.st_mtim.tv_sec == in->st.st_mtim.tv_sec &&
        now.st_mtim.tv_nsec == in->st.st_mtim.tv_nsec)
        return 0;
    pl_diag(d, in->path, 0, NULL,
            "the file changed while it was read (%lld bytes when opened, %lld now): nothing "
            "of it was applied; write a batch file elsewhere and rename it into place when "
            "complete",
            (long long)in->st.st_size, (long long)now.st_size);
    return PL_ECHANGED;
}

static void digest_hex(XXH3_state_t *st, char out[33])
{
    XXH128_hash_t h = XXH3_128bits_digest(st);
    snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, h.high64, h.low64);
}

/* Fills id; id->ok = 0 when it cannot be known before the rows are read
 * (an unreadable file, an over-long id): the main pass then reports why. */
static void batch_identity(const input_t *files, int n, identity_t *id)
{
    struct id_find f = {{0}, 0, 0, 0};
    int uncertain = 0;
    memset(id, 0, sizeof(*id));
    XXH3_state_t *st = XXH3_createState();
    if (!st)
        return;
    XXH3_128bits_reset(st);
    int rc = 0;
    for (int i = 0; i < n && !rc; i++)
        rc = hash_file(&files[i], st);
    for (int i = 0; i < n && !rc && !f.found; i++) {
        pl_diags_t quiet; /* the main pass reports problems */
        pl_diags_init(&quiet);
        f.has_column = 0;
        int r = pl_rows_read_fd(files[i].fd, files[i].path, batch_columns, batch_ncolumns,
                                find_batch_id, &f, &quiet, NULL);
        pl_diags_free(&quiet);
        if (r && r != PL_EDONE)
            rc = r;
        uncertain |= !f.found && f.has_column;
    }
    if (!rc && !f.too_long) {
        id->certain = !uncertain;
        if (f.found)
            snprintf(id->id, sizeof(id->id), "%s", f.id);
        else
            file_stem(files[0].path, id->id, sizeof(id->id));
        digest_hex(st, id->digest);
        id->ok = 1;
    }
    XXH3_freeState(st);
}

/* One attempt at one transaction over files[0..n). Returns 0 (committed or
 * already applied), PL_EMAPFULL (caller grows and retries), or an error. */
static int attempt(pl_cat_t *cat, const input_t *files, int n, const load_opts_t *o, int64_t now,
                   const identity_t *ident, pl_diags_t *d, load_result_t *res)
{
    pl_txn_t *txn;
    int rc = pl_txn_begin(cat, 1, &txn);
    if (rc) {
        pl_diag(d, NULL, 0, NULL, "cannot start a write transaction: %s", pl_strerror(rc));
        return rc;
    }
    pl_meta_t meta;
    rc = pl_meta_get(txn, &meta);
    if (rc)
        pl_diag(d, NULL, 0, NULL, "reading catalogue meta: %s", pl_strerror(rc));
    pl_batch_rec_t old;
    int g = rc || !ident->ok ? PL_ENOTFOUND : pl_batch_get(txn, ident->id, &old);
    if (g == 0) {
        snprintf(res->batch, sizeof(res->batch), "%s", ident->id);
        if (strcmp(old.digest, ident->digest) == 0) {
            res->already = 1;
            res->gen = old.gen;
            res->rows = old.rows;
            pl_txn_abort(txn);
            return 0;
        }
        if (ident->certain) {
            pl_diag(d, files[0].path, 0, NULL,
                    "batch %s was applied before (generation %" PRIu64 ") with other content: "
                    "a batch id names one content; use a new id",
                    ident->id, old.gen);
            pl_txn_abort(txn);
            return PL_ECONFLICT;
        }
        res->batch[0] = 0; /* the rows may name another batch: they decide */
    } else if (g != PL_ENOTFOUND) {
        pl_diag(d, NULL, 0, NULL, "reading the batch ledger: %s", pl_strerror(g));
        pl_txn_abort(txn);
        return g;
    }
    batch_t b = {0};
    b.txn = txn;
    uint64_t items = 1;
    b.fresh = o->import && pl_item_count(txn, &items) == 0 && items == 0;
    b.d = d;
    b.import = o->import;
    b.now = now;
    b.utc_offset = meta.utc_offset_min;
    b.only_store = o->only_store;
    file_stem(files[0].path, b.id, sizeof(b.id));
    progress_t pg = {o->progress, 0, {0, 0}, {0, 0}};
    clock_gettime(CLOCK_MONOTONIC, &pg.start);
    pg.last = pg.start;
    reader_t rd = {&b, &pg, 0};

    XXH3_state_t *digest = XXH3_createState();
    if (!digest)
        rc = -ENOMEM;
    else
        XXH3_128bits_reset(digest);
    size_t before = d->count;
    for (int i = 0; i < n && !rc; i++) {
        rc = pl_rows_read_fd(files[i].fd, files[i].path, batch_columns, batch_ncolumns, on_row, &rd,
                             d, digest);
        if (rd.fatal)
            rc = rd.fatal;
    }
    progress_tick(&pg, 1);
    if (!rc)
        rc = labels_reconcile(&b);
    if (rc == PL_EFORMAT || (!rc && d->count > before))
        rc = PL_EFORMAT;

    pl_batch_rec_t rec = {0};
    if (!rc) {
        digest_hex(digest, rec.digest);
        snprintf(rec.id, sizeof(rec.id), "%s", b.id);
        if (ident->ok && (strcmp(rec.digest, ident->digest) != 0 ||
                          (ident->certain && strcmp(rec.id, ident->id) != 0))) {
            pl_diag(d, files[0].path, 0, NULL,
                    "the file changed while it was read (its bytes differ between two "
                    "readings): nothing of it was applied; write a batch file elsewhere and "
                    "rename it into place when complete");
            rc = PL_ECHANGED;
        }
    }
    for (int i = 0; i < n && (!rc || rc == PL_EFORMAT); i++) {
        int u = unchanged(&files[i], d);
        if (u)
            rc = u; /* truncated or appended to: the rows' own errors may be its effect */
    }
    if (!rc) {
        g = pl_batch_get(txn, b.id, &old);
        if (g == 0) {
            if (strcmp(old.digest, rec.digest) == 0) {
                res->already = 1;
                res->gen = old.gen;
            } else {
                pl_diag(d, files[0].path, 0, NULL,
                        "batch %s was applied before (generation %" PRIu64 ") with other content: "
                        "a batch id names one content; use a new id",
                        b.id, old.gen);
                rc = PL_ECONFLICT;
            }
        } else if (g != PL_ENOTFOUND) {
            rc = g;
        }
    }
    snprintf(res->batch, sizeof(res->batch), "%s", b.id);
    res->rows = b.rows;
    res->jobs = b.jobs;
    res->skipped = b.skipped;
    if (!rc && !res->already) {
        rec.applied_at = now;
        rec.rows = b.rows;
        memcpy(rec.reason, b.reason, sizeof(rec.reason));
        rc = pl_meta_bump(txn, b.id, &rec.gen);
        if (!rc)
            rc = pl_batch_put(txn, &rec);
        if (!rc && o->before_commit)
            rc = o->before_commit(txn, o->commit_arg);
        if (!rc)
            rc = pl_txn_commit(txn); /* durable: LMDB syncs on commit */
        txn = NULL;
        if (!rc)
            res->gen = rec.gen;
    }
    pl_txn_abort(txn);
    XXH3_freeState(digest);
    free(b.aff);
    skuset_free(&b.items_defined);
    return rc;
}

static int run_txn(pl_cat_t *cat, const input_t *files, int n, const load_opts_t *o, pl_diags_t *d,
                   load_result_t *res)
{
    int64_t now = o->now ? o->now : pl_time_now();
    int tries = o->max_retries_map_full ? o->max_retries_map_full : 8;
    identity_t ident;
    memset(res, 0, sizeof(*res));
    batch_identity(files, n, &ident);
    for (;;) {
        /* Diagnostics of an attempt that ran out of map space are dropped:
         * the retry reads the same rows and reports them again. */
        pl_diags_t tmp;
        pl_diags_init(&tmp);
        int rc = attempt(cat, files, n, o, now, &ident, &tmp, res);
        size_t kept = tmp.count < (tmp.limit ? tmp.limit : 1000) ? tmp.count
                                                                 : (tmp.limit ? tmp.limit : 1000);
        for (size_t i = 0; rc != PL_EMAPFULL && i < kept; i++)
            pl_diag(d, NULL, 0, NULL, "%s", tmp.msgs[i]);
        if (rc != PL_EMAPFULL)
            d->count += tmp.count - kept;
        pl_diags_free(&tmp);
        if (rc != PL_EMAPFULL)
            return rc;
        /* Nothing was written: grow the map and run the whole batch again. */
        if (res->map_grown >= tries) {
            pl_diag(d, files[0].path, 0, NULL, "catalogue map still full after growing it %d times",
                    res->map_grown);
            return rc;
        }
        int grown = res->map_grown + 1;
        rc = pl_cat_grow(cat, 0);
        if (rc) {
            pl_diag(d, files[0].path, 0, NULL, "growing the catalogue map: %s", pl_strerror(rc));
            return rc;
        }
        memset(res, 0, sizeof(*res));
        res->map_grown = grown;
    }
}

/* Opens path (unless the caller did: fd >= 0) and checks it is a regular
 * file: a batch is read more than once, which a pipe or a device cannot be. */
static int input_open(const char *path, int fd, input_t *in, pl_diags_t *d)
{
    in->path = path;
    in->fd = fd >= 0 ? fd : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (in->fd < 0) {
        int rc = -errno;
        pl_diag(d, path, 0, NULL, "cannot open: %s", strerror(-rc));
        return rc;
    }
    if (fstat(in->fd, &in->st) != 0) {
        int rc = -errno;
        pl_diag(d, path, 0, NULL, "cannot stat: %s", strerror(-rc));
        return rc;
    }
    if (!S_ISREG(in->st.st_mode)) {
        pl_diag(d, path, 0, NULL,
                "not a regular file (%s): a batch is read more than once; give a file",
                S_ISFIFO(in->st.st_mode)                             ? "a FIFO or pipe"
                : S_ISDIR(in->st.st_mode)                            ? "a directory"
                : S_ISCHR(in->st.st_mode) || S_ISBLK(in->st.st_mode) ? "a device"
                : S_ISSOCK(in->st.st_mode)                           ? "a socket"
                                                                     : "another kind");
        return S_ISDIR(in->st.st_mode) ? -EISDIR : -EINVAL;
    }
    return 0;
}

int load_files(pl_cat_t *cat, char **files, int n, const load_opts_t *o, pl_diags_t *d,
               load_result_t *results)
{
    input_t *in = calloc((size_t)(n > 0 ? n : 1), sizeof(*in));
    if (!in)
        return -ENOMEM;
    /* An import opens every file first (one transaction); apply opens each
     * file when its turn comes, as the batches before it commit. */
    int rc = 0, opened = 0, group = o->import ? n : 1;
    for (int first = 0; first < n && !rc; first += group) {
        for (; opened < first + group && !rc; opened++) {
            in[opened].fd = -1;
            rc = input_open(files[opened], o->fds ? o->fds[opened] : -1, &in[opened], d);
        }
        if (!rc)
            rc = run_txn(cat, &in[first], group, o, d, &results[o->import ? 0 : first]);
    }
    for (int i = 0; i < opened && !o->fds; i++)
        if (in[i].fd >= 0)
            close(in[i].fd);
    free(in);
    return rc;
}
