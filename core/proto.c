/* Wire protocols: the line protocol and the RESP2 subset (docs/protocol.md).
 *
 * The parser keeps no state between calls: it re-reads the request from the
 * start of the buffer each time, so a partial request costs a rescan of at
 * most PL_PROTO_REQ_MAX bytes and a resumed parse gives exactly the result a
 * whole buffer would. Every decision depends only on bytes already present,
 * never on how they were split into reads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "pricelane/catalog.h"
#include "pricelane/proto.h"
#include "pricelane/report.h"

/* Internal result of a sub-parser besides 1 / 0 / -1: bytes were consumed
 * but held no request (a blank line, "*0\r\n"). */
#define SKIPPED 2

#define STR_(x) #x
#define STR(x) STR_(x)

#define TAG_MAX 32
#define SHOW_MAX 32 /* bytes of a bad word quoted in an error message */

/* ---- small helpers ---------------------------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive comparison of a word with a lower-case literal. */
static int word_is(pl_slice_t w, const char *lit)
{
    size_t n = strlen(lit);
    if (w.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(w.p[i]) != lit[i])
            return 0;
    return 1;
}

/* Case-insensitive "key=" prefix test; on a match *val is what follows. */
static int word_key(pl_slice_t w, const char *key, pl_slice_t *val)
{
    size_t n = strlen(key);
    if (w.len < n || !word_is((pl_slice_t){w.p, n}, key))
        return 0;
    *val = (pl_slice_t){w.p + n, w.len - n};
    return 1;
}

