/* Wire protocols: the line protocol (UDP and TCP) and a RESP2 subset (TCP),
 * served on the same port. The parser is pure and resumable: it never
 * allocates, never blocks, and is a fuzz target. docs/protocol.md is the spec.
 *
 * Line protocol: one request per line ('\n', optional '\r' before it) on TCP,
 * or per datagram on UDP (a trailing newline is optional):
 *   <code>                           a bare code, as scanners send
 *   GET <code> [store=S] [member] [tag=T]
 *   PING | VERSION | QUIT (QUIT: TCP only)
 *   REPORT <code> id=I store=S lane=L cashier=C kind=K [shelf=P] [tag=T]
 * Words are separated by spaces or tabs; command and option names are
 * case-insensitive. A line of one word that is not a command is a code (keyed
 * item codes may start with a letter); a line of several words must start
 * with a command, else it is "unknown command 'X'". Control bytes (other than
 * tab, and GS 0x1d: the separator of GS1 element strings in a 2D code) make
 * the request an error.
 * Any line request may start with "#<tag> " (tag: 1..32 bytes of
 * [A-Za-z0-9_.:-]); the tag is echoed in the reply so retries over UDP can be
 * matched.
 * RESP2 (detected on TCP when the first byte of a request is '*'; arrays of
 * bulk strings only, lengths without sign or leading zero, CRLF required):
 *   GET <code> | GET <store>:<code> | MGET k1 k2 ... | PING [msg] | ECHO msg |
 *   INFO [section...] | QUIT | COMMAND [...] | HELLO [2 ...]  (HELLO 3 → error)
 *   REPORT <code> id=I store=S ...  (the words of the line form, one per argument)
 * Command names are case-insensitive; any other command is a PL_REQ_ERROR
 * "unknown command 'X'", a wrong argument count "wrong number of arguments
 * for 'get' command". An empty array "*0\r\n" is skipped like a blank line.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define PL_PROTO_LINE_MAX 512  /* longest line request, bytes incl. newline */
#define PL_PROTO_ARGS_MAX 64   /* most RESP arguments (MGET keys + 1) */
#define PL_PROTO_BULK_MAX 512  /* longest RESP bulk string */
/* Longest RESP request ("*64\r\n" + 64 × "$512\r\n<512 bytes>\r\n"): a stream
 * input buffer must hold at least this many bytes, or a full-size request
 * can never complete. */
#define PL_PROTO_SHELF_MAX 99999999 /* highest shelf price a REPORT may give, minor units */
#define PL_PROTO_REQ_MAX (5 + PL_PROTO_ARGS_MAX * (6 + PL_PROTO_BULK_MAX + 2))

typedef enum pl_proto {
    PL_PROTO_LINE = 0,
    PL_PROTO_RESP = 1,
} pl_proto_t;

typedef enum pl_req_type {
    PL_REQ_LOOKUP = 1, /* one code: args[0] = code */
    PL_REQ_MLOOKUP,    /* RESP MGET: args[0..nargs) = keys */
    PL_REQ_PING,       /* args[0] = optional message (RESP) */
    PL_REQ_ECHO,       /* args[0] = message */
    PL_REQ_VERSION,
    PL_REQ_INFO,
    PL_REQ_QUIT,
    PL_REQ_COMMAND, /* RESP COMMAND [...]: answered with an empty array */
    PL_REQ_HELLO,   /* RESP HELLO [2] */
    PL_REQ_REPORT,  /* REPORT: args[0] = code, store and report fields set */
    PL_REQ_ERROR,   /* malformed or unknown: error[] says why; reply with it */
} pl_req_type_t;

typedef struct pl_slice {
    const char *p;
    size_t len;
} pl_slice_t;

/* A parsed request. Slices point into the caller's buffer and stay valid
 * while that buffer is unchanged. */
