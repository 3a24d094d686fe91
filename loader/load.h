/* Applying catalogue files and change batches: the loader's engine. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/catalog.h"
#include "pricelane/rows.h"
#include "skuset.h"

typedef struct load_opts {
    int import;   /* whole catalogue: every file in one transaction, labels set
                     as printed, no reprint jobs for the present */
    int64_t now;  /* commit instant; 0 = the current time */
    int progress; /* show rows and rows/s on stderr */
    int max_retries_map_full;
    /* Descriptors already open for files[i] (watch opens them itself), or
     * NULL: load_files opens each path. Either way every pass over a file
     * reads the same descriptor, and a file that is not a regular file, or
     * whose size, modification time or identity changed by the time of the
     * commit, is refused with nothing applied (PL_ECHANGED). */
    const int *fds;
    /* A store's follower: price rows of other stores are skipped (read and
     * checked like every row, not written), so that only what addresses
     * this store makes its prices and label jobs. NULL: every row. */
    const char *only_store;
    /* Called inside the batch's write transaction just before its commit
     * (not for a batch already applied): what it writes commits with the
     * batch or not at all. A non-zero return aborts the batch and is
     * returned. NULL: none. */
    int (*before_commit)(pl_txn_t *txn, void *arg);
    void *commit_arg;
} load_opts_t;

typedef struct load_result {
    char batch[PL_BATCH_ID_MAX + 1];
    uint64_t rows;
    uint64_t gen;      /* generation committed (0 when nothing was) */
    uint64_t jobs;     /* label jobs created */
    uint64_t skipped;  /* rows for other stores (only_store) */
    int already;       /* same batch id and content applied before: no-op */
    int map_grown;     /* times the map was grown and the batch retried */
} load_result_t;

/* Applies files[0..n) as one transaction (import) or each file as its own
 * batch (apply; results[i] per file). Every bad row is reported to d; when
 * any row of a transaction is bad nothing of it is written. Returns 0, or the
 * first failing code: PL_EFORMAT (bad rows, see d), PL_ECONFLICT (same batch
 * id, other content), PL_ECHANGED (a file changed while it was read),
 * -EINVAL (not a regular file), or a catalogue/system error. */
int load_files(pl_cat_t *cat, char **files, int n, const load_opts_t *o, pl_diags_t *d,
               load_result_t *results);

/* ---- private to the loader ------------------------------------------------ */

/* Per-transaction state while rows are applied. */
typedef struct batch {
    pl_txn_t *txn;
    pl_diags_t *d;
    int import;
    int64_t now;
    int utc_offset;
    char id[PL_BATCH_ID_MAX + 1]; /* from the batch column, "" until seen */
    int id_from_column;
    char reason[PL_BATCH_REASON_MAX + 1]; /* from the reason column, "" none */
    uint64_t rows, bad;
    const char *only_store; /* load_opts_t.only_store */
    uint64_t skipped;       /* rows skipped for another store */
    /* SKUs whose shelf labels must be reconciled, with why. */
    struct affected {
        char sku[PL_ITEM_CODE_MAX + 1];
        uint8_t text_changed; /* TEXT_NAME | TEXT_PACK: what of the label text changed */
    } *aff;
    size_t naff, capaff;
    int aff_lost; /* an item could not be recorded (out of memory): the batch fails */
    skuset_t items_defined; /* import: SKUs of item rows, to refuse duplicates */
    /* An import into a catalogue with no items: an item row always creates,
     * and an item has no labels or jobs before its reconciliation. */
    int fresh;
    /* The item the previous row checked (rows of one item come together). */
    pl_item_t last_item;
    int last_item_ok;
    uint64_t jobs;
} batch_t;

/* Applies one row (op dispatch); reports problems to b->d. Returns 0 or a
 * catalogue error that must end the transaction (PL_EMAPFULL...). */
int batch_row(batch_t *b, const pl_row_t *row);
extern const char *const batch_columns[];
extern const int batch_ncolumns;

enum { TEXT_NAME = 1, TEXT_PACK = 2 };

/* Marks a SKU for label reconciliation (text_changed: TEXT_* bits). */
void batch_touch(batch_t *b, const char *sku, int text_changed);

/* Reconciles shelf labels of every touched SKU: label records (import) or
 * label jobs (apply), superseding pending jobs that no longer hold. */
int labels_reconcile(batch_t *b);
