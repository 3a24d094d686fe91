/* labels list | export | ack | printed | placed: the shelf-label reprint queue.
 *
 * Jobs are created by the engine (labelgen.c) in the transaction of the
 * batch that made a label wrong. Here they are listed, exported for a label
 * printer or ESL gateway, acknowledged once printed and confirmed once the
 * label is on the shelf. Both change what answers carry (label_price,
 * label_pending, label_step), so each commits like a batch: generation + 1 and a ledger record,
 * which is also what makes a server's cached item views of the old generation misses. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cmds.h"
#include "pricelane/catalog.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/rows.h"
#include "pricelane/timefmt.h"

static const char usage_text[] =
    "usage: pricelane-load labels list   --db DIR [--due-by TIME] [--store S]\n"
    "                                    [--all | --to-place]\n"
    "       pricelane-load labels export --db DIR [--format csv] [--due-by TIME] [--store S]\n"
    "                                    [--to-place] [--output FILE]\n"
    "       pricelane-load labels ack    --db DIR [--now TIME] JOB... | --batch ID\n"
    "       pricelane-load labels printed --db DIR [--now TIME] JOB... | --batch ID\n"
    "       pricelane-load labels placed --db DIR [--now TIME] JOB... | --batch ID | --file F\n"
    "\n"
    "The shelf-label reprint queue. Every committed change that alters what a shelf\n"
    "label must show (a price now, a scheduled price at its instant, a promotion at\n"
    "its start and at its end, a name or pack-quantity change) creates label jobs in\n"
    "the same transaction: one per label scope (the chain, a zone or a store) with\n"
    "the price to print and the instant it is due. A later change that makes a\n"
    "pending job wrong supersedes it and creates the right one. See docs/labels.md.\n"
    "\n"
    "list     prints the pending jobs as a table, oldest first.\n"
    "export   writes the pending jobs as CSV (RFC 4180, header row, prices as 12.50,\n"
    "         instants as RFC 3339) for a label printer or an ESL gateway; columns:\n"
    "         job,due,level,scope,sku,gtin,name,unit,price,unit_price,unit_basis,\n"
    "         promo_text,promo_ends,old_price,reason,batch.\n"
    "ack      marks jobs printed, in one transaction: the label price of each item and\n"
    "         scope becomes the printed price, so answers show it as label_price and\n"
    "         label_pending turns false. An unknown job, a job already acked or\n"
    "         superseded, or a job not yet due is an error naming it, and nothing is\n"
    "         acked. --batch ID acks every pending job of batch ID that is due.\n"
    "printed  the same as ack.\n"
    "placed   confirms that printed labels are on the shelf (a shelf scan, an ESL\n"
    "         gateway), in one transaction: answers stop showing label_step \"place\".\n"
    "         A pending job that is due is printed and placed at once (an electronic\n"
    "         label has no printing step). An unknown, superseded or already placed job,\n"
    "         a job not yet due, or a placement before the print or after --now is an\n"
    "         error naming it, and nothing is placed. --batch ID places every printed\n"
    "         or due job of batch ID not yet placed; --file F reads placements from F\n"
    "         (CSV with a header row, or JSON Lines): columns job (required) and\n"
    "         placed_at (an instant; default --now).\n"
    "\n"
    "  --db DIR           the catalogue\n"
    "  --due-by TIME      only jobs due at TIME or before it (RFC 3339, 'YYYY-MM-DD\n"
    "                     HH:MM' in the catalogue's offset, or @unix-seconds): the\n"
    "                     evening export for the next opening is --due-by 'DAY 08:00'\n"
    "                     and includes the flyer that starts at 08:00\n"
    "  --due-before TIME  only jobs due strictly before TIME\n"
    "  --store S          only the labels store S shows: jobs for S, for S's zone and\n"
    "                     for the chain\n"
    "  --all              list: also printed, placed and superseded jobs (with their\n"
    "                     state and when they were placed)\n"
    "  --to-place         list, export: the printed jobs whose labels are not yet\n"
    "                     confirmed on the shelf (for labels placed), instead of the\n"
    "                     pending ones\n"
    "  --format csv       export: the only format (default)\n"
    "  --output FILE      export: write to FILE (atomically: FILE.tmp, then renamed)\n"
    "                     instead of standard output\n"
    "  --batch ID         ack, placed: the jobs of batch ID\n"
    "  --file F           placed: the placements of file F\n"
    "  --now TIME         ack, placed: the instant (default: now)\n"
    "\n"
    "Exit status: 0 done, 1 refused (unknown store, job or batch; nothing changed),\n"
    "2 usage.\n";

enum sub { SUB_LIST, SUB_EXPORT, SUB_ACK, SUB_PRINTED, SUB_PLACED };
static const char *const sub_names[] = {"list", "export", "ack", "printed", "placed"};
#define NSUBS 5

typedef struct opts {
    enum sub sub;
    const char *db, *due_s, *store, *format, *output, *batch, *now_s, *file;
    int due_inclusive; /* --due-by: jobs due at the bound too; --due-before: strictly before */
    int all, to_place;
    int64_t due;
    int utc_offset;
    /* --store: the scopes whose labels the store shows */
    char scope_store[PL_SCOPE_MAX + 1], scope_zone[PL_SCOPE_MAX + 1];
} opts_t;

