#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "pricelane/err.h"
#include "pricelane/memo.h"
#include "worker.h"

#define KEYED_FLUSH_MS 1000 /* keyed counts a crash may lose: this long's */

int worker_init(worker_t *w, crew_t *crew, int id, int nworkers, const pl_config_t *cfg,
                pl_cat_t *cat, pl_cache_t *cache, int64_t started_at)
{
    w->id = id;
    w->crew = crew;
    for (int k = 0; k < PORT__COUNT; k++)
        w->udp_fd[k] = w->tcp_fd[k] = -1;
    w->udp_buffers = (unsigned)cfg->udp_buffers;
    w->pol = crew->policy;
    w->pol_seq = crew->policy_seq;
    uint32_t cap = (uint32_t)((cfg->max_connections + nworkers - 1) / nworkers);
    tcp_t *t = &w->tcp;
    t->limit = cap;
    t->nworkers = (uint32_t)nworkers;
    t->max_request = (size_t)cfg->max_request;
    t->pol = &w->pol;
    t->ax = &w->ax;
    t->stats = &w->stats;
    if (conn_table_init(&t->conns, cap + ADMIT_RESERVE) != 0 || rl_init(&w->rl) != 0)
        return -ENOMEM;
    int rc = pl_resolver_new(cat, cache, &w->res);
    if (rc)
        return rc;
    pl_resolver_share_answers(w->res, strcmp(cfg->cache_answers, "on") == 0);
    if (cfg->memo_mb > 0 && (rc = pl_memo_new((size_t)cfg->memo_mb << 20, &w->ax.memo)))
        return rc;
    /* A converter for GB18030 price checkers, opened now so that a system
     * without the conversion fails at start, not at the first scan. */
    if (cfg->cit_addr.ss.ss_family != AF_UNSPEC &&
        (rc = pl_cit_conv_open(PL_CIT_GB18030, &w->ax.cit_gb18030)))
        return rc;
    w->ax.res = w->res;
    w->ax.pol = &w->pol;
    w->ax.stats = &w->stats;
    w->ax.store = w->pol.store;
    w->ax.started_at = started_at;
    return 0;
}

void worker_free(worker_t *w)
{
    conn_table_t *t = &w->tcp.conns;
    for (uint32_t k = 0; t->c && k < t->cap; k++)
        if (t->c[k].state != CONN_FREE && t->c[k].fd >= 0)
            close(t->c[k].fd);
    conn_table_free(t);
    rl_free(&w->rl);
    pl_resolver_free(w->res);
    w->res = NULL;
    pl_memo_free(w->ax.memo);
    w->ax.memo = NULL;
    pl_cit_conv_close(w->ax.cit_gb18030);
    w->ax.cit_gb18030 = NULL;
    keyed_tab_free(w->ax.keyed);
    w->ax.keyed = NULL;
    if (w->rw) {
        pthread_mutex_destroy(&w->box_mu);
        for (report_job_t *j = w->box, *next; j; j = next) {
            next = j->next;
            free(j);
        }
        w->box = NULL;
        w->rw = NULL;
    }
    worker_close_sockets(w);
}

void worker_close_sockets(worker_t *w)
{
    for (int k = 0; k < PORT__COUNT; k++) {
        if (w->udp_fd[k] >= 0)
            close(w->udp_fd[k]);
        if (w->tcp_fd[k] >= 0)
            close(w->tcp_fd[k]);
        w->udp_fd[k] = w->tcp_fd[k] = -1;
    }
}

int worker_has_listeners(const worker_t *w)
{
    for (int k = 0; k < PORT__COUNT; k++)
        if (w->udp_fd[k] >= 0 || w->tcp_fd[k] >= 0)
            return 1;
    return 0;
}

void worker_run(worker_t *w)
{
    if (w->crew->engine->run(w) != 0)
        w->failed = 1;
    __atomic_store_n(&w->exited, 1, __ATOMIC_RELEASE);
}

void worker_batch_begin(worker_t *w)
{
    crew_t *crew = w->crew;
    w->now_ms = mono_ms();
    w->tcp.now_ms = w->now_ms;
    if (__atomic_load_n(&crew->policy_seq, __ATOMIC_ACQUIRE) != w->pol_seq) {
        pthread_mutex_lock(&crew->policy_mu);
        w->pol = crew->policy;
        w->pol_seq = crew->policy_seq;
        pthread_mutex_unlock(&crew->policy_mu);
    }
    answer_batch_begin(&w->ax, pl_time_now());
    pl_stat_add(&w->stats, PL_ST_BATCHES, 1);
}

int worker_stop_requested(const worker_t *w)
{
    return !w->draining && __atomic_load_n(&w->crew->stopping, __ATOMIC_ACQUIRE);
}

