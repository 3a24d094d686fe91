/* The catalogue environment, transactions, meta, items, barcodes and stores.
 * Prices and promotions are in catalog_price.c, labels, label jobs and the
 * batch ledger in catalog_label.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "catalog_int.h"
#include "pricelane/err.h"
#include "pricelane/random.h"
#include "pricelane/str.h"
#include "rec.h"

#define REC_VERSION 1
#define DEFAULT_MAP_SIZE (1ull << 30)
/* What a read-only process shared by threads maps (address space only). */
#define SHARED_READER_MAP_SIZE (256ull << 30)

static const struct {
    const char *name;
    unsigned flags;
} db_spec[DB_COUNT] = {
    [DB_META] = {"meta", 0},
    [DB_ITEMS] = {"items", 0},
    [DB_BARCODES] = {"barcodes", 0},
    [DB_ITEMCODES] = {"itemcodes", MDB_DUPSORT},
    [DB_STORES] = {"stores", 0},
    [DB_PRICES] = {"prices", 0},
    [DB_PROMOS] = {"promos", 0},
    [DB_PROMOITEMS] = {"promoitems", MDB_DUPSORT},
    [DB_LABELS] = {"labels", 0},
    [DB_LJOBS] = {"ljobs", 0},
    [DB_LJOBITEM] = {"ljobitem", MDB_DUPSORT | MDB_DUPFIXED},
    [DB_BATCHES] = {"batches", 0},
    [DB_CHANGES] = {"changes", 0},
    [DB_RECALLS] = {"recalls", 0},
    [DB_RECALLITEMS] = {"recallitems", MDB_DUPSORT},
    [DB_XMARKDOWNS] = {"xmarkdowns", 0},
    [DB_ITEMRECS] = {"itemrecs", 0},
};

/* Databases added after the first catalogues were made: a read-only open
 * of a catalogue without them reads them as empty (a catalogue without the
 * change log: its readers flush on every generation). */
#define OPTIONAL_DBS                                                                               \
    ((1u << DB_CHANGES) | (1u << DB_RECALLS) | (1u << DB_RECALLITEMS) | (1u << DB_XMARKDOWNS) |    \
     (1u << DB_ITEMRECS))

/* ---- helpers shared by the catalogue files -------------------------------- */

int cat_get(pl_txn_t *t, int db, const void *k, size_t klen, MDB_val *v)
{
    MDB_val key = {klen, (void *)k};
    return pl_err_from_mdb(mdb_get(t->txn, t->cat->dbi[db], &key, v));
}

int cat_put(pl_txn_t *t, int db, const void *k, size_t klen, const void *v, size_t vlen,
            unsigned flags)
{
    if (!t->write)
        return PL_EINVAL;
    if (t->err)
        return t->err;
    MDB_val key = {klen, (void *)k}, val = {vlen, (void *)v};
    int rc = pl_err_from_mdb(mdb_put(t->txn, t->cat->dbi[db], &key, &val, flags));
    if (!rc)
        cat_touch(t, db, k, klen, v, vlen);
    return rc == PL_EEXIST ? rc : txn_fail(t, rc);
}

int cat_del(pl_txn_t *t, int db, const void *k, size_t klen, const void *v, size_t vlen)
{
    if (!t->write)
        return PL_EINVAL;
    if (t->err)
        return t->err;
    MDB_val key = {klen, (void *)k}, val = {vlen, (void *)v};
    int rc = pl_err_from_mdb(mdb_del(t->txn, t->cat->dbi[db], &key, v ? &val : NULL));
    if (!rc)
        cat_touch(t, db, k, klen, v, v ? vlen : 0);
    return rc == PL_ENOTFOUND ? rc : txn_fail(t, rc);
}

size_t cat_key_str(uint8_t *out, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n + 1 > cap)
        return 0;
    memcpy(out, s, n + 1);
    return n + 1;
}

/* Borrows the transaction's cursor on db; *owned says whether the caller
 * got a cursor of its own (nested use) that cursor_put must close. */
