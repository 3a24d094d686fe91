/* The catalogue: one LMDB environment (a directory) with named databases.
 *
 *  meta      "schema","catalog_id","gen","state","last_batch","currency","utc_offset",
 *            "follow" (a store follower's stream position, see pl_follow_t),
 *            "recs" (the state the item records are current for)
 *  items     sku → item record
 *  barcodes  barcode key (14-digit GTIN, or "P"+PLU) → sku
 *  itemcodes sku → barcode key (dupsort; the item's barcodes, first = primary)
 *  stores    store id → zone, scale formats, name
 *  prices    sku 0 level scope 0 start(BE) → price record (effective-dated;
 *            never overwritten, so it is also the price history)
 *  promos    promo id → promo record (window, kind, scope, items)
 *  promoitems sku → promo id (dupsort)
 *  labels    sku 0 scope → label record (the price the shelf label shows)
 *  ljobs     job id (BE u64) → label job
 *  ljobitem  sku → job id (dupsort; pending jobs only)
 *  batches   batch id → ledger record (digest, time, rows, generation)
 *  changes   generation (BE u64) → change record: the states before and
 *            after it and what it changed (the last PL_CHANGE_KEEP kept)
 *  recalls   recall id → recall record (item, GTIN, lots, window, text)
 *  recallitems sku → recall id (dupsort)
 *  xmarkdowns rule id → expiry markdown rule
 *            (both optional when read-only: a catalogue made before them
 *            reads as having no recalls)
 *  itemrecs  sku → item record: what a lookup reads of the item, rewritten
 *            at commit (see "item records"; optional when read-only, and
 *            never in a snapshot)
 *
 * Records are versioned little-endian binary encodings with explicit lengths;
 * strings are UTF-8; money is an integer count of minor units. All write
 * functions work inside a caller's write transaction, so a whole import or
 * batch commits at once or not at all.
 *
 * Contract of every function below, unless its comment says more:
 *  - returns 0, or a negative code: PL_ENOTFOUND (a get of an absent key),
 *    PL_ECORRUPT (a record that does not decode: never trusted),
 *    PL_EVERSION (a record of another version), PL_EMAPFULL / PL_ETXNFULL
 *    (a write that does not fit: grow the map, pl_cat_grow, and run the whole
 *    transaction again), PL_EINVAL (an argument out of its bounds, a record
 *    that does not fit its encoding, or a write through a read
 *    transaction), -ENOMEM, or another LMDB error converted by
 *    pl_err_from_mdb (PL_EMDB among others: an empty key, or a transaction
 *    LMDB refuses because it is reset or failed before);
 *  - the first error of a write that reached LMDB is sticky, and so are the
 *    errors a function's comment calls sticky: every later write returns
 *    it without writing, pl_txn_commit returns it and commits nothing, and
 *    reads may fail too (LMDB refuses a failed transaction). Other refusals
 *    write nothing and are not sticky (PL_EINVAL from an argument check,
 *    PL_ENOTFOUND, PL_ECONFLICT, PL_EDONE): the transaction goes on;
 *  - a get copies the record into the caller's struct (strings
 *    NUL-terminated within their fields): nothing returned points into the
 *    map, so results stay valid after the transaction ends. On an error the
 *    struct's contents are unspecified;
 *  - _each functions call fn once per record in key order, with a copy that
 *    is valid during the call only; fn returning non-zero stops the walk
 *    and that value is returned (a positive value cannot be mistaken for an
 *    error). A record that does not decode stops the walk with its code. fn
 *    may read through the same transaction, walks of the same database
 *    included, but must not write through it;
 *  - strings passed in are only read during the call.
 *
 * Threads and processes (LMDB's rules, which these handles keep):
 *  - a pl_cat_t is shared by every thread of the process that opened it:
 *    open a catalogue once per process (LMDB: a second open of the same
 *    environment in one process breaks its locks when either closes), and
 *    never use it in a child after fork();
 *  - a transaction belongs to the thread that began it and is used by one
 *    thread at a time. One write transaction at a time per catalogue, across
 *    processes: pl_txn_begin waits for the current writer, so a thread that
 *    holds a write transaction must not begin another. Without no_tls a
 *    thread holds at most one transaction at a time (a second read
 *    transaction fails with PL_EMDB); with no_tls a thread may hold several
 *    read transactions, and a read transaction may move to another thread
 *    between uses;
 *  - a map that another process grew (MDB_MAP_RESIZED) is adopted by
 *    pl_txn_begin and pl_txn_renew by mapping the file again, which LMDB
 *    allows only while no other transaction of this process is active. A
 *    catalogue opened read_only with no_tls (a server, whose threads each
 *    hold a read transaction) is therefore never remapped: it maps 256 GiB
 *    of address space from the start, beyond any loader's growth, and a
 *    catalogue larger than that makes pl_txn_begin / pl_txn_renew fail with
 *    the error of MDB_MAP_RESIZED (restart the server). Other opens are
 *    used by one thread at a time and adopt the new size.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/barcode.h" /* PL_ITEM_CODE_MAX, PL_PLU_MAX */

#define PL_SCHEMA_VERSION                                                                          \
    2 /* 2: pricelane-load migrate; older catalogues are refused until migrated */
