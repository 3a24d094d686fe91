/* pricelane-bench run: the load generator (options, threads, report).
 * The event loops are in loop.c, the protocols in proto_clients.c. */
#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "opts.h"
#include "run.h"

#define CMD "pricelane-bench run"

static void usage(FILE *f)
{
    fprintf(f, "usage: pricelane-bench run [OPTIONS]\n"
               "\n"
               "Sends lookups to a server and measures throughput and latency, checking\n"
               "every answer. Closed loop (default): each connection keeps --depth\n"
               "requests in flight (pipelined). Open loop (--rate): requests leave at\n"
               "fixed intended instants and latency is measured from those instants, so a\n"
               "stalled server shows up in the percentiles (no coordinated omission).\n"
               "\n"
               "  --server HOST:PORT  target (default 127.0.0.1:7070)\n"
               "  --proto P           line-udp (udp) | line-tcp (tcp) | resp | mc-tcp | mc-udp\n"
               "                      | cit-udp (a price checker; closed loop, --depth 1)\n"
               "                      (default line-tcp)\n"
               "  --target T          pricelaned | redis | memcached | echo: what answers, and\n"
               "                      so what a correct answer is (default pricelaned; mc-*:\n"
               "                      memcached). Redis and memcached hold the answer JSON as\n"
               "                      the value of each code and answer nil for others.\n"
               "  --echo              the same as --target echo (pricelane-bench echo-server)\n"
               "  --conns C           TCP connections or UDP sockets (default 50 TCP, 8 UDP)\n"
               "  --depth D           requests in flight per connection (default 1; open loop:\n"
               "                      the most in flight, default 256)\n"
               "  --rate R            open loop at R requests/s in all (default: closed loop)\n"
               "  --threads T         client threads (default 1)\n"
               "  --duration S        measured seconds (default 10)\n"
               "  --warmup S          seconds before measuring, not counted (default 2)\n"
               "  --timeout S         UDP: an answer later than this is lost (default 0.5);\n"
               "                      also how long to wait for the last answers after the run\n"
               "  --keys FILE         codes to look up, one per line (pricelane-bench catalog\n"
               "                      --keys); without it only --echo works (synthetic codes)\n"
               "  --dist uniform|zipf key popularity (default uniform)\n"
               "  --zipf-s S          Zipf exponent (default 0.99)\n"
               "  --missing F         share of codes in no catalogue, 0..1 (default 0)\n"
               "  --scale F           share of in-store scale codes of the key file (default 0)\n"
               "  --seed N            random seed (default 1)\n"
               "  --no-check          do not check answers (only count them)\n"
               "  --label NAME        a name for this run, copied into the JSON\n"
               "  --json              print one JSON object instead of the table\n"
               "\n"
               "An answer is correct when it is framed right, its status is the expected one\n"
               "(ok or no_price for a code of the key file, not_found for a missing code;\n"
               "nil from Redis/memcached for a missing code) and its \"code\" field is the\n"
               "code that was asked. Exit status: 0 no errors, 1 some answer was wrong or a\n"
               "connection failed, 2 usage or setup error. UDP losses are reported, not\n"
               "errors.\n");
}

