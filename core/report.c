/* The report store (pricelane/report.h): the lane's exception log in an
 * LMDB environment of its own, apart from the catalogue.
 *
 * Databases:
 *   meta     "schema" → u64 REPORTS_SCHEMA
 *   reports  store \0 lane \0 id → report record (versioned, core/rec.h)
 *   by_time  store \0 be64(at) lane \0 id → "" (the walk of a time range)
 *   keyed    be64(day) store \0 sku → u64 count
 * The primary key finds a retry of (store, lane, id) in one get; the index
 * walks a store's reports of a day without reading the others. */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pricelane/err.h"
#include "pricelane/report.h"
#include "rec.h"

#define REPORTS_SCHEMA 1
#define REPORT_REC_V1 1
#define REPORTS_MAP_SIZE ((size_t)256 << 20) /* grown on demand by the writer */
#define REPORTS_MAP_GROW_MAX 8

enum { RDB_META, RDB_REPORTS, RDB_BY_TIME, RDB_KEYED, RDB_COUNT };
static const char *const rdb_name[RDB_COUNT] = {"meta", "reports", "by_time", "keyed"};

struct pl_reports {
    MDB_env *env;
    MDB_dbi dbi[RDB_COUNT];
    int write;
    int covered;   /* PL_REPORTS_WRITE_COVERED */
    int pending;   /* a commit's record is written, not yet flushed */
    size_t extend; /* pl_reports_set_extend's step; 0 none */
};

/* ---- names ----------------------------------------------------------------- */

static const char *const kind_names[] = {"price", "no_scan", "name", "other"};
static const char *const cause_names[PL_CAUSE_COUNT] = {
    "unknown",          "system_price", "promo_sign", "label_not_printed",
    "label_not_placed", "no_scan",      "item_data"};
static const char *const cause_depts[PL_CAUSE_COUNT] = {
    "head cashier",           /* nothing the catalogue shows: the head cashier looks */
    "merchandising data",     /* 采购 / 物流资讯部 */
    "store planning",         /* 企划部 */
    "data entry",             /* 录入员 */
    "store customer service", /* 营运客服 */
    "store management",       /* the barcode and its record */
    "store management",       /* name, pack, swapped barcodes */
};

const char *pl_report_kind_name(int kind)
{
    return kind >= 0 && kind < 4 ? kind_names[kind] : "?";
}

int pl_report_kind_parse(const char *s, size_t len)
{
    for (int k = 0; k < 4; k++)
        if (strlen(kind_names[k]) == len && strncasecmp(s, kind_names[k], len) == 0)
            return k;
    return -1;
}

const char *pl_report_cause_name(int cause)
{
    return cause >= 0 && cause < PL_CAUSE_COUNT ? cause_names[cause] : "?";
}

const char *pl_report_cause_dept(int cause)
{
    return cause >= 0 && cause < PL_CAUSE_COUNT ? cause_depts[cause] : "?";
}

/* ---- records and keys ------------------------------------------------------- */

#define REC_MAX 512
#define KEY_MAX (PL_SCOPE_MAX + 1 + 8 + PL_LANE_MAX + 1 + PL_REPORT_ID_MAX + 1)

static int encode(const pl_report_t *r, uint8_t *buf, size_t cap, size_t *len)
{
    rec_w w = {buf, 0, cap, 0};
    rw_u8(&w, REPORT_REC_V1);
    rw_str(&w, r->id);
    rw_str(&w, r->store);
    rw_str(&w, r->lane);
    rw_str(&w, r->cashier);
    rw_str(&w, r->code);
    rw_str(&w, r->sku);
    rw_u8(&w, r->kind);
    rw_u8(&w, r->cause);
    rw_u8(&w, r->keyed);
    rw_i64(&w, r->at);
    rw_i64(&w, r->shelf_price);
    rw_i64(&w, r->system_price);
    rw_i64(&w, r->charge);
    rw_i64(&w, r->refund);
    rw_u64(&w, r->gen);
    *len = w.len;
    return w.err ? PL_ETOOBIG : 0;
}

