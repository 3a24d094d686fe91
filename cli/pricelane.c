/* pricelane: the command-line client. `pricelane lookup` resolves codes
 * against a catalogue directly (--db) or asks a running server (--server);
 * both print the same JSON answer, one line per code. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "netclient.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/timefmt.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pricelane lookup --db DIR [--store S] [--at TIME] [--member]\n"
            "                        [--best-before-blocks] CODE...\n"
            "       pricelane lookup --server HOST:PORT [--udp] [--store S] [--member] CODE...\n"
            "\n"
            "Prints the answer for each CODE as one line of JSON (fields: docs/protocol.md).\n"
            "A CODE is a scanned barcode (EAN-13/8, UPC-A/E, GTIN-14, ISBN, a scale label),\n"
            "a 2D code as the scanner sends it (GS1 element strings with a symbology\n"
            "identifier such as ]d2, the separator as the byte 0x1D or ^], \\x1D, <GS>; a\n"
            "GS1 Digital Link URI) or a keyed item code.\n"
            "\n"
            "  --db DIR         resolve against the catalogue in DIR\n"
            "  --server H:P     ask a running pricelaned (TCP; --udp for UDP)\n"
            "  --store S        answer for store S (its zone prices, promotions, scale formats)\n"
            "  --at TIME        (--db only) answer as of TIME: RFC 3339, 'YYYY-MM-DD HH:MM' in\n"
            "                   the catalogue's offset, or @unix-seconds; default now\n"
            "  --member         apply member prices\n"
            "  --best-before-blocks\n"
            "                   (--db only) a 2D code's best-before date (GS1 AI 15) in the\n"
            "                   past blocks the pack, as pricelaned with best_before = block\n"
            "\n"
            "Exit status: 0 every code answered ok, 1 some code was not ok, 2 usage or\n"
            "catalogue error.\n");
}

static int lookup_db(const char *db, const char *store, const char *at, int member, int argc,
                     char **argv)
{
    pl_cat_t *cat;
    pl_cat_opts_t o = {0};
    o.read_only = 1;
    int rc = pl_cat_open(db, &o, &cat);
    if (rc) {
        fprintf(stderr, "pricelane: %s: %s\n", db,
                rc == PL_ENOTFOUND  ? "no catalogue here"
                : rc == PL_EVERSION ? "another schema version (an older catalogue is upgraded by "
                                      "pricelane-load migrate)"
                                    : pl_strerror(rc));
        return 2;
    }
    pl_resolver_t *r = NULL;
    int status = 0;
    rc = pl_resolver_new(cat, NULL, &r);
    if (!rc)
        rc = pl_resolver_refresh(r);
    if (rc) {
        fprintf(stderr, "pricelane: %s: %s\n", db, pl_strerror(rc));
        status = 2;
        goto out;
    }
    int64_t now = pl_time_now();
    if (at) {
        char err[128];
        if (pl_time_parse(at, pl_resolver_utc_offset(r), &now, err, sizeof(err)) != 0) {
            fprintf(stderr, "pricelane: --at \"%s\": %s\n", at, err);
            status = 2;
            goto out;
        }
    }
    for (int i = 0; i < argc; i++) {
        pl_answer_t a;
        char json[2048];
        pl_resolve(r, store, argv[i], strlen(argv[i]), now, member, &a);
        if (pl_answer_json(&a, pl_resolver_utc_offset(r), json, sizeof(json)))
            printf("%s\n", json);
        if (a.status != PL_ANS_OK)
            status = status ? status : 1;
        if (a.status == PL_ANS_ERROR)
            status = 2;
    }
out:
    pl_resolver_free(r);
    pl_cat_close(cat);
    return status;
}

static int cmd_lookup(int argc, char **argv)
{
    static const struct option lo[] = {{"db", 1, 0, 'd'},
                                       {"server", 1, 0, 's'},
                                       {"udp", 0, 0, 'u'},
                                       {"store", 1, 0, 'S'},
                                       {"at", 1, 0, 'a'},
                                       {"member", 0, 0, 'm'},
                                       {"help", 0, 0, 'h'},
                                       {"best-before-blocks", 0, 0, 'b'},
                                       {0}};
    const char *db = NULL, *server = NULL, *store = NULL, *at = NULL;
    int udp = 0, member = 0, c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 's': server = optarg; break;
        case 'u': udp = 1; break;
        case 'S': store = optarg; break;
        case 'a': at = optarg; break;
        case 'm':
            member |= PL_LOOKUP_MEMBER;
            break;
        case 'b':
            member |= PL_LOOKUP_BEST_BEFORE;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!!db == !!server || optind >= argc) {
        fprintf(stderr, "pricelane lookup: give --db DIR or --server HOST:PORT, and at least one CODE\n");
        return 2;
    }
    if (server) {
        if (at) {
            fprintf(stderr, "pricelane lookup: --at works with --db only (a server answers for now)\n");
            return 2;
        }
        if (member & PL_LOOKUP_BEST_BEFORE) {
            fprintf(stderr, "pricelane lookup: --best-before-blocks works with --db only (a server "
                            "has its best_before setting)\n");
            return 2;
        }
        return pl_netclient_lookup(server, udp, store, member & PL_LOOKUP_MEMBER, argc - optind,
                                   argv + optind);
    }
    return lookup_db(db, store, at, member, argc - optind, argv + optind);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "lookup"))
        return cmd_lookup(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
