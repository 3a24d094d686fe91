/* Key file, missing codes and the request sequence. */
#include "keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zipf.h"

#define KEY_MAX 250 /* memcached's key limit; codes are far shorter */

char pl_keys_check_digit(const char *d, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int w = ((n - i) % 2) ? 3 : 1; /* weight 3 on the digit next to the check digit */
        sum += (d[i] - '0') * w;
    }
    return (char)('0' + (10 - sum % 10) % 10);
}

static int is_scale(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return (n == 13 && s[0] == '2') || (n == 12 && s[0] == '2') ||
           (n == 13 && s[0] == '0' && s[1] == '2');
}

/* A small set of 64-bit hashes, to keep generated codes out of the file. */
typedef struct hset {
    uint64_t *slot;
    size_t mask;
} hset_t;

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h | 1; /* 0 marks an empty slot */
}

static int hset_has(const hset_t *h, uint64_t x, int insert)
{
    for (size_t i = x & h->mask;; i = (i + 1) & h->mask) {
        if (h->slot[i] == x)
            return 1;
        if (!h->slot[i]) {
            if (insert)
                h->slot[i] = x;
            return 0;
        }
    }
}

typedef struct builder {
    pl_keys_t *k;
    size_t text_len, text_cap, cap;
} builder_t;

static int add_code(builder_t *b, const char *s, size_t n)
{
    pl_keys_t *k = b->k;
    if (k->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 4096;
        uint32_t *off = realloc(k->off, nc * sizeof(*off));
        if (!off)
            return -1;
        k->off = off;
        uint8_t *len = realloc(k->len, nc);
        if (!len)
            return -1;
        k->len = len;
        b->cap = nc;
    }
    if (b->text_len + n + 1 > b->text_cap) {
        size_t nc = b->text_cap ? b->text_cap * 2 : 65536;
        while (nc < b->text_len + n + 1)
            nc *= 2;
        char *t = realloc(k->text, nc);
        if (!t)
            return -1;
        k->text = t;
        b->text_cap = nc;
    }
    memcpy(k->text + b->text_len, s, n);
    k->text[b->text_len + n] = 0;
    k->off[k->n] = (uint32_t)b->text_len;
    k->len[k->n] = (uint8_t)n;
    k->n++;
    b->text_len += n + 1;
    return 0;
}

/* Codes with GS1 prefix 190-199 (reserved by GS1, so in no real catalogue)
 * and a correct check digit. */
static int add_missing(builder_t *b, size_t count, uint64_t seed, hset_t *seen)
{
    pl_rng_t r;
    pl_rng_seed(&r, seed ^ 0x6d697373696e67ull);
    size_t added = 0, tries = 0;
    while (added < count) {
        char c[13];
        c[0] = '1';
        c[1] = '9';
        for (int i = 2; i < 12; i++)
            c[i] = (char)('0' + pl_rng_below(&r, 10));
        c[12] = pl_keys_check_digit(c, 12);
        if (seen && hset_has(seen, hash_str(c, 13), 1)) {
            if (++tries > 100 * (count + 10))
                return -1;
            continue;
        }
        if (add_code(b, c, 13))
            return -1;
        added++;
    }
    b->k->nmissing += count;
    return 0;
}

