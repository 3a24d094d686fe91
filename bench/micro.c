/* pricelane-bench micro: nanoseconds per pl_resolve over a catalogue, on a
 * shared-memory cache hit, on a cache miss (probe, build from LMDB, insert)
 * and with no cache at all (the LMDB path alone); and per finished JSON
 * answer from a worker's memo. Links the core library
 * directly: no server, no sockets. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "keys.h"
#include "opts.h"
#include "pricelane/cache.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/memo.h"
#include "pricelane/resolve.h"
#include "zipf.h"

#define CMD "pricelane-bench micro"

static void usage(FILE *f)
{
    fprintf(f, "usage: pricelane-bench micro --db DIR --keys FILE [--sample N] [--rounds R]\n"
               "                             [--cache-mb M] [--cache-dir DIR] [--seed S]\n"
               "                             [--only PASS]\n"
               "\n"
               "Resolves a random sample of N codes of the key file (default 100000) against\n"
               "the catalogue in DIR, in one thread:\n"
               "  miss     with a new, empty shared-memory cache (each lookup probes, builds\n"
               "           the item view from LMDB, inserts it)\n"
               "  hit      the same codes again, R rounds (default 5): every lookup a hit\n"
               "  nocache  with no cache (LMDB only)\n"
               "  hit_2d   the same codes as a GS1 DataMatrix reader sends them: ]d2 and four\n"
               "           AIs (01 GTIN, 17 expiry, 10 lot, 3103 net weight), cache hits,\n"
               "           R rounds alternating with R more hit rounds\n"
               "  memo_hit the JSON answer (pl_lookup_json) from a worker's memo of finished\n"
               "           answers that holds the sample, R rounds after one that fills it\n"
               "  answer_hit the JSON answer (pl_lookup_json, no memo) from the finished\n"
               "           answers in the shared cache, which another worker or process left\n"
               "           there: R rounds after one that stores them\n"
               "The cache segment is a temporary file of M MiB (default 512; it must hold\n"
               "the sample: 1 KiB per entry, with room to spare) in DIR (default /dev/shm),\n"
               "removed at the end.\n"
               "--only PASS runs only the rounds of PASS (hit, hit_2d, nocache, memo_hit or\n"
               "answer_hit)\n"
               "after the miss pass that fills the cache (none before nocache): the work of\n"
               "one kind of lookup alone, e.g. under an instruction counter (the difference\n"
               "between two runs with different --rounds, divided by the sample and the\n"
               "difference in rounds, is the work per lookup). Passes not run print null.\n"
               "Prints one JSON object: nanoseconds per lookup and the cache's own hit/miss\n"
               "counts.\n");
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Resolves every sampled code once; returns ns per lookup and counts !ok. */
static double pass(pl_resolver_t *r, const pl_keys_t *k, const uint32_t *s, size_t n, int64_t t,
                   uint64_t *bad)
{
    pl_answer_t a;
    pl_resolver_refresh(r);
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *code = pl_keys_code(k, s[i], &len);
        pl_resolve(r, NULL, code, len, t, 0, &a);
        *bad += a.status != PL_ANS_OK && a.status != PL_ANS_NO_PRICE;
    }
    uint64_t t1 = now_ns();
    pl_resolver_release(r);
    return (double)(t1 - t0) / (double)n;
}

/* The same through pl_lookup_json with a memo: the JSON answer a server
 * sends, from the memo once it holds the sample. */
static double memo_pass(pl_resolver_t *r, pl_memo_t *m, const pl_keys_t *k, const uint32_t *s,
                        size_t n, int64_t t, uint64_t *bad)
{
    char json[4096];
    pl_resolver_refresh(r);
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        size_t len, jl;
        pl_status_t st;
        const char *code = pl_keys_code(k, s[i], &len);
        const char *j = pl_lookup_json(r, m, NULL, code, len, t, 0, json, sizeof(json), &jl, &st);
        *bad += !j || (st != PL_ANS_OK && st != PL_ANS_NO_PRICE);
    }
    uint64_t t1 = now_ns();
    pl_resolver_release(r);
    return (double)(t1 - t0) / (double)n;
}

