/* The per-source UDP rate limit (server/ratelimit.c), played by an attacker
 * who wants more replies sent to a victim's address than its limit allows:
 * colliding addresses interleaved with the victim's datagrams, found the way
 * an attacker would (the unseeded XXH3 the table once used, computed
 * offline) and, worse, with the table's own seed as if it had leaked. In
 * every pattern the victim's address is answered at most burst + rate x
 * elapsed times. Also: the plain bucket, honest sources sharing a set, and a
 * refilled entry reused with a full bucket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <xxhash.h>

#include "check.h"
#include "ratelimit.h"

#define RATE 100
#define BURST 10
#define MS 1000000LL

static struct sockaddr_in v4(uint32_t host_order)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(host_order);
    return a;
}

static void key_of(uint32_t host_order, uint8_t key[16])
{
    memset(key, 0, 16);
    key[10] = key[11] = 0xff;
    uint32_t be = htonl(host_order);
    memcpy(key + 12, &be, 4);
}

static int allow(ratelimit_t *rl, uint32_t addr, int64_t now)
{
    struct sockaddr_in a = v4(addr);
    return rl_allow(rl, (const struct sockaddr *)&a, RATE, BURST, now);
}

/* n addresses other than victim that fall into the victim's set under
 * `same_set` (brute force, as an attacker would). */
static int colliders(uint32_t victim, int (*same_set)(const void *, uint32_t, uint32_t),
                     const void *arg, uint32_t *out, int n)
{
    int found = 0;
    for (uint32_t a = 0x0a000001u; a < 0x0a000001u + 50000000u && found < n; a++)
        if (a != victim && same_set(arg, victim, a))
            out[found++] = a;
    return found;
}

static int same_seeded(const void *arg, uint32_t x, uint32_t y)
{
    uint8_t kx[16], ky[16];
    key_of(x, kx);
    key_of(y, ky);
    return rl_set_of(arg, kx) == rl_set_of(arg, ky);
}

/* The old table: 4096 direct-mapped slots on an unseeded XXH3 of the
 * address (IPv4 in the last 4 bytes of 16 zero bytes). */
static int same_unseeded(const void *arg, uint32_t x, uint32_t y)
{
    (void)arg;
    uint8_t kx[16] = {0}, ky[16] = {0};
    uint32_t bx = htonl(x), by = htonl(y);
    memcpy(kx + 12, &bx, 4);
    memcpy(ky + 12, &by, 4);
    return (XXH3_64bits(kx, 16) & 4095) == (XXH3_64bits(ky, 16) & 4095);
}

/* Sends the victim's datagram after every `k` collider datagrams (the
 * colliders cycling), for `seconds`, one datagram every 20 us; returns the
 * replies the victim's address got. */
static int attack(ratelimit_t *rl, uint32_t victim, const uint32_t *col, int ncol, int k,
                  int seconds)
{
    int replies = 0, c = 0;
    int64_t now = 1000 * MS;
    const int64_t end = now + seconds * 1000 * MS;
    while (now < end) {
        for (int j = 0; j < k; j++, now += 20000)
            allow(rl, col[c++ % ncol], now);
        replies += allow(rl, victim, now);
        now += 20000;
    }
    return replies;
}

static void check_attacks(const char *who, uint64_t seed,
                          int (*same_set)(const void *, uint32_t, uint32_t))
{
    const uint32_t victim = 0xc0a80a0au; /* the spoofed source */
    uint32_t col[8];
    ratelimit_t probe;
    CHECK_INT(rl_init_seeded(&probe, seed), 0);
    int n = colliders(victim, same_set, &probe, col, 8);
    CHECK_INT(n, 8);
    rl_free(&probe);
    const int seconds = 2, most = BURST + RATE * seconds + 1;
    for (int k = 1; k <= 8; k++) {
        ratelimit_t rl;
        CHECK_INT(rl_init_seeded(&rl, seed), 0);
        int got = attack(&rl, victim, col, n, k, seconds);
        CHECK(got <= most,
              "%s, %d colliders between the victim's datagrams: %d replies, at most %d", who, k,
              got, most);
        CHECK(got >= RATE * seconds / 2 || k >= RL_WAYS,
              "%s, %d colliders: the victim is still answered (%d)", who, k, got);
        rl_free(&rl);
    }
    printf("%s: the victim's address got at most burst + rate x elapsed in every pattern\n", who);
}

