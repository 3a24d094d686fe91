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
               "lines to FILE. Prints {\"loaded\":N,\"mean_answer_bytes\":B,...} on stdout.\n");
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

int pl_bench_kvload(int argc, char **argv)
{
    const char *db = NULL, *keys_path = NULL, *redis = NULL, *mc = NULL, *dump = NULL;
    static const struct option lo[] = {
        {"db", 1, 0, 'd'},   {"keys", 1, 0, 'k'}, {"redis", 1, 0, 'r'}, {"memcached", 1, 0, 'm'},
        {"dump", 1, 0, 'o'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    struct sockaddr_in addr = {.sin_family = AF_INET};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'd':
            db = optarg;
            break;
        case 'k':
            keys_path = optarg;
            break;
        case 'r':
            redis = optarg;
            if (pl_opt_addr(CMD, "--redis", optarg, 1, &addr))
                return 2;
            break;
        case 'm':
            mc = optarg;
            if (pl_opt_addr(CMD, "--memcached", optarg, 1, &addr))
                return 2;
            break;
        case 'o':
            dump = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!db || !keys_path || (!!redis + !!mc + !!dump) != 1) {
        usage(stderr);
        return 2;
    }
    pl_keys_t keys;
    if (pl_keys_load(&keys, keys_path, 0, 1))
        return 2;
    pl_cat_t *cat = NULL;
    pl_resolver_t *r = NULL;
    pl_cat_opts_t co = {.read_only = 1};
    int rc = pl_cat_open(db, &co, &cat), status = 1, fd = -1;
    FILE *out = NULL;
    char *buf = malloc(CHUNK * 4096);
    if (rc || (rc = pl_resolver_new(cat, NULL, &r)) || (rc = pl_resolver_refresh(r))) {
        fprintf(stderr, "pricelane-bench kv-load: %s: %s\n", db, pl_strerror(rc));
        goto out;
    }
    if (dump) {
        out = fopen(dump, "w");
        if (!out) {
            fprintf(stderr, "pricelane-bench kv-load: %s: %s\n", dump, strerror(errno));
            goto out;
        }
    } else if ((fd = connect_to(&addr)) < 0) {
        fprintf(stderr, "pricelane-bench kv-load: cannot connect to %s\n", redis ? redis : mc);
        goto out;
    }
    int64_t now = time(NULL);
    int off = pl_resolver_utc_offset(r);
    uint64_t bytes = 0, notok = 0;
    size_t blen = 0;
    int pending = 0;
    for (size_t i = 0; i < keys.n; i++) {
        size_t clen;
        const char *code = pl_keys_code(&keys, (uint32_t)i, &clen);
        pl_answer_t a;
        char json[2048];
        pl_resolve(r, NULL, code, clen, now, 0, &a);
        size_t jlen = pl_answer_json(&a, off, json, sizeof(json));
        if (!jlen)
            continue;
        notok += a.status != PL_ANS_OK;
        bytes += jlen;
        if (out) {
            fprintf(out, "%s\t%.*s\n", code, (int)jlen, json);
            continue;
        }
        if (redis)
            blen += (size_t)sprintf(buf + blen, "*3\r\n$3\r\nSET\r\n$%zu\r\n%s\r\n$%zu\r\n", clen,
                                    code, jlen);
        else
            blen += (size_t)sprintf(buf + blen, "set %s 0 0 %zu\r\n", code, jlen);
        memcpy(buf + blen, json, jlen);
        blen += jlen;
        memcpy(buf + blen, "\r\n", 2);
        blen += 2;
        if (++pending == CHUNK || i + 1 == keys.n) {
            if (write_all(fd, buf, blen) || read_replies(fd, pending, redis ? "+OK" : "STORED")) {
                fprintf(stderr, "pricelane-bench kv-load: writing to %s failed\n",
                        redis ? redis : mc);
                goto out;
            }
            blen = 0;
            pending = 0;
        }
        if ((i & 4095) == 0)
            pl_resolver_refresh(r); /* do not pin one snapshot for the whole load */
    }
    if (pending &&
        (write_all(fd, buf, blen) || read_replies(fd, pending, redis ? "+OK" : "STORED")))
        goto out;
    printf("{\"loaded\":%zu,\"not_ok\":%llu,\"mean_answer_bytes\":%.1f,\"target\":\"%s\"}\n",
           keys.n, (unsigned long long)notok, keys.n ? (double)bytes / (double)keys.n : 0.0,
           redis ? "redis"
           : mc  ? "memcached"
                 : "dump");
    status = 0;
out:
    if (out && fclose(out))
        status = 1;
    if (fd >= 0)
        close(fd);
    free(buf);
    pl_resolver_free(r);
    if (cat)
        pl_cat_close(cat);
    pl_keys_free(&keys);
    return status;
}
