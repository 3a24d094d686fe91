/* test_hist: the benchmark's log-linear histogram. Percentiles are compared
 * with the exact value of sorted samples: the reported value must be in the
 * exact value's bucket, not below it, and less than a bucket width above. */
#include "check.h"

#include <math.h>

#include "hist.h"
#include "zipf.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t exact_pct(const uint64_t *sorted, size_t n, double p)
{
    if (p >= 100.0)
        return sorted[n - 1];
    double r = p / 100.0 * (double)n;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

static void check_against_sorted(const char *what, uint64_t *v, size_t n)
{
    static pl_hist_t h;
    pl_hist_reset(&h);
    for (size_t i = 0; i < n; i++)
        pl_hist_record(&h, v[i]);
    qsort(v, n, sizeof(v[0]), cmp_u64);
    CHECK_INT(h.count, n);
    CHECK_INT(h.min, v[0]);
    CHECK_INT(h.max, v[n - 1]);
    static const double ps[] = {0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
    for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
        uint64_t got = pl_hist_percentile(&h, ps[k]);
        uint64_t want = exact_pct(v, n, ps[k]);
        size_t bi = pl_hist_index(want);
        uint64_t width = pl_hist_bucket_hi(bi) - pl_hist_bucket_lo(bi) + 1;
        CHECK(got >= want && got - want < width && pl_hist_index(got) == bi,
              "%s p%g: got %llu, exact %llu (bucket %zu, width %llu)", what, ps[k],
              (unsigned long long)got, (unsigned long long)want, bi, (unsigned long long)width);
        /* relative precision promised by the layout */
        CHECK((double)(got - want) <= (double)want / 128.0 + 0.0,
              "%s p%g: got %llu, exact %llu: more than 1/128 off", what, ps[k],
              (unsigned long long)got, (unsigned long long)want);
    }
}

int main(void)
{
    /* bucket layout: contiguous, increasing, exact below 256, width <= lo/128 */
    uint64_t prev_hi = 0;
    int layout_ok = 1;
    for (size_t i = 1; i < PL_HIST_BUCKETS && pl_hist_bucket_lo(i) != 0; i++) {
        uint64_t lo = pl_hist_bucket_lo(i), hi = pl_hist_bucket_hi(i);
        if (lo != prev_hi + 1 || hi < lo || pl_hist_index(lo) != i || pl_hist_index(hi) != i ||
            (i >= 256 && (hi - lo + 1) * 128 > lo)) {
            CHECK(0, "bucket %zu: lo %llu hi %llu after hi %llu", i, (unsigned long long)lo,
                  (unsigned long long)hi, (unsigned long long)prev_hi);
            layout_ok = 0;
            break;
        }
        prev_hi = hi;
        if (hi == UINT64_MAX)
            break;
    }
    CHECK(layout_ok, "bucket layout contiguous");
    CHECK_INT(prev_hi == UINT64_MAX, 1);
    CHECK_INT(pl_hist_index(UINT64_MAX) < PL_HIST_BUCKETS, 1);
    for (uint64_t v = 0; v < 256; v++)
        if (pl_hist_bucket_lo(pl_hist_index(v)) != v || pl_hist_bucket_hi(pl_hist_index(v)) != v)
            CHECK(0, "value %llu not exact", (unsigned long long)v);

    /* empty */
    static pl_hist_t e;
    pl_hist_reset(&e);
    CHECK_INT(pl_hist_percentile(&e, 50), 0);

    enum { N = 200000 };
    uint64_t *v = malloc(N * sizeof(*v));
    pl_rng_t r;
    pl_rng_seed(&r, 42);

    /* latency-like: log-uniform from 1 µs to 100 ms, in ns */
    for (size_t i = 0; i < N; i++)
        v[i] = (uint64_t)(1000.0 * exp(pl_rng_double(&r) * log(1e5)));
    check_against_sorted("log-uniform", v, N);

    /* uniform small values: all exact */
    for (size_t i = 0; i < N; i++)
        v[i] = pl_rng_below(&r, 256);
    check_against_sorted("small", v, N);

    /* a few samples with a long tail */
    for (size_t i = 0; i < 1000; i++)
        v[i] = i == 999 ? 5000000000ull : 20000 + pl_rng_below(&r, 3000);
    check_against_sorted("tail", v, 1000);

    /* one sample */
    v[0] = 123456789;
    check_against_sorted("single", v, 1);

    /* merge equals recording everything in one */
    static pl_hist_t a, b, all;
    pl_hist_reset(&a);
    pl_hist_reset(&b);
    pl_hist_reset(&all);
    for (size_t i = 0; i < N; i++) {
        uint64_t x = pl_rng_below(&r, 10000000);
        pl_hist_record(i & 1 ? &a : &b, x);
        pl_hist_record(&all, x);
    }
    pl_hist_merge(&a, &b);
    CHECK_INT(a.count, all.count);
    CHECK_INT(a.min, all.min);
    CHECK_INT(a.max, all.max);
    CHECK_INT(memcmp(a.counts, all.counts, sizeof(a.counts)), 0);
    CHECK_INT(pl_hist_percentile(&a, 99.9), pl_hist_percentile(&all, 99.9));
    free(v);
    return pl_test_done("test_hist");
}
