/* The report writer: the one thread that writes the report store
 * (pricelane/report.h). Workers hand it reports and keyed counts and never
 * wait for it; it settles each report's provisional cause from the
 * catalogue, commits them in groups (one disk sync per group) and hands each
 * outcome back to the worker that sent it, which replies then.
 *
 * Threads: rwriter_submit and rwriter_keyed are called by the workers
 * (thread-safe, never blocking on the disk: a short mutex section); the
 * deliver callback runs on the writer's thread; rwriter_stop on the control
 * thread after the workers have stopped.
 */
#pragma once
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pricelane/catalog.h"
#include "pricelane/report.h"
#include "pricelane/stats.h"

/* One report on its way: what the worker needs to reply, and the outcome. */
typedef struct report_job {
    struct report_job *next;
    pl_report_t r;
    /* Outcome, set by the writer: rc 0 and put, or rc < 0 (not recorded). */
    int rc;
    pl_report_put_t put;
    /* The reply's destination, the worker's own business. */
    void *owner;   /* the worker */
    uint8_t proto; /* pl_proto_t of the request */
    uint8_t sp;    /* stats protocol (PL_SP_*) */
    uint8_t udp;   /* 1: a datagram from peer; 0: TCP connection slot/gen */
    uint8_t port;  /* enum port_kind */
    uint32_t slot, gen;
    struct sockaddr_storage peer;
    char tag[33];
} report_job_t;

typedef struct rwriter rwriter_t;

/* Called on the writer's thread with each finished job; the callee owns it
 * (frees it with free()). */
typedef void (*rwriter_deliver_fn)(void *owner, report_job_t *job);

/* Starts the writer on an open report store (taken over: closed by
 * rwriter_stop) and the catalogue (read for the causes). covered: the
 * store was opened PL_REPORTS_WRITE_COVERED (a commit's jobs are handed
 * back once a later flush covers it, never before). queue: jobs waiting at
 * most; group: jobs in one commit at most; linger_ns: how long a group
 * short of `group` waits for more before its commit (0: none).
 * 0 or a negative code. */
int rwriter_start(pl_reports_t *store, int covered, pl_cat_t *cat, int utc_offset_min, size_t queue,
                  size_t group, int64_t linger_ns, rwriter_deliver_fn deliver, rwriter_t **out);
/* Writes what is queued, stops the thread, closes the store. NULL: nothing. */
void rwriter_stop(rwriter_t *rw);

/* Queues a job (heap-allocated; taken over on 0). 0, or -EAGAIN when the
 * queue is full (the job stays the caller's). */
int rwriter_submit(rwriter_t *rw, report_job_t *job);
/* Adds n keyed counts to those of the next commit; the ones that do not fit
 * are dropped and counted. Returns how many were taken. */
size_t rwriter_keyed(rwriter_t *rw, const pl_keyed_count_t *k, size_t n);

/* The writer's counters (reports, causes, commits, queue). Read by
 * server_collect like a worker's. */
const pl_stats_t *rwriter_stats(const rwriter_t *rw);
