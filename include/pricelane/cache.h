/* Shared-memory answer cache.
 *
 * One file-backed segment (normally under /dev/shm) mapped by every server
 * process on the host; it survives a server restart. Only derived data lives
 * here: any entry may vanish at any moment, and a segment whose header does
 * not match (magic, layout version, slot size/count, key size, catalogue id),
 * whose size is wrong, or which fails its header checksum is re-initialized,
 * never trusted.
 *
 * Re-initialization never rewrites or shrinks a file that others may map: a
 * new segment is built beside it and renamed over the path. A process still
 * mapping the old file keeps a valid but private (orphaned) cache until it
 * reopens. Opens serialize on flock(2) of the segment file; gets and puts
 * take no lock.
 *
 * Layout: header page, then `nslots` fixed-size slots in buckets of 8,
 * open addressing, key hashed with XXH3-64 under the segment's own seed
 * (drawn when the segment is made, kept in its header). Each slot starts with a sequence
 * word: a writer CASes it from even to odd, writes, then stores it even + 2;
 * a reader copies the slot and re-checks the word (seqlock). No lock is ever
 * held; a reader that races a writer sees a miss, never torn data.
 * Entries carry a 64-bit tag, the catalogue state they were built from
 * (pl_meta_t.state, never the generation number alone: a restored catalogue
 * repeats generation numbers); a get with another tag is a miss, and
 * pl_cache_get_any leaves the judgement of the tag to the caller. Each
 * value carries a checksum (bound to its key and tag): an entry whose bytes
 * were changed behind the cache's back is a miss, never a hit. All functions are safe to call from
 * any thread and any process sharing the segment.
 *
 * Caveats: a process killed in the middle of a put leaves that one slot
 * marked as being written until the segment is re-initialized (its bucket
 * has one slot less; lookups stay correct). Two puts of the same new key
 * racing may store it in two slots; gets then find either, both valid.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct pl_cache pl_cache_t;

#define PL_CACHE_KEY_MAX 72     /* bytes of key per slot */
#define PL_CACHE_SLOT_SIZE 1024 /* bytes per slot incl. header and key */

typedef struct pl_cache_stats {
    uint64_t hits, misses, inserts, evictions, races, too_big, reinits;
    uint64_t answer_hits, answer_misses, answer_inserts; /* pl_cache_answer_* */
    uint64_t nslots;
} pl_cache_stats_t;

/* Maps (creating or resizing as needed) the segment at `path` with room for
 * about `bytes` bytes of slots, for catalogue `catalog_id`. The slot count is
 * bytes / PL_CACHE_SLOT_SIZE rounded down to whole buckets of 8, at least one
 * bucket; the file is 4096 + nslots * PL_CACHE_SLOT_SIZE bytes, all reserved
 * at creation (a full /dev/shm fails here with -ENOSPC, never later). A new
 * file is created mode 0600; the directory must exist. If an existing
 * non-empty file does not match, it is re-initialized (reinits = 1 on this
 * handle). Returns 0 and *out, or -errno (-EINVAL for a NULL path). */
int pl_cache_open(const char *path, size_t bytes, uint64_t catalog_id, pl_cache_t **out);

/* Unmaps and frees the handle; the segment file stays. NULL is a no-op.
 * Stops the mapper below first (within one 2 MiB step). */
void pl_cache_close(pl_cache_t *c);

/* Maps the whole segment into the process ahead of its lookups, from a
 * thread of the scheduler's idle class (it runs only on a CPU with nothing
 * else to run; where that class is refused, it does nothing): after a
 * restart the segment is full of views and answers, and the page fault
 * (and, on a virtual machine that shadows page tables, the first touch) of
 * each slot a lookup reaches cost several times the lookup. Nothing is
 * allocated (the file is reserved at creation). Returns 0, or -errno when
 * the thread cannot start (the lookups then map what they use, as before).
 * pl_cache_mapped_ahead: the bytes mapped so far (for stats and tests). */
int pl_cache_map_ahead_start(pl_cache_t *c);
uint64_t pl_cache_mapped_ahead(const pl_cache_t *c);

/* Copies the value stored for key[0..klen) with tag `tag` into
 * val[0..cap) and its length into *vlen. Returns 0 on a hit; PL_ENOTFOUND on a
 * miss (absent, other tag, concurrent write, value > cap, or klen >
 * PL_CACHE_KEY_MAX); *vlen is untouched on a miss, val[0..cap) may have
 * been written (the value is copied as it is checked). */
int pl_cache_get(pl_cache_t *c, const void *key, size_t klen, uint64_t tag, void *val, size_t cap,
                 size_t *vlen);

/* As pl_cache_get, but for an entry of any tag, whose tag goes to *tag (on
 * a hit only): for callers that decide themselves which tags are still
 * good (a view built at an older generation that no later batch touched). */
int pl_cache_get_any(pl_cache_t *c, const void *key, size_t klen, uint64_t *tag, void *val,
                     size_t cap, size_t *vlen);

/* Stores a value for key with tag `tag`, replacing an entry with the
 * same key (whatever its tag), else taking an empty slot, else
 * evicting an entry of another tag first, and among those the
 * one stored longest ago (gets do not refresh an entry). Returns 0,
 * PL_ETOOBIG (klen > PL_CACHE_KEY_MAX or vlen > pl_cache_value_max()), or
 * PL_EBUSY (every candidate slot was being written by someone else; nothing
 * stored). */
int pl_cache_put(pl_cache_t *c, const void *key, size_t klen, uint64_t tag, const void *val,
                 size_t vlen);

/* As pl_cache_get_any and pl_cache_put, for a finished answer (the
 * resolver's, keyed apart from views): the same slots, counted in
 * answer_hits, answer_misses and answer_inserts instead, so the views'
 * counters keep saying how often an answer had to be evaluated. */
int pl_cache_answer_get(pl_cache_t *c, const void *key, size_t klen, uint64_t *tag, void *val,
                        size_t cap, size_t *vlen);
int pl_cache_answer_put(pl_cache_t *c, const void *key, size_t klen, uint64_t tag, const void *val,
                        size_t vlen);
/* Largest value a slot holds: PL_CACHE_SLOT_SIZE less 40 bytes of slot
 * header and PL_CACHE_KEY_MAX rounded up to 8 (912 bytes for a 72-byte key). */
size_t pl_cache_value_max(void);

/* Counters of this process's handle (hits/misses/... are per handle, so each
 * worker may own one handle on the same segment); nslots of the segment.
 * misses counts every get that was not a hit; races, the gets among them
 * that met a slot being written, plus puts that returned PL_EBUSY; too_big,
 * puts refused with PL_ETOOBIG; evictions, puts that replaced another key.
 * Counters are exact while one thread at a time uses the handle, and may
 * lose counts (never corrupt anything) when threads share it. */
void pl_cache_stats(const pl_cache_t *c, pl_cache_stats_t *st);