/* The 2D form of each sampled code: "]d2" 01 GTIN-14, 17 (an expiry 400
 * days ahead), 10 (a lot), GS, 3103 (0.500 kg): four AIs, as a GS1
 * DataMatrix reader sends them. A code that is not a trade item's GTIN (a
 * scale label, a keyed code) stays as it is. Returns the n codes, 64 bytes each, or
 * NULL. */
#define CODE2D_LEN 64
static char *make_2d(const pl_keys_t *k, const uint32_t *s, size_t n, int64_t t)
{
    char *out = calloc(n, CODE2D_LEN);
    if (!out)
        return NULL;
    time_t exp = (time_t)(t + 400 * 86400LL);
    struct tm tm;
    gmtime_r(&exp, &tm);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *code = pl_keys_code(k, s[i], &len);
        char *o = out + i * CODE2D_LEN;
        int digits = len >= 8 && len <= 14 && strspn(code, "0123456789") >= len;
        /* in-store codes (prefix 2: scale labels) are not trade items' GTINs */
        if (!digits || len == 10 || len == 9 || len == 11 || code[0] == '2') {
            memcpy(o, code, len < CODE2D_LEN - 1 ? len : CODE2D_LEN - 1);
            continue;
        }
        char g[15];
        memset(g, '0', 14);
        memcpy(g + 14 - len, code, len);
        g[14] = 0;
        snprintf(o, CODE2D_LEN,
                 "]d201%s17%02d%02d%02d10LOT%04zu\x1d"
                 "3103000500",
                 g, tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, i % 10000);
    }
    return out;
}

/* pass() over the 2D codes. */
static double pass_2d(pl_resolver_t *r, const char *codes, size_t n, int64_t t, uint64_t *bad)
{
    pl_answer_t a;
    pl_resolver_refresh(r);
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < n; i++) {
        const char *code = codes + i * CODE2D_LEN;
        pl_resolve(r, NULL, code, strlen(code), t, 0, &a);
        *bad += a.status != PL_ANS_OK && a.status != PL_ANS_NO_PRICE;
    }
    uint64_t t1 = now_ns();
    pl_resolver_release(r);
    return (double)(t1 - t0) / (double)n;
}

/* The sampled codes in sample order, one after another (out), and s made
 * the identity: a pass reads its codes in sequence, as a worker reads a
 * request it has just received, not from random places of the key file
 * (three reads at random in 20 MB for each lookup, which the lookup itself
 * does not make). Returns 0 or -1. */
static int gather(const pl_keys_t *k, uint32_t *s, size_t n, pl_keys_t *out)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += (size_t)k->len[s[i]] + 1;
    memset(out, 0, sizeof(*out));
    out->text = malloc(bytes ? bytes : 1);
    out->off = malloc((n ? n : 1) * sizeof(*out->off));
    out->len = malloc(n ? n : 1);
    if (!out->text || !out->off || !out->len || bytes > UINT32_MAX) {
        pl_keys_free(out);
        return -1;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *code = pl_keys_code(k, s[i], &len);
        memcpy(out->text + at, code, len + 1);
        out->off[i] = (uint32_t)at;
        out->len[i] = (uint8_t)len;
        at += len + 1;
        s[i] = (uint32_t)i;
    }
    out->n = out->nitems = n;
    return 0;
}

/* The timed passes --only can pick; bit i of micro_opts.passes runs pass i. */
enum {
    P_HIT,
    P_HIT_2D,
    P_NOCACHE,
    P_MEMO_HIT,
    P_ANSWER_HIT,
    P_ALL = (1 << (P_ANSWER_HIT + 1)) - 1
};
static const char *const pass_names[] = {"hit", "hit_2d", "nocache", "memo_hit", "answer_hit"};

struct micro_opts {
    const char *db, *keys_path;
    const char *cache_dir; /* where the segment file is made */
    long long sample, rounds, cache_mb;
    uint64_t seed;
    unsigned passes; /* bit set of P_* */
};

/* The pass bit of a --only argument, or 0. */
static unsigned pass_bit(const char *name)
{
    for (unsigned i = 0; i < sizeof(pass_names) / sizeof(pass_names[0]); i++)
        if (!strcmp(name, pass_names[i]))
            return 1u << i;
    return 0;
}

/* Reads the command line into o. Returns -1 to go on, or the exit status (0
 * after --help, 2 for a usage error). */