typedef struct joblist {
    pl_label_job_t *v;
    size_t n, cap;
    const opts_t *o;
} joblist_t;

static int wanted(const opts_t *o, const pl_label_job_t *j)
{
    if (o->to_place && (j->state != PL_JOB_ACKED || j->placed_at != PL_TIME_NONE))
        return 0;
    if (o->due_s && (o->due_inclusive ? j->due > o->due : j->due >= o->due))
        return 0;
    if (o->store && j->scope[0] && strcmp(j->scope, o->scope_store) != 0 &&
        (!o->scope_zone[0] || strcmp(j->scope, o->scope_zone) != 0))
        return 0;
    return 1;
}

static int collect(const pl_label_job_t *j, void *arg)
{
    joblist_t *l = arg;
    if (!wanted(l->o, j))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        pl_label_job_t *n = realloc(l->v, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        l->v = n;
        l->cap = cap;
    }
    l->v[l->n++] = *j;
    return 0;
}

static int cmp_due(const void *a, const void *b)
{
    const pl_label_job_t *x = a, *y = b;
    if (x->due != y->due)
        return x->due < y->due ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const char *state_name(const pl_label_job_t *j)
{
    int s = j->state;
    return s == PL_JOB_PENDING      ? "pending"
           : s == PL_JOB_ACKED      ? (j->placed_at == PL_TIME_NONE ? "printed" : "placed")
           : s == PL_JOB_SUPERSEDED ? "superseded"
                                    : "?";
}

static const char *level_name(int l)
{
    return l == PL_LEVEL_BASE ? "chain" : l == PL_LEVEL_ZONE ? "zone" : "store";
}

/* ---- list ------------------------------------------------------------------ */

enum col {
    C_ID,
    C_STATE,
    C_DUE,
    C_SCOPE,
    C_SKU,
    C_GTIN,
    C_NAME,
    C_PRICE,
    C_UNIT,
    C_PROMO,
    C_PROMO_END,
    C_OLD,
    C_REASON,
    C_BATCH,
    C_PLACED,
    NCOLS
};
static const char *const col_head[NCOLS] = {
    "ID",         "STATE", "DUE",        "SCOPE", "SKU",    "GTIN",  "NAME",  "PRICE",
    "UNIT PRICE", "PROMO", "PROMO ENDS", "OLD",   "REASON", "BATCH", "PLACED"};

static void cells(const opts_t *o, const pl_label_job_t *j, char c[NCOLS][160])
{
    char m[32];
    snprintf(c[C_ID], 160, "%" PRIu64, j->id);
    snprintf(c[C_STATE], 160, "%s", state_name(j));
    cmd_time(j->due, o->utc_offset, "-", c[C_DUE], 160);
    snprintf(c[C_SCOPE], 160, "%s", j->scope[0] ? j->scope : "(chain)");
    snprintf(c[C_SKU], 160, "%s", j->sku);
    snprintf(c[C_GTIN], 160, "%s", j->gtin[0] ? j->gtin : "-");
    snprintf(c[C_NAME], 160, "%s", j->name);
    cmd_money(j->price, "-", c[C_PRICE], 160);
    if (j->unit_price == PL_PRICE_NONE)
        snprintf(c[C_UNIT], 160, "-");
    else
        snprintf(c[C_UNIT], 160, "%s/%s", cmd_money(j->unit_price, "", m, sizeof(m)),
                 j->unit_basis);
    snprintf(c[C_PROMO], 160, "%s", j->promo_text[0] ? j->promo_text : "-");
    cmd_time(j->promo_ends, o->utc_offset, "-", c[C_PROMO_END], 160);
    cmd_money(j->old_price, "-", c[C_OLD], 160);
    snprintf(c[C_REASON], 160, "%s", j->reason);
    snprintf(c[C_BATCH], 160, "%s", j->batch);
    cmd_time(j->placed_at, o->utc_offset, "-", c[C_PLACED], 160);
}

static int print_table(const opts_t *o, const joblist_t *l)
{
    static char c[NCOLS][160];
    const char *row[NCOLS];
    cmd_table_t t;
    int rc = 0;
    cmd_table_init(&t, NCOLS, col_head);
    for (size_t i = 0; i < l->n && !rc; i++) {
        cells(o, &l->v[i], c);
        for (int k = 0; k < NCOLS; k++)
            row[k] = c[k];
        rc = cmd_table_add(&t, row);
    }
    if (!rc)
        cmd_table_print(&t, stdout, "", o->all ? 0 : 1u << C_STATE | 1u << C_PLACED);
    cmd_table_free(&t);
    return rc;
}

/* ---- export ---------------------------------------------------------------- */

static const char *const export_cols[] = {
    "job",   "due",        "level",      "scope",      "sku",        "gtin",      "name",   "unit",
    "price", "unit_price", "unit_basis", "promo_text", "promo_ends", "old_price", "reason", "batch",
};
#define NEXPORT ((int)(sizeof(export_cols) / sizeof(export_cols[0])))

static void export_job(FILE *f, const opts_t *o, pl_txn_t *txn, const pl_label_job_t *j)
{
    char id[24], due[40], price[32], unit_price[32], ends[40], old[32];
    pl_item_t it;
    snprintf(id, sizeof(id), "%" PRIu64, j->id);
    const char *unit = pl_item_get(txn, j->sku, &it) == 0 ? it.unit : "";
    const char *v[NEXPORT] = {
        id,
        cmd_time(j->due, o->utc_offset, "", due, sizeof(due)),
        level_name(j->level),
        j->scope,
        j->sku,
        j->gtin,
        j->name,
        unit,
        cmd_money(j->price, "", price, sizeof(price)),
        cmd_money(j->unit_price, "", unit_price, sizeof(unit_price)),
        j->unit_basis,
        j->promo_text,
        cmd_time(j->promo_ends, o->utc_offset, "", ends, sizeof(ends)),
        cmd_money(j->old_price, "", old, sizeof(old)),
        j->reason,
        j->batch,
    };
    for (int k = 0; k < NEXPORT; k++)
        cmd_csv_field(f, v[k], k == NEXPORT - 1);
}

static int do_export(const opts_t *o, pl_txn_t *txn, const joblist_t *l)
{
    char tmp[4200];
    FILE *f = stdout;
    if (o->output) {
        snprintf(tmp, sizeof(tmp), "%s.tmp", o->output);
        f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "pricelane-load labels export: %s: %s\n", tmp, strerror(errno));
            return 1;
        }
    }
    for (int k = 0; k < NEXPORT; k++)
        cmd_csv_field(f, export_cols[k], k == NEXPORT - 1);
    for (size_t i = 0; i < l->n; i++)
        export_job(f, o, txn, &l->v[i]);
    if (!o->output)
        return fflush(f) == 0 ? 0 : 1;
    int bad = ferror(f) | fflush(f);
    bad |= fclose(f);
    if (bad || rename(tmp, o->output) != 0) {
        fprintf(stderr, "pricelane-load labels export: writing %s: %s\n", o->output,
                strerror(errno));
        remove(tmp);
        return 1;
    }
    fprintf(stderr, "exported %zu label job%s to %s\n", l->n, l->n == 1 ? "" : "s", o->output);
    return 0;
}

