/* The generator of `pricelane-bench catalog` (catalog_gen.c): the random
 * streams and the attributes of item i, a pure function of (seed, i), so
 * promotions can name any item and know its price without keeping the items
 * in memory. Shared with the writer (catalog_write.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/catalog.h"

#define UTC_OFFSET_MIN 480 /* times are written as +08:00 */
#define DAY 86400

struct gen {
    uint64_t seed, n;
    uint64_t perm_a, perm_b; /* item kind permutation of [0, n) */
    uint64_t bar_a, bar_b;   /* barcode permutation of [0, 10^10) */
    uint64_t plu_off;
    unsigned stores, zones, cat_total;
    int sku_digits;
    uint64_t sku_base;
    int64_t now, day0;
    uint64_t rng[4]; /* xoshiro256** for the promotions */
};

static inline uint64_t gen_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Independent hash of (seed, stream, i): one value per attribute. */
static inline uint64_t gen_hash(const struct gen *g, uint64_t stream, uint64_t i)
{
    return gen_mix64(g->seed + 0x9E3779B97F4A7C15ULL * (i + 1) + 0xD1B54A32D192ED03ULL * stream);
}

static inline uint64_t gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* The next value of the promotions' sequence (xoshiro256**). */
static inline uint64_t gen_rnd(struct gen *g)
{
    uint64_t *s = g->rng, r = gen_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = gen_rotl(s[3], 45);
    return r;
}

enum { PACKED, WEIGHED, COUNTED };

struct item {
    char sku[16];
    char name[PL_NAME_MAX + 1];
    const char *unit, *dept, *flags;
    unsigned pack;
    char pack_s[8];
    char content[16];
    int64_t price;
    int kind;
    char plu[8];
    int nbar;
    char bar[2][16];
};

/* Sets up the generator for n items (uniqueness by construction: see
 * catalog_gen.c) around the instant now. */
void gen_init(struct gen *g, uint64_t seed, uint64_t n, unsigned stores, unsigned zones,
              int64_t now);
/* Fills *it with the attributes of item i. */
void gen_item(const struct gen *g, uint64_t i, struct item *it);

/* Appends s to dst[0..cap) at *n, cut to fit; dst stays terminated. */
void gen_cat_str(char *dst, size_t cap, size_t *n, const char *s);
/* Writes v as decimal digits, zero-padded to width; returns the length. */
size_t gen_put_u(char *dst, uint64_t v, int width);
/* Appends the GS1 check digit to the digits in d (NUL-terminated). */
void gen_add_check(char *d);
/* A price in fen rounded to whole jiao, at least 0.50. */
int64_t gen_round10(int64_t fen);