static void report_table(const run_opts_t *o, const pl_keys_t *k, const run_stats_t *s, double tput,
                         uint64_t errors)
{
    const pl_hist_t *h = &s->hist;
    printf("pricelane-bench run  %s %s (%s)  %s  %d×%d  %g s (+%g s warm-up)  %d thread%s\n",
           bp_name(o->proto), o->server, o->target, o->rate > 0 ? "open loop" : "closed loop",
           o->conns, o->depth, o->duration, o->warmup, o->threads, o->threads > 1 ? "s" : "");
    if (o->rate > 0)
        printf("  target rate       %.0f req/s\n", o->rate);
    char dist[32] = "uniform";
    if (o->mix.zipf)
        snprintf(dist, sizeof(dist), "zipf s=%.2f", o->mix.zipf_s);
    printf("  keys              %zu (%s), missing %.1f%%, scale %.1f%%\n", k->nitems + k->nscale,
           dist, o->mix.missing * 100, o->mix.scale * 100);
    printf("  throughput        %.0f answers/s\n", tput);
    printf("  requests          %llu sent, %llu answered, %llu lost, %llu late, %llu unsent\n",
           (unsigned long long)s->sent, (unsigned long long)s->answered,
           (unsigned long long)s->lost, (unsigned long long)s->late, (unsigned long long)s->unsent);
    printf("  errors            %llu", (unsigned long long)errors);
    if (errors) {
        printf(" (");
        for (int i = 1; i < BC_COUNT; i++)
            if (s->checks[i])
                printf(" %s %llu", bp_check_names[i], (unsigned long long)s->checks[i]);
        if (s->conn_errors)
            printf(" connection %llu", (unsigned long long)s->conn_errors);
        printf(" )");
    }
    printf("%s\n", o->check ? "" : "  (answers not checked)");
    printf("  latency µs        p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n",
           pl_hist_percentile(h, 50) / 1e3, pl_hist_percentile(h, 90) / 1e3,
           pl_hist_percentile(h, 99) / 1e3, pl_hist_percentile(h, 99.9) / 1e3,
           h->max / 1e3 * (h->count > 0), pl_hist_mean(h) / 1e3);
}

static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static void report_json(const run_opts_t *o, const pl_keys_t *k, const run_stats_t *s, double tput,
                        uint64_t errors)
{
    const pl_hist_t *h = &s->hist;
    printf("{\"tool\":\"pricelane-bench run\",\"format\":1,\"label\":");
    json_str(o->label ? o->label : "");
    printf(",\"server\":");
    json_str(o->server);
    printf(",\"proto\":\"%s\",\"target\":\"%s\",\"mode\":\"%s\",\"conns\":%d,\"depth\":%d,"
           "\"rate\":%.0f,\"threads\":%d,\"duration_s\":%g,\"warmup_s\":%g,\"timeout_s\":%g,",
           bp_name(o->proto), o->target, o->rate > 0 ? "open" : "closed", o->conns, o->depth,
           o->rate, o->threads, o->duration, o->warmup, o->timeout);
    printf("\"keys\":%zu,\"dist\":\"%s\",\"zipf_s\":%g,\"missing\":%g,\"scale\":%g,\"seed\":%llu,"
           "\"checked\":%s,",
           k->nitems + k->nscale, o->mix.zipf ? "zipf" : "uniform",
           o->mix.zipf ? o->mix.zipf_s : 0.0, o->mix.missing, o->mix.scale,
           (unsigned long long)o->mix.seed, o->check ? "true" : "false");
    printf("\"throughput\":%.1f,\"sent\":%llu,\"answered\":%llu,\"errors\":%llu,\"lost\":%llu,"
           "\"late\":%llu,\"unsent\":%llu,",
           tput, (unsigned long long)s->sent, (unsigned long long)s->answered,
           (unsigned long long)errors, (unsigned long long)s->lost, (unsigned long long)s->late,
           (unsigned long long)s->unsent);
    printf("\"errors_by_kind\":{");
    for (int i = 1; i < BC_COUNT; i++)
        printf("\"%s\":%llu,", bp_check_names[i], (unsigned long long)s->checks[i]);
    printf("\"connection\":%llu},", (unsigned long long)s->conn_errors);
    printf("\"latency_us\":{\"p50\":%.2f,\"p90\":%.2f,\"p99\":%.2f,\"p99_9\":%.2f,\"max\":%.2f,"
           "\"mean\":%.2f}}\n",
           pl_hist_percentile(h, 50) / 1e3, pl_hist_percentile(h, 90) / 1e3,
           pl_hist_percentile(h, 99) / 1e3, pl_hist_percentile(h, 99.9) / 1e3,
           h->count ? h->max / 1e3 : 0.0, pl_hist_mean(h) / 1e3);
}

enum {
    O_SERVER = 256,
    O_PROTO,
    O_TARGET,
    O_ECHO,
    O_CONNS,
    O_DEPTH,
    O_RATE,
    O_THREADS,
    O_DUR,
    O_WARM,
    O_TIMEOUT,
    O_KEYS,
    O_DIST,
    O_ZIPF,
    O_MISSING,
    O_SCALE,
    O_SEED,
    O_NOCHECK,
    O_LABEL,
    O_JSON,
    O_HELP
};

