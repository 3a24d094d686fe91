/* The load generator's side of each wire protocol: encode one lookup, frame
 * and parse one reply, check the reply against the code that was asked.
 *
 * Nothing here does I/O or allocates; the event loops in run.c call it.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "keys.h"

typedef enum bp_proto {
    BP_LINE_UDP = 0, /* pricelaned line protocol, one datagram, tagged "#<id> <code>" */
    BP_LINE_TCP,     /* pricelaned line protocol, bare code + "\n" */
    BP_RESP,         /* RESP2 GET <code> (pricelaned or Redis) */
    BP_MC_TCP,       /* memcached text "get <code>\r\n" */
    BP_MC_UDP,       /* the same over UDP with memcached's 8-byte frame header */
    BP_CIT_UDP,      /* a price checker (NQuire CIT): code + CR LF, a screen back, no id */
    BP_COUNT
} bp_proto_t;

/* "line-udp", "line-tcp", "resp", "mc-tcp", "mc-udp", "cit-udp" (also
 * "udp", "tcp", "redis", "memcached"); -1 if unknown. */
int bp_parse_name(const char *s);
const char *bp_name(bp_proto_t p);
static inline int bp_is_udp(bp_proto_t p)
{
    return p == BP_LINE_UDP || p == BP_MC_UDP || p == BP_CIT_UDP;
}
/* Replies carry the request's id; without one (cit-udp) a socket keeps one
 * request in flight and its reply is the next datagram. */
static inline int bp_has_ids(bp_proto_t p)
{
    return p != BP_CIT_UDP;
}
/* Key-value protocols (Redis, memcached) answer a missing key with nil. */
static inline int bp_is_kv(bp_proto_t p)
{
    return p == BP_MC_TCP || p == BP_MC_UDP;
}

/* Longest request encode() writes. */
#define BP_REQ_MAX 300

/* Encodes a lookup of code[0..len) with request id `id` (used by UDP only)
 * into out (at least BP_REQ_MAX bytes). Returns its length. */
size_t bp_encode(bp_proto_t p, const char *code, size_t len, uint32_t id, char *out);

typedef enum bp_kind {
    BR_VALUE = 0, /* a JSON answer (line) or a value (RESP bulk, memcached VALUE) */
    BR_NIL,       /* RESP $-1, memcached END without VALUE */
    BR_ERROR,     /* an error reply: RESP '-', memcached ERROR/CLIENT_ERROR/SERVER_ERROR */
    BR_OTHER,     /* a well-framed reply of another kind (RESP +, :, *) */
} bp_kind_t;

typedef struct bp_reply {
    bp_kind_t kind;
    const char *val; /* BR_VALUE: the JSON answer (no newline) */
    size_t val_len;
    uint32_t id; /* UDP: the request id the reply carries */
    int has_id;
} bp_reply_t;

/* Frames one reply from buf[0..len): stream (datagram = 0) or one whole
 * datagram (datagram = 1). Returns the bytes it spans (> 0) with *r filled,
 * 0 if more bytes are needed (streams only), or -1 if the bytes cannot be a
 * reply of this protocol (the connection cannot go on). */
long bp_parse(bp_proto_t p, const char *buf, size_t len, int datagram, bp_reply_t *r);

typedef enum bp_check {
    BC_OK = 0,
    BC_STATUS,   /* the answer's status is not the one expected for the code */
    BC_CODE,     /* the answer is for another code */
    BC_ERROR,    /* an error reply */
    BC_NIL,      /* nil for a code that is there, or a value for one that is not */
    BC_PROTOCOL, /* not a JSON answer / not a reply of the expected kind */
    BC_COUNT
} bp_check_t;

extern const char *const bp_check_names[BC_COUNT];

/* Checks reply r to a lookup of code[0..len) of kind `kind`. On the line
 * protocol and RESP to pricelaned a missing code is a "not_found" answer;
 * from Redis and memcached (kv = 1) it is nil. `echo`: every code is
 * expected "ok" (the calibration echo server knows no catalogue). */
bp_check_t bp_check(const bp_reply_t *r, const char *code, size_t len, pl_key_kind_t kind, int kv,
                    int echo);

/* Reads the string field `name` ("status", "code", ...) of a one-line JSON
 * answer: a pointer into json and its length; NULL if absent. Only for the
 * flat objects pricelaned writes (no nesting, no escaped quotes in values
 * that matter here). */
const char *bp_json_str(const char *json, size_t len, const char *name, size_t *out_len);
/* Reads the integer field `name`; returns 0 and *v, or -1 (absent or null). */
int bp_json_int(const char *json, size_t len, const char *name, int64_t *v);