/* ---- ack -------------------------------------------------------------------- */

typedef struct ack {
    const opts_t *o;
    int place; /* placed: confirm on the shelf; else print (ack) */
    uint64_t *ids;
    int64_t *ats; /* placed --file: the instant of each id (ids' order); NULL: now */
    size_t n;
    int64_t now;
    pl_diags_t *d;
    /* --batch: jobs of the batch seen, and those left because not due */
    uint64_t batch_jobs, not_due;
    int64_t first_due;
    uint64_t acked, gen; /* acked: jobs acked or placed */
    char ledger_id[PL_BATCH_ID_MAX + 1];
    pl_txn_t *txn;
} ack_t;

static int batch_job(const pl_label_job_t *j, void *arg)
{
    ack_t *a = arg;
    if (strcmp(j->batch, a->o->batch) != 0)
        return 0;
    a->batch_jobs++;
    if (a->place ? j->state == PL_JOB_SUPERSEDED || j->placed_at != PL_TIME_NONE
                 : j->state != PL_JOB_PENDING)
        return 0;
    if (j->state == PL_JOB_PENDING && j->due > a->now) {
        if (!a->not_due++ || j->due < a->first_due)
            a->first_due = j->due;
        return 0;
    }
    uint64_t *n = realloc(a->ids, (a->n + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    a->ids = n;
    a->ids[a->n++] = j->id;
    return 0;
}

/* Places printed (or due pending) job j at `at`, after checking the
 * instant: not before the print, not after --now. 0 after a diagnostic too. */
static int place_one(ack_t *a, const pl_label_job_t *j, int64_t at)
{
    char t1[40], t2[40];
    if (j->placed_at != PL_TIME_NONE) {
        pl_diag(a->d, NULL, 0, NULL, "job %" PRIu64 ": already placed at %s", j->id,
                cmd_time(j->placed_at, a->o->utc_offset, "?", t1, sizeof(t1)));
        return 0;
    }
    if (at > a->now) {
        pl_diag(a->d, NULL, 0, NULL, "job %" PRIu64 ": placed at %s, after now (%s)", j->id,
                cmd_time(at, a->o->utc_offset, "?", t1, sizeof(t1)),
                cmd_time(a->now, a->o->utc_offset, "?", t2, sizeof(t2)));
        return 0;
    }
    if (j->state == PL_JOB_ACKED && at < j->acked_at) {
        pl_diag(a->d, NULL, 0, NULL, "job %" PRIu64 ": placed at %s, before it was printed (%s)",
                j->id, cmd_time(at, a->o->utc_offset, "?", t1, sizeof(t1)),
                cmd_time(j->acked_at, a->o->utc_offset, "?", t2, sizeof(t2)));
        return 0;
    }
    int rc = pl_job_place(a->txn, j->id, at);
    if (!rc)
        a->acked++;
    return rc;
}

/* Checks and acks (or places) every job in one write transaction; any
 * problem aborts it. */
static int ack_attempt(pl_cat_t *cat, ack_t *a)
{
    pl_txn_t *txn;
    char t1[40];
    int rc = pl_txn_begin(cat, 1, &txn);
    if (rc)
        return rc;
    a->txn = txn;
    a->acked = 0;
    for (size_t i = 0; i < a->n && !rc; i++) {
        pl_label_job_t j;
        int g = pl_job_get(txn, a->ids[i], &j);
        if (g == PL_ENOTFOUND) {
            pl_diag(a->d, NULL, 0, NULL, "job %" PRIu64 ": no such label job", a->ids[i]);
            continue;
        }
        if (g) {
            rc = g;
            break;
        }
        int64_t at = a->ats ? a->ats[i] : a->now;
        if (a->place && j.state == PL_JOB_ACKED) {
            rc = place_one(a, &j, at);
            continue;
        }
        if (j.state == PL_JOB_ACKED) {
            pl_diag(a->d, NULL, 0, NULL, "job %" PRIu64 ": already acked at %s", j.id,
                    cmd_time(j.acked_at, a->o->utc_offset, "?", t1, sizeof(t1)));
            continue;
        }
        if (j.state == PL_JOB_SUPERSEDED) {
            pl_diag(a->d, NULL, 0, NULL,
                    "job %" PRIu64 ": superseded by a later change (its label is not to be "
                    "printed; see labels list for the job that replaced it)",
                    j.id);
            continue;
        }
        if (j.state != PL_JOB_PENDING) {
            pl_diag(a->d, NULL, 0, NULL, "job %" PRIu64 ": unknown state %d", j.id, j.state);
            continue;
        }
        if (j.due > at) {
            pl_diag(a->d, NULL, 0, NULL,
                    "job %" PRIu64 ": not due until %s; ack a label once it is on the shelf "
                    "(the label price it records is what customers see from then on)",
                    j.id, cmd_time(j.due, a->o->utc_offset, "?", t1, sizeof(t1)));
            continue;
        }
        if (a->place) {
            rc = place_one(a, &j, at);
            continue;
        }
        rc = pl_job_ack(txn, j.id, a->now);
        if (!rc)
            a->acked++;
    }
    if (!rc && a->d->count) {
        pl_txn_abort(txn);
        return PL_EFORMAT;
    }

    /* The ledger record: "labels-ack@<generation>" (placed: "labels-placed@"),
     * digest of the job ids. */
    pl_meta_t m;
    pl_batch_rec_t rec = {0}, old;
    if (!rc)
        rc = pl_meta_get(txn, &m);
    if (!rc) {
        const char *kind = a->place ? "labels-placed" : "labels-ack";
        snprintf(rec.id, sizeof(rec.id), "%s@%" PRIu64, kind, m.gen + 1);
        for (int k = 1; pl_batch_get(txn, rec.id, &old) == 0; k++)
            snprintf(rec.id, sizeof(rec.id), "%s@%" PRIu64 "+%d", kind, m.gen + 1, k);
        XXH128_hash_t h = XXH3_128bits(a->ids, a->n * sizeof(*a->ids));
        snprintf(rec.digest, sizeof(rec.digest), "%016" PRIx64 "%016" PRIx64, h.high64, h.low64);
        rec.applied_at = a->now;
        rec.rows = a->acked;
        rc = pl_meta_bump(txn, rec.id, &rec.gen);
    }
    if (!rc)
        rc = pl_batch_put(txn, &rec);
    if (rc) {
        pl_txn_abort(txn);
        return rc;
    }
    rc = pl_txn_commit(txn);
    if (!rc) {
        a->gen = rec.gen;
        snprintf(a->ledger_id, sizeof(a->ledger_id), "%s", rec.id);
    }
    return rc;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* The subcommand's name and what it does, for messages. */
static const char *verb(const ack_t *a)
{
    return a->place ? "placed" : "acked";
}

/* An error of the catalogue or of memory (rc). Returns the exit status, 1. */
static int ack_failed(const ack_t *a, int rc)
{
    fprintf(stderr, "pricelane-load labels %s: %s; nothing was %s\n", sub_names[a->o->sub],
            pl_strerror(rc), verb(a));
    return 1;
}

/* --batch: the due pending jobs of the batch, into a->ids. Returns -1 to go
 * on, or the exit status 1 after printing why nothing is to be acked. */
static int batch_ids(pl_cat_t *cat, ack_t *a)
{
    const opts_t *o = a->o;
    pl_txn_t *txn;
    int rc = pl_txn_begin(cat, 0, &txn);
    if (!rc) {
        rc = pl_job_each(txn, 0, batch_job, a);
        pl_txn_abort(txn);
    }
    if (rc)
        return ack_failed(a, rc);
    char t1[40];
    const char *name = sub_names[o->sub];
    if (!a->batch_jobs) {
        fprintf(stderr, "pricelane-load labels %s: batch %s created no label jobs\n", name,
                o->batch);
        return 1;
    }
    if (!a->n) {
        if (a->not_due)
            fprintf(stderr,
                    "pricelane-load labels %s: no job of batch %s is due yet (%" PRIu64
                    " pending, the first due %s); nothing %s\n",
                    name, o->batch, a->not_due,
                    cmd_time(a->first_due, o->utc_offset, "?", t1, sizeof(t1)), verb(a));
        else
            fprintf(stderr,
                    "pricelane-load labels %s: every label job of batch %s is already %s "
                    "or superseded; nothing %s\n",
                    name, o->batch, verb(a), verb(a));
        return 1;
    }
    return -1;
}

/* JOB...: the ids args[0..nargs), sorted and each once, into a->ids.
 * Returns -1 to go on, or the exit status (2 for an argument that is not a
 * job id, 1 out of memory). */
static int named_ids(ack_t *a, int nargs, char **args)
{
    a->ids = calloc((size_t)nargs, sizeof(*a->ids));
    if (!a->ids)
        return ack_failed(a, -ENOMEM);
    char cmd[32];
    snprintf(cmd, sizeof(cmd), "labels %s", sub_names[a->o->sub]);
    for (int i = 0; i < nargs; i++) {
        uint64_t v;
        if (cmd_parse_uint(cmd, "JOB", args[i], 1, UINT64_MAX,
                           "a job id (the number in the ID column of labels list)", &v))
            return 2;
        a->ids[a->n++] = v;
    }
    /* Naming a job twice acks it once. */
    if (a->n)
        qsort(a->ids, a->n, sizeof(*a->ids), cmp_u64);
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++)
        if (!k || a->ids[k - 1] != a->ids[i])
            a->ids[k++] = a->ids[i];
    a->n = k;
    return -1;
}

static const char *const place_cols[] = {"job", "placed_at"};

/* One placement of --file: the job and its instant. */
static int place_row(const pl_row_t *row, void *arg)
{
    ack_t *a = arg;
    const char *job = pl_row_get(row, "job"), *at_s = pl_row_get(row, "placed_at");
    uint64_t id;
    int64_t at = a->now;
    if (!job) {
        pl_diag(a->d, row->file, row->line, "job", "missing job id");
        return 0;
    }
    if (pl_parse_uint(row, "job", job, 1, UINT64_MAX, &id, a->d) ||
        (at_s && pl_parse_time(row, "placed_at", at_s, a->o->utc_offset, &at, a->d)))
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->ids[i] == id) {
            pl_diag(a->d, row->file, row->line, "job",
                    "job %" PRIu64 " is placed twice in the file", id);
            return 0;
        }
    if (a->n % 64 == 0) {
        uint64_t *ids = realloc(a->ids, (a->n + 64) * sizeof(*ids));
        if (!ids)
            return -ENOMEM;
        a->ids = ids;
        int64_t *ats = realloc(a->ats, (a->n + 64) * sizeof(*ats));
        if (!ats)
            return -ENOMEM;
        a->ats = ats;
    }
    a->ids[a->n] = id;
    a->ats[a->n++] = at;
    return 0;
}

/* --file F: the placements of F into a->ids and a->ats. Returns -1 to go
 * on, or the exit status 1 after printing every problem of the file. */
static int file_ids(ack_t *a)
{
    int rc = pl_rows_read(a->o->file, place_cols, 2, place_row, a, a->d, NULL);
    if (rc || a->d->count) {
        pl_diags_print(a->d);
        if (rc && rc != -ENOENT && rc != -EACCES && !a->d->count)
            fprintf(stderr, "pricelane-load labels placed: %s: %s\n", a->o->file, pl_strerror(rc));
        fprintf(stderr, "pricelane-load labels placed: %s: nothing was placed\n", a->o->file);
        return 1;
    }
    if (!a->n) {
        fprintf(stderr, "pricelane-load labels placed: %s: no placements; nothing was placed\n",
                a->o->file);
        return 1;
    }
    return -1;
}

/* Acks a->ids, growing the map when it is full, and says what was done.
 * Returns the exit status. */
static int ack_and_report(pl_cat_t *cat, ack_t *a)
{
    int rc;
    for (int tries = 0;; tries++) {
        rc = ack_attempt(cat, a);
        if (rc != PL_EMAPFULL || tries == 8)
            break;
        pl_diags_free(a->d);
        rc = pl_cat_grow(cat, 0);
        if (rc)
            break;
    }
    if (rc == PL_EFORMAT) {
        pl_diags_print(a->d);
        fprintf(stderr, "pricelane-load labels %s: %zu problem%s; nothing was %s\n",
                sub_names[a->o->sub], a->d->count, a->d->count == 1 ? "" : "s", verb(a));
        return 1;
    }
    if (rc)
        return ack_failed(a, rc);
    printf("%s %" PRIu64 " label job%s (generation %" PRIu64 ", %s)\n", verb(a), a->acked,
           a->acked == 1 ? "" : "s", a->gen, a->ledger_id);
    if (a->not_due)
        printf("%" PRIu64 " job%s of batch %s not due yet: left pending\n", a->not_due,
               a->not_due == 1 ? "" : "s", a->o->batch);
    return 0;
}

static int do_ack(pl_cat_t *cat, const opts_t *o, int nargs, char **args)
{
    ack_t a = {0};
    pl_diags_t d;
    pl_diags_init(&d);
    a.o = o;
    a.d = &d;
    a.place = o->sub == SUB_PLACED;
    a.now = pl_time_now();
    char name[32];
    snprintf(name, sizeof(name), "labels %s", sub_names[o->sub]);
    if (o->now_s && cmd_parse_time(name, "now", o->now_s, o->utc_offset, &a.now))
        return 2;
    int status = o->batch  ? batch_ids(cat, &a)
                 : o->file ? file_ids(&a)
                           : named_ids(&a, nargs, args);
    if (status < 0)
        status = ack_and_report(cat, &a);
    pl_diags_free(&d);
    free(a.ids);
    free(a.ats);
    return status;
}

/* ---- main -------------------------------------------------------------------- */

static int resolve_store(pl_cat_t *cat, opts_t *o)
{
    pl_txn_t *txn;
    pl_store_t st;
    int rc = pl_txn_begin(cat, 0, &txn);
    if (!rc) {
        rc = pl_store_get(txn, o->store, &st);
        pl_txn_abort(txn);
    }
    if (rc == PL_ENOTFOUND) {
        fprintf(stderr, "pricelane-load labels %s: unknown store %s\n", sub_names[o->sub],
                o->store);
        return -1;
    }
    if (rc) {
        fprintf(stderr, "pricelane-load labels %s: store %s: %s\n", sub_names[o->sub], o->store,
                pl_strerror(rc));
        return -1;
    }
    snprintf(o->scope_store, sizeof(o->scope_store), "%s", st.id);
    snprintf(o->scope_zone, sizeof(o->scope_zone), "%s", st.zone);
    return 0;
}

/* The subcommand, argv[1]. Returns -1 to go on, or the exit status (0 after
 * --help, 2 for a usage error). */
static int parse_sub(int argc, char **argv, opts_t *o)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    int found = 0;
    for (int i = 0; i < NSUBS; i++)
        if (!strcmp(argv[1], sub_names[i]))
            o->sub = (enum sub)i, found = 1;
    if (!found) {
        fprintf(stderr,
                "pricelane-load labels: unknown subcommand '%s' (list, export, ack, printed or "
                "placed)\n",
                argv[1]);
        return 2;
    }
    return -1;
}

