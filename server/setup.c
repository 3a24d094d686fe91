/* Startup: catalogue, engine choice, workers, sockets; and the reverse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pricelane/err.h"
#include "pricelane/timefmt.h"
#include "server.h"

static int pick_engine(server_t *srv, char *err, size_t errlen)
{
    const char *want = srv->cfg.engine;
    if (strcmp(want, "uv") == 0) {
        srv->crew.engine = &engine_uv;
        return 0;
    }
    int rc = engine_uring.probe((unsigned)srv->cfg.udp_buffers);
    if (rc == 0) {
        srv->crew.engine = &engine_uring;
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
    srv->crew.engine = &engine_uv;
    return 0;
}

/* The report store's directory: the setting, or "reports" beside the
 * catalogue's directory. 0 when reports are off. */
static int reports_dir(const pl_config_t *c, char *out, size_t cap)
{
    if (strcmp(c->reports_dir, "off") == 0)
        return 0;
    if (c->reports_dir[0]) {
        snprintf(out, cap, "%s", c->reports_dir);
        return 1;
    }
    char db[PL_CFG_PATH_MAX];
    snprintf(db, sizeof(db), "%s", c->db);
    size_t n = strlen(db);
    while (n > 1 && db[n - 1] == '/')
        db[--n] = 0;
    char *slash = strrchr(db, '/');
    if (!slash)
        snprintf(out, cap, "reports");
    else if (slash == db)
        snprintf(out, cap, "/reports");
    else {
        *slash = 0;
        snprintf(out, cap, "%s/reports", db);
    }
    return 1;
}

/* The report store and its writer, and each worker connected to it. */
static int reports_setup(server_t *srv, char *err, size_t errlen)
{
    const pl_config_t *c = &srv->cfg;
    if (!reports_dir(c, srv->reports_dir, sizeof(srv->reports_dir)))
        return 0;
    pl_reports_t *store;
    char why[PL_CFG_PATH_MAX + 128];
    int covered = strcmp(c->report_sync, "covered") == 0;
    int rc =
        pl_reports_open(srv->reports_dir, covered ? PL_REPORTS_WRITE_COVERED : PL_REPORTS_WRITE,
                        &store, why, sizeof(why));
    if (rc) {
        snprintf(err, errlen, "reports_dir: %s (set reports_dir, or reports_dir=off)", why);
        return rc;
    }
    pl_reports_set_extend(store, (size_t)c->report_extend_mb << 20);
    pl_txn_t *txn;
    pl_meta_t m;
    memset(&m, 0, sizeof(m));
    if (pl_txn_begin(srv->cat, 0, &txn) == 0) {
        pl_meta_get(txn, &m);
        pl_txn_abort(txn);
    }
    int charge = strcmp(c->report_charge, "shelf") == 0    ? REPORT_CHARGE_SHELF
                 : strcmp(c->report_charge, "system") == 0 ? REPORT_CHARGE_SYSTEM
                                                           : REPORT_CHARGE_LOWER;
    rc = rwriter_start(store, covered, srv->cat, m.utc_offset_min, (size_t)c->report_queue,
                       (size_t)c->report_group, (int64_t)c->report_linger_ms * 1000000,
                       worker_report_deliver, &srv->rw);
    if (rc) {
        pl_reports_close(store);
        snprintf(err, errlen, "report writer: %s", pl_strerror(rc));
        return rc;
    }
    for (int i = 0; i < srv->nworkers; i++)
        if ((rc = worker_reports(&srv->workers[i], srv->rw, charge))) {
            snprintf(err, errlen, "worker %d: %s", i, pl_strerror(rc));
            return rc;
        }
    return 0;
}

int server_setup(server_t *srv, char *err, size_t errlen)
{
    const pl_config_t *c = &srv->cfg;
    srv->started_at = pl_time_now();
    policy_from_config(&srv->crew.policy, c);

    pl_cat_opts_t o;
    memset(&o, 0, sizeof(o));
    o.read_only = 1;
    o.no_tls = 1; /* a worker's read transaction is its own, not its thread's */
    int rc = pl_cat_open(c->db, &o, &srv->cat);
    if (rc) {
        snprintf(err, errlen, "catalogue %s: %s", c->db,
                 rc == PL_ENOTFOUND  ? "no catalogue here (pricelane-load init)"
                 : rc == PL_EVERSION ? "another schema version: an older catalogue is upgraded by "
                                       "pricelane-load migrate --db DIR (docs/operations.md)"
                                     : pl_strerror(rc));
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
        if ((rc = worker_init(&srv->workers[i], &srv->crew, i, srv->nworkers, c, srv->cat,
                              srv->cache, srv->started_at))) {
            snprintf(err, errlen, "worker %d: %s", i, pl_strerror(rc));
            return rc;
        }
    }
    if ((rc = reports_setup(srv, err, errlen)))
        return rc;
    return net_bind_workers(srv, err, errlen);
}

void server_teardown(server_t *srv)
{
    /* The writer first: it writes what is queued and hands the outcomes to
     * workers that are stopped (their boxes are freed with them). */
    rwriter_stop(srv->rw);
    srv->rw = NULL;
    for (int i = 0; srv->workers && i < srv->nworkers; i++)
        worker_free(&srv->workers[i]);
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
        pthread_mutex_lock(&srv->crew.wake_mu);
        running += w->alive;
        pthread_mutex_unlock(&srv->crew.wake_mu);
    }
    sum->v[PL_ST_WORKERS] = (uint64_t)running;
    sum->v[PL_ST_CATALOG_MAPPED] = pl_cat_mapped_ahead(srv->cat);
    if (srv->rw)
        pl_stats_accumulate(sum, rwriter_stats(srv->rw));
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
        sum->v[PL_ST_CACHE_MAPPED] = pl_cache_mapped_ahead(srv->cache);
        sum->v[PL_ST_CACHE_ANSWER_HITS] = cs.answer_hits;
        sum->v[PL_ST_CACHE_ANSWER_MISSES] = cs.answer_misses;
        sum->v[PL_ST_CACHE_ANSWER_INSERTS] = cs.answer_inserts;
    }
}