#define PL_NAME_MAX 120     /* item name bytes (UTF-8: 40 CJK characters) */
#define PL_UNIT_MAX 15
#define PL_DEPT_MAX 15
#define PL_SCOPE_MAX 15   /* zone or store id bytes */
#define PL_PROMO_ID_MAX 31
#define PL_PROMO_TEXT_MAX 63
#define PL_BATCH_ID_MAX 63
#define PL_CODE_ECHO_MAX 63 /* code echoed in answers */
#define PL_BARCODE_KEY_MAX 15
#define PL_PROMO_SCOPE_MAX 16 /* zones or stores named by one promotion */

typedef struct pl_cat pl_cat_t;
typedef struct pl_txn pl_txn_t;

/* ---- environment ---------------------------------------------------------- */

typedef struct pl_cat_opts {
    size_t map_size;       /* bytes; 0 = 1 GiB (grown on demand by writers) */
    unsigned max_readers;  /* 0 = 510 */
    int read_only;         /* open MDB_RDONLY: no write transactions (-EACCES) */
    int no_tls;            /* MDB_NOTLS: read txns not tied to threads */
    int no_item_recs;      /* lookups read an item's rows, never its record (pl_item_rows) */
} pl_cat_opts_t;

/* Creates a new catalogue in directory `dir` (created if missing; must not
 * already hold one): schema version, a random catalogue id, generation 0,
 * currency (3 bytes, e.g. "CNY") and UTC offset (minutes east of UTC, at
 * most 14 hours either way), committed durably. Returns 0; PL_EEXIST when
 * dir already holds a catalogue (checked before the arguments); PL_EINVAL
 * for a bad currency or offset (dir is created by then); -errno (dir
 * cannot be made; -ENOSPC / -EDQUOT: no room for the lock file); or an
 * LMDB error. A failure after LMDB created its files leaves a
 * directory that pl_cat_open reports as PL_ENOTFOUND and pl_cat_init as
 * PL_EEXIST: remove it before trying again. */
int pl_cat_init(const char *dir, const char *currency, int utc_offset_min);
/* The same with an initial map size in bytes (0 = 1 GiB). Writers grow the
 * map on demand, so a small one only costs retries; tests use it to reach
 * MDB_MAP_FULL. */
int pl_cat_init_sized(const char *dir, const char *currency, int utc_offset_min, size_t map_size);

/* Opens an existing catalogue (NULL opts = defaults). Runs mdb_reader_check to
 * clear reader slots of dead processes. Unless read_only, opening begins a
 * write transaction (to create missing databases), so it waits while another
 * process writes. Returns 0 and *out (the caller's, freed with
 * pl_cat_close); PL_EVERSION for another schema version or a file LMDB does
 * not recognise; PL_ENOTFOUND when dir holds no catalogue (no data file, or
 * no schema or catalogue id in meta, or with read_only a database missing);
 * PL_ECORRUPT for a meta value that does not decode; -errno (the data file
 * cannot be examined; -ENOSPC / -EDQUOT when the lock file cannot be
 * reserved; -EACCES); or another LMDB error. *out is untouched on failure. */
int pl_cat_open(const char *dir, const pl_cat_opts_t *opts, pl_cat_t **out);
/* Closes the catalogue and frees the handle (NULL: nothing). Every
 * transaction and resolver on it must have ended first. */
void pl_cat_close(pl_cat_t *cat);

/* Doubles the map size (at least to `min_size`) for this process now; the
 * size is recorded in the catalogue by this process's next write commit,
 * and other processes adopt it when they open the catalogue, or when the
 * data outgrows their map (as they begin or renew a transaction).
 * Only when no transaction of this process is active: LMDB refuses with
 * -EINVAL while this process has a write transaction, and does not check
 * read transactions (they would read the old mapping). Returns 0, -EINVAL,
 * or -errno from mapping the file again. */
int pl_cat_grow(pl_cat_t *cat, size_t min_size);

/* Maps every page the catalogue uses now into this process (page tables
 * filled, reading from disk what the page cache lacks) and reads a byte of
 * each, so that later reads of those pages take no page fault, nor the
 * cost a virtual machine's hypervisor adds to a page's first access. After
 * it, the whole file is mapped so again whenever this handle maps it anew
 * (pl_cat_grow, or a map size another process set), and, where
 * pl_cat_recache holds the file's cache, what this handle's commits add to
 * the file is mapped ahead too. For long-running, single-threaded users of
 * a handle: the reads must not race a new mapping made on another thread.
 * Returns 0 and the bytes mapped in *bytes, or -errno (-ENOSYS where the
 * headers lack MADV_POPULATE_READ, -EINVAL from a kernel before 5.14). */
int pl_cat_prefault(pl_cat_t *cat, size_t *bytes);

/* For a server's shared read-only handle (never mapped anew): a thread of
 * the scheduler's idle class reads into the page cache what it lacks of
 * the catalogue's file, 2 MiB at a time in pages of the machine's size
 * (one read of each step, not a page fault a page: after a reboot a cold
 * catalogue is read in seconds, not faulted in by the lookups one page at
 * a time), and reads a byte of each page of those steps so that it is
 * mapped into this process. Steps the cache held whole are left to the
 * lookups: their pages may be in large folios (an import, a copy), which a
 * writer's pl_cat_recache can put back in base pages only while no process
 * maps them. It runs only on a CPU with nothing else to run; where that
 * class is refused it does nothing. Stopped and joined by pl_cat_close.
 * Returns 0, -EINVAL (not such a handle, or started already), -EFBIG (the
 * file is larger than half the machine's memory: left to the lookups), or
 * -errno. */
int pl_cat_map_ahead_start(pl_cat_t *cat);

