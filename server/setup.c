/* Startup: catalogue, engine choice, workers, sockets; and the reverse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pricelane/memo.h"
#include "pricelane/timefmt.h"
#include "admit.h"
#include "server.h"

static int pick_engine(server_t *srv, char *err, size_t errlen)
{
    const char *want = srv->cfg.engine;
    if (strcmp(want, "uv") == 0) {
        srv->engine = ENGINE_UV;
        return 0;
    }
    int rc = uring_probe((unsigned)srv->cfg.udp_buffers);
    if (rc == 0) {
        srv->engine = ENGINE_URING;
        return 0;
    }
    if (strcmp(want, "uring") == 0) {
        snprintf(err, errlen, "--engine uring: io_uring is not usable here: %s", pl_strerror(rc));
        return rc;
    }
    /* EPERM/EACCES: kernel.io_uring_disabled or a seccomp profile; ENOSYS:
     * an old kernel. Same service, other engine. */
    fprintf(stderr, "pricelaned: io_uring not usable (%s): using the libuv engine\n",
            pl_strerror(rc));
    srv->engine = ENGINE_UV;
    return 0;
}

static int worker_init(server_t *srv, worker_t *w, int id)
{
    const pl_config_t *c = &srv->cfg;
    w->id = id;
    w->srv = srv;
    w->udp_fd = w->tcp_fd = -1;
    w->pol = srv->policy;
    w->pol_seq = srv->policy_seq;
    w->max_request = (size_t)c->max_request;
    uint32_t cap = (uint32_t)((c->max_connections + srv->nworkers - 1) / srv->nworkers);
    w->conn_limit = cap;
    if (conn_table_init(&w->conns, cap + ADMIT_RESERVE) != 0 || rl_init(&w->rl) != 0)
        return -ENOMEM;
    w->cache = srv->cache;
    int rc = pl_resolver_new(srv->cat, w->cache, &w->res);
    if (rc)
        return rc;
    if (c->memo_mb > 0 && (rc = pl_memo_new((size_t)c->memo_mb << 20, &w->ax.memo)))
        return rc;
    w->ax.res = w->res;
    w->ax.stats = &w->stats;
    w->ax.store = w->pol.store;
    w->ax.started_at = srv->started_at;
    return 0;
}

int server_setup(server_t *srv, char *err, size_t errlen)
{
    const pl_config_t *c = &srv->cfg;
    srv->started_at = pl_time_now();
    policy_from_config(&srv->policy, c);

    pl_cat_opts_t o;
    memset(&o, 0, sizeof(o));
    o.read_only = 1;
    o.no_tls = 1; /* a worker's read transaction is its own, not its thread's */
    int rc = pl_cat_open(c->db, &o, &srv->cat);
    if (rc) {
        snprintf(err, errlen, "catalogue %s: %s", c->db,
                 rc == PL_ENOTFOUND ? "no catalogue here (pricelane-load init)" : pl_strerror(rc));
        srv->cat = NULL;
        return rc;
    }
    if ((rc = pick_engine(srv, err, errlen)))
        return rc;
    /* One handle for all workers: the segment is lock-free and safe to use
     * from every thread; its counters are then the server's. */
    if (c->cache_mb > 0) {
        rc = pl_cache_open(c->cache_path, (size_t)c->cache_mb << 20, pl_cat_id(srv->cat),
                           &srv->cache);
        if (rc) {
            /* The cache only saves time; lanes still get their answers. */
            fprintf(stderr, "pricelaned: cache %s: %s: running without it\n", c->cache_path,
                    pl_strerror(rc));
            srv->cache = NULL;
        }
    }
    long n = c->threads;
    if (n <= 0)
        n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > 256)
        n = 256;
    srv->nworkers = (int)n;
    srv->workers = calloc((size_t)n, sizeof(*srv->workers));
    if (!srv->workers) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (int i = 0; i < srv->nworkers; i++) {
        if ((rc = worker_init(srv, &srv->workers[i], i))) {
            snprintf(err, errlen, "worker %d: %s", i, pl_strerror(rc));
            return rc;
        }
    }
    return net_bind_workers(srv, err, errlen);
}

void server_teardown(server_t *srv)
{
    for (int i = 0; srv->workers && i < srv->nworkers; i++) {
        worker_t *w = &srv->workers[i];
        for (uint32_t k = 0; w->conns.c && k < w->conns.cap; k++)
            if (w->conns.c[k].state != CONN_FREE && w->conns.c[k].fd >= 0)
                close(w->conns.c[k].fd);
        conn_table_free(&w->conns);
        rl_free(&w->rl);
        pl_resolver_free(w->res);
        pl_memo_free(w->ax.memo);
        if (w->udp_fd >= 0)
            close(w->udp_fd);
        if (w->tcp_fd >= 0)
            close(w->tcp_fd);
    }
    free(srv->workers);
    srv->workers = NULL;
    pl_cache_close(srv->cache);
    srv->cache = NULL;
    if (srv->cat)
        pl_cat_close(srv->cat);
    srv->cat = NULL;
}

void server_collect(server_t *srv, pl_stats_t *sum)
{
    memset(sum, 0, sizeof(*sum));
    int running = 0;
    for (int i = 0; i < srv->nworkers; i++) {
        worker_t *w = &srv->workers[i];
        pl_stats_accumulate(sum, &w->stats);
        pthread_mutex_lock(&srv->wake_mu);
        running += w->alive;
        pthread_mutex_unlock(&srv->wake_mu);
    }
    sum->v[PL_ST_WORKERS] = (uint64_t)running;
    if (srv->cache) {
        pl_cache_stats_t cs;
        pl_cache_stats(srv->cache, &cs);
        sum->v[PL_ST_CACHE_HITS] = cs.hits;
        sum->v[PL_ST_CACHE_MISSES] = cs.misses;
        sum->v[PL_ST_CACHE_INSERTS] = cs.inserts;
        sum->v[PL_ST_CACHE_EVICTIONS] = cs.evictions;
        sum->v[PL_ST_CACHE_TOO_BIG] = cs.too_big;
        sum->v[PL_ST_CACHE_RACES] = cs.races;
        sum->v[PL_ST_CACHE_REINITS] = cs.reinits;
    }
}
