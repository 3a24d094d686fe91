/* Shared-memory answer cache.
 *
 * One file-backed segment (normally under /dev/shm) mapped by every server
 * process on the host; it survives a server restart. Only derived data lives
 * here: any entry may vanish at any moment, and a segment whose header does
 * not match (magic, layout version, slot size/count, catalogue id) or fails
 * its header checksum is re-initialized, never trusted.
 *
 * Layout: header page, then `nslots` fixed-size slots in buckets of 8,
 * open addressing, key hashed with XXH3-64. Each slot starts with a sequence
 * word: a writer CASes it from even to odd, writes, then stores it even + 2;
 * a reader copies the slot and re-checks the word (seqlock). No lock is ever
 * held; a reader that races a writer sees a miss, never torn data.
 * Entries carry the price generation they were built from; a get with another
 * generation is a miss. All functions are safe to call from any thread and
 * any process sharing the segment.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct pl_cache pl_cache_t;

#define PL_CACHE_KEY_MAX 72 /* bytes of key per slot */
#define PL_CACHE_SLOT_SIZE 1024 /* bytes per slot incl. header and key */

typedef struct pl_cache_stats {
    uint64_t hits, misses, inserts, evictions, races, too_big, reinits;
    uint64_t nslots;
} pl_cache_stats_t;

/* Maps (creating or resizing as needed) the segment at `path` with room for
 * about `bytes` bytes of slots, for catalogue `catalog_id`. If the existing
 * file's header does not match, it is re-initialized (counted in reinits).
 * Returns 0 and *out, or -errno. */
int pl_cache_open(const char *path, size_t bytes, uint64_t catalog_id, pl_cache_t **out);

/* Unmaps; the segment file stays. NULL is a no-op. */
void pl_cache_close(pl_cache_t *c);

/* Copies the value stored for key[0..klen) with generation `gen` into
 * val[0..cap) and its length into *vlen. Returns 0 on a hit; PL_ENOTFOUND on a
 * miss (absent, other generation, concurrent write, or value > cap). */
int pl_cache_get(pl_cache_t *c, const void *key, size_t klen, uint64_t gen, void *val, size_t cap,
                 size_t *vlen);

/* Stores a value for key with generation `gen`, replacing an entry with the
 * same key or evicting the oldest-generation/least-recent slot of the bucket.
 * Returns 0, PL_ETOOBIG (key or value does not fit a slot), or PL_EBUSY (every
 * candidate slot was being written by someone else; nothing stored). */
int pl_cache_put(pl_cache_t *c, const void *key, size_t klen, uint64_t gen, const void *val,
                 size_t vlen);

/* Largest value a slot holds. */
size_t pl_cache_value_max(void);

/* Counters of this process's handle (hits/misses/... are per handle, so each
 * worker may own one handle on the same segment); nslots of the segment. */
void pl_cache_stats(const pl_cache_t *c, pl_cache_stats_t *st);
