/* pl_cpu_share: a long write gives its CPU back to lookups every so often
 * (pricelane/cpu_share.h). */
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "pricelane/cpu_share.h"

static __thread uint64_t every_ns, next_ns;
static __thread unsigned long yields;

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pl_cpu_share_every(unsigned us)
{
    every_ns = (uint64_t)us * 1000u;
    next_ns = every_ns ? cpu_ns() + every_ns : 0;
}

void pl_cpu_share(void)
{
    if (!every_ns)
        return;
    uint64_t now = cpu_ns();
    if (now < next_ns)
        return;
    sched_yield();
    yields++;
    next_ns = now + every_ns;
}

unsigned long pl_cpu_share_yields(void)
{
    return yields;
}