static int decode(const void *p, size_t len, pl_report_t *r)
{
    rec_r rd = {p, len, 0, 0};
    memset(r, 0, sizeof(*r));
    uint8_t v = rr_u8(&rd);
    if (!rd.err && v != REPORT_REC_V1)
        return PL_EVERSION;
    rr_str(&rd, r->id, sizeof(r->id));
    rr_str(&rd, r->store, sizeof(r->store));
    rr_str(&rd, r->lane, sizeof(r->lane));
    rr_str(&rd, r->cashier, sizeof(r->cashier));
    rr_str(&rd, r->code, sizeof(r->code));
    rr_str(&rd, r->sku, sizeof(r->sku));
    r->kind = rr_u8(&rd);
    r->cause = rr_u8(&rd);
    r->keyed = rr_u8(&rd);
    r->at = rr_i64(&rd);
    r->shelf_price = rr_i64(&rd);
    r->system_price = rr_i64(&rd);
    r->charge = rr_i64(&rd);
    r->refund = rr_i64(&rd);
    r->gen = rr_u64(&rd);
    if (rd.err || rd.off != len || r->kind > PL_REPORT_OTHER || r->cause >= PL_CAUSE_COUNT)
        return PL_ECORRUPT;
    return 0;
}

/* Appends s and its NUL; 0 or PL_ETOOBIG. */
static int key_str(uint8_t *k, size_t *n, size_t cap, const char *s)
{
    size_t l = strlen(s) + 1;
    if (*n + l > cap)
        return PL_ETOOBIG;
    memcpy(k + *n, s, l);
    *n += l;
    return 0;
}

static int primary_key(const pl_report_t *r, uint8_t *k, size_t *n)
{
    *n = 0;
    int rc = key_str(k, n, KEY_MAX, r->store);
    if (!rc)
        rc = key_str(k, n, KEY_MAX, r->lane);
    if (!rc)
        rc = key_str(k, n, KEY_MAX, r->id);
    return rc;
}

static int time_key(const pl_report_t *r, uint8_t *k, size_t *n)
{
    *n = 0;
    int rc = key_str(k, n, KEY_MAX, r->store);
    if (rc)
        return rc;
    key_be64(k + *n, KEY_TIME(r->at));
    *n += 8;
    rc = key_str(k, n, KEY_MAX, r->lane);
    if (!rc)
        rc = key_str(k, n, KEY_MAX, r->id);
    return rc;
}

/* What the lane sent: a retry carries the same; the server's part (the
 * instant, the answer, the cause) is taken from the first. */
static int same_content(const pl_report_t *a, const pl_report_t *b)
{
    return strcmp(a->cashier, b->cashier) == 0 && strcmp(a->code, b->code) == 0 &&
           a->kind == b->kind && a->shelf_price == b->shelf_price;
}

