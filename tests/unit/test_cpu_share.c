/* pl_cpu_share (pricelane/cpu_share.h): a thread that asks to share its CPU
 * every N microseconds yields once per N microseconds of its own CPU time,
 * never before, whatever time it spends off its CPU; one that did not ask (or asked for 0) never
 * yields; the setting is the thread's own. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "check.h"
#include "pricelane/cpu_share.h"

static uint64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Burns us microseconds of this thread's CPU, calling pl_cpu_share() as a
 * batch's rows would; returns the yields made meanwhile. */
static unsigned long burn(uint64_t us)
{
    unsigned long y0 = pl_cpu_share_yields();
    volatile uint64_t x = 0;
    for (uint64_t end = cpu_us() + us; cpu_us() < end;) {
        for (int i = 0; i < 1000; i++)
            x += (uint64_t)i * 2654435761u;
        pl_cpu_share();
    }
    return pl_cpu_share_yields() - y0;
}

static void *other_thread(void *arg)
{
    *(unsigned long *)arg = burn(3000); /* never asked: the main thread's setting is not its */
    return NULL;
}

int main(void)
{
    printf("a thread that did not ask never yields\n");
    CHECK_INT((long)burn(3000), 0);

    printf("asked for every 1000 us: a yield per 1000 us of its CPU, never earlier\n");
    pl_cpu_share_every(1000);
    uint64_t t0 = cpu_us();
    unsigned long y0 = pl_cpu_share_yields();
    while (pl_cpu_share_yields() - y0 < 3 && cpu_us() - t0 < 1000000)
        burn(50);
    uint64_t used = cpu_us() - t0;
    CHECK_INT((long)(pl_cpu_share_yields() - y0), 3);
    CHECK(used >= 3000, "three yields take three budgets of CPU at least (used %llu us)",
          (unsigned long long)used);
    unsigned long n = burn(10000);
    CHECK(n >= 8 && n <= 10, "10 ms of CPU: 8 to 10 yields (got %lu)", n);

    printf("time off the CPU is not CPU: 10 ms asleep, no yield; then the budget as before\n");
    pl_cpu_share_every(1000);
    y0 = pl_cpu_share_yields();
    for (int i = 0; i < 5; i++) {
        struct timespec off = {0, 2000000};
        nanosleep(&off, NULL); /* the wall clock goes on, the thread's CPU clock does not */
        pl_cpu_share();
    }
    CHECK_INT((long)(pl_cpu_share_yields() - y0), 0);
    n = burn(3000);
    CHECK(n >= 2 && n <= 3, "3 ms of CPU after the sleep: 2 to 3 yields (got %lu)", n);

    printf("the setting is per thread\n");
    unsigned long theirs = 99;
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, other_thread, &theirs), 0);
    CHECK_INT(pthread_join(th, NULL), 0);
    CHECK_INT((long)theirs, 0);

    printf("0 turns it off\n");
    pl_cpu_share_every(0);
    CHECK_INT((long)burn(3000), 0);
    return pl_test_done("test_cpu_share");
}
