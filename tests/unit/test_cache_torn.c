/* Unit test of the shared-memory cache's read checks (core/cache.c), with
 * the slot's words in reach: this file compiles core/cache.c itself, with a
 * hook that runs between a get's loads of a slot and its re-check of the
 * sequence word, where a writer in another process could strike.
 *
 *  - a whole write, or the start of one, between the loads and the re-check
 *    (a torn read): a miss, never the value read, and counted as a race;
 *  - a writer that died after taking a slot and writing half a value (the
 *    sequence word left odd): never a hit, and the key is stored again in
 *    another slot;
 *  - the value checksum, computed as the words are copied: every single bit
 *    of a value flipped, words swapped, moved, zeroed, two words changed so
 *    that their sum stays the same: each a miss, and the value back as it
 *    was a hit again;
 *  - values of every length from 0 to the largest, into a buffer just big
 *    enough (no byte written past it), and one byte too small (a miss). */
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* The hook: when armed, runs once inside the next get. */
struct slot;
static void (*hook_fn)(struct slot *s);
static void hook_run(struct slot *s)
{
    void (*f)(struct slot *) = hook_fn;
    hook_fn = NULL;
    if (f)
        f(s);
}
#define SLOT_READ_HOOK(s) hook_run(s)

#include "cache.c"

static char path[64];

static size_t fill(unsigned char *v, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (unsigned char)(seed * 31u + i * 7u + (i >> 5) + 1u);
    return n;
}

/* The slot holding key, of those with the sequence word odd (odd) or
 * even and not 0, or NULL. */
static slot_t *slot_of(pl_cache_t *c, const char *key, int odd)
{
    uint64_t h = XXH3_64bits_withSeed(key, strlen(key), c->seed);
    slot_t *b = bucket_of(c, h);
    for (unsigned i = 0; i < BUCKET; i++) {
        uint64_t seq = atomic_load(&b[i].w[W_SEQ]);
        if (seq && (int)(seq & 1) == odd && atomic_load(&b[i].w[W_HASH]) == h)
            return &b[i];
    }
    return NULL;
}

static pl_cache_t *cache_new(void)
{
    pl_cache_t *c = NULL;
    unlink(path);
    CHECK_INT(pl_cache_open(path, 64 * PL_CACHE_SLOT_SIZE, 7, &c), 0);
    return c;
}

/* ---- torn reads --------------------------------------------------------- */

static pl_cache_t *other; /* a second handle on the segment: "another process" */
static unsigned char newval[VALUE_MAX];
static size_t newlen;

/* A whole write of the key by another handle (same slot: its own key's). */
static void write_whole(slot_t *s)
{
    (void)s;
    CHECK_INT(pl_cache_put(other, "torn", 4, 1, newval, newlen), 0);
}

/* A writer that took the slot and changed half the value, still writing. */
static void write_half(slot_t *s)
{
    uint64_t seq = atomic_load(&s->w[W_SEQ]);
    atomic_store(&s->w[W_SEQ], seq + 1);
    for (int j = 0; j < VAL_WORDS / 2; j++)
        atomic_store(&s->w[W_VAL + j], 0x5555555555555555ull);
}

static void test_torn(void)
{
    unsigned char v[VALUE_MAX], got[VALUE_MAX];
    size_t n = fill(v, 360, 1), gl = 0;
    pl_cache_t *c = cache_new();
    CHECK_INT(pl_cache_open(path, 64 * PL_CACHE_SLOT_SIZE, 7, &other), 0);
    if (!c || !other)
        return;
    newlen = fill(newval, 400, 2);

    /* a whole write between the loads and the re-check */
    CHECK_INT(pl_cache_put(c, "torn", 4, 1, v, n), 0);
    hook_fn = write_whole;
    CHECK_INT(pl_cache_get(c, "torn", 4, 1, got, sizeof got, &gl), PL_ENOTFOUND);
    CHECK(hook_fn == NULL, "the hook ran inside the get");
    pl_cache_stats_t st;
    pl_cache_stats(c, &st);
    CHECK_INT(st.races, 1);
    CHECK_INT(pl_cache_get(c, "torn", 4, 1, got, sizeof got, &gl), 0);
    CHECK_INT(gl, newlen);
    CHECK(memcmp(got, newval, newlen) == 0, "after the race, the new value whole");
    printf("torn read (a whole write between the loads and the re-check): a miss\n");

    /* a writer half-way between the loads and the re-check */
    hook_fn = write_half;
    CHECK_INT(pl_cache_get(c, "torn", 4, 1, got, sizeof got, &gl), PL_ENOTFOUND);
    pl_cache_stats(c, &st);
    CHECK_INT(st.races, 2);
    printf("torn read (a writer half-way): a miss\n");

    /* That writer never finishes (it died): the slot stays odd, every get
     * misses, and a put stores the key in another slot of the bucket. */
    slot_t *dead = slot_of(c, "torn", 1);
    CHECK(dead != NULL, "the dead writer's slot is odd");
    for (int i = 0; i < 3; i++)
        CHECK_INT(pl_cache_get(c, "torn", 4, 1, got, sizeof got, &gl), PL_ENOTFOUND);
    CHECK_INT(pl_cache_put(c, "torn", 4, 1, v, n), 0);
    CHECK_INT(pl_cache_get(c, "torn", 4, 1, got, sizeof got, &gl), 0);
    CHECK(gl == n && memcmp(got, v, n) == 0, "stored again, read whole");
    slot_t *again = slot_of(c, "torn", 0);
    CHECK(again && again != dead, "in another slot than the dead writer's");
    printf("a writer that died mid-write: never a hit; the key stored again elsewhere\n");
    pl_cache_close(other);
    other = NULL;
    pl_cache_close(c);
}