static int64_t floor_day(int64_t t, int utc_offset_min)
{
    int64_t s = t + (int64_t)utc_offset_min * 60;
    return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* ---- open and close ---------------------------------------------------------- */

int pl_reports_open(const char *dir, int write, pl_reports_t **out, char *err, size_t errlen)
{
    char path[4096];
    struct stat st;
    *out = NULL;
    if (!write) {
        snprintf(path, sizeof(path), "%s/data.mdb", dir);
        if (stat(path, &st) != 0) {
            int e = errno;
            snprintf(err, errlen, "%s: no report store there (%s)", dir, strerror(e));
            return e == ENOENT ? PL_ENOTFOUND : -e;
        }
    } else if (mkdir(dir, 0770) != 0 && errno != EEXIST) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot create the report store directory: %s", dir, strerror(e));
        return -e;
    }
    pl_reports_t *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return -ENOMEM;
    rs->write = write != PL_REPORTS_READ;
    rs->covered = write == PL_REPORTS_WRITE_COVERED;
    const char *what = "mdb_env_create";
    int rc = pl_err_from_mdb(mdb_env_create(&rs->env));
    if (rc)
        goto fail_free;
    mdb_env_set_maxdbs(rs->env, RDB_COUNT + 1);
    /* A reader on another process keeps the size the writer stored. */
    if (write)
        mdb_env_set_mapsize(rs->env, REPORTS_MAP_SIZE);
    /* Never MDB_NOSYNC (a commit record could then reach the disk before
     * the pages it points at). MDB_NOMETASYNC in the covered mode: the
     * pages are flushed before the commit record is written, as always;
     * the record waits for the next flush, and LMDB never reuses a page of
     * the last two commits, so a crash before that flush falls back to
     * the commit before, intact. No MDB_WRITEMAP: with it LMDB truncates
     * the file to the map's size, and the extension is ours. MDB_NOTLS:
     * the readers (pricelane-load report) may be any thread. */
    unsigned flags = (rs->write ? 0 : MDB_RDONLY) | (rs->covered ? MDB_NOMETASYNC : 0) | MDB_NOTLS;
    what = "open";
    rc = pl_err_from_mdb(mdb_env_open(rs->env, dir, flags, 0660));
    if (rc)
        goto fail_env;
    int dead = 0;
    mdb_reader_check(rs->env, &dead);

    MDB_txn *txn;
    what = "begin";
    rc = pl_err_from_mdb(mdb_txn_begin(rs->env, NULL, write ? 0 : MDB_RDONLY, &txn));
    if (rc)
        goto fail_env;
    what = "open database";
    for (int i = 0; i < RDB_COUNT && !rc; i++)
        rc = pl_err_from_mdb(mdb_dbi_open(txn, rdb_name[i], write ? MDB_CREATE : 0, &rs->dbi[i]));
    if (!rc) {
        MDB_val k = {6, "schema"}, v;
        uint8_t b[8];
        int g = mdb_get(txn, rs->dbi[RDB_META], &k, &v);
        if (g == MDB_NOTFOUND && write) {
            key_be64(b, REPORTS_SCHEMA);
            v = (MDB_val){8, b};
            what = "write schema";
            rc = pl_err_from_mdb(mdb_put(txn, rs->dbi[RDB_META], &k, &v, 0));
        } else if (g == 0) {
            what = "schema";
            if (v.mv_size != 8)
                rc = PL_ECORRUPT;
            else if (key_get_be64(v.mv_data) != REPORTS_SCHEMA)
                rc = PL_EVERSION;
        } else {
            what = "schema";
            rc = g == MDB_NOTFOUND ? PL_ECORRUPT : pl_err_from_mdb(g);
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        goto fail_env;
    }
    what = "commit";
    /* Committed also when read-only: the handles of databases opened in a
     * transaction that aborts are closed with it. */
    rc = pl_err_from_mdb(mdb_txn_commit(txn));
    if (rc)
        goto fail_env;
    *out = rs;
    return 0;

fail_env:
    mdb_env_close(rs->env);
fail_free:
    free(rs);
    snprintf(err, errlen, "%s: report store %s: %s", dir, what, pl_strerror(rc));
    return rc;
}

int pl_reports_pending(const pl_reports_t *rs)
{
    return rs->pending;
}

int pl_reports_sync(pl_reports_t *rs)
{
    if (!rs->pending)
        return 0;
    int rc = pl_err_from_mdb(mdb_env_sync(rs->env, 1));
    if (!rc)
        rs->pending = 0;
    return rc;
}

void pl_reports_set_extend(pl_reports_t *rs, size_t step)
{
    rs->extend = rs->write ? step : 0;
}

void pl_reports_close(pl_reports_t *rs)
{
    if (!rs)
        return;
    pl_reports_sync(rs);
    mdb_env_close(rs->env);
    free(rs);
}

/* ---- writing ------------------------------------------------------------------- */

static int put_one(pl_reports_t *rs, MDB_txn *txn, pl_report_t *r, pl_report_put_t *out)
{
    uint8_t kb[KEY_MAX], tb[KEY_MAX], vb[REC_MAX];
    size_t kn, tn, vn;
    int rc = primary_key(r, kb, &kn);
    if (rc)
        return rc;
    MDB_val k = {kn, kb}, v;
    int g = mdb_get(txn, rs->dbi[RDB_REPORTS], &k, &v);
    if (g == 0) {
        pl_report_t old;
        rc = decode(v.mv_data, v.mv_size, &old);
        if (rc)
            return rc;
        *out = same_content(&old, r) ? PL_REPORT_SAME : PL_REPORT_CONFLICT;
        *r = old;
        return 0;
    }
    if (g != MDB_NOTFOUND)
        return pl_err_from_mdb(g);
    rc = encode(r, vb, sizeof(vb), &vn);
    if (!rc)
        rc = time_key(r, tb, &tn);
    if (rc)
        return rc;
    v = (MDB_val){vn, vb};
    rc = pl_err_from_mdb(mdb_put(txn, rs->dbi[RDB_REPORTS], &k, &v, MDB_NOOVERWRITE));
    if (rc)
        return rc;
    MDB_val tk = {tn, tb}, empty = {0, ""};
    rc = pl_err_from_mdb(mdb_put(txn, rs->dbi[RDB_BY_TIME], &tk, &empty, 0));
    *out = PL_REPORT_NEW;
    return rc;
}

static int keyed_add(pl_reports_t *rs, MDB_txn *txn, const pl_keyed_count_t *c, int off)
{
    uint8_t kb[8 + PL_SCOPE_MAX + 1 + PL_ITEM_CODE_MAX + 1];
    size_t n = 8;
    key_be64(kb, KEY_TIME(floor_day(c->at, off)));
    int rc = key_str(kb, &n, sizeof(kb), c->store);
    if (!rc && strlen(c->sku) + n > sizeof(kb))
        rc = PL_ETOOBIG;
    if (rc)
        return rc;
    memcpy(kb + n, c->sku, strlen(c->sku));
    n += strlen(c->sku);
    MDB_val k = {n, kb}, v;
    uint64_t cur = 0;
    int g = mdb_get(txn, rs->dbi[RDB_KEYED], &k, &v);
    if (g == 0) {
        if (v.mv_size != 8)
            return PL_ECORRUPT;
        cur = key_get_be64(v.mv_data);
    } else if (g != MDB_NOTFOUND)
        return pl_err_from_mdb(g);
    uint8_t b[8];
    key_be64(b, cur + c->n);
    v = (MDB_val){8, b};
    return pl_err_from_mdb(mdb_put(txn, rs->dbi[RDB_KEYED], &k, &v, 0));
}

/* The extension (pl_reports_set_extend), called in a write transaction
 * before it writes: no other writer can be writing past the pages in use.
 * Best effort: a file that cannot grow (a full disk) is left as it is, the
 * extension stops for this process, and each commit grows the file by
 * what it needs, as without extension. */
static void extend_file(pl_reports_t *rs)
{
    static const char zeros[1 << 16];
    MDB_envinfo info;
    MDB_stat st;
    int fd;
    struct stat sb;
    if (mdb_env_info(rs->env, &info) || mdb_env_stat(rs->env, &st) ||
        mdb_env_get_fd(rs->env, &fd) || fstat(fd, &sb) != 0)
        return;
    off_t used = (off_t)(info.me_last_pgno + 1) * st.ms_psize, end = sb.st_size;
    off_t want = used + (off_t)rs->extend;
    if (want > (off_t)info.me_mapsize)
        want = (off_t)info.me_mapsize;
    if (end - used >= (off_t)rs->extend / 2 || want <= end)
        return;
    while (end < want) {
        size_t n = want - end < (off_t)sizeof(zeros) ? (size_t)(want - end) : sizeof(zeros);
        ssize_t w = pwrite(fd, zeros, n, end);
        if (w <= 0) {
            rs->extend = 0;
            return;
        }
        end += w;
    }
    /* The new blocks and the file's size on disk now, not at the next
     * commit's flush. */
    fdatasync(fd);
}

static int put_group(pl_reports_t *rs, pl_report_t *reports, size_t n, pl_report_put_t *out,
                     const pl_keyed_count_t *keyed, size_t nkeyed, int off)
{
    MDB_txn *txn;
    int mrc = mdb_txn_begin(rs->env, NULL, 0, &txn);
    if (mrc == MDB_MAP_RESIZED) {
        /* Another server on the same store grew the map: adopt its size. */
        mdb_env_set_mapsize(rs->env, 0);
        mrc = mdb_txn_begin(rs->env, NULL, 0, &txn);
    }
    int rc = pl_err_from_mdb(mrc);
    if (rc)
        return rc;
    if (rs->extend)
        extend_file(rs);
    size_t id = mdb_txn_id(txn);
    for (size_t i = 0; i < n && !rc; i++)
        rc = put_one(rs, txn, &reports[i], &out[i]);
    for (size_t i = 0; i < nkeyed && !rc; i++)
        rc = keyed_add(rs, txn, &keyed[i], off);
    if (rc) {
        mdb_txn_abort(txn);
        return rc;
    }
    rc = pl_err_from_mdb(mdb_txn_commit(txn));
    if (rc || !rs->covered)
        return rc;
    /* A commit that wrote flushed its pages, and with them the record of
     * the commit before; its own record waits. One that found nothing to
     * write (only retries) flushed nothing. */
    MDB_envinfo info;
    rc = pl_err_from_mdb(mdb_env_info(rs->env, &info));
    if (!rc && info.me_last_txnid == id)
        rs->pending = 1;
    else if (!rc)
        rc = pl_reports_sync(rs);
    return rc;
}

int pl_reports_put(pl_reports_t *rs, pl_report_t *reports, size_t n, pl_report_put_t *out,
                   const pl_keyed_count_t *keyed, size_t nkeyed, int utc_offset_min)
{
    if (!rs->write)
        return PL_EINVAL;
    /* A failed group leaves the reports as they came (the outcomes of a
     * SAME or CONFLICT replace them only when the group commits). */
    pl_report_t *saved = malloc(n ? n * sizeof(*saved) : 1);
    if (!saved)
        return -ENOMEM;
    if (n)
        memcpy(saved, reports, n * sizeof(*saved));
    int rc = put_group(rs, reports, n, out, keyed, nkeyed, utc_offset_min);
    for (int grow = 0; rc == PL_EMAPFULL && grow < REPORTS_MAP_GROW_MAX; grow++) {
        /* Only this thread writes and it holds no transaction now: the map
         * can grow in place. */
        MDB_envinfo info;
        if (n)
            memcpy(reports, saved, n * sizeof(*saved));
        rc = pl_err_from_mdb(mdb_env_info(rs->env, &info));
        if (!rc)
            rc = pl_err_from_mdb(mdb_env_set_mapsize(rs->env, info.me_mapsize * 2));
        if (!rc)
            rc = put_group(rs, reports, n, out, keyed, nkeyed, utc_offset_min);
    }
    if (rc && n)
        memcpy(reports, saved, n * sizeof(*saved));
    free(saved);
    return rc;
}

/* ---- reading --------------------------------------------------------------------- */

static int read_begin(pl_reports_t *rs, MDB_txn **txn)
{
    int mrc = mdb_txn_begin(rs->env, NULL, MDB_RDONLY, txn);
    if (mrc == MDB_MAP_RESIZED) {
        /* The writer grew the map since this process opened it. */
        mdb_env_set_mapsize(rs->env, 0);
        mrc = mdb_txn_begin(rs->env, NULL, MDB_RDONLY, txn);
    }
    return pl_err_from_mdb(mrc);
}

/* A read transaction and a cursor on database db (RDB_*); read_end closes
 * both. On an error nothing is left open. */
static int read_cursor(pl_reports_t *rs, int db, MDB_txn **txn, MDB_cursor **cur)
{
    int rc = read_begin(rs, txn);
    if (rc)
        return rc;
    rc = pl_err_from_mdb(mdb_cursor_open(*txn, rs->dbi[db], cur));
    if (rc)
        mdb_txn_abort(*txn);
    return rc;
}

static void read_end(MDB_txn *txn, MDB_cursor *cur)
{
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
}

/* Walks one store's index from `from` up to `to`; *next_store gets the
 * position after that store (the walk of all stores jumps there). */
static int walk_store(pl_reports_t *rs, MDB_txn *txn, MDB_cursor *cur, const char *store,
                      int64_t from, int64_t to, int (*fn)(const pl_report_t *, void *), void *arg)
{
    uint8_t kb[KEY_MAX];
    size_t sn = strlen(store) + 1;
    if (sn + 8 > sizeof(kb))
        return 0;
    memcpy(kb, store, sn);
    key_be64(kb + sn, KEY_TIME(from));
    MDB_val k = {sn + 8, kb}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *p = k.mv_data;
        if (k.mv_size < sn + 8 || memcmp(p, store, sn) != 0)
            break;
        int64_t at = (int64_t)(key_get_be64(p + sn) ^ (1ull << 63));
        if (at >= to)
            break;
        /* The rest of the index key is the primary key's lane \0 id \0. */
        uint8_t pk[KEY_MAX];
        size_t rest = k.mv_size - sn - 8;
        memcpy(pk, p, sn);
        memcpy(pk + sn, p + sn + 8, rest);
        MDB_val key = {sn + rest, pk}, val;
        int rc = pl_err_from_mdb(mdb_get(txn, rs->dbi[RDB_REPORTS], &key, &val));
        if (rc)
            return rc == PL_ENOTFOUND ? PL_ECORRUPT : rc;
        pl_report_t r;
        rc = decode(val.mv_data, val.mv_size, &r);
        if (rc)
            return rc;
        rc = fn(&r, arg);
        if (rc)
            return rc;
    }
    return mrc == 0 || mrc == MDB_NOTFOUND ? 0 : pl_err_from_mdb(mrc);
}

