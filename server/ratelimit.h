/* Per-source token buckets for UDP, one table per worker (no sharing, no
 * lock). The table is direct-mapped on a hash of the source address: a fixed
 * amount of memory however many sources there are. A source that lands on a
 * slot held by another takes it over with a full bucket, so under a flood of
 * spoofed addresses each address gets at most `burst` datagrams, which is the
 * most a per-source limit can promise anyway. */
#pragma once
#include <stdint.h>
#include <sys/socket.h>

#define RL_SLOTS 4096 /* power of two */

typedef struct rl_slot {
    uint8_t addr[16];
    uint8_t used;
    double tokens;
    int64_t last_ns;
} rl_slot_t;

typedef struct ratelimit {
    rl_slot_t *slots; /* RL_SLOTS */
} ratelimit_t;

int rl_init(ratelimit_t *rl);
void rl_free(ratelimit_t *rl);

/* 1 when a datagram from sa may be answered at now_ns, under `rate` per
 * second with bucket depth `burst` (rate 0 = no limit). */
int rl_allow(ratelimit_t *rl, const struct sockaddr *sa, int rate, int burst, int64_t now_ns);