/* Bytes of the file the thread has gone through (its size when started,
 * once done); 0 when not started. */
uint64_t pl_cat_mapped_ahead(const pl_cat_t *cat);

/* Reads the catalogue's whole file (the one LMDB holds open) into the page
 * cache in pages of the machine's size, dropping first, 2 MiB at a time,
 * the larger folios a kernel may have built from readahead or large
 * writes, so that a batch's scattered page writes dirty and flush only the
 * pages they change. From then on, each commit of this handle that grows
 * the file does the same for what it added. What the kernel cannot drop
 * (pages another process maps, dirty pages) stays as it was. For the
 * long-running writers, before pl_cat_prefault. Returns 0 and the bytes
 * read in *bytes, or -errno. */
int pl_cat_recache(pl_cat_t *cat, size_t *bytes);

/* Catalogue id (random, fixed at init; read at open) and the directory as
 * given to pl_cat_open (at most 4095 bytes). The path points into the
 * handle: valid until pl_cat_close. */
uint64_t pl_cat_id(const pl_cat_t *cat);
const char *pl_cat_path(const pl_cat_t *cat);

/* Flushes the data file to disk. Commits are already durable (no relaxed
 * durability is used): this is for callers that want an explicit flush.
 * Returns 0, -EACCES on a catalogue opened read_only, or -errno of the
 * flush. */
int pl_cat_sync(pl_cat_t *cat);

/* ---- transactions --------------------------------------------------------- */

/* Begins a read (write = 0) or write transaction; a write transaction waits
 * for the current writer of any process. Returns 0 and *out (the caller's,
 * ended with pl_txn_commit or pl_txn_abort); -ENOMEM; -EACCES for a write on
 * a catalogue opened read_only; PL_EREADERS when every reader slot is taken;
 * PL_EMDB for a second read transaction in a thread without no_tls, or a
 * map grown twice while it began; or another LMDB error. *out is untouched
 * on failure. */
int pl_txn_begin(pl_cat_t *cat, int write, pl_txn_t **out);
/* Commits (write) or ends (read). Returns 0; the transaction's sticky error
 * (nothing committed); or a commit error (-ENOSPC, -EIO...; nothing
 * committed). On failure the transaction is gone too. The handle is freed
 * either way. */
int pl_txn_commit(pl_txn_t *txn);
/* Ends the transaction, writing nothing, and frees the handle (NULL:
 * nothing). */
void pl_txn_abort(pl_txn_t *txn);
/* Read transactions only: release the snapshot but keep the handle, and take
 * a fresh snapshot. Between the two every read returns PL_EMDB. renew
 * returns 0; -EINVAL when the transaction was not reset (or is a write
 * transaction, which reset leaves alone); PL_EREADERS; or another LMDB
 * error, after which the handle stays reset (renew again, or abort). */
void pl_txn_reset(pl_txn_t *txn);
int pl_txn_renew(pl_txn_t *txn);
/* The id of the committed state txn reads (LMDB's transaction id: every
 * commit to the catalogue, a restore included, takes a higher one). Two
 * snapshots of one open catalogue with the same id read the same bytes. */
uint64_t pl_txn_id(const pl_txn_t *txn);

/* ---- meta ----------------------------------------------------------------- */

typedef struct pl_meta {
    uint32_t schema;
    uint64_t catalog_id;
    uint64_t gen;           /* price generation: +1 per committed batch/import */
    /* The catalogue's state: a random 64-bit number drawn by init and again
     * by every pl_meta_bump, in the same transaction as the change. Two
     * catalogues, or one catalogue and a restored backup of it that has
     * since taken other batches, reach the same generation by different
     * histories but never share a state (except by a 2^-64 chance): every
     * cache of answers is tagged with it, never with the generation alone.
     * 0 in a catalogue made before states were kept, until its next batch. */
    uint64_t state;
    char last_batch[PL_BATCH_ID_MAX + 1];
    char currency[4];
    int32_t utc_offset_min;
} pl_meta_t;

/* The catalogue's meta record: 0, PL_ENOTFOUND (a key missing: not a
 * catalogue, or a damaged one; a missing state alone is 0 with state 0),
 * PL_ECORRUPT (a value that does not decode or does not fit its field). */
int pl_meta_get(pl_txn_t *txn, pl_meta_t *m);
/* Bumps the generation, draws a new state and records the batch id (NULL:
 * ""); returns the new generation in *gen (gen may be NULL). Every write
 * transaction that changes what a lookup answers must call it before
 * commit. batch_id must be at most PL_BATCH_ID_MAX bytes: a longer one is
 * not refused, and every later pl_meta_get returns PL_ECORRUPT. Returns 0;
 * PL_EINVAL for a read transaction; or PL_ENOTFOUND / PL_ECORRUPT (no
 * generation, or one that does not decode) / a write error, all sticky. */
int pl_meta_bump(pl_txn_t *txn, const char *batch_id, uint64_t *gen);

/* ---- change log ------------------------------------------------------------ */

/* Every write transaction that bumps the generation also writes, at commit,
 * the change record of that generation: the catalogue state before and
 * after it, and the keys whose answers it may have changed ("s" + SKU for
 * anything of an item: the item, its prices, promotions, labels, label
 * jobs, barcode list; "b" + barcode key for a barcode that was added,
 * moved or removed). The keys come from the writes themselves (cat_put and
 * cat_del record them), so no writer can forget one. A change that may
 * alter any answer (a store's zone or scale formats, or more than
 * PL_CHANGE_KEYS_MAX keys, as a whole import) is "wide" and lists none.
 * Readers use the log to keep what a batch did not touch (track.h). */