void worker_drain(worker_t *w)
{
    w->draining = 1;
    tcp_drain(&w->tcp, w->now_ms + w->pol.drain_timeout_ms);
}

void worker_set_alive(worker_t *w, int alive)
{
    pthread_mutex_lock(&w->crew->wake_mu);
    w->alive = alive;
    pthread_mutex_unlock(&w->crew->wake_mu);
}

void worker_wake(worker_t *w)
{
    pthread_mutex_lock(&w->crew->wake_mu);
    if (w->alive)
        w->crew->engine->wake(w);
    pthread_mutex_unlock(&w->crew->wake_mu);
}

void worker_report_ready(worker_t *w, int ok)
{
    crew_t *crew = w->crew;
    if (ok)
        worker_set_alive(w, 1);
    pthread_mutex_lock(&crew->ready_mu);
    if (ok)
        crew->nready++;
    else
        crew->nfailed++;
    pthread_cond_broadcast(&crew->ready_cv);
    pthread_mutex_unlock(&crew->ready_mu);
}

/* ---- UDP ------------------------------------------------------------------ */

static int report_submit(worker_t *w, const pl_req_t *req, report_job_t **out, char *msg,
                         size_t msglen, int *status);
static int enqueue(worker_t *w, report_job_t *j, char *msg, size_t msglen, int *status);

int udp_admit(worker_t *w, const struct sockaddr *sa)
{
    if (!pl_allow_match(&w->pol.allow, sa)) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_DENIED, 1);
        return 0;
    }
    if (!rl_allow(&w->rl, sa, w->pol.udp_rate, w->pol.udp_burst, w->now_ms * 1000000)) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_RATE_LIMITED, 1);
        return 0;
    }
    return 1;
}

void udp_reply_to(const worker_t *w, int kind, struct sockaddr *sa)
{
    if (kind == PORT_CIT && w->pol.cit_reply_port)
        pl_addr_set_port(sa, (unsigned)w->pol.cit_reply_port);
}

size_t udp_answer(worker_t *w, int kind, const struct sockaddr *sa, const char *p, size_t len,
                  char *out, size_t cap)
{
    pl_stat_add(&w->stats, PL_ST_RX_BYTES_UDP, len);
    if (kind == PORT_CIT) {
        cit_device_t dev;
        policy_cit_device(&w->pol, sa, &dev);
        /* A datagram is one request, its line break optional. */
        size_t n = answer_cit(&w->ax, &dev, p, len, PL_SP_CIT_UDP, out, cap);
        return n ? n
                 : answer_cit_fatal(&w->ax, &dev, "answer too large for a datagram", PL_SP_CIT_UDP,
                                    out, cap);
    }
    pl_req_t req;
    size_t used = 0;
    int fl;
    int rc = pl_proto_parse(&req, p, len, 1, &used);
    if (rc == 0)
        return 0; /* blank datagram: no reply, by the protocol */
    if (rc > 0 && req.type == PL_REQ_REPORT && w->rw) {
        /* Answered once on disk (worker_poll); refused at once here. */
        char msg[160];
        int status;
        report_job_t *j;
        if (report_submit(w, &req, &j, msg, sizeof(msg), &status)) {
            j->sp = PL_SP_UDP;
            j->udp = 1;
            j->port = (uint8_t)kind;
            memcpy(&j->peer, sa,
                   sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                             : sizeof(struct sockaddr_in));
            if (enqueue(w, j, msg, sizeof(msg), &status))
                return 0;
        }
        size_t n = pl_proto_reply_error(&req, msg, out, cap);
        if (n)
            pl_stat_add(&w->stats, PL_STAT_REQ(PL_SP_UDP, status), 1);
        return n;
    }
    size_t n = rc < 0 ? answer_fatal(&w->ax, &req, PL_SP_UDP, req.error, out, cap)
                      : answer(&w->ax, &req, PL_SP_UDP, out, cap, &fl);
    if (!n)
        n = answer_fatal(&w->ax, &req, PL_SP_UDP, "reply too large for a datagram", out, cap);
    return n;
}

/* ---- reports ------------------------------------------------------------------ */

/* A REPORT: made into a record and handed to the writer; 1 when it went,
 * 0 with msg and *status when it is refused now. */
static int report_submit(worker_t *w, const pl_req_t *req, report_job_t **out, char *msg,
                         size_t msglen, int *status)
{
    report_job_t *j = calloc(1, sizeof(*j));
    if (!j) {
        snprintf(msg, msglen, "out of memory");
        *status = PL_SS_ERROR;
        return 0;
    }
    int st = answer_report_prepare(&w->ax, req, w->report_charge, &j->r, msg, msglen);
    if (st) {
        *status = st;
        free(j);
        return 0;
    }
    j->owner = w;
    j->proto = (uint8_t)req->proto;
    if (req->tag.len && req->tag.len < sizeof(j->tag)) /* (the parser allows 32) */
        memcpy(j->tag, req->tag.p, req->tag.len);
    *out = j;
    return 1;
}