/* What the options leave to be settled once all are read. */
struct pending {
    int depth_set, conns_set;
    const char *dist;
};

/* The options of the traffic: where to, how, how much, how long. Returns 0,
 * 2 for a bad value, or -1 when opt is not one of them. */
static int traffic_option(run_opts_t *o, struct pending *p, int opt, const char *arg)
{
    long long n;
    switch (opt) {
    case O_SERVER:
        o->server = arg;
        return pl_opt_addr(CMD, "--server", o->server, 1, &o->addr) ? 2 : 0;
    case O_PROTO: {
        int pr = bp_parse_name(arg);
        if (pr < 0) {
            fprintf(stderr, "pricelane-bench run: unknown protocol '%s'\n", arg);
            return 2;
        }
        o->proto = (bp_proto_t)pr;
        return 0;
    }
    case O_CONNS:
        if (pl_opt_int(CMD, "--conns", arg, 1, 10000, PL_OPT_SUFFIX, &n))
            return 2;
        o->conns = (int)n;
        p->conns_set = 1;
        return 0;
    case O_DEPTH:
        if (pl_opt_int(CMD, "--depth", arg, 1, 4096, PL_OPT_SUFFIX, &n))
            return 2;
        o->depth = (int)n;
        p->depth_set = 1;
        return 0;
    case O_RATE:
        return pl_opt_real(CMD, "--rate", arg, 1, 1e9, PL_OPT_SUFFIX, &o->rate) ? 2 : 0;
    case O_THREADS:
        if (pl_opt_int(CMD, "--threads", arg, 1, 256, PL_OPT_SUFFIX, &n))
            return 2;
        o->threads = (int)n;
        return 0;
    case O_DUR:
        return pl_opt_real(CMD, "--duration", arg, 0.1, 86400, PL_OPT_SUFFIX, &o->duration) ? 2 : 0;
    case O_WARM:
        return pl_opt_real(CMD, "--warmup", arg, 0, 3600, PL_OPT_SUFFIX, &o->warmup) ? 2 : 0;
    case O_TIMEOUT:
        return pl_opt_real(CMD, "--timeout", arg, 0.001, 60, PL_OPT_SUFFIX, &o->timeout) ? 2 : 0;
    }
    return -1;
}

/* The options of what is asked and what is checked and reported. Returns 0,
 * 2 for a bad value, or -1 when opt is not one of them. */
static int keys_option(run_opts_t *o, struct pending *p, int opt, const char *arg)
{
    switch (opt) {
    case O_TARGET:
        o->target = arg;
        return 0;
    case O_ECHO:
        o->target = "echo";
        return 0;
    case O_KEYS:
        o->keys_path = arg;
        return 0;
    case O_DIST:
        p->dist = arg;
        return 0;
    case O_ZIPF:
        return pl_opt_real(CMD, "--zipf-s", arg, 0, 10, PL_OPT_SUFFIX, &o->mix.zipf_s) ? 2 : 0;
    case O_MISSING:
        return pl_opt_real(CMD, "--missing", arg, 0, 1, PL_OPT_SUFFIX, &o->mix.missing) ? 2 : 0;
    case O_SCALE:
        return pl_opt_real(CMD, "--scale", arg, 0, 1, PL_OPT_SUFFIX, &o->mix.scale) ? 2 : 0;
    case O_SEED:
        return pl_opt_u64(CMD, "--seed", arg, 0, UINT64_MAX, PL_OPT_SUFFIX, &o->mix.seed) ? 2 : 0;
    case O_NOCHECK:
        o->check = 0;
        return 0;
    case O_LABEL:
        o->label = arg;
        return 0;
    case O_JSON:
        o->json = 1;
        return 0;
    }
    return -1;
}

/* Checks the options together and fills in the defaults that depend on
 * others. Returns -1 to go on, or 2. */