#define PL_CHANGE_KEEP 1024     /* generations kept; older records are dropped */
#define PL_CHANGE_KEYS_MAX 8192 /* keys a record lists before it turns wide */

typedef struct pl_change {
    uint64_t gen;
    uint64_t prev_state; /* the catalogue's state before this generation */
    uint64_t state;      /* its state after it */
    int wide;            /* any answer may have changed: no keys listed */
    uint32_t nkeys;
} pl_change_t;

/* The change record of generation gen: fills *c and calls fn (may be NULL)
 * once per key (len bytes, not NUL-terminated, valid during the call; fn
 * must not write). 0, PL_ENOTFOUND (no record: dropped, never written, or a
 * catalogue without a change log), PL_ECORRUPT, or fn's non-zero return. */
int pl_change_get(pl_txn_t *txn, uint64_t gen, pl_change_t *c,
                  int (*fn)(const char *key, size_t len, void *arg), void *arg);

/* Marks the write transaction's change as wide (a restore, a migration: a
 * change the per-key record cannot describe). */
void pl_txn_touch_all(pl_txn_t *txn);
/* Where a store's follower stands in its zone's stream (meta key "follow"),
 * written in the same transaction as the batch it applied, so that the
 * batch and its position commit together or not at all. The stream is
 * named by its name and its creation instant: a stream deleted and created
 * again restarts its sequence numbers, and a position in the old one says
 * nothing about the new one. `head` is the stream's last sequence as the
 * follower last saw it (for lag); `stopped` is the sequence of a batch the
 * store could not apply (0: none), `batch` its id and `error` why. */
#define PL_FOLLOW_STREAM_MAX 63
#define PL_FOLLOW_ERROR_MAX 255
typedef struct pl_follow {
    char stream[PL_FOLLOW_STREAM_MAX + 1];
    int64_t created;                 /* the stream's creation instant, ns since 1970 (UTC) */
    uint64_t seq;                    /* last sequence applied or passed (0: none yet) */
    uint64_t head;                   /* the stream's last sequence when last seen */
    uint64_t stopped;                /* sequence the follower stopped at, 0 when running */
    char batch[PL_BATCH_ID_MAX + 1]; /* the batch id of that message, "" unknown */
    char error[PL_FOLLOW_ERROR_MAX + 1];
} pl_follow_t;

/* The follower's position: 0; PL_ENOTFOUND when no follower ever wrote
 * one; PL_ECORRUPT for a record that does not decode. */
int pl_follow_get(pl_txn_t *txn, pl_follow_t *f);
/* Writes the position (replacing the previous one). Does not bump the
 * generation: a position alone changes no answer. Returns 0; PL_EINVAL
 * (a read transaction, a string not terminated within its field; not
 * sticky); or a write error (sticky). */
int pl_follow_put(pl_txn_t *txn, const pl_follow_t *f);

/* ---- items and barcodes --------------------------------------------------- */

enum pl_item_flags {
    PL_ITEM_WEIGHED = 1u << 0,        /* sold by weight: price is per kg */
    PL_ITEM_AGE_RESTRICTED = 1u << 1,
    PL_ITEM_DISCONTINUED = 1u << 2,
    PL_ITEM_COUNTED = 1u << 3,        /* sold by count from a scale label */
};

typedef struct pl_item {
    char sku[PL_ITEM_CODE_MAX + 1];
    char name[PL_NAME_MAX + 1];
    char unit[PL_UNIT_MAX + 1]; /* unit of sale: "each", "kg", "500g", "box" */
    char dept[PL_DEPT_MAX + 1];
    uint32_t pack_qty;          /* pieces per pack, >= 1 */
    uint32_t flags;             /* pl_item_flags */
    uint32_t content;           /* net content in content_unit, for unit prices; 0 = none */
    char content_unit[4];       /* "g" or "ml" */
    char plu[PL_PLU_MAX + 1];   /* scale item code, or "" */
} pl_item_t;

/* Number of items in the catalogue (as the transaction sees it): 0, or an
 * LMDB error (*n is then 0). */
int pl_item_count(pl_txn_t *txn, uint64_t *n);

/* Item get/put by SKU. get: 0, PL_ENOTFOUND, PL_EVERSION, PL_ECORRUPT. put
 * creates or replaces the record (barcodes, prices and promotions stay):
 * 0, PL_EINVAL (an empty sku, or strings too long for the record), or a
 * write error. */
int pl_item_get(pl_txn_t *txn, const char *sku, pl_item_t *it);
int pl_item_put(pl_txn_t *txn, const pl_item_t *it);

/* Barcode key → SKU (out: PL_ITEM_CODE_MAX + 1 bytes, written only on
 * success): 0, PL_ENOTFOUND, PL_ECORRUPT (a stored SKU too long). */
int pl_cat_barcode_get(pl_txn_t *txn, const char *key, char *sku);
/* Adds barcode key to sku (the item is not checked). 0 when added or
 * already on this item; PL_ECONFLICT when the key belongs to another item,
 * whose SKU is then copied to `other` (PL_ITEM_CODE_MAX + 1 bytes; may be
 * NULL), nothing written; PL_ECORRUPT (that owner too long: not sticky);
 * PL_EINVAL for a read transaction; or a write error. */
