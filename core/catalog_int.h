/* Private to the catalogue module: environment and transaction handles. */
#pragma once
#include <lmdb.h>
#include <stdint.h>

#include "map_ahead.h"
#include "pricelane/catalog.h"

enum cat_db {
    DB_META,
    DB_ITEMS,
    DB_BARCODES,
    DB_ITEMCODES,
    DB_STORES,
    DB_PRICES,
    DB_PROMOS,
    DB_PROMOITEMS,
    DB_LABELS,
    DB_LJOBS,
    DB_LJOBITEM,
    DB_BATCHES,
    DB_CHANGES,
    DB_RECALLS,
    DB_RECALLITEMS,
    DB_XMARKDOWNS,
    DB_ITEMRECS, /* last: derived, never in a snapshot (catalog_rec.c) */
    DB_COUNT
};

struct pl_cat {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    uint64_t id;
    int read_only;
    int shared; /* read-only, transactions on many threads (no_tls): never remapped */
    uint32_t missing; /* bit per optional database absent from a read-only catalogue */
    int no_item_recs; /* pl_cat_opts_t.no_item_recs */
    /* pl_cat_recache: the file's page cache is held in base pages up to this
     * size, and each commit that grows the file recaches what it added
     * (cat_recache_grown); 0: not held */
    int64_t held_size;
    int mapped_ahead; /* pl_cat_prefault ran: what commits add is mapped ahead too */
    pl_map_bg_t bg;   /* pl_cat_map_ahead_start's thread (a server's) */
    char path[4096];
};

struct pl_txn {
    pl_cat_t *cat;
    MDB_txn *txn;
    int write;
    int err; /* sticky: the first write error; commit refuses when set */
    uint64_t next_job; /* label job id counter, read once, written at commit */
    /* One cursor per database, opened on first use and kept for the life of
     * the transaction (renewed with a read transaction), so a walk neither
     * allocates nor frees; a nested walk on the same database opens its own. */
    MDB_cursor *cur[DB_COUNT];
    uint32_t cur_busy, cur_stale;
    int next_job_loaded;
    /* What this write transaction changed (catalog_change.c): written as
     * the change record of the generation pl_meta_bump drew, at commit. */
    struct cat_touched *touched;
    int bumped;
    uint64_t bump_gen, bump_prev, bump_state;
    /* Item records (catalog_rec.c): the items whose records this write
     * transaction must rewrite at commit (all of them: rec_all), the state
     * before its first bump; a read transaction's "are the records
     * current" (0 not known yet, 1 yes, 2 no; reset with the snapshot). */
    struct cat_recset *recs;
    int rec_all, rec_use;
    uint64_t state_before;
};

/* Records the first error of a write transaction and returns rc. */
static inline int txn_fail(pl_txn_t *t, int rc)
{
    if (rc && t->write && !t->err)
        t->err = rc;
    return rc;
}

/* Is database db there? (An optional one may be absent, read-only.) */
static inline int cat_has(const pl_txn_t *t, int db)
{
    return !(t->cat->missing & (1u << db));
}

/* mdb_get/put/del wrappers returning pricelane codes. */
int cat_get(pl_txn_t *t, int db, const void *k, size_t klen, MDB_val *v);
int cat_put(pl_txn_t *t, int db, const void *k, size_t klen, const void *v, size_t vlen,
            unsigned flags);
int cat_del(pl_txn_t *t, int db, const void *k, size_t klen, const void *v, size_t vlen);
int cat_next_job_id(pl_txn_t *t, uint64_t *id);

/* The change log (catalog_change.c). cat_touch records what a write to db
 * under key k (value v, or NULL) can change in an answer; cat_put, cat_del
 * and every other write call it after a successful write. cat_changes_commit
 * writes the transaction's change record (when it bumped the generation)
 * and drops records older than PL_CHANGE_KEEP generations; cat_changes_free
 * releases the touched set (commit and abort). */
