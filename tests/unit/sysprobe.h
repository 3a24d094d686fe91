/* For the unit tests: what /proc/self/smaps says of a mapping, and what
 * this process may do here. */
#pragma once
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Resident bytes of this process's mapping of file `path` (smaps "Rss"):
 * pages whose page table entries are filled, whoever filled them. */
static inline uint64_t rss_of(const char *path)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[4096];
    int in = 0;
    uint64_t kb = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (strchr(line, '-') == line + strspn(line, "0123456789abcdef"))
            in = n > strlen(path) && strncmp(line + n - 1 - strlen(path), path, strlen(path)) == 0;
        else if (in && sscanf(line, "Rss: %" SCNu64 " kB", &kb) == 1)
            break;
    }
    fclose(f);
    return kb << 10;
}

static inline void *sysprobe_try_idle(void *arg)
{
    struct sched_param none = {0};
    *(int *)arg = pthread_setschedparam(pthread_self(), SCHED_IDLE, &none) == 0;
    return NULL;
}

/* Whether a thread may take the idle scheduling class here (a sandbox may
 * refuse it; the threads that map ahead then map nothing). */
static inline int idle_class_allowed(void)
{
    pthread_t t;
    int ok = 0;
    if (pthread_create(&t, NULL, sysprobe_try_idle, &ok) != 0)
        return 0;
    pthread_join(t, NULL);
    return ok;
}
