/* pl_map_ahead (core/map_ahead.h).
 *
 * Why the read after the page tables are filled: on a virtual machine whose
 * hypervisor shadows the guest's page tables, a page's first access from
 * the process still leaves the guest once, page table entry or not: 1.5 us
 * a page on the machine of bench/RESULTS.md ("The first touch of a page"),
 * against 0.05 us once touched, and 0.6 us a page when they are read in
 * order here. Elsewhere the reads cost a pass over the page tables. */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "map_ahead.h"

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
