/* test_zipf: the benchmark's seeded generator and Zipf sampler. Frequencies
 * of the top ranks follow 1/k^s, ranks come out in frequency order, and a
 * seed always gives the same sequence. */
#include <math.h>

#include "check.h"

#include "zipf.h"

static void check_freq(uint64_t n, double s, uint64_t draws, uint64_t seed)
{
    uint64_t *cnt = calloc(n + 1, sizeof(*cnt));
    pl_zipf_t z;
    pl_rng_t r;
    CHECK_INT(pl_zipf_init(&z, n, s), 0);
    pl_rng_seed(&r, seed);
    int in_range = 1;
    for (uint64_t i = 0; i < draws; i++) {
        uint64_t k = pl_zipf_next(&z, &r);
        if (k < 1 || k > n) {
            in_range = 0;
            break;
        }
        cnt[k]++;
    }
    CHECK(in_range, "n=%llu s=%g: every rank within 1..n", (unsigned long long)n, s);
    double hsum = 0;
    for (uint64_t k = 1; k <= n; k++)
        hsum += pow((double)k, -s);
    /* the ten most frequent ranks, each within 4 standard deviations + 0.5 % */
    for (uint64_t k = 1; k <= 10 && k <= n; k++) {
        double p = pow((double)k, -s) / hsum;
        double want = p * (double)draws;
        double sd = sqrt((double)draws * p * (1 - p));
        double got = (double)cnt[k];
        CHECK(fabs(got - want) <= 4 * sd + 0.005 * want,
              "n=%llu s=%g rank %llu: %.0f draws, want %.0f ± %.0f", (unsigned long long)n, s,
              (unsigned long long)k, got, want, 4 * sd + 0.005 * want);
    }
    if (s >= 0.8) { /* steep enough that the top ranks are strictly ordered */
        for (uint64_t k = 1; k < 6 && k < n; k++)
            CHECK(cnt[k] > cnt[k + 1], "s=%g: rank %llu (%llu) more frequent than rank %llu (%llu)",
                  s, (unsigned long long)k, (unsigned long long)cnt[k], (unsigned long long)(k + 1),
                  (unsigned long long)cnt[k + 1]);
    }
    /* the whole tail: share of ranks > n/2 matches the distribution within 5 % */
    double tail_p = 0, tail = 0;
    for (uint64_t k = n / 2 + 1; k <= n; k++) {
        tail_p += pow((double)k, -s) / hsum;
        tail += (double)cnt[k];
    }
    CHECK(fabs(tail - tail_p * (double)draws) <= 0.05 * tail_p * (double)draws + 50,
          "n=%llu s=%g: upper half of the ranks drew %.0f, want %.0f", (unsigned long long)n, s,
          tail, tail_p * (double)draws);
    free(cnt);
}

int main(void)
{
    check_freq(1000, 1.0, 2000000, 1);
    check_freq(1000, 0.99, 2000000, 2);
    check_freq(100000, 1.2, 2000000, 3);
    check_freq(50, 0.5, 1000000, 4);
    check_freq(500, 0.0, 1000000, 5); /* uniform */
    check_freq(1, 1.0, 1000, 6);

    /* determinism: same seed → same sequence; another seed → another */
    pl_zipf_t z;
    pl_rng_t a, b, c;
    pl_zipf_init(&z, 1000000, 0.99);
    pl_rng_seed(&a, 7);
    pl_rng_seed(&b, 7);
    pl_rng_seed(&c, 8);
    int same = 1, differs = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = pl_zipf_next(&z, &a), y = pl_zipf_next(&z, &b), w = pl_zipf_next(&z, &c);
        if (x != y)
            same = 0;
        if (x != w)
            differs = 1;
    }
    CHECK(same, "seed 7 twice gives the same 100000 ranks");
    CHECK(differs, "seeds 7 and 8 give different ranks");

    /* a fixed value: the generator must not change across versions */
    pl_rng_seed(&a, 0);
    uint64_t first = pl_rng_next(&a);
    pl_rng_seed(&b, 0);
    CHECK_INT(pl_rng_next(&b), first);
    CHECK(first == 0x99ec5f36cb75f2b4ull, "xoshiro256** from splitmix64(0): %llx",
          (unsigned long long)first);

    /* bad parameters */
    CHECK_INT(pl_zipf_init(&z, 0, 1.0), -1);
    CHECK_INT(pl_zipf_init(&z, 10, -1.0), -1);
    CHECK_INT(pl_zipf_init(&z, 10, NAN), -1);

    /* below: stays below n */
    int below_ok = 1;
    for (int i = 0; i < 100000; i++)
        if (pl_rng_below(&a, 3) >= 3)
            below_ok = 0;
    CHECK(below_ok, "pl_rng_below(3) < 3");
    return pl_test_done("test_zipf");
}
