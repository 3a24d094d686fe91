/* Catalogue snapshots: every record of every database, written to a file
 * and loaded into another catalogue in one write transaction (a store that
 * re-bootstraps from its zone's snapshot). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_int.h"
#include "pricelane/err.h"
#include "pricelane/snapshot.h"
#include "rec.h"

#define SNAP_MAGIC "PLSNAP01"
#define SNAP_END 0xff
#define SNAP_KEY_MAX 511         /* LMDB's default maximum key size */
#define SNAP_VAL_MAX (16u << 20) /* far above any record the catalogue writes */
#define SNAP_DBS DB_ITEMRECS     /* the databases a snapshot carries: all but the item records */

/* Databases travel under their names (cat_db_name), so a file names what it
 * holds. */

/* Meta keys a snapshot carries; the others (identity, generation, state,
 * a follower's position) belong to the catalogue that loads it. */
static const char *const meta_kept[] = {"currency", "utc_offset", "next_job", "gen", "last_batch"};

static int meta_kept_key(const MDB_val *k)
{
    for (size_t i = 0; i < sizeof(meta_kept) / sizeof(meta_kept[0]); i++)
        if (k->mv_size == strlen(meta_kept[i]) && memcmp(k->mv_data, meta_kept[i], k->mv_size) == 0)
            return 1;
    return 0;
}

struct writer {
    FILE *f;
    uint8_t db;
    uint64_t records;
};

static void put_u32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static int write_rec(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct writer *w = arg;
    if (w->db == DB_META && !meta_kept_key(k))
        return 0;
    if (w->db == DB_CHANGES) /* the change log is the loading catalogue's own history */
        return 0;
    fputc(w->db, w->f);
    put_u32(w->f, (uint32_t)k->mv_size);
    put_u32(w->f, (uint32_t)v->mv_size);
    fwrite(k->mv_data, 1, k->mv_size, w->f);
    fwrite(v->mv_data, 1, v->mv_size, w->f);
    w->records++;
    return ferror(w->f) ? -EIO : 0;
}

/* Dupsort databases: cat_walk gives each key once; the values come from
 * cat_each_dup. */
struct dupw {
    struct writer *w;
    const MDB_val *k;
};

static int write_dup(const void *v, size_t len, void *arg)
{
    struct dupw *d = arg;
    MDB_val val = {len, (void *)v};
    return write_rec(d->k, &val, d->w);
}

struct dupwalk {
    pl_txn_t *t;
    struct writer *w;
};

static int write_dup_key(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct dupwalk *dw = arg;
    (void)v;
    struct dupw d = {dw->w, k};
    return cat_each_dup(dw->t, dw->w->db, k->mv_data, k->mv_size, write_dup, &d);
}

int pl_snapshot_write(pl_txn_t *t, int fd, uint64_t *records)
{
    int dfd = dup(fd);
    FILE *f = dfd >= 0 ? fdopen(dfd, "wb") : NULL;
    if (!f) {
        int e = -errno;
        if (dfd >= 0)
            close(dfd);
        return e;
    }
    struct writer w = {f, 0, 0};
    fwrite(SNAP_MAGIC, 1, 8, f);
    /* Item records are derived (the loading side rewrites them all) and
     * the last database: a snapshot names the others only, so a loader that
     * has no item records reads it too. */
    fputc(SNAP_DBS, f);
    for (int i = 0; i < SNAP_DBS; i++) {
        fputc((int)strlen(cat_db_name(i)), f);
        fputs(cat_db_name(i), f);
    }
    int rc = 0;
    for (int i = 0; i < SNAP_DBS && !rc; i++) {
        unsigned flags = 0;
        w.db = (uint8_t)i;
        mdb_dbi_flags(t->txn, t->cat->dbi[i], &flags);
        if (flags & MDB_DUPSORT) {
            /* Each key once (MDB_NEXT_NODUP), then its values. */
            MDB_cursor *c;
            rc = pl_err_from_mdb(mdb_cursor_open(t->txn, t->cat->dbi[i], &c));
            MDB_val k, v;
            int op = MDB_FIRST;
            while (!rc && mdb_cursor_get(c, &k, &v, op) == 0) {
                struct dupwalk dw = {t, &w};
                rc = write_dup_key(&k, &v, &dw);
                op = MDB_NEXT_NODUP;
            }
            if (c)
                mdb_cursor_close(c);
        } else {
            rc = cat_walk(t, i, NULL, 0, write_rec, &w);
        }
    }
    fputc(SNAP_END, f);
    if (fclose(f) != 0 && !rc)
        rc = -EIO;
    if (!rc && records)
        *records = w.records;
    return rc;
}

/* ---- loading ---------------------------------------------------------- */

struct reader {
    const uint8_t *p;
    size_t len, off;
};

static const uint8_t *take(struct reader *r, size_t n)
{
    if (n > r->len - r->off)
        return NULL;
    const uint8_t *b = r->p + r->off;
    r->off += n;
    return b;
}

