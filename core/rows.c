/* Batch and catalogue files as rows of named fields (CSV or JSON Lines),
 * with diagnostics that name the file, the line and the column.
 *
 * The file is read in blocks and cut into physical lines before it reaches
 * either parser: that is how every row knows the line it starts on. libcsv
 * reports fields and records but no positions, so the CSV side keeps its own
 * count of quote characters: an odd count at the end of a line means a
 * quoted field continues on the next one (the parser runs in strict mode, so
 * a stray quote that would break this count is a parse error anyway). */
#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <xxhash.h>

#include "pricelane/err.h"
#include "pricelane/rows.h"
#include "pricelane/timefmt.h"

#define BLOCK_SIZE (64 * 1024)
/* A CSV record or JSON line longer than this cannot be valid: it would need
 * more or longer fields than allowed (JSON may escape a byte as 6). Stopping
 * there bounds memory when a quote is left open. */
#define RECORD_MAX ((size_t)PL_ROWS_COLS_MAX * (PL_ROWS_FIELD_MAX * 2 + 3) + 1024)
#define JSON_LINE_MAX ((size_t)PL_ROWS_COLS_MAX * (PL_ROWS_FIELD_MAX * 6 + 64) + 1024)
#define SHOW_MAX 40 /* bytes of a value quoted in a message */
#define CSV_OPTS (CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

_Static_assert(PL_ROWS_COLS_MAX <= 64, "JSON Lines keeps the columns seen in a 64-bit mask");

/* ---- diagnostics -------------------------------------------------------- */

static size_t diags_limit(const pl_diags_t *d)
{
    return d->limit ? d->limit : 1000;
}

static size_t diags_stored(const pl_diags_t *d)
{
    size_t lim = diags_limit(d);
    return d->count < lim ? d->count : lim;
}

void pl_diags_init(pl_diags_t *d)
{
    memset(d, 0, sizeof(*d));
}

void pl_diags_free(pl_diags_t *d)
{
    if (!d)
        return;
    size_t n = diags_stored(d);
    for (size_t i = 0; i < n && d->msgs; i++)
        free(d->msgs[i]);
    free(d->msgs);
    size_t limit = d->limit;
    pl_diags_init(d);
    d->limit = limit;
}

void pl_diag(pl_diags_t *d, const char *file, uint64_t line, const char *column, const char *fmt,
             ...)
{
    size_t stored = diags_stored(d);
    d->count++;
    if (stored >= diags_limit(d))
        return;

    char buf[2048];
    size_t n = 0;
    if (file)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s:", file);
    if (line && n < sizeof(buf))
        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                              file ? "%llu:" : "line %llu:", (unsigned long long)line);
    if (column && n < sizeof(buf))
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s:", column);
    if (n && n < sizeof(buf) - 1)
        buf[n++] = ' ';
    if (n < sizeof(buf)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
        va_end(ap);
    }
    buf[sizeof(buf) - 1] = '\0';

    if (stored == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        char **m = realloc(d->msgs, cap * sizeof(*m));
        if (!m)
            return; /* counted, not kept */
        d->msgs = m;
        d->cap = cap;
    }
    char *s = strdup(buf);
    if (!s) {
        /* keep the stored messages contiguous: the count goes on */
        return;
    }
    d->msgs[stored] = s;
}

void pl_diags_print(const pl_diags_t *d)
{
    size_t n = diags_stored(d);
    for (size_t i = 0; i < n && d->msgs && d->msgs[i]; i++)
        fprintf(stderr, "%s\n", d->msgs[i]);
    if (d->count > n)
        fprintf(stderr, "... and %zu more\n", d->count - n);
}

/* ---- values --------------------------------------------------------------- */