static int cursor_get(pl_txn_t *t, int db, MDB_cursor **out, int *owned)
{
    uint32_t bit = 1u << db;
    int mrc = 0;
    *owned = (t->cur_busy & bit) != 0;
    if (*owned)
        return pl_err_from_mdb(mdb_cursor_open(t->txn, t->cat->dbi[db], out));
    if (!t->cur[db])
        mrc = mdb_cursor_open(t->txn, t->cat->dbi[db], &t->cur[db]);
    else if (t->cur_stale & bit)
        mrc = mdb_cursor_renew(t->txn, t->cur[db]);
    if (mrc)
        return pl_err_from_mdb(mrc);
    t->cur_stale &= ~bit;
    t->cur_busy |= bit;
    *out = t->cur[db];
    return 0;
}

static void cursor_put(pl_txn_t *t, int db, MDB_cursor *cur, int owned)
{
    if (owned)
        mdb_cursor_close(cur);
    else
        t->cur_busy &= ~(1u << db);
}

/* Cursors end before their transaction: LMDB wants a read transaction's
 * cursors closed by hand, and a write transaction's may be. */
static void cursors_close(pl_txn_t *t)
{
    for (int i = 0; i < DB_COUNT; i++)
        if (t->cur[i]) {
            mdb_cursor_close(t->cur[i]);
            t->cur[i] = NULL;
        }
}

