/* memo: a worker's table of finished answers (include/pricelane/memo.h).
 *
 * Buckets of four entries behind one cache line of tags (the entries'
 * hashes), so a probe reads one line and then only the entry whose tag
 * matches. A key (XXH3-64 under the memo's own seed) may live in either of two buckets (two
 * choices: the table fills evenly instead of overflowing a few buckets, where keys looked up in
 * turn would evict each other every time); the bucket count need not be a power of two (the hash is
 * scaled to it). A put reuses the key's own entry, else an empty one or one no longer valid in
 * whichever bucket has more of them, else replaces the first bucket's entries in the order they
 * were stored (its round-robin cursor).
 *
 * An entry still valid at a later generation (track.h) is the same answer
 * but for its "gen" field: the first get at the new generation rewrites
 * that number in place (restamp), and later gets return the entry as is.
 * The put finds where the number is, once: each batch makes every hot
 * entry's next get a restamp, and searching ~450 bytes of JSON for the
 * field then cost more than the rest of the hit. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "pricelane/memo.h"
#include "pricelane/random.h"
#include "track.h"

#define WAYS 4
#define HUGE_PAGE (2u << 20)

typedef struct entry {
    pl_memo_ver_t ver;
    int64_t from, until;
    uint16_t klen, len; /* klen 0: empty */
    int16_t tag;
    uint16_t gen_at; /* where the answer's "gen" digits start (pl_answer_gen_at), 0: none */
    char data[PL_MEMO_ENTRY - 48]; /* key, then answer */
} entry_t;

typedef struct bucket {
    uint64_t hash[WAYS]; /* tags: the entries' key hashes */
    uint32_t next;       /* the entry the next new key takes */
    char pad[64 - WAYS * 8 - 4];
    entry_t e[WAYS];
} bucket_t;

_Static_assert(sizeof(entry_t) == PL_MEMO_ENTRY, "memo entry size");
_Static_assert(sizeof(bucket_t) == 64 + WAYS * PL_MEMO_ENTRY, "tags fill one cache line");

struct pl_memo {
    bucket_t *b;
    size_t map_len; /* bytes mapped */
    uint64_t nbuckets;
    uint64_t seed; /* of the keys' hash: the codes come from the network */
    pl_memo_stats_t st;
};

/* Faults the whole table in now, at start-up, rather than while answering:
 * a first touch of a huge page zeroes 2 MiB and may have to compact memory
 * to find one, a stall of up to milliseconds in the middle of a request. */
static void populate(char *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
    if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
        return;
#endif
    for (size_t off = 0; off < len; off += 4096) /* kernels before 5.14 */
        p[off] = 0;
}

int pl_memo_new(size_t bytes, pl_memo_t **out)
{
    *out = NULL;
    if (!bytes)
        return 0;
    uint64_t nb = bytes / sizeof(bucket_t);
    if (nb < 1)
        nb = 1;
    pl_memo_t *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    size_t len = nb * sizeof(bucket_t);
    /* Over-map by a huge page so the table can start on a huge-page
     * boundary; the kernel then backs it with huge pages where allowed
     * (transparent huge pages in "madvise" or "always" mode). */
    size_t map_len = len + HUGE_PAGE;
    char *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        free(m);
        return -errno;
    }
    char *start = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (start > p)
        munmap(p, (size_t)(start - p));
    size_t tail = (size_t)(p + map_len - (start + len));
    if (tail)
        munmap(start + len, tail);
#ifdef MADV_HUGEPAGE
    madvise(start, len, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
    populate(start, len);
    m->b = (bucket_t *)start;
    m->map_len = len;
    m->nbuckets = nb;
    m->seed = pl_random_u64();
    m->st.entries = nb * WAYS;
    *out = m;
    return 0;
}

void pl_memo_free(pl_memo_t *m)
{
    if (!m)
        return;
    munmap(m->b, m->map_len);
    free(m);
}

void pl_memo_clear(pl_memo_t *m)
{
    if (!m)
        return;
    memset(m->b, 0, m->map_len); /* zeros: every entry empty */
}

static bucket_t *bucket_at(const pl_memo_t *m, uint64_t x)
{
    return &m->b[(uint64_t)(((unsigned __int128)x * m->nbuckets) >> 64)];
}

/* The key's two buckets: from the hash, and from the hash with its halves
 * swapped and mixed (another, independent position). */
static void buckets_of(const pl_memo_t *m, uint64_t h, bucket_t *b[2])
{
    b[0] = bucket_at(m, h);
    b[1] = bucket_at(m, ((h >> 32) | (h << 32)) * 0x9e3779b97f4a7c15ull);
}

/* The entry holding key in bucket b, or NULL. */
static entry_t *find_in(bucket_t *b, uint64_t h, const void *key, size_t klen)
{
    for (int w = 0; w < WAYS; w++)
        if (b->hash[w] == h && b->e[w].klen == klen && memcmp(b->e[w].data, key, klen) == 0)
            return &b->e[w];
    return NULL;
}

static const char gen_field[] = ",\"gen\":";
#define GEN_FIELD (sizeof(gen_field) - 1)