/* Decodes one UTF-8 sequence at s[0..n) (n >= 1). Returns its length and the
 * code point, or 0 with a reason. Rejects what RFC 3629 forbids: stray
 * continuation bytes, overlong forms, surrogates, code points past U+10FFFF,
 * bytes 0xF5-0xFF and truncated sequences. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp, const char **why)
{
    unsigned c = s[0];
    size_t need;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC0) {
        *why = "unexpected continuation byte";
        return 0;
    }
    if (c < 0xE0) {
        need = 1, min = 0x80, *cp = c & 0x1F;
    } else if (c < 0xF0) {
        need = 2, min = 0x800, *cp = c & 0x0F;
    } else if (c < 0xF5) {
        need = 3, min = 0x10000, *cp = c & 0x07;
    } else {
        *why = "byte that never occurs in UTF-8";
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || (s[i] & 0xC0) != 0x80) {
            *why = "truncated multi-byte sequence";
            return 0;
        }
        *cp = *cp << 6 | (s[i] & 0x3F);
    }
    if (*cp < min) {
        *why = "overlong encoding";
        return 0;
    }
    if (*cp >= 0xD800 && *cp <= 0xDFFF) {
        *why = "UTF-16 surrogate code point";
        return 0;
    }
    if (*cp > 0x10FFFF) {
        *why = "code point above U+10FFFF";
        return 0;
    }
    return need + 1;
}

/* Writes s[0..n) as a quoted string fit for a message: at most SHOW_MAX bytes
 * (cut on a character boundary, then "..."), control and invalid bytes as
 * \xNN. Returns out. */
