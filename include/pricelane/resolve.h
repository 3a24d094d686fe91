/* resolve: from a scanned code to the answer a lane needs.
 *
 * A resolver is per worker (never shared between threads). It holds one
 * LMDB read transaction, its snapshot of the catalogue, and an optional
 * handle on the shared-memory cache.
 *
 * The snapshot rule (DESIGN principle 1), decided in pl_resolver_snapshot()
 * alone: a lookup reads the snapshot held; the first lookup after
 * pl_resolver_stale() or pl_resolver_release() (or the first ever) takes a
 * new one. A server marks the snapshot stale whenever requests may have
 * arrived after it was taken (at the start of each batch of completions;
 * after each read when reads come one at a time) and releases it before it
 * waits idle (a held read transaction blocks page reuse). So a request is
 * never answered from a snapshot taken before it arrived, and a batch of
 * requests costs one snapshot.
 *
 * Freshness: a request answered after a snapshot was taken sees every batch
 * committed before it. Time windows (promotions, scheduled prices) are
 * evaluated per request against `now`, after the cache, so they switch at
 * their instant with no loader run. Cached views and memoized answers are
 * tagged with the generation and catalogue state (pl_meta_t.state) they were
 * built from; each snapshot follows the catalogue's change log (catalog.h)
 * and keeps an entry only while no batch since touched the item or barcode
 * it read, in the same history (core/track.h), so a batch drops the answers
 * of what it touched and a restored catalogue never meets an answer of the
 * history it replaced.
 *
 * Ownership and threads: the catalogue and the cache stay the caller's and
 * must outlive every resolver on them. A resolver is used by one thread at a
 * time. Opened without no_tls, the catalogue ties a read transaction to a
 * thread (catalog.h): the resolver then stays on one thread, and that thread
 * holds no other read transaction while the resolver's is active; with
 * no_tls (as pricelaned opens it) a resolver may move between threads
 * between calls. An answer (pl_answer_t) is plain data: its strings are
 * copies and source a static string, so it stays valid after the resolver
 * refreshes, releases or is freed, and any thread may read it.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/barcode.h"
#include "pricelane/catalog.h"
#include "pricelane/gs1.h"

typedef enum pl_status {
    PL_ANS_OK = 0,
    PL_ANS_NOT_FOUND = 1,
    PL_ANS_BAD_CODE = 2,
    PL_ANS_ERROR = 3,    /* the catalogue could not be read, or no such store: error[] says why */
    PL_ANS_NO_PRICE = 4, /* the item exists but has no price in force now */
    PL_ANS_BLOCKED = 5,  /* the pack scanned must not be sold: reason says why */
} pl_status_t;

/* Lookup flags (the `member` argument of pl_resolve and pl_lookup_json; 0
 * and 1 keep their meaning). */
#define PL_LOOKUP_MEMBER 1u      /* a member's request: member prices apply */
#define PL_LOOKUP_BEST_BEFORE 2u /* a best-before date (AI 15) in the past blocks the pack */

#define PL_TIME_NONE INT64_MIN  /* an absent instant (JSON null) */
#define PL_PRICE_NONE INT64_MIN /* an absent price (JSON null) */

/* A shelf label's step outstanding now ("label_step"): none, the reprint
 * (printing: label_pending), or putting the printed label on the shelf. */
typedef enum pl_label_step {
    PL_LABEL_STEP_NONE = 0,
    PL_LABEL_STEP_PRINT = 1,
    PL_LABEL_STEP_PLACE = 2,
} pl_label_step_t;

/* The answer. Prices are integers in minor units; instants are seconds since
 * the Unix epoch (printed as RFC 3339 with the catalogue's UTC offset). */