int pl_cat_barcode_add(pl_txn_t *txn, const char *key, const char *sku, char *other);
/* Removes barcode key, which must belong to sku: 0; PL_ENOTFOUND (no such
 * key); PL_ECONFLICT (it belongs to another item; nothing written);
 * PL_ECORRUPT (the item's list of barcodes lacked it: sticky); PL_EINVAL for
 * a read transaction; or a write error. */
int pl_cat_barcode_del(pl_txn_t *txn, const char *key, const char *sku);
/* The item's barcode keys, in key order (an item with none, or no such
 * item: 0 and no call); the key is NUL-terminated, valid during the call.
 * PL_ECORRUPT for a stored key longer than PL_BARCODE_KEY_MAX. */
int pl_cat_barcode_each(pl_txn_t *txn, const char *sku, int (*fn)(const char *key, void *arg),
                        void *arg);

/* ---- stores --------------------------------------------------------------- */

typedef struct pl_store {
    char id[PL_SCOPE_MAX + 1];
    char zone[PL_SCOPE_MAX + 1];
    char name[PL_NAME_MAX + 1];
    char formats[128]; /* scale formats, comma-separated patterns; "" = defaults */
} pl_store_t;

/* A store by id: 0, PL_ENOTFOUND, PL_EVERSION, PL_ECORRUPT. put creates or
 * replaces it (its zone may change: the zone's rows stay): 0, PL_EINVAL
 * (empty id, strings too long for the record), or a write error. each:
 * every store in id order; a record that does not decode stops the walk. */
int pl_store_get(pl_txn_t *txn, const char *id, pl_store_t *st);
int pl_store_put(pl_txn_t *txn, const pl_store_t *st);
int pl_store_each(pl_txn_t *txn, int (*fn)(const pl_store_t *st, void *arg), void *arg);

/* ---- prices (effective-dated; also the history) --------------------------- */

typedef enum pl_level {
    PL_LEVEL_BASE = 0,  /* chain-wide base price; scope "" */
    PL_LEVEL_ZONE = 1,  /* scope = zone id */
    PL_LEVEL_STORE = 2, /* scope = store id */
} pl_level_t;

#define PL_PRICE_REMOVED (-1) /* a zone/store override withdrawn from `start` */

typedef struct pl_price {
    char sku[PL_ITEM_CODE_MAX + 1];
    uint8_t level;                /* pl_level_t */
    char scope[PL_SCOPE_MAX + 1];
    int64_t start;                /* in force from this instant */
    int64_t price;                /* minor units, or PL_PRICE_REMOVED */
    uint8_t scheduled;            /* submitted ahead of its instant */
    int64_t recorded_at;          /* when the batch committed it */
    char batch[PL_BATCH_ID_MAX + 1];
} pl_price_t;

/* Writes a price row (same sku/level/scope/start replaces). 0; PL_EINVAL
 * (a level past PL_LEVEL_STORE, a scope longer than PL_SCOPE_MAX); or a
 * write error (PL_EMAPFULL...). The row is not checked against items or
 * scopes: the loader does that. */
int pl_price_put(pl_txn_t *txn, const pl_price_t *p);
/* Every price row of an item, ordered by level, scope, start (no rows: 0
 * and no call). PL_EINVAL for a sku too long for a key; PL_EVERSION /
 * PL_ECORRUPT for a row that does not decode. */
int pl_price_each(pl_txn_t *txn, const char *sku, int (*fn)(const pl_price_t *p, void *arg),
                  void *arg);

/* ---- promotions ----------------------------------------------------------- */

typedef enum pl_promo_kind {
    PL_PROMO_SPECIAL = 1,  /* 特价 */
    PL_PROMO_FLYER = 2,    /* 惊爆 / flyer */
    PL_PROMO_MARKDOWN = 3, /* 削价 */
    PL_PROMO_MEMBER = 4,   /* 会员价: member-only by nature */
    PL_PROMO_CLEARANCE = 5,
} pl_promo_kind_t;

typedef enum pl_scope_kind {
    PL_SCOPE_ALL = 0,
    PL_SCOPE_ZONES = 1,
    PL_SCOPE_STORES = 2,
} pl_scope_kind_t;

typedef struct pl_promo {
    char id[PL_PROMO_ID_MAX + 1];
    uint8_t kind;        /* pl_promo_kind_t */
    uint8_t member_only; /* always 1 for PL_PROMO_MEMBER */
    int32_t priority;    /* higher wins; equal priority → lowest price */
    int64_t start, end;  /* window [start, end) */
    int64_t price;       /* promo price, or PL_PRICE_NONE when pct_off is used */
    int32_t pct_off_bp;  /* percent off in basis points (1500 = 15%), or 0 */
    uint8_t scope_kind;  /* pl_scope_kind_t */
    uint8_t nscope;
    char scope[PL_PROMO_SCOPE_MAX][PL_SCOPE_MAX + 1];
    char text[PL_PROMO_TEXT_MAX + 1]; /* shown on the label / promo sign */
    int64_t cancelled_at;             /* PL_TIME_NONE unless cancelled */
    char batch[PL_BATCH_ID_MAX + 1];
} pl_promo_t;

/* Name of a kind ("special"...): a static string, "promo" for an unknown
 * kind. And back, ignoring case: the kind, or 0 when unknown. */
const char *pl_promo_kind_name(int kind);
int pl_promo_kind_parse(const char *s);

