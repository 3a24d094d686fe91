/* backup, restore, migrate: the catalogue as a whole (docs/operations.md). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmds.h"
#include "pricelane/catalog.h"
#include "pricelane/catalog_admin.h"
#include "pricelane/err.h"

static const char backup_usage[] =
    "usage: pricelane-load backup --db DIR OUT\n"
    "\n"
    "Copies the catalogue in DIR into the new directory OUT (OUT/data.mdb) as it\n"
    "is in one read snapshot, compacted: the pages in use only, like mdb_copy -c.\n"
    "Servers and loaders keep running; a batch committing meanwhile is in the\n"
    "copy wholly or not at all. The copy is written to OUT.part and renamed\n"
    "when complete and flushed, so OUT is a whole backup or absent.\n"
    "\n"
    "  --db DIR   the catalogue\n"
    "\n"
    "Exit status: 0 copied, 1 failed (OUT exists, no room...), 2 usage.\n";

static const char restore_usage[] =
    "usage: pricelane-load restore --db DIR [--now TIME] BACKUP\n"
    "\n"
    "Replaces the whole content of the catalogue in DIR by the backup in the\n"
    "directory BACKUP (made by pricelane-load backup or mdb_copy), in one write\n"
    "transaction, while servers keep running: they answer from the replaced\n"
    "content until the commit and from the restored one after it, never a mix,\n"
    "never an error. The generation moves above both the catalogue's and the\n"
    "backup's and a new catalogue state is drawn, so no cached answer of the\n"
    "replaced content (nor of the backup's earlier life) is served again. The\n"
    "restore is recorded in the batch ledger as restore@SECONDS. Batches\n"
    "applied after the backup was taken are no longer in the ledger: apply\n"
    "them again to catch up. The backup is only read.\n"
    "\n"
    "  --db DIR    the catalogue\n"
    "  --now TIME  the ledger record's instant (default: now)\n"
    "\n"
    "Exit status: 0 restored, 1 refused (not a backup, another schema version:\n"
    "migrate a copy of it first) with the catalogue unchanged, 2 usage.\n";

static const char migrate_usage[] =
    "usage: pricelane-load migrate --db DIR [--backup OUT]\n"
    "\n"
    "Upgrades the catalogue in DIR, written by an older pricelane, to this\n"
    "version's schema. First backs it up (pricelane-load backup) into OUT,\n"
    "default DIR.schema-N (N: its version now), then applies the steps from\n"
    "its version to this one in one write transaction: a failure leaves the\n"
    "old version whole. Stop the servers and loaders of DIR first: this\n"
    "version refuses to open an older catalogue, and an older version refuses\n"
    "the migrated one.\n"
    "\n"
    "  --db DIR      the catalogue\n"
    "  --backup OUT  where the backup goes (a new directory)\n"
    "\n"
    "Exit status: 0 migrated or already current, 1 failed (nothing changed),\n"
    "2 usage.\n";

/* Options --db and --now (restore only); the positional arguments start at
 * optind. Returns -1 to go on, or an exit status. */
static int parse(int argc, char **argv, const char *usage, const char **db, const char **now,
                 const char **backup)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'}, {"now", 1, 0, 'n'}, {"backup", 1, 0, 'b'}, {"help", 0, 0, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'd')
            *db = optarg;
        else if (c == 'n' && now)
            *now = optarg;
        else if (c == 'b' && backup)
            *backup = optarg;
        else if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        } else {
            if (c != '?')
                fprintf(stderr, "pricelane-load %s: %s is not an option of this command\n", argv[0],
                        argv[optind - 1]);
            return 2;
        }
    }
    if (!*db) {
        fprintf(stderr, "pricelane-load %s: --db DIR is required\n", argv[0]);
        return 2;
    }
    return -1;
}