static int settle_options(run_opts_t *o, const struct pending *p)
{
    if (!strcmp(p->dist, "zipf"))
        o->mix.zipf = 1;
    else if (strcmp(p->dist, "uniform")) {
        fprintf(stderr, "pricelane-bench run: --dist %s: want uniform or zipf\n", p->dist);
        return 2;
    }
    if (!o->target)
        o->target = (o->proto == BP_MC_TCP || o->proto == BP_MC_UDP) ? "memcached" : "pricelaned";
    if (!strcmp(o->target, "echo"))
        o->echo = 1;
    else if (!strcmp(o->target, "redis") || !strcmp(o->target, "memcached"))
        o->kv = 1;
    else if (strcmp(o->target, "pricelaned")) {
        fprintf(stderr,
                "pricelane-bench run: --target %s: want pricelaned, redis, memcached or echo\n",
                o->target);
        return 2;
    }
    if ((o->proto == BP_MC_TCP || o->proto == BP_MC_UDP) && strcmp(o->target, "memcached")) {
        fprintf(stderr, "pricelane-bench run: the memcached protocol needs --target memcached\n");
        return 2;
    }
    if (o->mix.missing + o->mix.scale > 1.0) {
        fprintf(stderr, "pricelane-bench run: --missing + --scale > 1\n");
        return 2;
    }
    if (!p->conns_set)
        o->conns = bp_is_udp(o->proto) ? 8 : 50;
    if (!p->depth_set)
        o->depth = o->rate > 0 ? 256 : 1;
    if (!bp_has_ids(o->proto) && (o->depth != 1 || o->rate > 0)) {
        fprintf(stderr,
                "pricelane-bench run: --proto %s: its replies carry no request id: "
                "closed loop with --depth 1 only\n",
                bp_name(o->proto));
        return 2;
    }
    if (o->threads > o->conns)
        o->threads = o->conns;
    return -1;
}

/* Reads the command line into o. Returns -1 to go on, or the exit status (0
 * after --help, 2 for a usage error). */
static int parse_options(int argc, char **argv, run_opts_t *o)
{
    static const struct option lo[] = {{"server", 1, 0, O_SERVER},   {"proto", 1, 0, O_PROTO},
                                       {"target", 1, 0, O_TARGET},   {"echo", 0, 0, O_ECHO},
                                       {"conns", 1, 0, O_CONNS},     {"depth", 1, 0, O_DEPTH},
                                       {"rate", 1, 0, O_RATE},       {"threads", 1, 0, O_THREADS},
                                       {"duration", 1, 0, O_DUR},    {"warmup", 1, 0, O_WARM},
                                       {"timeout", 1, 0, O_TIMEOUT}, {"keys", 1, 0, O_KEYS},
                                       {"dist", 1, 0, O_DIST},       {"zipf-s", 1, 0, O_ZIPF},
                                       {"missing", 1, 0, O_MISSING}, {"scale", 1, 0, O_SCALE},
                                       {"seed", 1, 0, O_SEED},       {"no-check", 0, 0, O_NOCHECK},
                                       {"label", 1, 0, O_LABEL},     {"json", 0, 0, O_JSON},
                                       {"help", 0, 0, O_HELP},       {0, 0, 0, 0}};
    struct pending p = {.dist = "uniform"};
    int opt;
    if (pl_opt_addr(CMD, "--server", o->server, 1, &o->addr))
        return 2;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        int rc = traffic_option(o, &p, opt, optarg);
        if (rc < 0)
            rc = keys_option(o, &p, opt, optarg);
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        if (opt == O_HELP) {
            usage(stdout);
            return 0;
        }
        usage(stderr);
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "pricelane-bench run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return settle_options(o, &p);
}

/* The keys of --keys, or synthetic ones for the echo server. Returns 0, or
 * -1 after printing why. */
static int load_keys(const run_opts_t *o, pl_keys_t *keys)
{
    if (o->keys_path)
        return pl_keys_load(keys, o->keys_path, o->mix.missing > 0 ? 65536 : 0, o->mix.seed);
    if (o->echo)
        return pl_keys_synthetic(keys, 100000, o->mix.seed);
    fprintf(stderr, "pricelane-bench run: --keys FILE is required (except with --echo)\n");
    return -1;
}

/* Each thread's request sequence and worker (with its share of the
 * connections). Returns 0, or -1 when one could not be made. */
