/* The report store's durable commit (pricelane/report.h), against a model
 * of a power loss: "the disk" is a copy of the store's file taken at every
 * flush of it (fdatasync, or a write through a descriptor opened O_DSYNC),
 * the moments at which the kernel reports its content on stable storage.
 * This executable interposes those two calls for liblmdb and the store;
 * each does its real work first. Opening the copy is what a restart after
 * a power loss at that moment would read.
 *
 * Checked: PL_REPORTS_WRITE has a commit on the disk when the put returns;
 * PL_REPORTS_WRITE_COVERED has it there once the next put (also one that
 * finds nothing to write) or pl_reports_sync returns, and not before (the
 * record waits for a flush, so holding the reply is needed); the copy is
 * always a store that opens and reads; the extension keeps the file at
 * least half a step ahead of its use and never shrinks it, also across a
 * reopen; a file with a torn, non-zero tail past its pages (a kill during
 * an extension or a commit) opens, takes new reports and reads them, and
 * so does one whose writer was SIGKILLed while it extended the file. */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "pricelane/err.h"
#include "pricelane/report.h"

#define T0 1790000000LL /* any instant: nothing here compares with the clock */

static char watched[256]; /* the store's data.mdb */
static char disk[512];    /* the copy: what a power loss would leave */
static int flushes;