static const char *show(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0, i = 0;
    const unsigned char *u = (const unsigned char *)s;
    if (cap < SHOW_MAX * 4 + 8)
        return "\"\"";
    out[o++] = '"';
    while (i < n && o < SHOW_MAX + 1) {
        uint32_t cp;
        const char *why;
        size_t len = utf8_decode(u + i, n - i, &cp, &why);
        if (len == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02X", u[i]);
            len = len ? len : 1;
            if (len > 1) /* a C1 control: show each byte */
                for (size_t k = 1; k < len; k++)
                    o += (size_t)snprintf(out + o, cap - o, "\\x%02X", u[i + k]);
        } else {
            memcpy(out + o, u + i, len);
            o += len;
        }
        i += len;
    }
    out[o++] = '"';
    if (i < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

#define SHOW_BUF (SHOW_MAX * 4 + 16)

/* Checks a field value. Returns 0, or -1 with a message in msg. *utf8 is set
 * when the problem is an encoding one (the caller adds a hint once). */
static int check_value(const char *s, size_t n, char *msg, size_t cap, int *utf8)
{
    const unsigned char *u = (const unsigned char *)s;
    *utf8 = 0;
    if (n > PL_ROWS_FIELD_MAX) {
        snprintf(msg, cap, "value is %zu bytes long; the limit is %d bytes", n, PL_ROWS_FIELD_MAX);
        return -1;
    }
    for (size_t i = 0; i < n;) {
        /* Plain printable ASCII, most of every file, needs no decoding. */
        if (u[i] >= 0x20 && u[i] < 0x7F) {
            i++;
            continue;
        }
        uint32_t cp;
        const char *why;
        size_t len = utf8_decode(u + i, n - i, &cp, &why);
        if (!len) {
            *utf8 = 1;
            snprintf(msg, cap, "invalid UTF-8 at byte %zu (0x%02X): %s", i + 1, u[i], why);
            return -1;
        }
        if (cp == '\n' || cp == '\r') {
            snprintf(msg, cap, "line break at byte %zu: values must stay on one line", i + 1);
            return -1;
        }
        if ((cp < 0x20 && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
            snprintf(msg, cap, "control character U+%04X at byte %zu (only tab is allowed)",
                     (unsigned)cp, i + 1);
            return -1;
        }
        i += len;
    }
    return 0;
}

/* ---- the reader ----------------------------------------------------------- */

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

static void row_reset(struct reader *r)
{
    r->nfields = r->bad = r->nonempty = 0;
    for (int i = 0; i < PL_ROWS_COLS_MAX; i++)
        r->vals[i] = NULL;
}

/* Known column matching `name`, case-insensitively, or -1. */
static int known_index(const struct reader *r, const char *name, size_t n)
{
    for (int k = 0; k < r->nknown; k++)
        if (strlen(r->known[k]) == n && strncasecmp(r->known[k], name, n) == 0)
            return k;
    return -1;
}

static void unknown_column(struct reader *r, uint64_t line, const char *name, size_t n)
{
    char sh[SHOW_BUF], list[1024];
    size_t o = 0;
    list[0] = '\0';
    if (!r->listed) {
        o += (size_t)snprintf(list, sizeof(list), " (known columns:");
        for (int k = 0; k < r->nknown && o < sizeof(list); k++)
            o += (size_t)snprintf(list + o, sizeof(list) - o, " %s", r->known[k]);
        if (o < sizeof(list))
            snprintf(list + o, sizeof(list) - o, ")");
        r->listed = 1;
    }
    pl_diag(r->d, r->path, line, NULL, "unknown column %s%s", show(sh, sizeof(sh), name, n), list);
}

/* Validates a value and keeps it as field idx of the row. */
static void take_value(struct reader *r, uint64_t line, int idx, const char *s, size_t n)
{
    char msg[256];
    int utf8;
    if (check_value(s, n, msg, sizeof(msg), &utf8)) {
        pl_diag(r->d, r->path, line, r->names[idx], "%s%s", msg,
                utf8 && !r->hinted ? " (is the file in GBK/GB18030? save it as UTF-8)" : "");
        r->hinted |= utf8;
        r->bad = 1;
        return;
    }
    if (n == 0)
        return;
    char *slot = r->store + (size_t)idx * (PL_ROWS_FIELD_MAX + 1);
    memcpy(slot, s, n);
    slot[n] = '\0';
    r->vals[idx] = slot;
    r->nonempty = 1;
}

static void emit_row(struct reader *r, uint64_t line)
{
    if (r->bad || !r->nonempty || r->stop)
        return;
    pl_row_t row = {r->path, line, r->ncols, r->names, r->vals};
    int rc = r->fn(&row, r->arg);
    if (rc < 0) {
        r->stop = 1;
        r->rc = rc;
    }
}

/* ---- CSV ------------------------------------------------------------------ */

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
    int k = known_index(r, s, n);
    if (k < 0) {
        unknown_column(r, r->rec_line, s, n);
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
        take_value(r, r->rec_line, r->nfields - 1, v, n);
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
        row_reset(r);
        return;
    }
    if (r->nfields != r->ncols && (r->nonempty || r->bad)) {
        pl_diag(r->d, r->path, r->rec_line, NULL, "%d fields, but the header has %d columns",
                r->nfields, r->ncols);
        r->bad = 1;
    }
    emit_row(r, r->rec_line); /* a record of empty fields only (",,,") is skipped */
    row_reset(r);
}

static int csv_restart(struct reader *r)
{
    if (r->csv_ready)
        csv_free(&r->csv);
    r->csv_ready = csv_init(&r->csv, CSV_OPTS) == 0;
    r->in_record = r->quote_odd = 0;
    row_reset(r);
    if (!r->csv_ready) {
        pl_diag(r->d, r->path, 0, NULL, "out of memory");
        r->stop = 1;
        r->rc = -ENOMEM;
        return -1;
    }
    return 0;
}

/* Feeds one piece of a physical line (eol: it ends with '\n'). */
static void csv_feed(struct reader *r, const char *p, size_t n, int eol)
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
            csv_restart(r);
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
        if (csv_restart(r) == 0)
            r->skip_line = !eol;
        return;
    }
    if (eol && r->in_record && !r->quote_odd)
        r->in_record = 0;
}

static void csv_finish(struct reader *r)
{
    if (!r->stop && !r->skip_line) {
        if (csv_fini(&r->csv, csv_field, csv_record, r) != 0 && !r->stop)
            pl_diag(r->d, r->path, r->rec_line, NULL,
                    "quoted field not closed at the end of the file");
    }
    if (!r->have_header && !r->stop)
        pl_diag(r->d, r->path, 0, NULL, "no header row (the file is empty)");
}

/* ---- JSON Lines ----------------------------------------------------------- */

/* Shortest text that reads back as the same double, never in exponent form
 * for amounts (12.5 → "12.5", 100.0 → "100"). */
