/* Unit test of the wire protocol parser and reply framing (core/proto.c).
 *
 * Every request form is parsed whole, then again fed one byte at a time
 * (each prefix must ask for more bytes, the complete request must give the
 * same result), and pipelined with others in one buffer. */
#include <string.h>

#include "check.h"
#include "pricelane/proto.h"

#define S(lit) lit, sizeof(lit) - 1

static int slice_is(pl_slice_t s, const char *p, size_t n)
{
    return s.len == n && (n == 0 || memcmp(s.p, p, n) == 0);
}

static const char *slice_str(pl_slice_t s)
{
    static char b[4][600];
    static int k;
    char *o = b[k++ & 3];
    size_t n = s.len < 599 ? s.len : 599;
    if (n)
        memcpy(o, s.p, n);
    o[n] = '\0';
    return o;
}

#define CHECK_SLICE(s, lit)                                                                        \
    CHECK(slice_is((s), lit, sizeof(lit) - 1), "%s: got \"%s\", want \"%s\"", #s, slice_str(s), lit)

/* Two parses agree when they consumed the same bytes and found the same
 * request, slices at the same offsets into their buffers. */
static int same_req(const pl_req_t *a, const char *abuf, const pl_req_t *b, const char *bbuf)
{
    if (a->type != b->type || a->proto != b->proto || a->nargs != b->nargs ||
        a->member != b->member || strcmp(a->error, b->error) != 0)
        return 0;
    const pl_slice_t *sa[PL_PROTO_ARGS_MAX + 7], *sb[PL_PROTO_ARGS_MAX + 7];
    int n = 0;
    for (int i = 0; i < a->nargs; i++, n++)
        sa[n] = &a->args[i], sb[n] = &b->args[i];
    sa[n] = &a->store, sb[n++] = &b->store;
    sa[n] = &a->tag, sb[n++] = &b->tag;
    sa[n] = &a->report.id, sb[n++] = &b->report.id;
    sa[n] = &a->report.lane, sb[n++] = &b->report.lane;
    sa[n] = &a->report.cashier, sb[n++] = &b->report.cashier;
    sa[n] = &a->report.kind, sb[n++] = &b->report.kind;
    sa[n] = &a->report.shelf, sb[n++] = &b->report.shelf;
    for (int i = 0; i < n; i++) {
        if (sa[i]->len != sb[i]->len)
            return 0;
        if (sa[i]->len && sa[i]->p - abuf != sb[i]->p - bbuf)
            return 0;
    }
    return 1;
}

/* Parses buf whole, then checks that every prefix shorter than the request
 * returns 0 (or, for a fatal error, 0 until the error shows and -1 from then
 * on) and that feeding in pieces ends with the same result. */
static int parse_checked(const char *name, const char *buf, size_t len, int datagram, pl_req_t *req,
                         size_t *used)
{
    int rc = pl_proto_parse(req, buf, len, datagram, used);
    if (datagram)
        return rc;
    size_t upto = rc == 1 ? *used : len;
    int fatal_seen = 0, ok = 1;
    pl_req_t p;
    for (size_t k = 0; k < upto && ok; k++) {
        size_t u;
        /* A copy of exactly k bytes, so reading past k is caught by ASan. */
        char *copy = malloc(k ? k : 1);
        memcpy(copy, buf, k);
        int r = pl_proto_parse(&p, copy, k, 0, &u);
        if (r == -1) {
            fatal_seen = 1;
            ok = rc == -1 && strcmp(p.error, req->error) == 0;
        } else {
            ok = r == 0 && !fatal_seen && u <= k;
        }
        if (!ok)
            printf("  %s: prefix of %zu bytes gave %d (%s)\n", name, k, r, p.error);
        free(copy);
    }
    CHECK(ok, "%s: prefixes ask for more bytes until the request is complete", name);
    if (rc == 1) {
        size_t u;
        char *copy = malloc(upto);
        memcpy(copy, buf, upto);
        int r = pl_proto_parse(&p, copy, upto, 0, &u);
        CHECK(r == 1 && u == upto && same_req(&p, copy, req, buf),
              "%s: the exact request alone gives the same result (rc %d)", name, r);
        free(copy);
    }
    return rc;
}

static int parse1(const char *name, const char *buf, size_t len, int datagram, pl_req_t *req,
                  size_t *used)
{
    int rc = parse_checked(name, buf, len, datagram, req, used);
    printf("parsed %-44s rc=%d type=%d used=%zu%s%s\n", name, rc, (int)req->type, *used,
           req->error[0] ? " error=" : "", req->error);
    return rc;
}

/* ---- line protocol ---------------------------------------------------- */

static void test_line_forms(void)
{
    pl_req_t r;
    size_t u;

    CHECK_INT(parse1("bare code LF", S("6901234567892\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_INT(r.proto, PL_PROTO_LINE);
    CHECK_INT(r.nargs, 1);
    CHECK_SLICE(r.args[0], "6901234567892");
    CHECK_INT(u, 14);
    CHECK_INT(r.store.len, 0);
    CHECK_INT(r.tag.len, 0);
    CHECK_INT(r.member, 0);

    CHECK_INT(parse1("bare code CRLF", S("6901234567892\r\n"), 0, &r, &u), 1);
    CHECK_SLICE(r.args[0], "6901234567892");
    CHECK_INT(u, 15);

    CHECK_INT(parse1("keyed code starting with a letter", S("A-1234.5\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "A-1234.5");

    CHECK_INT(parse1("GET with all options", S("GET 6901234567892 store=S001 member tag=r1\n"), 0,
                     &r, &u),
              1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "6901234567892");
    CHECK_SLICE(r.store, "S001");
    CHECK_SLICE(r.tag, "r1");
    CHECK_INT(r.member, 1);

    CHECK_INT(parse1("get, options first, mixed case", S("get Member STORE=z9 6901234567892\r\n"),
                     0, &r, &u),
              1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "6901234567892");
    CHECK_SLICE(r.store, "z9");
    CHECK_INT(r.member, 1);

    CHECK_INT(parse1("tabs and extra blanks", S("  GeT\t6901234567892 \t \r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "6901234567892");

    CHECK_INT(parse1("PING", S("PING\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_PING);
    CHECK_INT(r.nargs, 0);
    CHECK_INT(parse1("ping CRLF", S("ping\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_PING);
    CHECK_INT(parse1("VERSION", S("Version\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_VERSION);
    CHECK_INT(parse1("QUIT", S("quit\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_QUIT);

    CHECK_INT(parse1("#tag on a bare code", S("#abc-1.x:9_Z 6901234567892\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.tag, "abc-1.x:9_Z");
    CHECK_SLICE(r.args[0], "6901234567892");

    CHECK_INT(parse1("#tag on PING", S("#t1 PING\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_PING);
    CHECK_SLICE(r.tag, "t1");

    CHECK_INT(parse1("bytes >= 0x80 go to the resolver", S("\xe4\xbb\xb7\xff\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "\xe4\xbb\xb7\xff");
}

/* The common form (an optional "#tag " and a code of digits) is parsed in
 * one pass; each case here is that form or one byte away from it, and must
 * give what the general parse gives for the same request written otherwise. */
static void test_line_fast_form(void)
{
    static const struct {
        const char *line, *same; /* `same`: the request written with blanks the fast form lacks */
    } pairs[] = {
        {"6901234567892", "  6901234567892 "},
        {"#t 6901234567892", "#t \t 6901234567892\t"},
        {"#abc-1.x:9_Z 1", "\t#abc-1.x:9_Z  1"},
        {"#12345678901234567890123456789012 7", " #12345678901234567890123456789012 7"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        for (int dg = 0; dg < 2; dg++) {
            char a[128], b[128];
            pl_req_t ra, rb;
            size_t ua, ub;
            int na = snprintf(a, sizeof(a), "%s%s", pairs[i].line, dg ? "" : "\n");
            int nb = snprintf(b, sizeof(b), "%s%s", pairs[i].same, dg ? "" : "\n");
            CHECK_INT(parse1(pairs[i].line, a, (size_t)na, dg, &ra, &ua), 1);
            CHECK_INT(parse1(pairs[i].same, b, (size_t)nb, dg, &rb, &ub), 1);
            CHECK_INT(ra.type, PL_REQ_LOOKUP);
            CHECK_INT(rb.type, PL_REQ_LOOKUP);
            CHECK_INT(ra.nargs, rb.nargs);
            CHECK(slice_is(ra.args[0], rb.args[0].p, rb.args[0].len), "code \"%s\" vs \"%s\"",
                  slice_str(ra.args[0]), slice_str(rb.args[0]));
            CHECK(slice_is(ra.tag, rb.tag.p, rb.tag.len), "tag \"%s\" vs \"%s\"", slice_str(ra.tag),
                  slice_str(rb.tag));
            CHECK_INT(ra.store.len, 0);
            CHECK_INT(ra.member, 0);
            CHECK_INT(ua, (size_t)na);
        }
    }
    pl_req_t r;
    size_t u;
    /* One byte off the common form: the general parse decides. */
    CHECK_INT(parse1("tag of 33 bytes", S("#123456789012345678901234567890123 7\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK(strncmp(r.error, "bad tag", 7) == 0, "error: %s", r.error);
    CHECK_INT(parse1("empty tag", S("# 7\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK(strncmp(r.error, "bad tag", 7) == 0, "error: %s", r.error);
    CHECK_INT(parse1("tag alone", S("#t \n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "tag without a request");
    CHECK_SLICE(r.tag, "t");
    CHECK_INT(parse1("digits then a letter", S("#t 12a3\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.tag, "t");
    CHECK_SLICE(r.args[0], "12a3");
    CHECK_INT(parse1("digits then a control byte", S("#t 12\x01\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "control byte 0x01 in request");
    CHECK_SLICE(r.tag, "t");
    CHECK_INT(parse1("a byte >= 0x80 in the tag", S("#t\x80 1\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK(strncmp(r.error, "bad tag", 7) == 0, "error: %s", r.error);
    CHECK_INT(parse1("digits, a GS, digits",
                     S("0101234567890128\x1d"
                       "10L1\n"),
                     0, &r, &u),
              1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "0101234567890128\x1d"
                           "10L1");
}

static void test_line_blank(void)
{
    pl_req_t r;
    size_t u;

    CHECK_INT(
        parse1("blank lines before a request", S("\n\r\n \t \r\n\n6901234567892\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "6901234567892");
    CHECK_INT(u, 23);

    CHECK_INT(pl_proto_parse(&r, S("\n\r\n"), 0, &u), 0);
    CHECK_INT(u, 3); /* blank lines only: the caller may drop them */
    CHECK_INT(pl_proto_parse(&r, S("\n\r\n69"), 0, &u), 0);
    CHECK_INT(u, 3);
    CHECK_INT(pl_proto_parse(&r, "", 0, 0, &u), 0);
    CHECK_INT(u, 0);
    CHECK_INT(pl_proto_parse(&r, S("\r"), 0, &u), 0);
    CHECK_INT(u, 0);
}

static void test_line_errors(void)
{
    pl_req_t r;
    size_t u;

    CHECK_INT(parse1("unknown command", S("FOO BAR\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "unknown command 'FOO'");
    CHECK_INT(u, 8);

    CHECK_INT(parse1("unknown command, long name", S("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 x\n"), 0,
                     &r, &u),
              1);
    CHECK_STR(r.error, "unknown command 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345...'");

    CHECK_INT(parse1("GET without code", S("GET\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "GET needs a code");

    CHECK_INT(parse1("GET member only", S("GET member\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "GET needs a code");

    CHECK_INT(parse1("GET two codes", S("GET 1 2\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "GET takes one code, got '2' too");

    CHECK_INT(parse1("GET unknown option", S("GET 1 color=red\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "unknown option 'color=red'");

    CHECK_INT(parse1("GET empty store", S("GET 1 store=\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "empty store=");

    CHECK_INT(parse1("GET two stores", S("GET 1 store=a store=b\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "more than one store=");

    CHECK_INT(parse1("GET member twice", S("GET 1 member member\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "more than one 'member'");

    CHECK_INT(parse1("two tags", S("#a GET 1 tag=b\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "more than one tag");
    CHECK_SLICE(r.tag, "a");

    CHECK_INT(parse1("PING with argument", S("PING x\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "PING takes no arguments");

    CHECK_INT(parse1("VERSION with argument", S("VERSION 2\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "VERSION takes no arguments");

    CHECK_INT(parse1("bad tag character", S("#bad!tag PING\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK(strncmp(r.error, "bad tag 'bad!tag'", 17) == 0, "error \"%s\"", r.error);
    CHECK_INT(r.tag.len, 0);

    CHECK_INT(parse1("empty tag", S("# PING\n"), 0, &r, &u), 1);
    CHECK(strncmp(r.error, "bad tag ''", 10) == 0, "error \"%s\"", r.error);

    char line[64] = "#";
    memset(line + 1, 't', 32);
    strcpy(line + 33, " PING\n");
    CHECK_INT(parse1("tag of 32 bytes", line, strlen(line), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_PING);
    CHECK_INT(r.tag.len, 32);
    line[0] = '#';
    memset(line + 1, 't', 33);
    strcpy(line + 34, " PING\n");
    CHECK_INT(parse1("tag of 33 bytes", line, strlen(line), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_INT(r.tag.len, 0);

    CHECK_INT(parse1("tag without request", S("#t1\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "tag without a request");
    CHECK_SLICE(r.tag, "t1");

    CHECK_INT(parse1("error keeps the #tag", S("#t9 GET 1 frob=1\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_SLICE(r.tag, "t9");

    CHECK_INT(parse1("error keeps a later tag=", S("GET 1 zzz=1 tag=t7\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "unknown option 'zzz=1'");
    CHECK_SLICE(r.tag, "t7");

    CHECK_INT(parse1("binary garbage", S("\x00\x01\x02\x16\x03\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "control byte 0x00 in request");
    CHECK_INT(u, 6);

    CHECK_INT(parse1("CR inside a line", S("69012\r34567892\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "control byte 0x0d in request");

    CHECK_INT(parse1("DEL byte", S("GET 12\x7f\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "control byte 0x7f in request");

    CHECK_INT(parse1("an HTTP request line", S("GET / HTTP/1.1\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "GET takes one code, got 'HTTP/1.1' too");
}

static void test_line_limits(void)
{
    pl_req_t r;
    size_t u;
    char buf[PL_PROTO_LINE_MAX + 8];

    memset(buf, '7', sizeof buf);
    buf[PL_PROTO_LINE_MAX - 1] = '\n';
    CHECK_INT(parse1("line of exactly LINE_MAX bytes", buf, PL_PROTO_LINE_MAX, 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_INT(r.args[0].len, PL_PROTO_LINE_MAX - 1);
    CHECK_INT(u, PL_PROTO_LINE_MAX);

    buf[PL_PROTO_LINE_MAX - 2] = '\r';
    CHECK_INT(parse1("CRLF line of exactly LINE_MAX bytes", buf, PL_PROTO_LINE_MAX, 0, &r, &u), 1);
    CHECK_INT(r.args[0].len, PL_PROTO_LINE_MAX - 2);

    memset(buf, '7', sizeof buf);
    buf[PL_PROTO_LINE_MAX] = '\n';
    CHECK_INT(parse1("line one byte over", buf, PL_PROTO_LINE_MAX + 1, 0, &r, &u), -1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_INT(r.proto, PL_PROTO_LINE);
    CHECK_STR(r.error, "line longer than 512 bytes");

    memset(buf, '7', sizeof buf);
    CHECK_INT(pl_proto_parse(&r, buf, PL_PROTO_LINE_MAX - 1, 0, &u), 0);
    CHECK_INT(pl_proto_parse(&r, buf, PL_PROTO_LINE_MAX, 0, &u), -1);
    CHECK_STR(r.error, "line longer than 512 bytes");

    /* Blank lines before a request do not count towards its length. */
    char big[PL_PROTO_LINE_MAX + 16];
    memcpy(big, "\n\n\n", 3);
    memset(big + 3, '5', PL_PROTO_LINE_MAX - 1);
    big[3 + PL_PROTO_LINE_MAX - 1] = '\n';
    CHECK_INT(parse1("long line after blank lines", big, PL_PROTO_LINE_MAX + 3, 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
}

static void test_datagram(void)
{
    pl_req_t r;
    size_t u;

    CHECK_INT(parse1("datagram without newline", S("6901234567892"), 1, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "6901234567892");
    CHECK_INT(u, 13);

    CHECK_INT(
        parse1("datagram with tag and CRLF", S("#r42 GET 6901234567892 store=S1\r\n"), 1, &r, &u),
        1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.tag, "r42");
    CHECK_SLICE(r.store, "S1");
    CHECK_INT(u, 33);

    CHECK_INT(parse1("empty datagram", "", 0, 1, &r, &u), 0);
    CHECK_INT(parse1("blank datagram", S(" \r\n"), 1, &r, &u), 0);
    CHECK_INT(u, 3);

    CHECK_INT(parse1("two lines in a datagram", S("#t 1\n2\n"), 1, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "one request per datagram");
    CHECK_SLICE(r.tag, "t");
    CHECK_INT(u, 7);

    CHECK_INT(parse1("QUIT over UDP", S("QUIT"), 1, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "QUIT needs a TCP connection");

    CHECK_INT(parse1("RESP is not spoken over UDP", S("*1\r\n$4\r\nPING\r\n"), 1, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_INT(r.proto, PL_PROTO_LINE);

    char buf[PL_PROTO_LINE_MAX + 2];
    memset(buf, '8', sizeof buf);
    CHECK_INT(parse1("datagram of LINE_MAX-1 bytes", buf, PL_PROTO_LINE_MAX - 1, 1, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_INT(parse1("datagram of LINE_MAX bytes", buf, PL_PROTO_LINE_MAX, 1, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "line longer than 512 bytes");
    CHECK_INT(u, PL_PROTO_LINE_MAX);
}

/* ---- RESP ------------------------------------------------------------- */

static void test_resp_forms(void)
{
    pl_req_t r;
    size_t u;

    /* What redis-cli -p PORT GET 6901234567892 sends. */
    const char get[] = "*2\r\n$3\r\nGET\r\n$13\r\n6901234567892\r\n";
    CHECK_INT(parse1("redis-cli GET", S(get), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_INT(r.proto, PL_PROTO_RESP);
    CHECK_INT(r.nargs, 1);
    CHECK_SLICE(r.args[0], "6901234567892");
    CHECK_INT(r.store.len, 0);
    CHECK_INT(u, sizeof get - 1);

    CHECK_INT(parse1("GET store:code, lower case",
                     S("*2\r\n$3\r\nget\r\n$18\r\nS001:6901234567892\r\n"), 0, &r, &u),
              1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.store, "S001");
    CHECK_SLICE(r.args[0], "6901234567892");

    CHECK_INT(
        parse1("MGET", S("*4\r\n$4\r\nmGeT\r\n$1\r\na\r\n$4\r\nS:bc\r\n$0\r\n\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_MLOOKUP);
    CHECK_INT(r.nargs, 3);
    CHECK_SLICE(r.args[0], "a");
    CHECK_SLICE(r.args[1], "S:bc");
    CHECK_SLICE(r.args[2], "");

    CHECK_INT(parse1("PING", S("*1\r\n$4\r\nPING\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_PING);
    CHECK_INT(r.proto, PL_PROTO_RESP);
    CHECK_INT(r.nargs, 0);
    CHECK_INT(parse1("PING msg", S("*2\r\n$4\r\nping\r\n$5\r\nhello\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_PING);
    CHECK_INT(r.nargs, 1);
    CHECK_SLICE(r.args[0], "hello");

    CHECK_INT(parse1("ECHO", S("*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ECHO);
    CHECK_SLICE(r.args[0], "hi");

    CHECK_INT(parse1("INFO", S("*1\r\n$4\r\nINFO\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_INFO);
    CHECK_INT(parse1("INFO section", S("*2\r\n$4\r\ninfo\r\n$6\r\nserver\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_INFO);
    CHECK_SLICE(r.args[0], "server");

    CHECK_INT(parse1("QUIT", S("*1\r\n$4\r\nQUIT\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_QUIT);

    CHECK_INT(parse1("COMMAND DOCS (redis-cli on connect)",
                     S("*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n"), 0, &r, &u),
              1);
    CHECK_INT(r.type, PL_REQ_COMMAND);
    CHECK_INT(r.nargs, 1);
    CHECK_SLICE(r.args[0], "DOCS");

    CHECK_INT(parse1("HELLO", S("*1\r\n$5\r\nHELLO\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_HELLO);
    CHECK_INT(parse1("HELLO 2", S("*2\r\n$5\r\nhello\r\n$1\r\n2\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_HELLO);
    CHECK_INT(parse1("HELLO 3", S("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "unsupported protocol version (only 2)");

    CHECK_INT(parse1("binary-safe bulk", S("*2\r\n$3\r\nGET\r\n$5\r\na\r\n\0b\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_LOOKUP);
    CHECK_SLICE(r.args[0], "a\r\n\0b");

    CHECK_INT(parse1("empty array is skipped", S("*0\r\n*1\r\n$4\r\nPING\r\n"), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_PING);
    CHECK_INT(u, 18);
    CHECK_INT(pl_proto_parse(&r, S("*0\r\n"), 0, &u), 0);
    CHECK_INT(u, 4);
}

static void test_resp_errors(void)
{
    pl_req_t r;
    size_t u;

    /* Delimited requests with a bad command or arity: the stream goes on. */
    CHECK_INT(parse1("unknown command", S("*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$1\r\ny\r\n"), 0, &r, &u),
              1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_INT(r.proto, PL_PROTO_RESP);
    CHECK_STR(r.error, "unknown command 'SET'");
    CHECK_INT(u, 27);

    CHECK_INT(parse1("unknown command with control bytes", S("*1\r\n$3\r\n\r\n\0\r\n"), 0, &r, &u),
              1);
    CHECK_STR(r.error, "unknown command '?\?\?'");

    CHECK_INT(parse1("GET without key", S("*1\r\n$3\r\nGET\r\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "wrong number of arguments for 'get' command");
    CHECK_INT(parse1("GET two keys", S("*3\r\n$3\r\nGET\r\n$1\r\na\r\n$1\r\nb\r\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "wrong number of arguments for 'get' command");
    CHECK_INT(parse1("MGET without key", S("*1\r\n$4\r\nMGET\r\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "wrong number of arguments for 'mget' command");
    CHECK_INT(parse1("ECHO without message", S("*1\r\n$4\r\nECHO\r\n"), 0, &r, &u), 1);
    CHECK_STR(r.error, "wrong number of arguments for 'echo' command");
    CHECK_INT(parse1("PING with two", S("*3\r\n$4\r\nPING\r\n$1\r\na\r\n$1\r\nb\r\n"), 0, &r, &u),
              1);
    CHECK_STR(r.error, "wrong number of arguments for 'ping' command");

    /* Framing errors: the stream cannot be resynchronised. */
    static const struct {
        const char *name, *buf;
        size_t len;
        const char *error;
    } bad[] = {
        {"count not a number", S("*x\r\n"), "protocol error: invalid multibulk length"},
        {"count missing", S("*\r\n"), "protocol error: invalid multibulk length"},
        {"negative count", S("*-1\r\n"), "protocol error: invalid multibulk length"},
        {"count with leading zero", S("*01\r\n"), "protocol error: invalid multibulk length"},
        {"count over 64", S("*65\r\n"), "protocol error: more than 64 arguments"},
        {"huge count", S("*99999999999999999999\r\n"), "protocol error: more than 64 arguments"},
        {"count LF only", S("*1\n$4\r\nPING\r\n"), "protocol error: missing CRLF"},
        {"count CR without LF", S("*1\rx"), "protocol error: missing CRLF"},
        {"simple string element", S("*2\r\n+GET\r\n"), "protocol error: expected '$', got '+'"},
        {"integer element", S("*1\r\n:1\r\n"), "protocol error: expected '$', got ':'"},
        {"nested array", S("*1\r\n*1\r\n"), "protocol error: expected '$', got '*'"},
        {"binary element", S("*1\r\n\x01"), "protocol error: expected '$', got byte 0x01"},
        {"null bulk", S("*1\r\n$-1\r\n"), "protocol error: invalid bulk length"},
        {"bulk length not a number", S("*1\r\n$x\r\n"), "protocol error: invalid bulk length"},
        {"bulk length leading zero", S("*1\r\n$04\r\nPING\r\n"),
         "protocol error: invalid bulk length"},
        {"bulk over 512", S("*1\r\n$513\r\n"), "protocol error: bulk string longer than 512 bytes"},
        {"huge bulk", S("*1\r\n$9999999999999\r\n"),
         "protocol error: bulk string longer than 512 bytes"},
        {"bulk longer than said", S("*1\r\n$3\r\nGETX\r\n"),
         "protocol error: missing CRLF after bulk string"},
        {"bulk CR then junk", S("*1\r\n$3\r\nGET\rX"),
         "protocol error: missing CRLF after bulk string"},
        {"bulk shorter than said", S("*1\r\n$5\r\nGET\r\nXY"),
         "protocol error: missing CRLF after bulk string"},
        {"second element bad", S("*2\r\n$3\r\nGET\r\n$2\r\n1\r\n"),
         "protocol error: missing CRLF after bulk string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_INT(parse1(bad[i].name, bad[i].buf, bad[i].len, 0, &r, &u), -1);
        CHECK_INT(r.type, PL_REQ_ERROR);
        CHECK_INT(r.proto, PL_PROTO_RESP);
        CHECK_STR(r.error, bad[i].error);
        CHECK_INT(u, 0);
    }
}

static void test_resp_limits(void)
{
    pl_req_t r;
    size_t u;
    static char buf[PL_PROTO_REQ_MAX + 64];
    size_t n = 0;

    /* The biggest request: MGET with 63 keys of 512 bytes. */
    n += (size_t)sprintf(buf + n, "*%d\r\n", PL_PROTO_ARGS_MAX);
    n += (size_t)sprintf(buf + n, "$%d\r\n", PL_PROTO_BULK_MAX);
    memset(buf + n, ' ', PL_PROTO_BULK_MAX);
    memcpy(buf + n, "MGET", 4);
    n += PL_PROTO_BULK_MAX;
    n += (size_t)sprintf(buf + n, "\r\n");
    CHECK_INT(pl_proto_parse(&r, buf, n, 0, &u), 0);
    for (int i = 1; i < PL_PROTO_ARGS_MAX; i++) {
        n += (size_t)sprintf(buf + n, "$%d\r\n", PL_PROTO_BULK_MAX);
        memset(buf + n, 'a' + i % 26, PL_PROTO_BULK_MAX);
        n += PL_PROTO_BULK_MAX;
        n += (size_t)sprintf(buf + n, "\r\n");
    }
    CHECK_INT(n, PL_PROTO_REQ_MAX);
    /* The command name is padded, so it is unknown, but fully framed. */
    CHECK_INT(pl_proto_parse(&r, buf, n, 0, &u), 1);
    CHECK_INT(u, PL_PROTO_REQ_MAX);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_INT(r.nargs, PL_PROTO_ARGS_MAX - 1);
    CHECK_STR(r.error, "unknown command 'MGET                            ...'");
    CHECK_INT(pl_proto_parse(&r, buf, n - 1, 0, &u), 0);

    /* The same with a real MGET and short keys. */
    n = 0;
    n += (size_t)sprintf(buf + n, "*%d\r\n$4\r\nMGET\r\n", PL_PROTO_ARGS_MAX);
    for (int i = 1; i < PL_PROTO_ARGS_MAX; i++)
        n += (size_t)sprintf(buf + n, "$2\r\n%02d\r\n", i);
    CHECK_INT(parse1("MGET with 63 keys", buf, n, 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_MLOOKUP);
    CHECK_INT(r.nargs, PL_PROTO_ARGS_MAX - 1);
    CHECK_SLICE(r.args[62], "63");
}

/* ---- pipelining ------------------------------------------------------- */

typedef struct expect {
    pl_req_type_t type;
    pl_proto_t proto;
    const char *arg0;
} expect_t;

/* Parses the whole stream in a loop, as a connection would with everything
 * already received. Returns the number of requests, stops at 0 or -1. */
static int run_stream(const char *buf, size_t len, pl_req_t *reqs, int max, int *last_rc)
{
    size_t pos = 0, used;
    int n = 0, rc = 0;
    while (n < max && (rc = pl_proto_parse(&reqs[n], buf + pos, len - pos, 0, &used)) == 1) {
        pos += used;
        n++;
    }
    *last_rc = rc;
    return n;
}

/* Feeds the stream one byte at a time into a connection-like buffer that
 * drops what each parse consumed; returns the requests found, with slices
 * rebased to the original stream for comparison. */
static int run_bytewise(const char *stream, size_t len, pl_req_t *reqs, int max, int *last_rc)
{
    char *cbuf = malloc(len + 1);
    size_t have = 0, base = 0; /* cbuf holds stream[base .. base + have) */
    int n = 0, rc = 0;
    for (size_t i = 0; i < len && n < max; i++) {
        cbuf[have++] = stream[i];
        for (;;) {
            size_t used;
            rc = pl_proto_parse(&reqs[n], cbuf, have, 0, &used);
            if (rc == -1)
                goto out;
            if (rc == 1) {
                pl_req_t *q = &reqs[n];
                for (int a = 0; a < q->nargs; a++)
                    if (q->args[a].len)
                        q->args[a].p = stream + base + (size_t)(q->args[a].p - cbuf);
                if (q->store.len)
                    q->store.p = stream + base + (size_t)(q->store.p - cbuf);
                if (q->tag.len)
                    q->tag.p = stream + base + (size_t)(q->tag.p - cbuf);
                n++;
            }
            memmove(cbuf, cbuf + used, have - used);
            have -= used;
            base += used;
            if (rc == 0 || n == max)
                break;
        }
    }
out:
    free(cbuf);
    *last_rc = rc;
    return n;
}

static void test_pipelining(void)
{
    static const char stream[] = "6901234567892\n"
                                 "*2\r\n$3\r\nGET\r\n$13\r\n6901234567892\r\n"
                                 "\r\n"
                                 "GET 6901234567892 store=S1 member\r\n"
                                 "*1\r\n$4\r\nPING\r\n"
                                 "*0\r\n"
                                 "FOO BAR\n"
                                 "*3\r\n$4\r\nMGET\r\n$1\r\na\r\n$1\r\nb\r\n"
                                 "\n\n"
                                 "#t1 PING\n"
                                 "*2\r\n$7\r\nCOMMAND\r\n$4\r\nDOCS\r\n"
                                 "*1\r\n$4\r\nNOPE\r\n"
                                 "VERSION\r\n"
                                 "*2\r\n$4\r\nECHO\r\n$3\r\nx y\r\n"
                                 "A1234\n";
    static const expect_t want[] = {
        {PL_REQ_LOOKUP, PL_PROTO_LINE, "6901234567892"},
        {PL_REQ_LOOKUP, PL_PROTO_RESP, "6901234567892"},
        {PL_REQ_LOOKUP, PL_PROTO_LINE, "6901234567892"},
        {PL_REQ_PING, PL_PROTO_RESP, NULL},
        {PL_REQ_ERROR, PL_PROTO_LINE, NULL},
        {PL_REQ_MLOOKUP, PL_PROTO_RESP, "a"},
        {PL_REQ_PING, PL_PROTO_LINE, NULL},
        {PL_REQ_COMMAND, PL_PROTO_RESP, "DOCS"},
        {PL_REQ_ERROR, PL_PROTO_RESP, NULL},
        {PL_REQ_VERSION, PL_PROTO_LINE, NULL},
        {PL_REQ_ECHO, PL_PROTO_RESP, "x y"},
        {PL_REQ_LOOKUP, PL_PROTO_LINE, "A1234"},
    };
    const int nwant = (int)(sizeof want / sizeof want[0]);
    static pl_req_t whole[32], bytewise[32];
    int rc1, rc2;

    int n1 = run_stream(stream, sizeof stream - 1, whole, 32, &rc1);
    CHECK_INT(n1, nwant);
    CHECK_INT(rc1, 0);
    for (int i = 0; i < n1 && i < nwant; i++) {
        CHECK(whole[i].type == want[i].type && whole[i].proto == want[i].proto,
              "request %d: type %d proto %d, want %d %d", i, whole[i].type, whole[i].proto,
              want[i].type, want[i].proto);
        if (want[i].arg0)
            CHECK(whole[i].nargs >= 1 &&
                      slice_is(whole[i].args[0], want[i].arg0, strlen(want[i].arg0)),
                  "request %d: arg0 \"%s\", want \"%s\"", i, slice_str(whole[i].args[0]),
                  want[i].arg0);
    }
    CHECK_SLICE(whole[2].store, "S1");
    CHECK_INT(whole[2].member, 1);
    CHECK_SLICE(whole[6].tag, "t1");
    CHECK_STR(whole[8].error, "unknown command 'NOPE'");
    printf("pipelined: %d requests parsed from one buffer\n", n1);

    int n2 = run_bytewise(stream, sizeof stream - 1, bytewise, 32, &rc2);
    CHECK_INT(n2, n1);
    CHECK_INT(rc2, 0);
    for (int i = 0; i < n1 && i < n2; i++)
        CHECK(same_req(&whole[i], stream, &bytewise[i], stream),
              "request %d: byte-by-byte feeding gives the same request", i);
    printf("pipelined: %d requests parsed feeding one byte at a time\n", n2);

    /* A framing error ends the stream after the good requests before it. */
    static const char broken[] = "PING\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPINGXX\r\nPING\n";
    n1 = run_stream(broken, sizeof broken - 1, whole, 32, &rc1);
    n2 = run_bytewise(broken, sizeof broken - 1, bytewise, 32, &rc2);
    CHECK_INT(n1, 2);
    CHECK_INT(rc1, -1);
    CHECK_INT(n2, 2);
    CHECK_INT(rc2, -1);
    CHECK_STR(whole[2].error, "protocol error: missing CRLF after bulk string");
    CHECK_STR(bytewise[2].error, "protocol error: missing CRLF after bulk string");
}

/* ---- replies ---------------------------------------------------------- */

/* Checks that out[0..n) is want, and that every smaller cap gives 0. */
#define CHECK_REPLY(call_with_cap, want)                                                           \
    do {                                                                                           \
        char out_[1024];                                                                           \
        size_t cap_ = sizeof out_;                                                                 \
        size_t n_ = (call_with_cap);                                                               \
        CHECK(n_ == sizeof(want) - 1 && memcmp(out_, want, n_) == 0, "got %zu \"%.*s\"", n_,       \
              (int)n_, out_);                                                                      \
        int small_ok_ = 1;                                                                         \
        for (cap_ = 0; cap_ < sizeof(want) - 1; cap_++)                                            \
            if ((call_with_cap) != 0)                                                              \
                small_ok_ = 0;                                                                     \
        CHECK(small_ok_, "every cap below %zu returns 0", sizeof(want) - 1);                       \
        cap_ = sizeof(want) - 1;                                                                   \
        CHECK((call_with_cap) == sizeof(want) - 1, "exact cap %zu fits", cap_);                    \
    } while (0)

static void test_replies(void)
{
    pl_req_t line, tagged, resp;
    size_t u;
    pl_proto_parse(&line, S("PING\n"), 0, &u);
    pl_proto_parse(&tagged, S("#r7 PING\n"), 1, &u);
    pl_proto_parse(&resp, S("*1\r\n$4\r\nPING\r\n"), 0, &u);
    const char json[] = "{\"status\":\"ok\",\"price\":1290}";

    CHECK_REPLY(pl_proto_reply_answer(&line, S(json), out_, cap_),
                "{\"status\":\"ok\",\"price\":1290}\n");
    CHECK_REPLY(pl_proto_reply_answer(&tagged, S(json), out_, cap_),
                "{\"tag\":\"r7\",\"status\":\"ok\",\"price\":1290}\n");
    CHECK_REPLY(pl_proto_reply_answer(&tagged, S("{ }"), out_, cap_), "{\"tag\":\"r7\" }\n");
    CHECK_REPLY(pl_proto_reply_answer(&resp, S(json), out_, cap_),
                "$28\r\n{\"status\":\"ok\",\"price\":1290}\r\n");

    CHECK_REPLY(pl_proto_reply_error(&line, "unknown command 'FOO'", out_, cap_),
                "{\"status\":\"error\",\"error\":\"unknown command 'FOO'\"}\n");
    CHECK_REPLY(pl_proto_reply_error(&tagged, "bad", out_, cap_),
                "{\"tag\":\"r7\",\"status\":\"error\",\"error\":\"bad\"}\n");
    CHECK_REPLY(pl_proto_reply_error(&line, "q\"b\\n\nr\rt\tc\x01\x7f", out_, cap_),
                "{\"status\":\"error\",\"error\":\"q\\\"b\\\\n\\nr\\rt\\tc\\u0001\\u007f\"}\n");
    CHECK_REPLY(
        pl_proto_reply_error(&line, "\xe4\xbb\xb7\xc0\xaf|\xed\xa0\x80|\xe4\xbb|\xf4\x90", out_,
                             cap_),
        "{\"status\":\"error\",\"error\":\"\xe4\xbb\xb7\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
        "\\ufffd\\ufffd|\\ufffd\\ufffd\"}\n");
    CHECK_REPLY(pl_proto_reply_error(&line, "\xf0\x9f\x98\x80", out_, cap_),
                "{\"status\":\"error\",\"error\":\"\xf0\x9f\x98\x80\"}\n");
    CHECK_REPLY(pl_proto_reply_error(&resp, "unknown command 'SET'", out_, cap_),
                "-ERR unknown command 'SET'\r\n");
    CHECK_REPLY(pl_proto_reply_error(&resp, "two\r\nlines", out_, cap_), "-ERR two  lines\r\n");

    CHECK_REPLY(pl_proto_reply_simple(&line, "PONG", out_, cap_), "PONG\n");
    CHECK_REPLY(pl_proto_reply_simple(&tagged, "PONG", out_, cap_), "#r7 PONG\n");
    CHECK_REPLY(pl_proto_reply_simple(&resp, "PONG", out_, cap_), "+PONG\r\n");
    CHECK_REPLY(pl_proto_reply_simple(&resp, "a\nb", out_, cap_), "+a b\r\n");

    CHECK_REPLY(pl_proto_reply_bulk(&resp, S("hi"), out_, cap_), "$2\r\nhi\r\n");
    CHECK_REPLY(pl_proto_reply_bulk(&resp, "", 0, out_, cap_), "$0\r\n\r\n");
    CHECK_REPLY(pl_proto_reply_bulk(&resp, NULL, 0, out_, cap_), "$-1\r\n");
    CHECK_REPLY(pl_proto_reply_bulk(&line, S("pricelane 0.1.0"), out_, cap_), "pricelane 0.1.0\n");
    CHECK_REPLY(pl_proto_reply_bulk(&tagged, S("x"), out_, cap_), "#r7 x\n");

    CHECK_REPLY(pl_proto_reply_array_header(0, out_, cap_), "*0\r\n");
    CHECK_REPLY(pl_proto_reply_array_header(63, out_, cap_), "*63\r\n");

    /* An error from the parser, framed for each protocol. */
    pl_req_t e;
    CHECK_INT(pl_proto_parse(&e, S("#u1 FOO \"x\"\n"), 0, &u), 1);
    CHECK_REPLY(pl_proto_reply_error(&e, e.error, out_, cap_),
                "{\"tag\":\"u1\",\"status\":\"error\",\"error\":\"unknown command 'FOO'\"}\n");
    CHECK_INT(pl_proto_parse(&e, S("*1\r\n$1\r\n+\r\n"), 0, &u), 1);
    CHECK_REPLY(pl_proto_reply_error(&e, e.error, out_, cap_), "-ERR unknown command '+'\r\n");
    CHECK_INT(pl_proto_parse(&e, S("*1\r\n$x"), 0, &u), -1);
    CHECK_REPLY(pl_proto_reply_error(&e, e.error, out_, cap_),
                "-ERR protocol error: invalid bulk length\r\n");
}

/* REPORT: the same words on a line, in a datagram and as RESP arguments;
 * every field checked before the server sees it. */
static void test_report(void)
{
    pl_req_t r;
    size_t u;

    CHECK_INT(parse1("REPORT price, every field",
                     S("#t1 REPORT 6901234567892 id=r-0001 store=S001 lane=L03 cashier=c07 "
                       "kind=price shelf=990\n"),
                     0, &r, &u),
              1);
    CHECK_INT(r.type, PL_REQ_REPORT);
    CHECK_STR(r.error, "");
    CHECK_SLICE(r.args[0], "6901234567892");
    CHECK_SLICE(r.store, "S001");
    CHECK_SLICE(r.report.id, "r-0001");
    CHECK_SLICE(r.report.lane, "L03");
    CHECK_SLICE(r.report.cashier, "c07");
    CHECK_SLICE(r.report.kind, "price");
    CHECK_SLICE(r.report.shelf, "990");
    CHECK_SLICE(r.tag, "t1");

    CHECK_INT(parse1("REPORT no_scan, options first, datagram",
                     S("report kind=NO_SCAN cashier=c1 lane=2 store=S1 id=x A-1234"), 1, &r, &u),
              1);
    CHECK_INT(r.type, PL_REQ_REPORT);
    CHECK_SLICE(r.args[0], "A-1234");
    CHECK_INT(r.report.shelf.len, 0);

    const char resp[] = "*8\r\n$6\r\nREPORT\r\n$13\r\n6901234567892\r\n$4\r\nid=9\r\n"
                        "$10\r\nstore=S001\r\n$6\r\nlane=1\r\n$9\r\ncashier=7\r\n"
                        "$10\r\nkind=price\r\n$9\r\nshelf=100\r\n";
    CHECK_INT(parse1("redis-cli REPORT", S(resp), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_REPORT);
    CHECK_INT(r.proto, PL_PROTO_RESP);
    CHECK_SLICE(r.report.shelf, "100");
    CHECK_SLICE(r.store, "S001");
    CHECK_INT(u, sizeof resp - 1);

    static const struct {
        const char *line, *error;
    } bad[] = {
        {"REPORT 1 store=S lane=L cashier=C kind=name\n", "REPORT needs id="},
        {"REPORT id=1 store=S lane=L cashier=C kind=name\n", "REPORT needs a code"},
        {"REPORT 1 id=1 lane=L cashier=C kind=name\n", "REPORT needs store="},
        {"REPORT 1 id=1 store=S cashier=C kind=name\n", "REPORT needs lane="},
        {"REPORT 1 id=1 store=S lane=L kind=name\n", "REPORT needs cashier="},
        {"REPORT 1 id=1 store=S lane=L cashier=C\n", "REPORT needs kind="},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=price\n",
         "kind=price needs shelf=, the price the customer saw"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=name shelf=5\n",
         "shelf= goes with kind=price only"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=smell\n",
         "unknown kind 'smell' (price, no_scan, name, other)"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=price shelf=-5\n",
         "shelf= must be a price in minor units (digits only), got '-5'"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=price shelf=9.90\n",
         "shelf= must be a price in minor units (digits only), got '9.90'"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=price shelf=0\n",
         "shelf= 0 out of range (1..99999999)"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=price shelf=100000000\n",
         "shelf= 100000000 out of range (1..99999999)"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=price shelf=99999999999999999999999\n",
         "shelf= 99999999999999999999999 out of range (1..99999999)"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=name id=2\n", "more than one id="},
        {"REPORT 1 id= store=S lane=L cashier=C kind=name\n", "empty id="},
        {"REPORT 1 id=a/b store=S lane=L cashier=C kind=name\n",
         "bad id= 'a/b' (A-Z a-z 0-9 _ . : -)"},
        {"REPORT 1 id=1 store=S0123456789012345 lane=L cashier=C kind=name\n",
         "store= longer than 15 bytes"},
        {"REPORT 1 id=1 store=S lane=L0123456789012345 cashier=C kind=name\n",
         "lane= longer than 15 bytes"},
        {"REPORT 1 id=1 store=S lane=L cashier=C0123456789012345678901234567890 kind=name\n",
         "cashier= longer than 31 bytes"},
        {"REPORT 1 id=0123456789012345678901234567890123456789012345678901234567890123 store=S "
         "lane=L cashier=C kind=name\n",
         "id= longer than 63 bytes"},
        {"REPORT 1 2 id=1 store=S lane=L cashier=C kind=name\n",
         "REPORT takes one code, got '2' too"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=name member\n",
         "REPORT takes one code, got 'member' too"},
        {"REPORT 1 id=1 store=S lane=L cashier=C kind=name why=x\n", "unknown option 'why=x'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_INT(parse1(bad[i].line, bad[i].line, strlen(bad[i].line), 0, &r, &u), 1);
        CHECK_INT(r.type, PL_REQ_ERROR);
        CHECK_STR(r.error, bad[i].error);
    }

    /* RESP: no blank or control byte inside an argument; no tag=. */
    const char sp[] = "*7\r\n$6\r\nREPORT\r\n$1\r\n1\r\n$6\r\nid=1 2\r\n$7\r\nstore=S\r\n"
                      "$6\r\nlane=L\r\n$9\r\ncashier=C\r\n$9\r\nkind=name\r\n";
    CHECK_INT(parse1("RESP REPORT, blank in an argument", S(sp), 0, &r, &u), 1);
    CHECK_INT(r.type, PL_REQ_ERROR);
    CHECK_STR(r.error, "byte 0x20 in REPORT argument 2");
    const char tg[] = "*8\r\n$6\r\nREPORT\r\n$1\r\n1\r\n$4\r\nid=1\r\n$7\r\nstore=S\r\n"
                      "$6\r\nlane=L\r\n$9\r\ncashier=C\r\n$9\r\nkind=name\r\n$5\r\ntag=x\r\n";
    CHECK_INT(parse1("RESP REPORT with tag=", S(tg), 0, &r, &u), 1);
    CHECK_STR(r.error, "unknown option 'tag=x'");
}

static void test_split_key(void)
{
    pl_slice_t st, code;
    pl_proto_split_key((pl_slice_t){S("S001:6901234567892")}, &st, &code);
    CHECK_SLICE(st, "S001");
    CHECK_SLICE(code, "6901234567892");
    pl_proto_split_key((pl_slice_t){S("6901234567892")}, &st, &code);
    CHECK_INT(st.len, 0);
    CHECK_SLICE(code, "6901234567892");
    pl_proto_split_key((pl_slice_t){S(":123")}, &st, &code);
    CHECK_INT(st.len, 0);
    CHECK_SLICE(code, "123");
    pl_proto_split_key((pl_slice_t){S("a:b:123")}, &st, &code);
    CHECK_SLICE(st, "a:b");
    CHECK_SLICE(code, "123");
    printf("split_key: store:code at the last ':'\n");
}

int main(void)
{
    test_line_forms();
    test_line_fast_form();
    test_line_blank();
    test_line_errors();
    test_line_limits();
    test_datagram();
    test_resp_forms();
    test_resp_errors();
    test_resp_limits();
    test_pipelining();
    test_replies();
    test_split_key();
    test_report();
    return pl_test_done("test_proto");
}
