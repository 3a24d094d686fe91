/* pricelaned internals shared by main, the two I/O engines and the control
 * plane. Not a public header.
 *
 * Threads: the main thread runs the control loop (libuv: signals, admin
 * HTTP); each worker thread owns one engine instance, its sockets, its
 * resolver, its cache handle, its connections and its stats. The only state
 * a worker reads from outside is `srv->stopping` (atomic) and the reloadable
 * policy, copied under `policy_mu` when `policy_seq` changes.
 */
#pragma once
#include <pthread.h>
#include <stdint.h>

#include "answer.h"
#include "conn.h"
#include "pricelane/cache.h"
#include "pricelane/catalog.h"
#include "pricelane/config.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "pricelane/stats.h"
#include "pricelane/timefmt.h"
#include "ratelimit.h"

#ifndef PL_VERSION
#define PL_VERSION "0.0.0"
#endif

typedef enum engine_kind { ENGINE_URING = 0, ENGINE_UV = 1 } engine_kind_t;

/* Settings a worker applies without a restart (SIGHUP). */
typedef struct policy {
    pl_allow_t allow;
    int udp_rate, udp_burst;
    int64_t idle_timeout_ms;
    int64_t drain_timeout_ms;
    size_t max_output;
    uint32_t per_source; /* max_connections_per_source, whole server (0: none) */
    char store[PL_CFG_STORE_MAX];
} policy_t;

typedef struct server server_t;

typedef struct worker {
    int id;
    server_t *srv;
    pthread_t thread;
    int udp_fd, tcp_fd;
    pl_resolver_t *res;
    pl_cache_t *cache; /* srv->cache */
    pl_stats_t stats;
    answer_ctx_t ax;
    policy_t pol;
    unsigned pol_seq;
    ratelimit_t rl;
    uint32_t conn_limit;   /* open TCP connections at most (conns.cap - ADMIT_RESERVE) */
    uint8_t admit_key[16]; /* the address tcp_admit last let in */
    conn_table_t conns;
    size_t max_request;
    int draining;
    int64_t drain_deadline_ms;
    int64_t now_ms; /* CLOCK_MONOTONIC, refreshed per batch */
    void *eng;      /* engine-private state */
    int failed;     /* set when the worker stopped on an error */
    int exited;     /* set (atomically) when its run function has returned */
    int alive;      /* under srv->wake_mu: its wake handle may be used */
} worker_t;

struct server {
    pl_config_t cfg;
    char config_path[PL_CFG_PATH_MAX];
    char **argv; /* for SIGHUP: the flags are applied again over the file */
    int argc;
    pl_cat_t *cat;
    pl_cache_t *cache; /* shared by every worker; NULL = off */
    engine_kind_t engine;
    int nworkers;
    worker_t *workers;
    int stopping; /* atomic: SIGTERM received */
    pthread_mutex_t policy_mu;
    policy_t policy; /* under policy_mu */
    unsigned policy_seq; /* atomic */
    pthread_mutex_t wake_mu;
    pthread_mutex_t ready_mu;
    pthread_cond_t ready_cv;
    int nready, nfailed; /* under ready_mu */
    pl_addr_t bound;     /* the data port (UDP and TCP share it) */
    pl_addr_t admin_bound;
    int64_t started_at;  /* realtime seconds */
};

/* Monotonic clock in milliseconds. */
static inline int64_t mono_ms(void)
{
    return pl_time_mono_ns() / 1000000;
}

/* Fills a policy from a configuration. */
void policy_from_config(policy_t *p, const pl_config_t *c);

/* Worker side: copies the policy if it changed, notices a stop request,
 * stamps the batch time. Call at the start of each batch of completions. */
void worker_batch_begin(worker_t *w);

/* Marks the worker's wake handle usable (1) or about to go away (0). */
void worker_set_alive(worker_t *w, int alive);
/* Wakes a worker (stop or reload) if it is still running. Thread-safe. */
void worker_wake(worker_t *w);

/* Called by a worker when it is set up (ok = 1) or failed to (ok = 0). */
void worker_report_ready(worker_t *w, int ok);

/* The engines. Each runs the worker loop until the worker has drained after
 * a stop request; returns 0, or a negative code on a fatal error. */
int uring_worker_run(worker_t *w);
int uv_worker_run(worker_t *w);
/* Wakes a worker blocked in its loop (stop or reload). Thread-safe. */
void uring_worker_wake(worker_t *w);
void uv_worker_wake(worker_t *w);
/* 0 when io_uring with the features the engine needs is usable here, else
 * the negative errno that refused it. */
int uring_probe(unsigned nbufs);

/* Startup and teardown of everything but the threads: catalogue, engine
 * choice, workers (resolver, cache handle, connection table), sockets.
 * Returns 0 or a negative code with err set; teardown undoes what was done. */
int server_setup(server_t *srv, char *err, size_t errlen);
void server_teardown(server_t *srv);
/* Sums the workers' stats (and their cache handles' counters) into *sum. */
void server_collect(server_t *srv, pl_stats_t *sum);

/* Sockets: binds every worker's UDP socket and TCP listener on the listen
 * address (SO_REUSEPORT, one shared port even when the port asked for is 0).
 * Returns 0 or a negative code with err set. */
int net_bind_workers(server_t *srv, char *err, size_t errlen);

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
/* Allowlist, per-source cap and table limit for a new TCP connection from
 * sa (server/admit.h). Returns 1 to serve it; else counts the refusal by
 * reason and returns 0. *evict: a connection the caller must close first
 * (PL_ST_TCP_CLOSED_EVICTED), or NULL. self: the newcomer's slot when the
 * engine took one before accepting (its src is set), else NULL (the
 * address is kept in w->admit_key for the slot the engine opens next). */
int tcp_admit(worker_t *w, const struct sockaddr *sa, conn_t *self, conn_t **evict);
/* The reply to one datagram into out[cap]; 0 = nothing to send (a blank
 * datagram, or a reply that does not fit: counted). */
size_t udp_answer(worker_t *w, const char *p, size_t len, char *out, size_t cap);
