/* A worker: one thread, one engine instance, its sockets, its resolver and
 * answer context, its connections (tcp.h), its UDP rate limiter and its
 * stats. Everything here is the worker's own; what it shares with the
 * control thread is in crew_t, read only as described there.
 *
 * A worker's life: worker_init (on the control thread), then its thread
 * runs worker_run: the engine loop, which calls worker_batch_begin at the
 * start of each batch of events, worker_stop_requested / worker_drain to
 * stop, and the UDP and TCP rules for each event. worker_free at the end.
 */
#pragma once
#include <pthread.h>
#include <stdint.h>

#include "answer.h"
#include "engine.h"
#include "policy.h"
#include "pricelane/cache.h"
#include "pricelane/catalog.h"
#include "pricelane/config.h"
#include "pricelane/resolve.h"
#include "pricelane/stats.h"
#include "pricelane/timefmt.h"
#include "ratelimit.h"
#include "rwriter.h"
#include "tcp.h"

/* What the workers share with the control thread. The control thread writes
 * `policy` under policy_mu and then bumps policy_seq; it sets `stopping`
 * once. A worker reads nothing else of it but the engine and the ready and
 * wake bookkeeping under their mutexes. */
typedef struct crew {
    const engine_t *engine;
    int stopping; /* atomic: stop requested */
    pthread_mutex_t policy_mu;
    policy_t policy;     /* under policy_mu */
    unsigned policy_seq; /* atomic */
    pthread_mutex_t wake_mu;
    pthread_mutex_t ready_mu;
    pthread_cond_t ready_cv;
    int nready, nfailed; /* under ready_mu */
} crew_t;

typedef struct worker {
    int id;
    crew_t *crew;
    pthread_t thread;
    int udp_fd[PORT__COUNT], tcp_fd[PORT__COUNT]; /* -1: none (not configured, or closed) */
    unsigned udp_buffers; /* receive buffers (io_uring) or queued replies (libuv) */
    pl_resolver_t *res;
    pl_stats_t stats;
    answer_ctx_t ax;
    policy_t pol; /* this worker's copy, renewed at a batch when it changed */
    unsigned pol_seq;
    ratelimit_t rl;
    tcp_t tcp;
    int draining;
    int64_t now_ms; /* CLOCK_MONOTONIC, refreshed per batch */
    void *eng;      /* engine-private state */
    int failed;     /* set when the worker stopped on an error */
    int exited;     /* set (atomically) when its run function has returned */
    int alive;      /* under crew->wake_mu: its wake handle may be used */
    /* Reports (rwriter.h): the writer (NULL: reports off), the charge
     * policy, the outcomes handed back (under box_mu, filled by the writer's
     * thread), and when the keyed counts go to the writer next. */
    rwriter_t *rw;
    int report_charge;
    pthread_mutex_t box_mu;
    report_job_t *box;
    int64_t keyed_flush_ms;
} worker_t;

/* Monotonic clock in milliseconds. */
static inline int64_t mono_ms(void)
{
    return pl_time_mono_ns() / 1000000;
}

/* Sets up worker id of nworkers: connection table, rate limiter, resolver
 * over cat (cache: shared, or NULL), memo, answer context. 0 or a negative
 * code; worker_free undoes what was done. */
int worker_init(worker_t *w, crew_t *crew, int id, int nworkers, const pl_config_t *cfg,
                pl_cat_t *cat, pl_cache_t *cache, int64_t started_at);
void worker_free(worker_t *w);
/* Closes the worker's UDP sockets and TCP listeners of every port that are
 * open and marks them all -1 (none). Connections are left alone. Also done
 * by worker_free. */
void worker_close_sockets(worker_t *w);

/* The thread's body: the engine's loop. Sets failed and exited. */
void worker_run(worker_t *w);

/* Starts a batch of events: stamps the time, copies the policy if it
 * changed, starts the answer context's batch (answer.h: the snapshot). */
void worker_batch_begin(worker_t *w);
/* 1 once a stop was requested and the worker is not draining yet. */
int worker_stop_requested(const worker_t *w);
/* Starts draining: no new connections or datagrams; connections finish
 * within the policy's drain timeout. The engine stops its listeners. */
void worker_drain(worker_t *w);

/* Connects the worker to the report writer rw (before its thread starts):
 * REPORT requests go there, keyed lookups are counted. 0 or -ENOMEM. */
int worker_reports(worker_t *w, rwriter_t *rw, int charge);
/* The writer's callback (rwriter_deliver_fn): queues a finished job for
 * its worker and wakes it. Any thread. */
void worker_report_deliver(void *owner, report_job_t *job);
/* On a wake and once a second (the engines call it): replies to the
 * reports the writer has finished, and hands the keyed counts to the
 * writer once a second. */
void worker_poll(worker_t *w);

/* Called by the engine once set up (ok = 1) or failed to (ok = 0). */
void worker_report_ready(worker_t *w, int ok);
/* Marks the worker's wake handle usable (1) or about to go away (0). */
void worker_set_alive(worker_t *w, int alive);
/* Wakes a worker (stop or reload) if it is still running. Thread-safe. */
void worker_wake(worker_t *w);

/* UDP, shared by both engines. Datagram buffers are UDP_BUF_SIZE bytes; with
 * io_uring the kernel puts a header and the source address in front of the
 * payload, so both engines accept at most UDP_PAYLOAD_MAX payload bytes and
 * drop longer datagrams as truncated. */
#define UDP_BUF_SIZE 2048
#define UDP_NAME_SIZE 28 /* sizeof(struct sockaddr_in6) */
#define UDP_PAYLOAD_MAX (UDP_BUF_SIZE - 16 - UDP_NAME_SIZE)
#define UDP_REPLY_MAX 4096

/* Allowlist and rate limit for a datagram from sa; counts the drop and
 * returns 0 when it must not be answered. */
int udp_admit(worker_t *w, const struct sockaddr *sa);
/* The reply to one datagram from sa on port `kind` into out[cap]; 0 =
 * nothing to send now (a blank datagram; a reply that does not fit:
 * counted; a REPORT handed to the report writer: its reply goes out from
 * worker_poll once it is on disk). */
size_t udp_answer(worker_t *w, int kind, const struct sockaddr *sa, const char *p, size_t len,
                  char *out, size_t cap);
/* Where the reply to a datagram from sa on port `kind` goes: sa, or for a
 * price checker its configured reply port (cit_reply_port). */
void udp_reply_to(const worker_t *w, int kind, struct sockaddr *sa);
/* 1 while any of the worker's listening sockets is open. */
int worker_has_listeners(const worker_t *w);
