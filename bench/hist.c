/* Log-linear histogram: see hist.h for the bucket layout. */
#include "hist.h"

#include <string.h>

size_t pl_hist_index(uint64_t v)
{
    if (v < 2 * PL_HIST_SUB)
        return (size_t)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - PL_HIST_SUB_BITS; /* >= 1 here */
    /* v >> shift is in [SUB, 2*SUB): the ranges of consecutive shifts tile
     * the index space without gaps after the exact region [0, 2*SUB). */
    return (size_t)shift * PL_HIST_SUB + (size_t)(v >> shift);
}

uint64_t pl_hist_bucket_lo(size_t i)
{
    if (i < 2 * PL_HIST_SUB)
        return i;
    size_t shift = i / PL_HIST_SUB - 1;
    uint64_t mant = (uint64_t)(i - shift * PL_HIST_SUB);
    return mant << shift;
}

uint64_t pl_hist_bucket_hi(size_t i)
{
    if (i < 2 * PL_HIST_SUB)
        return i;
    size_t shift = i / PL_HIST_SUB - 1;
    uint64_t lo = pl_hist_bucket_lo(i);
    return lo + ((uint64_t)1 << shift) - 1;
}

void pl_hist_reset(pl_hist_t *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

void pl_hist_record_n(pl_hist_t *h, uint64_t v, uint64_t n)
{
    if (!n)
        return;
    h->counts[pl_hist_index(v)] += n;
    h->count += n;
    h->sum += (double)v * (double)n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void pl_hist_record(pl_hist_t *h, uint64_t v)
{
    pl_hist_record_n(h, v, 1);
}

void pl_hist_merge(pl_hist_t *dst, const pl_hist_t *src)
{
    if (!src->count)
        return;
    for (size_t i = 0; i < PL_HIST_BUCKETS; i++)
        dst->counts[i] += src->counts[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

uint64_t pl_hist_percentile(const pl_hist_t *h, double p)
{
    if (!h->count)
        return 0;
    if (p >= 100.0)
        return h->max;
    if (p < 0)
        p = 0;
    double r = p / 100.0 * (double)h->count;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < PL_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            uint64_t v = pl_hist_bucket_hi(i);
            if (v > h->max)
                v = h->max;
            if (v < h->min)
                v = h->min;
            return v;
        }
    }
    return h->max;
}

double pl_hist_mean(const pl_hist_t *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