static int tag_ok(pl_slice_t t)
{
    if (t.len < 1 || t.len > TAG_MAX)
        return 0;
    for (size_t i = 0; i < t.len; i++) {
        char c = t.p[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == ':' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

/* Copies a client-supplied word into out for an error message: printable
 * ASCII only (so the message is valid UTF-8 and safe on a RESP error line),
 * truncated with "..." so the message always fits req->error. */
static const char *show(char out[SHOW_MAX + 4], const char *p, size_t n)
{
    size_t k = n < SHOW_MAX ? n : SHOW_MAX;
    for (size_t i = 0; i < k; i++)
        out[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
    if (k < n) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}

static void req_reset(pl_req_t *req, pl_proto_t proto)
{
    req->type = PL_REQ_ERROR;
    req->proto = proto;
    req->nargs = 0;
    req->store = (pl_slice_t){NULL, 0};
    req->tag = (pl_slice_t){NULL, 0};
    req->member = 0;
    memset(&req->report, 0, sizeof(req->report));
    req->error[0] = '\0';
}

/* Records the first error only: later words are still read (a line request
 * keeps its tag even when an earlier word is wrong). */
static void fail(pl_req_t *req, const char *fmt, ...)
{
    if (req->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->error, sizeof req->error, fmt, ap);
    va_end(ap);
}

static int finish(pl_req_t *req, pl_req_type_t type)
{
    req->type = req->error[0] ? PL_REQ_ERROR : type;
    return 1;
}

/* ---- line protocol ---------------------------------------------------- */

static int next_word(const char **cur, const char *end, pl_slice_t *w)
{
    const char *p = *cur;
    while (p < end && is_blank(*p))
        p++;
    const char *s = p;
    while (p < end && !is_blank(*p))
        p++;
    *cur = p;
    *w = (pl_slice_t){s, (size_t)(p - s)};
    return p > s;
}

/* Codes are printable; a control byte means binary garbage or a terminal
 * escape, and a newline inside a datagram means several requests in one.
 * The one exception is GS (0x1d), the group separator of GS1 element
 * strings that 2D scanners send inside a code (gs1.h). */
static void check_bytes(pl_req_t *req, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n') {
            fail(req, "one request per datagram");
            return;
        }
        if ((c < 0x20 && c != '\t' && c != 0x1d) || c == 0x7f) {
            fail(req, "control byte 0x%02x in request", c);
            return;
        }
    }
}

static void take_tag(pl_req_t *req, pl_slice_t t)
{
    if (req->tag.len) {
        fail(req, "more than one tag");
    } else if (!tag_ok(t)) {
        char s[SHOW_MAX + 4];
        fail(req, "bad tag '%s' (1..%d of A-Z a-z 0-9 _ . : -)", show(s, t.p, t.len), TAG_MAX);
    } else {
        req->tag = t;
    }
}

/* GET <code> [store=S] [member] [tag=T], options in any order. */
static int line_get(pl_req_t *req, const char *cur, const char *end)
{
    pl_slice_t w, v, code = {NULL, 0};
    char s[SHOW_MAX + 4];
    while (next_word(&cur, end, &w)) {
        if (word_is(w, "member")) {
            if (req->member)
                fail(req, "more than one 'member'");
            req->member = 1;
        } else if (word_key(w, "store=", &v)) {
            if (req->store.len)
                fail(req, "more than one store=");
            else if (!v.len)
                fail(req, "empty store=");
            req->store = v;
        } else if (word_key(w, "tag=", &v)) {
            take_tag(req, v);
        } else if (memchr(w.p, '=', w.len)) {
            fail(req, "unknown option '%s'", show(s, w.p, w.len));
        } else if (code.len) {
            fail(req, "GET takes one code, got '%s' too", show(s, w.p, w.len));
        } else {
            code = w;
        }
    }
    if (!code.len)
        fail(req, "GET needs a code");
    req->args[0] = code;
    req->nargs = 1;
    return finish(req, PL_REQ_LOOKUP);
}

/* ---- REPORT (both protocols) ---------------------------------------------- */

/* A report field: 1..max bytes of the tag alphabet. */
static void report_field(pl_req_t *req, const char *name, pl_slice_t v, size_t max, pl_slice_t *out)
{
    char s[SHOW_MAX + 4];
    if (out->p) {
        fail(req, "more than one %s=", name);
        return;
    }
    *out = v;
    if (!v.len) {
        fail(req, "empty %s=", name);
        return;
    }
    if (v.len > max) {
        fail(req, "%s= longer than %zu bytes", name, max);
        return;
    }
    for (size_t i = 0; i < v.len; i++) {
        char c = v.p[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == ':' || c == '-';
        if (!ok) {
            fail(req, "bad %s= '%s' (A-Z a-z 0-9 _ . : -)", name, show(s, v.p, v.len));
            return;
        }
    }
}

/* The shelf price: a whole number of minor units, as answers write prices. */
static void report_shelf(pl_req_t *req, pl_slice_t v)
{
    char s[SHOW_MAX + 4];
    if (req->report.shelf.p) {
        fail(req, "more than one shelf=");
        return;
    }
    req->report.shelf = v;
    long long n = 0;
    size_t i = 0;
    for (; i < v.len && v.p[i] >= '0' && v.p[i] <= '9'; i++)
        if (n <= PL_PROTO_SHELF_MAX) /* saturates: never overflows */
            n = n * 10 + (v.p[i] - '0');
    if (!v.len || i < v.len)
        fail(req, "shelf= must be a price in minor units (digits only), got '%s'",
             show(s, v.p, v.len));
    else if (n < 1 || n > PL_PROTO_SHELF_MAX)
        fail(req, "shelf= %s out of range (1..%d)", show(s, v.p, v.len), PL_PROTO_SHELF_MAX);
}

/* One word of a REPORT after its command: an option, or the code. */
static void report_word(pl_req_t *req, pl_slice_t w, int line, pl_slice_t *code)
{
    pl_slice_t v;
    char s[SHOW_MAX + 4];
    if (word_key(w, "id=", &v))
        report_field(req, "id", v, PL_REPORT_ID_MAX, &req->report.id);
    else if (word_key(w, "store=", &v))
        report_field(req, "store", v, PL_SCOPE_MAX, &req->store);
    else if (word_key(w, "lane=", &v))
        report_field(req, "lane", v, PL_LANE_MAX, &req->report.lane);
    else if (word_key(w, "cashier=", &v))
        report_field(req, "cashier", v, PL_CASHIER_MAX, &req->report.cashier);
    else if (word_key(w, "kind=", &v)) {
        if (req->report.kind.p)
            fail(req, "more than one kind=");
        req->report.kind = v;
        if (pl_report_kind_parse(v.p, v.len) < 0)
            fail(req, "unknown kind '%s' (price, no_scan, name, other)", show(s, v.p, v.len));
    } else if (word_key(w, "shelf=", &v))
        report_shelf(req, v);
    else if (line && word_key(w, "tag=", &v))
        take_tag(req, v);
    else if (memchr(w.p, '=', w.len))
        fail(req, "unknown option '%s'", show(s, w.p, w.len));
    else if (code->p)
        fail(req, "REPORT takes one code, got '%s' too", show(s, w.p, w.len));
    else if (w.len > PL_CODE_ECHO_MAX)
        fail(req, "code longer than %d bytes", PL_CODE_ECHO_MAX);
    else
        *code = w;
}

/* After the words: every field there, shelf= iff kind=price. */
static int report_finish(pl_req_t *req, pl_slice_t code)
{
    static const char *const need[] = {"id", "store", "lane", "cashier", "kind"};
    const pl_slice_t *have[] = {&req->report.id, &req->store, &req->report.lane,
                                &req->report.cashier, &req->report.kind};
    if (!code.p)
        fail(req, "REPORT needs a code");
    for (int i = 0; i < 5; i++)
        if (!have[i]->p)
            fail(req, "REPORT needs %s=", need[i]);
    int kind =
        req->report.kind.p ? pl_report_kind_parse(req->report.kind.p, req->report.kind.len) : -1;
    if (kind == PL_REPORT_PRICE && !req->report.shelf.p)
        fail(req, "kind=price needs shelf=, the price the customer saw");
    if (kind >= 0 && kind != PL_REPORT_PRICE && req->report.shelf.p)
        fail(req, "shelf= goes with kind=price only");
    req->args[0] = code;
    req->nargs = 1;
    return finish(req, PL_REQ_REPORT);
}

static int line_report(pl_req_t *req, const char *cur, const char *end)
{
    pl_slice_t w, code = {NULL, 0};
    while (next_word(&cur, end, &w))
        report_word(req, w, 1, &code);
    return report_finish(req, code);
}

static int line_bare(pl_req_t *req, const char *cur, const char *end, const char *name,
                     pl_req_type_t type)
{
    pl_slice_t w;
    if (next_word(&cur, end, &w))
        fail(req, "%s takes no arguments", name);
    return finish(req, type);
}

/* Per byte: 1 a digit, 2 a tag byte (tag_ok's set); the fast path's test. */
#define CL_DIGIT 1
#define CL_TAG 2
#define CLT(c)                                                                                     \
    (((c) >= '0' && (c) <= '9') |                                                                  \
     (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') ||    \
      (c) == '_' || (c) == '.' || (c) == ':' || (c) == '-')                                        \
         << 1)
#define CLT8(c)                                                                                    \
    CLT(c), CLT(c + 1), CLT(c + 2), CLT(c + 3), CLT(c + 4), CLT(c + 5), CLT(c + 6), CLT(c + 7)
#define CLT32(c) CLT8(c), CLT8(c + 8), CLT8(c + 16), CLT8(c + 24)
static const unsigned char byte_class[256] = {CLT32(0), CLT32(32), CLT32(64), CLT32(96)};

/* The common request in one pass: an optional "#tag " and a code of digits,
 * nothing else (what every scanner and the UDP lanes send). Returns 1 with
 * *req filled exactly as the general parse below would fill it, or 0 when
 * the line is anything else (then nothing is decided). */
static int line_fast(pl_req_t *req, const char *p, size_t n)
{
    size_t i = 0;
    if (n && p[0] == '#') {
        for (i = 1; i < n && (byte_class[(unsigned char)p[i]] & CL_TAG); i++)
            ;
        if (i == 1 || i - 1 > TAG_MAX || i == n || p[i] != ' ')
            return 0;
        req->tag = (pl_slice_t){p + 1, i - 1};
        i++;
    }
    size_t c0 = i;
    for (; i < n && (byte_class[(unsigned char)p[i]] & CL_DIGIT); i++)
        ;
    if (i != n || i == c0)
        return 0;
    req->args[0] = (pl_slice_t){p + c0, n - c0};
    req->nargs = 1;
    req->type = PL_REQ_LOOKUP;
    return 1;
}

/* One line without its newline. A single word that is not a command is a
 * code (scanners send bare codes; keyed item codes may start with a letter);
 * several words must start with a command. */
static int line_request(pl_req_t *req, const char *p, size_t n, int datagram)
{
    const char *cur = p, *end = p + n;
    pl_slice_t w;
    char s[SHOW_MAX + 4];

    req_reset(req, PL_PROTO_LINE);
    if (line_fast(req, p, n))
        return 1;
    req->tag = (pl_slice_t){NULL, 0};
    if (!next_word(&cur, end, &w))
        return SKIPPED;
    if (w.p[0] == '#') {
        take_tag(req, (pl_slice_t){w.p + 1, w.len - 1});
        if (!next_word(&cur, end, &w)) {
            fail(req, "tag without a request");
            return finish(req, PL_REQ_ERROR);
        }
    }
    check_bytes(req, p, n);
    if (req->error[0])
        return finish(req, PL_REQ_ERROR);

    if (word_is(w, "get"))
        return line_get(req, cur, end);
    if (word_is(w, "report"))
        return line_report(req, cur, end);
    if (word_is(w, "ping"))
        return line_bare(req, cur, end, "PING", PL_REQ_PING);
    if (word_is(w, "version"))
        return line_bare(req, cur, end, "VERSION", PL_REQ_VERSION);
    if (word_is(w, "quit")) {
        if (datagram)
            fail(req, "QUIT needs a TCP connection");
        return line_bare(req, cur, end, "QUIT", PL_REQ_QUIT);
    }
    pl_slice_t more;
    const char *after = cur;
    if (next_word(&after, end, &more)) {
        fail(req, "unknown command '%s'", show(s, w.p, w.len));
        return finish(req, PL_REQ_ERROR);
    }
    req->args[0] = w;
    req->nargs = 1;
    return finish(req, PL_REQ_LOOKUP);
}

/* A line from a stream: needs its '\n' within PL_PROTO_LINE_MAX bytes. */
static int stream_line(pl_req_t *req, const char *buf, size_t len, size_t *used)
{
    size_t scan = len < PL_PROTO_LINE_MAX ? len : PL_PROTO_LINE_MAX;
    const char *nl = memchr(buf, '\n', scan);
    if (!nl) {
        if (len < PL_PROTO_LINE_MAX)
            return 0;
        req_reset(req, PL_PROTO_LINE);
        fail(req, "line longer than %d bytes", PL_PROTO_LINE_MAX);
        return -1;
    }
    size_t n = (size_t)(nl - buf);
    *used = n + 1;
    if (n && buf[n - 1] == '\r')
        n--;
    return line_request(req, buf, n, 0);
}

static int datagram_line(pl_req_t *req, const char *buf, size_t len, size_t *used)
{
    size_t n = len;
    *used = len;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (n >= PL_PROTO_LINE_MAX) {
        req_reset(req, PL_PROTO_LINE);
        fail(req, "line longer than %d bytes", PL_PROTO_LINE_MAX);
        return finish(req, PL_REQ_ERROR);
    }
    int rc = line_request(req, buf, n, 1);
    return rc == SKIPPED ? 0 : rc;
}

/* ---- RESP2 ------------------------------------------------------------ */

/* Reads "<sigil><decimal>\r\n" at buf[*pos] (the sigil already checked).
 * Lengths have no sign and no leading zero (as Redis requires), which also
 * bounds the size of a whole request. A value over max fails as soon as its
 * digits show it, without waiting for the CRLF. */
static int resp_len(pl_req_t *req, const char *buf, size_t len, size_t *pos, long max,
                    const char *bad, const char *toobig, long *out)
{
    size_t i = *pos + 1;
    long v = 0;
    size_t digits = 0;
    for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
        if (digits == 1 && v == 0) {
            fail(req, "protocol error: %s", bad);
            return -1;
        }
        v = v * 10 + (buf[i] - '0');
        if (v > max) {
            fail(req, "protocol error: %s", toobig);
            return -1;
        }
    }
    if (i == len)
        return 0;
    if (!digits || (buf[i] != '\r' && buf[i] != '\n')) {
        fail(req, "protocol error: %s", bad);
        return -1;
    }
    if (buf[i] == '\r' && i + 1 == len)
        return 0;
    if (buf[i] != '\r' || buf[i + 1] != '\n') {
        fail(req, "protocol error: missing CRLF");
        return -1;
    }
    *pos = i + 2;
    *out = v;
    return 1;
}

/* One "$<n>\r\n<n bytes>\r\n" element. */
static int resp_bulk(pl_req_t *req, const char *buf, size_t len, size_t *pos, pl_slice_t *out)
{
    if (*pos == len)
        return 0;
    char c = buf[*pos];
    if (c != '$') {
        if (c >= 0x20 && c < 0x7f)
            fail(req, "protocol error: expected '$', got '%c'", c);
        else
            fail(req, "protocol error: expected '$', got byte 0x%02x", (unsigned char)c);
        return -1;
    }
    long n;
    int rc = resp_len(req, buf, len, pos, PL_PROTO_BULK_MAX, "invalid bulk length",
                      "bulk string longer than " STR(PL_PROTO_BULK_MAX) " bytes", &n);
    if (rc <= 0)
        return rc;
    size_t start = *pos, end = start + (size_t)n;
    if (len < end + 2) {
        /* Check what has arrived of the terminator so a wrong byte fails now. */
        if (len > end && buf[end] != '\r')
            goto bad_crlf;
        return 0;
    }
    if (buf[end] != '\r' || buf[end + 1] != '\n')
        goto bad_crlf;
    *out = (pl_slice_t){buf + start, (size_t)n};
    *pos = end + 2;
    return 1;
bad_crlf:
    fail(req, "protocol error: missing CRLF after bulk string");
    return -1;
}

/* Splits "S:code" at its last ':' (codes never contain one). */
void pl_proto_split_key(pl_slice_t key, pl_slice_t *store, pl_slice_t *code)
{
    size_t i = key.len;
    while (i && key.p[i - 1] != ':')
        i--;
    if (!i) {
        *store = (pl_slice_t){NULL, 0};
        *code = key;
        return;
    }
    *store = (pl_slice_t){key.p, i - 1};
    *code = (pl_slice_t){key.p + i, key.len - i};
}

static int arity(pl_req_t *req, const char *name)
{
    fail(req, "wrong number of arguments for '%s' command", name);
    return finish(req, PL_REQ_ERROR);
}

/* The command is known to be complete here; req->args holds its arguments. */
static int resp_command(pl_req_t *req, pl_slice_t cmd)
{
    int n = req->nargs;
    char s[SHOW_MAX + 4];

    if (word_is(cmd, "get")) {
        if (n != 1)
            return arity(req, "get");
        pl_proto_split_key(req->args[0], &req->store, &req->args[0]);
        return finish(req, PL_REQ_LOOKUP);
    }
    if (word_is(cmd, "report")) {
        /* The line form's words, one per argument; nothing may hide a
         * blank or a control byte inside one. */
        pl_slice_t code = {NULL, 0};
        for (int i = 0; i < n; i++) {
            pl_slice_t a = req->args[i];
            for (size_t j = 0; j < a.len; j++) {
                unsigned char c = (unsigned char)a.p[j];
                if ((c <= 0x20 && c != 0x1d) || c == 0x7f) {
                    fail(req, "byte 0x%02x in REPORT argument %d", c, i + 1);
                    break;
                }
            }
            report_word(req, a, 0, &code);
        }
        return report_finish(req, code);
    }
    if (word_is(cmd, "mget"))
        return n >= 1 ? finish(req, PL_REQ_MLOOKUP) : arity(req, "mget");
    if (word_is(cmd, "ping"))
        return n <= 1 ? finish(req, PL_REQ_PING) : arity(req, "ping");
    if (word_is(cmd, "echo"))
        return n == 1 ? finish(req, PL_REQ_ECHO) : arity(req, "echo");
    if (word_is(cmd, "info"))
        return finish(req, PL_REQ_INFO);
    if (word_is(cmd, "quit"))
        return finish(req, PL_REQ_QUIT);
    if (word_is(cmd, "command"))
        return finish(req, PL_REQ_COMMAND);
    if (word_is(cmd, "hello")) {
        /* Clients that try RESP3 first (HELLO 3) fall back to RESP2 on any
         * error reply. */
        if (n >= 1 && !word_is(req->args[0], "2"))
            fail(req, "unsupported protocol version (only 2)");
        return finish(req, PL_REQ_HELLO);
    }
    fail(req, "unknown command '%s'", show(s, cmd.p, cmd.len));
    return finish(req, PL_REQ_ERROR);
}

static int resp_request(pl_req_t *req, const char *buf, size_t len, size_t *used)
{
    size_t pos = 0;
    long count;

    req_reset(req, PL_PROTO_RESP);
    int rc = resp_len(req, buf, len, &pos, PL_PROTO_ARGS_MAX, "invalid multibulk length",
                      "more than " STR(PL_PROTO_ARGS_MAX) " arguments", &count);
    if (rc <= 0)
        return rc;
    if (count == 0) {
        /* An empty array is no command; Redis ignores it too. */
        *used = pos;
        return SKIPPED;
    }
    pl_slice_t cmd;
    rc = resp_bulk(req, buf, len, &pos, &cmd);
    if (rc <= 0)
        return rc;
    for (long i = 1; i < count; i++) {
        rc = resp_bulk(req, buf, len, &pos, &req->args[i - 1]);
        if (rc <= 0)
            return rc;
    }
    req->nargs = (int)count - 1;
    *used = pos;
    return resp_command(req, cmd);
}

/* ---- entry point ------------------------------------------------------ */

int pl_proto_parse(pl_req_t *req, const char *buf, size_t len, int datagram, size_t *used)
{
    size_t pos = 0;

    *used = 0;
    if (datagram)
        return datagram_line(req, buf, len, used);
    for (;;) {
        size_t n = 0;
        int rc;
        if (pos == len) {
            *used = pos; /* blank lines only: the caller may drop them */
            return 0;
        }
        if (buf[pos] == '*')
            rc = resp_request(req, buf + pos, len - pos, &n);
        else
            rc = stream_line(req, buf + pos, len - pos, &n);
        if (rc == SKIPPED) {
            pos += n;
            continue;
        }
        if (rc == 1)
            *used = pos + n;
        else if (rc == 0)
            *used = pos;
        return rc;
    }
}

/* ---- reply framing ---------------------------------------------------- */


static void puts_(out_t *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Digits by hand: every RESP reply carries a length, and the printf family
 * costs more than the rest of framing it. */
static void put_size(out_t *o, size_t v)
{
    char b[24], *e = b + sizeof b, *p = e;
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    put(o, p, (size_t)(e - p));
}

static size_t done(out_t *o)
{
    return o->full ? 0 : o->len;
}

static void put_json_str(out_t *o, const char *s, size_t n)
{
    size_t k = o->full ? 0 : pl_json_str(o->p + o->len, o->cap - o->len, s, n);
    if (!k)
        o->full = 1;
    o->len += k;
}

/* A RESP simple string or error line cannot hold CR or LF. */
static void put_line_text(out_t *o, const char *s)
{
    for (; *s; s++)
        put(o, *s == '\r' || *s == '\n' ? " " : s, 1);
}

static void put_tag_prefix(out_t *o, const pl_req_t *req)
{
    if (req->tag.len) {
        put(o, "#", 1);
        put(o, req->tag.p, req->tag.len);
        put(o, " ", 1);
    }
}

static void put_resp_bulk(out_t *o, const char *s, size_t len)
{
    put(o, "$", 1);
    put_size(o, len);
    put(o, "\r\n", 2);
    put(o, s, len);
    put(o, "\r\n", 2);
}

size_t pl_proto_reply_answer(const pl_req_t *req, const char *json, size_t len, char *out,
                             size_t cap)
{
    out_t o = {out, cap, 0, 0};
    if (req->proto == PL_PROTO_RESP) {
        put_resp_bulk(&o, json, len);
        return done(&o);
    }
    if (req->tag.len && len && json[0] == '{') {
        size_t i = 1;
        while (i < len && (json[i] == ' ' || json[i] == '\t'))
            i++;
        put(&o, "{\"tag\":", 7);
        put_json_str(&o, req->tag.p, req->tag.len);
        if (i < len && json[i] != '}')
            put(&o, ",", 1);
        put(&o, json + 1, len - 1);
    } else {
        put(&o, json, len);
    }
    put(&o, "\n", 1);
    return done(&o);
}

size_t pl_proto_reply_error(const pl_req_t *req, const char *msg, char *out, size_t cap)
{
    out_t o = {out, cap, 0, 0};
    if (req->proto == PL_PROTO_RESP) {
        puts_(&o, "-ERR ");
        put_line_text(&o, msg);
        put(&o, "\r\n", 2);
        return done(&o);
    }
    put(&o, "{", 1);
    if (req->tag.len) {
        puts_(&o, "\"tag\":");
        put_json_str(&o, req->tag.p, req->tag.len);
        put(&o, ",", 1);
    }
    puts_(&o, "\"status\":\"error\",\"error\":");
    put_json_str(&o, msg, strlen(msg));
    puts_(&o, "}\n");
    return done(&o);
}

size_t pl_proto_reply_simple(const pl_req_t *req, const char *text, char *out, size_t cap)
{
    out_t o = {out, cap, 0, 0};
    if (req->proto == PL_PROTO_RESP) {
        put(&o, "+", 1);
        put_line_text(&o, text);
        put(&o, "\r\n", 2);
        return done(&o);
    }
    put_tag_prefix(&o, req);
    put_line_text(&o, text);
    put(&o, "\n", 1);
    return done(&o);
}

size_t pl_proto_reply_bulk(const pl_req_t *req, const char *s, size_t len, char *out, size_t cap)
{
    out_t o = {out, cap, 0, 0};
    if (req->proto == PL_PROTO_RESP) {
        if (s)
            put_resp_bulk(&o, s, len);
        else
            puts_(&o, "$-1\r\n");
        return done(&o);
    }
    put_tag_prefix(&o, req);
    if (s)
        put(&o, s, len);
    put(&o, "\n", 1);
    return done(&o);
}

size_t pl_proto_reply_array_header(size_t n, char *out, size_t cap)
{
    out_t o = {out, cap, 0, 0};
    put(&o, "*", 1);
    put_size(&o, n);
    put(&o, "\r\n", 2);
    return done(&o);
}
