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

/* The longest stretch of this thread's CPU clock between two calls in the
 * last burn(). A call is a few microseconds apart from the next; a stretch
 * of a budget or more is the machine's doing (a guest's CPU clock goes on
 * while the host runs something else, an interrupt is charged to the
 * thread), and one call yields once however many budgets it finds used. */
static uint64_t longest_us;

/* Burns us microseconds of this thread's CPU, calling pl_cpu_share() as a
 * batch's rows would; returns the yields made meanwhile. */
static unsigned long burn(uint64_t us)
{
    unsigned long y0 = pl_cpu_share_yields();
    volatile uint64_t x = 0;
    uint64_t last = cpu_us(), now;
    longest_us = 0;
    for (uint64_t end = last + us; (now = cpu_us()) < end; last = now) {
        if (now - last > longest_us)
            longest_us = now - last;
        for (int i = 0; i < 1000; i++)
            x += (uint64_t)i * 2654435761u;
        pl_cpu_share();
    }
    return pl_cpu_share_yields() - y0;
}

/* burn(us) again until no stretch between calls came near a budget of
 * every_us (at most 10 tries): the count of such a run is the one to check. */
static unsigned long burn_undisturbed(uint64_t us, uint64_t every_us)
{
    unsigned long n = 0;
    for (int i = 0; i < 10; i++) {
        n = burn(us);
        if (longest_us < every_us / 4)
            break;
        printf("  stretch of %llu us between two calls: again\n", (unsigned long long)longest_us);
    }
    CHECK(longest_us < every_us / 4, "an undisturbed run in 10 (last stretch %llu us)",
          (unsigned long long)longest_us);
    return n;
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
    uint64_t t0 = cpu_us(); /* before the setting, which starts the budget */
    pl_cpu_share_every(1000);
    unsigned long y0 = pl_cpu_share_yields();
    while (pl_cpu_share_yields() - y0 < 3 && cpu_us() - t0 < 1000000)
        burn(50);
    uint64_t used = cpu_us() - t0;
    CHECK_INT((long)(pl_cpu_share_yields() - y0), 3);
    CHECK(used >= 3000, "three yields take three budgets of CPU at least (used %llu us)",
          (unsigned long long)used);
    unsigned long n = burn_undisturbed(10000, 1000);
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
    n = burn_undisturbed(3000, 1000);
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