int cmd_backup(int argc, char **argv)
{
    const char *db = NULL;
    int rc = parse(argc, argv, backup_usage, &db, NULL, NULL);
    if (rc >= 0)
        return rc;
    if (optind != argc - 1) {
        fprintf(stderr, "pricelane-load backup: one OUT directory is required\n");
        return 2;
    }
    const char *out = argv[optind];
    pl_cat_t *cat = cmd_open_db(db, 1);
    if (!cat)
        return 1;
    rc = pl_cat_backup(cat, out);
    pl_cat_close(cat);
    if (rc) {
        fprintf(stderr, "pricelane-load backup: %s: %s\n", out,
                rc == PL_EEXIST ? "exists (or OUT.part does): back up into a new directory"
                                : pl_strerror(rc));
        return 1;
    }
    printf("%s: backed up into %s\n", db, out);
    return 0;
}

int cmd_restore(int argc, char **argv)
{
    const char *db = NULL, *now_s = NULL;
    int rc = parse(argc, argv, restore_usage, &db, &now_s, NULL);
    if (rc >= 0)
        return rc;
    if (optind != argc - 1) {
        fprintf(stderr, "pricelane-load restore: one BACKUP directory is required\n");
        return 2;
    }
    const char *backup = argv[optind];
    pl_cat_t *cat = cmd_open_db(db, 0);
    if (!cat)
        return 1;
    int64_t now = time(NULL);
    int off = 0;
    if (now_s && (cmd_utc_offset(cat, &off), cmd_parse_time("restore", "now", now_s, off, &now))) {
        pl_cat_close(cat);
        return 2;
    }
    pl_restore_info_t info;
    rc = pl_cat_restore(cat, backup, now, &info);
    pl_cat_close(cat);
    if (rc) {
        const char *why = pl_strerror(rc);
        if (rc == PL_ENOTFOUND)
            why = "not a backup (no data.mdb, or no catalogue in it)";
        else if (rc == PL_EINVAL)
            why = "is the catalogue itself, not a backup of it";
        else if (rc == PL_EVERSION)
            why = "a backup of another schema version, or not an LMDB file (restore a copy "
                  "migrated with pricelane-load migrate)";
        fprintf(stderr, "pricelane-load restore: %s: %s; %s unchanged\n", backup, why, db);
        return 1;
    }
    printf("%s: restored from %s (backup generation %" PRIu64 ", last batch '%s'); generation "
           "%" PRIu64 " replaced, now %" PRIu64 " (ledger: %s)\n",
           db, backup, info.backup_gen, info.backup_last_batch, info.replaced_gen, info.gen,
           info.ledger_id);
    return 0;
}

int cmd_migrate(int argc, char **argv)
{
    const char *db = NULL, *backup = NULL;
    int rc = parse(argc, argv, migrate_usage, &db, NULL, &backup);
    if (rc >= 0)
        return rc;
    if (optind != argc) {
        fprintf(stderr, "pricelane-load migrate: takes no arguments besides options\n");
        return 2;
    }
    uint32_t version = 0, from = 0, to = 0;
    rc = pl_cat_schema(db, &version);
    if (rc) {
        fprintf(stderr, "pricelane-load migrate: %s: %s\n", db,
                rc == PL_ENOTFOUND ? "no catalogue here" : pl_strerror(rc));
        return 1;
    }
    if (version == PL_SCHEMA_VERSION) {
        printf("%s: schema version %u is current, nothing to do\n", db, version);
        return 0;
    }
    if (version == 0 || version > PL_SCHEMA_VERSION) {
        fprintf(stderr,
                "pricelane-load migrate: %s: schema version %u, this pricelane-load knows "
                "1 to %d\n",
                db, version, PL_SCHEMA_VERSION);
        return 1;
    }
    char def[4200];
    if (!backup) {
        snprintf(def, sizeof(def), "%s.schema-%u", db, version);
        backup = def;
    }
    rc = pl_cat_backup_dir(db, backup);
    if (rc) {
        fprintf(stderr, "pricelane-load migrate: backup into %s: %s; nothing migrated\n", backup,
                rc == PL_EEXIST ? "exists: name a new directory with --backup" : pl_strerror(rc));
        return 1;
    }
    rc = pl_cat_migrate(db, &from, &to);
    if (rc) {
        fprintf(stderr, "pricelane-load migrate: %s: %s; still schema version %u (backup in %s)\n",
                db, pl_strerror(rc), version, backup);
        return 1;
    }
    printf("%s: schema version %u migrated to %u (backup of version %u in %s)\n", db, from, to,
           version, backup);
    return 0;
}

