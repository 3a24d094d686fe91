/* A row from its fields, shared by the CSV and JSON Lines readers: columns
 * matched against the known ones, every value checked before it is kept,
 * the finished row handed to the caller. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rows_int.h"

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
        size_t len = rows_utf8_decode(u + i, n - i, &cp, &why);
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

void rows_row_reset(struct reader *r)
{
    r->nfields = r->bad = r->nonempty = 0;
    for (int i = 0; i < PL_ROWS_COLS_MAX; i++)
        r->vals[i] = NULL;
}

/* Known column matching `name`, case-insensitively, or -1. */
int rows_known_index(const struct reader *r, const char *name, size_t n)
{
    for (int k = 0; k < r->nknown; k++)
        if (strlen(r->known[k]) == n && strncasecmp(r->known[k], name, n) == 0)
            return k;
    return -1;
}

void rows_unknown_column(struct reader *r, uint64_t line, const char *name, size_t n)
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
    pl_diag(r->d, r->path, line, NULL, "unknown column %s%s", rows_show(sh, sizeof(sh), name, n),
            list);
}

/* Validates a value and keeps it as field idx of the row. */
void rows_take_value(struct reader *r, uint64_t line, int idx, const char *s, size_t n)
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

void rows_emit_row(struct reader *r, uint64_t line)
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

const char *pl_row_get(const pl_row_t *row, const char *name)
{
    /* Called many times per row: compare the first byte before the rest. */
    for (int i = 0; i < row->ncols; i++)
        if (row->names[i] && row->names[i][0] == name[0] && strcmp(row->names[i], name) == 0)
            return row->vals[i] && row->vals[i][0] ? row->vals[i] : NULL;
    return NULL;
}
