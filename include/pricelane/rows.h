/* Batch and catalogue files: rows of named fields from CSV (RFC 4180, header
 * row) or JSON Lines, with precise diagnostics.
 *
 * The format is chosen by extension (.csv / .jsonl / .ndjson; anything else:
 * sniffed: first non-blank byte '{' → JSON Lines). CSV is parsed by libcsv in
 * strict mode; JSON Lines by jansson (each line one object whose values are
 * strings, numbers, booleans or null; numbers are passed on as their text,
 * booleans as "true"/"false", null as absent).
 *
 * Every field value is checked: valid UTF-8, no NUL or control bytes other
 * than tab, at most PL_ROWS_FIELD_MAX bytes. A header with an unknown or
 * duplicate column is an error for the whole file (the caller passes the
 * known column names). Bad rows are reported to the diagnostics list and
 * skipped; the walk continues so that every bad row is listed.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define PL_ROWS_FIELD_MAX 1024
#define PL_ROWS_COLS_MAX 40

/* A growing list of diagnostics "file:line:column: message". */
typedef struct pl_diags {
    size_t count;
    size_t cap;
    char **msgs;
    size_t limit; /* keep at most this many messages (0 = 1000); count goes on */
} pl_diags_t;

void pl_diags_init(pl_diags_t *d);
void pl_diags_free(pl_diags_t *d);
/* Adds a message. file may be NULL; line 0 = whole file; column NULL = none. */
void pl_diag(pl_diags_t *d, const char *file, uint64_t line, const char *column, const char *fmt,
             ...) __attribute__((format(printf, 5, 6)));
/* Prints every message, one per line, to stderr (and "... and N more"). */
void pl_diags_print(const pl_diags_t *d);

typedef struct pl_row {
    const char *file;
    uint64_t line; /* 1-based line where the row starts */
    int ncols;
    const char *const *names; /* column names, [ncols] */
    const char *const *vals;  /* values, NUL-terminated; NULL = absent/empty */
} pl_row_t;

/* Value of column `name` in row, or NULL when absent or empty. */
const char *pl_row_get(const pl_row_t *row, const char *name);

/* Reads `path`, calling fn for each well-formed row. Columns must be among
 * known[0..nknown) (else a diagnostic naming the column, and the file is not
 * read further). fn returns 0 to continue or a negative code to stop (that
 * code is returned). The file's content is also fed to digest (may be NULL),
 * an XXH3-128 state (XXH3_state_t *), for batch idempotency.
 * Returns 0 when the file was read to the end (diagnostics may still have been
 * added: check d->count), or -errno when it could not be opened/read (with a
 * diagnostic). */
int pl_rows_read(const char *path, const char *const *known, int nknown,
                 int (*fn)(const pl_row_t *row, void *arg), void *arg, pl_diags_t *d,
                 void *digest);

/* The same from an open descriptor, read from offset 0 with pread (the
 * descriptor's offset is not used, so a file may be read several times
 * through one descriptor). `path` names the file in diagnostics and gives
 * its format (by extension). The descriptor stays open. */
int pl_rows_read_fd(int fd, const char *path, const char *const *known, int nknown,
                    int (*fn)(const pl_row_t *row, void *arg), void *arg, pl_diags_t *d,
                    void *digest);

/* ---- field parsers: each returns 0, or adds a diagnostic and returns
 * PL_EFORMAT ---- */

/* Money "12.50" / "12" / "0.05" in a currency with 2 decimals → minor units
 * (1250). Negative, more than 2 decimals, or over 10^12 → error. */
int pl_parse_money(const pl_row_t *row, const char *col, const char *s, int64_t *out,
                   pl_diags_t *d);
/* Unsigned integer in [min, max]. */
int pl_parse_uint(const pl_row_t *row, const char *col, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out, pl_diags_t *d);
/* Instant: RFC 3339 ("2026-11-26T08:00:00+08:00", "...Z"), or
 * "YYYY-MM-DD[ HH:MM[:SS]]" / "YYYY-MM-DDTHH:MM[:SS]" in the catalogue's UTC
 * offset, or "@<unix seconds>". */
int pl_parse_time(const pl_row_t *row, const char *col, const char *s, int utc_offset_min,
                  int64_t *out, pl_diags_t *d);
/* Boolean: 1/0, true/false, yes/no, y/n. */
int pl_parse_bool(const pl_row_t *row, const char *col, const char *s, int *out, pl_diags_t *d);
