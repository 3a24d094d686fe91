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

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* A thread of the scheduler's idle class that maps a region ahead of its
 * use, 2 MiB at a time (pl_map_bg_start): it runs only on a CPU with
 * nothing else to run, so it never takes a worker's time. With a file
 * descriptor, it reads through it each step the page cache lacks pages of
 * (one read of the step, not a fault a page: the caller sets the
 * descriptor's access pattern, e.g. POSIX_FADV_RANDOM for base pages) and
 * touches its pages (pl_map_touch), and leaves a step the cache held whole
 * unmapped; without, it touches every page. */
typedef struct pl_map_bg {
    pthread_t t;
    int running;
    atomic_int stop;
    _Atomic uint64_t done; /* bytes mapped so far */
    const char *lo;
    size_t len;
    int fd; /* of the file mapped at lo from its start; -1: none */
} pl_map_bg_t;

/* Starts b's thread over [lo, lo + len) (page-aligned at lo), reading
 * missing pages through fd, the file mapped there from its start (-1:
 * none). The
 * region must stay mapped until pl_map_bg_stop. Returns 0, -EINVAL when b
 * already runs, or -errno; where the idle class is refused the thread ends
 * at once, having mapped nothing. */
int pl_map_bg_start(pl_map_bg_t *b, const void *lo, size_t len, int fd);

/* Bytes mapped so far (the whole length once done); 0 for NULL. */
uint64_t pl_map_bg_done(const pl_map_bg_t *b);

/* Stops and joins b's thread (within one step); nothing when not started. */
void pl_map_bg_stop(pl_map_bg_t *b);
