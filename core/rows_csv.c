/* CSV rows: RFC 4180 with a header row, parsed by libcsv in strict mode.
 *
 * libcsv reports fields and records but no positions, so this side keeps its
 * own count of quote characters: an odd count at the end of a line means a
 * quoted field continues on the next one (the parser runs in strict mode, so
 * a stray quote that would break this count is a parse error anyway). That
 * is how every record knows the line it starts on. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rows_int.h"

/* A CSV record longer than this cannot be valid: it would need more or longer
 * fields than allowed. Stopping there bounds memory when a quote is left
 * open. */
#define RECORD_MAX ((size_t)PL_ROWS_COLS_MAX * (PL_ROWS_FIELD_MAX * 2 + 3) + 1024)
#define CSV_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

static void csv_header_field(struct reader *r, const char *s, size_t n)
{
    int idx = r->nfields - 1;
    if (idx >= PL_ROWS_COLS_MAX) {
        if (idx == PL_ROWS_COLS_MAX)
            pl_diag(r->d, r->path, r->rec_line, NULL, "header has more than %d columns",
                    PL_ROWS_COLS_MAX);
        r->bad = 1;
        return;
    }
    if (n == 0) {
        pl_diag(r->d, r->path, r->rec_line, NULL, "header column %d has no name", idx + 1);
        r->bad = 1;
        return;
    }
    int k = rows_known_index(r, s, n);
    if (k < 0) {
        rows_unknown_column(r, r->rec_line, s, n);
        r->bad = 1;
        return;
    }
    for (int i = 0; i < idx; i++)
        if (r->names[i] == r->known[k]) {
            pl_diag(r->d, r->path, r->rec_line, NULL,
                    "duplicate column \"%s\" (header columns %d and %d)", r->known[k], i + 1,
                    idx + 1);
            r->bad = 1;
            return;
        }
    r->names[idx] = r->known[k];
}

static void csv_field(void *s, size_t n, void *arg)
{
    struct reader *r = arg;
    if (r->stop)
        return;
    const char *v = s ? s : "";
    r->nfields++;
    if (!r->have_header)
        csv_header_field(r, v, n);
    else if (r->nfields <= r->ncols)
        rows_take_value(r, r->rec_line, r->nfields - 1, v, n);
    else if (n)
        r->nonempty = 1; /* a value past the last column: the count is wrong */
}

static void csv_record(int c, void *arg)
{
    struct reader *r = arg;
    (void)c;
    if (r->stop)
        return;
    if (!r->have_header) {
        if (r->bad) {
            r->stop = 1; /* a bad header: nothing below can be read right */
            return;
        }
        r->have_header = 1;
        r->ncols = r->nfields;
        rows_row_reset(r);
        return;
    }
    if (r->nfields != r->ncols && (r->nonempty || r->bad)) {
        pl_diag(r->d, r->path, r->rec_line, NULL, "%d fields, but the header has %d columns",
                r->nfields, r->ncols);
        r->bad = 1;
    }
    rows_emit_row(r, r->rec_line); /* a record of empty fields only (",,,") is skipped */
    rows_row_reset(r);
}

int rows_csv_restart(struct reader *r)
{
    if (r->csv_ready)
        csv_free(&r->csv);
    r->csv_ready = csv_init(&r->csv, CSV_OPTS) == 0;
    r->in_record = r->quote_odd = 0;
    rows_row_reset(r);
    if (!r->csv_ready) {
        pl_diag(r->d, r->path, 0, NULL, "out of memory");
        r->stop = 1;
        r->rc = -ENOMEM;
        return -1;
    }
    return 0;
}

/* Feeds one piece of a physical line (eol: it ends with '\n'). */
void rows_csv_feed(struct reader *r, const char *p, size_t n, int eol)
{
    if (r->skip_line) {
        r->skip_line = !eol;
        return;
    }
    if (!r->in_record) {
        for (size_t i = 0; i < n; i++)
            if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
                r->in_record = 1;
                r->rec_line = r->line;
                r->rec_bytes = 0;
                break;
            }
    }
    if (r->in_record) {
        r->rec_bytes += n;
        if (r->rec_bytes > RECORD_MAX) {
            pl_diag(r->d, r->path, r->rec_line, NULL, "record is longer than %zu bytes%s",
                    RECORD_MAX, r->quote_odd ? " (a quoted field is not closed)" : "");
            if (!r->have_header) /* no header: nothing below can be read */
                r->stop = 1;
            rows_csv_restart(r);
            r->skip_line = !eol;
            return;
        }
        for (const char *q = p; (q = memchr(q, '"', (size_t)(p + n - q))); q++)
            r->quote_odd ^= 1;
    }

    size_t used = csv_parse(&r->csv, p, n, csv_field, csv_record, r);
    if (r->stop)
        return;
    if (used < n || csv_error(&r->csv) != CSV_SUCCESS) {
        if (csv_error(&r->csv) == CSV_EPARSE) {
            int idx = r->nfields;
            const char *col = r->have_header && idx < r->ncols ? r->names[idx] : NULL;
            char start[64] = "";
            if (r->rec_line != r->line)
                snprintf(start, sizeof(start), " (in the record that starts at line %llu)",
                         (unsigned long long)r->rec_line);
            pl_diag(r->d, r->path, r->line, col,
                    "malformed quoting at byte %zu of the line%s: a quote inside an unquoted "
                    "field, or text after a closing quote (inside quotes, write a quote as \"\")",
                    used + 1, start);
            if (!r->have_header)
                r->stop = 1;
        } else {
            pl_diag(r->d, r->path, r->line, NULL, "CSV parser: %s",
                    csv_strerror(csv_error(&r->csv)));
            r->stop = 1;
            r->rc = -ENOMEM;
        }
        if (rows_csv_restart(r) == 0)
            r->skip_line = !eol;
        return;
    }
    if (eol && r->in_record && !r->quote_odd)
        r->in_record = 0;
}

void rows_csv_finish(struct reader *r)
{
    if (!r->stop && !r->skip_line) {
        if (csv_fini(&r->csv, csv_field, csv_record, r) != 0 && !r->stop)
            pl_diag(r->d, r->path, r->rec_line, NULL,
                    "quoted field not closed at the end of the file");
    }
    if (!r->have_header && !r->stop)
        pl_diag(r->d, r->path, 0, NULL, "no header row (the file is empty)");
}
