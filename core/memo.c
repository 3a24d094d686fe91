/* memo: a worker's table of finished answers (include/pricelane/memo.h).
 *
 * Buckets of two entries; a key hashes (XXH3-64) to one bucket. A new
 * answer goes to way 0 and the previous way 0 moves to way 1: within a bucket
 * the entry stored last is kept longest. Entries of an old generation or past
 * their interval are simply overwritten in turn. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "pricelane/memo.h"

typedef struct entry {
    uint64_t hash;
    uint64_t gen;
    int64_t from, until;
    uint16_t klen, len; /* klen 0: empty */
    int32_t tag;
    char data[PL_MEMO_ENTRY - 40]; /* key, then answer */
} entry_t;

_Static_assert(sizeof(entry_t) == PL_MEMO_ENTRY, "memo entry size");

#define WAYS 2
#define HUGE_PAGE (2u << 20)

struct pl_memo {
    entry_t *e;     /* nbuckets * WAYS entries */
    size_t map_len; /* bytes mapped */
    uint64_t mask;  /* nbuckets - 1 */
    pl_memo_stats_t st;
};

int pl_memo_new(size_t bytes, pl_memo_t **out)
{
    *out = NULL;
    if (!bytes)
        return 0;
    uint64_t nb = 1;
    while (nb * 2 * WAYS * sizeof(entry_t) <= bytes)
        nb *= 2;
    pl_memo_t *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    size_t len = nb * WAYS * sizeof(entry_t);
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
    m->e = (entry_t *)start;
    m->map_len = len;
    m->mask = nb - 1;
    m->st.entries = nb * WAYS;
    *out = m;
    return 0;
}

void pl_memo_free(pl_memo_t *m)
{
    if (!m)
        return;
    munmap(m->e, m->map_len);
    free(m);
}

void pl_memo_clear(pl_memo_t *m)
{
    if (!m)
        return;
    /* Drops the pages too: an idle memo costs no memory. */
    madvise(m->e, m->map_len, MADV_DONTNEED);
}

static int same_key(const entry_t *x, uint64_t h, const void *key, size_t klen)
{
    return x->hash == h && x->klen == klen && memcmp(x->data, key, klen) == 0;
}

const char *pl_memo_get(pl_memo_t *m, const void *key, size_t klen, uint64_t gen, int64_t now,
                        size_t *len, int *tag)
{
    if (!m || !klen || klen > PL_MEMO_KEY_MAX)
        return NULL;
    uint64_t h = XXH3_64bits(key, klen);
    entry_t *b = &m->e[(h & m->mask) * WAYS];
    for (int w = 0; w < WAYS; w++) {
        const entry_t *x = &b[w];
        if (same_key(x, h, key, klen) && x->gen == gen && x->from <= now && now < x->until) {
            m->st.hits++;
            *len = x->len;
            *tag = x->tag;
            return x->data + x->klen;
        }
    }
    m->st.misses++;
    return NULL;
}

void pl_memo_put(pl_memo_t *m, const void *key, size_t klen, uint64_t gen, int64_t from,
                 int64_t until, int tag, const void *val, size_t len)
{
    if (!m || !klen || klen > PL_MEMO_KEY_MAX || until <= from)
        return;
    if (klen + len > sizeof(((entry_t *)0)->data)) {
        m->st.too_big++;
        return;
    }
    uint64_t h = XXH3_64bits(key, klen);
    entry_t *b = &m->e[(h & m->mask) * WAYS];
    entry_t *x = &b[0];
    if (same_key(&b[1], h, key, klen))
        x = &b[1]; /* replace in place */
    else if (!same_key(&b[0], h, key, klen) && b[0].klen)
        memcpy(&b[1], &b[0], offsetof(entry_t, data) + b[0].klen + b[0].len);
    x->hash = h;
    x->gen = gen;
    x->from = from;
    x->until = until;
    x->klen = (uint16_t)klen;
    x->len = (uint16_t)len;
    x->tag = tag;
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
