/* libpl_failio.so: an LD_PRELOAD shim that makes the Nth write-side I/O call
 * fail, to show what the loader does when the disk reports an error in the
 * middle of a commit.
 *
 * Interposed: write, pwrite, pwrite64, writev, pwritev, fsync, fdatasync,
 * msync (LMDB's data path uses pwrite, writev after lseek, fdatasync, and
 * the O_DSYNC meta write through pwrite; msync only with MDB_WRITEMAP). A
 * failing call does nothing and returns -1 with the chosen errno, as a disk
 * that refused the whole request would.
 *
 * Settings, from the environment at the first intercepted call:
 *   PL_FAIL_CALLS  comma-separated names of the calls to count (default:
 *                  all of the above; pwrite covers pwrite64)
 *   PL_FAIL_PATH   count only calls on files whose path contains this text
 *                  (default: every regular file; msync is always counted)
 *   PL_FAIL_NTH    the counted call that fails first, from 1; 0 or unset:
 *                  none fails (count only)
 *   PL_FAIL_TIMES  how many counted calls fail from the Nth on (default 1;
 *                  0 = every one from the Nth on)
 *   PL_FAIL_ERRNO  EIO (default), ENOSPC, EDQUOT, or a number
 *   PL_FAIL_LOG    file to which a line is appended for each injected
 *                  failure ("fail N CALL PATH") and, at exit, the total
 *                  ("calls N")
 *   PL_FAIL_TRACE  if set (non-empty), also a line for every counted call
 *                  ("call N CALL PATH"): which call is which
 *
 * The shim writes its own log with raw system calls, so it never counts or
 * fails its own output. Standard output and error (pipes, terminals) are
 * not regular files and are never counted unless PL_FAIL_PATH names them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

enum { C_WRITE, C_PWRITE, C_WRITEV, C_PWRITEV, C_FSYNC, C_FDATASYNC, C_MSYNC, C_COUNT };
static const char *const call_name[C_COUNT] = {"write",  "pwrite", "writev", "pwritev",
                                               "fsync",  "fdatasync", "msync"};

static struct {
    int ready;
    unsigned mask;
    char path[PATH_MAX];
    long nth, times;
    int err;
    int logfd, trace;
} cfg;
static _Atomic long counted;

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
    char buf[PATH_MAX + 128];
    va_list ap;
    if (cfg.logfd < 0)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)syscall(SYS_write, cfg.logfd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static int errno_from(const char *s)
{
    if (!s || !*s || !strcmp(s, "EIO"))
        return EIO;
    if (!strcmp(s, "ENOSPC"))
        return ENOSPC;
    if (!strcmp(s, "EDQUOT"))
        return EDQUOT;
    int n = atoi(s);
    return n > 0 ? n : EIO;
}

/* Settings are read once; the loader is single-threaded while it writes, and
 * a benign double initialization by two threads reads the same values. */
static void setup(void)
{
    if (cfg.ready)
        return;
    const char *calls = getenv("PL_FAIL_CALLS");
    const char *path = getenv("PL_FAIL_PATH");
    const char *nth = getenv("PL_FAIL_NTH");
    const char *times = getenv("PL_FAIL_TIMES");
    const char *logp = getenv("PL_FAIL_LOG");

    cfg.mask = 0;
    if (!calls || !*calls) {
        cfg.mask = (1u << C_COUNT) - 1;
    } else {
        for (int i = 0; i < C_COUNT; i++) {
            size_t len = strlen(call_name[i]);
            for (const char *p = calls; (p = strstr(p, call_name[i])); p += len)
                if ((p == calls || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
                    cfg.mask |= 1u << i;
        }
    }
    snprintf(cfg.path, sizeof cfg.path, "%s", path ? path : "");
    cfg.nth = nth ? atol(nth) : 0;
    cfg.times = times ? atol(times) : 1;
    cfg.err = errno_from(getenv("PL_FAIL_ERRNO"));
    const char *trace = getenv("PL_FAIL_TRACE");
    cfg.trace = trace && *trace;
    cfg.logfd = logp && *logp ? (int)syscall(SYS_open, logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                              : -1;
    cfg.ready = 1;
}

__attribute__((destructor)) static void report(void)
{
    if (cfg.ready)
        log_line("calls %ld\n", atomic_load(&counted));
}

/* Whether the call on fd is one the settings count; its path in where. */
static int selected(int call, int fd, char *where, size_t cap)
{
    setup();
    if (!(cfg.mask & (1u << call)))
        return 0;
    snprintf(where, cap, "?");
    if (call == C_MSYNC)
        return 1;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, where, cap - 1);
    if (n < 0)
        return 0;
    where[n] = '\0';
    if (cfg.path[0])
        return strstr(where, cfg.path) != NULL;
    struct stat sb;
    return fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Counts a selected call; returns 1 (errno set) when this one must fail. */
static int inject(int call, int fd)
{
    char where[PATH_MAX];
    if (!selected(call, fd, where, sizeof where))
        return 0;
    long n = atomic_fetch_add(&counted, 1) + 1;
    if (cfg.trace)
        log_line("call %ld %s %s\n", n, call_name[call], where);
    if (cfg.nth <= 0 || n < cfg.nth || (cfg.times > 0 && n >= cfg.nth + cfg.times))
        return 0;
    log_line("fail %ld %s %s\n", n, call_name[call], where);
    errno = cfg.err;
    return 1;
}

#define REAL(ret, name, ...)                                                                       \
    static ret (*real)(__VA_ARGS__);                                                               \
    if (!real)                                                                                     \
        *(void **)&real = dlsym(RTLD_NEXT, name)

ssize_t write(int fd, const void *buf, size_t len)
{
    REAL(ssize_t, "write", int, const void *, size_t);
    if (inject(C_WRITE, fd))
        return -1;
    return real(fd, buf, len);
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    REAL(ssize_t, "pwrite", int, const void *, size_t, off_t);
    if (inject(C_PWRITE, fd))
        return -1;
    return real(fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    REAL(ssize_t, "pwrite64", int, const void *, size_t, off_t);
    if (inject(C_PWRITE, fd))
        return -1;
    return real(fd, buf, len, off);
}

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    REAL(ssize_t, "writev", int, const struct iovec *, int);
    if (inject(C_WRITEV, fd))
        return -1;
    return real(fd, iov, cnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    REAL(ssize_t, "pwritev", int, const struct iovec *, int, off_t);
    if (inject(C_PWRITEV, fd))
        return -1;
    return real(fd, iov, cnt, off);
}

int fsync(int fd)
{
    REAL(int, "fsync", int);
    if (inject(C_FSYNC, fd))
        return -1;
    return real(fd);
}

int fdatasync(int fd)
{
    REAL(int, "fdatasync", int);
    if (inject(C_FDATASYNC, fd))
        return -1;
    return real(fd);
}

int msync(void *addr, size_t len, int flags)
{
    REAL(int, "msync", void *, size_t, int);
    if (inject(C_MSYNC, -1))
        return -1;
    return real(addr, len, flags);
}
