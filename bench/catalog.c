/* pricelane-bench catalog: a synthetic catalogue with the shape of a Chinese
 * supermarket chain's (docs/batch-format.md), for benchmarks and tests.
 *
 * Every attribute of item i is a pure function of (seed, i), so the same seed
 * and --now give the same bytes. This file is the command line; the word
 * lists are in catalog_words.c, the generator in catalog_gen.c, the rows in
 * catalog_write.c. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "catalog_gen.h"
#include "catalog_write.h"
#include "opts.h"
#include "pricelane/timefmt.h"

#define ITEMS_MAX 100000000ULL
#define CMD "pricelane-bench catalog"

struct args {
    uint64_t items, seed, stores, zones;
    const char *out_path, *keys_path, *now_s;
    int64_t now;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pricelane-bench catalog --items N --out FILE [--seed S] [--keys FILE]\n"
            "                              [--stores N] [--zones N] [--now TIME]\n"
            "\n"
            "Writes a synthetic catalogue in the batch format (docs/batch-format.md) for\n"
            "pricelane-load import: stores, items with Chinese names, EAN-13 barcodes with\n"
            "GS1 China prefixes 690-699 (about 10%% of items have two), weighed and counted\n"
            "items with 5-digit scale codes, zone and store prices, scheduled prices and\n"
            "promotions of every kind with past, current and future windows.\n"
            "The output depends only on the options: the same seed and --now give the\n"
            "same bytes.\n"
            "\n"
            "  --items N     items to write (1..%llu; default 10000)\n"
            "  --out FILE    catalogue file (.csv); - for stdout\n"
            "  --seed S      random seed (default 1)\n"
            "  --keys FILE   also write every code a lane could scan, one per line: all\n"
            "                barcodes, and scale labels with an embedded weight (21PPPPPWWWWWC)\n"
            "                or count (22PPPPPNNNNNC) for weighed and counted items\n"
            "  --stores N    stores (default 20); --zones N  price zones (default 4, <= stores)\n"
            "  --now TIME    the instant windows are placed around (default: now); RFC 3339,\n"
            "                'YYYY-MM-DD[ HH:MM]' in +08:00, or @unix-seconds\n"
            "\n"
            "Prints one JSON object with the counts written and the time taken.\n",
            (unsigned long long)ITEMS_MAX);
}

/* Checks the options together and reads --now. Returns -1 to go on, or the
 * exit status. */
static int check_args(int extra, struct args *a)
{
    if (extra || !a->out_path) {
        fprintf(stderr, "pricelane-bench catalog: %s\n",
                extra ? "unexpected argument" : "--out FILE is required");
        usage(stderr);
        return 2;
    }
    if (a->zones > a->stores) {
        fprintf(stderr,
                "pricelane-bench catalog: --zones %llu exceeds --stores %llu: every "
                "zone needs a store\n",
                (unsigned long long)a->zones, (unsigned long long)a->stores);
        return 2;
    }
    a->now = pl_time_now();
    if (a->now_s) {
        char err[160];
        if (pl_time_parse(a->now_s, UTC_OFFSET_MIN, &a->now, err, sizeof(err)) != 0) {
            fprintf(stderr, "pricelane-bench catalog: --now \"%s\": %s\n", a->now_s, err);
            return 2;
        }
    }
    return -1;
}

/* Reads the command line into a. Returns -1 to go on, or the exit status (0
 * after --help, 2 for a usage error). */
static int parse_args(int argc, char **argv, struct args *a)
{
    static const struct option longopts[] = {{"items", required_argument, 0, 'n'},
                                             {"seed", required_argument, 0, 's'},
                                             {"out", required_argument, 0, 'o'},
                                             {"keys", required_argument, 0, 'k'},
                                             {"stores", required_argument, 0, 'S'},
                                             {"zones", required_argument, 0, 'Z'},
                                             {"now", required_argument, 0, 't'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (pl_opt_u64(CMD, "--items", optarg, 1, ITEMS_MAX, 0, &a->items))
                return 2;
            break;
        case 's':
            if (pl_opt_u64(CMD, "--seed", optarg, 0, UINT64_MAX, 0, &a->seed))
                return 2;
            break;
        case 'S':
            if (pl_opt_u64(CMD, "--stores", optarg, 1, 999, 0, &a->stores))
                return 2;
            break;
        case 'Z':
            if (pl_opt_u64(CMD, "--zones", optarg, 1, 999, 0, &a->zones))
                return 2;
            break;
        case 'o':
            a->out_path = optarg;
            break;
        case 'k':
            a->keys_path = optarg;
            break;
        case 't':
            a->now_s = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    return check_args(optind < argc, a);
}

/* The header, the stores, the items, then the promotions (at least 10, one
 * per 40 items). */
static void write_rows(const struct args *a, struct gen *g, struct out *o, struct out *keys,
                       struct counts *k)
{
    write_header(o);
    write_stores(g, o, k);
    for (uint64_t i = 0; i < a->items && !o->err && !keys->err; i++)
        write_item(g, i, o, a->keys_path ? keys : NULL, k);
    uint64_t npromos = a->items / 40 < 10 ? 10 : a->items / 40;
    for (uint64_t j = 0; j < npromos && !o->err; j++)
        write_promo(g, j, o, k);
}

/* One JSON object with the counts: on stdout, or on stderr when the
 * catalogue itself went to stdout. */
static void report(const struct args *a, const struct counts *k, uint64_t bytes, double seconds)
{
    char nowbuf[32];
    FILE *f = strcmp(a->out_path, "-") == 0 ? stderr : stdout;
    fprintf(f,
            "{\"command\":\"catalog\",\"items\":%" PRIu64 ",\"seed\":%" PRIu64
            ",\"now\":\"%s\",\"stores\":%" PRIu64 ",\"zones\":%" PRIu64 ",\"barcodes\":%" PRIu64
            ",\"weighed\":%" PRIu64 ",\"counted\":%" PRIu64 ",\"zone_prices\":%" PRIu64
            ",\"store_prices\":%" PRIu64 ",\"scheduled_prices\":%" PRIu64 ",\"promos\":%" PRIu64
            ",\"rows\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"keys\":%" PRIu64 ",\"seconds\":%.3f}\n",
            a->items, a->seed, write_when(nowbuf, a->now), a->stores, a->zones, k->barcodes,
            k->weighed, k->counted, k->zone_prices, k->store_prices, k->scheduled, k->promos,
            k->rows, bytes, k->keys, seconds);
}

int pl_bench_catalog(int argc, char **argv)
{
    struct args a = {.items = 10000, .seed = 1, .stores = 20, .zones = 4};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct gen g;
    gen_init(&g, a.seed, a.items, (unsigned)a.stores, (unsigned)a.zones, a.now);
    struct out o = {0}, keys = {0};
    struct counts k = {0};
    int status = 1;
    if (out_open(&o, a.out_path, 1 << 20) || (a.keys_path && out_open(&keys, a.keys_path, 1 << 20)))
        goto out;

    write_rows(&a, &g, &o, &keys, &k);
    if (out_close(&o) == 0 && out_close(&keys) == 0)
        status = 0;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (status == 0)
        report(&a, &k, o.bytes,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
    out_close(&o);
    out_close(&keys);
    return status;
}
