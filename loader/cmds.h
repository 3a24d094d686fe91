/* pricelane-load subcommands. Each takes argc/argv from the subcommand name
 * on and returns the process exit code: 0 success, 1 the operation failed
 * (bad input, invariant violated...), 2 usage error. */
#pragma once

int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_labels(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_follow(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Shared by the subcommands: opens the catalogue at db, printing a precise
 * error ("pricelane-load: /x: no catalogue here (run pricelane-load init)").
 * Returns NULL on failure. */
struct pl_cat;
struct pl_cat *cmd_open_db(const char *db, int read_only);
/* For the long-running appliers (watch, follow): the catalogue's page
 * cache read back in base pages (pl_cat_recache), then its pages mapped
 * into the process once (pl_cat_prefault), so that a batch takes no page
 * fault for the pages it reads and flushes only what it writes; a failure
 * is only said on stderr. */
void cmd_prefault(struct pl_cat *cat, const char *cmd);
/* The long-running appliers give their CPU back (pl_cpu_share) after this
 * many microseconds of it, between rows and between items: lookups on the
 * same CPU wait at most about this long for a batch, not a kernel tick. */
#define CMD_CPU_SHARE_US 500

/* ---- helpers for the subcommands (cmd_util.c) ----------------------------- */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pl_txn;

/* Money in minor units as a decimal with two places ("12.50"); an absent
 * price (PL_PRICE_NONE) as `none`. Returns out. */
const char *cmd_money(int64_t v, const char *none, char *out, size_t cap);
/* One CSV field (RFC 4180: a field with a comma, quote or line break is
 * quoted and its quotes doubled), then "," or, for the last of a row, CRLF. */
void cmd_csv_field(FILE *f, const char *s, int last);
/* An instant as RFC 3339 in the catalogue's offset; PL_TIME_NONE as `none`. */
const char *cmd_time(int64_t t, int utc_offset_min, const char *none, char *out, size_t cap);
/* Parses the value of option `opt` of command `cmd` as an instant (the forms
 * of pl_parse_time). Prints "pricelane-load CMD: --OPT "S": why" and returns
 * -1 when it is not one. */
int cmd_parse_time(const char *cmd, const char *opt, const char *s, int utc_offset_min,
                   int64_t *out);
/* A number on the command line: the decimal digits s[0..len) and nothing
 * else (no sign, no space, no suffix) as a value from min to max. Returns
 * CMD_NUM_OK with *out set, or why it is not one (*out untouched): a minus
 * sign before digits other than all zeros is CMD_NUM_NEGATIVE. */
enum { CMD_NUM_OK, CMD_NUM_EMPTY, CMD_NUM_NEGATIVE, CMD_NUM_JUNK, CMD_NUM_RANGE };
int cmd_num_check(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);
/* Prints why (a CMD_NUM_* code) the value s of opt ("--settle", "JOB") is
 * not `what`, a noun phrase ("a whole number of seconds"), with the range
 * accepted in words ("0 to 3600"), on stderr:
 *   pricelane-load watch: --settle: '5x' is not a whole number of seconds (0 to 3600)
 *   pricelane-load watch: --settle: '-1' is negative: expected a whole ... (0 to 3600)
 * likewise "is empty: expected" and "is out of range: expected". At most 40
 * bytes of s are shown, a byte that would not print as \xNN. */
void cmd_num_error(const char *cmd, const char *opt, const char *s, int why, const char *what,
                   const char *range);
/* The value s of option opt of command cmd as a whole number from min to max
 * (cmd_num_check on all of s): 0 with *out set, or -1 after cmd_num_error
 * (range "MIN to MAX", or "from MIN" when max is UINT64_MAX). */
int cmd_parse_uint(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                   const char *what, uint64_t *out);
/* The catalogue's UTC offset in minutes (0 and a message when unreadable). */
int cmd_utc_offset(struct pl_cat *cat, int *off);

/* Why a write to the catalogue in `db` failed with `rc`, in words: when it
 * is an I/O error (-EIO, -ENOSPC, -EDQUOT) and the catalogue's file system
 * has less than 1 MiB left, "no space left on the catalogue's file system
 * (N KiB free; the write failed with: Input/output error)" (LMDB reports a
 * disk that filled up in the middle of its page writes as EIO, a short
 * write); otherwise pl_strerror(rc). Returns buf. */
const char *cmd_storage_error(const char *db, int rc, char *buf, size_t cap);

/* Finds the item a code names, the way a lookup does: a barcode, a scale
 * code (with the store's formats when store is given) or a keyed item code.
 * Returns 0 with the SKU, or -1 with a reason in err. */
int cmd_code_sku(struct pl_txn *txn, const char *store, const char *code, char *sku,
                 char *err, size_t errlen);

/* A text table: rows of cells, printed with columns aligned to the widest
 * cell (CJK characters count two columns). */
typedef struct cmd_table {
    int ncols;
    size_t nrows, cap;
    char **cells; /* nrows * ncols, row 0 = the header */
} cmd_table_t;

void cmd_table_init(cmd_table_t *t, int ncols, const char *const *head);
/* Adds a row of t->ncols cells (copied). Returns 0 or -ENOMEM. */
int cmd_table_add(cmd_table_t *t, const char *const *cells);
/* Prints the table, each line prefixed with indent; columns in `skip` (a
 * bit mask, bit k = column k) are left out. */
void cmd_table_print(const cmd_table_t *t, FILE *f, const char *indent, unsigned skip);
void cmd_table_free(cmd_table_t *t);

/* Terminal columns a UTF-8 string takes (CJK characters take two). */
size_t cmd_width(const char *s);
/* Prints s left-aligned in `width` columns (cut to fit, on a character
 * boundary) followed by `gap` spaces. */
void cmd_cell(FILE *f, const char *s, size_t width, int gap);
