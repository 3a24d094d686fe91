/* answer(): from one parsed request to its reply bytes. Knows nothing of
 * sockets, engines or connections: both engines, UDP and TCP, call it, and a
 * test can call it with bytes alone.
 *
 * A worker's answer context holds its resolver and its stats. The read
 * snapshot follows the resolver's rule (pricelane/resolve.h): the first
 * lookup after answer_batch_begin() or answer_stale() takes a new one, so a
 * request always sees every batch committed before it was received;
 * answer_idle() releases it before the worker waits.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "pricelane/cit.h"
#include "pricelane/memo.h"
#include "pricelane/proto.h"
#include "pricelane/resolve.h"
#include "pricelane/stats.h"

typedef struct answer_ctx {
    pl_resolver_t *res;
    pl_stats_t *stats;
    pl_memo_t *memo;    /* finished answers; NULL = off */
    const char *store;  /* default store ("" = chain-wide); owned by the caller */
    int64_t now;        /* seconds since the epoch for this batch */
    int64_t started_at; /* server start (INFO uptime) */
    unsigned lat_tick;  /* requests seen: the latency histogram samples some */
    uint64_t followed, flushes; /* the resolver's change counters, as last counted */
    const policy_t *pol;        /* the worker's policy: price checkers' layout and prefixes */
    pl_cit_conv_t *cit_gb18030; /* this thread's converter for GB18030 devices; NULL: none */
    char json[4096];    /* scratch for one JSON answer */
} answer_ctx_t;

enum answer_flags {
    ANSWER_CLOSE = 1, /* close the connection once this reply is sent (QUIT) */
};

/* Starts a batch: the snapshot is stale (the next lookup takes a new one);
 * `now` is the instant promotions and scheduled prices are evaluated at. */
void answer_batch_begin(answer_ctx_t *ax, int64_t now);

/* Requests were read after the batch began (engines that read one socket at
 * a time, libuv): the next lookup takes a new snapshot, so a request is
 * never answered from a snapshot older than the read that brought it. */
void answer_stale(answer_ctx_t *ax);

/* Releases the read snapshot (before an idle wait). */
void answer_idle(answer_ctx_t *ax);

/* Writes the reply to req into out[0..cap). `sp` is the stats protocol
 * (PL_SP_UDP, PL_SP_TCP or PL_SP_RESP). Returns the reply length, or 0 when
 * cap is too small: nothing is counted then, and the caller may retry with a
 * larger buffer. *flags receives answer_flags. */
size_t answer(answer_ctx_t *ax, const pl_req_t *req, int sp, char *out, size_t cap, int *flags);

/* Reply for a request the parser could not frame (pl_proto_parse() < 0):
 * the error reply, counted as bad_request. Same return convention. */
size_t answer_fatal(answer_ctx_t *ax, const pl_req_t *req, int sp, const char *msg, char *out,
                    size_t cap);

/* Every price checker screen fits in this many bytes. */
#define CIT_SCREEN_MAX PL_CIT_OUT_MAX

/* The screen for one request line from a price checker (NQuire CIT; the
 * line without its break) for device dev, under the policy's layout: the
 * answer at the batch's instant, with the member price when there is one,
 * or a screen saying what is wrong with the line. `sp` is PL_SP_CIT_UDP or
 * PL_SP_CIT_TCP. Same return convention as answer(). */
size_t answer_cit(answer_ctx_t *ax, const cit_device_t *dev, const char *line, size_t len, int sp,
                  char *out, size_t cap);
/* A screen saying msg (a stream that cannot go on), counted as bad_request. */
size_t answer_cit_fatal(answer_ctx_t *ax, const cit_device_t *dev, const char *msg, int sp,
                        char *out, size_t cap);