void cat_touch(pl_txn_t *t, int db, const void *k, size_t klen, const void *v, size_t vlen);
int cat_changes_commit(pl_txn_t *t);
void cat_changes_free(pl_txn_t *t);
/* Item records (catalog_rec.c): cat_rec_note marks an item whose record
 * must be rewritten at commit (cat_touch calls it), cat_rec_note_code a
 * barcode key whose record must be dropped (its item's rewrite writes it
 * again if it still has the barcode); cat_rec_commit rewrites
 * them (every record when rec_all is set or the records were not current)
 * and marks the records current; cat_rec_free releases the set. */
void cat_rec_note(pl_txn_t *t, const void *sku, size_t len);
/* A barcode's record is keyed by this byte and the barcode key: no item
 * code holds it (item codes are letters, digits, '-', '_', '.'), and the
 * barcodes' records sort after every item's (a whole rewrite appends). */
#define CAT_REC_CODE_TAG '~'
void cat_rec_note_code(pl_txn_t *t, const void *key, size_t len);
int cat_rec_commit(pl_txn_t *t);
void cat_rec_free(pl_txn_t *t);
/* The record sku should have as of instant at, into buf[cap] (*len bytes):
 * 0, PL_ENOTFOUND (no such item), or its rows' error. */
int cat_rec_build_buf(pl_txn_t *t, const char *sku, int64_t at, uint8_t *buf, size_t cap,
                      size_t *len);
/* The records against their rows (catalog_verify_rec.c), for pl_cat_verify. */
int cat_verify_recs(pl_txn_t *t, void (*fn)(const char *db, const char *msg, void *arg), void *arg,
                    uint64_t *violations);
/* meta's u64 values (little-endian), as pl_meta_get and pl_meta_bump use. */
/* The body of an item record (everything after its version byte), shared
 * by the items database and the item records (catalog_rec.c): write it to
 * w, or read it into it (the SKU is not part of it). rec.h's rec_w/rec_r. */
struct rec_w;
struct rec_r;
void cat_item_body_write(struct rec_w *w, const pl_item_t *it);
void cat_item_body_read(struct rec_r *r, pl_item_t *it);
int cat_meta_put_u64(pl_txn_t *t, const char *k, uint64_t v);
int cat_meta_get_u64(pl_txn_t *t, const char *k, uint64_t *v);
/* The layout: each database's name and LMDB flags (db_spec). */
const char *cat_db_name(int db);
unsigned cat_db_flags(int db);
/* The schema version in meta through any LMDB transaction: 0, PL_ENOTFOUND,
 * PL_ECORRUPT. */
int cat_schema_in(MDB_txn *txn, uint64_t *v);
/* Builds "a\0b" style keys: copies s and a NUL, returns bytes written or 0. */
size_t cat_key_str(uint8_t *out, size_t cap, const char *s);
/* Walks the records of db whose key starts with prefix[0..plen) (plen 0:
 * every record), in key order: fn(key, value, arg); a non-zero return stops
 * the walk and is returned. */
int cat_walk(pl_txn_t *t, int db, const void *prefix, size_t plen,
             int (*fn)(const MDB_val *k, const MDB_val *v, void *arg), void *arg);
/* Walks the dupsort values of key k in db: fn(value, len, arg). */
int cat_each_dup(pl_txn_t *t, int db, const void *k, size_t klen,
                 int (*fn)(const void *v, size_t len, void *arg), void *arg);
/* Reads the head of dir's data.mdb (LMDB's meta pages) into the page cache
 * in pages of the machine's size, before LMDB opens it: LMDB reads its meta
 * pages through its descriptor, whose readahead would build a large folio
 * there, flushed whole by every commit (catalog_pages.c). Best effort:
 * nothing to do when the file is missing or cached already. */
void cat_cache_head(const char *dir);

/* After a commit, for a catalogue whose cache pl_cat_recache holds in base
 * pages: the part of the file the commit added (written through LMDB's
 * buffered writes, which build large folios) is recached too. */
void cat_recache_grown(pl_cat_t *cat);
/* After LMDB mapped the file again (a new map size): the new mapping mapped
 * ahead as pl_cat_prefault did the old one, when it did. */
void cat_map_ahead_again(pl_cat_t *cat);
