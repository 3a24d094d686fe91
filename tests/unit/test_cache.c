/* Unit test of the shared-memory cache (core/cache.c): put/get, tags (catalogue states),
 * overwrite, eviction, size limits, persistence and re-initialization
 * (other catalogue, corrupt or truncated segment), concurrent opens from
 * several processes, and a seqlock test where writers and readers hammer a
 * small cache and readers must never see a torn value. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include "check.h"
#include "sysprobe.h"
#include "pricelane/cache.h"
#include "pricelane/err.h"

static char dir[64];
static int npaths;

/* A fresh segment path in the test directory. */
static const char *new_path(char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/seg%d", dir, npaths++);
    return buf;
}

static int get_str(pl_cache_t *c, const char *key, uint64_t gen, char *val, size_t cap)
{
    size_t n = 0;
    int rc = pl_cache_get(c, key, strlen(key), gen, val, cap - 1, &n);
    val[rc == 0 ? n : 0] = '\0';
    return rc;
}

static int put_str(pl_cache_t *c, const char *key, uint64_t gen, const char *val)
{
    return pl_cache_put(c, key, strlen(key), gen, val, strlen(val));
}

static pl_cache_stats_t stats(pl_cache_t *c)
{
    pl_cache_stats_t s;
    pl_cache_stats(c, &s);
    return s;
}

