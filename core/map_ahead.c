/* pl_map_ahead (core/map_ahead.h).
 *
 * Why the read after the page tables are filled: on a virtual machine whose
 * hypervisor shadows the guest's page tables, a page's first access from
 * the process still leaves the guest once, page table entry or not: 1.5 us
 * a page on the machine of bench/RESULTS.md ("The first touch of a page"),
 * against 0.05 us once touched, and 0.6 us a page when they are read in
 * order here. Elsewhere the reads cost a pass over the page tables. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "map_ahead.h"
#include "pricelane/thread.h"

void pl_map_touch(const void *lo, size_t len)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    /* atomic: other threads and processes may be writing these words */
    for (size_t o = 0; o < len; o += page)
        (void)__atomic_load_n((const char *)lo + o, __ATOMIC_RELAXED);
}

int pl_map_ahead(void *lo, size_t len)
{
#ifdef MADV_POPULATE_READ
    if (madvise(lo, len, MADV_POPULATE_READ) != 0)
        return -errno;
    pl_map_touch(lo, len);
    return 0;
#else
    (void)lo;
    (void)len;
    return -ENOSYS;
#endif
}

/* ---- the idle-class mapper ---------------------------------------------- */

#define BG_STEP (2u << 20) /* short steps: a stop is seen soon */

/* Whether a page of [p, p + len) is missing from the page cache; 1 also
 * when that cannot be told (a read then costs a copy, no harm). */
static int step_missing(const char *p, size_t len, size_t page)
{
    unsigned char vec[BG_STEP / 512];
    size_t n = (len + page - 1) / page;
    if (n > sizeof(vec) || mincore((void *)p, len, vec) != 0)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (!(vec[i] & 1))
            return 1;
    return 0;
}

static void *bg_main(void *arg)
{
    pl_map_bg_t *b = arg;
    struct sched_param none = {0};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &none) != 0)
        return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *buf = b->fd >= 0 ? malloc(BG_STEP) : NULL;
    for (size_t off = 0; off < b->len; off += BG_STEP) {
        if (atomic_load_explicit(&b->stop, memory_order_relaxed))
            break;
        size_t len = b->len - off < BG_STEP ? b->len - off : BG_STEP;
        /* A fault reads its own page only (a catalogue is mapped without
         * readahead): one read of the step asks the disk for all it lacks
         * at once. A short or failed read leaves the rest to the faults.
         * A step the cache held whole is not mapped: its pages may sit in
         * large folios (an import, a copy), which a writer's recache puts
         * back in base pages only while no process maps them; the
         * lookups map what they use of it, as without this thread. */
        if (!buf || step_missing(b->lo + off, len, page)) {
            while (buf && pread(b->fd, buf, len, (off_t)off) < 0 && errno == EINTR)
                ;
            pl_map_touch(b->lo + off, len);
        }
        atomic_fetch_add_explicit(&b->done, len, memory_order_relaxed);
    }
    free(buf);
    return NULL;
}

int pl_map_bg_start(pl_map_bg_t *b, const void *lo, size_t len, int fd)
{
    if (!b || b->running)
        return -EINVAL;
    atomic_store_explicit(&b->stop, 0, memory_order_relaxed);
    atomic_store_explicit(&b->done, 0, memory_order_relaxed);
    b->lo = lo;
    b->len = len;
    b->fd = fd;
    int rc = pl_thread_start(&b->t, bg_main, b);
    if (rc)
        return -rc;
    b->running = 1;
    return 0;
}

uint64_t pl_map_bg_done(const pl_map_bg_t *b)
{
    return b ? atomic_load_explicit(&b->done, memory_order_relaxed) : 0;
}

void pl_map_bg_stop(pl_map_bg_t *b)
{
    if (!b || !b->running)
        return;
    atomic_store_explicit(&b->stop, 1, memory_order_relaxed);
    pthread_join(b->t, NULL);
    b->running = 0;
}