static int parse_options(int argc, char **argv, struct micro_opts *o)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'},        {"keys", 1, 0, 'k'}, {"sample", 1, 0, 'n'}, {"rounds", 1, 0, 'r'},
        {"cache-mb", 1, 0, 'c'},  {"seed", 1, 0, 's'}, {"only", 1, 0, 'o'},   {"help", 0, 0, 'h'},
        {"cache-dir", 1, 0, 'D'}, {0, 0, 0, 0}};
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
        case 'D':
            o->cache_dir = optarg;
            break;
        case 'n':
            if (pl_opt_int(CMD, "--sample", optarg, 1, 100000000, 0, &o->sample))
                return 2;
            break;
        case 'r':
            if (pl_opt_int(CMD, "--rounds", optarg, 1, 1000, 0, &o->rounds))
                return 2;
            break;
        case 'c':
            if (pl_opt_int(CMD, "--cache-mb", optarg, 1, 65536, 0, &o->cache_mb))
                return 2;
            break;
        case 's':
            if (pl_opt_u64(CMD, "--seed", optarg, 0, UINT64_MAX, 0, &o->seed))
                return 2;
            break;
        case 'o':
            if (!(o->passes = pass_bit(optarg))) {
                fprintf(stderr,
                        CMD
                        ": --only \"%s\": expected hit, hit_2d, nocache, memo_hit or answer_hit\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!o->db || !o->keys_path) {
        usage(stderr);
        return 2;
    }
    return -1;
}

/* Draws o->sample distinct codes of the n in keys into s (a partial
 * Fisher-Yates shuffle of all indices); o->sample is cut to n. Returns 0, or
 * -1 when out of memory. */
static int draw_sample(struct micro_opts *o, size_t n, uint32_t *s)
{
    if ((size_t)o->sample > n)
        o->sample = (long long)n;
    uint32_t *all = malloc(n * sizeof(uint32_t));
    if (!all)
        return -1;
    for (size_t i = 0; i < n; i++)
        all[i] = (uint32_t)i;
    pl_rng_t rng;
    pl_rng_seed(&rng, o->seed);
    for (size_t i = 0; i < (size_t)o->sample; i++) {
        size_t j = i + pl_rng_below(&rng, n - i);
        uint32_t t = all[i];
        all[i] = all[j];
        all[j] = t;
        s[i] = all[i];
    }
    free(all);
    return 0;
}

/* The timings of one run and the counts behind them. */
struct results {
    double miss, hit, plain, memo_hit; /* ns per lookup */
    double answer_hit;                 /* ns per lookup: a finished answer from the shared cache */
    uint64_t answer_hits, answer_misses; /* in the timed answer_hit rounds */
    uint64_t answer_stored;              /* answers the storing pass put in the cache */
    double hit_2d;                       /* ns per lookup of the 2D form, cache hit */
    uint64_t bad;                        /* answers neither ok nor no_price */
    pl_cache_stats_t st0, st1, st2;      /* before the miss pass, after it, after the hit passes */
    pl_memo_stats_t ms;
};

/* The passes: miss (empty cache), hit (best of the rounds), no cache (best of
 * the rounds), then the memo's; of the timed ones only those in o->passes
 * (the miss pass fills the cache for all but nocache). Returns 0, or -1 when
 * the memo could not be made. */
