/* The resolver's insides, shared by its files: resolve.c (the resolver,
 * its snapshot and store table, codes, views, pl_resolve), resolve_gs1.c
 * (what a 2D code's GS1 data does to an answer: measures, dates, expiry
 * markdowns, recalls) and resolve_answer.c (finished answers: the memo and
 * the shared cache, pl_lookup_json). Not a public header. */
#pragma once
#include <stdint.h>

#include "pricelane/cache.h"
#include "pricelane/resolve.h"
#include "track.h"
#include "view.h"

typedef struct rstore {
    pl_store_t st;
    pl_barcode_cfg_t cfg;
} rstore_t;

#define DEP_KEY_MAX (1 + PL_ITEM_CODE_MAX) /* kind byte and an SKU or barcode key */
#define DEP_TOO_LONG 255                   /* deplen: a key that does not fit: never shared */
_Static_assert(PL_BARCODE_KEY_MAX <= PL_ITEM_CODE_MAX, "a barcode key fits a dependency key");

struct pl_resolver {
    pl_cat_t *cat;
    pl_cache_t *cache;
    pl_txn_t *txn;
    int active; /* a snapshot is held */
    int stale;  /* requests arrived since it was taken: the next lookup renews it */
    int read;   /* what follows was read from the committed state txn_id */
    uint64_t txn_id;
    uint64_t gen;
    uint64_t state; /* pl_meta_t.state: the tag of every cached view and memoized answer */
    int utc_offset;
    track_t tk;      /* which of them the batches since left exact */
    uint32_t dep[2]; /* the last answer's item and barcode slots (track_dep) */
    /* and the keys behind them (kind byte, then the key; length 0: none), which
     * another resolver, whose tracker hashes under another seed, needs */
    uint8_t deplen[2]; /* DEP_TOO_LONG: the answer stays in this resolver's memo */
    char depkey[2][DEP_KEY_MAX];
    uint64_t stores_epoch; /* tk.epoch the store table was read at */
    char currency[4];      /* the catalogue's (meta), for amounts in GS1 data */
    int recalls;           /* the snapshot holds recalls (else a lot needs no walk) */
    pl_xmd_t *xmd;         /* expiry markdown rules, read with the store table */
    /* today in the catalogue's offset, kept while now is in it: the local
     * day [day_from, day_to) is y-m-d of the year ending at year_to */
    int64_t day_from, day_to, year_to;
    int64_t year;
    int month, mday, day_offset;
    int yday, leap; /* today's day of the year (0: 1 January), and whether it is a leap year */
    size_t nxmd, capxmd;
    int stores_loaded;
    rstore_t *stores; /* sorted by id */
    size_t nstores, capstores;
    pl_barcode_cfg_t default_cfg;
    view_t view;
    uint8_t packbuf[PL_CACHE_SLOT_SIZE];
    uint64_t answer_format; /* the build that writes this resolver's answers (answer_format) */
    int share_answers;      /* pl_resolver_share_answers */
};

/* Sets a's status st and its error from fmt and arg; returns rc. A read
 * error (PL_ANS_ERROR) is never kept. */
int resolve_fail(pl_answer_t *a, pl_status_t st, int rc, const char *fmt, const char *arg);

/* Applies an embedded weight, count or price to a (rounded down). */
void resolve_apply_measure(const pl_code_t *c, pl_answer_t *a);

/* The day of the year (0: 1 January) of month m, day d in r's year. */
int resolve_yday(const pl_resolver_t *r, int m, int d);

/* What the GS1 data of the code does to an answer of status ok at now
 * (resolve_gs1.c); flags: pl_resolve's member flags. */
void resolve_apply_gs1(const pl_resolver_t *r, const rstore_t *st, const char *dept, unsigned flags,
                       int64_t now, pl_answer_t *a);

/* A recall of the scanned lot: 1 (the answer is blocked), 0, or a
 * catalogue error (the answer is an error). */
int resolve_check_recall(pl_resolver_t *r, int64_t now, pl_answer_t *a);

/* The identity of this build, which every finished answer this process
 * puts in the shared cache carries (resolve_answer.c). */
uint64_t resolve_answer_format(void);
