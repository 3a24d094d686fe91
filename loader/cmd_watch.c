/* watch: applies batch files dropped into a directory, in name order.
 *
 * A file is complete when it has been renamed into INBOX under a batch name
 * (*.csv, *.jsonl, *.ndjson): writers write "name.csv.tmp", "name.part" or
 * ".name.csv" and rename it when done, so a file is never seen half written.
 * Dot-files, other names and directories are ignored.
 *
 * Every name in INBOX is an attacker's: a file is opened relative to the
 * inbox with O_NOFOLLOW | O_NONBLOCK, and only a regular file (fstat on the
 * descriptor) is read, through that one descriptor; a symbolic link, a FIFO,
 * a device or a socket goes to failed/ unread. A file written in place
 * rather than renamed in is applied only once it has not changed for
 * --settle seconds, and one that changes while it is read is left in INBOX
 * (load_files compares fstat before the commit). NAME.err files are created
 * with the refused file's permissions (0640 for anything not a regular
 * file), never wider.
 *
 * Restart safety comes from the batch ledger, not from the directory: a file
 * is moved to done/ only after its batch committed, so a crash before the
 * move leaves it in INBOX, and the next run applies it again — which the
 * ledger turns into "already applied" (same id, same content) before moving
 * it. A file is therefore never applied twice and never skipped.
 *
 * libuv: a file-system event on INBOX schedules a scan (coalesced through a
 * zero-delay timer), a periodic timer rescans in case an event was missed
 * (an NFS or SFTP-mounted inbox may not deliver any), and SIGTERM/SIGINT set
 * a flag that is checked between files: the file being applied is finished,
 * then the loop stops. Applying is synchronous; nothing else runs meanwhile,
 * which is the point: batches commit one at a time in name order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cmds.h"
#include "load.h"
#include "pricelane/cpu_share.h"
#include "pricelane/err.h"

static const char usage_text[] =
    "usage: pricelane-load watch --db DIR [--once] [--rescan SECONDS] [--settle SECONDS] INBOX\n"
    "\n"
    "Applies the batch files dropped into the directory INBOX, each as one batch\n"
    "(like apply), in byte order of their names, then moves each to INBOX/done/\n"
    "or, when it was refused, to INBOX/failed/ with NAME.err next to it giving\n"
    "every reason (file:line:column).\n"
    "\n"
    "Which files: a file is picked up once it is in INBOX under a name ending in\n"
    ".csv, .jsonl or .ndjson (any case) and does not start with '.'. Write the file\n"
    "under another name in INBOX (name.csv.tmp, name.part, .name.csv) or elsewhere\n"
    "on the same file system, and rename it into place when complete; a rename is\n"
    "atomic, so a file is never read half written. Name files so that byte order\n"
    "is the order to apply them (2026-11-26T0800-0001.csv...).\n"
    "\n"
    "Safety: only regular files are read. A symbolic link, a FIFO, a device or a\n"
    "socket under a batch name is moved to failed/ unread (directories are left\n"
    "alone). A file modified less than --settle seconds ago is left in INBOX until\n"
    "it has not changed for that long, and a file that changes while it is read\n"
    "is not applied and stays in INBOX: a file written in place is applied whole,\n"
    "once its writer has stopped.\n"
    "\n"
    "Restarts: a file leaves INBOX only after its batch has committed. If the\n"
    "watcher stops in between, the next run applies the file again, the batch\n"
    "ledger recognizes it (same batch id, same content) and it moves to done/ as\n"
    "'already applied': never applied twice, never skipped. A file that fails for\n"
    "a reason outside it (a catalogue error) stays in INBOX and is retried; later\n"
    "files wait, to keep the order.\n"
    "\n"
    "  --db DIR           the catalogue\n"
    "  --once             process the files there now and exit (cron, tests)\n"
    "  --rescan SECONDS   rescan INBOX this often even without a file event\n"
    "                     (default 30; 1 to 86400; events can be lost on network\n"
    "                     file systems)\n"
    "  --settle SECONDS   a file must not have changed for this long before it is\n"
    "                     read (default 1; 0 to 3600; --once waits for it)\n"
    "\n"
    "SIGTERM or SIGINT: the file being applied is finished, then the watcher exits 0.\n"
    "Only one watcher runs per INBOX (a lock on INBOX/.pricelane-watch.lock).\n"
    "\n"
    "Exit status: 0 (--once: every file applied or already applied), 1 a file\n"
    "failed or the catalogue could not be used, 2 usage.\n";

typedef struct watcher {
    uv_loop_t loop;
    uv_fs_event_t ev;
    uv_timer_t rescan, kick;
    uv_async_t wake;
    pl_cat_t *cat; /* NULL after a catalogue error: reopened before the next file */
    const char *db, *inbox;
    int dirfd; /* INBOX, every file is opened relative to it */
    unsigned rescan_ms, settle_ms;
    int64_t retry_ms; /* > 0: the first file left waits to settle; retry after this */
    /* The file left to settle, as last seen, and since when (monotonic ms)
     * it has looked the same: it also settles by that, whatever its mtime
     * says (a clock set back, a file dated in the future). */
    char wait_name[NAME_MAX + 1];
    off_t wait_size;
    struct timespec wait_mtime;
    int64_t wait_since;
    int failed; /* files moved to failed/ */
    int stuck;  /* a file left in INBOX after a catalogue error */
    int fatal;
} watcher_t;

