#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "pricelane/netaddr.h"
#include "pricelane/random.h"
#include "ratelimit.h"

int rl_init_seeded(ratelimit_t *rl, uint64_t seed)
{
    rl->slots = calloc((size_t)RL_SETS * RL_WAYS, sizeof(*rl->slots));
    rl->seed = seed;
    return rl->slots ? 0 : -1;
}

int rl_init(ratelimit_t *rl)
{
    return rl_init_seeded(rl, pl_random_u64());
}

void rl_free(ratelimit_t *rl)
{
    free(rl->slots);
    rl->slots = NULL;
}

uint32_t rl_set_of(const ratelimit_t *rl, const uint8_t addr[16])
{
    return (uint32_t)(XXH3_64bits_withSeed(addr, 16, rl->seed) & (RL_SETS - 1));
}

static void refill(rl_slot_t *s, int rate, int burst, int64_t now_ns)
{
    if (now_ns > s->last_ns) {
        s->tokens += (double)(now_ns - s->last_ns) * rate / 1e9;
        if (s->tokens > burst)
            s->tokens = burst;
        s->last_ns = now_ns;
    }
}

/* The entry for key in its set, taken or replaced as the header says. */
static rl_slot_t *entry(ratelimit_t *rl, const uint8_t key[16], int rate, int burst, int64_t now_ns)
{
    rl_slot_t *set = &rl->slots[(size_t)rl_set_of(rl, key) * RL_WAYS];
    rl_slot_t *fresh = NULL, *lru = &set[0];
    for (int i = 0; i < RL_WAYS; i++) {
        rl_slot_t *s = &set[i];
        if (s->used && memcmp(s->addr, key, 16) == 0)
            return s;
        if (!s->used) {
            fresh = fresh ? fresh : s;
            continue;
        }
        /* refilled by now? (computed, not stored: last_ns is the LRU order) */
        double gain = now_ns > s->last_ns ? (double)(now_ns - s->last_ns) * rate / 1e9 : 0.0;
        if (s->tokens + gain >= burst)
            fresh = fresh ? fresh : s;
        if (s->last_ns < lru->last_ns || !lru->used)
            lru = s;
    }
    rl_slot_t *s = fresh ? fresh : lru;
    memcpy(s->addr, key, 16);
    s->used = 1;
    s->tokens = fresh ? burst : 0.0;
    s->last_ns = now_ns;
    return s;
}

int rl_allow(ratelimit_t *rl, const struct sockaddr *sa, int rate, int burst, int64_t now_ns)
{
    if (rate <= 0)
        return 1;
    uint8_t key[16];
    if (pl_addr_key(sa, key) != 0)
        return 0;
    rl_slot_t *s = entry(rl, key, rate, burst, now_ns);
    refill(s, rate, burst, now_ns);
    if (s->tokens < 1.0)
        return 0;
    s->tokens -= 1.0;
    return 1;
}
