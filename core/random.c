#include <stdatomic.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "pricelane/random.h"

uint64_t pl_random_u64(void)
{
    static _Atomic uint64_t counter;
    uint64_t v = 0;
    if (getrandom(&v, sizeof(v), 0) == (ssize_t)sizeof(v))
        return v;
    struct timespec rt, mt;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mt);
    uint64_t in[6] = {(uint64_t)rt.tv_sec,  (uint64_t)rt.tv_nsec, (uint64_t)mt.tv_sec,
                      (uint64_t)mt.tv_nsec, (uint64_t)getpid(),   atomic_fetch_add(&counter, 1)};
    return XXH3_64bits(in, sizeof(in));
}
