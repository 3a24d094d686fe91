/* init, import and apply. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "load.h"
#include "pricelane/err.h"
#include "pricelane/timefmt.h"

static int parse_offset(const char *s, int *out)
{
    int h, m;
    char sign;
    if (!strcmp(s, "Z") || !strcmp(s, "UTC")) {
        *out = 0;
        return 0;
    }
    if (sscanf(s, "%c%2d:%2d", &sign, &h, &m) != 3 || (sign != '+' && sign != '-') || h > 14 ||
        m > 59 || strlen(s) != 6)
        return -1;
    *out = (sign == '-' ? -1 : 1) * (h * 60 + m);
    return 0;
}

/* "256K", "64M", "4G", "1048576" → bytes, page-aligned, 64 KiB to 1 TiB.
 * Returns 0, or -1 after saying why s is not such a size. */
static int parse_size(const char *s, size_t *out)
{
    size_t len = strlen(s);
    uint64_t v, mul = 1;
    char last = len ? s[len - 1] : 0;
    if (last == 'K' || last == 'k')
        mul = 1ull << 10;
    else if (last == 'M' || last == 'm')
        mul = 1ull << 20;
    else if (last == 'G' || last == 'g')
        mul = 1ull << 30;
    if (mul > 1)
        len--;
    int why = cmd_num_check(s, len, 0, (1ull << 40) / mul, &v);
    if (why == CMD_NUM_EMPTY && mul > 1)
        why = CMD_NUM_JUNK; /* a suffix alone */
    if (why == CMD_NUM_OK && v * mul < (64ull << 10))
        why = CMD_NUM_RANGE;
    if (why != CMD_NUM_OK) {
        cmd_num_error("init", "--map-size", s, why,
                      "a size in bytes with an optional K, M or G suffix", "64K to 1024G");
        return -1;
    }
    *out = (size_t)((v * mul + 4095) & ~4095ull);
    return 0;
}

int cmd_init(int argc, char **argv)
{
    static const struct option lo[] = {{"db", 1, 0, 'd'},         {"currency", 1, 0, 'c'},
                                       {"utc-offset", 1, 0, 'u'}, {"map-size", 1, 0, 'm'},
                                       {"help", 0, 0, 'h'},       {0}};
    const char *db = NULL, *currency = "CNY";
    int off = 8 * 60, c;
    size_t map_size = 0;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'c':
            currency = optarg;
            break;
        case 'u':
            if (parse_offset(optarg, &off)) {
                fprintf(stderr, "pricelane-load init: --utc-offset \"%s\": expected +HH:MM, -HH:MM or Z\n", optarg);
                return 2;
            }
            break;
        case 'm':
            if (parse_size(optarg, &map_size))
                return 2;
            break;
        case 'h':
            printf("usage: pricelane-load init --db DIR [--currency CNY] [--utc-offset +08:00]\n"
                   "                           [--map-size SIZE]\n\n"
                   "Creates an empty catalogue in DIR. Prices are integers in the currency's\n"
                   "minor unit; instants in answers are printed with the UTC offset.\n\n"
                   "  --currency CODE     ISO 4217 code (default CNY)\n"
                   "  --utc-offset +HH:MM offset of the instants printed and of local times\n"
                   "                      in batch files (default +08:00)\n"
                   "  --map-size SIZE     initial LMDB map size, e.g. 256K, 64M, 4G (default\n"
                   "                      1G; 64K to 1024G); a loader doubles it whenever a\n"
                   "                      batch needs more and retries the batch, so this\n"
                   "                      is no limit\n");
            return 0;
        default:
            return 2;
        }
    }
    if (!db) {
        fprintf(stderr, "pricelane-load init: --db DIR is required\n");
        return 2;
    }
    if (strlen(currency) != 3) {
        fprintf(stderr, "pricelane-load init: --currency \"%s\": expected a 3-letter ISO 4217 code\n", currency);
        return 2;
    }
    int rc = pl_cat_init_sized(db, currency, off, map_size);
    if (rc == PL_EEXIST) {
        fprintf(stderr, "pricelane-load init: %s already holds a catalogue; nothing changed\n", db);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "pricelane-load init: %s: %s\n", db, pl_strerror(rc));
        return 1;
    }
    printf("created catalogue %s (%s, UTC%c%02d:%02d)\n", db, currency, off < 0 ? '-' : '+',
           abs(off) / 60, abs(off) % 60);
    return 0;
}

