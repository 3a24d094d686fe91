#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pricelane/err.h"
#include "pricelane/netaddr.h"

static int fail(char *err, size_t errlen, const char *fmt, const char *arg)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, arg);
    return PL_EINVAL;
}

static int parse_port(const char *p, unsigned *port)
{
    if (!*p)
        return -1;
    unsigned long v = 0;
    for (const char *q = p; *q; q++) {
        if (!isdigit((unsigned char)*q))
            return -1;
        v = v * 10 + (unsigned)(*q - '0');
        if (v > 65535)
            return -1;
    }
    *port = (unsigned)v;
    return 0;
}

int pl_addr_parse(const char *s, pl_addr_t *a, char *err, size_t errlen)
{
    char host[PL_ADDR_STR_MAX];
    const char *portp;
    unsigned port;

    memset(a, 0, sizeof(*a));
    if (!s || !*s)
        return fail(err, errlen, "empty address%s, expected HOST:PORT", "");
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return fail(err, errlen, "\"%s\": IPv6 address must be written [HOST]:PORT", s);
        size_t hl = (size_t)(close - s - 1);
        if (hl == 0 || hl >= sizeof(host))
            return fail(err, errlen, "\"%s\": bad IPv6 host", s);
        memcpy(host, s + 1, hl);
        host[hl] = 0;
        portp = close + 2;
    } else {
        const char *colon = strrchr(s, ':');
        if (!colon)
            return fail(err, errlen, "\"%s\": missing :PORT", s);
        if (memchr(s, ':', (size_t)(colon - s)))
            return fail(err, errlen, "\"%s\": IPv6 address must be written [HOST]:PORT", s);
        size_t hl = (size_t)(colon - s);
        if (hl == 0 || hl >= sizeof(host))
            return fail(err, errlen, "\"%s\": missing host (use 0.0.0.0 for all)", s);
        memcpy(host, s, hl);
        host[hl] = 0;
        portp = colon + 1;
    }
    if (parse_port(portp, &port) < 0)
        return fail(err, errlen, "\"%s\": port must be a number 0..65535", s);

    struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        a->len = sizeof(*in4);
    } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        a->len = sizeof(*in6);
    } else {
        return fail(err, errlen, "\"%s\": host is not a numeric IPv4 or IPv6 address", s);
    }
    return 0;
}

unsigned pl_addr_port(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

void pl_addr_set_port(struct sockaddr *sa, unsigned port)
{
    if (sa->sa_family == AF_INET)
        ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
    else if (sa->sa_family == AF_INET6)
        ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

char *pl_addr_format(const struct sockaddr *sa, char *out, size_t cap)
{
    char h[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, h, sizeof(h));
        snprintf(out, cap, "%s:%u", h, pl_addr_port(sa));
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, h, sizeof(h));
        snprintf(out, cap, "[%s]:%u", h, pl_addr_port(sa));
    } else {
        snprintf(out, cap, "?");
    }
    return out;
}

/* Reduces sa to family + raw address bytes, unwrapping v4-mapped IPv6 so an
 * IPv4 client on a dual-stack socket matches IPv4 networks. */
static int raw_addr(const struct sockaddr *sa, uint8_t *out)
{
    if (sa->sa_family == AF_INET) {
        memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return AF_INET;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            memcpy(out, a6->s6_addr + 12, 4);
            return AF_INET;
        }
        memcpy(out, a6->s6_addr, 16);
        return AF_INET6;
    }
    return 0;
}

int pl_addr_is_loopback(const struct sockaddr *sa)
{
    uint8_t b[16];
    int fam = raw_addr(sa, b);
    if (fam == AF_INET)
        return b[0] == 127;
    if (fam == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)b);
    return 0;
}

static int prefix_match(const uint8_t *a, const uint8_t *net, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, net, full) != 0)
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xff << (8 - rest));
        if ((a[full] & mask) != (net[full] & mask))
            return 0;
    }
    return 1;
}

static int parse_cidr(const char *s, pl_cidr_t *c, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof(host))
        return fail(err, errlen, "allowlist entry \"%s\": bad address", s);
    memcpy(host, s, hl);
    host[hl] = 0;
    memset(c, 0, sizeof(*c));
    unsigned maxbits;
    if (inet_pton(AF_INET, host, c->addr) == 1) {
        c->family = AF_INET;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, host, c->addr) == 1) {
        c->family = AF_INET6;
        maxbits = 128;
    } else {
        return fail(err, errlen, "allowlist entry \"%s\": not an IPv4 or IPv6 network", s);
    }
    unsigned bits = maxbits;
    if (slash) {
        unsigned v;
        if (parse_port(slash + 1, &v) < 0 || v > maxbits)
            return fail(err, errlen, "allowlist entry \"%s\": prefix length out of range", s);
        bits = v;
    }
    c->bits = (uint8_t)bits;
    /* Host bits below the prefix must be zero. */
    for (unsigned i = bits; i < maxbits; i++)
        if (c->addr[i / 8] & (0x80u >> (i % 8)))
            return fail(err, errlen, "allowlist entry \"%s\": host bits set below the prefix", s);
    return 0;
}

int pl_allow_parse(const char *list, pl_allow_t *al, char *err, size_t errlen)
{
    memset(al, 0, sizeof(*al));
    const char *p = list ? list : "";
    while (*p) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ',' && !isspace((unsigned char)*e))
            e++;
        char tok[INET6_ADDRSTRLEN + 8];
        size_t tl = (size_t)(e - p);
        if (tl >= sizeof(tok)) {
            char shown[24];
            snprintf(shown, sizeof(shown), "%.16s...", p);
            return fail(err, errlen, "allowlist entry \"%s\": too long", shown);
        }
        memcpy(tok, p, tl);
        tok[tl] = 0;
        if (strcmp(tok, "any") == 0) {
            al->any = 1;
        } else {
            if (al->n >= PL_ALLOW_MAX)
                return fail(err, errlen, "allowlist: more than %s networks", "64");
            int rc = parse_cidr(tok, &al->nets[al->n], err, errlen);
            if (rc)
                return rc;
            al->n++;
        }
        p = e;
    }
    return 0;
}

int pl_allow_match(const pl_allow_t *al, const struct sockaddr *sa)
{
    if (al->any)
        return 1;
    uint8_t b[16];
    int fam = raw_addr(sa, b);
    if (!fam)
        return 0;
    for (int i = 0; i < al->n; i++)
        if (al->nets[i].family == fam && prefix_match(b, al->nets[i].addr, al->nets[i].bits))
            return 1;
    /* A v4-mapped client also matches IPv6 entries as the IPv6 address it
     * is on the wire (::ffff:0:0/96, ::/0). */
    if (sa->sa_family == AF_INET6 && fam == AF_INET) {
        const uint8_t *a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        for (int i = 0; i < al->n; i++)
            if (al->nets[i].family == AF_INET6 &&
                prefix_match(a6, al->nets[i].addr, al->nets[i].bits))
                return 1;
    }
    return 0;
}

int pl_addr_key(const struct sockaddr *sa, uint8_t key[16])
{
    memset(key, 0, 16);
    if (sa->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    return -1;
}