static int measure(const struct micro_opts *o, const pl_keys_t *keys, const uint32_t *s,
                   pl_cache_t *cache, pl_resolver_t *rc_cache, pl_resolver_t *rc_plain,
                   struct results *res)
{
    int64_t t = time(NULL);
    size_t n = (size_t)o->sample;
    unsigned want = o->passes;
    pl_cache_stats(cache, &res->st0);
    if (want != 1u << P_NOCACHE)
        res->miss = pass(rc_cache, keys, s, n, t, &res->bad);
    pl_cache_stats(cache, &res->st1);
    for (long i = 0; i < o->rounds && (want & 1u << P_HIT); i++) {
        double x = pass(rc_cache, keys, s, n, t, &res->bad);
        if (i == 0 || x < res->hit)
            res->hit = x; /* best round: the least disturbed by other work */
    }
    pl_cache_stats(cache, &res->st2);
    if (want & 1u << P_HIT_2D) {
        char *codes = make_2d(keys, s, n, t);
        if (!codes) {
            fprintf(stderr, "pricelane-bench micro: out of memory\n");
            return -1;
        }
        /* hit and hit_2d alternate, so both see the same machine */
        for (long i = 0; i < o->rounds; i++) {
            double x = pass_2d(rc_cache, codes, n, t, &res->bad);
            if (i == 0 || x < res->hit_2d)
                res->hit_2d = x;
            if (!(want & 1u << P_HIT))
                continue;
            x = pass(rc_cache, keys, s, n, t, &res->bad);
            if (x < res->hit)
                res->hit = x;
        }
        free(codes);
    }
    for (long i = 0; i < o->rounds && (want & 1u << P_NOCACHE); i++) {
        double x = pass(rc_plain, keys, s, n, t, &res->bad);
        if (i == 0 || x < res->plain)
            res->plain = x;
    }
    if (want & 1u << P_ANSWER_HIT) {
        pl_cache_stats_t a0, a1;
        pl_resolver_share_answers(rc_cache, 1);
        pl_cache_stats(cache, &a0);
        memo_pass(rc_cache, NULL, keys, s, n, t, &res->bad); /* stores the answers */
        res->answer_stored = a0.answer_inserts;
        pl_cache_stats(cache, &a0);
        res->answer_stored = a0.answer_inserts - res->answer_stored;
        for (long i = 0; i < o->rounds; i++) {
            double x = memo_pass(rc_cache, NULL, keys, s, n, t, &res->bad);
            if (i == 0 || x < res->answer_hit)
                res->answer_hit = x;
        }
        pl_cache_stats(cache, &a1);
        res->answer_hits = a1.answer_hits - a0.answer_hits;
        res->answer_misses = a1.answer_misses - a0.answer_misses;
        pl_resolver_share_answers(rc_cache, 0);
    }
    if (!(want & 1u << P_MEMO_HIT))
        return 0;
    /* memo: room for the whole sample (640 bytes a code, two ways slack) */
    pl_memo_t *memo = NULL;
    int rc;
    if ((rc = pl_memo_new(n * 640 + (1u << 20), &memo))) {
        fprintf(stderr, "pricelane-bench micro: memo: %s\n", pl_strerror(rc));
        return -1;
    }
    memo_pass(rc_cache, memo, keys, s, n, t, &res->bad); /* fills it */
    for (long i = 0; i < o->rounds; i++) {
        double x = memo_pass(rc_cache, memo, keys, s, n, t, &res->bad);
        if (i == 0 || x < res->memo_hit)
            res->memo_hit = x;
    }
    pl_memo_stats(memo, &res->ms);
    pl_memo_free(memo);
    return 0;
}

/* A pass's nanoseconds as JSON (pass -1: the miss pass): null when it did
 * not run. */
static const char *ns_json(char *buf, size_t cap, const struct micro_opts *o, int pass, double ns)
{
    if (pass >= 0 && !(o->passes & 1u << pass))
        return "null";
    if (pass < 0 && o->passes == 1u << P_NOCACHE)
        return "null"; /* the miss pass (-1) */
    snprintf(buf, cap, "%.1f", ns);
    return buf;
}