static void test_basic(void)
{
    char path[128], v[1024];
    pl_cache_t *c;

    CHECK_INT(pl_cache_open(new_path(path, sizeof path), 64 * 1024, 1, &c), 0);
    CHECK_INT(stats(c).nslots, 64);
    CHECK_INT(stats(c).reinits, 0);

    CHECK_INT(get_str(c, "06901234567892|Z1", 5, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(put_str(c, "06901234567892|Z1", 5, "{\"price\":590}"), 0);
    CHECK_INT(get_str(c, "06901234567892|Z1", 5, v, sizeof v), 0);
    CHECK_STR(v, "{\"price\":590}");
    CHECK_INT(get_str(c, "06901234567892|Z1", 6, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(get_str(c, "06901234567892|Z1", 4, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(get_str(c, "06901234567892|Z2", 5, v, sizeof v), PL_ENOTFOUND);
    printf("put/get: hit with the same tag, miss with another or another key\n");

    /* Overwrite: same key, newer generation and value, same slot. */
    CHECK_INT(put_str(c, "06901234567892|Z1", 6, "{\"price\":490}"), 0);
    CHECK_INT(get_str(c, "06901234567892|Z1", 6, v, sizeof v), 0);
    CHECK_STR(v, "{\"price\":490}");
    CHECK_INT(get_str(c, "06901234567892|Z1", 5, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(put_str(c, "06901234567892|Z1", 6, "x"), 0);
    CHECK_INT(get_str(c, "06901234567892|Z1", 6, v, sizeof v), 0);
    CHECK_STR(v, "x");
    printf("overwrite: the newest value wins, shorter values are not padded\n");

    /* A value longer than the caller's buffer is a miss. */
    size_t n = 99;
    CHECK_INT(put_str(c, "k", 1, "0123456789"), 0);
    CHECK_INT(pl_cache_get(c, "k", 1, 1, v, 9, &n), PL_ENOTFOUND);
    CHECK_INT(pl_cache_get(c, "k", 1, 1, v, 10, &n), 0);
    CHECK_INT(n, 10);

    /* An empty key and an empty value are legal. */
    CHECK_INT(pl_cache_put(c, "", 0, 1, "", 0), 0);
    CHECK_INT(pl_cache_get(c, "", 0, 1, v, sizeof v, &n), 0);
    CHECK_INT(n, 0);

    pl_cache_stats_t s = stats(c);
    CHECK_INT(s.hits, 5);
    CHECK_INT(s.misses, 6);
    CHECK_INT(s.inserts, 5);
    CHECK_INT(s.evictions, 0);
    CHECK_INT(s.races, 0);
    pl_cache_close(c);
    pl_cache_close(NULL);
}

static void test_limits(void)
{
    char path[128], key[PL_CACHE_KEY_MAX + 2];
    static unsigned char val[PL_CACHE_SLOT_SIZE], got[PL_CACHE_SLOT_SIZE];
    pl_cache_t *c;
    size_t n, vmax = pl_cache_value_max();

    /* A slot: 5 words of sequence, hash, generation, stamp and lengths, the
     * key rounded up to whole words, then the value. */
    CHECK_INT(vmax, PL_CACHE_SLOT_SIZE - 40 - (PL_CACHE_KEY_MAX + 7) / 8 * 8);
    CHECK_INT(pl_cache_open(new_path(path, sizeof path), 0, 1, &c), 0);
    CHECK_INT(stats(c).nslots, 8); /* at least one bucket */

    for (size_t i = 0; i < sizeof val; i++)
        val[i] = (unsigned char)(i * 7 + 3);
    memset(key, 'K', sizeof key);
    CHECK_INT(pl_cache_put(c, key, PL_CACHE_KEY_MAX, 1, val, vmax), 0);
    CHECK_INT(pl_cache_get(c, key, PL_CACHE_KEY_MAX, 1, got, sizeof got, &n), 0);
    CHECK_INT(n, vmax);
    CHECK(memcmp(got, val, vmax) == 0, "largest value read back intact");
    CHECK_INT(pl_cache_put(c, key, PL_CACHE_KEY_MAX + 1, 1, val, 1), PL_ETOOBIG);
    CHECK_INT(pl_cache_put(c, key, 1, 1, val, vmax + 1), PL_ETOOBIG);
    CHECK_INT(pl_cache_get(c, key, PL_CACHE_KEY_MAX + 1, 1, got, sizeof got, &n), PL_ENOTFOUND);
    CHECK_INT(stats(c).too_big, 2);
    printf("limits: key %d bytes, value %zu bytes fit; one more is PL_ETOOBIG\n", PL_CACHE_KEY_MAX,
           vmax);

    /* Keys differing only in their last byte, or by length, are distinct. */
    CHECK_INT(pl_cache_put(c, key, PL_CACHE_KEY_MAX - 1, 1, "short", 5), 0);
    key[PL_CACHE_KEY_MAX - 1] = 'L';
    CHECK_INT(pl_cache_put(c, key, PL_CACHE_KEY_MAX, 1, "L", 1), 0);
    CHECK_INT(pl_cache_get(c, key, PL_CACHE_KEY_MAX - 1, 1, got, sizeof got, &n), 0);
    CHECK(n == 5 && memcmp(got, "short", 5) == 0, "prefix key keeps its value");
    CHECK_INT(pl_cache_get(c, key, PL_CACHE_KEY_MAX, 1, got, sizeof got, &n), 0);
    CHECK(n == 1 && got[0] == 'L', "last-byte key keeps its value");
    key[PL_CACHE_KEY_MAX - 1] = 'K';
    CHECK_INT(pl_cache_get(c, key, PL_CACHE_KEY_MAX, 1, got, sizeof got, &n), 0);
    CHECK_INT(n, vmax);
    pl_cache_close(c);
}

static void test_eviction(void)
{
    char path[128], k[16], v[64];
    pl_cache_t *c;

    /* One bucket: every key competes for the same 8 slots. */
    CHECK_INT(pl_cache_open(new_path(path, sizeof path), 8 * PL_CACHE_SLOT_SIZE, 1, &c), 0);
    CHECK_INT(stats(c).nslots, 8);
    for (int i = 0; i < 8; i++) {
        snprintf(k, sizeof k, "key%d", i);
        CHECK_INT(put_str(c, k, 2, k), 0);
    }
    int hits = 0;
    for (int i = 0; i < 8; i++) {
        snprintf(k, sizeof k, "key%d", i);
        hits += get_str(c, k, 2, v, sizeof v) == 0 && strcmp(v, k) == 0;
    }
    CHECK_INT(hits, 8);
    CHECK_INT(stats(c).evictions, 0);

    /* Full: the entry stored longest ago goes. */
    CHECK_INT(put_str(c, "key8", 2, "key8"), 0);
    CHECK_INT(stats(c).evictions, 1);
    CHECK_INT(get_str(c, "key0", 2, v, sizeof v), PL_ENOTFOUND);
    for (int i = 1; i <= 8; i++) {
        snprintf(k, sizeof k, "key%d", i);
        CHECK_INT(get_str(c, k, 2, v, sizeof v), 0);
    }

    /* An entry of another tag (catalogue state) goes first, even when stored
     * more recently: no get can hit it any more. */
    CHECK_INT(put_str(c, "key5", 1, "old"), 0); /* overwrite: no eviction */
    CHECK_INT(stats(c).evictions, 1);
    CHECK_INT(put_str(c, "key9", 2, "key9"), 0);
    CHECK_INT(stats(c).evictions, 2);
    CHECK_INT(get_str(c, "key5", 1, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(get_str(c, "key1", 2, v, sizeof v), 0);
    CHECK_INT(get_str(c, "key9", 2, v, sizeof v), 0);
    printf("eviction: a full bucket drops an entry of another tag, then the oldest store\n");
    pl_cache_close(c);
}

static void test_persistence(void)
{
    char path[128], v[64];
    pl_cache_t *c;

    new_path(path, sizeof path);
    CHECK_INT(pl_cache_open(path, 32 * 1024, 7, &c), 0);
    CHECK_INT(put_str(c, "a", 3, "kept"), 0);
    pl_cache_close(c);

    CHECK_INT(pl_cache_open(path, 32 * 1024, 7, &c), 0);
    CHECK_INT(stats(c).reinits, 0);
    CHECK_INT(get_str(c, "a", 3, v, sizeof v), 0);
    CHECK_STR(v, "kept");
    pl_cache_close(c);
    printf("persistence: same catalogue id reopens with its entries\n");

    CHECK_INT(pl_cache_open(path, 32 * 1024, 8, &c), 0);
    CHECK_INT(stats(c).reinits, 1);
    CHECK_INT(get_str(c, "a", 3, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(put_str(c, "b", 1, "new"), 0);
    pl_cache_close(c);
    CHECK_INT(pl_cache_open(path, 32 * 1024, 8, &c), 0);
    CHECK_INT(stats(c).reinits, 0);
    CHECK_INT(get_str(c, "b", 1, v, sizeof v), 0);
    pl_cache_close(c);
    printf("persistence: another catalogue id re-initializes\n");

    CHECK_INT(pl_cache_open(path, 64 * 1024, 8, &c), 0);
    CHECK_INT(stats(c).reinits, 1);
    CHECK_INT(stats(c).nslots, 64);
    CHECK_INT(get_str(c, "b", 1, v, sizeof v), PL_ENOTFOUND);
    pl_cache_close(c);
    printf("persistence: another size re-initializes\n");

    struct stat sb;
    CHECK_INT(stat(path, &sb), 0);
    CHECK_INT(sb.st_size, 4096 + 64 * PL_CACHE_SLOT_SIZE);
    CHECK_INT(sb.st_mode & 0777, 0600);
}

/* The segment header as core/cache.c lays it out, to forge bad ones. */
typedef struct hdr_id {
    uint64_t magic;
    uint32_t version;
    uint32_t slot_size;
    uint32_t key_max;
    uint32_t bucket;
    uint64_t nslots;
    uint64_t catalog_id;
    uint64_t seed;
    uint64_t checksum;
} hdr_id_t;

static void write_at(const char *path, const void *p, size_t n, off_t off)
{
    int fd = open(path, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, p, n, off) == (ssize_t)n, "write %zu bytes at %lld into %s", n,
          (long long)off, path);
    close(fd);
}

/* Fills a segment, damages it with `damage`, and checks that it reopens
 * empty, re-initialized, and fully usable. */
static void reopen_damaged(const char *what, void (*damage)(const char *path))
{
    char path[128], k[16], v[64];
    pl_cache_t *c;
    new_path(path, sizeof path);
    CHECK_INT(pl_cache_open(path, 32 * 1024, 9, &c), 0);
    CHECK_INT(put_str(c, "a", 1, "old"), 0);
    pl_cache_close(c);

    damage(path);
    CHECK_INT(pl_cache_open(path, 32 * 1024, 9, &c), 0);
    if (!c)
        return;
    CHECK_INT(stats(c).reinits, 1);
    CHECK_INT(get_str(c, "a", 1, v, sizeof v), PL_ENOTFOUND);
    /* Fill every bucket: a segment mapped past its file would fault here. */
    int ok = 0;
    for (int i = 0; i < 32; i++) {
        snprintf(k, sizeof k, "k%d", i);
        ok += put_str(c, k, 1, k) == 0 && get_str(c, k, 1, v, sizeof v) == 0;
    }
    CHECK_INT(ok, 32);
    pl_cache_close(c);
    printf("re-init: %s\n", what);
}

static void damage_random(const char *path)
{
    unsigned char junk[256];
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        junk[i] = (unsigned char)(x >> 56);
    }
    write_at(path, junk, sizeof junk, 0);
}

static void damage_version(const char *path)
{
    hdr_id_t h;
    int fd = open(path, O_RDONLY);
    CHECK(pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h, "read header");
    close(fd);
    CHECK(h.magic == 0x3145484341434c50ull && h.version == 4 && h.slot_size == PL_CACHE_SLOT_SIZE &&
              h.key_max == PL_CACHE_KEY_MAX && h.bucket == 8 && h.nslots == 32 &&
              h.catalog_id == 9 && h.checksum == XXH3_64bits(&h, offsetof(hdr_id_t, checksum)),
          "header laid out as expected");
    h.version = 5; /* a future layout, with a valid checksum */
    h.checksum = XXH3_64bits(&h, offsetof(hdr_id_t, checksum));
    write_at(path, &h, sizeof h, 0);
}

static void damage_checksum(const char *path)
{
    uint64_t bad = 12345;
    write_at(path, &bad, sizeof bad, offsetof(hdr_id_t, checksum));
}

static void damage_truncate(const char *path)
{
    CHECK_INT(truncate(path, 4096 + 16 * PL_CACHE_SLOT_SIZE), 0);
}

static void damage_tiny(const char *path)
{
    CHECK_INT(truncate(path, 7), 0);
}

static hdr_id_t header_of(const char *path)
{
    hdr_id_t h;
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h, "read header of %s", path);
    close(fd);
    return h;
}

/* Each segment hashes its keys with a seed of its own, drawn when it is
 * made and kept while it is reopened: a sender cannot work out offline
 * which codes share a bucket. */
static void test_seed(void)
{
    char p1[128], p2[128], v[16];
    pl_cache_t *c;
    new_path(p1, sizeof p1);
    new_path(p2, sizeof p2);
    CHECK_INT(pl_cache_open(p1, 32 * 1024, 9, &c), 0);
    CHECK_INT(put_str(c, "kept", 1, "yes"), 0);
    pl_cache_close(c);
    CHECK_INT(pl_cache_open(p2, 32 * 1024, 9, &c), 0);
    pl_cache_close(c);
    hdr_id_t h1 = header_of(p1), h2 = header_of(p2);
    CHECK(h1.seed != h2.seed, "two segments, two seeds");
    CHECK(h1.seed != 0 && h2.seed != 0, "seeds drawn");
    CHECK_INT(pl_cache_open(p1, 32 * 1024, 9, &c), 0);
    CHECK_INT(stats(c).reinits, 0);
    CHECK_INT(get_str(c, "kept", 1, v, sizeof v), 0);
    CHECK_STR(v, "yes");
    pl_cache_close(c);
    CHECK(header_of(p1).seed == h1.seed, "a reopened segment keeps its seed");
    /* A header whose seed was changed (checksum made right again) is
     * another segment's: still used, its entries now misses, never wrong. */
    hdr_id_t h = header_of(p1);
    h.seed ^= 1;
    h.checksum = XXH3_64bits(&h, offsetof(hdr_id_t, checksum));
    write_at(p1, &h, sizeof h, 0);
    CHECK_INT(pl_cache_open(p1, 32 * 1024, 9, &c), 0);
    CHECK_INT(get_str(c, "kept", 1, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(put_str(c, "kept", 1, "again"), 0);
    CHECK_INT(get_str(c, "kept", 1, v, sizeof v), 0);
    CHECK_STR(v, "again");
    pl_cache_close(c);
    printf("seed: per segment, kept on reopen\n");
}

static void test_corruption(void)
{
    reopen_damaged("random bytes over the header", damage_random);
    reopen_damaged("another layout version (valid checksum)", damage_version);
    reopen_damaged("wrong header checksum", damage_checksum);
    reopen_damaged("truncated to half", damage_truncate);
    reopen_damaged("truncated inside the header", damage_tiny);

    /* An existing empty file is set up as new. */
    char path[128], v[16];
    pl_cache_t *c;
    new_path(path, sizeof path);
    close(open(path, O_CREAT | O_WRONLY, 0600));
    CHECK_INT(pl_cache_open(path, 32 * 1024, 1, &c), 0);
    CHECK_INT(stats(c).reinits, 0);
    CHECK_INT(put_str(c, "a", 1, "b"), 0);
    CHECK_INT(get_str(c, "a", 1, v, sizeof v), 0);
    pl_cache_close(c);

    CHECK_INT(pl_cache_open(NULL, 1, 1, &c), -EINVAL);
    CHECK_INT(pl_cache_open("/nonexistent-dir/x", 1, 1, &c), -ENOENT);
}

/* A value changed in place (header, key and lengths intact, as a stray
 * write would leave them) is a miss, never a hit, and a put heals it. */
static void test_damaged_value(void)
{
    char path[128], v[64];
    const char *val = "price=1234;name=damaged-value-test";
    pl_cache_t *c;
    new_path(path, sizeof path);
    CHECK_INT(pl_cache_open(path, 32 * 1024, 1, &c), 0);
    if (!c)
        return;
    CHECK_INT(put_str(c, "item", 7, val), 0);
    CHECK_INT(get_str(c, "item", 7, v, sizeof v), 0);

    int fd = open(path, O_RDWR);
    struct stat sb;
    CHECK(fd >= 0 && fstat(fd, &sb) == 0, "open %s", path);
    char *buf = malloc((size_t)sb.st_size);
    off_t at = -1;
    if (buf && pread(fd, buf, (size_t)sb.st_size, 0) == sb.st_size)
        for (off_t i = 4096; i + (off_t)strlen(val) <= sb.st_size && at < 0; i++)
            if (memcmp(buf + i, val, strlen(val)) == 0)
                at = i;
    CHECK(at > 0, "the value is stored in the segment file");
    if (at > 0)
        CHECK_INT(pwrite(fd, "9", 1, at + 6), 1); /* price=1234 -> price=1294 */
    close(fd);
    free(buf);

    CHECK_INT(get_str(c, "item", 7, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(put_str(c, "item", 7, val), 0);
    CHECK_INT(get_str(c, "item", 7, v, sizeof v), 0);
    CHECK_STR(v, val);
    pl_cache_close(c);
    printf("damaged value: a miss, then replaced by a put\n");
}

/* A process still using a segment that another one replaced keeps a valid
 * (orphaned) mapping; it shares nothing with the new segment. */
static void test_orphan(void)
{
    char path[128], v[16];
    pl_cache_t *old, *newer, *again;
    new_path(path, sizeof path);
    CHECK_INT(pl_cache_open(path, 32 * 1024, 1, &old), 0);
    CHECK_INT(put_str(old, "a", 1, "old"), 0);
    CHECK_INT(pl_cache_open(path, 32 * 1024, 2, &newer), 0);
    CHECK_INT(stats(newer).reinits, 1);
    CHECK_INT(get_str(old, "a", 1, v, sizeof v), 0);
    CHECK_STR(v, "old");
    CHECK_INT(put_str(old, "b", 1, "old"), 0);
    CHECK_INT(put_str(newer, "c", 1, "new"), 0);
    CHECK_INT(get_str(newer, "a", 1, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(get_str(newer, "b", 1, v, sizeof v), PL_ENOTFOUND);
    CHECK_INT(pl_cache_open(path, 32 * 1024, 2, &again), 0);
    CHECK_INT(stats(again).reinits, 0);
    CHECK_INT(get_str(again, "c", 1, v, sizeof v), 0);
    CHECK_INT(get_str(old, "c", 1, v, sizeof v), PL_ENOTFOUND);
    pl_cache_close(old);
    pl_cache_close(newer);
    pl_cache_close(again);
    printf("orphan: a replaced segment stays usable by its old handles\n");
}

/* Several processes open the same path at once, half of them for another
 * catalogue, so opens re-initialize under each other. Each must succeed and
 * find its own writes. */
static void test_concurrent_open(void)
{
    enum { PROCS = 4, ROUNDS = 40 };
    char path[128];
    new_path(path, sizeof path);
    pid_t pids[PROCS];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            int bad = 0;
            for (int r = 0; r < ROUNDS; r++) {
                pl_cache_t *c;
                char k[32], v[32];
                if (pl_cache_open(path, 16 * 1024, (uint64_t)((p + r) % 2), &c) != 0) {
                    bad++;
                    continue;
                }
                snprintf(k, sizeof k, "p%d-r%d", p, r);
                bad += put_str(c, k, 1, k) != 0;
                bad += get_str(c, k, 1, v, sizeof v) != 0 || strcmp(k, v) != 0;
                pl_cache_close(c);
            }
            _exit(bad ? 1 : 0);
        }
    }
    int ok = 0;
    for (int p = 0; p < PROCS; p++) {
        int status;
        if (pids[p] > 0 && waitpid(pids[p], &status, 0) == pids[p] && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            ok++;
    }
    CHECK_INT(ok, PROCS);

    /* No temporary file of a re-init is left behind. */
    char tmp[160];
    int left = 0;
    for (int p = 0; p < PROCS; p++) {
        snprintf(tmp, sizeof tmp, "%s.new.%ld", path, (long)pids[p]);
        left += access(tmp, F_OK) == 0;
    }
    CHECK_INT(left, 0);
    printf("concurrent open: %d processes x %d opens, alternating catalogues\n", PROCS, ROUNDS);
}

/* ---- seqlock hammer --------------------------------------------------- */

enum { HAMMER_KEYS = 20, HAMMER_GENS = 3, HAMMER_ITERS = 150000 };

static size_t hammer_len(unsigned key, unsigned gen, size_t vmax)
{
    return 1 + (key * 37u + gen * 101u) % vmax;
}

/* Every byte of a value depends on (key, gen) and its position, so a value
 * stitched from two writes shows. */
static unsigned char hammer_byte(unsigned key, unsigned gen, size_t i)
{
    return (unsigned char)(key * 131u + gen * 17u + i * 7u + (i >> 8) + 1u);
}

static void hammer_key(char *k, unsigned key)
{
    snprintf(k, 16, "item-%02u", key);
}

typedef struct hammer {
    char path[128];
    int id;
    uint64_t ops, hits, busy, torn, errors, races;
} hammer_t;

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void *hammer_writer(void *arg)
{
    hammer_t *h = arg;
    pl_cache_t *c;
    static _Thread_local unsigned char val[PL_CACHE_SLOT_SIZE];
    size_t vmax = pl_cache_value_max();
    uint64_t x = 0x1234567ull + (uint64_t)h->id * 0x9e3779b97f4a7c15ull;
    char k[16];
    if (pl_cache_open(h->path, 16 * PL_CACHE_SLOT_SIZE, 42, &c) != 0) {
        h->errors++;
        return NULL;
    }
    for (int i = 0; i < HAMMER_ITERS; i++) {
        unsigned key = (unsigned)(rnd(&x) % HAMMER_KEYS), gen = 1 + (unsigned)(rnd(&x) % 3);
        size_t n = hammer_len(key, gen, vmax);
        for (size_t j = 0; j < n; j++)
            val[j] = hammer_byte(key, gen, j);
        hammer_key(k, key);
        int rc = pl_cache_put(c, k, strlen(k), gen, val, n);
        h->ops++;
        if (rc == PL_EBUSY)
            h->busy++;
        else if (rc != 0)
            h->errors++;
    }
    pl_cache_close(c);
    return NULL;
}

static void *hammer_reader(void *arg)
{
    hammer_t *h = arg;
    pl_cache_t *c;
    static _Thread_local unsigned char val[PL_CACHE_SLOT_SIZE];
    size_t vmax = pl_cache_value_max();
    uint64_t x = 0x7654321ull + (uint64_t)h->id * 0x9e3779b97f4a7c15ull;
    char k[16];
    if (pl_cache_open(h->path, 16 * PL_CACHE_SLOT_SIZE, 42, &c) != 0) {
        h->errors++;
        return NULL;
    }
    for (int i = 0; i < HAMMER_ITERS; i++) {
        unsigned key = (unsigned)(rnd(&x) % HAMMER_KEYS), gen = 1 + (unsigned)(rnd(&x) % 3);
        size_t n = 0;
        hammer_key(k, key);
        h->ops++;
        if (pl_cache_get(c, k, strlen(k), gen, val, sizeof val, &n) != 0)
            continue;
        h->hits++;
        int torn = n != hammer_len(key, gen, vmax);
        for (size_t j = 0; !torn && j < n; j++)
            torn = val[j] != hammer_byte(key, gen, j);
        h->torn += torn;
    }
    h->races = stats(c).races;
    pl_cache_close(c);
    return NULL;
}

static void test_hammer(void)
{
    hammer_t hs[4];
    pthread_t th[4];
    char path[128];
    unsigned char val[PL_CACHE_SLOT_SIZE];
    pl_cache_t *c;
    new_path(path, sizeof path);

    /* Pre-filled, so readers find entries even if they run first. */
    CHECK_INT(pl_cache_open(path, 16 * PL_CACHE_SLOT_SIZE, 42, &c), 0);
    CHECK_INT(stats(c).nslots, 16);
    for (unsigned key = 0; key < HAMMER_KEYS; key++) {
        char k[16];
        size_t n = hammer_len(key, 1, pl_cache_value_max());
        for (size_t j = 0; j < n; j++)
            val[j] = hammer_byte(key, 1, j);
        hammer_key(k, key);
        pl_cache_put(c, k, strlen(k), 1, val, n);
    }
    pl_cache_close(c);

    for (int i = 0; i < 4; i++) {
        memset(&hs[i], 0, sizeof hs[i]);
        strcpy(hs[i].path, path);
        hs[i].id = i;
        CHECK_INT(pthread_create(&th[i], NULL, i < 2 ? hammer_writer : hammer_reader, &hs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);

    uint64_t puts = hs[0].ops + hs[1].ops, busy = hs[0].busy + hs[1].busy;
    uint64_t gets = hs[2].ops + hs[3].ops, hits = hs[2].hits + hs[3].hits;
    uint64_t torn = hs[2].torn + hs[3].torn;
    uint64_t errors = hs[0].errors + hs[1].errors + hs[2].errors + hs[3].errors;
    printf("hammer: %llu puts (%llu busy), %llu gets, %llu hits, %llu races seen, %llu torn\n",
           (unsigned long long)puts, (unsigned long long)busy, (unsigned long long)gets,
           (unsigned long long)hits, (unsigned long long)(hs[2].races + hs[3].races),
           (unsigned long long)torn);
    CHECK_INT(errors, 0);
    CHECK_INT(puts, 2 * HAMMER_ITERS);
    CHECK_INT(gets, 2 * HAMMER_ITERS);
    CHECK_INT(torn, 0);
    CHECK(hits > 0, "readers hit (%llu)", (unsigned long long)hits);
}

/* The mapper maps the whole segment, from the idle class, and close stops
 * it: a segment another process filled is resident in this one without a
 * lookup having reached it. */
static void test_map_ahead(void)
{
    printf("mapping ahead\n");
    if (!idle_class_allowed()) {
        printf("  skipped: the idle scheduling class is refused here\n");
        return;
    }
    char path[128];
    pl_cache_t *c;
    size_t bytes = 16u << 20;
    CHECK_INT(pl_cache_open(new_path(path, sizeof path), bytes, 1, &c), 0);
    uint64_t before = rss_of(path);
    CHECK(before < bytes / 4, "opened: little of it resident (%" PRIu64 " bytes)", before);
    CHECK_INT(pl_cache_map_ahead_start(c), 0);
    CHECK_INT(pl_cache_map_ahead_start(c), -EINVAL); /* one mapper a handle */
    /* bounded wait: the idle class runs when the CPU has nothing else */
    size_t len = 4096 + (size_t)stats(c).nslots * PL_CACHE_SLOT_SIZE;
    for (int i = 0; i < 6000 && pl_cache_mapped_ahead(c) < len; i++) {
        struct timespec t = {0, 10 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    CHECK(pl_cache_mapped_ahead(c) == len,
          "the mapper went through the segment (%" PRIu64 " of %zu bytes)",
          pl_cache_mapped_ahead(c), len);
    uint64_t after = rss_of(path);
    CHECK(after == len, "the whole segment is resident (%" PRIu64 " of %zu bytes)", after, len);
    pl_cache_close(c);

    /* a close while it maps: joined within one step */
    CHECK_INT(pl_cache_open(new_path(path, sizeof path), 256u << 20, 1, &c), 0);
    CHECK_INT(pl_cache_map_ahead_start(c), 0);
    pl_cache_close(c);
    CHECK_INT(pl_cache_map_ahead_start(NULL), -EINVAL);
    CHECK_INT(pl_cache_mapped_ahead(NULL), 0);
}

int main(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/pl-cache-test.XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_basic();
    test_limits();
    test_eviction();
    test_persistence();
    test_corruption();
    test_seed();
    test_damaged_value();
    test_orphan();
    test_concurrent_open();
    test_hammer();
    test_map_ahead();

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("could not remove %s\n", dir);
    return pl_test_done("test_cache");
}