/* The options after the subcommand (argv[0] is the subcommand). Returns -1 to
 * go on, or the exit status. */
static int parse_options(int argc, char **argv, opts_t *o)
{
    static const struct option lo[] = {{"db", 1, 0, 'd'},
                                       {"due-before", 1, 0, 'b'},
                                       {"due-by", 1, 0, 'y'},
                                       {"store", 1, 0, 's'},
                                       {"all", 0, 0, 'a'},
                                       {"format", 1, 0, 'f'},
                                       {"output", 1, 0, 'o'},
                                       {"batch", 1, 0, 'B'},
                                       {"now", 1, 0, 'n'},
                                       {"file", 1, 0, 'F'},
                                       {"to-place", 0, 0, 'P'},
                                       {"help", 0, 0, 'h'},
                                       {0}};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->db = optarg;
            break;
        case 'b':
        case 'y':
            if (o->due_s) {
                fprintf(stderr,
                        "pricelane-load labels: give one of --due-by and --due-before, once\n");
                return 2;
            }
            o->due_s = optarg;
            o->due_inclusive = c == 'y';
            break;
        case 's':
            o->store = optarg;
            break;
        case 'a':
            o->all = 1;
            break;
        case 'f':
            o->format = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'B':
            o->batch = optarg;
            break;
        case 'n':
            o->now_s = optarg;
            break;
        case 'F':
            o->file = optarg;
            break;
        case 'P':
            o->to_place = 1;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            return 2;
        }
    }
    return -1;
}

