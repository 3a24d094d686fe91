/* pricelane-bench kv-load: puts the catalogue's answers into Redis or
 * memcached, so the comparison serves the same keys and the same bytes from
 * each server. Each code of the key file is resolved with pl_resolve (as
 * pricelaned would answer it now, chain-wide, non-member) and stored as the
 * value of the key <code>; the writes are pipelined. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "keys.h"
#include "opts.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"

#define CHUNK 512
#define CMD "pricelane-bench kv-load"

static void usage(FILE *f)
{
    fprintf(f, "usage: pricelane-bench kv-load --db DIR --keys FILE (--redis HOST:PORT |\n"
               "                               --memcached HOST:PORT | --dump FILE)\n"
               "\n"
               "Resolves every code of the key file against the catalogue (chain-wide,\n"
               "non-member, now) and stores its JSON answer as the value of the key <code>\n"
               "in Redis (SET) or memcached (set), pipelined, or writes 'code<TAB>json'\n"
               "lines to FILE. Prints {\"loaded\":N,\"mean_answer_bytes\":B,...} on stdout.\n"
               "\n"
               "--keys -: reads groups of codes from standard input, one code a line, each\n"
               "group ended by an empty line (or the end of the input), and stores each\n"
               "group's answers as the catalogue has them when the group ends, printing\n"
               "one such line per group: one process keeps a key-value store up to date\n"
               "through a day of batches, as bench/churn.py does.\n");
}

static int connect_to(const struct sockaddr_in *a)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads `count` replies ending in CRLF, each must start with `ok`. */
static int read_replies(int fd, int count, const char *ok)
{
    static char buf[65536];
    static size_t len;
    size_t okn = strlen(ok);
    while (count) {
        char *nl;
        while (!(nl = memchr(buf, '\n', len))) {
            ssize_t k = recv(fd, buf + len, sizeof(buf) - len, 0);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                return -1;
            len += (size_t)k;
        }
        if ((size_t)(nl - buf) < okn || memcmp(buf, ok, okn)) {
            fprintf(stderr, "pricelane-bench kv-load: server said %.*s\n", (int)(nl - buf), buf);
            return -1;
        }
        size_t used = (size_t)(nl - buf) + 1;
        memmove(buf, buf + used, len - used);
        len -= used;
        count--;
    }
    return 0;
}

struct kv_opts {
    const char *db, *keys_path, *redis, *mc, *dump;
    struct sockaddr_in addr;
};

/* Reads the command line into o. Returns -1 to go on, or the exit status (0
 * after --help, 2 for a usage error). */
static int parse_options(int argc, char **argv, struct kv_opts *o)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'},   {"keys", 1, 0, 'k'}, {"redis", 1, 0, 'r'}, {"memcached", 1, 0, 'm'},
        {"dump", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'd':
            o->db = optarg;
            break;
        case 'k':
            o->keys_path = optarg;
            break;
        case 'r':
            o->redis = optarg;
            if (pl_opt_addr(CMD, "--redis", optarg, 1, &o->addr))
                return 2;
            break;
        case 'm':
            o->mc = optarg;
            if (pl_opt_addr(CMD, "--memcached", optarg, 1, &o->addr))
                return 2;
            break;
        case 'o':
            o->dump = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!o->db || !o->keys_path || (!!o->redis + !!o->mc + !!o->dump) != 1) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* Where the answers go: the dump file, or a server's connection with the
 * writes not yet sent (pending of them in buf[0..blen)). */
struct sink {
    FILE *out;
    int fd;
    char *buf;
    size_t blen;
    int pending;
};

/* Sends the pending writes and reads their replies. Returns 0 or -1. */
static int flush_writes(const struct kv_opts *o, struct sink *k)
{
    if (write_all(k->fd, k->buf, k->blen) ||
        read_replies(k->fd, k->pending, o->redis ? "+OK" : "STORED"))
        return -1;
    k->blen = 0;
    k->pending = 0;
    return 0;
}

/* Stores the answer of code (the last of the key file when last): a dump
 * line, or a write to the server, sent with those before it every CHUNK
 * writes and at the last. Returns 0, or -1 after printing why. */
static int put_answer(const struct kv_opts *o, struct sink *k, const char *code, size_t clen,
                      const char *json, size_t jlen, int last)
{
    if (k->out) {
        fprintf(k->out, "%s\t%.*s\n", code, (int)jlen, json);
        return 0;
    }
    if (o->redis)
        k->blen += (size_t)sprintf(k->buf + k->blen, "*3\r\n$3\r\nSET\r\n$%zu\r\n%s\r\n$%zu\r\n",
                                   clen, code, jlen);
    else
        k->blen += (size_t)sprintf(k->buf + k->blen, "set %s 0 0 %zu\r\n", code, jlen);
    memcpy(k->buf + k->blen, json, jlen);
    k->blen += jlen;
    memcpy(k->buf + k->blen, "\r\n", 2);
    k->blen += 2;
    if ((++k->pending == CHUNK || last) && flush_writes(o, k)) {
        fprintf(stderr, "pricelane-bench kv-load: writing to %s failed\n",
                o->redis ? o->redis : o->mc);
        return -1;
    }
    return 0;
}

