/* pl_cat_prefault (pricelane/catalog.h): after it, reading every item of
 * a catalogue takes (almost) no page fault, where the same reads in a
 * fresh mapping take one per page they touch; it maps the pages the file
 * holds and no more, a catalogue with a batch written after it still
 * reads (the new pages fault in as before), and a new map size
 * (pl_cat_grow) is mapped ahead again. pl_cat_recache puts the
 * file's page cache in pages of the machine's size where readahead had
 * built large folios, and keeps what later commits add so; a reader's
 * faults build none (seen through /proc/kpageflags, root only: skipped,
 * and said, without it or on a kernel that builds no large folios for the
 * file). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catfix.h"
#include "check.h"
#include "sysprobe.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"

#define NITEMS 100000

static long minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Reads every item in one read transaction; returns the page faults it
 * took (and checks every item was there). */
static long read_all(pl_cat_t *cat, int *found)
{
    pl_txn_t *t;
    pl_item_t it;
    char sku[16];
    *found = 0;
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    long f0 = minflt();
    for (int i = 0; i < NITEMS; i++) {
        snprintf(sku, sizeof(sku), "%d", 100000 + i);
        *found += pl_item_get(t, sku, &it) == 0;
    }
    long f = minflt() - f0;
    pl_txn_abort(t);
    return f;
}

/* Items first .. first+n-1 (SKU = the number), named by fmt with their
 * index, in one batch. Two checks. */
static void put_items(pl_cat_t *cat, int first, int n, const char *fmt)
{
    pl_txn_t *t;
    int bad = 0;
    CHECK_INT(pl_txn_begin(cat, 1, &t), 0);
    for (int i = 0; i < n; i++) {
        pl_item_t it = {0};
        snprintf(it.sku, sizeof(it.sku), "%d", first + i);
        snprintf(it.name, sizeof(it.name), fmt, i);
        snprintf(it.unit, sizeof(it.unit), "each");
        it.pack_qty = 1;
        bad += pl_item_put(t, &it) != 0;
    }
    CHECK_INT(pl_txn_commit(t), 0);
    CHECK_INT(bad, 0);
}

/* Pages of file path's page cache (those cached now) that belong to a large folio (compound
 * head or tail in /proc/kpageflags), through a mapping of the whole file
 * made here; -1 when the page frames cannot be read (not root). */
static long large_pages_in(const char *path, long *cached);
static long large_pages(const char *path)
{
    long cached;
    return large_pages_in(path, &cached);
}

/* The same, and the pages of the file in the cache into *cached. */
static long large_pages_in(const char *path, long *cached)
{
    int fd = open(path, O_RDONLY);
    struct stat sb;
    CHECK(fd >= 0 && fstat(fd, &sb) == 0, "open the catalogue's file");
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (size_t)sb.st_size / page;
    char *m = mmap(NULL, n * page, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED, "map the catalogue's file");
    close(fd);
    long large = 0;
    unsigned char *in = malloc(n ? n : 1);
    CHECK(in && mincore(m, n * page, in) == 0, "which pages are in the cache");
    int pm = open("/proc/self/pagemap", O_RDONLY), kf = open("/proc/kpageflags", O_RDONLY);
    *cached = 0;
    for (size_t i = 0; i < n; i++)
        *cached += in[i] & 1;
    for (size_t i = 0; i < n && pm >= 0 && kf >= 0 && large >= 0; i++) {
        if (!(in[i] & 1))
            continue;                  /* not cached: left so, reading it would fill it */
        volatile char c = m[i * page]; /* mapped, from the cache */
        (void)c;
        uint64_t e = 0, flags = 0;
        if (pread(pm, &e, 8, (off_t)((uintptr_t)(m + i * page) / page * 8)) != 8 || !(e >> 63) ||
            !(e & ((1ull << 55) - 1)) ||
            pread(kf, &flags, 8, (off_t)((e & ((1ull << 55) - 1)) * 8)) != 8)
            large = -1; /* no page frame numbers without CAP_SYS_ADMIN */
        else
            large += (flags >> 15 & 1) | (flags >> 16 & 1); /* KPF_COMPOUND_HEAD, _TAIL */
    }
    if (pm < 0 || kf < 0)
        large = -1;
    if (pm >= 0)
        close(pm);
    if (kf >= 0)
        close(kf);
    munmap(m, n * page);
    free(in);
    return large;
}

/* Drops path's page cache and reads it again in order, as a copy or a
 * cold sequential reader would: readahead builds large folios where the
 * kernel and file system can. */