/* Checks that the options fit the subcommand and each other; nargs is the
 * count of arguments after them. Returns 0, or 2 after printing why. */
static int check_options(const opts_t *o, int nargs)
{
    const char *name = sub_names[o->sub];
    if (!o->db) {
        fprintf(stderr, "pricelane-load labels %s: --db DIR is required\n", name);
        return 2;
    }
    int marks = o->sub >= SUB_ACK; /* ack, printed, placed */
    if (!marks && (nargs || o->batch || o->now_s || o->file)) {
        fprintf(stderr, "pricelane-load labels %s: %s\n", name,
                nargs ? "takes no arguments besides options"
                      : "--batch, --file and --now are for ack, printed and placed");
        return 2;
    }
    if (marks && (o->due_s || o->store || o->all || o->format || o->output || o->to_place)) {
        fprintf(stderr,
                "pricelane-load labels %s: takes JOB ids or --batch ID (and --now); "
                "the filters are for list and export\n",
                name);
        return 2;
    }
    if (o->file && o->sub != SUB_PLACED) {
        fprintf(stderr, "pricelane-load labels %s: --file is for placed\n", name);
        return 2;
    }
    if (marks && (!!nargs + !!o->batch + !!o->file) != 1) {
        fprintf(stderr, "pricelane-load labels %s: give job ids, --batch ID%s%s\n", name,
                o->sub == SUB_PLACED ? " or --file F" : "",
                nargs + !!o->batch + !!o->file ? ", only one of them" : "");
        return 2;
    }
    if (o->sub != SUB_EXPORT && (o->format || o->output)) {
        fprintf(stderr, "pricelane-load labels %s: --format and --output are for export\n", name);
        return 2;
    }
    if (o->all && o->to_place) {
        fprintf(stderr, "pricelane-load labels list: give --all or --to-place, not both\n");
        return 2;
    }
    if (o->sub == SUB_EXPORT && o->all) {
        fprintf(stderr,
                "pricelane-load labels export: exports pending jobs only (--all is for list)\n");
        return 2;
    }
    if (o->format && strcmp(o->format, "csv") != 0) {
        fprintf(stderr, "pricelane-load labels export: --format %s: only csv is supported\n",
                o->format);
        return 2;
    }
    return 0;
}

