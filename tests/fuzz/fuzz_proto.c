/* Fuzz target: the request parser (line protocol and RESP) as a TCP stream
 * fed in pieces, as one UDP datagram, and the reply framing functions.
 *
 * Input: byte 0 = number of split points (mod 8) and whether blank lines
 * reported with 0 are dropped (bit 3); then 2 bytes per split point; the
 * rest is the stream.
 *
 * Checks:
 *  - *used <= len; 1 consumes at least one byte; -1 consumes none; slices
 *    point into the buffer; messages are terminated;
 *  - the stream parsed in pieces (each parse sees a buffer of exactly the
 *    bytes received so far) yields exactly the requests, errors and final
 *    state of the stream parsed whole;
 *  - the datagram parse returns 0 or 1 and consumes the datagram;
 *  - every reply function, for each request, writes the same bytes into a
 *    buffer of exactly the needed size, returns 0 for a buffer one byte
 *    short, never writes past cap, and line replies are valid JSON where
 *    the protocol says so. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "pricelane/proto.h"

#define MAX_REQS 4096

/* A parse result with slices as offsets from the start of the stream. */
typedef struct res {
    int rc;
    size_t end; /* stream offset after *used */
    pl_req_type_t type;
    pl_proto_t proto;
    int nargs, member;
    long args[PL_PROTO_ARGS_MAX][2];
    long store[2], tag[2];
    char error[96];
} res_t;

static long off_of(pl_slice_t s, const char *buf, size_t len, size_t base)
{
    if (!s.p)
        return -1;
    FUZZ_CHECK(s.p >= buf && s.p + s.len <= buf + len, "slice outside the buffer");
    return (long)(s.p - buf + (long)base);
}

/* Parses buf[0..len) (stream offset base) and records the result. */
static void parse_at(const char *buf, size_t len, size_t base, int datagram, pl_req_t *req,
                     res_t *r)
{
    size_t used = 12345;
    memset(r, 0, sizeof(*r));
    r->rc = pl_proto_parse(req, buf, len, datagram, &used);
    FUZZ_CHECK(r->rc >= -1 && r->rc <= 1, "rc %d", r->rc);
    FUZZ_CHECK(used <= len, "used %zu of %zu", used, len);
    if (r->rc == 1)
        FUZZ_CHECK(used > 0, "a request that consumed nothing");
    if (r->rc == -1)
        FUZZ_CHECK(used == 0, "used %zu on -1", used);
    r->end = base + used;
    if (r->rc == 0)
        return;
    FUZZ_CHECK(memchr(req->error, 0, sizeof(req->error)), "error not terminated");
    snprintf(r->error, sizeof(r->error), "%s", req->error);
    r->proto = req->proto;
    if (r->rc == -1) {
        FUZZ_CHECK(r->error[0], "-1 without a message");
        return;
    }
    r->type = req->type;
    r->nargs = req->nargs;
    r->member = req->member;
    FUZZ_CHECK(r->type >= PL_REQ_LOOKUP && r->type <= PL_REQ_ERROR, "type %d", r->type);
    FUZZ_CHECK(r->type == PL_REQ_ERROR ? r->error[0] != 0 : r->error[0] == 0,
               "type %d with error \"%s\"", r->type, r->error);
    FUZZ_CHECK(r->nargs >= 0 && r->nargs <= PL_PROTO_ARGS_MAX, "nargs %d", r->nargs);
    for (int i = 0; i < r->nargs; i++) {
        r->args[i][0] = off_of(req->args[i], buf, len, base);
        r->args[i][1] = (long)req->args[i].len;
    }
    r->store[0] = off_of(req->store, buf, len, base);
    r->store[1] = (long)req->store.len;
    r->tag[0] = off_of(req->tag, buf, len, base);
    r->tag[1] = (long)req->tag.len;
}

