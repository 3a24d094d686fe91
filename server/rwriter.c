/* The report writer thread (rwriter.h).
 *
 * Group commit: the writer takes every job queued (up to `group`) and every
 * keyed count, writes them in one transaction and syncs once; jobs that
 * arrive during the sync form the next group. Under load the groups grow
 * and the syncs per report fall; an idle lane's report waits for one sync.
 * Linger: when fewer than `group` jobs are queued, the writer first waits
 * `linger` for more to arrive. A commit costs its disk syncs whatever it
 * holds, and most of its CPU time is the kernel's; at a store's report
 * rates a group then holds several lanes' reports instead of one or two,
 * for a delay no cashier notices.
 *
 * Covered commits (the store opened PL_REPORTS_WRITE_COVERED): a commit
 * flushes its pages but not its commit record, so its replies are held
 * until the next flush covers the record: the next group's commit when
 * reports are already waiting for one, else an explicit sync at once.
 * While reports keep arriving every commit then costs one flush instead of
 * two, and its replies leave one group later; an idle lane's reply costs
 * what it did.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pricelane/err.h"
#include "pricelane/thread.h"
#include "rwriter.h"

#define KEYED_MAX 65536 /* keyed counts waiting for a commit, at most */

struct rwriter {
    pl_reports_t *store;
    pl_cat_t *cat;
    int utc_offset;
    size_t limit, group;
    int64_t linger_ns;
    int covered; /* the store's commits wait for the next flush */
    rwriter_deliver_fn deliver;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;                  /* under mu */
    report_job_t *head, *tail; /* under mu */
    size_t depth;              /* under mu */
    pl_keyed_count_t *keyed;   /* under mu: KEYED_MAX */
    size_t nkeyed;             /* under mu */
    pl_stats_t stats;          /* written by the writer thread only (and submit: queue_full) */
};

static void count_job(rwriter_t *rw, const report_job_t *j)
{
    if (j->rc) {
        pl_stat_add(&rw->stats, PL_ST_REPORT_REFUSED_STORE_ERROR, 1);
        return;
    }
    switch (j->put) {
    case PL_REPORT_NEW:
        pl_stat_add(&rw->stats, (pl_stat_id_t)(PL_ST_REPORTS_PRICE + j->r.kind), 1);
        pl_stat_add(&rw->stats, (pl_stat_id_t)(PL_ST_REPORT_CAUSE_UNKNOWN + j->r.cause), 1);
        break;
    case PL_REPORT_SAME:
        pl_stat_add(&rw->stats, PL_ST_REPORT_RETRIES, 1);
        break;
    case PL_REPORT_CONFLICT:
        pl_stat_add(&rw->stats, PL_ST_REPORT_REFUSED_CONFLICT, 1);
        break;
    }
}

/* The provisional cause of each report, from the catalogue as it is now:
 * what the lane is told, and what is recorded. */
static void settle_causes(rwriter_t *rw, report_job_t *jobs)
{
    pl_txn_t *txn;
    if (pl_txn_begin(rw->cat, 0, &txn) != 0)
        return; /* left as the worker set it: unknown */
    for (report_job_t *j = jobs; j; j = j->next)
        j->r.cause = (uint8_t)pl_report_cause(txn, &j->r, j->r.at);
    pl_txn_abort(txn);
}

/* Hands each job of a list back to its worker, with rc when it is an
 * error (the list's outcome otherwise). */
static void release(rwriter_t *rw, report_job_t *jobs, int rc)
{
    for (report_job_t *j = jobs, *next; j; j = next) {
        next = j->next;
        j->next = NULL;
        if (rc)
            j->rc = rc;
        count_job(rw, j);
        rw->deliver(j->owner, j);
    }
}

/* One group: causes, one transaction, the outcomes set in the jobs. held:
 * the jobs of the commit before, waiting for a flush to cover it. Returns
 * the jobs that wait now (covered commits), having handed back the rest. */
