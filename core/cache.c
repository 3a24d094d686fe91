/* Shared-memory answer cache: a file-backed segment of seqlocked slots.
 *
 * Segment: a 4 KiB header page, then nslots slots of PL_CACHE_SLOT_SIZE
 * bytes, grouped in buckets of BUCKET consecutive slots. A key hashes
 * (XXH3-64) to one bucket and may live in any slot of it.
 *
 * Every slot word is a C11 atomic accessed with relaxed loads and stores,
 * ordered by the sequence word and fences (the seqlock pattern of Boehm,
 * "Can seqlocks get along with programming language memory models?"), so
 * a reader racing a writer is well defined: it may read a mix of old and new
 * words, but then it also sees the sequence word change and discards them.
 *
 * The segment is only ever replaced, never shrunk or rewritten under other
 * processes: a mismatching segment is re-initialized by building a new file
 * and renaming it over the old one, so processes that still map the old file
 * keep a valid mapping (an orphan they alone use) and never get SIGBUS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "map_ahead.h"
#include "pricelane/cache.h"
#include "pricelane/err.h"
#include "pricelane/random.h"

#define MAGIC 0x3145484341434c50ull /* "PLCACHE1" little-endian */
/* 2: a checksum of each value in its length word; 3: tagged by catalogue state;
 * 4: keys hashed with the segment's own seed (hdr_id_t.seed). The
 * checksum's function changed since (value_sum) without a new version: an entry an
 * earlier build wrote fails the check and reads as a miss that the next put of its key
 * replaces, the same as a re-initialized segment but lazily; and one that passes by
 * chance holds an intact value all the same (views carry their own format tag). */
#define LAYOUT_VERSION 4u
#define HDR_SIZE 4096u
#define BUCKET 8u
#define PREFETCH_LINES 8u /* 512 bytes: a slot's head, key and a typical view */

/* Slot layout, in 64-bit words. */
enum {
    W_SEQ = 0,   /* even: stable (0: never written); odd: being written */
    W_HASH = 1,  /* XXH3-64 of the key */
    W_TAG = 2,   /* catalogue state the value was built from (pl_meta_t.state) */
    W_STAMP = 3, /* segment clock at store time: eviction order */
    W_LEN = 4,   /* key length | value length << 16 | value checksum << 32 */
    W_KEY = 5,
    KEY_WORDS = (PL_CACHE_KEY_MAX + 7) / 8,
    W_VAL = W_KEY + KEY_WORDS,
    SLOT_WORDS = PL_CACHE_SLOT_SIZE / 8,
    VAL_WORDS = SLOT_WORDS - W_VAL,
};
#define VALUE_MAX ((size_t)VAL_WORDS * 8)

typedef struct slot {
    _Atomic uint64_t w[SLOT_WORDS];
} slot_t;

/* The part of the header that identifies the layout; checksummed. */
typedef struct hdr_id {
    uint64_t magic;
    uint32_t version;
    uint32_t slot_size;
    uint32_t key_max; /* the value offset in a slot depends on it */
    uint32_t bucket;
    uint64_t nslots;
    uint64_t catalog_id;
    uint64_t seed;     /* of the keys' hash: drawn when the segment is made */
    uint64_t checksum; /* XXH3-64 of the fields above */
} hdr_id_t;

typedef struct hdr {
    hdr_id_t id;
    char pad[64 - sizeof(hdr_id_t)];
    _Atomic uint64_t clock; /* own cache line: bumped by every put */
} hdr_t;

_Static_assert(sizeof(slot_t) == PL_CACHE_SLOT_SIZE, "slot size");
_Static_assert(PL_CACHE_SLOT_SIZE % 64 == 0, "slots are whole cache lines");
_Static_assert(PREFETCH_LINES * 64 <= PL_CACHE_SLOT_SIZE, "a get's prefetch stays in the slot");
_Static_assert(sizeof(hdr_t) <= HDR_SIZE, "header fits its page");
_Static_assert(VALUE_MAX < 65536, "value length fits 16 bits");
/* Other processes map the same words: the atomics must be plain memory. */
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
               "64-bit atomics must be lock-free");

