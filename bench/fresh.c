/* pricelane-bench fresh: the freshness checker.
 *
 * One thread applies a stream of batches with `pricelane-load apply`; batch b
 * sets the base price of K known items to BASE + b minor units, so every
 * answer tells which batch it comes from. The loader's exit is taken as the
 * batch's commit time (it reports success only after the commit). Meanwhile
 * C connections look the K items up as fast as they can, D pipelined per
 * round. Each answer is checked:
 *  - stale: the request was sent after batch b's loader exited, and the
 *    answer shows a batch older than b;
 *  - mixed: two answers built from the same generation (`gen`) show
 *    different batches (a torn snapshot), in one reply set or anywhere;
 *  - backwards: on one connection a later answer has a lower generation, or
 *    shows an older batch, than an earlier one;
 *  - errors: wrong status, wrong code, bad framing, a loader failure.
 * Any of these non-zero makes the exit status 1. Reply sets answered from
 * two generations (a batch committed between the server's reads) are
 * allowed and counted as split_sets. A stale answer whose check raced the
 * publication of the commit time can go unnoticed (never the reverse), so
 * the checker has no false positives. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "keys.h"
#include "opts.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "proto_clients.h"

#define F_BASE 7000000 /* minor units: batch b sets price F_BASE + b */
#define F_MAXB 1000000
#define F_ITEMS_MAX 64
#define F_GENS (1u << 20)

typedef struct fitem {
    char code[64];
    char sku[PL_ITEM_CODE_MAX + 1];
} fitem_t;

