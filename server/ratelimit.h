/* Per-source token buckets for UDP, one table per worker (no sharing, no
 * lock), in a fixed amount of memory however many sources there are.
 *
 * The table is set-associative: an address hashes, with a secret seed drawn
 * per table from the kernel, to a set of RL_WAYS entries. Without the seed
 * nobody can compute addresses that share a set with a victim's address.
 *
 * An address not in its set takes an empty entry, or one whose bucket has
 * refilled to full (it holds nothing a fresh bucket would not), with a full
 * bucket. When every entry of the set holds a partly spent bucket, the least
 * recently used is evicted and the newcomer starts with an EMPTY bucket
 * that fills at `rate` from then on: a source that cannot be told apart
 * from a returning one that had spent its tokens is never handed fresh
 * ones. So even addresses that do share a set (found with a leaked seed, or
 * by chance) cannot refill each other's buckets: no source is answered more
 * than about burst + rate x elapsed, however its datagrams are interleaved
 * with others'. Under a flood of spoofed addresses each new address gets
 * at most `burst`, the most a per-source limit can promise anyway. */
#pragma once
#include <stdint.h>
#include <sys/socket.h>

#define RL_SETS 1024 /* power of two */
#define RL_WAYS 4

typedef struct rl_slot {
    uint8_t addr[16];
    uint8_t used;
    double tokens;
    int64_t last_ns; /* last refill, and the LRU order */
} rl_slot_t;

typedef struct ratelimit {
    rl_slot_t *slots; /* RL_SETS * RL_WAYS */
    uint64_t seed;
} ratelimit_t;

/* Allocates the table and draws its seed (getrandom). Returns 0, or -1 when
 * memory is short. */
int rl_init(ratelimit_t *rl);
/* The same with a given seed: for tests that play an attacker who knows it. */
int rl_init_seeded(ratelimit_t *rl, uint64_t seed);
void rl_free(ratelimit_t *rl);

/* 1 when a datagram from sa may be answered at now_ns, under `rate` per
 * second with bucket depth `burst` (rate 0 = no limit). Keyed on the
 * address only (IPv4 as IPv4-mapped IPv6), not the port: a client rotating
 * source ports is one source. 0 for any other address family. */
int rl_allow(ratelimit_t *rl, const struct sockaddr *sa, int rate, int burst, int64_t now_ns);

/* The set an address (16 bytes, IPv4-mapped for IPv4) falls into. */
uint32_t rl_set_of(const ratelimit_t *rl, const uint8_t addr[16]);