/* Per-handle counters. Each is bumped with a relaxed load and store rather
 * than an atomic add: exact while one thread uses the handle (the normal
 * case, one handle per worker), approximate but race-free otherwise, and
 * with no locked instruction on the hot path. */
typedef struct counters {
    _Atomic uint64_t hits, misses, inserts, evictions, races, too_big, reinits;
    _Atomic uint64_t answer_hits, answer_misses, answer_inserts; /* pl_cache_answer_* */
} counters_t;

struct pl_cache {
    char *map;
    size_t maplen;
    hdr_t *hdr;
    slot_t *slots;
    uint64_t nslots, nbuckets;
    uint64_t seed; /* the segment's (hdr_id_t.seed) */
    counters_t n;
    pl_map_bg_t mapper; /* pl_cache_map_ahead_start's thread */
};

static void bump(_Atomic uint64_t *x)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

/* ThreadSanitizer does not model stand-alone fences (gcc refuses them under
 * -fsanitize=thread). In such builds the same ordering is put on the slot
 * words themselves, acquire loads and release stores: stronger, and what
 * the fences are there to provide. Normal builds keep relaxed word accesses
 * and one fence per read or write, the cheaper form on weakly ordered CPUs
 * (on x86 both compile to plain moves). */
#if defined(__SANITIZE_THREAD__)
#define SEQLOCK_NO_FENCES 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SEQLOCK_NO_FENCES 1
#endif
#endif

#ifdef SEQLOCK_NO_FENCES
#define WORD_LOAD memory_order_acquire
#define WORD_STORE memory_order_release
#define FENCE(order) ((void)0)
#else
#define WORD_LOAD memory_order_relaxed
#define WORD_STORE memory_order_relaxed
#define FENCE(order) atomic_thread_fence(order)
#endif

static uint64_t ld(slot_t *s, int i)
{
    return atomic_load_explicit(&s->w[i], WORD_LOAD);
}

static void st(slot_t *s, int i, uint64_t v)
{
    atomic_store_explicit(&s->w[i], v, WORD_STORE);
}

static size_t words(size_t bytes)
{
    return (bytes + 7) / 8;
}

/* The value's checksum, bound to its key hash and tag. The header
 * checksum cannot cover the slots (they change under other processes), and
 * a value that only looks intact would be answered from: a stray write
 * into the segment (it is a plain file, writable by its owner) could
 * change a price. A torn read never needs it: the sequence word catches
 * that first.
 *
 * It is computed over the value's words as a get copies them out, so a
 * hit reads each word once and hashes it on the way (a seeded XXH3 of the
 * copy afterwards cost about 600 instructions a hit for a 360-byte view).
 * Each pair of words, xored with keys that differ by position (a word moved
 * or two swapped changes the sum), is multiplied 64 x 64 -> 128 bits and
 * the halves folded (XXH3's 16-byte mix); the pairs' results are summed and
 * the sum, the length, key hash and tag avalanched. A change to any bit of
 * the value changes its pair's 128-bit product (unless the pair's other
 * word equals its key, which makes the product 0 whatever this one holds: a
 * 2^-64 chance for random damage), and the folded result but for a 2^-64
 * chance, so it goes unseen only where 32 bits of the result collide, as
 * with the hash before. The pairs
 * are independent, so the multiplies overlap instead of waiting on each
 * other. */
#define SUM_KEY 0x9e3779b97f4a7c15ull /* position keys: multiples of the golden ratio */

