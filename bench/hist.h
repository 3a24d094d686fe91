/* A log-linear latency histogram (HdrHistogram-like).
 *
 * Values (nanoseconds, or any non-negative integer) below 256 are counted
 * exactly; above, each power-of-two range [2^m, 2^(m+1)) is cut into 128
 * equal buckets, so a bucket is never wider than 1/128 (0.8 %) of the values
 * it holds. Every uint64_t value fits. Recording is a few instructions and
 * never allocates; histograms of several threads are merged with
 * pl_hist_merge. min, max and the count are exact.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define PL_HIST_SUB_BITS 7 /* 128 buckets per power of two */
#define PL_HIST_SUB (1u << PL_HIST_SUB_BITS)
#define PL_HIST_BUCKETS ((64 - PL_HIST_SUB_BITS) * PL_HIST_SUB + 2 * PL_HIST_SUB)

typedef struct pl_hist {
    uint64_t count;
    uint64_t min, max; /* min = UINT64_MAX while empty */
    double sum;
    uint64_t counts[PL_HIST_BUCKETS];
} pl_hist_t;

/* Empties h. A zeroed pl_hist_t must be initialised with this first. */
void pl_hist_reset(pl_hist_t *h);

/* Counts value v once (n times). */
void pl_hist_record(pl_hist_t *h, uint64_t v);
void pl_hist_record_n(pl_hist_t *h, uint64_t v, uint64_t n);

/* Adds every count of src to dst. */
void pl_hist_merge(pl_hist_t *dst, const pl_hist_t *src);

/* The value at percentile p (0..100): the highest value of the bucket that
 * holds the sample of rank ceil(p/100 * count) (1-based, at least 1), clamped
 * to [min, max]. So it is never below the exact percentile of the recorded
 * samples and above it by less than one bucket width. p >= 100 gives max.
 * 0 when empty. */
uint64_t pl_hist_percentile(const pl_hist_t *h, double p);

/* Mean of the recorded values; 0 when empty. */
double pl_hist_mean(const pl_hist_t *h);

/* Bucket index of v, and the lowest and highest value of bucket i. */
size_t pl_hist_index(uint64_t v);
uint64_t pl_hist_bucket_lo(size_t i);
uint64_t pl_hist_bucket_hi(size_t i);