size_t pl_answer_gen_at(const char *json, size_t len)
{
    /* A JSON string never holds the field's text: its quotes are escaped. */
    const char *p = memmem(json, len, gen_field, GEN_FIELD);
    return p ? (size_t)(p - json) + GEN_FIELD : 0;
}

size_t pl_answer_restamp_at(char *json, size_t len, size_t cap, size_t at, uint64_t gen)
{
    /* the field must be right there: an offset kept in a shared segment is
     * checked like the rest of what is read from it */
    if (at < GEN_FIELD || at > len || memcmp(json + at - GEN_FIELD, gen_field, GEN_FIELD) != 0)
        return 0;
    char *p = json + at, *end = json + len, *q = p;
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    char num[20];
    size_t n = 0;
    do
        num[sizeof(num) - ++n] = (char)('0' + gen % 10);
    while (gen /= 10);
    size_t newlen = len - (size_t)(q - p) + n;
    if (newlen > cap)
        return 0;
    if ((size_t)(q - p) != n) /* as often as the number gains a digit */
        memmove(p + n, q, (size_t)(end - q));
    memcpy(p, num + sizeof(num) - n, n);
    return newlen;
}

/* Rewrites the answer's "gen" number to tk's generation (the answer is
 * otherwise the same: track_valid said so), where the put found it. 0, or
 * -1 when the answer has no such field or the longer number does not fit
 * the entry. */
static int restamp(entry_t *x, const track_t *tk)
{
    size_t n = pl_answer_restamp_at(x->data + x->klen, x->len, sizeof(x->data) - x->klen, x->gen_at,
                                    tk->gen);
    if (!n)
        return -1;
    x->len = (uint16_t)n;
    x->ver.gen = tk->gen;
    x->ver.state = tk->state;
    return 0;
}

static int entry_valid(const entry_t *x, const track_t *tk)
{
    return x->klen && track_valid(tk, x->ver.state, x->ver.gen, x->ver.dep, 2);
}

const char *pl_memo_get(pl_memo_t *m, const void *key, size_t klen, const track_t *tk, int64_t now,
                        size_t *len, int *tag)
{
    if (!m || !klen || klen > PL_MEMO_KEY_MAX)
        return NULL;
    uint64_t h = XXH3_64bits_withSeed(key, klen, m->seed);
    bucket_t *b[2];
    buckets_of(m, h, b);
    /* The key is in the second bucket about half the time: its tag line is
     * fetched while the first one's is read, not after. */
    __builtin_prefetch(b[1]);
    entry_t *x = find_in(b[0], h, key, klen);
    if (!x)
        x = find_in(b[1], h, key, klen);
    if (x && x->from <= now && now < x->until && entry_valid(x, tk) &&
        (x->ver.gen == tk->gen || restamp(x, tk) == 0)) {
        m->st.hits++;
        *len = x->len;
        *tag = x->tag;
        return x->data + x->klen;
    }
    m->st.misses++;
    return NULL;
}

void pl_memo_put(pl_memo_t *m, const void *key, size_t klen, const track_t *tk,
                 const pl_memo_ver_t *ver, int64_t from, int64_t until, int tag, const void *val,
                 size_t len, size_t gen_at)
{
    if (!m || !klen || klen > PL_MEMO_KEY_MAX || until <= from)
        return;
    if (klen + len > sizeof(((entry_t *)0)->data)) {
        m->st.too_big++;
        return;
    }
    uint64_t h = XXH3_64bits_withSeed(key, klen, m->seed);
    bucket_t *b[2];
    buckets_of(m, h, b);
    entry_t *x = find_in(b[0], h, key, klen);
    bucket_t *in = b[0];
    if (!x && (x = find_in(b[1], h, key, klen)))
        in = b[1];
    if (!x) {
        /* the emptier bucket's first free entry (empty, or no longer
         * valid): two choices keep every bucket's load near the mean */
        entry_t *fr[2] = {NULL, NULL};
        int nfree[2] = {0, 0};
        for (int k = 0; k < 2; k++)
            for (int w = 0; w < WAYS; w++)
                if (!entry_valid(&b[k]->e[w], tk)) {
                    nfree[k]++;
                    if (!fr[k])
                        fr[k] = &b[k]->e[w];
                }
        int k = nfree[1] > nfree[0];
        x = fr[k];
        if (x)
            in = b[k];
    }
    if (!x) {
        uint32_t w = in->next % WAYS;
        in->next = (w + 1) % WAYS;
        x = &in->e[w];
    }
    in->hash[x - in->e] = h;
    x->ver = *ver;
    x->from = from;
    x->until = until;
    x->klen = (uint16_t)klen;
    x->len = (uint16_t)len;
    x->tag = (int16_t)tag;
    x->gen_at = gen_at <= len ? (uint16_t)gen_at : 0;
    memcpy(x->data, key, klen);
    memcpy(x->data + klen, val, len);
    m->st.inserts++;
}

void pl_memo_stats(const pl_memo_t *m, pl_memo_stats_t *out)
{
    if (!m) {
        memset(out, 0, sizeof(*out));
        return;
    }
    *out = m->st;
}
