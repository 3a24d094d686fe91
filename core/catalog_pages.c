/* The catalogue's pages in memory, for long-running processes: held in the
 * page cache in pages of the machine's size, and mapped ahead.
 *
 * Why the size of the page cache's pages matters: a kernel may hold a
 * file's cache in folios of up to 2 MiB (ext4 since Linux 6.16, XFS since
 * 5.18), built by readahead and by large writes (an import, a copy, a
 * restore). LMDB rewrites a catalogue in scattered 4 KiB pages. A 4 KiB
 * write into a large folio dirties the whole folio, and the flush that
 * ends each batch walks every block of it: on a 1 M-item catalogue a
 * 100-row batch dirtied 40 MiB (cache filled by a copy) to 500 MiB (filled
 * by readahead) for the 3 MiB it wrote, and took 6 to 27 ms of system CPU,
 * against 7 MiB and 4 to 5 ms in 4 KiB pages (bench/RESULTS.md, "The page
 * cache's folios"). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <lmdb.h>

#include "catalog_int.h"
#include "map_ahead.h"
#include "pricelane/err.h"

/* Largest folio a page cache builds on the machines the project runs on
 * (PMD size on x86-64 and arm64 with 4 KiB pages): a chunk aligned to it
 * holds whole folios only, and the kernel drops a folio from the cache
 * only when the range covers all of it. */
#define RECACHE_CHUNK (2u << 20)

/* Where LMDB mapped the catalogue's file (device and inode of sb) in this
 * process: LMDB does not tell, /proc/self/maps does. Only a shared mapping
 * from offset 0 (LMDB's); *len is cut to the file's whole pages. -ENOENT if
 * there is none. */
static int find_map(const struct stat *sb, char **lo, size_t *len)
{
    char line[4608];
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return -errno;
    int rc = -ENOENT;
    while (rc && fgets(line, sizeof(line), f)) {
        unsigned long a, b, off, ino;
        unsigned maj, mnr;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &a, &b, perms, &off, &maj, &mnr, &ino) != 7 ||
            perms[3] != 's' || ino != (unsigned long)sb->st_ino || off != 0 ||
            makedev(maj, mnr) != sb->st_dev)
            continue;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        *lo = (char *)a;
        *len = b - a;
        if ((uint64_t)sb->st_size < *len)
            *len = (size_t)sb->st_size / page * page;
        rc = 0;
    }
    fclose(f);
    return rc;
}

/* The catalogue's file as LMDB holds it open (never a path that may have
 * been replaced since, by a symbolic link or a FIFO), with its status. */
static int data_fd(const pl_cat_t *cat, struct stat *sb)
{
    mdb_filehandle_t fd;
    if (mdb_env_get_fd(cat->env, &fd) != 0)
        return -EBADF;
    if (fstat(fd, sb) != 0)
        return -errno;
    return S_ISREG(sb->st_mode) ? fd : -EINVAL;
}

/* Drops [from, to) of the file (from the page holding from) from the page
 * cache and reads it back in base pages through fd, whose reads are set
 * not to read ahead; the bytes read into *bytes. */
static int recache_range(int fd, char *map, size_t maplen, off_t from, off_t to, size_t *bytes)
{
    char *buf = malloc(RECACHE_CHUNK);
    if (!buf)
        return -ENOMEM;
    /* Reads of this file fill the cache in pages of the machine's size and
     * read nothing ahead (the kernel's "random" access pattern; LMDB, which
     * shares the open file, reads only its meta pages through it). */
    int rc = -posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
    /* From the page that holds from: a large folio is aligned to its size
     * and never spans pages cached before it, so none begins earlier. The
     * chunks end at multiples of RECACHE_CHUNK, each holding whole folios. */
    off_t page = (off_t)sysconf(_SC_PAGESIZE), off = from / page * page;
    while (!rc && off < to) {
        size_t len = (size_t)(RECACHE_CHUNK - off % RECACHE_CHUNK);
        /* Dropped and read again one chunk at a time, so a reader of the
         * catalogue finds at most one chunk missing, for the time of one
         * read. This process's own mapping would keep its pages (LMDB's
         * meta pages at least): unmapping them is safe, as the mapping is
         * the file's, shared, and a later read maps the same page again.
         * The kernel keeps what it cannot drop: pages another process (a
         * server) maps, dirty pages, pages being written. */
        if (map && (size_t)off < maplen)
            (void)madvise(map + off, maplen - (size_t)off < len ? maplen - (size_t)off : len,
                          MADV_DONTNEED);
        (void)posix_fadvise(fd, off, (off_t)len, POSIX_FADV_DONTNEED);
        ssize_t n = pread(fd, buf, len, off);
        if (n < 0 && errno == EINTR)
            continue; /* interrupted: this chunk again */
        if (n < 0)
            rc = -errno;
        else if (n == 0)
            break; /* the end of the file */
        else
            *bytes += (size_t)n, off += (off_t)len;
    }
    free(buf);
    return rc;
}