static void real_text(double v, char *out, size_t cap)
{
    /* The range first: converting a double out of long long's range
     * (1e22) is undefined. */
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v) {
        snprintf(out, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static void json_line(struct reader *r, const char *s, size_t n)
{
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t lead = 0;
    while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
        lead++;
    if (lead == n)
        return; /* blank line */

    json_error_t e;
    json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        pl_diag(r->d, r->path, r->line, NULL, "invalid JSON at column %d: %s", e.column, e.text);
        return;
    }
    if (!json_is_object(j)) {
        pl_diag(r->d, r->path, r->line, NULL,
                "not a JSON object: each line must be one object like "
                "{\"op\":\"price\",\"sku\":\"100234\",\"price\":\"12.50\"}");
        json_decref(j);
        return;
    }
    row_reset(r);
    uint64_t seen = 0;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        int k = known_index(r, key, strlen(key));
        if (k < 0) {
            unknown_column(r, r->line, key, strlen(key));
            r->bad = 1;
            continue;
        }
        if (seen & (1ull << k)) { /* keys differing only in case: "SKU" and "sku" */
            pl_diag(r->d, r->path, r->line, NULL, "duplicate column \"%s\"", r->known[k]);
            r->bad = 1;
            continue;
        }
        seen |= 1ull << k;
        char num[64];
        const char *text = NULL;
        size_t len = 0;
        switch (json_typeof(v)) {
        case JSON_STRING:
            text = json_string_value(v);
            len = json_string_length(v);
            break;
        case JSON_INTEGER:
            snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            text = num, len = strlen(num);
            break;
        case JSON_REAL:
            real_text(json_real_value(v), num, sizeof(num));
            text = num, len = strlen(num);
            break;
        case JSON_TRUE:
            text = "true", len = 4;
            break;
        case JSON_FALSE:
            text = "false", len = 5;
            break;
        case JSON_NULL:
            break;
        case JSON_ARRAY:
        case JSON_OBJECT:
            pl_diag(r->d, r->path, r->line, r->known[k],
                    "is a JSON %s; give a string or a number (several values: \"A|B\")",
                    json_is_array(v) ? "array" : "object");
            r->bad = 1;
            continue;
        }
        if (text)
            take_value(r, r->line, k, text, len);
    }
    json_decref(j);
    emit_row(r, r->line);
}

static void jsonl_feed(struct reader *r, const char *p, size_t n, int eol)
{
    if (r->ltoolong) {
        r->ltoolong = !eol;
        return;
    }
    if (r->llen + n > JSON_LINE_MAX) {
        pl_diag(r->d, r->path, r->line, NULL, "line is longer than %zu bytes", JSON_LINE_MAX);
        r->llen = 0;
        r->ltoolong = !eol;
        return;
    }
    if (!eol || r->llen) {
        if (r->llen + n > r->lcap) {
            size_t cap = r->lcap ? r->lcap : 4096;
            while (cap < r->llen + n)
                cap *= 2;
            char *b = realloc(r->lbuf, cap);
            if (!b) {
                pl_diag(r->d, r->path, r->line, NULL, "out of memory");
                r->stop = 1;
                r->rc = -ENOMEM;
                return;
            }
            r->lbuf = b;
            r->lcap = cap;
        }
        memcpy(r->lbuf + r->llen, p, n);
        r->llen += n;
        if (!eol)
            return;
        p = r->lbuf;
        n = r->llen;
    }
    r->llen = 0;
    json_line(r, p, n - (n && p[n - 1] == '\n'));
}

/* ---- file ----------------------------------------------------------------- */

static enum fmt format_by_name(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base : path, '.');
    if (!dot)
        return FMT_UNKNOWN;
    if (strcasecmp(dot, ".csv") == 0)
        return FMT_CSV;
    if (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0)
        return FMT_JSONL;
    return FMT_UNKNOWN;
}