typedef struct pl_answer {
    pl_status_t status;
    char code[PL_CODE_ECHO_MAX + 1]; /* the code as given (trimmed, cut at PL_CODE_ECHO_MAX) */
    char gtin[15]; /* normalized GTIN-14; a keyed code: the item's first barcode; else "" (null) */
    char sku[PL_ITEM_CODE_MAX + 1];
    char name[PL_NAME_MAX + 1];
    char unit[PL_UNIT_MAX + 1];
    uint32_t pack_qty;
    int64_t base_price; /* base (chain) price in force now */
    int64_t price;      /* what to charge now */
    /* "base","zone","store","scheduled", "embedded" or a promotion kind
     * (pl_promo_kind_name): a static string (never freed, valid for the life
     * of the process). NULL unless status is PL_ANS_OK. */
    const char *source;
    char promo_id[PL_PROMO_ID_MAX + 1];
    int64_t promo_ends;      /* PL_TIME_NONE when no promotion applies */
    int64_t label_price;     /* what the shelf label shows now */
    int label_pending;       /* a reprint is due or overdue */
    int label_step;          /* pl_label_step_t: the step of the label outstanding now */
    int64_t prev_price;      /* PL_PRICE_NONE when the price never changed */
    int64_t prev_changed_at; /* PL_TIME_NONE likewise */
    int64_t low_7d;          /* lowest price charged in [now-7d, now) */
    uint64_t gen;            /* price generation the answer was built from */
    /* Variable-measure codes only (measure != PL_MEASURE_NONE). */
    pl_measure_t measure;
    int64_t amount;     /* embedded weight (g), count, or price */
    int64_t unit_price; /* price per kg (weight), per piece (count) */
    char error[128];    /* every status but PL_ANS_OK: why ("" for PL_ANS_OK) */
    /* PL_ANS_BLOCKED: "recalled" (a recall of the scanned lot is in force:
     * error[] holds its text), "expired" (AI 17 or 7003 before now) or
     * "best_before" (AI 15 before now, with PL_LOOKUP_BEST_BEFORE); a static
     * string. NULL for every other status. */
    const char *reason;
    /* Not encoded: the answer stays the same for every instant in [now,
     * valid_until) of the same generation (INT64_MAX: until the generation
     * changes; PL_TIME_NONE: not even that, as for a catalogue error). */
    int64_t valid_until;
    /* The GS1 data of the code (a 2D code, GS1-128, DataBar, a Digital
     * Link): gs1.form is PL_GS1_PLAIN for any other code, and then nothing
     * else of it is set. Encoded as the answer's GS1 fields. Last, so
     * that an answer for a plain code never clears it. */
    pl_gs1_t gs1;
} pl_answer_t;

typedef struct pl_resolver pl_resolver_t;
typedef struct pl_cache pl_cache_t;

/* Creates a resolver on an open catalogue, with an optional cache (NULL: no
 * cache; the answers are byte-identical either way). Returns 0 and *out
 * (freed with pl_resolver_free), or -ENOMEM. */
int pl_resolver_new(pl_cat_t *cat, pl_cache_t *cache, pl_resolver_t **out);
/* Whether pl_lookup_json also keeps found items' finished answers in the
 * shared cache and takes them from there after a memo miss (off when the
 * resolver is made; docs/architecture.md "Finished answers in the shared
 * cache"). No effect without a cache. */
void pl_resolver_share_answers(pl_resolver_t *r, int on);
/* Ends the resolver's read transaction and frees it (NULL: nothing); the
 * catalogue and the cache stay open. */
void pl_resolver_free(pl_resolver_t *r);

/* Takes a new snapshot now: starts (or renews) the read transaction and
 * reads the price generation, the catalogue state and the store table if
 * the state changed. For tools that read at one moment; a server lets
 * lookups take it (pl_resolver_snapshot).
 * Returns 0 or a negative code (lookups then answer PL_ANS_ERROR and the
 * next one tries again). */
int pl_resolver_refresh(pl_resolver_t *r);

/* The snapshot rule (top of this file): takes a new snapshot when none is
 * held or the one held is stale; every lookup calls it first. Returns 0
 * when the snapshot held is kept, 1 when a new one was taken, or the
 * negative code pl_resolver_refresh returned. */
int pl_resolver_snapshot(pl_resolver_t *r);

/* Requests may have arrived since the snapshot was taken: the next lookup
 * takes a new one. Cheap (no system call); the transaction is kept until
 * then. */
void pl_resolver_stale(pl_resolver_t *r);

/* Ends the read transaction (before an idle wait); the next lookup takes a
 * new snapshot. Cheap; idempotent. */
void pl_resolver_release(pl_resolver_t *r);

/* Generation of the current snapshot (0 before the first refresh). */
uint64_t pl_resolver_gen(const pl_resolver_t *r);

/* Counters of the resolver's change tracker since it was made: generations
 * followed through the change log (cached answers of untouched items kept)
 * and flushes (every cached answer dropped: the first snapshot, a wide
 * change, a restore, a gap in the log). */
