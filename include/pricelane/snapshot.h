/* Catalogue snapshots: a catalogue's whole content as one file, loaded
 * into another catalogue in one write transaction. A store whose zone's
 * stream no longer holds the batches it missed re-bootstraps from one
 * (docs/distribution.md).
 *
 * The file: "PLSNAP01", the list of database names, then records (database,
 * key length, value length as u32 little-endian, key, value) in key order,
 * then an end mark. Meta travels only as currency, utc_offset, next_job,
 * gen and last_batch: the catalogue id, its state and a follower's position
 * belong to the catalogue that loads it.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/catalog.h"

/* Writes every record the transaction sees to fd (from its current
 * offset). Returns 0 and the number of records in *records (may be NULL),
 * -errno of a write, or an LMDB error. */
int pl_snapshot_write(pl_txn_t *txn, int fd, uint64_t *records);

typedef struct pl_snapshot_info {
    uint64_t records; /* records written */
    uint64_t skipped; /* price rows of other stores (only_store) */
    uint64_t src_gen; /* the generation of the catalogue it was taken from */
} pl_snapshot_info_t;

/* Replaces the content of the catalogue with the snapshot data[0..len),
 * inside the caller's write transaction: every database but meta is
 * emptied and filled from the snapshot; meta takes its currency, offset and
 * next job id, and the generation becomes the higher of the two (call
 * pl_meta_bump after: the new state that every cache checks, and a
 * generation above both). With only_store, price rows of other stores are
 * not written. The records are copied as they are: run pl_cat_verify on
 * the transaction before committing it.
 * Returns 0; PL_ECORRUPT with why in err (not a snapshot, cut short, a
 * database or meta key this catalogue does not have, a record too large)
 * — the transaction has been written to by then: abort it; PL_EINVAL for
 * a read transaction; or a write error (sticky). */
int pl_snapshot_load(pl_txn_t *txn, const void *data, size_t len, const char *only_store,
                     pl_snapshot_info_t *info, char *err, size_t errlen);