static int enqueue(worker_t *w, report_job_t *j, char *msg, size_t msglen, int *status)
{
    if (rwriter_submit(w->rw, j) == 0)
        return 1;
    free(j);
    pl_stat_add(&w->stats, PL_ST_REPORT_REFUSED_QUEUE_FULL, 1);
    snprintf(msg, msglen, "report queue full: send the report again (same id) in a moment");
    *status = PL_SS_ERROR;
    return 0;
}

static int tcp_report(void *arg, conn_t *c, const pl_req_t *req, char *msg, size_t msglen,
                      int *status)
{
    worker_t *w = arg;
    report_job_t *j;
    if (!report_submit(w, req, &j, msg, msglen, status))
        return 0;
    j->sp = (uint8_t)(req->proto == PL_PROTO_RESP ? PL_SP_RESP : PL_SP_TCP);
    j->slot = c->slot;
    j->gen = c->gen;
    return enqueue(w, j, msg, msglen, status);
}

int worker_reports(worker_t *w, rwriter_t *rw, int charge)
{
    if (keyed_tab_new(&w->ax.keyed) != 0)
        return -ENOMEM;
    pthread_mutex_init(&w->box_mu, NULL);
    w->rw = rw;
    w->report_charge = charge;
    w->tcp.report = tcp_report;
    w->tcp.report_arg = w;
    return 0;
}

void worker_report_deliver(void *owner, report_job_t *job)
{
    worker_t *w = owner;
    pthread_mutex_lock(&w->box_mu);
    /* One wake per emptying of the box, not per report: a box that was not
     * empty has a wake on its way, and the worker takes the whole box. */
    int wake = !w->box;
    job->next = w->box;
    w->box = job;
    pthread_mutex_unlock(&w->box_mu);
    if (wake)
        worker_wake(w);
}

/* The reply to a finished job, framed as its request was. */
static size_t report_reply(worker_t *w, const report_job_t *j, char *out, size_t cap)
{
    static _Thread_local pl_req_t q;
    q.proto = (pl_proto_t)j->proto;
    q.tag = (pl_slice_t){j->tag, strlen(j->tag)};
    char msg[200];
    int status = PL_SS_OK;
    size_t n;
    if (j->rc) {
        snprintf(msg, sizeof(msg), "report not recorded: report store: %s", pl_strerror(j->rc));
        status = PL_SS_ERROR;
    } else if (j->put == PL_REPORT_CONFLICT) {
        snprintf(msg, sizeof(msg),
                 "report id '%s' of lane %s at store %s was recorded with other content", j->r.id,
                 j->r.lane, j->r.store);
        status = PL_SS_BAD_REQUEST;
    }
    if (status == PL_SS_OK)
        n = answer_report_reply(&w->ax, &q, &j->r, j->put == PL_REPORT_SAME, out, cap);
    else
        n = pl_proto_reply_error(&q, msg, out, cap);
    if (n)
        pl_stat_add(&w->stats, PL_STAT_REQ(j->sp, status), 1);
    return n;
}

void worker_poll(worker_t *w)
{
    if (!w->rw)
        return;
    pthread_mutex_lock(&w->box_mu);
    report_job_t *list = w->box, *rev = NULL;
    w->box = NULL;
    pthread_mutex_unlock(&w->box_mu);
    /* The box is a stack: reversed, the jobs come in the writer's order. */
    while (list) {
        report_job_t *next = list->next;
        list->next = rev;
        rev = list;
        list = next;
    }
    char out[UDP_REPLY_MAX];
    for (report_job_t *j = rev, *next; j; j = next) {
        next = j->next;
        size_t n = report_reply(w, j, out, sizeof(out));
        if (j->udp) {
            if (n)
                w->crew->engine->udp_send(w, j->port, (const struct sockaddr *)&j->peer, out, n);
        } else {
            tcp_report_done(&w->tcp, j->slot, j->gen, out, n);
        }
        free(j);
    }
    if (w->ax.keyed && w->now_ms >= w->keyed_flush_ms) {
        w->keyed_flush_ms = w->now_ms + KEYED_FLUSH_MS;
        const pl_keyed_count_t *k;
        size_t n = keyed_tab_take(w->ax.keyed, &k);
        size_t took = n ? rwriter_keyed(w->rw, k, n) : 0;
        if (took < n)
            pl_stat_add(&w->stats, PL_ST_KEYED_DROPPED, n - took);
    }
}