typedef struct pl_req {
    pl_req_type_t type;
    pl_proto_t proto;
    int nargs;
    pl_slice_t args[PL_PROTO_ARGS_MAX];
    pl_slice_t store; /* line: store=S; RESP GET "S:code" puts S here */
    pl_slice_t tag;   /* line: "#tag " prefix or tag=T; empty if none */
    int member;       /* line: the "member" flag */
    /* REPORT (checked by the parser: each present, of its charset and
     * length; kind a known one; shelf digits only, iff kind is price). */
    struct {
        pl_slice_t id, lane, cashier, kind, shelf;
    } report;
    char error[96];   /* PL_REQ_ERROR: what is wrong, e.g. "line longer than 512 bytes" */
} pl_req_t;

/* Parses one request from buf[0..len), a TCP stream (datagram = 0) or one
 * whole UDP datagram (datagram = 1, always line protocol).
 * Returns:
 *   1  a request is in *req; *used = bytes consumed (including its newline).
 *      A malformed but delimited request is returned as PL_REQ_ERROR with
 *      *used covering it, so the stream continues after it.
 *   0  more bytes are needed (only for streams); *used = 0, or the length of
 *      the blank lines skipped before the partial request, which the caller
 *      may drop (ignoring *used here is also correct: they are skipped again).
 *      For a datagram, 0 means it held no request (empty or blank): drop it.
 *  -1  the stream is unrecoverable (e.g. RESP framing error, line over
 *      PL_PROTO_LINE_MAX without a newline): req->error says why and
 *      req->proto says how to frame it; the caller sends the error and
 *      closes the connection. *used = 0.
 * Empty lines (also lines of blanks only) are skipped (consumed, and parsing
 * continues). The result never depends on how the bytes were split: feeding
 * a request in pieces gives 0 until it is complete, then what the whole
 * buffer gives. A datagram is one request: a newline inside it (other than
 * trailing ones) is a PL_REQ_ERROR. req->args beyond nargs are left as they
 * were. */
int pl_proto_parse(pl_req_t *req, const char *buf, size_t len, int datagram, size_t *used);

/* Reply framing. Each writes into out[0..cap) and returns the number of bytes
 * written, or 0 if cap is too small (nothing usable written).
 *  pl_proto_reply_answer: one JSON answer (json[0..len), no newline) as the
 *    protocol wants it: line → json + "\n" (with the tag spliced in as the
 *    first member, {"tag":"T",...}, when req->tag is set); RESP → bulk string.
 *  pl_proto_reply_error: line → {"status":"error","error":"<msg>"}\n
 *    (escaped, with tag); RESP → "-ERR <msg>\r\n".
 *  pl_proto_reply_simple: line → text + "\n" ("#T text\n" when req->tag is
 *    set); RESP → "+text\r\n" (PING → PONG). CR/LF in text become spaces.
 *  pl_proto_reply_bulk: RESP → "$len\r\n" s "\r\n" (ECHO, PING msg, INFO,
 *    HELLO fields), s == NULL → "$-1\r\n"; line → like reply_simple.
 *  pl_proto_reply_array_header: RESP "*n\r\n" (MGET replies, COMMAND → *0).
 * JSON strings are escaped (quotes, backslash, control bytes) and bytes that
 * are not valid UTF-8 become U+FFFD, so a line reply is always valid JSON. */
size_t pl_proto_reply_answer(const pl_req_t *req, const char *json, size_t len, char *out,
                             size_t cap);
size_t pl_proto_reply_error(const pl_req_t *req, const char *msg, char *out, size_t cap);
size_t pl_proto_reply_simple(const pl_req_t *req, const char *text, char *out, size_t cap);
size_t pl_proto_reply_bulk(const pl_req_t *req, const char *s, size_t len, char *out, size_t cap);
size_t pl_proto_reply_array_header(size_t n, char *out, size_t cap);

/* Splits a RESP key "S:code" at its last ':' into store S and code; a key
 * without ':' is all code (store empty). Slices point into key. MGET keys are
 * passed to the caller unsplit: split each with this. */
void pl_proto_split_key(pl_slice_t key, pl_slice_t *store, pl_slice_t *code);
