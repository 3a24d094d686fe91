#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ratelimit.h"

int rl_init(ratelimit_t *rl)
{
    rl->slots = calloc(RL_SLOTS, sizeof(*rl->slots));
    return rl->slots ? 0 : -1;
}

void rl_free(ratelimit_t *rl)
{
    free(rl->slots);
    rl->slots = NULL;
}

int rl_allow(ratelimit_t *rl, const struct sockaddr *sa, int rate, int burst, int64_t now_ns)
{
    if (rate <= 0)
        return 1;
    uint8_t key[16] = {0};
    if (sa->sa_family == AF_INET) {
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } else {
        return 0;
    }
    /* Keyed on the address only, not the port: a client rotating source
     * ports is still one source. */
    rl_slot_t *s = &rl->slots[XXH3_64bits(key, sizeof(key)) & (RL_SLOTS - 1)];
    if (!s->used || memcmp(s->addr, key, sizeof(key)) != 0) {
        memcpy(s->addr, key, sizeof(key));
        s->used = 1;
        s->tokens = burst;
        s->last_ns = now_ns;
    }
    if (now_ns > s->last_ns) {
        s->tokens += (double)(now_ns - s->last_ns) * rate / 1e9;
        if (s->tokens > burst)
            s->tokens = burst;
        s->last_ns = now_ns;
    }
    if (s->tokens < 1.0)
        return 0;
    s->tokens -= 1.0;
    return 1;
}
