/* Internals of `pricelane-bench run` shared by its files (run.c: options and
 * report; loop.c: the per-thread event loops). */
#pragma once
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "keys.h"
#include "proto_clients.h"

typedef struct run_opts {
    struct sockaddr_in addr;
    const char *server;
    bp_proto_t proto;
    const char *target; /* "pricelaned", "redis", "memcached", "echo" */
    int kv, echo, check;
    int conns, depth, threads;
    double rate;                             /* total requests/s; 0 = closed loop */
    double duration, warmup, timeout, drain; /* seconds */
    pl_keymix_t mix;
    const char *keys_path;
    int json;
    const char *label;
} run_opts_t;

typedef struct run_stats {
    uint64_t sent;     /* requests whose (intended) send time is in the window */
    uint64_t answered; /* of those, answered (checked or not) */
    uint64_t checks[BC_COUNT];
    uint64_t lost;   /* UDP: no answer within the timeout; TCP: none before the end */
    uint64_t late;   /* UDP answers after their timeout (ignored) */
    uint64_t unsent; /* open loop: intended sends the client never made */
    uint64_t conn_errors;
    pl_hist_t hist; /* latency, ns */
} run_stats_t;

typedef struct run_ctx {
    const run_opts_t *o;
    const pl_keys_t *keys;
    uint64_t t0, t_warm, t_end, t_stop; /* CLOCK_MONOTONIC ns */
} run_ctx_t;

typedef struct run_worker run_worker_t;

/* Creates a worker with connections [first, first + n) of opts (connects
 * them). Returns NULL after printing why. */
run_worker_t *run_worker_new(const run_ctx_t *ctx, int id, int first, int n, const uint32_t *seq,
                             size_t seqlen);
/* Runs the worker's loop until ctx->t_stop; thread entry point. */
void *run_worker_main(void *w);
const run_stats_t *run_worker_stats(const run_worker_t *w);
void run_worker_free(run_worker_t *w);

uint64_t run_now_ns(void);