/* Resolves every code of keys and stores its answer. Returns 0, or -1. */
static int load_answers(const struct kv_opts *o, pl_resolver_t *r, const pl_keys_t *keys,
                        struct sink *k)
{
    int64_t now = time(NULL);
    int off = pl_resolver_utc_offset(r);
    uint64_t bytes = 0, notok = 0;
    for (size_t i = 0; i < keys->n; i++) {
        size_t clen;
        const char *code = pl_keys_code(keys, (uint32_t)i, &clen);
        pl_answer_t a;
        char json[2048];
        pl_resolve(r, NULL, code, clen, now, 0, &a);
        size_t jlen = pl_answer_json(&a, off, json, sizeof(json));
        if (!jlen)
            continue;
        notok += a.status != PL_ANS_OK;
        bytes += jlen;
        if (put_answer(o, k, code, clen, json, jlen, i + 1 == keys->n))
            return -1;
        if (!k->out && (i & 4095) == 0)
            pl_resolver_refresh(r); /* do not pin one snapshot for the whole load */
    }
    if (k->pending && flush_writes(o, k))
        return -1;
    printf("{\"loaded\":%zu,\"not_ok\":%llu,\"mean_answer_bytes\":%.1f,\"target\":\"%s\"}\n",
           keys->n, (unsigned long long)notok, keys->n ? (double)bytes / (double)keys->n : 0.0,
           o->redis ? "redis"
           : o->mc  ? "memcached"
                    : "dump");
    return 0;
}

/* --keys -: one group of codes at a time from stdin, each answered from
 * the catalogue as it is when the group ends. Returns 0, or -1. */
static int load_stream(const struct kv_opts *o, pl_resolver_t *r, struct sink *k)
{
    enum { GROUP_MAX = 65536 };
    pl_keys_t g = {.text = malloc((size_t)GROUP_MAX * 256),
                   .off = malloc(GROUP_MAX * sizeof(uint32_t)),
                   .len = malloc(GROUP_MAX)};
    char line[512];
    size_t used = 0;
    int rc = g.text && g.off && g.len ? 0 : -1, eof = 0;
    while (!rc && !eof) {
        eof = !fgets(line, sizeof(line), stdin);
        size_t n = eof ? 0 : strcspn(line, "\r\n");
        if (n && n < 256 && g.n < GROUP_MAX) {
            memcpy(g.text + used, line, n);
            g.text[used + n] = 0;
            g.off[g.n] = (uint32_t)used;
            g.len[g.n++] = (uint8_t)n;
            used += n + 1;
            continue;
        }
        if (n) {
            fprintf(stderr, CMD ": a code of %zu bytes, or more than %d in a group\n", n,
                    GROUP_MAX);
            rc = -1;
        } else if (g.n) {
            rc = pl_resolver_refresh(r) ? -1 : load_answers(o, r, &g, k);
            fflush(stdout);
            g.n = used = 0;
        }
    }
    free(g.text);
    free(g.off);
    free(g.len);
    return rc;
}

int pl_bench_kvload(int argc, char **argv)
{
    struct kv_opts o = {.addr = {.sin_family = AF_INET}};
    int status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    int stream = strcmp(o.keys_path, "-") == 0;
    pl_keys_t keys = {0};
    if (!stream && pl_keys_load(&keys, o.keys_path, 0, 1))
        return 2;
    pl_cat_t *cat = NULL;
    pl_resolver_t *r = NULL;
    pl_cat_opts_t co = {.read_only = 1};
    int rc = pl_cat_open(o.db, &co, &cat);
    struct sink k = {.fd = -1, .buf = malloc(CHUNK * 4096)};
    status = 1;
    if (rc || (rc = pl_resolver_new(cat, NULL, &r)) || (rc = pl_resolver_refresh(r))) {
        fprintf(stderr, "pricelane-bench kv-load: %s: %s\n", o.db, pl_strerror(rc));
        goto out;
    }
    if (o.dump) {
        k.out = fopen(o.dump, "w");
        if (!k.out) {
            fprintf(stderr, "pricelane-bench kv-load: %s: %s\n", o.dump, strerror(errno));
            goto out;
        }
    } else if ((k.fd = connect_to(&o.addr)) < 0) {
        fprintf(stderr, "pricelane-bench kv-load: cannot connect to %s\n",
                o.redis ? o.redis : o.mc);
        goto out;
    }
    if ((stream ? load_stream(&o, r, &k) : load_answers(&o, r, &keys, &k)) == 0)
        status = 0;
out:
    if (k.out && fclose(k.out))
        status = 1;
    if (k.fd >= 0)
        close(k.fd);
    free(k.buf);
    pl_resolver_free(r);
    if (cat)
        pl_cat_close(cat);
    pl_keys_free(&keys);
    return status;
}
