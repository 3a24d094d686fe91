/* Checked option values for pricelane-bench (see opts.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

/* Reads an optional k/K/M/m at *end when flags allow it. */
static unsigned long long take_suffix(const char **end, unsigned flags)
{
    if (!(flags & PL_OPT_SUFFIX))
        return 1;
    switch (**end) {
    case 'k':
    case 'K':
        (*end)++;
        return 1000;
    case 'M':
    case 'm':
        (*end)++;
        return 1000000;
    }
    return 1;
}

/* Digits (at least one) and an optional suffix, nothing else. The sign, if
 * any, is the caller's: strtoull would quietly negate "-1" into 2^64 - 1. */
static int magnitude(const char *p, unsigned flags, unsigned long long *v)
{
    if (!isdigit((unsigned char)*p))
        return -1;
    char *e;
    errno = 0;
    unsigned long long x = strtoull(p, &e, 10);
    if (errno)
        return -1;
    const char *end = e;
    unsigned long long mul = take_suffix(&end, flags);
    if (*end || x > ULLONG_MAX / mul)
        return -1;
    *v = x * mul;
    return 0;
}

int pl_opt_int(const char *cmd, const char *opt, const char *text, long long lo, long long hi,
               unsigned flags, long long *out)
{
    const char *p = text;
    int neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    unsigned long long m;
    long long v;
    if (magnitude(p, flags, &m))
        goto bad;
    if (neg) {
        if (m > (unsigned long long)LLONG_MAX + 1)
            goto bad;
        v = m == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)m;
    } else {
        if (m > (unsigned long long)LLONG_MAX)
            goto bad;
        v = (long long)m;
    }
    if (v < lo || v > hi)
        goto bad;
    *out = v;
    return 0;
bad:
    fprintf(stderr, "%s: %s \"%s\": expected an integer in %lld..%lld\n", cmd, opt, text, lo, hi);
    return -1;
}

int pl_opt_u64(const char *cmd, const char *opt, const char *text, uint64_t lo, uint64_t hi,
               unsigned flags, uint64_t *out)
{
    unsigned long long m;
    if (magnitude(*text == '+' ? text + 1 : text, flags, &m) || m < lo || m > hi) {
        fprintf(stderr, "%s: %s \"%s\": expected an integer in %llu..%llu\n", cmd, opt, text,
                (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *out = m;
    return 0;
}

int pl_opt_real(const char *cmd, const char *opt, const char *text, double lo, double hi,
                unsigned flags, double *out)
{
    /* strtod alone would also take blanks, hexadecimal, "inf" and "nan" */
    const char *p = text + (*text == '-' || *text == '+');
    if (!(isdigit((unsigned char)p[0]) || (p[0] == '.' && isdigit((unsigned char)p[1]))) ||
        strpbrk(p, "xX"))
        goto bad;
    char *e;
    errno = 0;
    double x = strtod(text, &e);
    if (errno)
        goto bad;
    const char *end = e;
    x *= (double)take_suffix(&end, flags);
    if (*end || !(x >= lo && x <= hi))
        goto bad;
    *out = x;
    return 0;
bad:
    fprintf(stderr, "%s: %s \"%s\": expected a number in %.15g..%.15g\n", cmd, opt, text, lo, hi);
    return -1;
}

int pl_opt_addr(const char *cmd, const char *opt, const char *text, int port_lo,
                struct sockaddr_in *out)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    unsigned long long port;
    struct sockaddr_in a = {.sin_family = AF_INET};
    if (!colon || (size_t)(colon - text) >= sizeof(host))
        goto bad;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    if (!strcmp(host, "localhost"))
        strcpy(host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || magnitude(colon + 1, 0, &port) ||
        port < (unsigned long long)port_lo || port > 65535)
        goto bad;
    a.sin_port = htons((uint16_t)port);
    *out = a;
    return 0;
bad:
    fprintf(stderr,
            "%s: %s \"%s\": expected HOST:PORT (an IPv4 address or localhost, port %d..65535)\n",
            cmd, opt, text, port_lo);
    return -1;
}
