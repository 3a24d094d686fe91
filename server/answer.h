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
#include "pricelane/report.h"
#include "pricelane/resolve.h"
#include "pricelane/stats.h"

typedef struct keyed_tab keyed_tab_t;

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
    keyed_tab_t *keyed;         /* keyed lookups counted since the last flush; NULL: off */
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

/* Takes the read snapshot if the rule calls for one (resolve.h), and
 * counts it: what every lookup does first. */
void answer_snapshot(answer_ctx_t *ax);

/* ---- the lane's exception log (answer_report.c) ------------------------- */

/* What a lane charges on a price disagreement (setting report_charge). */
enum report_charge { REPORT_CHARGE_LOWER = 0, REPORT_CHARGE_SHELF, REPORT_CHARGE_SYSTEM };

/* Makes a REPORT request (PL_REQ_REPORT) into a report record at the
 * batch's instant: the item the code names at its store, the system price,
 * the charge under policy `charge` and the refund; the cause is left
 * unknown for the writer to settle. 0, or the request outcome (PL_SS_*)
 * with err saying why it is refused (unknown store, bad code, catalogue
 * error): nothing is to be recorded then. */
int answer_report_prepare(answer_ctx_t *ax, const pl_req_t *req, int charge, pl_report_t *r,
                          char *err, size_t errlen);
/* The reply to a recorded report r (the first record of its id when retry
 * is 1) framed for req's protocol and tag. Same return convention as
 * answer(); nothing is counted. */
size_t answer_report_reply(answer_ctx_t *ax, const pl_req_t *req, const pl_report_t *r, int retry,
                           char *out, size_t cap);

/* Keyed lookups: a lookup answered ok for a keyed item code of an item
 * that has barcodes is counted per (local day, store, item) in the worker's
 * table (ax->keyed), which the worker hands to the report writer. */
int keyed_tab_new(keyed_tab_t **out);
void keyed_tab_free(keyed_tab_t *k);
/* Counts json (an ok lookup answer for store) when it is such a lookup. */
void answer_keyed_note(answer_ctx_t *ax, const char *store, const char *json, size_t len);
/* The counts since the last take (valid until the next call), and empties
 * the table. */
size_t keyed_tab_take(keyed_tab_t *k, const pl_keyed_count_t **out);
