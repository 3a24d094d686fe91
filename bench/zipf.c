/* Seeded generator and Zipf sampler. The rejection-inversion method follows
 * W. Hörmann, G. Derflinger, "Rejection-inversion to generate variates from
 * monotone discrete distributions" (ACM TOMACS 6(3), 1996): it inverts the
 * integral H of h(x) = x^-s and accepts with a cheap test, needing neither a
 * table nor a normalisation constant. */
#include "zipf.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void pl_rng_seed(pl_rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t pl_rng_next(pl_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double pl_rng_double(pl_rng_t *r)
{
    return (double)(pl_rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t pl_rng_below(pl_rng_t *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)pl_rng_next(r) * n) >> 64);
}

/* log1p(x)/x and expm1(x)/x, with their series near 0 where the quotient
 * would lose precision. */
static double helper1(double x)
{
    return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

static double helper2(double x)
{
    return fabs(x) > 1e-8 ? expm1(x) / x
                          : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
}

static double h(double s, double x)
{
    return exp(-s * log(x));
}

/* H(x) = integral of h, (x^(1-s) - 1) / (1 - s), continuous at s = 1. */
static double h_integral(double s, double x)
{
    double lx = log(x);
    return helper2((1.0 - s) * lx) * lx;
}

static double h_integral_inv(double s, double x)
{
    double t = x * (1.0 - s);
    if (t < -1.0)
        t = -1.0; /* rounding near the lower end */
    return exp(helper1(t) * x);
}

int pl_zipf_init(pl_zipf_t *z, uint64_t n, double s)
{
    if (n < 1 || !(s >= 0.0) || s > 100.0)
        return -1;
    z->n = n;
    z->s = s;
    z->h_x1 = h_integral(s, 1.5) - 1.0;
    z->h_n = h_integral(s, (double)n + 0.5);
    z->s_val = 2.0 - h_integral_inv(s, h_integral(s, 2.5) - h(s, 2.0));
    return 0;
}

uint64_t pl_zipf_next(const pl_zipf_t *z, pl_rng_t *r)
{
    if (z->s == 0.0 || z->n == 1)
        return 1 + pl_rng_below(r, z->n);
    for (;;) {
        double u = z->h_n + pl_rng_double(r) * (z->h_x1 - z->h_n);
        double x = h_integral_inv(z->s, u);
        double kd = floor(x + 0.5);
        uint64_t k;
        if (kd < 1.0)
            k = 1;
        else if (kd > (double)z->n)
            k = z->n;
        else
            k = (uint64_t)kd;
        if ((double)k - x <= z->s_val ||
            u >= h_integral(z->s, (double)k + 0.5) - h(z->s, (double)k))
            return k;
    }
}