static report_job_t *write_group(rwriter_t *rw, report_job_t *jobs, size_t n,
                                 pl_keyed_count_t *keyed, size_t nkeyed, report_job_t *held)
{
    pl_report_t *rs = n ? malloc(n * sizeof(*rs)) : NULL;
    pl_report_put_t *out = n ? malloc(n * sizeof(*out)) : NULL;
    int rc = 0;
    if (n && (!rs || !out))
        rc = -ENOMEM;
    settle_causes(rw, jobs);
    size_t i = 0;
    for (report_job_t *j = jobs; j && !rc; j = j->next)
        rs[i++] = j->r;
    if (!rc)
        rc = pl_reports_put(rw->store, rs, n, out, keyed, nkeyed, rw->utc_offset);
    if (rc) {
        fprintf(stderr, "pricelaned: report store: writing %zu reports and %zu keyed counts: %s\n",
                n, nkeyed, pl_strerror(rc));
        pl_stat_add(&rw->stats, PL_ST_KEYED_DROPPED, nkeyed);
    } else {
        pl_stat_add(&rw->stats, PL_ST_REPORT_COMMITS, 1);
        pl_stat_add(&rw->stats, PL_ST_REPORT_COMMITTED, n);
        if (n > rw->stats.v[PL_ST_REPORT_GROUP_MAX])
            pl_stat_set(&rw->stats, PL_ST_REPORT_GROUP_MAX, n);
    }
    i = 0;
    for (report_job_t *j = jobs; j; j = j->next, i++) {
        j->rc = rc;
        if (!rc) {
            j->put = out[i];
            j->r = rs[i];
        }
    }
    free(rs);
    free(out);
    if (!rw->covered) {
        release(rw, jobs, 0);
        return NULL;
    }
    /* A commit that returns 0 has flushed the one before; a failed one
     * may not have: flush for it. */
    release(rw, held, rc ? pl_reports_sync(rw->store) : 0);
    if (rc) {
        release(rw, jobs, 0);
        return NULL;
    }
    return jobs;
}

/* The held jobs' covering flush when no commit followed them. */
static void sync_held(rwriter_t *rw, report_job_t *held)
{
    if (pl_reports_pending(rw->store))
        pl_stat_add(&rw->stats, PL_ST_REPORT_SYNCS, 1);
    int rc = pl_reports_sync(rw->store);
    if (rc)
        fprintf(stderr, "pricelaned: report store: sync: %s\n", pl_strerror(rc));
    release(rw, held, rc);
}

static void *writer_main(void *arg)
{
    rwriter_t *rw = arg;
    pl_keyed_count_t *keyed = malloc(KEYED_MAX * sizeof(*keyed));
    report_job_t *held = NULL; /* committed, waiting for the flush that covers them */
    pthread_mutex_lock(&rw->mu);
    for (;;) {
        while (!rw->stop && !rw->head && !rw->nkeyed && !held)
            pthread_cond_wait(&rw->cv, &rw->mu);
        if (!rw->head && !rw->nkeyed && !held)
            break; /* stopping and nothing left */
        if (!rw->head && !rw->nkeyed) {
            /* Held replies and nothing to commit: a lane that waits for
             * its reply sends nothing more, so waiting for a commit to
             * cover them would only delay them. */
            pthread_mutex_unlock(&rw->mu);
            sync_held(rw, held);
            held = NULL;
            pthread_mutex_lock(&rw->mu);
            continue;
        }
        if (rw->head && rw->depth < rw->group && rw->linger_ns > 0 && !rw->stop) {
            /* A relative sleep, not a timed wait on the clock: the wait
             * is the same under any wall clock. */
            struct timespec ts = {(time_t)(rw->linger_ns / 1000000000),
                                  (long)(rw->linger_ns % 1000000000)};
            pthread_mutex_unlock(&rw->mu);
            nanosleep(&ts, NULL);
            pthread_mutex_lock(&rw->mu);
        }
        report_job_t *jobs = rw->head, *last = NULL;
        size_t n = 0;
        for (report_job_t *j = rw->head; j && n < rw->group; j = j->next, n++)
            last = j;
        if (last) {
            rw->head = last->next;
            if (!rw->head)
                rw->tail = NULL;
            last->next = NULL;
        }
        rw->depth -= n;
        size_t nk = keyed ? rw->nkeyed : 0;
        if (nk)
            memcpy(keyed, rw->keyed, nk * sizeof(*keyed));
        rw->nkeyed = 0;
        pl_stat_set(&rw->stats, PL_ST_REPORT_QUEUE, rw->depth);
        pthread_mutex_unlock(&rw->mu);
        held = write_group(rw, last ? jobs : NULL, n, keyed, nk, held);
        pthread_mutex_lock(&rw->mu);
    }
    pthread_mutex_unlock(&rw->mu);
    free(keyed);
    return NULL;
}