static uint64_t fold(uint64_t a, uint64_t b)
{
    unsigned __int128 p = (unsigned __int128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* One pair of words into the running sum; k is the pair's key: (j + 1) *
 * SUM_KEY for the pair at word index j (even), so the next pair's is k + 2 *
 * SUM_KEY. */
static uint64_t sum_pair(uint64_t acc, uint64_t a, uint64_t b, uint64_t k)
{
    return acc + fold(a ^ k, b ^ (k + SUM_KEY));
}

/* The 32-bit checksum stored in W_LEN from a sum of pairs. */
static uint64_t sum_end(uint64_t acc, size_t vlen, uint64_t h, uint64_t tag)
{
    uint64_t x = acc ^ h ^ (tag * 0xc2b2ae3d27d4eb4full) ^ (uint64_t)vlen;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x >> 32;
}

/* The checksum of a value held as nw zero-padded words (the writer's). */
static uint64_t value_sum(const uint64_t *w, size_t nw, size_t vlen, uint64_t h, uint64_t tag)
{
    uint64_t acc = 0, k = SUM_KEY;
    for (size_t j = 0; j < nw; j += 2, k += 2 * SUM_KEY)
        acc = sum_pair(acc, w[j], j + 1 < nw ? w[j + 1] : 0, k);
    return sum_end(acc, vlen, h, tag);
}

/* ---- segment file ----------------------------------------------------- */

static uint64_t slots_for(size_t bytes)
{
    uint64_t n = bytes / PL_CACHE_SLOT_SIZE / BUCKET * BUCKET;
    return n < BUCKET ? BUCKET : n;
}

static uint64_t id_checksum(const hdr_id_t *h)
{
    return XXH3_64bits(h, offsetof(hdr_id_t, checksum));
}

static hdr_id_t id_make(uint64_t nslots, uint64_t catalog_id, uint64_t seed)
{
    hdr_id_t h;
    memset(&h, 0, sizeof h); /* no stray padding bytes in the checksum */
    h.magic = MAGIC;
    h.version = LAYOUT_VERSION;
    h.slot_size = PL_CACHE_SLOT_SIZE;
    h.key_max = PL_CACHE_KEY_MAX;
    h.bucket = BUCKET;
    h.nslots = nslots;
    h.catalog_id = catalog_id;
    h.seed = seed;
    h.checksum = id_checksum(&h);
    return h;
}

/* Opens and locks the segment. The lock is taken on the file, and a
 * concurrent re-init may rename a new file over the path meanwhile: then
 * the lock is on an orphan, so check and start again. */
static int open_locked(const char *path)
{
    for (int tries = 0; tries < 64; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
            return -errno;
        int rc;
        while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
            ;
        if (rc < 0) {
            rc = -errno;
            close(fd);
            return rc;
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return fd;
        close(fd);
    }
    return -EAGAIN;
}

/* Whether the segment is the one wanted, whatever its seed: *seed gets the
 * file's on a match. */
static int segment_matches(int fd, size_t maplen, const hdr_id_t *want, uint64_t *seed)
{
    struct stat sb;
    hdr_id_t h;
    if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_size != maplen)
        return 0;
    if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
        return 0;
    /* want, given the file's seed, carries its own checksum: an exact
     * match also verifies the file's. */
    hdr_id_t w = id_make(want->nslots, want->catalog_id, h.seed);
    if (memcmp(&h, &w, sizeof h) != 0)
        return 0;
    *seed = h.seed;
    return 1;
}

/* Sizes a new, empty file and writes its header. The slots read as zeros
 * (sequence 0: empty). The space is reserved now: on a full tmpfs a store
 * into a sparse page would be a SIGBUS in the middle of serving, so the
 * open fails instead. */
static int segment_init(int fd, size_t maplen, const hdr_id_t *id)
{
    int rc = posix_fallocate(fd, 0, (off_t)maplen);
    if (rc)
        return -rc;
    ssize_t w = pwrite(fd, id, sizeof *id, 0);
    if (w < 0)
        return -errno;
    return w == (ssize_t)sizeof *id ? 0 : -EIO;
}

/* Builds a fresh segment beside the old one and renames it into place, the
 * old file's lock held so no other open re-initializes at the same time.
 * On success *fd is the new file (the old one closed, its lock released). */
static int segment_replace(const char *path, int *fd, size_t maplen, const hdr_id_t *id)
{
    char tmp[4096];
    struct stat sb;
    int rc, nfd;

    if (snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    unlink(tmp); /* left by a process of this pid that died mid-replace */
    nfd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (nfd < 0)
        return -errno;
    if (fstat(*fd, &sb) == 0)
        (void)fchmod(nfd, sb.st_mode & 07777); /* keep the operator's mode */
    rc = segment_init(nfd, maplen, id);
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        close(nfd);
        return rc;
    }
    flock(*fd, LOCK_UN);
    close(*fd);
    *fd = nfd;
    return 0;
}

int pl_cache_open(const char *path, size_t bytes, uint64_t catalog_id, pl_cache_t **out)
{
    int fd, rc;
    struct stat sb;

    if (!path || !out)
        return -EINVAL;
    *out = NULL;
    uint64_t nslots = slots_for(bytes);
    if (nslots > (SIZE_MAX - HDR_SIZE) / PL_CACHE_SLOT_SIZE)
        return -ENOMEM;
    size_t maplen = HDR_SIZE + (size_t)nslots * PL_CACHE_SLOT_SIZE;
    /* A new segment's seed: the keys come from the network, and a sender
     * who knew where a key lands could fill one bucket with its own. */
    hdr_id_t id = id_make(nslots, catalog_id, pl_random_u64());

    pl_cache_t *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    fd = open_locked(path);
    if (fd < 0) {
        rc = fd;
        goto free_handle;
    }
    c->seed = id.seed;
    if (!segment_matches(fd, maplen, &id, &c->seed)) {
        if (fstat(fd, &sb) < 0) {
            rc = -errno;
            goto close_fd;
        }
        /* An empty file is new: nobody maps it, so it is set up in place. */
        if (sb.st_size == 0) {
            rc = segment_init(fd, maplen, &id);
        } else {
            rc = segment_replace(path, &fd, maplen, &id);
            c->n.reinits = 1;
        }
        if (rc < 0)
            goto close_fd;
    }
    c->map = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (c->map == MAP_FAILED) {
        rc = -errno;
        goto close_fd;
    }
    /* Unlock explicitly: the mapping holds a reference to the open file,
     * so close() alone would keep the lock until munmap. */
    flock(fd, LOCK_UN);
    close(fd);
    c->maplen = maplen;
    c->hdr = (hdr_t *)c->map;
    c->slots = (slot_t *)(c->map + HDR_SIZE);
    c->nslots = nslots;
    c->nbuckets = nslots / BUCKET;
    *out = c;
    return 0;

close_fd:
    flock(fd, LOCK_UN);
    close(fd);
free_handle:
    free(c);
    return rc;
}

/* The mapper (pl_map_bg_start): the whole file, from a thread of the idle
 * class; without that class it does nothing (the workers' faults map what
 * they use). It touches the pages one fault at a time rather than asking
 * for a range to be populated: an idle-class thread may be preempted for
 * long in the middle of a call, and a populate holds the process's memory
 * map lock for all of it, which a worker's mmap or munmap (an allocation)
 * would wait for. */
int pl_cache_map_ahead_start(pl_cache_t *c)
{
    return c ? pl_map_bg_start(&c->mapper, c->map, c->maplen, -1) : -EINVAL;
}

uint64_t pl_cache_mapped_ahead(const pl_cache_t *c)
{
    return c ? pl_map_bg_done(&c->mapper) : 0;
}

void pl_cache_close(pl_cache_t *c)
{
    if (!c)
        return;
    pl_map_bg_stop(&c->mapper);
    munmap(c->map, c->maplen);
    free(c);
}

size_t pl_cache_value_max(void)
{
    return VALUE_MAX;
}

void pl_cache_stats(const pl_cache_t *c, pl_cache_stats_t *s)
{
    s->hits = atomic_load_explicit(&c->n.hits, memory_order_relaxed);
    s->misses = atomic_load_explicit(&c->n.misses, memory_order_relaxed);
    s->inserts = atomic_load_explicit(&c->n.inserts, memory_order_relaxed);
    s->evictions = atomic_load_explicit(&c->n.evictions, memory_order_relaxed);
    s->races = atomic_load_explicit(&c->n.races, memory_order_relaxed);
    s->too_big = atomic_load_explicit(&c->n.too_big, memory_order_relaxed);
    s->reinits = atomic_load_explicit(&c->n.reinits, memory_order_relaxed);
    s->answer_hits = atomic_load_explicit(&c->n.answer_hits, memory_order_relaxed);
    s->answer_misses = atomic_load_explicit(&c->n.answer_misses, memory_order_relaxed);
    s->answer_inserts = atomic_load_explicit(&c->n.answer_inserts, memory_order_relaxed);
    s->nslots = c->nslots;
}

/* ---- slots ------------------------------------------------------------ */

/* Packs bytes into whole words, the tail zero-padded, so keys compare and
 * values copy word by word. */
static void pack(uint64_t *w, const void *p, size_t n)
{
    memset(w, 0, words(n) * 8);
    if (n)
        memcpy(w, p, n);
}

static slot_t *bucket_of(const pl_cache_t *c, uint64_t h)
{
    return &c->slots[(h % c->nbuckets) * BUCKET];
}

/* The k-th slot of a bucket a key visits: each key starts at its own slot
 * (from the hash's top bits) and goes round. A put prefers empty slots in
 * this order, so a get mostly finds its key at the first slot it reads
 * rather than after reading the headers of half the bucket. */
static unsigned probe(uint64_t h, unsigned k)
{
    return ((unsigned)(h >> 61) + k) % BUCKET;
}

static int key_equal(slot_t *s, const uint64_t *kw, size_t klen)
{
    for (size_t j = 0; j < words(klen); j++)
        if (ld(s, W_KEY + (int)j) != kw[j])
            return 0;
    return 1;
}

enum read_result { R_MISS, R_HIT, R_RACE, R_TOOBIG };

/* Copies the vl bytes of value words p into val and returns their sum of
 * pairs (value_sum's, before sum_end). Whole pairs of whole words, then the
 * last one or two words (the last one maybe partial: only its value bytes
 * are copied). Not inlined: in its own frame the loop keeps everything in
 * registers (inlined into the get, the product went through the stack). */
__attribute__((noinline)) static uint64_t copy_sum(const _Atomic uint64_t *p, unsigned char *val,
                                                   size_t vl)
{
    uint64_t acc = 0, k = SUM_KEY;
    unsigned char *o = val, *end = val + vl;
    for (; end - o >= 16; p += 2, o += 16, k += 2 * SUM_KEY) {
        uint64_t a = atomic_load_explicit(p, WORD_LOAD);
        uint64_t b = atomic_load_explicit(p + 1, WORD_LOAD);
        acc = sum_pair(acc, a, b, k);
        memcpy(o, &a, 8);
        memcpy(o + 8, &b, 8);
    }
    if (o < end) {
        uint64_t w[2] = {atomic_load_explicit(p, WORD_LOAD),
                         end - o > 8 ? atomic_load_explicit(p + 1, WORD_LOAD) : 0};
        acc = sum_pair(acc, w[0], w[1], k);
        memcpy(o, w, (size_t)(end - o));
    }
    return acc;
}

/* Runs between a get's loads of a slot and its re-check of the sequence
 * word. Nothing in the product; a test compiles this file with a hook that
 * writes into the slot there, as a writer in another process could
 * (tests/unit/test_cache_torn.c). */
#ifndef SLOT_READ_HOOK
#define SLOT_READ_HOOK(s) ((void)0)
#endif

/* Seqlock read of one slot. Fields read before the re-check may be torn,
 * so they only ever turn a slot into a miss; a hit is returned only after
 * the sequence word is found unchanged and the value's checksum matches.
 * Reads the slot's value for key kw with tag *tag, or with any tag (any:
 * *tag receives the entry's), into val[0..cap): straight from the slot's
 * words, checksummed on the way; val may be written when the read turns out
 * not to be a hit. */
static int slot_read(slot_t *s, uint64_t h, const uint64_t *kw, size_t klen, uint64_t *tagp,
                     int any, unsigned char *val, size_t cap, size_t *vlen)
{
    uint64_t seq = atomic_load_explicit(&s->w[W_SEQ], memory_order_acquire);
    if (seq == 0)
        return R_MISS;
    if (seq & 1)
        return R_RACE;
    uint64_t tag = ld(s, W_TAG);
    if (ld(s, W_HASH) != h || (!any && tag != *tagp))
        return R_MISS;
    uint64_t lens = ld(s, W_LEN);
    size_t kl = lens & 0xffff, vl = (size_t)(lens >> 16 & 0xffff);
    if (kl != klen || !key_equal(s, kw, klen))
        return R_MISS;
    if (vl > VALUE_MAX)
        return R_RACE; /* only a torn (or corrupt) length can say this */
    uint64_t acc = vl <= cap ? copy_sum(&s->w[W_VAL], val, vl) : 0;
    SLOT_READ_HOOK(s);
    /* Orders the loads above before the re-check: if any of them saw a
     * writer's store, the writer's odd sequence is visible now. */
    FENCE(memory_order_acquire);
    if (atomic_load_explicit(&s->w[W_SEQ], memory_order_relaxed) != seq)
        return R_RACE;
    if (vl > cap)
        return R_TOOBIG;
    /* Untorn, so a mismatch is damage: never answered from (a put of the
     * key overwrites it). */
    if (sum_end(acc, vl, h, tag) != lens >> 32)
        return R_MISS;
    *vlen = vl;
    *tagp = tag;
    return R_HIT;
}

/* answers: counted as a finished answer's get (pl_cache_answer_get). */
static int cache_get(pl_cache_t *c, const void *key, size_t klen, uint64_t *tag, int any, void *val,
                     size_t cap, size_t *vlen, int answers)
{
    uint64_t kw[KEY_WORDS];
    int raced = 0;

    if (klen <= PL_CACHE_KEY_MAX) {
        uint64_t h = XXH3_64bits_withSeed(key, klen, c->seed);
        slot_t *b = bucket_of(c, h);
        /* The key's own slot, where a get mostly finds it: its head and the
         * value's first lines asked for at once, in parallel, rather than
         * one after another as the reads below reach them. */
        const char *first = (const char *)&b[probe(h, 0)];
        for (unsigned l = 0; l < PREFETCH_LINES; l++)
            __builtin_prefetch(first + 64 * l, 0, 3);
        pack(kw, key, klen);
        /* Every slot is looked at: a key may sit in two slots (two puts
         * racing), with different tags. */
        for (unsigned i = 0; i < BUCKET; i++) {
            int r = slot_read(&b[probe(h, i)], h, kw, klen, tag, any, val, cap, vlen);
            if (r == R_RACE)
                raced = 1;
            if (r == R_TOOBIG)
                break;
            if (r != R_HIT)
                continue;
            bump(answers ? &c->n.answer_hits : &c->n.hits);
            return 0;
        }
    }
    bump(answers ? &c->n.answer_misses : &c->n.misses);
    if (raced)
        bump(&c->n.races);
    return PL_ENOTFOUND;
}

int pl_cache_get(pl_cache_t *c, const void *key, size_t klen, uint64_t tag, void *val, size_t cap,
                 size_t *vlen)
{
    return cache_get(c, key, klen, &tag, 0, val, cap, vlen, 0);
}

int pl_cache_get_any(pl_cache_t *c, const void *key, size_t klen, uint64_t *tag, void *val,
                     size_t cap, size_t *vlen)
{
    return cache_get(c, key, klen, tag, 1, val, cap, vlen, 0);
}

int pl_cache_answer_get(pl_cache_t *c, const void *key, size_t klen, uint64_t *tag, void *val,
                        size_t cap, size_t *vlen)
{
    return cache_get(c, key, klen, tag, 1, val, cap, vlen, 1);
}

/* A slot a put may take, best first: the key's own slot, then an empty
 * one, then an entry of another catalogue state (no get can hit it any
 * more), then the entry stored longest ago. */
typedef struct cand {
    slot_t *s;
    uint64_t seq;
    int rank;    /* 0 same key, 1 empty, 2 another key (eviction) */
    int current; /* evicting: the entry is of the put's own state */
    uint64_t stamp;
} cand_t;

static int cand_before(const cand_t *a, const cand_t *b)
{
    if (a->rank != b->rank)
        return a->rank < b->rank;
    if (a->current != b->current)
        return a->current < b->current;
    return a->stamp < b->stamp;
}

/* Collects the bucket's slots that are not being written, sorted. What is
 * read here may be stale by the time of the CAS; the CAS on the observed
 * sequence makes sure the slot did not change since. */
static int candidates(slot_t *b, uint64_t h, uint64_t tag, const uint64_t *kw, size_t klen,
                      cand_t *out)
{
    int n = 0;
    for (unsigned i = 0; i < BUCKET; i++) {
        slot_t *s = &b[probe(h, i)];
        cand_t k = {s, atomic_load_explicit(&s->w[W_SEQ], memory_order_acquire), 2, 0, 0};
        if (k.seq & 1)
            continue;
        if (k.seq == 0) {
            k.rank = 1;
        } else if (ld(s, W_HASH) == h && (ld(s, W_LEN) & 0xffff) == klen &&
                   key_equal(s, kw, klen)) {
            k.rank = 0;
        } else {
            k.current = ld(s, W_TAG) == tag;
            k.stamp = ld(s, W_STAMP);
        }
        int j = n++;
        for (; j > 0 && cand_before(&k, &out[j - 1]); j--)
            out[j] = out[j - 1];
        out[j] = k;
    }
    return n;
}

static void slot_write(slot_t *s, uint64_t h, uint64_t tag, uint64_t stamp, const uint64_t *kw,
                       size_t klen, const void *val, size_t vlen)
{
    st(s, W_HASH, h);
    st(s, W_TAG, tag);
    st(s, W_STAMP, stamp);
    uint64_t vw[VAL_WORDS];
    size_t nw = words(vlen);
    pack(vw, val, vlen);
    st(s, W_LEN, (uint64_t)klen | (uint64_t)vlen << 16 | value_sum(vw, nw, vlen, h, tag) << 32);
    for (size_t j = 0; j < words(klen); j++)
        st(s, W_KEY + (int)j, kw[j]);
    for (size_t j = 0; j < nw; j++)
        st(s, W_VAL + (int)j, vw[j]);
}

static int cache_put(pl_cache_t *c, const void *key, size_t klen, uint64_t tag, const void *val,
                     size_t vlen, int answers)
{
    uint64_t kw[KEY_WORDS];
    cand_t cand[BUCKET];

    if (klen > PL_CACHE_KEY_MAX || vlen > VALUE_MAX) {
        bump(&c->n.too_big);
        return PL_ETOOBIG;
    }
    uint64_t h = XXH3_64bits_withSeed(key, klen, c->seed);
    pack(kw, key, klen);
    int n = candidates(bucket_of(c, h), h, tag, kw, klen, cand);
    for (int i = 0; i < n; i++) {
        slot_t *s = cand[i].s;
        uint64_t seq = cand[i].seq;
        /* even → odd: from here on this writer owns the slot. */
        if (!atomic_compare_exchange_strong_explicit(&s->w[W_SEQ], &seq, seq + 1,
                                                     memory_order_acquire, memory_order_relaxed))
            continue;
        /* Orders the odd sequence before the data stores: a reader that
         * sees any new word also sees the sequence change (its acquire
         * fence pairs with this one). */
        FENCE(memory_order_release);
        uint64_t stamp = atomic_fetch_add_explicit(&c->hdr->clock, 1, memory_order_relaxed);
        slot_write(s, h, tag, stamp, kw, klen, val, vlen);
        atomic_store_explicit(&s->w[W_SEQ], cand[i].seq + 2, memory_order_release);
        bump(answers ? &c->n.answer_inserts : &c->n.inserts);
        if (cand[i].rank == 2)
            bump(&c->n.evictions);
        return 0;
    }
    bump(&c->n.races);
    return PL_EBUSY;
}

int pl_cache_put(pl_cache_t *c, const void *key, size_t klen, uint64_t tag, const void *val,
                 size_t vlen)
{
    return cache_put(c, key, klen, tag, val, vlen, 0);
}

int pl_cache_answer_put(pl_cache_t *c, const void *key, size_t klen, uint64_t tag, const void *val,
                        size_t vlen)
{
    return cache_put(c, key, klen, tag, val, vlen, 1);
}