/* Copies the watched file when fd is it; real calls only (no recursion). */
static void flushed(int fd)
{
    struct stat a, b;
    if (!watched[0] || fstat(fd, &a) != 0 || stat(watched, &b) != 0 || a.st_ino != b.st_ino ||
        a.st_dev != b.st_dev)
        return;
    flushes++;
    int in = open(watched, O_RDONLY), out = open(disk, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char buf[1 << 16];
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            break;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
}

int fdatasync(int fd)
{
    long r = syscall(SYS_fdatasync, fd);
    if (r == 0)
        flushed(fd);
    return (int)r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    long r = syscall(SYS_pwrite64, fd, buf, n, off);
    int fl = fcntl(fd, F_GETFL);
    if (r >= 0 && fl >= 0 && (fl & O_DSYNC))
        flushed(fd);
    return (ssize_t)r;
}

static pl_report_t mk(int group, int i)
{
    pl_report_t r;
    memset(&r, 0, sizeof(r));
    snprintf(r.id, sizeof(r.id), "g%d-%d", group, i);
    snprintf(r.store, sizeof(r.store), "S1");
    snprintf(r.lane, sizeof(r.lane), "L%d", i % 7);
    snprintf(r.cashier, sizeof(r.cashier), "c07");
    snprintf(r.code, sizeof(r.code), "6901234567014");
    r.kind = PL_REPORT_PRICE;
    r.at = T0 + group;
    r.shelf_price = 990;
    r.system_price = 1290;
    r.charge = 990;
    return r;
}

#define GROUP 6

static int put_group(pl_reports_t *rs, int g)
{
    pl_report_t r[GROUP];
    pl_report_put_t out[GROUP];
    for (int i = 0; i < GROUP; i++)
        r[i] = mk(g, i);
    return pl_reports_put(rs, r, GROUP, out, NULL, 0, 0);
}

static int count(const pl_report_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

/* Reports of groups [1, upto] in the store in dir: -1 when it does not
 * open or read (a corrupt store). */
static int stored(const char *dir, int upto)
{
    pl_reports_t *rs;
    char err[512];
    if (pl_reports_open(dir, PL_REPORTS_READ, &rs, err, sizeof(err)) != 0) {
        printf("  %s\n", err);
        return -1;
    }
    int n = 0;
    int rc = pl_reports_each(rs, T0, T0 + upto + 1, "S1", count, &n);
    pl_reports_close(rs);
    return rc ? -1 : n;
}

/* The copy as a store directory of its own. */
static const char *disk_dir(const char *base)
{
    static char d[256];
    snprintf(d, sizeof(d), "%s/disk", base);
    return d;
}

static void watch(const char *store, const char *base)
{
    snprintf(watched, sizeof(watched), "%s/data.mdb", store);
    snprintf(disk, sizeof(disk), "%s/data.mdb", disk_dir(base));
    mkdir(disk_dir(base), 0700);
    unlink(disk);
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Bytes of the store's pages in use (its last page's end). */
static off_t used_bytes(const char *dir)
{
    MDB_env *env;
    MDB_envinfo info;
    MDB_stat st;
    off_t used = -1;
    if (mdb_env_create(&env) != 0)
        return -1;
    if (mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0) == 0 && mdb_env_info(env, &info) == 0 &&
        mdb_env_stat(env, &st) == 0)
        used = (off_t)(info.me_last_pgno + 1) * st.ms_psize;
    mdb_env_close(env);
    return used;
}

static void test_each(const char *base)
{
    char dir[256], err[512];
    snprintf(dir, sizeof(dir), "%s/each", base);
    pl_reports_t *rs;
    CHECK_INT(pl_reports_open(dir, PL_REPORTS_WRITE, &rs, err, sizeof(err)), 0);
    watch(dir, base);
    for (int g = 1; g <= 5; g++) {
        CHECK_INT(put_group(rs, g), 0);
        /* On the disk when the put returns. */
        CHECK_INT(stored(disk_dir(base), g), g * GROUP);
    }
    pl_reports_close(rs);
    watched[0] = 0;
}

static void test_covered(const char *base)
{
    char dir[256], err[512];
    snprintf(dir, sizeof(dir), "%s/covered", base);
    pl_reports_t *rs;
    CHECK_INT(pl_reports_open(dir, PL_REPORTS_WRITE_COVERED, &rs, err, sizeof(err)), 0);
    CHECK_INT(pl_reports_sync(rs), 0); /* the schema's commit */
    watch(dir, base);
    for (int g = 1; g <= 30; g++) {
        int before = flushes;
        CHECK_INT(put_group(rs, g), 0);
        CHECK_INT(flushes - before, 1); /* one flush a commit */
        /* The commits before are on the disk; this one is not yet. */
        CHECK_INT(stored(disk_dir(base), g), (g - 1) * GROUP);
        if (g % 10 == 0) {
            CHECK_INT(pl_reports_pending(rs), 1);
            CHECK_INT(pl_reports_sync(rs), 0);
            CHECK_INT(stored(disk_dir(base), g), g * GROUP);
            CHECK_INT(pl_reports_pending(rs), 0);
            before = flushes;
            CHECK_INT(pl_reports_sync(rs), 0); /* nothing waits: no flush */
            CHECK_INT(flushes, before);
        }
    }
    /* A put that writes nothing (only a retry) flushes for the commit
     * before it all the same. */
    CHECK_INT(put_group(rs, 31), 0);
    CHECK_INT(stored(disk_dir(base), 31), 30 * GROUP);
    pl_report_t again = mk(31, 0);
    pl_report_put_t out;
    CHECK_INT(pl_reports_put(rs, &again, 1, &out, NULL, 0, 0), 0);
    CHECK_INT(out, PL_REPORT_SAME);
    CHECK_INT(stored(disk_dir(base), 31), 31 * GROUP);
    /* Closing syncs what waits. */
    CHECK_INT(put_group(rs, 32), 0);
    pl_reports_close(rs);
    CHECK_INT(stored(disk_dir(base), 32), 32 * GROUP);
    watched[0] = 0;
}

static void test_extend(const char *base)
{
    char dir[256], data[300], err[512];
    snprintf(dir, sizeof(dir), "%s/extend", base);
    snprintf(data, sizeof(data), "%s/data.mdb", dir);
    const size_t step = 256 << 10;
    pl_reports_t *rs;
    CHECK_INT(pl_reports_open(dir, PL_REPORTS_WRITE_COVERED, &rs, err, sizeof(err)), 0);
    pl_reports_set_extend(rs, step);
    off_t last = 0;
    int grew = 0;
    for (int g = 1; g <= 200; g++) {
        CHECK_INT(put_group(rs, g), 0);
        off_t size = file_size(data), used = used_bytes(dir);
        /* The extension runs before a commit writes: after it, at least
         * half a step minus what one commit took is left. */
        if (size - used < (off_t)step / 4)
            CHECK(0, "group %d: %lld bytes past the pages in use of %lld", g,
                  (long long)(size - used), (long long)size);
        if (size < last)
            CHECK(0, "group %d: the file shrank from %lld to %lld", g, (long long)last,
                  (long long)size);
        grew += size > last;
        last = size;
    }
    CHECK(grew >= 2, "the file grew in steps (%d times)", grew);
    CHECK(last < used_bytes(dir) + (off_t)step + 65536, "never more than a step ahead: %lld",
          (long long)last);
    pl_reports_close(rs);
    /* LMDB keeps it on reopen, read and write. */
    CHECK_INT(stored(dir, 200), 200 * GROUP);
    CHECK_INT(pl_reports_open(dir, PL_REPORTS_WRITE_COVERED, &rs, err, sizeof(err)), 0);
    CHECK_INT(put_group(rs, 201), 0);
    pl_reports_close(rs);
    CHECK(file_size(data) >= last, "reopened: %lld, was %lld", (long long)file_size(data),
          (long long)last);

    /* A kill during an extension or a commit leaves bytes past the pages
     * in use: a tail of any length and content. */
    int fd = open(data, O_WRONLY | O_APPEND);
    char junk[12345];
    memset(junk, 0xa5, sizeof(junk));
    CHECK(fd >= 0 && write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk), "torn tail written");
    if (fd >= 0)
        close(fd);
    CHECK_INT(pl_reports_open(dir, PL_REPORTS_WRITE_COVERED, &rs, err, sizeof(err)), 0);
    pl_reports_set_extend(rs, step);
    for (int g = 202; g <= 260; g++)
        CHECK_INT(put_group(rs, g), 0);
    pl_reports_close(rs);
    CHECK_INT(stored(dir, 260), 260 * GROUP);
}

