/* pricelane-load: create catalogues, import them, apply change batches, work
 * the shelf-label queue, show history, verify invariants, watch a drop
 * directory; back up, restore, prune and migrate a catalogue; publish batches
 * to the stores and follow a zone's stream. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} cmds[] = {
    {"init", cmd_init, "init    --db DIR [--currency C] [--utc-offset +08:00]  create a catalogue"},
    {"import", cmd_import,
     "import  --db DIR FILE...        load a whole catalogue in one transaction"},
    {"apply", cmd_apply, "apply   --db DIR FILE...        apply change batches, each atomically"},
    {"labels", cmd_labels,
     "labels  list|export|ack|placed  the shelf-label queue: print, then place"},
    {"report", cmd_report,
     "report  --db DIR --date D       the lanes' exception log of a day, by cause"},
    {"history", cmd_history, "history --db DIR CODE           prices of an item over time"},
    {"verify", cmd_verify, "verify  --db DIR                check the catalogue's invariants"},
    {"watch", cmd_watch, "watch   --db DIR INBOX          apply files dropped into INBOX"},
    {"backup", cmd_backup,
     "backup  --db DIR OUT            consistent compacted copy, while others run"},
    {"restore", cmd_restore,
     "restore --db DIR BACKUP         replace the content by a backup, atomically"},
    {"prune", cmd_prune, "prune   --db DIR --keep-days N  remove history no answer or label needs"},
    {"migrate", cmd_migrate,
     "migrate --db DIR                upgrade an older catalogue (backed up first)"},
    {"publish", cmd_publish,
     "publish --db DIR --nats URL --zone Z FILE...  send batches to a zone's stores"},
    {"follow", cmd_follow,
     "follow  --db DIR --nats URL --zone Z [--store S]  apply a zone's stream"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: pricelane-load COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        fprintf(f, "  %s\n", cmds[i].help);
    fprintf(f, "\n'pricelane-load COMMAND --help' describes each command. Documents:\n"
               "docs/loader.md, docs/batch-format.md, docs/labels.md, docs/distribution.md.\n"
               "Exit status: 0 done, 1 refused or failed, 2 usage.\n");
}

struct pl_cat *cmd_open_db(const char *db, int read_only)
{
    pl_cat_t *cat = NULL;
    if (!db) {
        fprintf(stderr, "pricelane-load: --db DIR is required\n");
        return NULL;
    }
    pl_cat_opts_t o = {0};
    o.read_only = read_only;
    int rc = pl_cat_open(db, &o, &cat);
    if (rc == PL_ENOTFOUND)
        fprintf(stderr, "pricelane-load: %s: no catalogue here (create one with pricelane-load init)\n", db);
    else if (rc == PL_EVERSION)
        fprintf(stderr,
                "pricelane-load: %s: catalogue of another schema version (this pricelane-load "
                "uses %d): an older one is upgraded by pricelane-load migrate --db %s\n",
                db, PL_SCHEMA_VERSION, db);
    else if (rc)
        fprintf(stderr, "pricelane-load: %s: %s\n", db, pl_strerror(rc));
    return rc ? NULL : cat;
}

void cmd_prefault(struct pl_cat *cat, const char *cmd)
{
    size_t bytes;
    int rc = pl_cat_recache(cat, &bytes);
    if (rc)
        fprintf(stderr,
                "pricelane-load %s: %s: the catalogue's page cache not read back in base pages "
                "(%s): a batch may dirty and flush more than it writes\n",
                cmd, pl_cat_path(cat), pl_strerror(rc));
    rc = pl_cat_prefault(cat, &bytes);
    if (rc)
        fprintf(stderr,
                "pricelane-load %s: %s: the catalogue's pages not mapped ahead (%s): each batch "
                "maps the pages it reads, which costs more CPU\n",
                cmd, pl_cat_path(cat), pl_strerror(rc));
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "pricelane-load: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