int cat_walk(pl_txn_t *t, int db, const void *prefix, size_t plen,
             int (*fn)(const MDB_val *k, const MDB_val *v, void *arg), void *arg)
{
    MDB_cursor *cur;
    int owned;
    int rc = cursor_get(t, db, &cur, &owned);
    if (rc)
        return rc;
    MDB_val k = {plen, (void *)prefix}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
    while (mrc == MDB_SUCCESS && !rc) {
        /* A whole-database walk has no prefix: memcmp must not see NULL. */
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
            break;
        rc = fn(&k, &v, arg);
        if (!rc)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (!rc && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        rc = pl_err_from_mdb(mrc);
    cursor_put(t, db, cur, owned);
    return rc;
}

int cat_each_dup(pl_txn_t *t, int db, const void *k, size_t klen,
                 int (*fn)(const void *v, size_t len, void *arg), void *arg)
{
    MDB_cursor *cur;
    int owned;
    int rc = cursor_get(t, db, &cur, &owned);
    if (rc)
        return rc;
    MDB_val key = {klen, (void *)k}, val;
    int mrc = mdb_cursor_get(cur, &key, &val, MDB_SET_KEY);
    rc = 0;
    while (mrc == MDB_SUCCESS) {
        rc = fn(val.mv_data, val.mv_size, arg);
        if (rc)
            break;
        mrc = mdb_cursor_get(cur, &key, &val, MDB_NEXT_DUP);
    }
    if (!rc && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        rc = pl_err_from_mdb(mrc);
    cursor_put(t, db, cur, owned);
    return rc;
}

/* ---- environment ---------------------------------------------------------- */

/* LMDB sizes a new lock file with ftruncate and writes its header through
 * a shared mapping: on a full file system that first store is a SIGBUS
 * (pricelane-load init and pricelaned died of it on a full tmpfs), not an
 * error. Reserving the file's blocks first turns it into -ENOSPC. The size
 * is LMDB 0.9's for maxreaders slots: a 192-byte header and 64 bytes per
 * further reader (a larger file would only give more slots). Where the
 * file cannot be written (a read-only directory) LMDB decides, as before. */
static int reserve_lock_file(const char *dir, unsigned maxreaders)
{
    char path[4200];
    struct stat st;
    off_t want = (off_t)(maxreaders - 1) * 64 + 192;
    snprintf(path, sizeof(path), "%s/lock.mdb", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0664);
    if (fd < 0)
        return 0;
    int rc = 0;
    if (fstat(fd, &st) == 0 && (off_t)st.st_blocks * 512 < want)
        rc = posix_fallocate(fd, 0, want);
    close(fd);
    return rc == ENOSPC || rc == EDQUOT ? -rc : 0;
}

static int env_open(const char *dir, const pl_cat_opts_t *o, int creating, pl_cat_t **out)
{
    pl_cat_t *cat = calloc(1, sizeof(*cat));
    if (!cat)
        return -ENOMEM;
    snprintf(cat->path, sizeof(cat->path), "%s", dir);
    cat->read_only = o->read_only;
    cat->no_item_recs = o->no_item_recs;
    cat->shared = o->read_only && o->no_tls;
    int rc = pl_err_from_mdb(mdb_env_create(&cat->env));
    if (rc)
        goto fail_free;
    mdb_env_set_maxdbs(cat->env, DB_COUNT + 2);
    mdb_env_set_maxreaders(cat->env, o->max_readers ? o->max_readers : 510);
    /* Without an explicit size an existing environment keeps its stored map
     * size (possibly grown by a loader); a new one starts at 1 GiB. */
    if (o->map_size || creating)
        mdb_env_set_mapsize(cat->env, o->map_size ? o->map_size : DEFAULT_MAP_SIZE);
    /* Adopting a map a loader grew means unmapping and mapping again, which
     * LMDB allows only while no transaction of the process is active: never
     * true in a server whose threads each hold one. Such a process maps
     * far more than any catalogue holds (address space, not memory), so a
     * loader's growth never reaches it. */
    else if (cat->shared && sizeof(size_t) >= 8)
        mdb_env_set_mapsize(cat->env, (size_t)SHARED_READER_MAP_SIZE);
    /* Never MDB_WRITEMAP: a process opening (or growing) with a smaller map
     * would ftruncate the file under a loader that grew it, and the loader
     * would die of SIGBUS mid-batch (seen with two loaders on a tiny map). */
    /* MDB_NORDAHEAD: a page fault reads its own page only. Readahead would
     * fill the page cache in large folios, and each batch's scattered
     * 4 KiB writes into one of them would dirty and flush all of it
     * (catalog_pages.c). */
    unsigned flags = (o->read_only ? MDB_RDONLY : 0) | (o->no_tls ? MDB_NOTLS : 0) | MDB_NORDAHEAD;
    rc = reserve_lock_file(dir, o->max_readers ? o->max_readers : 510);
    if (rc)
        goto fail_env;
    /* Group-writable unless the umask says otherwise: the server and the
     * loaders of one catalogue may be different users of one group, and
     * all of them write the lock file (the packaged units run with
     * UMask=0007; the common umask 022 still gives 0644). */
    cat_cache_head(dir);
    rc = pl_err_from_mdb(mdb_env_open(cat->env, dir, flags, 0664));
    if (rc)
        goto fail_env;
    int dead = 0;
    mdb_reader_check(cat->env, &dead);

    MDB_txn *txn;
    int mrc = mdb_txn_begin(cat->env, NULL, o->read_only ? MDB_RDONLY : 0, &txn);
    for (int tries = 0; mrc == MDB_MAP_RESIZED && tries < 8; tries++) {
        /* Another process grew the map after mdb_env_open read its size
         * (a loader retrying a batch): adopt the new size. */
        mdb_env_set_mapsize(cat->env, 0);
        mrc = mdb_txn_begin(cat->env, NULL, o->read_only ? MDB_RDONLY : 0, &txn);
    }
    rc = pl_err_from_mdb(mrc);
    if (rc)
        goto fail_env;
    /* A catalogue of another schema version is refused before anything is
     * written to it (no database created): pricelane-load migrate, which
     * opens it by other means, decides what changes. */
    uint64_t schema;
    if (!creating && cat_schema_in(txn, &schema) == 0 && schema != PL_SCHEMA_VERSION)
        rc = PL_EVERSION;
    for (int i = 0; i < DB_COUNT && !rc; i++) {
        unsigned f = db_spec[i].flags | (o->read_only ? 0 : MDB_CREATE);
        rc = pl_err_from_mdb(mdb_dbi_open(txn, db_spec[i].name, f, &cat->dbi[i]));
        if (rc == PL_ENOTFOUND && o->read_only && (OPTIONAL_DBS & (1u << i))) {
            cat->missing |= 1u << i;
            rc = 0;
        }
    }
    if (rc) {
        mdb_txn_abort(txn);
        goto fail_env;
    }
    rc = pl_err_from_mdb(mdb_txn_commit(txn));
    if (rc)
        goto fail_env;
    *out = cat;
    return 0;

fail_env:
    mdb_env_close(cat->env);
fail_free:
    free(cat);
    return rc;
}

static int meta_put_u64(pl_txn_t *t, const char *k, uint64_t v)
{
    uint8_t b[8];
    rec_w w = {b, 0, sizeof(b), 0};
    rw_u64(&w, v);
    return cat_put(t, DB_META, k, strlen(k), b, w.len, 0);
}

static int meta_get_u64(pl_txn_t *t, const char *k, uint64_t *v)
{
    MDB_val val;
    int rc = cat_get(t, DB_META, k, strlen(k), &val);
    if (rc)
        return rc;
    rec_r r = {val.mv_data, val.mv_size, 0, 0};
    *v = rr_u64(&r);
    return r.err ? PL_ECORRUPT : 0;
}

static int meta_put_str(pl_txn_t *t, const char *k, const char *s)
{
    return cat_put(t, DB_META, k, strlen(k), s, strlen(s), 0);
}

int cat_meta_put_u64(pl_txn_t *t, const char *k, uint64_t v)
{
    return meta_put_u64(t, k, v);
}

int cat_meta_get_u64(pl_txn_t *t, const char *k, uint64_t *v)
{
    return meta_get_u64(t, k, v);
}

const char *cat_db_name(int db)
{
    return db_spec[db].name;
}

unsigned cat_db_flags(int db)
{
    return db_spec[db].flags;
}

/* The schema version in meta, read through an LMDB transaction of any
 * kind: 0 and *v, PL_ENOTFOUND (no meta database or no version), or
 * PL_ECORRUPT. */
int cat_schema_in(MDB_txn *txn, uint64_t *v)
{
    MDB_dbi meta;
    MDB_val key = {6, (void *)"schema"}, val;
    int rc = pl_err_from_mdb(mdb_dbi_open(txn, db_spec[DB_META].name, 0, &meta));
    if (!rc)
        rc = pl_err_from_mdb(mdb_get(txn, meta, &key, &val));
    if (rc)
        return rc;
    rec_r r = {val.mv_data, val.mv_size, 0, 0};
    *v = rr_u64(&r);
    return r.err ? PL_ECORRUPT : 0;
}

static int meta_get_str(pl_txn_t *t, const char *k, char *out, size_t cap)
{
    MDB_val val;
    int rc = cat_get(t, DB_META, k, strlen(k), &val);
    if (rc)
        return rc;
    if (val.mv_size >= cap)
        return PL_ECORRUPT;
    memcpy(out, val.mv_data, val.mv_size);
    out[val.mv_size] = 0;
    return 0;
}

int pl_cat_init(const char *dir, const char *currency, int utc_offset_min)
{
    return pl_cat_init_sized(dir, currency, utc_offset_min, 0);
}

int pl_cat_init_sized(const char *dir, const char *currency, int utc_offset_min, size_t map_size)
{
    char path[4200];
    struct stat st;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return -errno;
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    if (stat(path, &st) == 0)
        return PL_EEXIST;
    if (!currency || strlen(currency) != 3 || utc_offset_min < -14 * 60 || utc_offset_min > 14 * 60)
        return PL_EINVAL;

    pl_cat_opts_t o = {0};
    o.map_size = map_size;
    pl_cat_t *cat;
    int rc = env_open(dir, &o, 1, &cat);
    if (rc)
        return rc;
    uint64_t id = pl_random_u64();
    pl_txn_t *t = NULL;
    rc = pl_txn_begin(cat, 1, &t);
    if (rc)
        goto out;
    meta_put_u64(t, "schema", PL_SCHEMA_VERSION);
    meta_put_u64(t, "catalog_id", id);
    meta_put_u64(t, "gen", 0);
    meta_put_u64(t, "state", pl_random_u64());
    meta_put_u64(t, "next_job", 1);
    meta_put_u64(t, "utc_offset", (uint64_t)(int64_t)utc_offset_min);
    meta_put_str(t, "currency", currency);
    meta_put_str(t, "last_batch", "");
    rc = pl_txn_commit(t);
out:
    pl_cat_close(cat);
    return rc;
}

int pl_cat_open(const char *dir, const pl_cat_opts_t *opts, pl_cat_t **out)
{
    pl_cat_opts_t o = opts ? *opts : (pl_cat_opts_t){0};
    char path[4200];
    struct stat st;
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    if (stat(path, &st) != 0)
        return errno == ENOENT ? PL_ENOTFOUND : -errno;

    pl_cat_t *cat;
    int rc = env_open(dir, &o, 0, &cat);
    if (rc)
        return rc;
    pl_txn_t *t = NULL;
    rc = pl_txn_begin(cat, 0, &t);
    if (rc)
        goto fail;
    uint64_t schema = 0;
    rc = meta_get_u64(t, "schema", &schema);
    if (!rc)
        rc = meta_get_u64(t, "catalog_id", &cat->id);
    pl_txn_abort(t);
    if (rc == PL_ENOTFOUND)
        rc = PL_ENOTFOUND;
    else if (!rc && schema != PL_SCHEMA_VERSION)
        rc = PL_EVERSION;
    if (rc)
        goto fail;
    *out = cat;
    return 0;
fail:
    pl_cat_close(cat);
    return rc;
}

void pl_cat_close(pl_cat_t *cat)
{
    if (!cat)
        return;
    pl_map_bg_stop(&cat->bg); /* pl_cat_map_ahead_start's, before the map goes */
    mdb_env_close(cat->env);
    free(cat);
}

int pl_cat_grow(pl_cat_t *cat, size_t min_size)
{
    MDB_envinfo info;
    int rc = pl_err_from_mdb(mdb_env_info(cat->env, &info));
    if (rc)
        return rc;
    size_t size = info.me_mapsize * 2;
    if (size < min_size)
        size = min_size;
    rc = pl_err_from_mdb(mdb_env_set_mapsize(cat->env, size));
    if (!rc)
        cat_map_ahead_again(cat);
    return rc;
}

uint64_t pl_cat_id(const pl_cat_t *cat)
{
    return cat->id;
}

const char *pl_cat_path(const pl_cat_t *cat)
{
    return cat->path;
}

int pl_cat_sync(pl_cat_t *cat)
{
    return pl_err_from_mdb(mdb_env_sync(cat->env, 1));
}

/* ---- transactions --------------------------------------------------------- */

int pl_txn_begin(pl_cat_t *cat, int write, pl_txn_t **out)
{
    pl_txn_t *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->cat = cat;
    t->write = write;
    unsigned flags = write ? 0 : MDB_RDONLY;
    int mrc = mdb_txn_begin(cat->env, NULL, flags, &t->txn);
    if (mrc == MDB_MAP_RESIZED && !cat->shared) {
        /* Another process grew the map: adopt its size and retry. */
        if (mdb_env_set_mapsize(cat->env, 0) == 0)
            cat_map_ahead_again(cat);
        mrc = mdb_txn_begin(cat->env, NULL, flags, &t->txn);
    }
    if (mrc) {
        free(t);
        return pl_err_from_mdb(mrc);
    }
    *out = t;
    return 0;
}

int pl_txn_commit(pl_txn_t *t)
{
    int rc, wrote = 0;
    pl_cat_t *cat = t->cat;
    if (!t->err && t->next_job_loaded)
        meta_put_u64(t, "next_job", t->next_job);
    if (!t->err && t->write)
        cat_rec_commit(t);
    if (!t->err)
        cat_changes_commit(t);
    cat_changes_free(t);
    cat_rec_free(t);
    cursors_close(t);
    if (t->err) {
        mdb_txn_abort(t->txn);
        rc = t->err;
    } else {
        rc = pl_err_from_mdb(mdb_txn_commit(t->txn));
        wrote = !rc && t->write;
    }
    free(t);
    if (wrote && cat->held_size)
        cat_recache_grown(cat);
    return rc;
}

void pl_txn_abort(pl_txn_t *t)
{
    if (!t)
        return;
    cat_changes_free(t);
    cat_rec_free(t);
    cursors_close(t);
    mdb_txn_abort(t->txn);
    free(t);
}

void pl_txn_reset(pl_txn_t *t)
{
    for (int i = 0; i < DB_COUNT; i++)
        if (t->cur[i])
            t->cur_stale |= 1u << i;
    t->rec_use = 0; /* the next snapshot may have other records */
    mdb_txn_reset(t->txn);
}

int pl_txn_renew(pl_txn_t *t)
{
    t->rec_use = 0;
    int mrc = mdb_txn_renew(t->txn);
    if (mrc == MDB_MAP_RESIZED && !t->cat->shared) {
        mdb_env_set_mapsize(t->cat->env, 0);
        mrc = mdb_txn_renew(t->txn);
    }
    return pl_err_from_mdb(mrc);
}

uint64_t pl_txn_id(const pl_txn_t *t)
{
    return (uint64_t)mdb_txn_id(t->txn);
}

/* ---- meta ----------------------------------------------------------------- */

int pl_meta_get(pl_txn_t *t, pl_meta_t *m)
{
    uint64_t schema = 0, off = 0;
    memset(m, 0, sizeof(*m));
    int rc = meta_get_u64(t, "schema", &schema);
    if (!rc)
        rc = meta_get_u64(t, "catalog_id", &m->catalog_id);
    if (!rc)
        rc = meta_get_u64(t, "gen", &m->gen);
    if (!rc) { /* a catalogue made before states were kept has none until its next batch */
        rc = meta_get_u64(t, "state", &m->state);
        if (rc == PL_ENOTFOUND)
            m->state = 0, rc = 0;
    }
    if (!rc)
        rc = meta_get_u64(t, "utc_offset", &off);
    if (!rc)
        rc = meta_get_str(t, "currency", m->currency, sizeof(m->currency));
    if (!rc)
        rc = meta_get_str(t, "last_batch", m->last_batch, sizeof(m->last_batch));
    m->schema = (uint32_t)schema;
    m->utc_offset_min = (int32_t)(int64_t)off;
    return rc;
}

int pl_meta_bump(pl_txn_t *t, const char *batch_id, uint64_t *gen)
{
    uint64_t g = 0, prev = 0, state = pl_random_u64();
    int rc = meta_get_u64(t, "gen", &g);
    if (!rc && meta_get_u64(t, "state", &prev) == PL_ENOTFOUND)
        prev = 0;
    if (!rc)
        rc = meta_put_u64(t, "gen", g + 1);
    if (!rc)
        rc = meta_put_u64(t, "state", state);
    if (!rc) {
        /* A second bump in one transaction: the generation in between has
         * no record of its own, which readers take as a gap (they flush). */
        t->bump_prev = t->bumped ? 0 : prev;
        if (!t->bumped)
            t->state_before = prev;
        t->bump_gen = g + 1;
        t->bump_state = state;
        t->bumped = 1;
    }
    if (!rc)
        rc = meta_put_str(t, "last_batch", batch_id ? batch_id : "");
    if (!rc && gen)
        *gen = g + 1;
    return txn_fail(t, rc);
}

#define FOLLOW_V1 1

int pl_follow_get(pl_txn_t *t, pl_follow_t *f)
{
    MDB_val val;
    memset(f, 0, sizeof(*f));
    int rc = cat_get(t, DB_META, "follow", 6, &val);
    if (rc)
        return rc;
    rec_r r = {val.mv_data, val.mv_size, 0, 0};
    if (rr_u8(&r) != FOLLOW_V1)
        return PL_ECORRUPT;
    rr_str(&r, f->stream, sizeof(f->stream));
    f->created = rr_i64(&r);
    f->seq = rr_u64(&r);
    f->head = rr_u64(&r);
    f->stopped = rr_u64(&r);
    rr_str(&r, f->batch, sizeof(f->batch));
    rr_str(&r, f->error, sizeof(f->error));
    return r.err || r.off != r.len ? PL_ECORRUPT : 0;
}

int pl_follow_put(pl_txn_t *t, const pl_follow_t *f)
{
    uint8_t b[1 + 2 + PL_FOLLOW_STREAM_MAX + 4 * 8 + 2 + PL_BATCH_ID_MAX + 2 + PL_FOLLOW_ERROR_MAX];
    if (strnlen(f->stream, sizeof(f->stream)) > PL_FOLLOW_STREAM_MAX ||
        strnlen(f->batch, sizeof(f->batch)) > PL_BATCH_ID_MAX ||
        strnlen(f->error, sizeof(f->error)) > PL_FOLLOW_ERROR_MAX)
        return PL_EINVAL;
    rec_w w = {b, 0, sizeof(b), 0};
    rw_u8(&w, FOLLOW_V1);
    rw_str(&w, f->stream);
    rw_i64(&w, f->created);
    rw_u64(&w, f->seq);
    rw_u64(&w, f->head);
    rw_u64(&w, f->stopped);
    rw_str(&w, f->batch);
    rw_str(&w, f->error);
    if (w.err)
        return PL_EINVAL;
    return cat_put(t, DB_META, "follow", 6, b, w.len, 0);
}

/* Next label job id (stored in meta so ids are never reused). The counter
 * is read once per transaction and written back at commit. */
int cat_next_job_id(pl_txn_t *t, uint64_t *id)
{
    if (!t->next_job_loaded) {
        int rc = meta_get_u64(t, "next_job", &t->next_job);
        if (rc)
            return txn_fail(t, rc);
        t->next_job_loaded = 1;
    }
    *id = t->next_job++;
    return 0;
}

/* ---- items ---------------------------------------------------------------- */

int pl_item_count(pl_txn_t *t, uint64_t *n)
{
    MDB_stat st;
    int rc = pl_err_from_mdb(mdb_stat(t->txn, t->cat->dbi[DB_ITEMS], &st));
    *n = rc ? 0 : st.ms_entries;
    return rc;
}

int pl_item_get(pl_txn_t *t, const char *sku, pl_item_t *it)
{
    MDB_val v;
    int rc = cat_get(t, DB_ITEMS, sku, strlen(sku), &v);
    if (rc)
        return rc;
    memset(it, 0, sizeof(*it));
    pl_str_copy(it->sku, sizeof(it->sku), sku);
    rec_r r = {v.mv_data, v.mv_size, 0, 0};
    if (rr_u8(&r) != REC_VERSION)
        return PL_EVERSION;
    cat_item_body_read(&r, it);
    return r.err ? PL_ECORRUPT : 0;
}

void cat_item_body_write(rec_w *w, const pl_item_t *it)
{
    rw_str(w, it->name);
    rw_str(w, it->unit);
    rw_str(w, it->dept);
    rw_u32(w, it->pack_qty);
    rw_u32(w, it->flags);
    rw_u32(w, it->content);
    rw_str(w, it->content_unit);
    rw_str(w, it->plu);
}

void cat_item_body_read(rec_r *r, pl_item_t *it)
{
    rr_str(r, it->name, sizeof(it->name));
    rr_str(r, it->unit, sizeof(it->unit));
    rr_str(r, it->dept, sizeof(it->dept));
    it->pack_qty = rr_u32(r);
    it->flags = rr_u32(r);
    it->content = rr_u32(r);
    rr_str(r, it->content_unit, sizeof(it->content_unit));
    rr_str(r, it->plu, sizeof(it->plu));
}

int pl_item_put(pl_txn_t *t, const pl_item_t *it)
{
    uint8_t b[512];
    rec_w w = {b, 0, sizeof(b), 0};
    rw_u8(&w, REC_VERSION);
    cat_item_body_write(&w, it);
    if (w.err || !it->sku[0])
        return PL_EINVAL;
    return cat_put(t, DB_ITEMS, it->sku, strlen(it->sku), b, w.len, 0);
}

/* ---- barcodes ------------------------------------------------------------- */

int pl_cat_barcode_get(pl_txn_t *t, const char *key, char *sku)
{
    MDB_val v;
    int rc = cat_get(t, DB_BARCODES, key, strlen(key), &v);
    if (rc)
        return rc;
    if (v.mv_size > PL_ITEM_CODE_MAX)
        return PL_ECORRUPT;
    memcpy(sku, v.mv_data, v.mv_size);
    sku[v.mv_size] = 0;
    return 0;
}

int pl_cat_barcode_add(pl_txn_t *t, const char *key, const char *sku, char *other)
{
    if (!t->write)
        return PL_EINVAL;
    if (t->err)
        return t->err;
    /* One descent: insert unless present, and learn the owner if it is. */
    MDB_val k = {strlen(key), (void *)key}, v = {strlen(sku), (void *)sku};
    int mrc = mdb_put(t->txn, t->cat->dbi[DB_BARCODES], &k, &v, MDB_NOOVERWRITE);
    if (mrc == MDB_KEYEXIST) {
        if (v.mv_size == strlen(sku) && memcmp(v.mv_data, sku, v.mv_size) == 0)
            return 0;
        if (v.mv_size > PL_ITEM_CODE_MAX)
            return PL_ECORRUPT;
        if (other) {
            memcpy(other, v.mv_data, v.mv_size);
            other[v.mv_size] = 0;
        }
        return PL_ECONFLICT;
    }
    int rc = txn_fail(t, pl_err_from_mdb(mrc));
    if (!rc)
        cat_touch(t, DB_BARCODES, key, strlen(key), sku, strlen(sku));
    if (!rc)
        rc = cat_put(t, DB_ITEMCODES, sku, strlen(sku), key, strlen(key), 0);
    return rc;
}

int pl_cat_barcode_del(pl_txn_t *t, const char *key, const char *sku)
{
    char owner[PL_ITEM_CODE_MAX + 1];
    int rc = pl_cat_barcode_get(t, key, owner);
    if (rc)
        return rc;
    if (strcmp(owner, sku) != 0)
        return PL_ECONFLICT;
    rc = cat_del(t, DB_BARCODES, key, strlen(key), NULL, 0);
    if (!rc)
        rc = cat_del(t, DB_ITEMCODES, sku, strlen(sku), key, strlen(key));
    return rc == PL_ENOTFOUND ? txn_fail(t, PL_ECORRUPT) : rc;
}

struct bc_walk {
    int (*fn)(const char *key, void *arg);
    void *arg;
};

static int bc_walk_one(const void *v, size_t len, void *arg)
{
    struct bc_walk *w = arg;
    char key[PL_BARCODE_KEY_MAX + 1];
    if (len > PL_BARCODE_KEY_MAX)
        return PL_ECORRUPT;
    memcpy(key, v, len);
    key[len] = 0;
    return w->fn(key, w->arg);
}

int pl_cat_barcode_each(pl_txn_t *t, const char *sku, int (*fn)(const char *key, void *arg),
                        void *arg)
{
    struct bc_walk w = {fn, arg};
    return cat_each_dup(t, DB_ITEMCODES, sku, strlen(sku), bc_walk_one, &w);
}

/* ---- stores --------------------------------------------------------------- */

static int store_decode(const MDB_val *k, const MDB_val *v, pl_store_t *st)
{
    memset(st, 0, sizeof(*st));
    if (k->mv_size > PL_SCOPE_MAX)
        return PL_ECORRUPT;
    memcpy(st->id, k->mv_data, k->mv_size);
    rec_r r = {v->mv_data, v->mv_size, 0, 0};
    if (rr_u8(&r) != REC_VERSION)
        return PL_EVERSION;
    rr_str(&r, st->zone, sizeof(st->zone));
    rr_str(&r, st->name, sizeof(st->name));
    rr_str(&r, st->formats, sizeof(st->formats));
    return r.err ? PL_ECORRUPT : 0;
}

int pl_store_get(pl_txn_t *t, const char *id, pl_store_t *st)
{
    MDB_val k = {strlen(id), (void *)id}, v;
    int rc = cat_get(t, DB_STORES, id, strlen(id), &v);
    return rc ? rc : store_decode(&k, &v, st);
}

int pl_store_put(pl_txn_t *t, const pl_store_t *st)
{
    uint8_t b[512];
    rec_w w = {b, 0, sizeof(b), 0};
    rw_u8(&w, REC_VERSION);
    rw_str(&w, st->zone);
    rw_str(&w, st->name);
    rw_str(&w, st->formats);
    if (w.err || !st->id[0])
        return PL_EINVAL;
    return cat_put(t, DB_STORES, st->id, strlen(st->id), b, w.len, 0);
}

struct store_walk {
    int (*fn)(const pl_store_t *st, void *arg);
    void *arg;
};

static int store_walk_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    struct store_walk *w = arg;
    pl_store_t st;
    int rc = store_decode(k, v, &st);
    return rc ? rc : w->fn(&st, w->arg);
}

int pl_store_each(pl_txn_t *t, int (*fn)(const pl_store_t *st, void *arg), void *arg)
{
    struct store_walk w = {fn, arg};
    return cat_walk(t, DB_STORES, NULL, 0, store_walk_one, &w);
}