int pl_keys_load(pl_keys_t *k, const char *path, size_t nmissing, uint64_t seed)
{
    memset(k, 0, sizeof(*k));
    builder_t b = {.k = k};
    hset_t seen = {0};
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "pricelane-bench: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* Two passes over the lines: ordinary codes first, then scale codes, so
     * each kind is one index range. */
    char line[1024];
    size_t lineno = 0;
    int rc = -1;
    for (int pass = 0; pass < 2; pass++) {
        rewind(f);
        lineno = 0;
        while (fgets(line, sizeof(line), f)) {
            lineno++;
            size_t n = strcspn(line, "\t\r\n,");
            if (!n || line[0] == '#')
                continue;
            if (n > KEY_MAX || memchr(line, ' ', n)) {
                fprintf(stderr, "pricelane-bench: %s:%zu: not a code\n", path, lineno);
                goto out;
            }
            if (is_scale(line, n) != pass)
                continue;
            if (add_code(&b, line, n)) {
                fprintf(stderr, "pricelane-bench: out of memory\n");
                goto out;
            }
            if (pass == 0)
                k->nitems++;
            else
                k->nscale++;
        }
    }
    if (!k->n) {
        fprintf(stderr, "pricelane-bench: %s: no codes\n", path);
        goto out;
    }
    if (k->n > UINT32_MAX / 2) {
        fprintf(stderr, "pricelane-bench: %s: too many codes\n", path);
        goto out;
    }
    size_t cap = 1;
    while (cap < 2 * (k->n + nmissing) + 16)
        cap *= 2;
    seen.slot = calloc(cap, sizeof(uint64_t));
    seen.mask = cap - 1;
    if (!seen.slot)
        goto out;
    for (size_t i = 0; i < k->n; i++)
        hset_has(&seen, hash_str(k->text + k->off[i], k->len[i]), 1);
    if (add_missing(&b, nmissing, seed, &seen)) {
        fprintf(stderr, "pricelane-bench: cannot generate missing codes\n");
        goto out;
    }
    rc = 0;
out:
    free(seen.slot);
    fclose(f);
    if (rc)
        pl_keys_free(k);
    return rc;
}

int pl_keys_synthetic(pl_keys_t *k, size_t n, uint64_t seed)
{
    memset(k, 0, sizeof(*k));
    builder_t b = {.k = k};
    pl_rng_t r;
    pl_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        char c[13] = {'6', '9', '0'};
        for (int j = 3; j < 12; j++)
            c[j] = (char)('0' + pl_rng_below(&r, 10));
        c[12] = pl_keys_check_digit(c, 12);
        if (add_code(&b, c, 13)) {
            pl_keys_free(k);
            return -1;
        }
    }
    k->nitems = n;
    return 0;
}

void pl_keys_free(pl_keys_t *k)
{
    free(k->text);
    free(k->off);
    free(k->len);
    memset(k, 0, sizeof(*k));
}

int pl_keys_sequence(const pl_keys_t *k, const pl_keymix_t *mix, uint32_t *seq, size_t len)
{
    if (mix->missing > 0 && !k->nmissing) {
        fprintf(stderr, "pricelane-bench: --missing needs generated missing codes\n");
        return -1;
    }
    if (mix->scale > 0 && !k->nscale) {
        fprintf(stderr,
                "pricelane-bench: --scale: the key file has no scale codes (prefix 20-29)\n");
        return -1;
    }
    if (mix->missing + mix->scale < 1.0 && !k->nitems) {
        fprintf(stderr, "pricelane-bench: the key file has no ordinary codes\n");
        return -1;
    }
    pl_rng_t r;
    pl_rng_seed(&r, mix->seed);
    pl_zipf_t z;
    if (k->nitems)
        pl_zipf_init(&z, k->nitems, mix->zipf ? mix->zipf_s : 0.0);
    /* rank → index: multiplication by a prime larger than any key count is a
     * bijection modulo nitems; the offset moves rank 1 with the seed. */
    const uint64_t prime = 2654435761ull;
    uint64_t shift = k->nitems ? pl_rng_below(&r, k->nitems) : 0;
    for (size_t i = 0; i < len; i++) {
        double u = pl_rng_double(&r);
        if (u < mix->missing) {
            seq[i] = (uint32_t)(k->nitems + k->nscale + pl_rng_below(&r, k->nmissing));
        } else if (u < mix->missing + mix->scale) {
            seq[i] = (uint32_t)(k->nitems + pl_rng_below(&r, k->nscale));
        } else {
            uint64_t rank = pl_zipf_next(&z, &r) - 1;
            seq[i] = (uint32_t)((rank * prime + shift) % k->nitems);
        }
    }
    return 0;
}