/* list and export: the wanted jobs, oldest first. Returns the exit status. */
static int list_or_export(pl_cat_t *cat, const opts_t *o)
{
    const char *name = sub_names[o->sub];
    int status = 1;
    joblist_t l = {NULL, 0, 0, o};
    pl_txn_t *txn = NULL;
    int rc = pl_txn_begin(cat, 0, &txn);
    if (rc)
        txn = NULL;
    else
        rc = pl_job_each(txn, !o->all && !o->to_place, collect, &l);
    if (rc) {
        fprintf(stderr, "pricelane-load labels %s: reading label jobs: %s\n", name,
                pl_strerror(rc));
    } else {
        if (l.n)
            qsort(l.v, l.n, sizeof(*l.v), cmp_due);
        if (o->sub == SUB_LIST) {
            if (print_table(o, &l))
                fprintf(stderr, "pricelane-load labels list: out of memory\n");
            printf("%zu %slabel job%s\n", l.n,
                   o->all        ? ""
                   : o->to_place ? "printed, not placed "
                                 : "pending ",
                   l.n == 1 ? "" : "s");
            status = fflush(stdout) == 0 ? 0 : 1;
        } else {
            status = do_export(o, txn, &l);
        }
    }
    pl_txn_abort(txn);
    free(l.v);
    return status;
}

int cmd_labels(int argc, char **argv)
{
    opts_t o;
    memset(&o, 0, sizeof(o));
    int status = parse_sub(argc, argv, &o);
    if (status >= 0)
        return status;
    argc--, argv++;
    status = parse_options(argc, argv, &o);
    if (status >= 0)
        return status;
    const char *name = sub_names[o.sub];
    int nargs = argc - optind;
    if (check_options(&o, nargs))
        return 2;

    pl_cat_t *cat = cmd_open_db(o.db, o.sub < SUB_ACK);
    if (!cat)
        return 1;
    status = 1;
    if (cmd_utc_offset(cat, &o.utc_offset))
        goto out;
    if (o.due_s && cmd_parse_time(name, o.due_inclusive ? "due-by" : "due-before", o.due_s,
                                  o.utc_offset, &o.due)) {
        status = 2;
        goto out;
    }
    if (o.store && resolve_store(cat, &o))
        goto out;
    if (o.sub >= SUB_ACK)
        status = do_ack(cat, &o, nargs, argv + optind);
    else
        status = list_or_export(cat, &o);
out:
    pl_cat_close(cat);
    return status;
}
