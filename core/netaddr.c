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

static int failw(char *err, size_t errlen, const char *what, const char *entry, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "%s entry \"%s\": %s", what, entry, why);
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

/* One network; `what` names the list in messages ("allowlist"). */
static int parse_cidr(const char *what, const char *s, pl_cidr_t *c, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof(host))
        return failw(err, errlen, what, s, "bad address");
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
        return failw(err, errlen, what, s, "not an IPv4 or IPv6 network");
    }
    unsigned bits = maxbits;
    if (slash) {
        unsigned v;
        if (parse_port(slash + 1, &v) < 0 || v > maxbits)
            return failw(err, errlen, what, s, "prefix length out of range");
        bits = v;
    }
    c->bits = (uint8_t)bits;
    /* Host bits below the prefix must be zero. */
    for (unsigned i = bits; i < maxbits; i++)
        if (c->addr[i / 8] & (0x80u >> (i % 8)))
            return failw(err, errlen, what, s, "host bits set below the prefix");
    return 0;
}

#define TOKEN_MAX (INET6_ADDRSTRLEN + 8 + PL_STOREMAP_ID_MAX)

/* The next entry of a list separated by commas or blanks into tok
 * (TOKEN_MAX bytes): 1, 0 at the end of the list, or PL_EINVAL for an entry
 * too long (err says so, naming the list `what`). */
static int next_entry(const char **pp, char *tok, const char *what, char *err, size_t errlen)
{
    const char *p = *pp;
    while (*p == ',' || isspace((unsigned char)*p))
        p++;
    if (!*p)
        return 0;
    const char *e = p;
    while (*e && *e != ',' && !isspace((unsigned char)*e))
        e++;
    size_t tl = (size_t)(e - p);
    if (tl >= TOKEN_MAX) {
        char shown[24];
        snprintf(shown, sizeof(shown), "%.16s...", p);
        return failw(err, errlen, what, shown, "too long");
    }
    memcpy(tok, p, tl);
    tok[tl] = 0;
    *pp = e;
    return 1;
}

int pl_allow_parse(const char *list, pl_allow_t *al, char *err, size_t errlen)
{
    memset(al, 0, sizeof(*al));
    const char *p = list ? list : "";
    char tok[TOKEN_MAX];
    int rc;
    while ((rc = next_entry(&p, tok, "allowlist", err, errlen)) == 1) {
        if (strcmp(tok, "any") == 0) {
            al->any = 1;
            continue;
        }
        if (al->n >= PL_ALLOW_MAX)
            return fail(err, errlen, "allowlist: more than %s networks", "64");
        if ((rc = parse_cidr("allowlist", tok, &al->nets[al->n], err, errlen)))
            return rc;
        al->n++;
    }
    return rc;
}

/* 1 when the client address sa is in network n; a v4-mapped client also
 * matches IPv6 networks as the IPv6 address it is on the wire. */
static int cidr_match(const pl_cidr_t *n, const struct sockaddr *sa)
{
    uint8_t b[16];
    int fam = raw_addr(sa, b);
    if (!fam)
        return 0;
    if (n->family == fam && prefix_match(b, n->addr, n->bits))
        return 1;
    return sa->sa_family == AF_INET6 && fam == AF_INET && n->family == AF_INET6 &&
           prefix_match(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr, n->addr, n->bits);
}

int pl_storemap_parse(const char *list, pl_storemap_t *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    const char *p = list ? list : "";
    char tok[TOKEN_MAX];
    int rc;
    while ((rc = next_entry(&p, tok, "store map", err, errlen)) == 1) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return failw(err, errlen, "store map", tok, "want NETWORK=STORE");
        *eq = 0;
        const char *store = eq + 1;
        size_t sl = strlen(store);
        if (sl == 0 || sl > PL_STOREMAP_ID_MAX) {
            *eq = '=';
            return failw(err, errlen, "store map", tok,
                         sl ? "store id longer than 15 bytes" : "no store id after '='");
        }
        if (m->n >= PL_STOREMAP_MAX)
            return fail(err, errlen, "store map: more than %s networks", "64");
        if ((rc = parse_cidr("store map", tok, &m->nets[m->n], err, errlen)))
            return rc;
        memcpy(m->store[m->n], store, sl + 1);
        m->n++;
    }
    return rc;
}

const char *pl_storemap_find(const pl_storemap_t *m, const struct sockaddr *sa)
{
    int best = -1;
    for (int i = 0; i < m->n; i++)
        if (cidr_match(&m->nets[i], sa) && (best < 0 || m->nets[i].bits > m->nets[best].bits))
            best = i;
    return best < 0 ? NULL : m->store[best];
}

int pl_allow_match(const pl_allow_t *al, const struct sockaddr *sa)
{
    if (al->any)
        return 1;
    for (int i = 0; i < al->n; i++)
        if (cidr_match(&al->nets[i], sa))
            return 1;
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