int pl_reports_each(pl_reports_t *rs, int64_t from, int64_t to, const char *store,
                    int (*fn)(const pl_report_t *r, void *arg), void *arg)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_cursor(rs, RDB_BY_TIME, &txn, &cur);
    if (rc)
        return rc;
    if (store) {
        rc = walk_store(rs, txn, cur, store, from, to, fn, arg);
        goto out;
    }
    /* Every store: from one store's name to the next (a store name sorts
     * before any longer one; the byte after its NUL is the time). */
    char name[PL_SCOPE_MAX + 2] = "";
    MDB_val k = {0, NULL}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0 && !rc) {
        const char *p = k.mv_data;
        size_t sn = strnlen(p, k.mv_size);
        if (sn >= k.mv_size || sn > PL_SCOPE_MAX) {
            rc = PL_ECORRUPT;
            break;
        }
        memcpy(name, p, sn);
        name[sn] = 0;
        rc = walk_store(rs, txn, cur, name, from, to, fn, arg);
        if (rc)
            break;
        /* Past every key of this store: name \0 then 0xff... sorts after
         * its index keys; name \1 is the next possible store. */
        uint8_t nk[PL_SCOPE_MAX + 2];
        memcpy(nk, name, sn);
        nk[sn] = 1;
        k = (MDB_val){sn + 1, nk};
        mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    }
    if (!rc && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = pl_err_from_mdb(mrc);
out:
    read_end(txn, cur);
    return rc;
}

