/* Backup, restore and schema migration of a whole catalogue
 * (pricelane/catalog_admin.h). */
#include "pricelane/catalog_admin.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "catalog_int.h"
#include "rec.h"
#include "pricelane/err.h"

/* ---- backup ---------------------------------------------------------------- */

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) ? -errno : 0;
    close(fd);
    return rc;
}

/* The parent directory of path (".": none named), for the rename's fsync. */
static void parent_of(const char *path, char *out, size_t cap)
{
    snprintf(out, cap, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, cap, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

static int backup_env(MDB_env *env, const char *out_dir)
{
    char part[4200], file[4300], parent[4200];
    struct stat st;
    if (snprintf(part, sizeof(part), "%s.part", out_dir) >= (int)sizeof(part))
        return -ENAMETOOLONG;
    if (stat(out_dir, &st) == 0 || stat(part, &st) == 0)
        return PL_EEXIST;
    if (mkdir(part, 0750) != 0)
        return errno == EEXIST ? PL_EEXIST : -errno;
    snprintf(file, sizeof(file), "%s/data.mdb", part);
    /* One read transaction inside LMDB: consistent with any writer, and
     * the compacting walk writes only the pages in use, renumbered. */
    int rc = pl_err_from_mdb(mdb_env_copy2(env, part, MDB_CP_COMPACT));
    if (!rc)
        rc = fsync_path(file, O_RDONLY);
    if (!rc && rename(part, out_dir) != 0)
        rc = -errno;
    if (!rc) {
        parent_of(out_dir, parent, sizeof(parent));
        rc = fsync_path(parent, O_RDONLY | O_DIRECTORY);
        return rc;
    }
    unlink(file);
    rmdir(part);
    return rc;
}

int pl_cat_backup(pl_cat_t *cat, const char *out_dir)
{
    return backup_env(cat->env, out_dir);
}

/* ---- a backup or older catalogue, opened by LMDB alone ---------------------- */

enum { RAW_BACKUP, RAW_READ, RAW_WRITE };

/* Opens the environment in dir with room for every database of the layout:
 * a backup nobody writes (read-only, no lock file), a catalogue others may
 * be writing (read-only, with their lock), or writable. */
static int raw_open(const char *dir, int mode, MDB_env **out)
{
    char file[4200];
    struct stat st;
    snprintf(file, sizeof(file), "%s/data.mdb", dir);
    if (stat(file, &st) != 0)
        return errno == ENOENT ? PL_ENOTFOUND : -errno;
    MDB_env *env;
    int rc = pl_err_from_mdb(mdb_env_create(&env));
    if (rc)
        return rc;
    mdb_env_set_maxdbs(env, DB_COUNT + 2);
    /* MDB_NORDAHEAD as in pl_cat_open: a fault reads its own page, never
     * a large folio around it (catalog_pages.c) */
    unsigned flags = MDB_NORDAHEAD | (mode == RAW_WRITE  ? 0
                                      : mode == RAW_READ ? MDB_RDONLY
                                                         : MDB_RDONLY | MDB_NOLOCK);
    rc = pl_err_from_mdb(mdb_env_open(env, dir, flags, 0664));
    if (rc) {
        mdb_env_close(env);
        return rc;
    }
    *out = env;
    return 0;
}

int pl_cat_schema(const char *dir, uint32_t *version)
{
    MDB_env *env;
    MDB_txn *txn;
    uint64_t v = 0;
    int rc = raw_open(dir, RAW_READ, &env);
    if (rc)
        return rc;
    rc = pl_err_from_mdb(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
    if (!rc) {
        rc = cat_schema_in(txn, &v);
        mdb_txn_abort(txn);
    }
    mdb_env_close(env);
    if (!rc)
        *version = (uint32_t)v;
    return rc;
}

int pl_cat_backup_dir(const char *dir, const char *out_dir)
{
    MDB_env *env;
    int rc = raw_open(dir, RAW_READ, &env);
    if (rc)
        return rc;
    rc = backup_env(env, out_dir);
    mdb_env_close(env);
    return rc;
}

/* ---- restore --------------------------------------------------------------- */

/* Empties database db of the catalogue and fills it with the backup's
 * records, in key order (MDB_APPEND: the copy builds packed pages). A
 * database the backup lacks stays empty. */
static int copy_db(pl_txn_t *t, int db, MDB_txn *src, uint64_t *records)
{
    MDB_dbi from;
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = pl_err_from_mdb(mdb_drop(t->txn, t->cat->dbi[db], 0));
    if (rc)
        return rc;
    rc = pl_err_from_mdb(mdb_dbi_open(src, cat_db_name(db), 0, &from));
    if (rc == PL_ENOTFOUND)
        return 0;
    if (!rc)
        rc = pl_err_from_mdb(mdb_cursor_open(src, from, &cur));
    if (rc)
        return rc;
    unsigned append = (cat_db_flags(db) & MDB_DUPSORT) ? MDB_APPENDDUP : MDB_APPEND;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    while (mrc == 0 && !rc) {
        rc = pl_err_from_mdb(mdb_put(t->txn, t->cat->dbi[db], &k, &v, append));
        (*records)++;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND)
        rc = pl_err_from_mdb(mrc);
    return rc;
}

/* One attempt at the restore's transaction (the map may be too small). */
static int restore_once(pl_cat_t *cat, MDB_txn *src, const pl_meta_t *bm, int64_t now,
                        pl_restore_info_t *info)
{
    pl_txn_t *t;
    pl_meta_t live;
    uint64_t records = 0;
    uint64_t live_job = 0, backup_job = 0;
    int rc = pl_txn_begin(cat, 1, &t);
    if (rc)
        return rc;
    rc = pl_meta_get(t, &live);
    if (!rc)
        rc = cat_meta_get_u64(t, "next_job", &live_job);
    for (int db = 0; db < DB_COUNT && !rc; db++)
        if (db != DB_ITEMRECS) /* rewritten whole at commit (pl_txn_touch_all) */
            rc = txn_fail(t, copy_db(t, db, src, &records));
    /* Written around the change log's hooks: the change record says
     * "anything may have changed", and every reader starts again. */
    pl_txn_touch_all(t);
    /* Label job ids, like generations, are never reused: exported ids of
     * the replaced history may still be on a printer's list. */
    if (!rc)
        rc = cat_meta_get_u64(t, "next_job", &backup_job);
    if (!rc && live_job > backup_job)
        rc = cat_meta_put_u64(t, "next_job", live_job);
    /* Above both histories: a generation the replaced catalogue or the
     * backup ever had is not reused, and pl_meta_bump draws a new state. */
    uint64_t base = live.gen > bm->gen ? live.gen : bm->gen;
    if (!rc)
        rc = cat_meta_put_u64(t, "gen", base);
    snprintf(info->ledger_id, sizeof(info->ledger_id), "restore@%" PRId64, now);
    if (!rc)
        rc = pl_meta_bump(t, info->ledger_id, &info->gen);
    pl_batch_rec_t b = {.applied_at = now, .rows = records, .gen = info->gen};
    snprintf(b.id, sizeof(b.id), "%s", info->ledger_id);
    snprintf(b.digest, sizeof(b.digest), "%016" PRIx64 "%016" PRIx64, bm->catalog_id, bm->state);
    if (!rc)
        rc = pl_batch_put(t, &b);
    if (rc) {
        pl_txn_abort(t);
        return rc;
    }
    info->replaced_gen = live.gen;
    return pl_txn_commit(t);
}

/* The backup's meta, read with a transaction on a handle that is not a
 * pl_cat_t: the same decoding, through a borrowed pl_txn_t. */
static int backup_meta(MDB_env *env, MDB_txn *src, pl_meta_t *m)
{
    uint64_t schema;
    int rc = cat_schema_in(src, &schema);
    if (rc)
        return rc;
    if (schema != PL_SCHEMA_VERSION)
        return PL_EVERSION;
    pl_cat_t c = {.env = env};
    pl_txn_t t = {.cat = &c, .txn = src};
    rc = pl_err_from_mdb(mdb_dbi_open(src, cat_db_name(DB_META), 0, &c.dbi[DB_META]));
    if (!rc)
        rc = pl_meta_get(&t, m);
    return rc;
}

int pl_cat_restore(pl_cat_t *cat, const char *backup_dir, int64_t now, pl_restore_info_t *info)
{
    MDB_env *env;
    MDB_txn *src;
    pl_meta_t bm;
    memset(info, 0, sizeof(*info));
    if (cat->read_only)
        return -EACCES;
    /* The backup is read without a lock: it must not be the catalogue
     * itself, whose pages the restore's own writes would reuse under the
     * read. */
    char a[4200], b[4200];
    struct stat sa, sb;
    snprintf(a, sizeof(a), "%s/data.mdb", cat->path);
    snprintf(b, sizeof(b), "%s/data.mdb", backup_dir);
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
        return PL_EINVAL;
    int rc = raw_open(backup_dir, RAW_BACKUP, &env);
    if (rc)
        return rc;
    rc = pl_err_from_mdb(mdb_txn_begin(env, NULL, MDB_RDONLY, &src));
    if (rc)
        goto out_env;
    rc = backup_meta(env, src, &bm);
    for (int tries = 0; !rc; tries++) {
        rc = restore_once(cat, src, &bm, now, info);
        if ((rc != PL_EMAPFULL && rc != PL_ETXNFULL) || tries == 15)
            break;
        MDB_envinfo ei;
        mdb_env_info(cat->env, &ei);
        rc = pl_cat_grow(cat, ei.me_mapsize * 2);
    }
    if (!rc) {
        info->backup_gen = bm.gen;
        snprintf(info->backup_last_batch, sizeof(info->backup_last_batch), "%s", bm.last_batch);
    }
    mdb_txn_abort(src);
out_env:
    mdb_env_close(env);
    return rc;
}

/* ---- migration -------------------------------------------------------------- */

/* 1 → 2: the databases added since version 1, whichever they are: every
 * database of the current layout is opened with MDB_CREATE. */
static int step_create_missing(MDB_txn *txn)
{
    MDB_dbi dbi;
    int rc = 0;
    for (int db = 0; db < DB_COUNT && !rc; db++)
        rc = pl_err_from_mdb(
            mdb_dbi_open(txn, cat_db_name(db), cat_db_flags(db) | MDB_CREATE, &dbi));
    return rc;
}

/* steps[v] takes a catalogue from version v to v + 1. */
static int (*const steps[PL_SCHEMA_VERSION])(MDB_txn *txn) = {
    [1] = step_create_missing,
};

int pl_cat_migrate(const char *dir, uint32_t *from, uint32_t *to)
{
    MDB_env *env;
    MDB_txn *txn;
    uint64_t v = 0;
    int rc = raw_open(dir, RAW_WRITE, &env);
    if (rc)
        return rc;
    rc = pl_err_from_mdb(mdb_txn_begin(env, NULL, 0, &txn));
    if (rc)
        goto out_env;
    rc = cat_schema_in(txn, &v);
    if (!rc && (v == 0 || v > PL_SCHEMA_VERSION))
        rc = PL_EVERSION;
    for (uint64_t s = v; !rc && s < PL_SCHEMA_VERSION; s++)
        rc = steps[s] ? steps[s](txn) : PL_EVERSION;
    if (!rc && v < PL_SCHEMA_VERSION) {
        /* meta exists (the version was read from it); the layout's encoding
         * of a u64: 8 bytes, little-endian. */
        MDB_dbi meta;
        uint8_t b[8];
        for (int i = 0; i < 8; i++)
            b[i] = (uint8_t)((uint64_t)PL_SCHEMA_VERSION >> (8 * i));
        MDB_val key = {6, (void *)"schema"}, val = {8, b};
        rc = pl_err_from_mdb(mdb_dbi_open(txn, cat_db_name(DB_META), 0, &meta));
        if (!rc)
            rc = pl_err_from_mdb(mdb_put(txn, meta, &key, &val, 0));
    }
    if (!rc && v < PL_SCHEMA_VERSION)
        rc = pl_err_from_mdb(mdb_txn_commit(txn));
    else
        mdb_txn_abort(txn);
    if (!rc) {
        *from = (uint32_t)v;
        *to = PL_SCHEMA_VERSION;
    }
out_env:
    mdb_env_close(env);
    return rc;
}

/* ---- capacity ---------------------------------------------------------------- */

static int cmp_pgno(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The free list (LMDB's database 0): per freeing transaction, an array of
 * page numbers whose first element is their count. */
static int free_pages(MDB_txn *txn, uint64_t *n, uint64_t *run)
{
    MDB_cursor *cur;
    MDB_val k, v;
    size_t *all = NULL, len = 0, cap = 0;
    int rc = pl_err_from_mdb(mdb_cursor_open(txn, 0, &cur));
    if (rc)
        return rc;
    int mrc;
    for (mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); mrc == 0 && !rc;
         mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        const size_t *idl = v.mv_data;
        size_t cnt = v.mv_size >= sizeof(size_t) ? idl[0] : 0;
        if (cnt > v.mv_size / sizeof(size_t) - 1)
            cnt = v.mv_size / sizeof(size_t) - 1; /* never past the record */
        if (len + cnt > cap) {
            size_t nc = (len + cnt) * 2 + 64;
            size_t *p = realloc(all, nc * sizeof(*all));
            if (!p) {
                rc = -ENOMEM;
                break;
            }
            all = p, cap = nc;
        }
        memcpy(all + len, idl + 1, cnt * sizeof(size_t));
        len += cnt;
    }
    mdb_cursor_close(cur);
    if (!rc && mrc != MDB_NOTFOUND && mrc != 0)
        rc = pl_err_from_mdb(mrc);
    if (!rc) {
        qsort(all, len, sizeof(*all), cmp_pgno);
        uint64_t best = len ? 1 : 0, cur_run = 1;
        for (size_t i = 1; i < len; i++) {
            cur_run = all[i] == all[i - 1] + 1 ? cur_run + 1 : 1;
            if (cur_run > best)
                best = cur_run;
        }
        *n = len;
        *run = best;
    }
    free(all);
    return rc;
}

/* mdb_reader_list's lines: a header, then one per reader slot in use
 * ("pid thread txnid", numbers), or "(no active readers)". */
static int count_reader(const char *msg, void *arg)
{
    while (*msg == ' ')
        msg++;
    if (*msg >= '0' && *msg <= '9')
        (*(unsigned *)arg)++;
    return 0;
}

int pl_cat_capacity(pl_txn_t *t, pl_cat_capacity_t *c)
{
    MDB_envinfo ei;
    MDB_stat st;
    struct stat fst;
    struct statvfs vfs;
    char file[4200];
    memset(c, 0, sizeof(*c));
    int rc = pl_err_from_mdb(mdb_env_info(t->cat->env, &ei));
    if (!rc)
        rc = pl_err_from_mdb(mdb_env_stat(t->cat->env, &st));
    if (!rc)
        rc = free_pages(t->txn, &c->free_pages, &c->free_run_pages);
    if (rc)
        return rc;
    snprintf(file, sizeof(file), "%s/data.mdb", t->cat->path);
    if (stat(file, &fst) != 0 || statvfs(t->cat->path, &vfs) != 0)
        return -errno;
    c->page_size = st.ms_psize;
    c->map_bytes = ei.me_mapsize;
    c->pages = (uint64_t)ei.me_last_pgno + 1;
    c->file_bytes = (uint64_t)fst.st_size;
    c->room_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    mdb_reader_list(t->cat->env, count_reader, &c->readers);
    c->max_readers = ei.me_maxreaders;
    return 0;
}

unsigned pl_cat_capacity_used_pct(const pl_cat_capacity_t *c)
{
    uint64_t used = (c->pages - c->free_pages) * c->page_size;
    uint64_t all = used + c->free_pages * c->page_size + c->room_bytes;
    return all ? (unsigned)(used * 100 / all) : 100;
}

/* ---- prune ------------------------------------------------------------------- */

typedef struct keylist {
    uint8_t *buf;
    size_t len, cap;
    uint64_t n;
} keylist_t;

/* Appends one key (length-prefixed). */
static int keylist_add(keylist_t *l, const void *k, size_t klen)
{
    if (klen > 255)
        return PL_ECORRUPT;
    if (l->len + klen + 1 > l->cap) {
        size_t nc = (l->len + klen + 1) * 2 + 4096;
        uint8_t *p = realloc(l->buf, nc);
        if (!p)
            return -ENOMEM;
        l->buf = p, l->cap = nc;
    }
    l->buf[l->len++] = (uint8_t)klen;
    memcpy(l->buf + l->len, k, klen);
    l->len += klen;
    l->n++;
    return 0;
}

static int keylist_delete(pl_txn_t *t, int db, const keylist_t *l)
{
    int rc = 0;
    for (size_t i = 0; i < l->len && !rc; i += 1 + l->buf[i])
        rc = cat_del(t, db, l->buf + i + 1, l->buf[i], NULL, 0);
    return rc;
}

/* The price series walk: rows of one series (key minus its 8-byte start)
 * arrive in start order; those before the cutoff are held back until the
 * series ends, then all but the last PL_PRUNE_KEEP_BEFORE are listed. */
typedef struct price_prune {
    keylist_t del;
    uint64_t cutoff_key; /* KEY_TIME(cutoff) */
    uint8_t series[PL_ITEM_CODE_MAX + PL_SCOPE_MAX + 8];
    size_t series_len;
    uint8_t old[PL_PRUNE_KEEP_BEFORE + 1][PL_ITEM_CODE_MAX + PL_SCOPE_MAX + 16];
    size_t old_len[PL_PRUNE_KEEP_BEFORE + 1];
    unsigned nold;
} price_prune_t;

/* Rows before the cutoff enter a window of PL_PRUNE_KEEP_BEFORE; when it is
 * full, its oldest row is listed for deletion as a newer one enters. */
static int price_one(const MDB_val *k, const MDB_val *v, void *arg)
{
    price_prune_t *p = arg;
    const uint8_t *key = k->mv_data;
    if (k->mv_size < 9 || k->mv_size > sizeof(p->old[0]))
        return PL_ECORRUPT;
    size_t slen = k->mv_size - 8;
    if (slen != p->series_len || memcmp(key, p->series, slen) != 0) {
        memcpy(p->series, key, slen);
        p->series_len = slen;
        p->nold = 0;
    }
    if (key_get_be64(key + slen) >= p->cutoff_key)
        return 0;
    if (p->nold == PL_PRUNE_KEEP_BEFORE) {
        int rc = keylist_add(&p->del, p->old[0], p->old_len[0]);
        if (rc)
            return rc;
        memmove(p->old[0], p->old[1], sizeof(p->old[0]) * (PL_PRUNE_KEEP_BEFORE - 1));
        memmove(p->old_len, p->old_len + 1, sizeof(p->old_len[0]) * (PL_PRUNE_KEEP_BEFORE - 1));
        p->nold--;
    }
    memcpy(p->old[p->nold], key, k->mv_size);
    p->old_len[p->nold++] = k->mv_size;
    return 0;
}

typedef struct job_prune {
    keylist_t del;
    int64_t cutoff;
} job_prune_t;

static int job_one(const pl_label_job_t *j, void *arg)
{
    job_prune_t *p = arg;
    uint8_t k[8];
    if (j->state == PL_JOB_PENDING || j->due >= p->cutoff ||
        (j->state == PL_JOB_ACKED && j->acked_at >= p->cutoff))
        return 0;
    key_be64(k, j->id);
    return keylist_add(&p->del, k, 8);
}

typedef struct batch_prune {
    keylist_t del;
    int64_t cutoff;
    const char *last;
} batch_prune_t;

static int batch_one(const pl_batch_rec_t *b, void *arg)
{
    batch_prune_t *p = arg;
    if (b->applied_at >= p->cutoff || strcmp(b->id, p->last) == 0)
        return 0;
    return keylist_add(&p->del, b->id, strlen(b->id));
}

int pl_cat_prune(pl_txn_t *t, int64_t now, int64_t cutoff, pl_prune_counts_t *n)
{
    pl_meta_t m;
    memset(n, 0, sizeof(*n));
    if (!t->write || cutoff > now - (int64_t)PL_PRUNE_MIN_DAYS * 86400)
        return PL_EINVAL;
    price_prune_t *pp = calloc(1, sizeof(*pp));
    job_prune_t jp = {.cutoff = cutoff};
    batch_prune_t bp = {.cutoff = cutoff};
    if (!pp)
        return -ENOMEM;
    pp->cutoff_key = KEY_TIME(cutoff);
    int rc = pl_meta_get(t, &m);
    bp.last = m.last_batch;
    if (!rc)
        rc = cat_walk(t, DB_PRICES, NULL, 0, price_one, pp);
    if (!rc)
        rc = pl_job_each(t, 0, job_one, &jp);
    if (!rc)
        rc = pl_batch_each(t, batch_one, &bp);
    if (!rc)
        rc = keylist_delete(t, DB_PRICES, &pp->del);
    if (!rc)
        rc = keylist_delete(t, DB_LJOBS, &jp.del);
    if (!rc)
        rc = keylist_delete(t, DB_BATCHES, &bp.del);
    char id[PL_BATCH_ID_MAX + 1];
    snprintf(id, sizeof(id), "prune@%lld", (long long)now);
    pl_batch_rec_t b = {.applied_at = now, .rows = pp->del.n + jp.del.n + bp.del.n};
    snprintf(b.id, sizeof(b.id), "%s", id);
    snprintf(b.digest, sizeof(b.digest), "%032x", 0);
    if (!rc)
        rc = pl_meta_bump(t, id, &b.gen);
    if (!rc)
        rc = pl_batch_put(t, &b);
    if (!rc) {
        n->prices = pp->del.n;
        n->jobs = jp.del.n;
        n->batches = bp.del.n;
    }
    free(pp->del.buf);
    free(jp.del.buf);
    free(bp.del.buf);
    free(pp);
    return txn_fail(t, rc);
}