static const char prune_usage[] =
    "usage: pricelane-load prune --db DIR --keep-days N [--now TIME]\n"
    "\n"
    "Removes, in one write transaction, the history no answer and no label\n"
    "needs any more, older than N days (N at least 7):\n"
    "  - price rows that started before then, except the two latest of each\n"
    "    item, level and scope (the row in force then, which answers the whole\n"
    "    time after it, and the one before, which prev_price names); every row\n"
    "    in force now, in the last 7 days (low_7d) or in the future stays;\n"
    "  - label jobs printed or superseded before then (pending jobs stay);\n"
    "  - batch ledger records applied before then, except the last batch: a\n"
    "    batch file that old, applied again, is no longer recognised.\n"
    "Promotions, items, barcodes, stores and shelf labels are kept. prev_price\n"
    "reaches back at most to the rows kept. The run is recorded in the ledger\n"
    "as prune@SECONDS. Freed pages are reused by later batches, so the file\n"
    "stops growing; pricelane-load backup writes a compacted copy.\n"
    "\n"
    "  --db DIR        the catalogue\n"
    "  --keep-days N   keep N days of history (7 to 36500)\n"
    "  --now TIME      prune as of TIME instead of now (tests, replays)\n"
    "\n"
    "Exit status: 0 pruned, 1 failed (nothing removed), 2 usage.\n";

int cmd_prune(int argc, char **argv)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'}, {"keep-days", 1, 0, 'k'}, {"now", 1, 0, 'n'}, {"help", 0, 0, 'h'}, {0}};
    const char *db = NULL, *keep_s = NULL, *now_s = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'd')
            db = optarg;
        else if (c == 'k')
            keep_s = optarg;
        else if (c == 'n')
            now_s = optarg;
        else if (c == 'h') {
            fputs(prune_usage, stdout);
            return 0;
        } else
            return 2;
    }
    uint64_t keep = 0;
    if (!db || !keep_s || optind != argc) {
        fprintf(stderr, "pricelane-load prune: %s\n",
                !db       ? "--db DIR is required"
                : !keep_s ? "--keep-days N is required"
                          : "takes no arguments besides options");
        return 2;
    }
    int bad = cmd_num_check(keep_s, strlen(keep_s), PL_PRUNE_MIN_DAYS, 36500, &keep);
    if (bad != CMD_NUM_OK) {
        char range[96];
        snprintf(range, sizeof(range), "%d to 36500: low_7d and prev_price look %d days back",
                 PL_PRUNE_MIN_DAYS, PL_PRUNE_MIN_DAYS);
        cmd_num_error("prune", "--keep-days", keep_s, bad, "a whole number of days", range);
        return 2;
    }
    pl_cat_t *cat = cmd_open_db(db, 0);
    if (!cat)
        return 1;
    int64_t now = time(NULL);
    int off = 0;
    if (now_s && (cmd_utc_offset(cat, &off), cmd_parse_time("prune", "now", now_s, off, &now))) {
        pl_cat_close(cat);
        return 2;
    }
    pl_prune_counts_t n;
    pl_txn_t *txn;
    int rc;
    for (int tries = 0;; tries++) {
        rc = pl_txn_begin(cat, 1, &txn);
        if (rc)
            break;
        rc = pl_cat_prune(txn, now, now - (int64_t)keep * 86400, &n);
        rc = rc ? (pl_txn_abort(txn), rc) : pl_txn_commit(txn);
        if ((rc != PL_EMAPFULL && rc != PL_ETXNFULL) || tries == 8)
            break;
        if ((rc = pl_cat_grow(cat, 0)) != 0)
            break;
    }
    pl_cat_close(cat);
    if (rc) {
        char why[256];
        fprintf(stderr, "pricelane-load prune: %s: %s; nothing removed\n", db,
                cmd_storage_error(db, rc, why, sizeof(why)));
        return 1;
    }
    printf("%s: pruned history before %" PRIu64 " days: %" PRIu64 " price rows, %" PRIu64
           " label jobs, %" PRIu64 " ledger records removed\n",
           db, keep, n.prices, n.jobs, n.batches);
    return 0;
}