int pl_reports_keyed_each(pl_reports_t *rs, int64_t day, const char *store,
                          int (*fn)(const pl_keyed_count_t *k, void *arg), void *arg)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_cursor(rs, RDB_KEYED, &txn, &cur);
    if (rc)
        return rc;
    uint8_t kb[8 + PL_SCOPE_MAX + 1];
    size_t pn = 8;
    key_be64(kb, KEY_TIME(day));
    if (store) {
        size_t sn = strlen(store) + 1;
        if (sn > PL_SCOPE_MAX + 1)
            goto out;
        memcpy(kb + 8, store, sn);
        pn += sn;
    }
    MDB_val k = {pn, kb}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const uint8_t *p = k.mv_data;
        if (k.mv_size < pn || memcmp(p, kb, pn) != 0)
            break;
        pl_keyed_count_t c = {0};
        const char *s = (const char *)p + 8;
        size_t rest = k.mv_size - 8, sn = strnlen(s, rest);
        if (sn >= rest || sn > PL_SCOPE_MAX || rest - sn - 1 > PL_ITEM_CODE_MAX || v.mv_size != 8) {
            rc = PL_ECORRUPT;
            break;
        }
        memcpy(c.store, s, sn);
        memcpy(c.sku, s + sn + 1, rest - sn - 1);
        c.at = day * 86400; /* the day's start in the store's local time, as UTC digits */
        c.n = key_get_be64(v.mv_data);
        rc = fn(&c, arg);
        if (rc)
            break;
    }
    if (!rc && mrc != 0 && mrc != MDB_NOTFOUND)
        rc = pl_err_from_mdb(mrc);
out:
    read_end(txn, cur);
    return rc;
}