int main(void)
{
    ratelimit_t rl;
    CHECK_INT(rl_init(&rl), 0);
    int64_t t = 5000 * MS;
    int ok = 0;
    for (int i = 0; i < 50; i++)
        ok += allow(&rl, 0x7f000001u, t);
    CHECK_INT(ok, BURST);
    CHECK_INT(allow(&rl, 0x7f000001u, t + 5 * MS), 0);
    CHECK_INT(allow(&rl, 0x7f000001u, t + 10 * MS), 1); /* one token per 10 ms */
    CHECK_INT(allow(&rl, 0x7f000001u, t + 10 * MS), 0);
    CHECK_INT(allow(&rl, 0x7f000002u, t + 10 * MS), 1); /* another source, its own bucket */
    struct sockaddr_un_like {
        sa_family_t family;
    } other = {AF_UNIX};
    CHECK_INT(rl_allow(&rl, (const struct sockaddr *)&other, RATE, BURST, t), 0);
    CHECK_INT(rl_allow(&rl, (const struct sockaddr *)&other, 0, BURST, t), 1); /* no limit */
    rl_free(&rl);
    printf("bucket: burst, then one per 1/rate; sources apart; other families refused\n");

    /* Two tables draw different seeds: nobody outside the process can
     * know where an address falls. */
    ratelimit_t a, b;
    CHECK_INT(rl_init(&a), 0);
    CHECK_INT(rl_init(&b), 0);
    CHECK(a.seed != b.seed, "two tables, two seeds: %llx %llx", (unsigned long long)a.seed,
          (unsigned long long)b.seed);
    int moved = 0;
    for (uint32_t x = 1; x <= 64; x++) {
        uint8_t k[16];
        key_of(0x0a000000u + x, k);
        moved += rl_set_of(&a, k) != rl_set_of(&b, k);
    }
    CHECK(moved > 32, "addresses fall into other sets under another seed (%d of 64)", moved);
    rl_free(&a);
    rl_free(&b);
    printf("seed: drawn per table\n");

    /* Honest sources that share a set each keep their own bucket. */
    {
        const uint64_t seed = 0x5eed;
        ratelimit_t r;
        CHECK_INT(rl_init_seeded(&r, seed), 0);
        uint32_t col[RL_WAYS];
        CHECK_INT(colliders(0x0b000001u, same_seeded, &r, col, RL_WAYS - 1), RL_WAYS - 1);
        col[RL_WAYS - 1] = 0x0b000001u;
        int each[RL_WAYS] = {0};
        for (int round = 0; round < 3 * BURST; round++)
            for (int i = 0; i < RL_WAYS; i++)
                each[i] += allow(&r, col[i], t);
        for (int i = 0; i < RL_WAYS; i++)
            CHECK_INT(each[i], BURST);
        /* A fifth source while every entry is partly spent: no fresh
         * tokens, it earns them at the rate from now on. */
        uint32_t fifth;
        CHECK_INT(colliders(0x0b000001u, same_seeded, &r, col, RL_WAYS), RL_WAYS);
        fifth = col[RL_WAYS - 1];
        CHECK_INT(allow(&r, fifth, t), 0);
        /* Once an entry has refilled, a newcomer takes it with a full bucket. */
        ratelimit_t r2;
        CHECK_INT(rl_init_seeded(&r2, seed), 0);
        CHECK_INT(allow(&r2, col[0], t), 1);
        int got = 0;
        for (int i = 0; i < 2 * BURST; i++)
            got += allow(&r2, 0x0b000001u, t + 1000 * MS + i);
        CHECK_INT(got, BURST);
        rl_free(&r2);
        rl_free(&r);
        printf("a shared set: honest sources keep their buckets; a newcomer to a set of spent "
               "buckets starts empty\n");
    }

    check_attacks("colliders of the old unseeded hash", 0x1234abcdULL, same_unseeded);
    check_attacks("colliders found with the table's own seed", 0x1234abcdULL, same_seeded);
    return pl_test_done("test_ratelimit");
}
