/* Private to the rows module (rows*.c): the reader's state and what its files
 * share.
 *
 *   rows.c        the file: blocks, byte order mark, format, physical lines
 *   rows_csv.c    CSV records through libcsv, with their starting lines
 *   rows_jsonl.c  JSON Lines objects through jansson
 *   rows_row.c    a row from fields: known columns, value checks, the callback
 *   rows_field.c  the field parsers (pl_parse_*)
 *   rows_diag.c   the diagnostics list, and values quoted for messages
 *
 * Calls go one way, down this list (rows.c to the formats, the formats to
 * rows_row.c, everything to rows_diag.c). */
#pragma once
#include <csv.h>
#include <stddef.h>
#include <stdint.h>

#include "pricelane/rows.h"

#define SHOW_MAX 40 /* bytes of a value quoted in a message */
#define SHOW_BUF (SHOW_MAX * 4 + 16)

enum fmt { FMT_UNKNOWN, FMT_CSV, FMT_JSONL };

struct reader {
    const char *path;
    const char *const *known;
    int nknown;
    int (*fn)(const pl_row_t *row, void *arg);
    void *arg;
    pl_diags_t *d;
    int stop;      /* nothing more to read: header error, fn stopped, no memory */
    int rc;        /* returned when stopped by fn or memory */
    uint64_t line; /* physical line of the text being fed, 1-based */
    int hinted;    /* the "save it as UTF-8" hint was given */
    int listed;    /* the known columns were listed once */
    int skip_line; /* after a parse error: drop the rest of this line */

    /* the row being built */
    int ncols;
    const char *names[PL_ROWS_COLS_MAX];
    const char *vals[PL_ROWS_COLS_MAX];
    char *store; /* PL_ROWS_COLS_MAX slots of PL_ROWS_FIELD_MAX + 1 bytes */
    int nfields, bad, nonempty;

    /* CSV */
    struct csv_parser csv;
    int csv_ready, have_header, in_record, quote_odd;
    uint64_t rec_line;
    size_t rec_bytes;

    /* JSON Lines */
    char *lbuf;
    size_t llen, lcap;
    int ltoolong;
};

/* ---- rows_diag.c ---- */

/* Decodes one UTF-8 sequence at s[0..n) (n >= 1). Returns its length and the
 * code point, or 0 with a reason. */
size_t rows_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp, const char **why);
/* Writes s[0..n) into out[0..cap) as a quoted string fit for a message
 * (cap at least SHOW_BUF). Returns out. */
const char *rows_show(char *out, size_t cap, const char *s, size_t n);

/* ---- rows_row.c ---- */

/* Empties the row being built. */
void rows_row_reset(struct reader *r);
/* Known column matching `name`, case-insensitively, or -1. */
int rows_known_index(const struct reader *r, const char *name, size_t n);
/* Reports a column that is not among the known ones (listing them once). */
void rows_unknown_column(struct reader *r, uint64_t line, const char *name, size_t n);
/* Validates a value and keeps it as field idx of the row. */
void rows_take_value(struct reader *r, uint64_t line, int idx, const char *s, size_t n);
/* Hands the row to the callback unless it is bad or empty. */
void rows_emit_row(struct reader *r, uint64_t line);

/* ---- rows_csv.c ---- */

/* (Re)starts the CSV parser. Returns 0, or -1 with the reader stopped. */
int rows_csv_restart(struct reader *r);
/* Feeds one piece of a physical line (eol: it ends with '\n'). */
void rows_csv_feed(struct reader *r, const char *p, size_t n, int eol);
/* At the end of the file: the last record, and a missing header. */
void rows_csv_finish(struct reader *r);

/* ---- rows_jsonl.c ---- */

/* Feeds one piece of a physical line (eol: it ends with '\n'). */
void rows_jsonl_feed(struct reader *r, const char *p, size_t n, int eol);
/* At the end of the file: a last line without '\n'. */
void rows_jsonl_finish(struct reader *r);