static void same(const res_t *a, const res_t *b, const char *what)
{
    FUZZ_CHECK(a->rc == b->rc, "%s: rc %d, whole stream %d", what, a->rc, b->rc);
    /* -1 consumes nothing, counted from wherever the caller stood (after
     * any blank lines it dropped): no position to compare. */
    if (a->rc != -1)
        FUZZ_CHECK(a->end == b->end, "%s: ends at %zu, whole stream at %zu", what, a->end,
                   b->end);
    if (a->rc == 0)
        return;
    FUZZ_CHECK(a->proto == b->proto && strcmp(a->error, b->error) == 0,
               "%s: proto %d \"%s\", whole stream proto %d \"%s\"", what, a->proto, a->error,
               b->proto, b->error);
    if (a->rc == -1)
        return;
    FUZZ_CHECK(a->type == b->type && a->nargs == b->nargs && a->member == b->member,
               "%s: type %d nargs %d, whole stream type %d nargs %d", what, a->type, a->nargs,
               b->type, b->nargs);
    FUZZ_CHECK(memcmp(a->args, b->args, sizeof(a->args[0]) * (size_t)a->nargs) == 0 &&
                   memcmp(a->store, b->store, sizeof(a->store)) == 0 &&
                   memcmp(a->tag, b->tag, sizeof(a->tag)) == 0,
               "%s: slices differ from the whole stream", what);
}

/* ---- replies ------------------------------------------------------------ */

enum { R_ANSWER, R_ERROR, R_SIMPLE, R_BULK, R_NULL_BULK, R_ARRAY, R_COUNT };

typedef struct reply_in {
    const pl_req_t *req;
    const char *json;
    size_t jlen;
    const char *text; /* terminated */
    const char *bulk;
    size_t blen;
} reply_in_t;

static size_t reply(int kind, const reply_in_t *in, char *out, size_t cap)
{
    switch (kind) {
    case R_ANSWER:
        return pl_proto_reply_answer(in->req, in->json, in->jlen, out, cap);
    case R_ERROR:
        return pl_proto_reply_error(in->req, in->text, out, cap);
    case R_SIMPLE:
        return pl_proto_reply_simple(in->req, in->text, out, cap);
    case R_BULK:
        return pl_proto_reply_bulk(in->req, in->bulk, in->blen, out, cap);
    case R_NULL_BULK:
        return pl_proto_reply_bulk(in->req, NULL, 0, out, cap);
    default:
        return pl_proto_reply_array_header((size_t)in->req->nargs, out, cap);
    }
}

static void check_json_line(const char *out, size_t n, const char *what)
{
    FUZZ_CHECK(n >= 2 && out[n - 1] == '\n', "%s: line reply without newline", what);
    json_error_t e;
    json_t *j = json_loadb(out, n - 1, JSON_ALLOW_NUL, &e);
    FUZZ_CHECK(j && json_is_object(j), "%s: not a JSON object (%s): %.*s", what,
               j ? "not an object" : e.text, (int)(n - 1), out);
    json_decref(j);
}

static void check_reply(int kind, const reply_in_t *in, int json_valid)
{
    size_t big = 8 * (in->jlen + in->blen + strlen(in->text)) + 1024;
    char *full = malloc(big);
    size_t n = reply(kind, in, full, big);
    FUZZ_CHECK(n > 0 && n <= big, "reply %d: %zu bytes in a buffer of %zu", kind, n, big);
    if (in->req->proto == PL_PROTO_LINE && (kind == R_ERROR || (kind == R_ANSWER && json_valid)))
        check_json_line(full, n, kind == R_ERROR ? "error reply" : "answer reply");
    if (in->req->proto == PL_PROTO_RESP)
        FUZZ_CHECK(n >= 3 && full[n - 2] == '\r' && full[n - 1] == '\n',
                   "reply %d: RESP reply without CRLF", kind);
    /* Exactly the size: same bytes. One short, or nothing: 0. Neither may
     * write past cap (the buffers are exact heap blocks). */
    size_t caps[3] = {n, n - 1, 0};
    for (int i = 0; i < 3; i++) {
        size_t cap = caps[i];
        char *out = malloc(cap); /* under ASan, even malloc(0) has no byte to write */
        size_t m = reply(kind, in, out, cap);
        if (cap == n)
            FUZZ_CHECK(m == n && memcmp(out, full, n) == 0, "reply %d: cap %zu gave %zu", kind,
                       cap, m);
        else
            FUZZ_CHECK(m == 0, "reply %d: %zu bytes in a buffer of %zu (needs %zu)", kind, m,
                       cap, n);
        free(out);
    }
    free(full);
}