typedef struct fresh {
    struct sockaddr_in addr;
    const char *server, *db, *loader, *dir;
    int nitems, conns, depth;
    double duration, interval;
    int nice;
    fitem_t items[F_ITEMS_MAX];
    uint64_t runid, gen0;
    int64_t b0; /* batch number already in the catalogue (an earlier run) */
    /* applier → checkers */
    uint64_t *commit;            /* commit[b]: ns when the loader of batch b exited */
    _Atomic uint64_t ncommitted; /* batches published */
    _Atomic int stop;
    _Atomic int64_t *genval; /* gen - gen0 → batch seen, -1 unknown */
    /* totals */
    _Atomic uint64_t answers, after_commit, stale, mixed, gen_back, val_back, errors, split_sets,
        sets;
    _Atomic uint64_t loader_failures, max_seen;
    uint64_t batches;
    double apply_ms_sum, apply_ms_max;
} fresh_t;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Largest b with commit[b] < t (0 if none). */
static uint64_t committed_before(fresh_t *f, uint64_t t)
{
    uint64_t n = atomic_load_explicit(&f->ncommitted, memory_order_acquire);
    uint64_t lo = 0, hi = n; /* answer in [lo, hi] */
    while (lo < hi) {
        uint64_t mid = (lo + hi + 1) / 2;
        if (f->commit[mid] < t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static int write_batch(fresh_t *f, uint64_t b, char *path, size_t cap)
{
    snprintf(path, cap, "%s/fresh-%llx-%06llu.csv", f->dir, (unsigned long long)f->runid,
             (unsigned long long)b);
    FILE *o = fopen(path, "w");
    if (!o)
        return -1;
    fprintf(o, "op,sku,price\n");
    uint64_t p = F_BASE + (uint64_t)f->b0 + b;
    for (int i = 0; i < f->nitems; i++)
        fprintf(o, "price,%s,%llu.%02llu\n", f->items[i].sku, (unsigned long long)(p / 100),
                (unsigned long long)(p % 100));
    return fclose(o);
}

static int run_loader(fresh_t *f, const char *path)
{
    char errpath[PATH_MAX];
    snprintf(errpath, sizeof(errpath), "%s/loader.err", f->dir);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        int err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (devnull >= 0)
            dup2(devnull, 1);
        if (err >= 0)
            dup2(err, 2);
        execl(f->loader, f->loader, "apply", "--db", f->db, path, (char *)NULL);
        fprintf(stderr, "exec %s: %s\n", f->loader, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    FILE *e = fopen(errpath, "r");
    char line[512];
    fprintf(stderr, "pricelane-bench fresh: %s apply %s failed:\n", f->loader, path);
    while (e && fgets(line, sizeof(line), e))
        fprintf(stderr, "  %s", line);
    if (e)
        fclose(e);
    return -1;
}

static void *applier(void *arg)
{
    fresh_t *f = arg;
    uint64_t end = now_ns() + (uint64_t)(f->duration * 1e9);
    char path[PATH_MAX];
    for (uint64_t b = 1;
         b + (uint64_t)f->b0 < F_MAXB - 1 && now_ns() < end && !atomic_load(&f->stop); b++) {
        if (write_batch(f, b, path, sizeof(path))) {
            fprintf(stderr, "pricelane-bench fresh: %s: %s\n", path, strerror(errno));
            atomic_fetch_add(&f->loader_failures, 1);
            break;
        }
        uint64_t t0 = now_ns();
        int rc = run_loader(f, path);
        uint64_t t1 = now_ns();
        unlink(path);
        if (rc) {
            atomic_fetch_add(&f->loader_failures, 1);
            break;
        }
        f->commit[b] = t1;
        atomic_store_explicit(&f->ncommitted, b, memory_order_release);
        f->batches = b;
        double ms = (double)(t1 - t0) / 1e6;
        f->apply_ms_sum += ms;
        if (ms > f->apply_ms_max)
            f->apply_ms_max = ms;
        if (f->interval > 0) {
            struct timespec ts = {(time_t)f->interval,
                                  (long)((f->interval - (time_t)f->interval) * 1e9)};
            nanosleep(&ts, NULL);
        }
    }
    atomic_store(&f->stop, 1);
    return NULL;
}

typedef struct checker {
    fresh_t *f;
    int id, fd;
    uint64_t last_gen;
    int64_t last_val;
    char *rbuf;
    unsigned round;
} checker_t;

static int connect_server(fresh_t *f)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct timeval tv = {10, 0};
    if (fd < 0)
        return -1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&f->addr, sizeof(f->addr)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void report_once(_Atomic uint64_t *ctr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void report_once(_Atomic uint64_t *ctr, const char *fmt, ...)
{
    if (atomic_fetch_add(ctr, 1) >= 5)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pricelane-bench fresh: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* The round's d codes, one a line, into req (cap bytes; codes that do not
 * fit are left out) and the index of each item into idx. Returns the bytes
 * written. */
static size_t build_request(const checker_t *c, int d, int final, char *req, size_t cap, int *idx)
{
    const fresh_t *f = c->f;
    size_t len = 0;
    for (int i = 0; i < d; i++) {
        idx[i] = final
                     ? i
                     : (int)(((unsigned)c->id * 7u + (unsigned)i + c->round) % (unsigned)f->nitems);
        size_t cl = strlen(f->items[idx[i]].code);
        if (len + cl + 1 > cap)
            break;
        memcpy(req + len, f->items[idx[i]].code, cl);
        req[len + cl] = '\n';
        len += cl + 1;
    }
    return len;
}

/* Returns 0 when all len bytes were sent, or -1. */
static int send_all(int fd, const char *buf, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

/* The next answer line in c->rbuf, whose first *have bytes are read and
 * whose lines before *pos are taken, receiving more when needed. Returns the
 * line (its length in *ll, without the newline), or NULL when the
 * connection failed or a line outgrew the buffer. */
static const char *next_line(checker_t *c, size_t *have, size_t *pos, size_t *ll)
{
    for (;;) {
        char *nl = memchr(c->rbuf + *pos, '\n', *have - *pos);
        if (nl) {
            const char *line = c->rbuf + *pos;
            *ll = (size_t)(nl - line);
            *pos += *ll + 1;
            return line;
        }
        memmove(c->rbuf, c->rbuf + *pos, *have - *pos);
        *have -= *pos;
        *pos = 0;
        if (*have == 65536)
            return NULL;
        ssize_t n = recv(c->fd, c->rbuf + *have, 65536 - *have, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return NULL;
        }
        *have += (size_t)n;
    }
}

/* Checks one answer (line, ll bytes) for item it, sent at ts after batch
 * must had committed; first: the first answer of its reply set, whose
 * generation is kept in *set_gen. Counts what it finds in c->f. */
static void check_answer(checker_t *c, const fitem_t *it, const char *line, size_t ll, uint64_t ts,
                         uint64_t must, int first, uint64_t *set_gen)
{
    fresh_t *f = c->f;
    atomic_fetch_add(&f->answers, 1);
    bp_reply_t r = {.kind = BR_VALUE, .val = line, .val_len = ll};
    int64_t price, gen;
    if (bp_check(&r, it->code, strlen(it->code), PL_KEY_ITEM, 0, 0) != BC_OK ||
        bp_json_int(line, ll, "base_price", &price) || bp_json_int(line, ll, "gen", &gen)) {
        report_once(&f->errors, "bad answer for %s: %.*s", it->code, (int)(ll > 200 ? 200 : ll),
                    line);
        return;
    }
    int64_t v = price > F_BASE + f->b0 && price < F_BASE + F_MAXB ? price - F_BASE - f->b0 : 0;
    if (must)
        atomic_fetch_add(&f->after_commit, 1);
    if ((uint64_t)v < must)
        report_once(&f->stale,
                    "stale: %s sent %.3f ms after batch %llu committed shows batch %lld (gen %lld)",
                    it->code, (double)(ts - f->commit[must]) / 1e6, (unsigned long long)must,
                    (long long)v, (long long)gen);
    if ((uint64_t)gen < c->last_gen)
        report_once(&f->gen_back, "connection %d: gen %lld after gen %llu", c->id, (long long)gen,
                    (unsigned long long)c->last_gen);
    else
        c->last_gen = (uint64_t)gen;
    if (v < c->last_val)
        report_once(&f->val_back, "connection %d: batch %lld after batch %lld", c->id, (long long)v,
                    (long long)c->last_val);
    else
        c->last_val = v;
    if ((uint64_t)gen >= f->gen0 && (uint64_t)gen - f->gen0 < F_GENS) {
        int64_t expect = -1;
        _Atomic int64_t *slot = &f->genval[gen - (int64_t)f->gen0];
        if (!atomic_compare_exchange_strong(slot, &expect, v) && expect != v)
            report_once(&f->mixed, "mixed: gen %lld shows batch %lld and batch %lld",
                        (long long)gen, (long long)expect, (long long)v);
    }
    if (first)
        *set_gen = (uint64_t)gen;
    else if ((uint64_t)gen != *set_gen && *set_gen != UINT64_MAX) {
        atomic_fetch_add(&f->split_sets, 1);
        *set_gen = UINT64_MAX;
    }
    uint64_t m = atomic_load(&f->max_seen);
    while ((uint64_t)v > m && !atomic_compare_exchange_weak(&f->max_seen, &m, (uint64_t)v))
        ;
}

/* One round: D requests in one write, D answers, checks. Returns -1 when the
 * connection failed. */
static int round_trip(checker_t *c, int final)
{
    fresh_t *f = c->f;
    char req[F_ITEMS_MAX * 80];
    int idx[4096];
    int d = final ? f->nitems : f->depth;
    size_t len = build_request(c, d, final, req, sizeof(req), idx);
    uint64_t ts = now_ns();
    if (send_all(c->fd, req, len))
        return -1;
    uint64_t must = committed_before(f, ts);
    uint64_t set_gen = 0;
    size_t have = 0, pos = 0;
    for (int got = 0; got < d; got++) {
        size_t ll;
        const char *line = next_line(c, &have, &pos, &ll);
        if (!line)
            return -1;
        check_answer(c, &f->items[idx[got]], line, ll, ts, must, got == 0, &set_gen);
    }
    atomic_fetch_add(&f->sets, 1);
    c->round++;
    return 0;
}

static void *checker_main(void *arg)
{
    checker_t *c = arg;
    /* The checkers spin at full speed; on a small machine they would starve
     * the loader (and stretch the batches) unless they yield to it. */
    if (c->f->nice)
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), c->f->nice);
    while (!atomic_load(&c->f->stop))
        if (round_trip(c, 0)) {
            report_once(&c->f->errors, "connection %d failed: %s", c->id, strerror(errno));
            return NULL;
        }
    return NULL;
}

#define CMD "pricelane-bench fresh"

static void usage(FILE *f)
{
    fprintf(f, "usage: pricelane-bench fresh --server HOST:PORT --db DIR --keys FILE [OPTIONS]\n"
               "\n"
               "Looks up K items of the catalogue over C TCP connections (line protocol, D\n"
               "pipelined per round) while applying batches with `pricelane-load apply`, each\n"
               "setting the base price of the K items to 70000.00 + batch number (in minor\n"
               "units). Reports stale answers (sent after a batch's loader exited, showing an\n"
               "older batch), mixed answers (one generation showing two batches), generation\n"
               "or batch going backwards on a connection, and errors. Any of them → exit 1.\n"
               "The catalogue's prices of those K items are changed: use a scratch copy.\n"
               "\n"
               "  --server HOST:PORT  pricelaned to check (TCP)\n"
               "  --db DIR            its catalogue (batches are applied to it)\n"
               "  --keys FILE         codes (pricelane-bench catalog --keys); K ordinary codes\n"
               "                      of distinct items are taken from it\n"
               "  --load PATH         pricelane-load (default: beside pricelane-bench)\n"
               "  --items K           items changed per batch (default 8, at most 64)\n"
               "  --conns C           connections (default 4)\n"
               "  --depth D           requests per round, 1..64 (default 8)\n"
               "  --duration S        seconds of batches (default 20)\n"
               "  --interval S        pause between batches (default 0: back to back)\n"
               "  --dir DIR           where batch files are written (default: a new /tmp dir)\n"
               "  --nice N            niceness of the lookup threads, so that they do not starve\n"
               "                      the loader on a small machine (default 10; 0 = unchanged)\n"
               "\n"
               "Prints one JSON object: batches, answers, stale, mixed, gen_backwards,\n"
               "batch_backwards, errors, split_sets, apply times.\n");
}

static int pick_items(fresh_t *f, const char *keys_path)
{
    pl_keys_t k;
    if (pl_keys_load(&k, keys_path, 0, 1))
        return -1;
    pl_cat_t *cat = NULL;
    pl_resolver_t *r = NULL;
    pl_cat_opts_t co = {.read_only = 1};
    int rc = pl_cat_open(f->db, &co, &cat), n = 0;
    if (!rc)
        rc = pl_resolver_new(cat, NULL, &r);
    if (!rc)
        rc = pl_resolver_refresh(r);
    if (rc) {
        fprintf(stderr, "pricelane-bench fresh: %s: %s\n", f->db, pl_strerror(rc));
        goto out;
    }
    f->gen0 = pl_resolver_gen(r);
    int64_t now = time(NULL);
    /* spread over the file; distinct SKUs; items with a base price now */
    size_t step = k.nitems / (size_t)(f->nitems * 4) + 1;
    for (size_t i = 0; i < k.nitems && n < f->nitems; i += step) {
        size_t len;
        const char *code = pl_keys_code(&k, (uint32_t)i, &len);
        pl_answer_t a;
        pl_resolve(r, NULL, code, len, now, 0, &a);
        if (a.status != PL_ANS_OK || len >= sizeof(f->items[0].code) ||
            a.base_price == PL_PRICE_NONE)
            continue;
        int dup = 0;
        for (int j = 0; j < n; j++)
            dup |= !strcmp(f->items[j].sku, a.sku);
        if (dup)
            continue;
        if (a.base_price > F_BASE && a.base_price - F_BASE > f->b0)
            f->b0 = a.base_price - F_BASE;
        memcpy(f->items[n].code, code, len + 1);
        snprintf(f->items[n].sku, sizeof(f->items[n].sku), "%s", a.sku);
        n++;
    }
    if (n < f->nitems)
        fprintf(stderr, "pricelane-bench fresh: only %d items found in %s\n", n, keys_path);
    f->nitems = n;
out:
    pl_resolver_free(r);
    if (cat)
        pl_cat_close(cat);
    pl_keys_free(&k);
    return n > 0 ? 0 : -1;
}

/* Reads the command line into f and *keys_path. Returns -1 to go on, or the
 * exit status (0 after --help, 2 for a usage error). */
static int parse_options(fresh_t *f, int argc, char **argv, const char **keys_path)
{
    static const struct option lo[] = {
        {"server", 1, 0, 's'}, {"db", 1, 0, 'd'},       {"keys", 1, 0, 'k'},
        {"load", 1, 0, 'l'},   {"items", 1, 0, 'i'},    {"conns", 1, 0, 'c'},
        {"depth", 1, 0, 'D'},  {"duration", 1, 0, 't'}, {"interval", 1, 0, 'I'},
        {"dir", 1, 0, 'o'},    {"nice", 1, 0, 'n'},     {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    int opt;
    long long num;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 's':
            f->server = optarg;
            if (pl_opt_addr(CMD, "--server", f->server, 1, &f->addr))
                return 2;
            break;
        case 'd':
            f->db = optarg;
            break;
        case 'k':
            *keys_path = optarg;
            break;
        case 'l':
            f->loader = optarg;
            break;
        case 'i':
            if (pl_opt_int(CMD, "--items", optarg, 1, F_ITEMS_MAX, 0, &num))
                return 2;
            f->nitems = (int)num;
            break;
        case 'c':
            if (pl_opt_int(CMD, "--conns", optarg, 1, 256, 0, &num))
                return 2;
            f->conns = (int)num;
            break;
        case 'D':
            if (pl_opt_int(CMD, "--depth", optarg, 1, F_ITEMS_MAX, 0,
                           &num)) /* one round fits req[] */
                return 2;
            f->depth = (int)num;
            break;
        case 't':
            if (pl_opt_real(CMD, "--duration", optarg, 0.1, 86400, 0, &f->duration))
                return 2;
            break;
        case 'I':
            if (pl_opt_real(CMD, "--interval", optarg, 0, 3600, 0, &f->interval))
                return 2;
            break;
        case 'o':
            f->dir = optarg;
            break;
        case 'n':
            if (pl_opt_int(CMD, "--nice", optarg, -20, 19, 0, &num))
                return 2;
            f->nice = (int)num;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!f->db || !*keys_path) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* The loader beside this program unless --load named one (in loader_buf,
 * PATH_MAX bytes), and a new directory for the batch files unless --dir named
 * one (made from dir_buf; *made_dir set). Returns 0, or -1. */
static int find_paths(fresh_t *f, char *loader_buf, char *dir_buf, int *made_dir)
{
    if (!f->loader) {
        ssize_t n = readlink("/proc/self/exe", loader_buf, PATH_MAX - 20);
        if (n <= 0)
            return -1;
        loader_buf[n] = 0;
        strcat(dirname(loader_buf), "/pricelane-load");
        f->loader = loader_buf;
    }
    if (!f->dir) {
        if (!mkdtemp(dir_buf)) {
            perror("pricelane-bench fresh: mkdtemp");
            return -1;
        }
        f->dir = dir_buf;
        *made_dir = 1;
    }
    return 0;
}

/* Opens every checker's connection. Returns 0, or -1 after printing why. */
static int connect_checkers(fresh_t *f, checker_t *cs)
{
    for (int i = 0; i < f->conns; i++) {
        cs[i].f = f;
        cs[i].id = i;
        cs[i].rbuf = malloc(65536);
        if ((cs[i].fd = connect_server(f)) < 0 || !cs[i].rbuf) {
            fprintf(stderr, "pricelane-bench fresh: connect %s: %s\n", f->server, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Runs the checkers before the first batch, during, and briefly after (until
 * the applier stops them). *nth counts the checker threads running. Returns
 * the seconds from the first batch to the end. */
static double run_checks(fresh_t *f, checker_t *cs, pthread_t *th, int *nth)
{
    for (; *nth < f->conns; (*nth)++)
        pthread_create(&th[*nth], NULL, checker_main, &cs[*nth]);
    pthread_t ap;
    uint64_t t_start = now_ns();
    pthread_create(&ap, NULL, applier, f);
    pthread_join(ap, NULL);
    for (int i = 0; i < *nth; i++)
        pthread_join(th[i], NULL);
    *nth = 0;
    return (double)(now_ns() - t_start) / 1e9;
}

/* The final round, then the JSON report. Returns the exit status: 1 for any
 * stale, mixed or backward answer, error or loader failure, or when no batch
 * was committed or nothing was answered. */
static int report(fresh_t *f, checker_t *cs, double secs)
{
    /* after the last commit every item on every connection shows the last batch */
    uint64_t last = atomic_load(&f->ncommitted);
    for (int i = 0; i < f->conns; i++)
        if (round_trip(&cs[i], 1))
            report_once(&f->errors, "connection %d failed in the final round", i);
    uint64_t bad = f->stale + f->mixed + f->gen_back + f->val_back + f->errors + f->loader_failures;
    printf("{\"tool\":\"pricelane-bench "
           "fresh\",\"format\":1,\"server\":\"%s\",\"items\":%d,\"conns\":%d,"
           "\"depth\":%d,\"seconds\":%.1f,\"batches\":%llu,\"answers\":%llu,\"answers_after_a_"
           "commit\":%llu,"
           "\"reply_sets\":%llu,\"stale\":%llu,\"mixed\":%llu,\"gen_backwards\":%llu,"
           "\"batch_backwards\":%llu,\"errors\":%llu,\"loader_failures\":%llu,\"split_sets\":%llu,"
           "\"last_batch_seen\":%llu,\"apply_ms_mean\":%.1f,\"apply_ms_max\":%.1f,\"ok\":%s}\n",
           f->server, f->nitems, f->conns, f->depth, secs, (unsigned long long)last,
           (unsigned long long)f->answers, (unsigned long long)f->after_commit,
           (unsigned long long)f->sets, (unsigned long long)f->stale, (unsigned long long)f->mixed,
           (unsigned long long)f->gen_back, (unsigned long long)f->val_back,
           (unsigned long long)f->errors, (unsigned long long)f->loader_failures,
           (unsigned long long)f->split_sets, (unsigned long long)f->max_seen,
           last ? f->apply_ms_sum / (double)last : 0.0, f->apply_ms_max,
           bad || !last || !f->answers ? "false" : "true");
    return bad || !last || !f->answers ? 1 : 0;
}

/* Stops and joins the checkers still running, closes their connections and
 * removes a batch directory made for this run. */
static void cleanup(fresh_t *f, checker_t *cs, pthread_t *th, int nth, int made_dir)
{
    atomic_store(&f->stop, 1);
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < f->conns; i++) {
        if (cs[i].fd > 0)
            close(cs[i].fd);
        free(cs[i].rbuf);
    }
    if (made_dir) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/loader.err", f->dir);
        unlink(p);
        rmdir(f->dir);
    }
}

int pl_bench_fresh(int argc, char **argv)
{
    static fresh_t F;
    fresh_t *f = &F;
    memset(f, 0, sizeof(*f));
    f->nitems = 8;
    f->conns = 4;
    f->depth = 8;
    f->duration = 20;
    f->nice = 10;
    const char *keys_path = NULL;
    char loader_buf[PATH_MAX], dir_buf[] = "/tmp/pricelane-fresh-XXXXXX";
    f->server = "127.0.0.1:7070";
    if (pl_opt_addr(CMD, "--server", f->server, 1, &f->addr))
        return 2;
    int rc = parse_options(f, argc, argv, &keys_path);
    if (rc >= 0)
        return rc;
    int made_dir = 0;
    if (find_paths(f, loader_buf, dir_buf, &made_dir))
        return 2;
    if (pick_items(f, keys_path))
        return 2;
    f->runid = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
    f->commit = calloc(F_MAXB + 1, sizeof(uint64_t));
    f->genval = malloc(F_GENS * sizeof(*f->genval));
    checker_t *cs = calloc((size_t)f->conns, sizeof(*cs));
    pthread_t *th = calloc((size_t)f->conns, sizeof(*th));
    if (!f->commit || !f->genval || !cs || !th)
        return 2;
    for (size_t i = 0; i < F_GENS; i++)
        atomic_init(&f->genval[i], -1);
    int status = 2, nth = 0;
    if (connect_checkers(f, cs) == 0) {
        double secs = run_checks(f, cs, th, &nth);
        status = report(f, cs, secs);
    }
    cleanup(f, cs, th, nth, made_dir);
    free(cs);
    free(th);
    free(f->commit);
    free(f->genval);
    return status;
}