/* A promotion by id: 0, PL_ENOTFOUND, PL_EVERSION, PL_ECORRUPT. */
int pl_promo_get(pl_txn_t *txn, const char *id, pl_promo_t *pr);
/* Writes the promotion and replaces its item list with skus[0..n) (the
 * items are not checked; a SKU listed twice is indexed once). Each SKU must
 * be at most PL_ITEM_CODE_MAX bytes: a longer one is not refused as such,
 * and pl_promo_items then fails with PL_ECORRUPT. Returns 0; PL_EINVAL for
 * an empty id or more than PL_PROMO_SCOPE_MAX scopes (nothing written), or
 * for a record that does not fit its encoding — not sticky, although the
 * old item list is unindexed by then: abort the transaction; -ENOMEM; the
 * code of a stored promotion of that id that does not decode; or a write
 * error. */
int pl_promo_put(pl_txn_t *txn, const pl_promo_t *pr, const char *const *skus, size_t n);
/* Promotions naming sku, in id order, cancelled and ended ones included.
 * PL_ECORRUPT when the index names a promotion that is gone. */
int pl_promo_each_for_item(pl_txn_t *txn, const char *sku,
                           int (*fn)(const pl_promo_t *pr, void *arg), void *arg);
/* ---- recalls ---------------------------------------------------------------
 * A recall stops the sale of the packs of one item whose lot (GS1 AI 10) is
 * lot_from, or lies in [lot_from, lot_to] (same length, compared byte by
 * byte: "L2601" .. "L2615"), optionally only under one GTIN of the item,
 * over [start, end) (end PL_TIME_NONE: open). Lifting it sets end to the
 * lifting instant (history is kept). */
#define PL_RECALL_ID_MAX 31
#define PL_RECALL_TEXT_MAX 127
#define PL_LOT_MAX 20
typedef struct pl_recall {
    char id[PL_RECALL_ID_MAX + 1];
    char sku[PL_ITEM_CODE_MAX + 1];
    char gtin[15]; /* "" = every barcode of the item */
    char lot_from[PL_LOT_MAX + 1];
    char lot_to[PL_LOT_MAX + 1];       /* "" = lot_from alone */
    int64_t start, end;                /* end PL_TIME_NONE: until lifted */
    char text[PL_RECALL_TEXT_MAX + 1]; /* for the cashier */
    char batch[PL_BATCH_ID_MAX + 1];
} pl_recall_t;

/* Writes (or rewrites) recall r->id and its index entry. PL_EINVAL for an
 * id, SKU or field over its bounds, or a rewrite that changes the item. */
int pl_recall_put(pl_txn_t *txn, const pl_recall_t *r);
/* Recall id: PL_ENOTFOUND, PL_ECORRUPT, PL_EVERSION. */
int pl_recall_get(pl_txn_t *txn, const char *id, pl_recall_t *r);
/* Recalls of sku in id order (none on a catalogue without the databases).
 * PL_ECORRUPT when the index names a recall that is gone. */
int pl_recall_each_for_item(pl_txn_t *txn, const char *sku,
                            int (*fn)(const pl_recall_t *r, void *arg), void *arg);
/* ---- expiry markdowns -------------------------------------------------------
 * A rule marks a pack down by pct_off_bp (basis points) when its scanned
 * expiry date (AI 17, else best-before AI 15) is at most `days` days away
 * (0: the pack's last day), for the items of `items` (none: any item) of
 * department `dept` ("": any), in the stores of the scope, over [start,
 * end). Evaluated per request (resolve.h); the shelf label never shows it.
 * The same table holds best-before rules (kind PL_XMD_BB_BLOCK or
 * PL_XMD_BB_INFO, days and pct_off_bp 0): whether a past best-before date
 * (AI 15) blocks a pack of those items, department, stores and window,
 * instead of the server's best_before setting (the chain default); among
 * the rules in force the highest priority wins, then the smallest id. */
#define PL_XMD_ITEMS_MAX 16
enum pl_xmd_kind {
    PL_XMD_MARKDOWN = 0, /* an expiry markdown */
    PL_XMD_BB_BLOCK = 1, /* a past best-before date blocks the pack */
    PL_XMD_BB_INFO = 2,  /* a past best-before date is reported, the pack sells */
};
typedef struct pl_xmd {
    char id[PL_PROMO_ID_MAX + 1];
    uint8_t kind; /* enum pl_xmd_kind */
    int32_t days, pct_off_bp, priority;
    int64_t start, end;
    uint8_t scope_kind, nscope; /* PL_SCOPE_* as promotions */
    char scope[PL_PROMO_SCOPE_MAX][PL_SCOPE_MAX + 1];
    char dept[PL_DEPT_MAX + 1];
    uint8_t nitems;
    char items[PL_XMD_ITEMS_MAX][PL_ITEM_CODE_MAX + 1];
    char batch[PL_BATCH_ID_MAX + 1];
} pl_xmd_t;

/* Writes (or replaces) rule x->id (either kind): PL_EINVAL for a field out
 * of bounds (a markdown's pct_off_bp outside 1..9999, a best-before rule's
 * days or pct_off_bp not 0, an unknown kind). */
int pl_xmd_put(pl_txn_t *txn, const pl_xmd_t *x);
/* Every rule in id order (none on a catalogue without the database); a
 * rule that does not decode stops the walk with its code. */
int pl_xmd_each(pl_txn_t *txn, int (*fn)(const pl_xmd_t *x, void *arg), void *arg);

