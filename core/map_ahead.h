/* Mapping a region ahead of its use (core/map_ahead.c). */
#pragma once
#include <stddef.h>

/* Fills the page tables of [lo, lo + len) (a mapping of this process,
 * page-aligned at lo) from the pages already in memory, then reads one byte
 * of each page from this thread. Returns 0, or -errno (-ENOSYS where the
 * kernel headers have no MADV_POPULATE_READ): the region is then simply
 * faulted in as it is used. Allocates nothing: a hole stays a hole. */
int pl_map_ahead(void *lo, size_t len);