static void read_ahead(const char *path)
{
    static char buf[1 << 20];
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0, "open the catalogue's file");
    CHECK_INT(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    CHECK_INT(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    close(fd);
}

static pl_cat_t *reopen(pl_cat_t *cat, const char *dir)
{
    pl_cat_close(cat);
    pl_cat_opts_t o = {0};
    CHECK_INT(pl_cat_open(dir, &o, &cat), 0);
    return cat;
}

/* pl_cat_map_ahead_start, a server's: from a cold page cache, an
 * idle-class thread reads the whole file into it (in base pages where
 * /proc/kpageflags tells) and maps it, so that reads take (almost) no page
 * fault; a file the cache holds whole it leaves unmapped (its folios may be
 * large); only on a shared read-only handle, once; stopped by close. cold:
 * the faults of reading every item in a fresh mapping. Leaves cat closed
 * and reopened. */
static void check_map_ahead_thread(pl_cat_t *cat, const char *dir, const char *path, long cold)
{
    printf("a server's catalogue read and mapped ahead from a cold cache\n");
    int idle = idle_class_allowed();
    CHECK_INT(pl_cat_map_ahead_start(cat), -EINVAL); /* a writer's handle */
    CHECK_INT(pl_cat_map_ahead_start(NULL), -EINVAL);
    pl_cat_close(cat);
    struct stat sb;
    CHECK_INT(stat(path, &sb), 0);
    long n = (long)(sb.st_size / sysconf(_SC_PAGESIZE)), cached;
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0, "drop the cache");
    close(fd);
    large_pages_in(path, &cached);
    printf("  pages cached after the drop: %ld of %ld\n", cached, n);
    pl_cat_opts_t o = {0};
    o.read_only = 1;
    o.no_tls = 1;
    CHECK_INT(pl_cat_open(dir, &o, &cat), 0);
    CHECK_INT(pl_cat_mapped_ahead(cat), 0);
    if (!idle) {
        printf("  skipped: the idle scheduling class is refused here\n");
        pl_cat_close(cat);
        return;
    }
    CHECK(cached < n / 2, "the drop left most of the file out of the cache");
    CHECK_INT(pl_cat_map_ahead_start(cat), 0);
    CHECK_INT(pl_cat_map_ahead_start(cat), -EINVAL); /* once */
    /* bounded wait: the idle class runs when a CPU has nothing else */
    for (int i = 0; i < 6000 && pl_cat_mapped_ahead(cat) < (uint64_t)sb.st_size; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    CHECK(pl_cat_mapped_ahead(cat) == (uint64_t)sb.st_size, "the whole file (%" PRIu64 " of %lld)",
          pl_cat_mapped_ahead(cat), (long long)sb.st_size);
    long large = large_pages_in(path, &cached);
    CHECK(cached == n, "every page in the cache (%ld of %ld)", cached, n);
    if (large >= 0)
        CHECK_INT(large, 0); /* read in base pages: a writer's batch dirties its pages only */
    CHECK(rss_of(path) == (uint64_t)sb.st_size,
          "the whole file mapped (%" PRIu64 " bytes resident)", rss_of(path));
    int found;
    long warm = read_all(cat, &found);
    CHECK_INT(found, NITEMS);
    CHECK(warm * 10 < cold, "reads after it take a tenth of the faults or fewer (%ld, %ld cold)",
          warm, cold);
    pl_cat_close(cat);

    printf("a file the cache holds whole is left to the lookups' faults\n");
    CHECK_INT(pl_cat_open(dir, &o, &cat), 0);
    CHECK_INT(pl_cat_map_ahead_start(cat), 0);
    for (int i = 0; i < 6000 && pl_cat_mapped_ahead(cat) < (uint64_t)sb.st_size; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    CHECK(pl_cat_mapped_ahead(cat) == (uint64_t)sb.st_size, "gone through (%" PRIu64 ")",
          pl_cat_mapped_ahead(cat));
    CHECK(rss_of(path) < (uint64_t)sb.st_size / 8,
          "its pages not mapped (%" PRIu64 " bytes resident)", rss_of(path));
    read_all(cat, &found);
    CHECK_INT(found, NITEMS);
    pl_cat_close(cat);

    printf("a close while it reads: joined within one step\n");
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0, "drop the cache");
    close(fd);
    CHECK_INT(pl_cat_open(dir, &o, &cat), 0);
    CHECK_INT(pl_cat_map_ahead_start(cat), 0);
    pl_cat_close(cat);
}

int main(void)
{
    char dir[] = "/tmp/pl-test-prefault-XXXXXX", path[64];
    pl_cat_t *cat = catfix_open(dir, 480, 0);
    pl_txn_t *t;
    put_items(cat, 100000, NITEMS, "an item of a catalogue big enough to span pages %d");

    printf("reads in a fresh mapping fault their pages in\n");
    int found;
    cat = reopen(cat, dir);
    long cold = read_all(cat, &found);
    CHECK_INT(found, NITEMS);
    CHECK(cold >= 50, "a fresh mapping's reads fault its pages in (a fault maps several)");

    printf("after pl_cat_prefault they take almost none\n");
    cat = reopen(cat, dir);
    size_t bytes = 0;
    struct stat sb;
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    CHECK_INT(stat(path, &sb), 0);
    CHECK_INT(pl_cat_prefault(cat, &bytes), 0);
    CHECK(bytes > 0 && bytes <= (size_t)sb.st_size, "the file's pages, no more");
    CHECK(bytes + (size_t)sysconf(_SC_PAGESIZE) > (size_t)sb.st_size,
          "every whole page of the file");
    long warm = read_all(cat, &found);
    CHECK_INT(found, NITEMS);
    CHECK(warm * 10 < cold, "prefaulted reads take a tenth of the faults or fewer");
    printf("  faults: %ld in a fresh mapping, %ld after prefault\n", cold, warm);

    printf("a batch after it: the catalogue grows and reads on\n");
    put_items(cat, 900000, 2000, "added after the prefault %d");
    CHECK_INT(pl_txn_begin(cat, 0, &t), 0);
    pl_item_t it;
    CHECK_INT(pl_item_get(t, "901999", &it), 0);
    CHECK_STR(it.name, "added after the prefault 1999");
    pl_txn_abort(t);
    read_all(cat, &found);
    CHECK_INT(found, NITEMS);

    printf("a new map size maps the file anew: it is mapped ahead again\n");
    CHECK_INT(pl_cat_grow(cat, 0), 0);
    long remapped = read_all(cat, &found);
    CHECK_INT(found, NITEMS);
    CHECK(remapped * 10 < cold, "after pl_cat_grow, a tenth of the faults or fewer (%ld)",
          remapped);

    printf("the page cache in pages of the machine's size after it\n");
    pl_cat_close(cat);
    read_ahead(path);
    long before = large_pages(path);
    cat = reopen(NULL, dir);
    if (before < 0) {
        printf("  skipped: /proc/kpageflags gives no page frames here (root only)\n");
    } else if (before == 0) {
        printf("  skipped: readahead built no large folio for this file here (kernel "
               "or file system): nothing to recache\n");
    } else {
        size_t held = 0;
        CHECK_INT(pl_cat_recache(cat, &held), 0);
        CHECK_INT(stat(path, &sb), 0);
        CHECK(held == (size_t)sb.st_size, "the whole file read back");
        long cached, after = large_pages_in(path, &cached);
        printf("  pages in large folios: %ld after readahead, %ld after pl_cat_recache\n", before,
               after);
        CHECK_INT(after, 0);
        CHECK(cached == (long)(sb.st_size / sysconf(_SC_PAGESIZE)), "every page in the cache");
        CHECK_INT(pl_cat_prefault(cat, &bytes), 0);
        read_all(cat, &found);
        CHECK_INT(found, NITEMS);

        printf("a batch that grows the file: what it added is recached too\n");
        off_t size0 = sb.st_size;
        put_items(cat, 600000, 20000, "added by a batch that grows the file %d");
        CHECK_INT(stat(path, &sb), 0);
        CHECK(sb.st_size > size0, "the batch grew the file");
        long grown = large_pages(path);
        printf("  pages in large folios after it: %ld\n", grown);
        CHECK_INT(grown, 0);

        printf("a reader's page faults read their own pages, no large folio\n");
        pl_cat_close(cat);
        int fd = open(path, O_RDONLY);
        CHECK(fd >= 0 && posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0, "drop the cache");
        close(fd);
        cat = reopen(NULL, dir);
        read_all(cat, &found);
        CHECK_INT(found, NITEMS);
        CHECK_INT(large_pages(path), 0);
    }

    check_map_ahead_thread(cat, dir, path, cold);
    cat = reopen(NULL, dir);
    catfix_close(cat, dir);
    return pl_test_done("test_prefault");
}