static volatile sig_atomic_t stop_requested;
static uv_async_t *volatile wake_handle;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
    if (wake_handle)
        uv_async_send(wake_handle); /* async-signal-safe */
}

static int batch_name(const char *name)
{
    static const char *const ext[] = {".csv", ".jsonl", ".ndjson"};
    size_t n = strlen(name);
    if (name[0] == '.')
        return 0;
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        size_t e = strlen(ext[i]);
        if (n > e && strcasecmp(name + n - e, ext[i]) == 0)
            return 1;
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Moves INBOX/name to INBOX/sub/name, or name.1, name.2... when taken.
 * Writes the final path to out. */
static int move_to(const watcher_t *w, const char *sub, const char *name, char *out, size_t cap)
{
    char from[PATH_MAX];
    struct stat st;
    snprintf(from, sizeof(from), "%s/%s", w->inbox, name);
    snprintf(out, cap, "%s/%s/%s", w->inbox, sub, name);
    for (int k = 1; lstat(out, &st) == 0 && k < 10000; k++)
        snprintf(out, cap, "%s/%s/%s.%d", w->inbox, sub, name, k);
    return rename(from, out) == 0 ? 0 : -errno;
}

/* Writes the reasons of a failed file next to it, atomically, with mode
 * `mode` (the file's own permissions): what a reason quotes of the file is
 * never readable by more people than the file was. */
static int write_err(const char *path, const char *name, int rc, const pl_diags_t *d, mode_t mode)
{
    char tmp[PATH_MAX + 8], fin[PATH_MAX + 8];
    snprintf(fin, sizeof(fin), "%s.err", path);
    snprintf(tmp, sizeof(tmp), "%s.err.tmp", path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int e = -errno;
        if (fd >= 0)
            close(fd);
        return e;
    }
    fchmod(fd, mode); /* exactly that, whatever the umask */
    fprintf(f, "%s: not applied: %s\n", name,
            rc == PL_EFORMAT     ? "bad rows (listed below); nothing of the file was applied"
            : rc == PL_ECONFLICT ? "its batch id was applied before with other content"
            : rc == -ELOOP       ? "a symbolic link; the inbox takes regular files only (not read)"
            : rc == -EINVAL ? "not a regular file; the inbox takes regular files only (not read)"
                            : pl_strerror(rc));
    size_t kept = d->count < (d->limit ? d->limit : 1000) ? d->count : (d->limit ? d->limit : 1000);
    for (size_t i = 0; i < kept && d->msgs && d->msgs[i]; i++)
        fprintf(f, "%s\n", d->msgs[i]);
    if (d->count > kept)
        fprintf(f, "... and %zu more\n", d->count - kept);
    int bad = ferror(f) | fflush(f) | fsync(fileno(f));
    bad |= fclose(f);
    if (bad || rename(tmp, fin) != 0) {
        int e = errno ? -errno : -EIO;
        remove(tmp);
        return e;
    }
    return 0;
}

/* A refusal that is the file's own fault: it goes to failed/. Anything else
 * (the catalogue, the disk) leaves the file in INBOX to be retried. */
static int file_fault(int rc)
{
    return rc == PL_EFORMAT || rc == PL_ECONFLICT || rc == PL_ETXNFULL || rc == -EACCES ||
           rc == -EISDIR || rc == -EINVAL || rc == -ELOOP;
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0 when name (as st shows it) has not changed for settle_ms, by its mtime
 * or by how long this watcher has seen it unchanged; else the milliseconds
 * left to wait, and the file is remembered. */
static int64_t settle_left(watcher_t *w, const char *name, const struct stat *st)
{
    int64_t now = clock_ms(CLOCK_MONOTONIC);
    int64_t age = clock_ms(CLOCK_REALTIME) -
                  ((int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000);
    if (strcmp(w->wait_name, name) != 0 || w->wait_size != st->st_size ||
        w->wait_mtime.tv_sec != st->st_mtim.tv_sec ||
        w->wait_mtime.tv_nsec != st->st_mtim.tv_nsec) {
        snprintf(w->wait_name, sizeof(w->wait_name), "%s", name);
        w->wait_size = st->st_size;
        w->wait_mtime = st->st_mtim;
        w->wait_since = now;
    }
    int64_t seen = now - w->wait_since;
    if (age >= (int64_t)w->settle_ms || seen >= (int64_t)w->settle_ms)
        return 0;
    int64_t left = (int64_t)w->settle_ms - (age > seen ? age : seen);
    return left > 0 ? left : 1;
}

/* Opens INBOX/name for reading, never following a link nor blocking on a
 * FIFO. Returns the descriptor, or -errno (-ELOOP: a symbolic link, -EINVAL:
 * not a regular file, with *st filled when it could be). */
static int open_inbox_file(const watcher_t *w, const char *name, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFREG | 0640;
    int fd = openat(w->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return -EINVAL;
    }
    return fd;
}

/* The file is left in INBOX to settle (not an error code). */
#define LEFT_TO_SETTLE 1

/* Reads INBOX/name (at path) as one batch, through one descriptor, once it
 * has settled. Returns load_files' result; -ELOOP or -EINVAL for a file that
 * is not regular, refused unread with the reason in d; another -errno when it
 * could not be opened; or LEFT_TO_SETTLE after saying so. *st is what the
 * file's NAME.err takes its permissions from. */
static int read_batch(watcher_t *w, const char *name, char *path, struct stat *st, pl_diags_t *d,
                      load_result_t *res)
{
    char *files[1] = {path};
    load_opts_t o = {0};
    int rc = 0, fd = open_inbox_file(w, name, st);
    if (fd == -ELOOP || fd == -EINVAL) {
        rc = fd;
        pl_diag(d, path, 0, NULL, "%s: refused unread; the inbox takes regular files only",
                fd == -ELOOP                                   ? "a symbolic link"
                : S_ISFIFO(st->st_mode)                        ? "a FIFO"
                : S_ISSOCK(st->st_mode)                        ? "a socket"
                : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode) ? "a device"
                                                               : "not a regular file");
        st->st_mode = S_IFREG | 0640;
    } else if (fd < 0) {
        rc = fd;
    } else {
        int64_t left = settle_left(w, name, st);
        if (left > 0) {
            w->retry_ms = left + 10;
            printf("%s: changed %.1f s ago: left in the inbox until it has not changed for %u s\n",
                   name, (double)(w->settle_ms - left) / 1000, w->settle_ms / 1000);
            close(fd);
            fflush(stdout);
            return LEFT_TO_SETTLE;
        }
        o.fds = &fd;
        rc = load_files(w->cat, files, 1, &o, d, res);
        close(fd);
    }
    return rc;
}

/* An applied (or already applied) batch: its file goes to done/. Returns 0,
 * or -1 when it could not be moved. */
static int file_done(const watcher_t *w, const char *name, const load_result_t *res)
{
    char dest[PATH_MAX];
    int mv = move_to(w, "done", name, dest, sizeof(dest));
    if (res->already)
        printf("%s: batch %s already applied (generation %" PRIu64 "): nothing to do", name,
               res->batch, res->gen);
    else
        printf("%s: applied batch %s: %" PRIu64 " rows, generation %" PRIu64 ", %" PRIu64
               " label jobs%s",
               name, res->batch, res->rows, res->gen, res->jobs,
               res->map_grown ? " (map grown)" : "");
    if (mv)
        printf("; moving it to done/ failed: %s (it will be seen as already applied)\n",
               strerror(-mv));
    else
        printf(" -> %s\n", dest + strlen(w->inbox) + 1);
    return mv ? -1 : 0;
}

/* A file refused for its own fault (rc): it goes to failed/, with NAME.err of
 * permissions mode next to it. Returns 0, or -1 when it could not be moved. */
static int file_failed(watcher_t *w, const char *name, int rc, const pl_diags_t *d, mode_t mode)
{
    char dest[PATH_MAX];
    pl_diags_print(d);
    int mv = move_to(w, "failed", name, dest, sizeof(dest));
    int we = mv ? 0 : write_err(dest, name, rc, d, mode);
    printf("%s: FAILED (%zu problem%s): %s", name, d->count, d->count == 1 ? "" : "s",
           rc == PL_EFORMAT ? "bad rows" : pl_strerror(rc));
    if (mv)
        printf("; moving it to failed/ failed: %s\n", strerror(-mv));
    else if (we)
        printf(" -> %s (writing %s.err: %s)\n", dest + strlen(w->inbox) + 1, dest, strerror(-we));
    else
        printf(" -> %s, reasons in %s.err\n", dest + strlen(w->inbox) + 1,
               dest + strlen(w->inbox) + 1);
    w->failed++;
    return mv ? -1 : 0;
}

/* A failure outside the file (rc: the catalogue, the disk): the file stays in
 * INBOX, and the catalogue is reopened before the next one. Returns -1. */
static int file_kept(watcher_t *w, const char *name, int rc, const pl_diags_t *d)
{
    pl_diags_print(d);
    char why[192];
    printf("%s: not applied: %s; left in the inbox, retried at the next scan\n", name,
           cmd_storage_error(w->db, rc, why, sizeof(why)));
    /* After a failed write of its meta page LMDB refuses every later
     * transaction of this environment (MDB_PANIC) although the file is
     * intact: the retry must start from a freshly opened one. */
    pl_cat_close(w->cat);
    w->cat = NULL;
    return -1;
}

/* Returns 0 when the file was dealt with (done, failed or vanished), -1 when
 * it stays in INBOX and later files must wait. */
static int process(watcher_t *w, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", w->inbox, name);
    load_result_t res;
    pl_diags_t d;
    pl_diags_init(&d);
    memset(&res, 0, sizeof(res));
    if (!w->cat && !(w->cat = cmd_open_db(w->db, 0))) {
        printf("%s: not applied: the catalogue cannot be opened; left in the inbox, retried at the "
               "next scan\n",
               name);
        w->stuck = 1;
        fflush(stdout);
        return -1;
    }
    struct stat st;
    int rc = read_batch(w, name, path, &st, &d, &res);
    if (rc == LEFT_TO_SETTLE) {
        pl_diags_free(&d);
        return -1;
    }
    int status = 0;
    if (rc == PL_ECHANGED) {
        w->retry_ms = (int64_t)w->settle_ms + 10;
        printf("%s: changed while it was read: not applied; left in the inbox until it has not "
               "changed for %u s\n",
               name, w->settle_ms / 1000);
        fflush(stdout);
        pl_diags_free(&d);
        return -1;
    }
    if (rc == 0)
        status = file_done(w, name, &res);
    else if (rc == -ENOENT && access(path, F_OK) != 0)
        status = 0; /* gone between the listing and the open: nothing to do */
    else if (file_fault(rc))
        status = file_failed(w, name, rc, &d, st.st_mode & 0666);
    else
        status = file_kept(w, name, rc, &d);
    if (status)
        w->stuck = 1;
    fflush(stdout);
    pl_diags_free(&d);
    return status;
}

/* One pass over INBOX: every complete batch file, in name order. */
static void scan(watcher_t *w)
{
    DIR *dir = opendir(w->inbox);
    if (!dir) {
        fprintf(stderr, "pricelane-load watch: %s: %s\n", w->inbox, strerror(errno));
        w->stuck = 1;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    w->stuck = 0;
    while ((e = readdir(dir)) != NULL) {
        struct stat st;
        if (!batch_name(e->d_name) ||
            fstatat(dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn)
                break;
            names = nn;
        }
        if ((names[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    closedir(dir);
    if (n) /* qsort must not be given NULL, even for 0 elements */
        qsort(names, n, sizeof(*names), cmp_name);
    w->retry_ms = 0;
    for (size_t i = 0; i < n && !stop_requested; i++)
        if (process(w, names[i]) != 0)
            break;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* A scan, then another when a file is left to settle. */
static void on_kick(uv_timer_t *t)
{
    watcher_t *w = t->data;
    if (!stop_requested)
        scan(w);
    if (stop_requested)
        uv_stop(&w->loop);
    else if (w->retry_ms > 0)
        uv_timer_start(&w->kick, on_kick, (uint64_t)w->retry_ms, 0);
}

/* --once: scans until no file is left waiting to settle (a file that keeps
 * changing for a minute is left, and the run fails), or a signal. */
static void scan_settled(watcher_t *w)
{
    int64_t waited = 0;
    scan(w);
    while (w->retry_ms > 0 && !stop_requested && waited < 60000) {
        for (int64_t left = w->retry_ms; left > 0 && !stop_requested; left -= 50) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
            waited += 50;
        }
        if (!stop_requested)
            scan(w);
    }
    if (w->retry_ms > 0)
        w->stuck = 1;
}

static void on_event(uv_fs_event_t *h, const char *filename, int events, int status)
{
    watcher_t *w = h->data;
    (void)events;
    if (status < 0)
        fprintf(stderr, "pricelane-load watch: %s: file events: %s (the periodic rescan goes on)\n",
                w->inbox, uv_strerror(status));
    if (filename && filename[0] == '.')
        return; /* our lock file, writers' temporary dot-files */
    uv_timer_start(&w->kick, on_kick, 0, 0);
}

static void on_wake(uv_async_t *a)
{
    watcher_t *w = a->data;
    if (stop_requested)
        uv_stop(&w->loop);
}

static void on_close(uv_handle_t *h)
{
    (void)h;
}

static int make_dir(const char *inbox, const char *sub)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/%s", inbox, sub);
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "pricelane-load watch: cannot create %s: %s\n", p, strerror(errno));
        return -1;
    }
    return 0;
}

/* One watcher per inbox: two would race over the same files. */
static int lock_inbox(const char *inbox)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/.pricelane-watch.lock", inbox);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "pricelane-load watch: %s: %s\n", p, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "pricelane-load watch: %s: %s\n", inbox,
                errno == EWOULDBLOCK ? "another watcher is running on this inbox"
                                     : strerror(errno));
        close(fd);
        return -1;
    }
    return fd; /* held until exit */
}

/* Reads the command line into *db, *once, *rescan and *settle; INBOX is
 * argv[optind]. Returns -1 to go on, or the exit status (0 after --help, 2
 * for a usage error). */
static int parse_options(int argc, char **argv, const char **db, int *once, unsigned long *rescan,
                         unsigned long *settle)
{
    static const struct option lo[] = {{"db", 1, 0, 'd'},     {"once", 0, 0, 'o'},
                                       {"rescan", 1, 0, 'r'}, {"settle", 1, 0, 's'},
                                       {"help", 0, 0, 'h'},   {0}};
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            *db = optarg;
            break;
        case 'o':
            *once = 1;
            break;
        case 'r':
            if (cmd_parse_uint("watch", "--rescan", optarg, 1, 86400, "a whole number of seconds",
                               &v))
                return 2;
            *rescan = (unsigned long)v;
            break;
        case 's':
            if (cmd_parse_uint("watch", "--settle", optarg, 0, 3600, "a whole number of seconds",
                               &v))
                return 2;
            *settle = (unsigned long)v;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (!*db || optind != argc - 1) {
        fprintf(stderr, "pricelane-load watch: %s\n",
                !*db             ? "--db DIR is required"
                : optind == argc ? "no INBOX given"
                                 : "give one INBOX");
        return 2;
    }
    return -1;
}

/* The event loop, its handles, and SIGTERM/SIGINT. Returns 0, or 1 after
 * printing why (nothing to close then). */
static int loop_start(watcher_t *w)
{
    int rc = uv_loop_init(&w->loop);
    if (rc) {
        fprintf(stderr, "pricelane-load watch: event loop: %s\n", uv_strerror(rc));
        return 1;
    }
    uv_async_init(&w->loop, &w->wake, on_wake);
    uv_timer_init(&w->loop, &w->kick);
    uv_timer_init(&w->loop, &w->rescan);
    uv_fs_event_init(&w->loop, &w->ev);
    w->wake.data = w->kick.data = w->rescan.data = w->ev.data = w;
    wake_handle = &w->wake;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* a signal during a commit must not fail its I/O */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    return 0;
}

/* Without --once: file events and the periodic rescan until a signal. */
static void watch_until_stopped(watcher_t *w, unsigned long rescan)
{
    int rc = uv_fs_event_start(&w->ev, on_event, w->inbox, 0);
    if (rc)
        fprintf(stderr,
                "pricelane-load watch: %s: file events unavailable (%s); rescanning every %lus\n",
                w->inbox, uv_strerror(rc), rescan);
    uv_timer_start(&w->rescan, on_kick, w->rescan_ms, w->rescan_ms);
    printf("watching %s (rescan every %lus)\n", w->inbox, rescan);
    scan(w); /* what arrived while no watcher ran */
    if (w->retry_ms > 0)
        uv_timer_start(&w->kick, on_kick, (uint64_t)w->retry_ms, 0);
    if (!stop_requested)
        uv_run(&w->loop, UV_RUN_DEFAULT);
    printf("stopped\n");
}

/* Undoes loop_start: the signals' default actions, the handles closed. */
static void loop_stop(watcher_t *w)
{
    wake_handle = NULL;
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    uv_close((uv_handle_t *)&w->ev, on_close);
    uv_close((uv_handle_t *)&w->kick, on_close);
    uv_close((uv_handle_t *)&w->rescan, on_close);
    uv_close((uv_handle_t *)&w->wake, on_close);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
}

int cmd_watch(int argc, char **argv)
{
    const char *db = NULL;
    int once = 0;
    unsigned long rescan = 30, settle = 1;
    int status = parse_options(argc, argv, &db, &once, &rescan, &settle);
    if (status >= 0)
        return status;
    watcher_t *w = calloc(1, sizeof(*w));
    if (!w)
        return 1;
    w->db = db;
    w->inbox = argv[optind];
    w->rescan_ms = (unsigned)rescan * 1000u;
    w->settle_ms = (unsigned)settle * 1000u;
    w->dirfd = -1;
    struct stat st;
    int se = stat(w->inbox, &st) == 0 ? 0 : errno;
    if (se || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "pricelane-load watch: %s: %s\n", w->inbox,
                se ? strerror(se) : "not a directory");
        free(w);
        return 1;
    }
    int lock = -1;
    status = 1;
    if (make_dir(w->inbox, "done") || make_dir(w->inbox, "failed") ||
        (lock = lock_inbox(w->inbox)) < 0)
        goto out_free;
    w->dirfd = open(w->inbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        fprintf(stderr, "pricelane-load watch: %s: %s\n", w->inbox, strerror(errno));
        goto out_lock;
    }
    w->cat = cmd_open_db(db, 0);
    if (!w->cat)
        goto out_lock;
    if (!once) { /* one pass: mapping every page ahead would cost more than it saves */
        cmd_prefault(w->cat, "watch");
        pl_cpu_share_every(CMD_CPU_SHARE_US);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (loop_start(w))
        goto out_cat;
    if (once) {
        scan_settled(w);
        status = w->failed || w->stuck ? 1 : 0;
    } else {
        watch_until_stopped(w, rescan);
        status = 0;
    }
    loop_stop(w);
out_cat:
    pl_cat_close(w->cat);
out_lock:
    if (w->dirfd >= 0)
        close(w->dirfd);
    close(lock);
out_free:
    free(w);
    return status;
}