static int load_cmd(int argc, char **argv, int import)
{
    static const struct option lo[] = {{"db", 1, 0, 'd'}, {"quiet", 0, 0, 'q'},
                                       {"now", 1, 0, 'n'}, {"help", 0, 0, 'h'}, {0}};
    const char *db = NULL, *name = import ? "import" : "apply", *now_s = NULL;
    int quiet = 0, c;
    while ((c = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'n':
            now_s = optarg;
            break;
        case 'h':
            if (import)
                printf("usage: pricelane-load import --db DIR [--quiet] [--now TIME] FILE...\n\n"
                       "Loads a whole catalogue (stores, items, barcodes, prices, promotions) from\n"
                       "CSV or JSON Lines files in ONE transaction: any bad row and nothing is\n"
                       "written; every bad row is listed with file, line, column and reason.\n"
                       "Shelf labels are taken as printed at today's prices; future price changes\n"
                       "become label jobs. Format: docs/batch-format.md.\n"
                       "\n"
                       "  --quiet     no progress and no summary line\n"
                       "  --now TIME  import as of TIME instead of the current time (replays,\n"
                       "              tests): rows without a start take effect then\n");
            else
                printf("usage: pricelane-load apply --db DIR [--quiet] [--now TIME] FILE...\n\n"
                       "Applies each FILE as one change batch in one transaction: prices,\n"
                       "promotions, label jobs, history, the batch ledger and the price generation\n"
                       "commit together, durably, or not at all. The batch id is the 'batch'\n"
                       "column, else the file name without extension. Applying the same id with\n"
                       "the same content again does nothing; with other content it is refused.\n"
                       "\n"
                       "  --quiet     no progress and no summary line\n"
                       "  --now TIME  apply as of TIME instead of the current time (replays,\n"
                       "              tests): the commit instant of prices without a start,\n"
                       "              of cancels and of label jobs due now\n"
                       "\n"
                       "Exit status: 0 applied (or already applied), 1 refused, 2 usage.\n");
            return 0;
        default:
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "pricelane-load %s: no FILE given\n", name);
        return 2;
    }
    pl_cat_t *cat = cmd_open_db(db, 0);
    if (!cat)
        return db ? 1 : 2;
    int n = argc - optind;
    load_result_t *res = calloc((size_t)n, sizeof(*res));
    pl_diags_t d;
    pl_diags_init(&d);
    load_opts_t o = {0};
    o.import = import;
    int off;
    if (now_s && (cmd_utc_offset(cat, &off) || cmd_parse_time(name, "now", now_s, off, &o.now))) {
        pl_cat_close(cat);
        free(res);
        return 2;
    }
    o.progress = !quiet && isatty(STDERR_FILENO);
    int rc = res ? load_files(cat, argv + optind, n, &o, &d, res) : PL_EINVAL;
    pl_diags_print(&d);
    int done = import ? (rc == 0) : 0;
    for (int i = 0; !import && i < n; i++)
        done += res[i].gen != 0 || res[i].already;
    for (int i = 0; i < done; i++) {
        const load_result_t *r = &res[i];
        if (quiet)
            break;
        if (r->already)
            printf("batch %s already applied (generation %" PRIu64 "): nothing to do\n", r->batch, r->gen);
        else
            printf("%s %s: %" PRIu64 " rows, generation %" PRIu64 ", %" PRIu64 " label jobs%s\n",
                   import ? "imported" : "applied batch", r->batch, r->rows, r->gen, r->jobs,
                   r->map_grown ? " (map grown)" : "");
    }
    if (rc) {
        char why[192];
        const char *what = import ? argv[optind] : argv[optind + done];
        if (rc == PL_EFORMAT)
            fprintf(stderr, "pricelane-load %s: %s: %zu problem%s; nothing of it was applied\n",
                    name, what, d.count, d.count == 1 ? "" : "s");
        else
            fprintf(stderr, "pricelane-load %s: %s: %s; nothing of it was applied\n", name, what,
                    cmd_storage_error(db, rc, why, sizeof(why)));
        if (!import && done < n - 1)
            fprintf(stderr, "pricelane-load %s: %d later file%s not attempted\n", name,
                    n - done - 1, n - done - 1 == 1 ? "" : "s");
    }
    pl_diags_free(&d);
    free(res);
    pl_cat_close(cat);
    return rc ? 1 : 0;
}

int cmd_import(int argc, char **argv)
{
    return load_cmd(argc, argv, 1);
}

int cmd_apply(int argc, char **argv)
{
    return load_cmd(argc, argv, 0);
}
