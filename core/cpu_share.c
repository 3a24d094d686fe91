/* pl_cpu_share: a long write gives its CPU back to lookups every so often
 * (pricelane/cpu_share.h). */
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "pricelane/cpu_share.h"

/* next_cpu: the thread's CPU time of the next yield. next_wall: no sooner
 * than this on the monotonic clock can the thread have used that much CPU,
 * so until then no call reads its CPU clock: that read is a system call
 * (1.3 us on the machine of bench/RESULTS.md), the monotonic clock's is not
 * (27 ns), and the calls come between rows and between items. */
static __thread uint64_t every_ns, next_cpu, next_wall;
static __thread unsigned long yields;

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pl_cpu_share_every(unsigned us)
{
    every_ns = (uint64_t)us * 1000u;
    next_cpu = every_ns ? clock_ns(CLOCK_THREAD_CPUTIME_ID) + every_ns : 0;
    next_wall = every_ns ? clock_ns(CLOCK_MONOTONIC) + every_ns : 0;
}

void pl_cpu_share(void)
{
    if (!every_ns)
        return;
    uint64_t wall = clock_ns(CLOCK_MONOTONIC);
    if (wall < next_wall)
        return;
    uint64_t cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    if (cpu < next_cpu) {
        next_wall = wall + (next_cpu - cpu); /* the CPU still to use, at the soonest */
        return;
    }
    sched_yield();
    yields++;
    next_cpu = cpu + every_ns;
    next_wall = wall + every_ns;
}

unsigned long pl_cpu_share_yields(void)
{
    return yields;
}
