/* track: which cached answers a reader may keep across generations.
 *
 * A reader (one per resolver) follows the catalogue's change log
 * (catalog.h): for each generation it learns the state it had and the keys
 * it changed. It keeps, for slots of a seeded hash of those keys, the last
 * generation that touched any key of the slot, and a ring of (generation,
 * state) pairs of the history it followed. An entry built from generation
 * g in state s (a memoized answer, a cached view) is still exact at the
 * current generation when
 *   - g is at least the floor (the oldest generation the reader can vouch
 *     for: a wide change, a gap in the log, or the first snapshot set it),
 *   - the ring holds state s for g (the entry comes from this very history,
 *     not from a restored or rebuilt catalogue that repeats g), and
 *   - no key the entry depends on was touched after g.
 * Slots are shared by keys whose hashes collide: a collision only drops an
 * entry that was still good, never keeps one that is not.
 *
 * Moving to a new snapshot reads the records between the generation held
 * and the new one; when they do not chain (a restore, a record dropped, a
 * generation that went back) the reader starts again from the new snapshot
 * and reads the log backwards as far as it chains, so entries built under
 * the same history (another process's, or before a restart) stay usable. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/catalog.h"

#define TRACK_SLOTS (1u << 16)
#define TRACK_RING (1u << 16)
#define TRACK_NO_DEP UINT32_MAX

typedef struct track_pair {
    uint64_t gen, state;
} track_pair_t;

typedef struct track {
    uint64_t seed;
    uint64_t gen, state; /* the snapshot followed to */
    uint64_t floor;
    uint64_t epoch; /* flushes: +1 whenever the floor moves (wide change or restart) */
    int started;
    uint64_t *slot;                     /* TRACK_SLOTS: last generation touching the slot */
    track_pair_t *ring;                 /* TRACK_RING: state of each recent generation */
    uint64_t followed; /* generations followed through the log */
} track_t;

int track_init(track_t *tk);
void track_free(track_t *tk);

/* Follows the log of txn's catalogue to its generation gen and state. Never
 * fails: anything it cannot read makes it start again at (gen, state). */
void track_update(track_t *tk, pl_txn_t *txn, uint64_t gen, uint64_t state);

/* The slot of key kind+key[0..len) ('s' SKU, 'b' barcode key). */
uint32_t track_dep(const track_t *tk, char kind, const char *key, size_t len);

/* Whether an entry built from generation gen in state state, depending on
 * the ndep slots dep (TRACK_NO_DEP entries ignored), is exact now. */
static inline int track_valid(const track_t *tk, uint64_t state, uint64_t gen, const uint32_t *dep,
                              int ndep)
{
    /* Built at the generation and state followed to: nothing since can have
     * touched it (slots hold generations up to tk->gen, the floor is at most
     * tk->gen and the ring holds tk->state for it), and the slots, spread
     * over 512 KiB, are not read: the common case of a hit between batches. */
    if (gen == tk->gen && state == tk->state)
        return 1;
    if (gen < tk->floor || gen > tk->gen)
        return 0;
    const track_pair_t *p = &tk->ring[gen & (TRACK_RING - 1)];
    if (p->gen != gen || p->state != state)
        return 0;
    for (int i = 0; i < ndep; i++)
        if (dep[i] != TRACK_NO_DEP && tk->slot[dep[i]] > gen)
            return 0;
    return 1;
}