/* Is there any recall at all (lifted ones included)? 1, 0 or a catalogue
 * error. Cheap: lets a lookup skip the walk in a catalogue without any. */
int pl_recall_any(pl_txn_t *txn);
/* Does recall r stop a pack of lot `lot` scanned under gtin at `now`?
 * 1 or 0. Pure. */
int pl_recall_matches(const pl_recall_t *r, const char *gtin, const char *lot, int64_t now);

/* Items of a promotion, in the order they were written: PL_ENOTFOUND (no
 * such promotion), PL_EVERSION, PL_ECORRUPT. */
int pl_promo_items(pl_txn_t *txn, const char *id, int (*fn)(const char *sku, void *arg),
                   void *arg);

/* ---- shelf labels --------------------------------------------------------- */

typedef struct pl_label {
    char sku[PL_ITEM_CODE_MAX + 1];
    char scope[PL_SCOPE_MAX + 1]; /* "" (chain), zone or store */
    int64_t price;                /* price printed on the shelf label now */
    int64_t printed_at;
    /* The label's second step: the job that printed it (0: none, as for a
     * label of an import), that job's due instant (PL_TIME_NONE: none) and
     * when the label was confirmed on the shelf (PL_TIME_NONE: printed, not
     * yet placed). A record written before placements were kept decodes as
     * placed when printed. */
    uint64_t job;
    int64_t due;
    int64_t placed_at;
} pl_label_t;

/* A job is pending until printed (acked); a printed job is placed once the
 * label is confirmed on the shelf (placed_at set, state stays acked). */
enum pl_job_state { PL_JOB_PENDING = 0, PL_JOB_ACKED = 1, PL_JOB_SUPERSEDED = 2 };

typedef struct pl_label_job {
    uint64_t id;
    uint8_t state;                /* pl_job_state */
    uint8_t level;                /* scope level of the label: base/zone/store */
    char scope[PL_SCOPE_MAX + 1];
    char sku[PL_ITEM_CODE_MAX + 1];
    char gtin[15];                /* primary barcode */
    char name[PL_NAME_MAX + 1];
    int64_t price;                /* price to print */
    int64_t unit_price;           /* per kg / per 100 g, or PL_PRICE_NONE */
    char unit_basis[8];           /* "kg", "100g", "l", "100ml", "" */
    char promo_text[PL_PROMO_TEXT_MAX + 1];
    int64_t promo_ends;           /* PL_TIME_NONE */
    int64_t old_price;            /* label price before, PL_PRICE_NONE */
    int64_t due;                  /* when the new label must be on the shelf */
    char reason[24];              /* "price","scheduled","promo_start","promo_end","name","pack_qty"... */
    char batch[PL_BATCH_ID_MAX + 1];
    int64_t acked_at;  /* printed; PL_TIME_NONE while pending */
    int64_t placed_at; /* on the shelf; PL_TIME_NONE until then (and in older records) */
} pl_label_job_t;

/* The label record of (sku, scope): 0, PL_ENOTFOUND (no label printed for
 * that scope yet), PL_EINVAL (sku or scope too long for a key),
 * PL_EVERSION, PL_ECORRUPT. put creates or replaces it: 0, PL_EINVAL (sku
 * or scope too long for a key), or a write error. */
int pl_label_get(pl_txn_t *txn, const char *sku, const char *scope, pl_label_t *lb);
int pl_label_put(pl_txn_t *txn, const pl_label_t *lb);
/* Every label record of an item (all scopes, in scope order). PL_EINVAL for a
 * sku too long for a key; a record that does not decode stops the walk. */
int pl_label_each(pl_txn_t *txn, const char *sku, int (*fn)(const pl_label_t *lb, void *arg),
                  void *arg);

/* Adds a job as pending: assigns job->id (the next id; the counter, kept in
 * meta, is written at commit, so ids are never reused), sets job->state and
 * job->acked_at, and indexes it under the item while pending. 0; PL_EINVAL
 * (a record that does not fit its encoding: the id is spent); the meta
 * counter missing or not decoding (sticky); or a write error. */
int pl_job_add(pl_txn_t *txn, pl_label_job_t *job);
/* A job by id: 0, PL_ENOTFOUND, PL_EVERSION, PL_ECORRUPT. */
int pl_job_get(pl_txn_t *txn, uint64_t id, pl_label_job_t *job);
/* Marks a pending job printed at `now`: the label record of (sku, scope)
 * takes the job's price. 0; PL_ENOTFOUND (unknown id); PL_EDONE (acked or
 * superseded before: nothing written); PL_ECORRUPT (the item's pending
 * index lacked it: sticky); or a write error. */
int pl_job_ack(pl_txn_t *txn, uint64_t id, int64_t now);
/* Marks a job's label placed on the shelf at `now`: the job's placed_at,
 * and the label record of (sku, scope) when this job printed it. A pending
 * job is printed and placed at once (an electronic label has no printing
 * step). 0; PL_ENOTFOUND (unknown id); PL_EDONE (placed before, or
 * superseded: nothing written); PL_ECORRUPT (sticky, as for ack); or a
 * write error. */
int pl_job_place(pl_txn_t *txn, uint64_t id, int64_t now);
/* Withdraws a pending job that a later change made obsolete (another job
 * now says what the label must show). 0, PL_ENOTFOUND, PL_EDONE (not
 * pending: nothing written), PL_ECORRUPT (sticky, as for ack), or a write
 * error. */