/* Reads up to cap bytes, short only at the end of the file. */
static ssize_t read_block(int fd, off_t *off, char *buf, size_t cap)
{
    size_t got = 0;
    while (got < cap) {
        ssize_t n = pread(fd, buf + got, cap - got, *off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        got += (size_t)n;
        *off += n;
    }
    return (ssize_t)got;
}

int pl_rows_read(const char *path, const char *const *known, int nknown,
                 int (*fn)(const pl_row_t *row, void *arg), void *arg, pl_diags_t *d, void *digest)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        pl_diag(d, path, 0, NULL, "cannot open: %s", strerror(-rc));
        return rc;
    }
    int rc = pl_rows_read_fd(fd, path, known, nknown, fn, arg, d, digest);
    close(fd);
    return rc;
}

int pl_rows_read_fd(int fd, const char *path, const char *const *known, int nknown,
                    int (*fn)(const pl_row_t *row, void *arg), void *arg, pl_diags_t *d,
                    void *digest)
{
    struct reader r = {
        .path = path, .known = known, .nknown = nknown, .fn = fn, .arg = arg, .d = d, .line = 1};
    char *block = NULL;
    int rc = 0;
    off_t off = 0;

    if (nknown < 0 || nknown > PL_ROWS_COLS_MAX) {
        pl_diag(d, path, 0, NULL, "%d known columns: at most %d", nknown, PL_ROWS_COLS_MAX);
        return PL_EINVAL;
    }
    block = malloc(BLOCK_SIZE);
    r.store = malloc((size_t)PL_ROWS_COLS_MAX * (PL_ROWS_FIELD_MAX + 1));
    if (!block || !r.store) {
        rc = -ENOMEM;
        pl_diag(d, path, 0, NULL, "out of memory");
        goto out_free;
    }

    enum fmt fmt = format_by_name(path);
    int first = 1;
    for (;;) {
        ssize_t n = read_block(fd, &off, block, BLOCK_SIZE);
        if (n < 0) {
            rc = (int)n;
            pl_diag(d, path, r.line, NULL, "read error: %s", strerror(-rc));
            goto out_parser;
        }
        if (n == 0)
            break;
        if (digest)
            XXH3_128bits_update(digest, block, (size_t)n);
        const char *p = block, *end = block + n;
        if (first) {
            first = 0;
            if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
                p += 3;
            if (fmt == FMT_UNKNOWN) {
                const char *q = p;
                while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'))
                    q++;
                fmt = q < end && *q == '{' ? FMT_JSONL : FMT_CSV;
            }
            if (fmt == FMT_CSV && csv_restart(&r) != 0)
                break;
            if (fmt == FMT_JSONL) { /* every line may name any known column */
                for (int k = 0; k < nknown; k++)
                    r.names[k] = known[k];
                r.ncols = nknown;
            }
        }
        while (p < end && !r.stop) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
            if (fmt == FMT_CSV)
                csv_feed(&r, p, len, nl != NULL);
            else
                jsonl_feed(&r, p, len, nl != NULL);
            if (nl)
                r.line++;
            p += len;
        }
        if (r.stop)
            break;
    }
    if (!r.stop) {
        if (fmt == FMT_JSONL) {
            if (r.llen && !r.ltoolong)
                json_line(&r, r.lbuf, r.llen);
        } else if (r.csv_ready) {
            csv_finish(&r);
        } else {
            pl_diag(d, path, 0, NULL, "no header row (the file is empty)");
        }
    }
    rc = r.rc;

out_parser:
    if (r.csv_ready)
        csv_free(&r.csv);
out_free:
    free(r.lbuf);
    free(r.store);
    free(block);
    return rc;
}

const char *pl_row_get(const pl_row_t *row, const char *name)
{
    /* Called many times per row: compare the first byte before the rest. */
    for (int i = 0; i < row->ncols; i++)
        if (row->names[i] && row->names[i][0] == name[0] && strcmp(row->names[i], name) == 0)
            return row->vals[i] && row->vals[i][0] ? row->vals[i] : NULL;
    return NULL;
}

/* ---- field parsers -------------------------------------------------------- */

#define ROW_DIAG(row, col, d, ...)                                                                 \
    pl_diag((d), (row) ? (row)->file : NULL, (row) ? (row)->line : 0, (col), __VA_ARGS__)

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int required(const pl_row_t *row, const char *col, const char *s, const char *what,
                    pl_diags_t *d)
{
    if (s && *s)
        return 0;
    ROW_DIAG(row, col, d, "is empty; %s is required", what);
    return PL_EFORMAT;
}