/* A writer SIGKILLed while it writes a large extension (the parent waits
 * for the file to grow past its first MiB of zeros, then kills): the
 * store opens, keeps every report committed before, and takes more. */
static void test_kill_extending(const char *base)
{
    char dir[256], data[300], err[512];
    snprintf(dir, sizeof(dir), "%s/killed", base);
    snprintf(data, sizeof(data), "%s/data.mdb", dir);
    pl_reports_t *rs;
    CHECK_INT(pl_reports_open(dir, PL_REPORTS_WRITE, &rs, err, sizeof(err)), 0);
    CHECK_INT(put_group(rs, 1), 0);
    pl_reports_close(rs);
    off_t before = file_size(data);
    pid_t pid = fork();
    if (pid == 0) {
        /* 1 GiB past the pages in use (the map is 256 MiB: capped there). */
        if (pl_reports_open(dir, PL_REPORTS_WRITE, &rs, err, sizeof(err)) != 0)
            _exit(2);
        pl_reports_set_extend(rs, (size_t)1 << 30);
        put_group(rs, 2);
        _exit(0);
    }
    CHECK(pid > 0, "fork");
    if (pid <= 0)
        return;
    /* Polled, bounded: 10 s. */
    for (int i = 0; i < 10000 && file_size(data) < before + (1 << 20); i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    off_t at_kill = file_size(data);
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("  killed the writer at %lld bytes of the file (%lld before)%s\n", (long long)at_kill,
           (long long)before, WIFSIGNALED(status) ? "" : " (it had finished)");
    CHECK(at_kill >= before + (1 << 20), "the file grew before the kill: %lld", (long long)at_kill);
    CHECK_INT(pl_reports_open(dir, PL_REPORTS_WRITE_COVERED, &rs, err, sizeof(err)), 0);
    pl_reports_set_extend(rs, 256 << 10);
    for (int g = 3; g <= 20; g++)
        CHECK_INT(put_group(rs, g), 0);
    pl_reports_close(rs);
    int n = stored(dir, 20);
    /* Group 2 is there only if the killed writer committed it. */
    CHECK(n == 19 * GROUP || n == 20 * GROUP, "reports after the kill: %d", n);
}

int main(void)
{
    char base[] = "/tmp/pl-test-reports-durable-XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    test_each(base);
    test_covered(base);
    test_extend(base);
    test_kill_extending(base);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
    if (system(cmd) != 0)
        printf("could not remove %s\n", base);
    return pl_test_done("test_reports_durable");
}