int rwriter_start(pl_reports_t *store, int covered, pl_cat_t *cat, int utc_offset_min, size_t queue,
                  size_t group, int64_t linger_ns, rwriter_deliver_fn deliver, rwriter_t **out)
{
    rwriter_t *rw = calloc(1, sizeof(*rw));
    if (!rw)
        return -ENOMEM;
    rw->keyed = malloc(KEYED_MAX * sizeof(*rw->keyed));
    if (!rw->keyed) {
        free(rw);
        return -ENOMEM;
    }
    rw->store = store;
    rw->cat = cat;
    rw->utc_offset = utc_offset_min;
    rw->limit = queue;
    rw->group = group ? group : 1;
    rw->linger_ns = linger_ns;
    rw->covered = covered;
    rw->deliver = deliver;
    pthread_mutex_init(&rw->mu, NULL);
    pthread_cond_init(&rw->cv, NULL);
    /* no signal: the control loop blocks its stop signals for its teardown
     * while this thread still runs */
    int rc = pl_thread_start(&rw->thread, writer_main, rw);
    if (rc) {
        pthread_cond_destroy(&rw->cv);
        pthread_mutex_destroy(&rw->mu);
        free(rw->keyed);
        free(rw);
        return -rc;
    }
    *out = rw;
    return 0;
}

void rwriter_stop(rwriter_t *rw)
{
    if (!rw)
        return;
    pthread_mutex_lock(&rw->mu);
    rw->stop = 1;
    pthread_cond_signal(&rw->cv);
    pthread_mutex_unlock(&rw->mu);
    pthread_join(rw->thread, NULL);
    pthread_cond_destroy(&rw->cv);
    pthread_mutex_destroy(&rw->mu);
    pl_reports_close(rw->store);
    free(rw->keyed);
    free(rw);
}

int rwriter_submit(rwriter_t *rw, report_job_t *job)
{
    pthread_mutex_lock(&rw->mu);
    if (rw->depth >= rw->limit || rw->stop) {
        pthread_mutex_unlock(&rw->mu);
        return -EAGAIN;
    }
    job->next = NULL;
    if (rw->tail)
        rw->tail->next = job;
    else
        rw->head = job;
    rw->tail = job;
    rw->depth++;
    pl_stat_set(&rw->stats, PL_ST_REPORT_QUEUE, rw->depth);
    pthread_cond_signal(&rw->cv);
    pthread_mutex_unlock(&rw->mu);
    return 0;
}

size_t rwriter_keyed(rwriter_t *rw, const pl_keyed_count_t *k, size_t n)
{
    pthread_mutex_lock(&rw->mu);
    size_t room = KEYED_MAX - rw->nkeyed, take = n < room ? n : room;
    memcpy(rw->keyed + rw->nkeyed, k, take * sizeof(*k));
    rw->nkeyed += take;
    if (take)
        pthread_cond_signal(&rw->cv);
    pthread_mutex_unlock(&rw->mu);
    return take;
}

const pl_stats_t *rwriter_stats(const rwriter_t *rw)
{
    return &rw->stats;
}
