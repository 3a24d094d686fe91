/* JSON Lines rows: each line one object, parsed by jansson, whose values
 * are strings, numbers, booleans or null. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows_int.h"

/* A JSON line longer than this cannot be valid: it would need more or longer
 * fields than allowed (JSON may escape a byte as 6). Stopping there bounds
 * memory. */
#define JSON_LINE_MAX ((size_t)PL_ROWS_COLS_MAX * (PL_ROWS_FIELD_MAX * 6 + 64) + 1024)

_Static_assert(PL_ROWS_COLS_MAX <= 64, "JSON Lines keeps the columns seen in a 64-bit mask");

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
    rows_row_reset(r);
    uint64_t seen = 0;
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        int k = rows_known_index(r, key, strlen(key));
        if (k < 0) {
            rows_unknown_column(r, r->line, key, strlen(key));
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
            rows_take_value(r, r->line, k, text, len);
    }
    json_decref(j);
    rows_emit_row(r, r->line);
}

void rows_jsonl_feed(struct reader *r, const char *p, size_t n, int eol)
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

void rows_jsonl_finish(struct reader *r)
{
    if (r->llen && !r->ltoolong)
        json_line(r, r->lbuf, r->llen);
}