static int make_workers(const run_ctx_t *ctx, run_worker_t **w, uint32_t *seq, size_t seqlen)
{
    const run_opts_t *o = ctx->o;
    for (int t = 0; t < o->threads; t++) {
        pl_keymix_t m = o->mix;
        m.seed = o->mix.seed * 1000003u + (uint64_t)t;
        if (pl_keys_sequence(ctx->keys, &m, seq + (size_t)t * seqlen, seqlen))
            return -1;
    }
    for (int t = 0; t < o->threads; t++) {
        int first = o->conns * t / o->threads, last = o->conns * (t + 1) / o->threads;
        w[t] = run_worker_new(ctx, t, first, last - first, seq + (size_t)t * seqlen, seqlen);
        if (!w[t])
            return -1;
    }
    return 0;
}

/* Adds one worker's counts to the sum. */
static void add_stats(run_stats_t *sum, const run_stats_t *s)
{
    sum->sent += s->sent;
    sum->answered += s->answered;
    for (int i = 0; i < BC_COUNT; i++)
        sum->checks[i] += s->checks[i];
    sum->lost += s->lost;
    sum->late += s->late;
    sum->unsent += s->unsent;
    sum->conn_errors += s->conn_errors;
    pl_hist_merge(&sum->hist, &s->hist);
}

/* Prints the report of the summed counts. Returns the exit status: 1 when
 * some answer was wrong or a connection failed. */
static int report(const run_opts_t *o, const pl_keys_t *keys, const run_stats_t *sum)
{
    uint64_t errors = sum->conn_errors;
    for (int i = 1; i < BC_COUNT; i++)
        errors += sum->checks[i];
    double tput = (double)sum->answered / o->duration;
    if (o->json)
        report_json(o, keys, sum, tput, errors);
    else
        report_table(o, keys, sum, tput, errors);
    return errors ? 1 : 0;
}

/* Runs the workers, one thread each, from a common start instant, then
 * reports. Returns the exit status. */
static int run_load(const run_opts_t *o, const pl_keys_t *keys)
{
    run_ctx_t ctx = {.o = o, .keys = keys};
    run_worker_t **w = calloc((size_t)o->threads, sizeof(*w));
    pthread_t *th = calloc((size_t)o->threads, sizeof(*th));
    size_t seqlen = 1u << 20;
    uint32_t *seq = malloc((size_t)o->threads * seqlen * sizeof(uint32_t));
    int started = 0, rc = 2;
    if (!w || !th || !seq)
        goto out;
    if (make_workers(&ctx, w, seq, seqlen))
        goto out;
    ctx.t0 = run_now_ns() + 20000000;
    ctx.t_warm = ctx.t0 + (uint64_t)(o->warmup * 1e9);
    ctx.t_end = ctx.t_warm + (uint64_t)(o->duration * 1e9);
    ctx.t_stop = ctx.t_end + (uint64_t)(o->timeout * 1e9);
    for (; started < o->threads; started++)
        if (pthread_create(&th[started], NULL, run_worker_main, w[started])) {
            fprintf(stderr, "pricelane-bench run: cannot start a thread\n");
            goto out;
        }
    run_stats_t *sum = calloc(1, sizeof(*sum));
    if (!sum)
        goto out;
    pl_hist_reset(&sum->hist);
    for (int t = 0; t < started; t++) {
        pthread_join(th[t], NULL);
        add_stats(sum, run_worker_stats(w[t]));
    }
    started = 0;
    rc = report(o, keys, sum);
    free(sum);
out:
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; w && t < o->threads; t++)
        run_worker_free(w[t]);
    free(w);
    free(th);
    free(seq);
    return rc;
}

int pl_bench_run(int argc, char **argv)
{
    run_opts_t o = {.server = "127.0.0.1:7070",
                    .proto = BP_LINE_TCP,
                    .check = 1,
                    .threads = 1,
                    .duration = 10,
                    .warmup = 2,
                    .timeout = 0.5};
    o.mix.zipf_s = 0.99;
    o.mix.seed = 1;
    int rc = parse_options(argc, argv, &o);
    if (rc >= 0)
        return rc;

    pl_keys_t keys;
    if (load_keys(&o, &keys))
        return 2;
    rc = run_load(&o, &keys);
    pl_keys_free(&keys);
    return rc;
}
