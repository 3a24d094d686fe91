/* Network addresses and client allowlists.
 *
 * Addresses are written "HOST:PORT" for IPv4 ("127.0.0.1:7070") and
 * "[HOST]:PORT" for IPv6 ("[::1]:7070"). Only numeric hosts are accepted: a
 * server must bind exactly what it was told, never what a resolver answers.
 *
 * An allowlist is a comma-separated list of networks in CIDR notation
 * ("10.0.0.0/8, 192.168.1.0/24, ::1/128"); a bare address means a single host
 * (/32 or /128), and the word "any" allows everything. IPv4 clients that
 * reach an IPv6 socket as v4-mapped addresses (::ffff:a.b.c.d) are matched
 * against the IPv4 entries, and as themselves against the IPv6 entries.
 *
 * All functions are pure: no allocation, no I/O, thread-safe.
 */
#pragma once
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PL_ADDR_STR_MAX 64 /* "[v6]:port" incl. NUL */
#define PL_ALLOW_MAX 64    /* most networks in one allowlist */

typedef struct pl_addr {
    struct sockaddr_storage ss;
    socklen_t len;
} pl_addr_t;

/* Parses "HOST:PORT" / "[HOST]:PORT" into *a. Returns 0, or PL_EINVAL with
 * the reason in err[errlen]. */
int pl_addr_parse(const char *s, pl_addr_t *a, char *err, size_t errlen);

/* Port of an AF_INET/AF_INET6 address (host order), and setting it. */
unsigned pl_addr_port(const struct sockaddr *sa);
void pl_addr_set_port(struct sockaddr *sa, unsigned port);

/* Formats an AF_INET/AF_INET6 address as "HOST:PORT" / "[HOST]:PORT" into
 * out[cap] (PL_ADDR_STR_MAX is always enough). Returns out. */
char *pl_addr_format(const struct sockaddr *sa, char *out, size_t cap);

/* 1 when sa is a loopback address (127/8, ::1, ::ffff:127.x). */
int pl_addr_is_loopback(const struct sockaddr *sa);

typedef struct pl_cidr {
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t bits;   /* prefix length */
    uint8_t addr[16];
} pl_cidr_t;

typedef struct pl_allow {
    int any; /* "any": everything allowed */
    int n;
    pl_cidr_t nets[PL_ALLOW_MAX];
} pl_allow_t;

/* Parses an allowlist. Host bits set below the prefix are an error (a typo
 * like 10.1.2.3/8 is more likely than a wish for 10/8). An empty list allows
 * nothing. Returns 0, or PL_EINVAL with the reason (naming the entry). */
int pl_allow_parse(const char *list, pl_allow_t *al, char *err, size_t errlen);

#define PL_STOREMAP_MAX 64
#define PL_STOREMAP_ID_MAX 15 /* PL_SCOPE_MAX */

/* Which store a device belongs to, by its network: "10.1.2.0/24=S001,
 * 10.1.3.7=S002". The most specific network that matches wins. */
typedef struct pl_storemap {
    int n;
    pl_cidr_t nets[PL_STOREMAP_MAX];
    char store[PL_STOREMAP_MAX][PL_STOREMAP_ID_MAX + 1];
} pl_storemap_t;

/* Parses a store map (comma- or space-separated NETWORK=STORE entries;
 * empty: no entry). Returns 0, or PL_EINVAL naming the entry and why. */
int pl_storemap_parse(const char *list, pl_storemap_t *m, char *err, size_t errlen);
/* The store of the device at sa (longest prefix), or NULL when none
 * matches. The string lives as long as m. */
const char *pl_storemap_find(const pl_storemap_t *m, const struct sockaddr *sa);

/* The 16-byte key of a client address, for per-source tables: IPv6 as is,
 * IPv4 as IPv4-mapped IPv6 (so both forms of one client are one key); the
 * port is left out. Returns 0, or -1 (key zeroed) for another family. */
int pl_addr_key(const struct sockaddr *sa, uint8_t key[16]);

/* 1 when the client address sa is in the allowlist, else 0. */
int pl_allow_match(const pl_allow_t *al, const struct sockaddr *sa);