static void check_replies(const pl_req_t *req)
{
    static const char answer[] = "{\"status\":\"ok\",\"code\":\"6901234567892\",\"price\":1250}";
    static const char empty_obj[] = "{ }";
    reply_in_t in = {req, answer, sizeof(answer) - 1, req->error, NULL, 0};
    if (!req->error[0])
        in.text = "PONG";
    if (req->nargs > 0 && req->args[0].p) {
        in.bulk = req->args[0].p;
        in.blen = req->args[0].len;
    } else {
        in.bulk = "";
    }
    for (int k = 0; k < R_COUNT; k++)
        check_reply(k, &in, 1);
    in.json = empty_obj;
    in.jlen = sizeof(empty_obj) - 1;
    check_reply(R_ANSWER, &in, 1);
    /* Client bytes as the answer, message and text: framing only. */
    if (in.bulk) {
        char *text = fuzz_strndup(in.bulk, in.blen);
        in.json = in.bulk;
        in.jlen = in.blen;
        in.text = text;
        check_reply(R_ANSWER, &in, 0);
        check_reply(R_ERROR, &in, 1);
        check_reply(R_SIMPLE, &in, 0);
        free(text);
    }
}

/* ---- entry -------------------------------------------------------------- */

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    uint8_t head = fuzz_u8(&in);
    int nsplit = head & 7, drop_blank = head >> 3 & 1;
    uint16_t raw[8];
    for (int i = 0; i < nsplit; i++)
        raw[i] = fuzz_u16(&in);
    size_t len = in.len;
    char *whole = fuzz_strndup(in.p, len); /* the stream; the NUL is not part of it */
    static res_t expect[MAX_REQS + 1];
    static pl_req_t req;

    /* The whole stream, request after request. */
    size_t off = 0;
    int n = 0;
    for (;;) {
        res_t *r = &expect[n];
        char *buf = fuzz_strndup(whole + off, len - off);
        parse_at(buf, len - off, off, 0, &req, r);
        if (r->rc == 1)
            check_replies(&req);
        free(buf);
        if (r->rc != 1 || n == MAX_REQS)
            break;
        off = r->end;
        n++;
    }

    /* The same stream arriving in pieces. */
    size_t split[9];
    for (int i = 0; i < nsplit; i++)
        split[i] = len ? raw[i] % (len + 1) : 0;
    split[nsplit] = len;
    qsort(split, (size_t)nsplit + 1, sizeof(split[0]), cmp_size);
    size_t start = 0;
    int k = 0, next = 0;
    size_t avail = split[next++];
    for (;;) {
        res_t r;
        char *buf = fuzz_strndup(whole + start, avail - start);
        parse_at(buf, avail - start, start, 0, &req, &r);
        free(buf);
        if (r.rc == 1) {
            char what[64];
            snprintf(what, sizeof(what), "request %d in pieces", k);
            FUZZ_CHECK(k <= n, "more requests in pieces than whole");
            same(&r, &expect[k], what);
            if (k == n)
                break; /* the MAX_REQS cut */
            k++;
            start = r.end;
            continue;
        }
        if (r.rc == 0 && avail < len) {
            if (drop_blank)
                start = r.end;
            while (next <= nsplit && split[next] <= avail)
                next++;
            avail = next <= nsplit ? split[next++] : len;
            continue;
        }
        FUZZ_CHECK(k == n, "in pieces: stopped after %d requests, whole after %d", k, n);
        same(&r, &expect[n], "end of the stream in pieces");
        break;
    }

    /* One datagram. */
    res_t d;
    char *dg = fuzz_strndup(whole, len);
    parse_at(dg, len, 0, 1, &req, &d);
    FUZZ_CHECK(d.rc == 0 || d.rc == 1, "datagram rc %d", d.rc);
    FUZZ_CHECK(d.end == len, "datagram: used %zu of %zu", d.end, len);
    if (d.rc == 1) {
        FUZZ_CHECK(d.proto == PL_PROTO_LINE, "datagram proto %d", d.proto);
        check_replies(&req);
    }
    free(dg);
    free(whole);
    return 0;
}