void pl_resolver_changes(const pl_resolver_t *r, uint64_t *followed, uint64_t *flushes);

/* Resolves code[0..len) for store (NUL-terminated; "" or NULL = chain-wide
 * base prices and chain-wide promotions) at instant `now` (seconds since the
 * epoch), as a member or not (member: PL_LOOKUP_* flags).
 * GS1 data (gs1.h) is looked up by its GTIN (AI 01) and then applied to the
 * answer at `now`: a recall of the item whose lot matches the scanned lot
 * (AI 10) is PL_ANS_BLOCKED "recalled"; an expiry (AI 17: the pack expires at the end of that
 * day in the catalogue's offset; AI 7003: at that minute) before now is
 * PL_ANS_BLOCKED "expired", a best-before (AI 15) likewise with
 * PL_LOOKUP_BEST_BEFORE; a net weight (310n) is charged like a scale
 * label's weight; an amount payable (392n, 393n in the catalogue's
 * currency) is the price (source "embedded"), an amount in another
 * currency is PL_ANS_BAD_CODE. The answer's valid_until then ends no later
 * than the expiry, the best-before, and the next new year in the
 * catalogue's offset (the century of a YYMMDD date depends on the year). Always fills *ans (status
 * says how it went, error[] why). Returns 0 for an answer of any other status than PL_ANS_ERROR
 * (ok, not_found, bad_code, no_price); with PL_ANS_ERROR, PL_ENOTFOUND for an unknown store, or the
 * negative code of the catalogue read that failed. store and code are only read during the call;
 * code need not be NUL-terminated. Reads the snapshot pl_resolver_snapshot() holds or takes. */
int pl_resolve(pl_resolver_t *r, const char *store, const char *code, size_t len, int64_t now,
               int member, pl_answer_t *ans);

/* The JSON answer (pl_answer_json) to a lookup, from the memo when it holds
 * one for this catalogue state and instant, else resolved, encoded into
 * scratch[0..cap) and memoized. memo may be NULL; else it is this thread's
 * own (memo.h). Returns the answer's *out_len bytes (in scratch, or in the
 * memo: valid until its next put, such as the next pl_lookup_json with it;
 * no NUL after them is promised) and *status; NULL when the answer does not
 * fit scratch (*status is set, *out_len is not). A catalogue error or an
 * unknown store is an answer of status PL_ANS_ERROR, never memoized. */
typedef struct pl_memo pl_memo_t;
const char *pl_lookup_json(pl_resolver_t *r, pl_memo_t *memo, const char *store, const char *code,
                           size_t len, int64_t now, int member, char *scratch, size_t cap,
                           size_t *out_len, pl_status_t *status);

/* Normalizes code[0..len) with cfg as a lookup does: GS1 rules first; a
 * code that fails them but is made of digits and is an existing SKU is a
 * keyed item code (a cashier typed an item code of barcode length). Fills
 * the caller's *c. Returns 0, or the normalization error of
 * pl_barcode_normalize (PL_EBADCODE, PL_ECHECK) with c->error saying why; a
 * catalogue error while looking for the SKU is not returned (the GS1
 * verdict stands). */
int pl_code_normalize(pl_txn_t *txn, const pl_barcode_cfg_t *cfg, const char *code, size_t len,
                      pl_code_t *c);

/* The SKU a normalized code names (sku: PL_ITEM_CODE_MAX + 1 bytes, written
 * on success): 0, PL_ENOTFOUND (no item has this barcode or scale code),
 * PL_ECORRUPT, or another catalogue error. A keyed code is returned as is:
 * check the item exists with pl_item_get. */
int pl_code_sku(pl_txn_t *txn, const pl_code_t *c, char *sku);

/* Encodes the answer as one line of JSON (no newline) with the fixed field
 * order of docs/protocol.md. utc_offset_min: offset for RFC 3339 instants.
 * Returns the length, with a NUL after it in out (cap must exceed the
 * length), or 0 if cap is too small (out then holds a partial line).
 * a->status must be one of pl_status_t. */
size_t pl_answer_json(const pl_answer_t *a, int utc_offset_min, char *out, size_t cap);

/* Catalogue UTC offset in minutes (from meta), for pl_answer_json. */
int pl_resolver_utc_offset(const pl_resolver_t *r);
