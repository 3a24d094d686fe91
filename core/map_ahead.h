/* Mapping a region ahead of its use (core/map_ahead.c). */
#pragma once
#include <stddef.h>

/* Fills the page tables of [lo, lo + len) (a mapping of this process,
 * page-aligned at lo) from the pages already in memory, then reads one byte
 * of each page from this thread. Returns 0, or -errno (-ENOSYS where the
 * kernel headers have no MADV_POPULATE_READ): the region is then simply
 * faulted in as it is used. Allocates nothing: a hole stays a hole. */
int pl_map_ahead(void *lo, size_t len);

/* Reads one byte of each page of [lo, lo + len) from this thread: each
 * page not yet mapped is a page fault (the kernel maps a few neighbours
 * with it). Unlike pl_map_ahead it never holds the process's memory map
 * lock over more than one fault, so a thread that may be preempted for long
 * (the idle class) cannot hold up another thread's mmap or munmap. */
void pl_map_touch(const void *lo, size_t len);
