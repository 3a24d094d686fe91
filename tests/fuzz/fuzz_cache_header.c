/* Fuzz target: opening a shared-memory cache segment whose file holds
 * arbitrary bytes (pl_cache_open), then using it.
 *
 * Input: byte 0 chooses the mode, the segment size and the catalogue id:
 *   bit 0 = 0: the rest of the input is the whole segment file (a header
 *              that never matches, a truncated file...);
 *   bit 0 = 1: a valid segment is made first, then the rest of the input,
 *              after a 2-byte offset (in units of 8 bytes), is written over
 *              it: a header with a few bytes changed, or slots holding
 *              arbitrary words (sequence, hash, lengths).
 *   bits 1-2:  segment size (0, 16, 32 or 48 KiB of slots);
 *   bit 3:     open with another catalogue id than the one made with.
 *
 * Checks: the open succeeds (an unusable file is re-initialized); every get
 * returns a hit or PL_ENOTFOUND, with a length within the caller's buffer;
 * every put returns 0, PL_EBUSY or PL_ETOOBIG. A file shorter than its
 * slots counts one re-init. On a re-initialized segment (bit 0 = 0) a value
 * just put is then read back unchanged, and a put of a value that fits
 * never fails. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "pricelane/cache.h"
#include "pricelane/err.h"

static char dir[128], path[160];

static void cleanup(void)
{
    char p[200];
    unlink(path);
    /* a re-init builds "<path>.new.<pid>" and renames it: never left behind */
    snprintf(p, sizeof(p), "%s.new.%ld", path, (long)getpid());
    unlink(p);
    rmdir(dir);
}

static void setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%.80s/plfuzz-cache-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(dir), "mkdtemp: %s", strerror(errno));
    snprintf(path, sizeof(path), "%s/seg", dir);
    atexit(cleanup);
}

static void write_file(const uint8_t *p, size_t n, off_t at, int trunc)
{
    int fd = open(path, O_RDWR | O_CREAT | (trunc ? O_TRUNC : 0) | O_CLOEXEC, 0600);
    FUZZ_CHECK(fd >= 0, "%s: %s", path, strerror(errno));
    FUZZ_CHECK(pwrite(fd, p, n, at) == (ssize_t)n, "short write");
    close(fd);
}

/* Gets key; a hit must fit the buffer. Returns the pl_cache_get code. */
static int get(pl_cache_t *c, const char *key, uint64_t gen, char *val, size_t cap, size_t *vlen)
{
    *vlen = (size_t)-1;
    int rc = pl_cache_get(c, key, strlen(key), gen, val, cap, vlen);
    FUZZ_CHECK(rc == 0 || rc == PL_ENOTFOUND, "get %s: rc %d", key, rc);
    if (rc == 0)
        FUZZ_CHECK(*vlen <= cap, "get %s: %zu bytes in a buffer of %zu", key, *vlen, cap);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0])
        setup();
    fuzz_in_t in = {data, size};
    uint8_t mode = fuzz_u8(&in);
    int overlay = mode & 1;
    size_t bytes = (size_t)(mode >> 1 & 3) * 16384;
    uint64_t id = 42, open_id = mode & 8 ? 43 : 42;

    unlink(path);
    if (overlay) {
        pl_cache_t *c0;
        int rc = pl_cache_open(path, bytes, id, &c0);
        FUZZ_CHECK(rc == 0, "making a segment: %s", pl_strerror(rc));
        pl_cache_put(c0, "6901234567892", 13, 7, "{\"price\":1250}", 14);
        pl_cache_close(c0);
        off_t at = (off_t)fuzz_u16(&in) * 8;
        write_file(in.p, in.len, at, 0);
    } else {
        write_file(in.p, in.len, 0, 1);
    }

    pl_cache_t *c;
    int rc = pl_cache_open(path, bytes, open_id, &c);
    FUZZ_CHECK(rc == 0, "pl_cache_open: %s", pl_strerror(rc));
    pl_cache_stats_t st;
    pl_cache_stats(c, &st);
    FUZZ_CHECK(st.nslots >= 8 && st.nslots % 8 == 0, "nslots %llu",
               (unsigned long long)st.nslots);
    /* A file shorter than its slots can never be taken as it is. */
    if (!overlay && in.len > 0 && in.len < st.nslots * PL_CACHE_SLOT_SIZE)
        FUZZ_CHECK(st.reinits == 1, "%zu bytes of file: reinits %llu", in.len,
                   (unsigned long long)st.reinits);

    /* What is there may be anything; reading it must be safe. */
    char val[2048], small[8];
    size_t vlen;
    get(c, "6901234567892", 7, val, sizeof(val), &vlen);
    get(c, "6901234567892", 7, small, sizeof(small), &vlen);
    get(c, "", 0, val, sizeof(val), &vlen);

    /* Then it must work as a cache. */
    static const char *const keys[] = {"6901234567892", "P12345:north", "100001:S1", "k"};
    size_t vmax = pl_cache_value_max();
    for (unsigned i = 0; i < 4; i++) {
        char v[64];
        int n = snprintf(v, sizeof(v), "{\"n\":%u,\"gen\":9}", i);
        rc = pl_cache_put(c, keys[i], strlen(keys[i]), 9, v, (size_t)n);
        FUZZ_CHECK(rc == 0 || (overlay && rc == PL_EBUSY), "put %s: rc %d", keys[i], rc);
        if (rc != 0 || overlay)
            continue;
        int g = get(c, keys[i], 9, val, sizeof(val), &vlen);
        FUZZ_CHECK(g == 0 && vlen == (size_t)n && memcmp(val, v, vlen) == 0,
                   "put %s then get: rc %d, %zu bytes", keys[i], g, vlen);
        FUZZ_CHECK(get(c, keys[i], 8, val, sizeof(val), &vlen) == PL_ENOTFOUND,
                   "get %s of another generation hit", keys[i]);
    }
    char *big = calloc(1, vmax + 1);
    FUZZ_CHECK(pl_cache_put(c, "big", 3, 9, big, vmax + 1) == PL_ETOOBIG, "value over max");
    rc = pl_cache_put(c, "big", 3, 9, big, vmax);
    FUZZ_CHECK(rc == 0 || (overlay && rc == PL_EBUSY), "value of max size: rc %d", rc);
    free(big);
    pl_cache_close(c);
    return 0;
}