/* One JSON object on stdout; a warning when the hit passes missed. */
static void report(const struct micro_opts *o, size_t n, const struct results *r)
{
    const pl_cache_stats_t *st0 = &r->st0, *st1 = &r->st1, *st2 = &r->st2;
    uint64_t hits = st2->hits - st1->hits, hit_misses = st2->misses - st1->misses;
    char b[6][32];
    printf("{\"tool\":\"pricelane-bench micro\",\"format\":1,\"codes\":%zu,\"sample\":%lld,"
           "\"rounds\":%lld,\"miss_ns\":%s,\"hit_ns\":%s,\"nocache_ns\":%s,"
           "\"memo_hit_ns\":%s,\"hit_2d_ns\":%s,\"answer_hit_ns\":%s,"
           "\"answer_passes\":{\"stored\":%llu,\"hits\":%llu,\"misses\":%llu},\"memo\":{\"hits\":%"
           "llu,\"misses\":%"
           "llu,\"too_"
           "big\":%llu},"
           "\"miss_pass\":{\"hits\":%llu,\"misses\":%llu,\"inserts\":%llu},"
           "\"hit_passes\":{\"hits\":%llu,\"misses\":%llu},\"too_big\":%llu,\"not_ok\":%llu,"
           "\"cache_slots\":%llu}\n",
           n, o->sample, o->rounds, ns_json(b[4], sizeof(b[4]), o, -1, r->miss),
           ns_json(b[0], sizeof(b[0]), o, P_HIT, r->hit),
           ns_json(b[1], sizeof(b[1]), o, P_NOCACHE, r->plain),
           ns_json(b[2], sizeof(b[2]), o, P_MEMO_HIT, r->memo_hit),
           ns_json(b[3], sizeof(b[3]), o, P_HIT_2D, r->hit_2d),
           ns_json(b[5], sizeof(b[5]), o, P_ANSWER_HIT, r->answer_hit),
           (unsigned long long)r->answer_stored, (unsigned long long)r->answer_hits,
           (unsigned long long)r->answer_misses, (unsigned long long)r->ms.hits,
           (unsigned long long)r->ms.misses, (unsigned long long)r->ms.too_big,
           (unsigned long long)(st1->hits - st0->hits),
           (unsigned long long)(st1->misses - st0->misses),
           (unsigned long long)(st1->inserts - st0->inserts), (unsigned long long)hits,
           (unsigned long long)hit_misses, (unsigned long long)st2->too_big,
           (unsigned long long)r->bad, (unsigned long long)st2->nslots);
    if (hit_misses > st2->too_big)
        fprintf(stderr,
                "pricelane-bench micro: %llu misses in the hit passes: the cache (%lld MiB) is "
                "smaller than the sample\n",
                (unsigned long long)hit_misses, o->cache_mb);
}

int pl_bench_micro(int argc, char **argv)
{
    struct micro_opts o = {.sample = 100000,
                           .rounds = 5,
                           .cache_mb = 512,
                           .seed = 1,
                           .passes = P_ALL,
                           .cache_dir = "/dev/shm"};
    int status = parse_options(argc, argv, &o), rc;
    if (status >= 0)
        return status;
    pl_keys_t keys;
    if (pl_keys_load(&keys, o.keys_path, 0, o.seed))
        return 2;
    status = 1;
    pl_cat_t *cat = NULL;
    pl_cache_t *cache = NULL;
    pl_resolver_t *rc_cache = NULL, *rc_plain = NULL;
    uint32_t *s = malloc((size_t)o.sample * sizeof(uint32_t));
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/pricelane-micro-XXXXXX", o.cache_dir) >=
        (int)sizeof(path)) {
        fprintf(stderr, "pricelane-bench micro: --cache-dir: too long\n");
        free(s);
        pl_keys_free(&keys);
        return 2;
    }
    int tmpfd = -1;
    pl_cat_opts_t co = {.read_only = 1};
    size_t n = keys.nitems + keys.nscale;
    struct results res = {0};
    if (!s || draw_sample(&o, n, s))
        goto out;
    if ((rc = pl_cat_open(o.db, &co, &cat))) {
        fprintf(stderr, "pricelane-bench micro: %s: %s\n", o.db, pl_strerror(rc));
        goto out;
    }
    tmpfd = mkstemp(path);
    if (tmpfd < 0) {
        fprintf(stderr, "pricelane-bench micro: %s: %s\n", path, strerror(errno));
        goto out;
    }
    if ((rc = pl_cache_open(path, (size_t)o.cache_mb << 20, pl_cat_id(cat), &cache)) ||
        (rc = pl_resolver_new(cat, cache, &rc_cache)) ||
        (rc = pl_resolver_new(cat, NULL, &rc_plain))) {
        fprintf(stderr, "pricelane-bench micro: %s\n", pl_strerror(rc));
        goto out;
    }
    pl_keys_t sampled;
    if (gather(&keys, s, (size_t)o.sample, &sampled)) {
        fprintf(stderr, "pricelane-bench micro: out of memory\n");
        goto out;
    }
    rc = measure(&o, &sampled, s, cache, rc_cache, rc_plain, &res);
    pl_keys_free(&sampled);
    if (rc)
        goto out;
    report(&o, n, &res);
    status = 0;
out:
    pl_resolver_free(rc_cache);
    pl_resolver_free(rc_plain);
    pl_cache_close(cache);
    if (tmpfd >= 0) {
        close(tmpfd);
        unlink(path);
    }
    if (cat)
        pl_cat_close(cat);
    free(s);
    pl_keys_free(&keys);
    return status;
}