int pl_job_supersede(pl_txn_t *txn, uint64_t id);
/* All jobs in id order (pending_only: skip acked and superseded). A record
 * that does not decode stops the walk (PL_ECORRUPT, PL_EVERSION). */
int pl_job_each(pl_txn_t *txn, int pending_only, int (*fn)(const pl_label_job_t *j, void *arg),
                void *arg);
/* Every job of one item, whatever its state (printed, placed, superseded),
 * in id order: a walk of the whole queue (no index keeps jobs once
 * printed) that decodes only the item's records. For reports after the
 * fact, never for a lookup. Errors as pl_job_each. */
int pl_job_each_ever_for_item(pl_txn_t *txn, const char *sku,
                              int (*fn)(const pl_label_job_t *j, void *arg), void *arg);
/* Pending jobs of one item, in id order. PL_ECORRUPT when the index names a
 * job that is gone. */
int pl_job_each_for_item(pl_txn_t *txn, const char *sku,
                         int (*fn)(const pl_label_job_t *j, void *arg), void *arg);

/* ---- item records -----------------------------------------------------------
 * What a lookup reads of an item, in one record per item (database
 * itemrecs), so that a lookup reads one record instead of walking six
 * databases: the item, its first GTIN, and the rows pl_price_each,
 * pl_promo_each_for_item, pl_label_each and pl_job_each_for_item give, less
 * the ones no lookup at or after the record's instant can read (a price row
 * followed in its level and scope by another one that started more than
 * PL_HISTORY_WINDOW before that instant; a promotion over by then). Every
 * write transaction rewrites, at commit, the records of the items its writes
 * touched (the same hooks as the change log), and all of them when it was
 * written around the hooks (pl_txn_touch_all) or the records were not
 * current (a catalogue last written by a version without them). Meta key
 * "recs" holds the state the records are current for: a reader uses them
 * only while it equals the catalogue's state. */
#define PL_HISTORY_WINDOW (7 * 86400) /* how far back a lookup reads (low_7d) */
/* A record leaves out rows as of this long before it was written, and then
 * serves lookups from that instant on (one that left nothing out serves
 * every instant). */
#define PL_ITEM_REC_BACK (31 * 86400)

/* The callbacks of pl_item_rows: as those of the walks above, with only the
 * fields a lookup reads (prices: level, scope, start, price, scheduled;
 * promotions: all but text and batch; labels: all but sku, which is "";
 * jobs: scope, due). Any may be NULL. */
typedef struct pl_item_rows_fn {
    int (*price)(const pl_price_t *p, void *arg);
    int (*promo)(const pl_promo_t *pr, void *arg);
    int (*label)(const pl_label_t *lb, void *arg);
    int (*job)(const pl_label_job_t *j, void *arg);
    void *arg;
} pl_item_rows_fn_t;

/* From the record of sku, for a lookup at now: fills *it and gtin (the
 * first 14-digit barcode key of the item, or ""), then calls fn's callbacks
 * with the rows in the order of the walks. Returns 0; 1 when no record
 * serves (a write transaction, records not current or not kept, no record,
 * an item too big for one, now before the record's instant): read the rows
 * instead; PL_ECORRUPT / PL_EVERSION for a record that does not decode; or a
 * callback's non-zero return. */
int pl_item_rows(pl_txn_t *txn, const char *sku, int64_t now, pl_item_t *it, char gtin[15],
                 const pl_item_rows_fn_t *fn);

/* pl_item_rows for the item a barcode key (pl_barcode_key) leads to, from
 * the barcode's own record (one descent, no barcodes lookup first). sku
 * (PL_ITEM_CODE_MAX + 1 bytes) receives the item's code whenever the
 * barcode's record names it, also when 1 is returned, and is "" otherwise.
 * Returns 0; 1 when no record serves: read the item's rows (sku set), or,
 * when sku is "", find the barcode's item in the barcodes database (no
 * record: an unknown barcode, or records not current or kept);
 * PL_ECORRUPT / PL_EVERSION for a record that does not decode; or a
 * callback's non-zero return. */
int pl_code_rows(pl_txn_t *txn, const char *key, int64_t now, char *sku, pl_item_t *it,
                 char gtin[15], const pl_item_rows_fn_t *fn);

/* ---- batch ledger --------------------------------------------------------- */

#define PL_BATCH_REASON_MAX 23
typedef struct pl_batch_rec {
    char id[PL_BATCH_ID_MAX + 1];
    char digest[33];   /* XXH3-128 of the batch content, hex */
    int64_t applied_at;
    uint64_t rows;
    uint64_t gen;      /* generation the batch committed as */
    /* Why the batch was sent ("correction": it corrects prices keyed
     * wrongly before), "" none. Records written before reasons were kept
     * decode with "". */
    char reason[PL_BATCH_REASON_MAX + 1];
} pl_batch_rec_t;

/* The ledger record of batch id: 0, PL_ENOTFOUND (never applied),
 * PL_EVERSION, PL_ECORRUPT. put records a batch (in the batch's own
 * transaction, after pl_meta_bump), replacing a record of the same id: 0,
 * PL_EINVAL (an empty id), or a write error. each: every record in id
 * order; a record that does not decode stops the walk. */
int pl_batch_get(pl_txn_t *txn, const char *id, pl_batch_rec_t *b);
int pl_batch_put(pl_txn_t *txn, const pl_batch_rec_t *b);
int pl_batch_each(pl_txn_t *txn, int (*fn)(const pl_batch_rec_t *b, void *arg), void *arg);
