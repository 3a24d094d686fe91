/* memo: a worker's private table of finished answers.
 *
 * The shared cache holds item views; evaluating a view and encoding the
 * answer still costs more than the rest of a request. The memo keeps the
 * encoded answer itself, keyed by exactly what the answer depends on (the
 * code as sent, the store, the member flag), tagged with what it was built
 * from (pl_memo_ver_t: the catalogue's generation and state, never the
 * generation number alone, which a restored catalogue repeats, and the
 * change-log slots of the item and barcode it read) and the interval of
 * instants [from, until) over which the evaluation cannot change (no price
 * row, promotion bound, 7-day window edge or label due instant falls inside
 * it). A get answers only while the change tracker (core/track.h) says no
 * batch since touched what the answer read, and for an instant inside that
 * interval, so a memoized answer is byte-identical to a fresh one (its "gen"
 * field is rewritten to the current generation), a batch that touches the
 * item or a promotion's start turns it into a miss at once, and a batch that
 * touches other items leaves it a hit.
 *
 * One memo per worker thread: no sharing, no lock, no atomic. Set-associative
 * (buckets of 4 entries behind one cache line of tags), fixed-size entries;
 * an answer that does not fit an entry is simply not kept. The whole table is
 * faulted in when it is made, so its memory is taken at start-up and no
 * request ever waits for a page. The table is one anonymous mapping, advised for huge pages, so
 * that a random probe costs as few TLB misses as possible.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct pl_memo pl_memo_t;
struct track;

/* What a memoized answer was built from (see above). */
typedef struct pl_memo_ver {
    uint64_t state, gen;
    uint32_t dep[2]; /* track_dep slots, TRACK_NO_DEP for none */
} pl_memo_ver_t;

#define PL_MEMO_ENTRY 512 /* bytes per entry: 48 of header, then key and answer */
#define PL_MEMO_KEY_MAX 64

typedef struct pl_memo_stats {
    uint64_t hits, misses, inserts, too_big;
    uint64_t entries;
} pl_memo_stats_t;

/* Maps a memo of about `bytes` bytes (whole buckets of 4 entries and their
 * 64-byte tag line, at least one bucket; 0 → *out = NULL,
 * the memo is off and every function below accepts NULL). Returns 0 or
 * -errno. */
int pl_memo_new(size_t bytes, pl_memo_t **out);
void pl_memo_free(pl_memo_t *m);

/* The answer stored for key[0..klen), still valid by tk (the caller's
 * change tracker, followed to its snapshot) and at now: a pointer to its
 * bytes (valid until the next put) and *len, *tag set; or NULL. */
const char *pl_memo_get(pl_memo_t *m, const void *key, size_t klen, const struct track *tk,
                        int64_t now, size_t *len, int *tag);

/* Stores an answer built from *ver, valid over [from, until); gen_at is
 * where its "gen" number starts (pl_answer_gen_at(val, len), which the
 * caller has found once for every place the answer goes; 0: none, and the
 * entry then serves its own generation only). Nothing is stored when
 * until <= from or when key and answer do not fit one entry. */
void pl_memo_put(pl_memo_t *m, const void *key, size_t klen, const struct track *tk,
                 const pl_memo_ver_t *ver, int64_t from, int64_t until, int tag, const void *val,
                 size_t len, size_t gen_at);

/* Where the "gen" number of the JSON answer json[0..len) starts (its
 * offset, never 0), or 0 when there is no such field. */
size_t pl_answer_gen_at(const char *json, size_t len);

/* Rewrites that number, at offset at, to gen, in place, within cap bytes:
 * the new length, or 0 when the field is not right before at or the longer
 * number does not fit. For an answer still exact at a later generation (the
 * memo's, the shared cache's), whose offset was found when it was stored. */
size_t pl_answer_restamp_at(char *json, size_t len, size_t cap, size_t at, uint64_t gen);

/* Forgets every entry (counters stay). */
void pl_memo_clear(pl_memo_t *m);

void pl_memo_stats(const pl_memo_t *m, pl_memo_stats_t *out);
