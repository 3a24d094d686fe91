#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "pricelane/memo.h"
#include "worker.h"

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
    size_t n = rc < 0 ? answer_fatal(&w->ax, &req, PL_SP_UDP, req.error, out, cap)
                      : answer(&w->ax, &req, PL_SP_UDP, out, cap, &fl);
    if (!n)
        n = answer_fatal(&w->ax, &req, PL_SP_UDP, "reply too large for a datagram", out, cap);
    return n;
}
