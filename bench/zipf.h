/* Random numbers for the load generator: a small seeded generator
 * (xoshiro256**) and a Zipf(s) sampler over ranks 1..n.
 *
 * Everything is deterministic by seed: the same seed gives the same sequence
 * on every machine (no global state, no time, no /dev/urandom).
 */
#pragma once
#include <stdint.h>

typedef struct pl_rng {
    uint64_t s[4];
} pl_rng_t;

/* Seeds r from `seed` (any value, 0 included) through splitmix64. */
void pl_rng_seed(pl_rng_t *r, uint64_t seed);
uint64_t pl_rng_next(pl_rng_t *r);
/* Uniform in [0, 1) with 53 random bits. */
double pl_rng_double(pl_rng_t *r);
/* Uniform in [0, n), n >= 1 (Lemire's multiply-shift, bias < n / 2^64). */
uint64_t pl_rng_below(pl_rng_t *r, uint64_t n);

/* Zipf distribution: P(rank k) proportional to 1 / k^s, k in 1..n.
 * s = 0 is uniform. Sampling is O(1) with no table (rejection-inversion,
 * Hörmann and Derflinger 1996), so n may be millions. */
typedef struct pl_zipf {
    uint64_t n;
    double s;
    double h_x1, h_n, s_val; /* precomputed integrals */
} pl_zipf_t;

/* Prepares a sampler; n >= 1, s >= 0. Returns 0, or -1 for bad parameters. */
int pl_zipf_init(pl_zipf_t *z, uint64_t n, double s);
/* One rank in 1..n. */
uint64_t pl_zipf_next(const pl_zipf_t *z, pl_rng_t *r);
