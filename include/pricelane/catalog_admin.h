/* Whole-catalogue operations for operators: a consistent compacted backup
 * taken while servers and loaders run, a restore that replaces the
 * catalogue's content in one write transaction (servers keep running and
 * never see a mix), and the schema migration of a catalogue written by an
 * older version. */
#pragma once
#include <stdint.h>

#include "pricelane/catalog.h"

/* Copies the catalogue into a new directory out_dir (which must not exist)
 * as it is in one read snapshot, compacted (free pages left out: LMDB's
 * mdb_env_copy2 with MDB_CP_COMPACT, mdb_copy -c), and flushed to disk. The
 * copy is written to out_dir.part first and renamed, so out_dir holds a
 * whole backup or nothing. Takes one reader slot while it copies; never
 * blocks a writer. Returns 0; PL_EEXIST (out_dir or out_dir.part exists);
 * -errno (a directory cannot be made, a write or flush failed: the partial
 * copy is removed); or an LMDB error. */
int pl_cat_backup(pl_cat_t *cat, const char *out_dir);
/* The same for the catalogue in directory dir, of any schema version (a
 * catalogue about to be migrated), opened read-only by LMDB alone. Also
 * PL_ENOTFOUND when dir holds no data.mdb. */
int pl_cat_backup_dir(const char *dir, const char *out_dir);

typedef struct pl_restore_info {
    uint64_t backup_gen;   /* the backup's generation */
    uint64_t replaced_gen; /* the catalogue's generation before the restore */
    uint64_t gen;          /* the generation after it (above both) */
    char backup_last_batch[PL_BATCH_ID_MAX + 1];
    char ledger_id[PL_BATCH_ID_MAX + 1]; /* the restore's own ledger record */
} pl_restore_info_t;

/* Replaces the whole content of the catalogue cat (opened for writing) by
 * the backup in backup_dir (made by pl_cat_backup or mdb_copy), in one write
 * transaction: every database emptied and refilled from the backup, the
 * backup's meta taken over (the label job counter kept at the higher of
 * the two, so no job id is reused), then the generation set above both the
 * catalogue's and the backup's and a new state drawn (pl_meta_bump), so no
 * cache or memo tagged with the replaced state, nor with the backup's
 * earlier life, can answer; and a ledger record "restore@SECONDS" (digest:
 * the backup's catalogue id and state in hex, rows: records copied) is
 * written. Readers (servers) see the old content until the commit and the
 * restored one after it. The map grows as needed. `now` is the ledger
 * record's time. The backup is opened read-only and never written.
 * Returns 0 with *info filled; PL_EINVAL (backup_dir is the catalogue
 * itself); PL_ENOTFOUND (no data.mdb in backup_dir, or
 * no catalogue in it); PL_EVERSION (a backup of another schema version, or
 * not an LMDB file: migrate a copy of an older backup first); PL_ECORRUPT
 * (its meta does not decode); -EACCES (cat opened read-only); or another
 * error of reading the backup or writing the catalogue. On any failure the
 * catalogue is left exactly as it was. */
int pl_cat_restore(pl_cat_t *cat, const char *backup_dir, int64_t now, pl_restore_info_t *info);

/* The schema version recorded in the catalogue in dir, read without
 * writing anything and whatever the version: 0 and *version; PL_ENOTFOUND
 * (no catalogue); or an LMDB error. */
int pl_cat_schema(const char *dir, uint32_t *version);

/* Migrates the catalogue in dir from its schema version to
 * PL_SCHEMA_VERSION by ordered steps, all in one write transaction (a
 * crash leaves the old version whole). Step 1→2: every database of the
 * current layout that is missing is created (empty), and the version is
 * written. Writes nothing when the catalogue is already current (*from =
 * *to). The caller backs the catalogue up first. Returns 0 with the versions
 * in *from and *to; PL_ENOTFOUND (no catalogue); PL_EVERSION (a version
 * newer than this code, or 0); or an LMDB error. */
int pl_cat_migrate(const char *dir, uint32_t *from, uint32_t *to);

/* How full the catalogue is, for monitoring. Pages are LMDB's (page_size
 * bytes). */
typedef struct pl_cat_capacity {
    uint64_t page_size;
    uint64_t map_bytes;      /* this process's map (a server maps 256 GiB of
                                address space; writers grow the map on demand) */
    uint64_t file_bytes;     /* data.mdb's size on disk */
    uint64_t pages;          /* pages written so far (last page number + 1) */
    uint64_t free_pages;     /* of those, on LMDB's free list (reused by writers) */
    uint64_t free_run_pages; /* longest run of consecutive free pages */
    uint64_t room_bytes;     /* free bytes on the catalogue's file system: what
                                the file can still grow into */
    unsigned readers;        /* reader slots in use (every process) */
    unsigned max_readers;
} pl_cat_capacity_t;

/* Fills *c: LMDB's environment info and statistics, a walk of its free
 * list in the read transaction txn (cost: one pass over the free list's
 * records, sorted to find the longest run), data.mdb's size and the file
 * system's free space (statvfs). Only reads. Returns 0, -ENOMEM, -errno of
 * stat/statvfs, or an LMDB error. */
int pl_cat_capacity(pl_txn_t *txn, pl_cat_capacity_t *c);

/* Used share of the catalogue's room in percent: the bytes in use (pages
 * written minus free pages) over those plus the free pages and the file
 * system's room. 0..100. */
unsigned pl_cat_capacity_used_pct(const pl_cat_capacity_t *c);

/* ---- prune ----------------------------------------------------------------- */

#define PL_PRUNE_MIN_DAYS 7    /* low_7d and prev_price look 7 days back */
#define PL_PRUNE_KEEP_BEFORE 2 /* rows kept per price series before the cutoff */

typedef struct pl_prune_counts {
    uint64_t prices;  /* price rows removed */
    uint64_t jobs;    /* label jobs removed (printed or superseded) */
    uint64_t batches; /* ledger records removed */
} pl_prune_counts_t;

/* Removes, in the write transaction txn, what no answer and no label needs
 * any more, before `cutoff` (the caller's now minus at least
 * PL_PRUNE_MIN_DAYS days):
 *  - price rows starting before the cutoff, except the last
 *    PL_PRUNE_KEEP_BEFORE of each series (item, level, scope): the row in
 *    force at the cutoff, which answers the whole window after it, and the
 *    one before it, which prev_price names when the price changed at that
 *    row. Rows starting at or after the cutoff (in force now, in the 7-day
 *    window, or in the future) all stay;
 *  - label jobs printed (acked) or superseded, due and acked before the
 *    cutoff; pending jobs always stay;
 *  - batch ledger records applied before the cutoff, except the last batch.
 * Then bumps the generation with the ledger record "prune@now" (a new state:
 * caches drop answers whose history reached further back). Promotions,
 * items, barcodes, stores and shelf labels are kept. Returns 0 with the
 * counts; PL_EINVAL (cutoff too recent for now); or a read or write error
 * (sticky: the caller aborts, the catalogue unchanged). */
int pl_cat_prune(pl_txn_t *txn, int64_t now, int64_t cutoff, pl_prune_counts_t *n);