void cat_cache_head(const char *dir)
{
    char path[4200], buf[64 << 10];
    snprintf(path, sizeof(path), "%s/data.mdb", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
        posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM) == 0)
        (void)!pread(fd, buf, sizeof(buf), 0);
    close(fd);
}

/* The file from byte from to its end, read back in base pages; held_size
 * then covers it, and what it read is mapped ahead where the process asked
 * for it (pl_cat_prefault). Nothing to do when the file ends at from or
 * before. */
static int recache_from(pl_cat_t *cat, int64_t from, size_t *bytes)
{
    struct stat sb;
    char *map = NULL;
    size_t maplen = 0;
    *bytes = 0;
    int fd = data_fd(cat, &sb);
    if (fd < 0)
        return fd;
    if (from && sb.st_size <= from)
        return 0;
    if (find_map(&sb, &map, &maplen) != 0)
        map = NULL;
    int rc = recache_range(fd, map, maplen, from, sb.st_size, bytes);
    if (!rc)
        cat->held_size = sb.st_size; /* and from now on, what commits add */
    if (!rc && map && cat->mapped_ahead) {
        /* (recache_range unmapped it: from the page that holds from) */
        size_t page = (size_t)sysconf(_SC_PAGESIZE), at = (size_t)from / page * page;
        if (at < maplen)
            (void)pl_map_ahead(map + at, maplen - at); /* advice: a fault maps it anyway */
    }
    return rc;
}

int pl_cat_recache(pl_cat_t *cat, size_t *bytes)
{
    return recache_from(cat, 0, bytes);
}

void cat_recache_grown(pl_cat_t *cat)
{
    size_t bytes;
    (void)recache_from(cat, cat->held_size, &bytes);
}

/* The catalogue's whole mapping mapped ahead; its length in *len. */
static int map_all_ahead(pl_cat_t *cat, size_t *len)
{
    struct stat sb;
    char *lo;
    int fd = data_fd(cat, &sb);
    if (fd < 0)
        return fd;
    int rc = find_map(&sb, &lo, len);
    return rc ? rc : pl_map_ahead(lo, *len);
}

void cat_map_ahead_again(pl_cat_t *cat)
{
    size_t len;
    if (cat->mapped_ahead)
        (void)map_all_ahead(cat, &len); /* advice: a fault maps a page anyway */
}

int pl_cat_prefault(pl_cat_t *cat, size_t *bytes)
{
    size_t len;
    *bytes = 0;
    int rc = map_all_ahead(cat, &len);
    if (rc)
        return rc;
    cat->mapped_ahead = 1;
    *bytes = len;
    return 0;
}

int pl_cat_map_ahead_start(pl_cat_t *cat)
{
    struct stat sb;
    char *lo;
    size_t len;
    if (!cat || !cat->shared || cat->bg.running)
        return -EINVAL;
    int fd = data_fd(cat, &sb);
    if (fd < 0)
        return fd;
    int rc = find_map(&sb, &lo, &len);
    if (rc)
        return rc;
    /* A file that would take more than half the memory is left to the
     * lookups' faults: reading it all would only push out what else the
     * machine keeps cached, and the catalogue's own pages read first. */
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psz > 0 && (uint64_t)len > (uint64_t)pages * (uint64_t)psz / 2)
        return -EFBIG;
    /* Reads through LMDB's descriptor (LMDB reads only its meta pages
     * through it) fill the cache in base pages and read nothing ahead,
     * as the writers' recache does. */
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
    return pl_map_bg_start(&cat->bg, lo, len, fd);
}

uint64_t pl_cat_mapped_ahead(const pl_cat_t *cat)
{
    return cat ? pl_map_bg_done(&cat->bg) : 0;
}