/* ---- the checksum ------------------------------------------------------- */

/* Damages the slot with f, checks that the get misses, undoes it and
 * checks that the get hits the value again. */
static int misses_when(pl_cache_t *c, slot_t *s, const unsigned char *v, size_t n, int j, int k,
                       uint64_t xa, uint64_t xb, int swap)
{
    unsigned char got[VALUE_MAX];
    size_t gl = 0;
    uint64_t a = atomic_load(&s->w[W_VAL + j]), b = atomic_load(&s->w[W_VAL + k]);
    if (swap) {
        atomic_store(&s->w[W_VAL + j], b);
        atomic_store(&s->w[W_VAL + k], a);
    } else {
        atomic_store(&s->w[W_VAL + j], a ^ xa);
        if (k != j)
            atomic_store(&s->w[W_VAL + k], b ^ xb);
    }
    int miss = pl_cache_get(c, "sum", 3, 1, got, sizeof got, &gl) == PL_ENOTFOUND;
    atomic_store(&s->w[W_VAL + j], a);
    atomic_store(&s->w[W_VAL + k], b);
    int hit = pl_cache_get(c, "sum", 3, 1, got, sizeof got, &gl) == 0 && gl == n &&
              memcmp(got, v, n) == 0;
    return miss && hit;
}

static void test_checksum(void)
{
    unsigned char v[VALUE_MAX];
    size_t n = fill(v, 363, 3);
    pl_cache_t *c = cache_new();
    if (!c)
        return;
    CHECK_INT(pl_cache_put(c, "sum", 3, 1, v, n), 0);
    slot_t *s = slot_of(c, "sum", 0);
    CHECK(s != NULL, "the slot of the key");
    if (!s)
        return;
    int nw = (int)words(n), ok = 0, tries = 0;
    for (int j = 0; j < nw; j++)
        for (int bit = 0; bit < 64; bit++) {
            if (j == nw - 1 && bit >= 8 * (int)(n % 8))
                break; /* past the value's last byte */
            tries++;
            ok += misses_when(c, s, v, n, j, j, 1ull << bit, 0, 0);
        }
    CHECK_INT(ok, tries);
    printf("every one of the value's %d bits flipped: a miss, a hit once restored\n", tries);

    ok = tries = 0;
    for (int j = 0; j + 2 < nw; j++) {
        /* the top bits of words two apart: invisible to a sum of words and
         * of running sums (Fletcher's) over 64-bit words */
        ok += misses_when(c, s, v, n, j, j + 2, 1ull << 63, 1ull << 63, 0);
        /* +d in one word, -d in the next: a plain sum stays the same */
        uint64_t a = atomic_load(&s->w[W_VAL + j]), b = atomic_load(&s->w[W_VAL + j + 1]);
        ok += misses_when(c, s, v, n, j, j + 1, a ^ (a + 4096), b ^ (b - 4096), 0);
        ok += misses_when(c, s, v, n, j, j + 1, 0, 0, 1); /* neighbours swapped */
        ok += misses_when(c, s, v, n, j, j + 2, 0, 0, 1); /* across pairs */
        ok += misses_when(c, s, v, n, j, j, a, 0, 0);     /* zeroed */
        ok += misses_when(c, s, v, n, j, j, ~0ull, 0, 0); /* inverted */
        tries += 6;
    }
    CHECK_INT(ok, tries);
    printf("%d swaps, zeroed and inverted words, sum-keeping pairs: all misses\n", tries);

    /* the same value under another key hash or tag is another checksum */
    uint64_t lens = atomic_load(&s->w[W_LEN]);
    atomic_store(&s->w[W_TAG], 2);
    unsigned char got[VALUE_MAX];
    size_t gl = 0;
    CHECK_INT(pl_cache_get(c, "sum", 3, 2, got, sizeof got, &gl), PL_ENOTFOUND);
    atomic_store(&s->w[W_TAG], 1);
    atomic_store(&s->w[W_LEN], lens ^ (1ull << 16 << 3)); /* the length 8 bytes off */
    CHECK_INT(pl_cache_get(c, "sum", 3, 1, got, sizeof got, &gl), PL_ENOTFOUND);
    atomic_store(&s->w[W_LEN], lens);
    CHECK_INT(pl_cache_get(c, "sum", 3, 1, got, sizeof got, &gl), 0);
    printf("the checksum binds the tag and the length\n");
    pl_cache_close(c);
}

/* ---- lengths ------------------------------------------------------------ */

static void test_lengths(void)
{
    unsigned char v[VALUE_MAX], got[VALUE_MAX + 8];
    pl_cache_t *c = cache_new();
    if (!c)
        return;
    int ok = 0;
    for (size_t n = 0; n <= VALUE_MAX; n++) {
        size_t gl = 0;
        fill(v, n, (unsigned)n);
        memset(got, 0xee, sizeof got);
        int good = pl_cache_put(c, "len", 3, 1, v, n) == 0 &&
                   pl_cache_get(c, "len", 3, 1, got, n, &gl) == 0 && gl == n &&
                   memcmp(got, v, n) == 0;
        for (size_t i = n; i < sizeof got; i++)
            good &= got[i] == 0xee;
        if (n)
            good &= pl_cache_get(c, "len", 3, 1, got, n - 1, &gl) == PL_ENOTFOUND;
        ok += good;
    }
    CHECK_INT(ok, VALUE_MAX + 1);
    printf("values of 0..%zu bytes: whole, nothing written past them; a byte short: a miss\n",
           (size_t)VALUE_MAX);
    pl_cache_close(c);
}

int main(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(path, sizeof path, "%s/pl-cache-torn.%ld", base, (long)getpid());
    test_torn();
    test_checksum();
    test_lengths();
    unlink(path);
    return pl_test_done("test_cache_torn");
}