static uint32_t get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* A price row of another store (key: sku NUL level scope NUL start). */
static int other_store_price(const uint8_t *k, size_t n, const char *store)
{
    const uint8_t *nul = memchr(k, 0, n);
    if (!nul || (size_t)(nul - k) + 2 > n || nul[1] != PL_LEVEL_STORE)
        return 0;
    const uint8_t *scope = nul + 2, *end = memchr(scope, 0, n - (size_t)(scope - k));
    if (!end)
        return 0;
    size_t sl = (size_t)(end - scope);
    return !(sl == strlen(store) && memcmp(scope, store, sl) == 0);
}

int pl_snapshot_load(pl_txn_t *t, const void *data, size_t len, const char *only_store,
                     pl_snapshot_info_t *info, char *err, size_t errlen)
{
    struct reader r = {data, len, 0};
    int map[256];
    const uint8_t *b;
    memset(info, 0, sizeof(*info));
#define BAD(...)                                                                                   \
    do {                                                                                           \
        snprintf(err, errlen, __VA_ARGS__);                                                        \
        return PL_ECORRUPT;                                                                        \
    } while (0)
    if (!t->write)
        return PL_EINVAL;
    if (!(b = take(&r, 8)) || memcmp(b, SNAP_MAGIC, 8) != 0)
        BAD("not a pricelane catalogue snapshot (no %s at its start)", SNAP_MAGIC);
    if (!(b = take(&r, 1)))
        BAD("cut short in its list of databases");
    int ndb = b[0];
    for (int i = 0; i < 256; i++)
        map[i] = -1;
    for (int i = 0; i < ndb; i++) {
        const uint8_t *nl = take(&r, 1), *name = nl ? take(&r, nl[0]) : NULL;
        if (!name)
            BAD("cut short in its list of databases");
        for (int d = 0; d < DB_COUNT; d++)
            if (strlen(cat_db_name(d)) == nl[0] && memcmp(cat_db_name(d), name, nl[0]) == 0)
                map[i] = d;
        if (map[i] < 0)
            BAD("database %d of the snapshot (\"%.*s\") is not one of this catalogue's", i,
                (int)nl[0], (const char *)name);
    }
    /* Empty every database but meta: the snapshot replaces them whole. */
    for (int d = 0; d < DB_COUNT; d++) {
        if (d == DB_META)
            continue;
        int rc = pl_err_from_mdb(mdb_drop(t->txn, t->cat->dbi[d], 0));
        if (rc)
            return txn_fail(t, rc);
    }
    /* (LMDB resets this transaction's cursors on the emptied databases.)
     * Written around the change log's hooks: the bump that records the
     * snapshot writes a wide change, and every reader starts again. */
    pl_txn_touch_all(t);
    uint64_t src_gen = 0;
    for (;;) {
        if (!(b = take(&r, 1)))
            BAD("cut short at byte %zu (no end mark)", r.off);
        if (b[0] == SNAP_END)
            break;
        if (b[0] >= ndb)
            BAD("record at byte %zu names database %d of %d", r.off - 1, b[0], ndb);
        int d = map[b[0]];
        const uint8_t *lens = take(&r, 8);
        if (!lens)
            BAD("cut short at byte %zu", r.off);
        uint32_t kl = get_u32(lens), vl = get_u32(lens + 4);
        if (kl == 0 || kl > SNAP_KEY_MAX || vl > SNAP_VAL_MAX)
            BAD("record at byte %zu: a key of %u bytes or a value of %u bytes", r.off - 9, kl, vl);
        const uint8_t *k = take(&r, kl), *v = k ? take(&r, vl) : NULL;
        if (!v)
            BAD("cut short in a record at byte %zu", r.off);
        MDB_val key = {kl, (void *)k};
        if (d == DB_META) {
            if (!meta_kept_key(&key))
                BAD("meta record \"%.*s\" does not travel in a snapshot", (int)kl, (const char *)k);
            if (kl == 3 && memcmp(k, "gen", 3) == 0) {
                rec_r rr = {v, vl, 0, 0};
                src_gen = rr_u64(&rr);
                if (rr.err)
                    BAD("meta record gen does not decode");
                continue; /* the loading catalogue's generation is set below */
            }
            if (kl == 10 && memcmp(k, "last_batch", 10) == 0)
                continue; /* the caller records its own batch */
        }
        if (d == DB_ITEMRECS)
            BAD("item record at byte %zu: a snapshot carries none", r.off - 9 - kl - vl);
        if (d == DB_CHANGES)
            BAD("change log record at byte %zu: a snapshot carries none", r.off - 9 - kl - vl);
        if (d == DB_PRICES && only_store && other_store_price(k, kl, only_store)) {
            info->skipped++;
            continue;
        }
        int rc = cat_put(t, d, k, kl, v, vl, 0);
        if (rc)
            return rc;
        info->records++;
    }
    if (r.off != r.len)
        BAD("%zu bytes after its end mark", r.len - r.off);
    /* The generation never goes back: the highest of both, and the caller's
     * pl_meta_bump then records the snapshot above it. */
    pl_meta_t m;
    int rc = pl_meta_get(t, &m);
    if (rc)
        return rc;
    info->src_gen = src_gen;
    uint64_t g = m.gen > src_gen ? m.gen : src_gen;
    uint8_t gb[8];
    rec_w w = {gb, 0, sizeof(gb), 0};
    rw_u64(&w, g);
    t->next_job_loaded = 0; /* next_job came with the snapshot */
    return cat_put(t, DB_META, "gen", 3, gb, w.len, 0);
#undef BAD
}