#define MONEY_MAX 1000000000000LL /* minor units: 10,000,000,000.00 */

int pl_parse_money(const pl_row_t *row, const char *col, const char *s, int64_t *out, pl_diags_t *d)
{
    char sh[SHOW_BUF];
    if (required(row, col, s, "an amount such as 12.50", d))
        return PL_EFORMAT;
    const char *p = s;
    int neg = *p == '-';
    p += neg;
    const char *int_start = p;
    while (is_digit(*p))
        p++;
    size_t nint = (size_t)(p - int_start);
    const char *frac = NULL;
    size_t nfrac = 0;
    if (*p == '.') {
        frac = ++p;
        while (is_digit(*p))
            p++;
        nfrac = (size_t)(p - frac);
    }
    if (*p || nint == 0 || (frac && nfrac == 0)) {
        ROW_DIAG(row, col, d, "%s is not an amount of money (write it like 12.50)",
                 show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    if (neg) {
        ROW_DIAG(row, col, d, "%s is negative", show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    if (nfrac > 2) {
        ROW_DIAG(row, col, d, "%s has more than 2 decimals", show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    while (nint > 1 && *int_start == '0') /* leading zeros do not count toward size */
        int_start++, nint--;
    int64_t v = 0;
    if (nint > 11)
        v = MONEY_MAX + 1;
    for (size_t i = 0; i < nint && v <= MONEY_MAX; i++)
        v = v * 10 + (int_start[i] - '0');
    if (v <= MONEY_MAX) {
        v *= 100;
        if (nfrac >= 1)
            v += (frac[0] - '0') * 10;
        if (nfrac == 2)
            v += frac[1] - '0';
    }
    if (v > MONEY_MAX) {
        ROW_DIAG(row, col, d, "%s is too large (at most 10000000000.00)",
                 show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    *out = v;
    return 0;
}

int pl_parse_uint(const pl_row_t *row, const char *col, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out, pl_diags_t *d)
{
    char sh[SHOW_BUF];
    if (required(row, col, s, "a whole number", d))
        return PL_EFORMAT;
    uint64_t v = 0;
    int over = 0;
    const char *p = s;
    for (; is_digit(*p); p++) {
        unsigned dg = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - dg) / 10)
            over = 1;
        else
            v = v * 10 + dg;
    }
    if (*p || p == s) {
        ROW_DIAG(row, col, d, "%s is not a whole number", show(sh, sizeof(sh), s, strlen(s)));
        return PL_EFORMAT;
    }
    if (over || v < min || v > max) {
        ROW_DIAG(row, col, d, "%s is out of range %llu-%llu", show(sh, sizeof(sh), s, strlen(s)),
                 (unsigned long long)min, (unsigned long long)max);
        return PL_EFORMAT;
    }
    *out = v;
    return 0;
}

int pl_parse_time(const pl_row_t *row, const char *col, const char *s, int utc_offset_min,
                  int64_t *out, pl_diags_t *d)
{
    char sh[SHOW_BUF], why[160];
    if (required(row, col, s, "a time such as 2026-11-26 08:00", d))
        return PL_EFORMAT;
    if (pl_time_parse(s, utc_offset_min, out, why, sizeof(why)) != 0) {
        ROW_DIAG(row, col, d, "%s is not a valid time: %s", show(sh, sizeof(sh), s, strlen(s)),
                 why);
        return PL_EFORMAT;
    }
    return 0;
}

int pl_parse_bool(const pl_row_t *row, const char *col, const char *s, int *out, pl_diags_t *d)
{
    static const char *const yes[] = {"1", "true", "yes", "y"};
    static const char *const no[] = {"0", "false", "no", "n"};
    char sh[SHOW_BUF];
    if (required(row, col, s, "true or false", d))
        return PL_EFORMAT;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    ROW_DIAG(row, col, d, "%s is not a yes/no value (use true/false, yes/no, y/n or 1/0)",
             show(sh, sizeof(sh), s, strlen(s)));
    return PL_EFORMAT;
}
