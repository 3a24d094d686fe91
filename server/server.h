/* pricelaned as a whole: the configuration, the catalogue and cache, the
 * workers and their shared state, the bound addresses. The control thread
 * (main.c, admin) owns it; workers see only their worker_t and its crew.
 *
 * Threads: the main thread runs the control loop (libuv: signals, admin
 * HTTP); each worker thread owns one engine instance and everything in its
 * worker_t (worker.h).
 */
#pragma once
#include <stdint.h>

#include "pricelane/cache.h"
#include "pricelane/catalog.h"
#include "pricelane/config.h"
#include "pricelane/netaddr.h"
#include "pricelane/stats.h"
#include "worker.h"

#ifndef PL_VERSION
#define PL_VERSION "0.0.0"
#endif

typedef struct server {
    pl_config_t cfg;
    char config_path[PL_CFG_PATH_MAX];
    char **argv; /* for SIGHUP: the flags are applied again over the file */
    int argc;
    pl_cat_t *cat;
    pl_cache_t *cache; /* shared by every worker; NULL = off */
    rwriter_t *rw;     /* the report writer; NULL = reports off */
    char reports_dir[PL_CFG_PATH_MAX + 16]; /* the report store's directory as opened */
    crew_t crew;       /* engine, stop flag, published policy, readiness */
    int nworkers;
    worker_t *workers;
    pl_addr_t bound;     /* the data port (UDP and TCP share it) */
    pl_addr_t cit_bound; /* the price checkers' port; ss_family AF_UNSPEC: off */
    pl_addr_t admin_bound;
    int64_t started_at; /* realtime seconds */
} server_t;

/* Startup and teardown of everything but the threads: catalogue, engine
 * choice, workers (resolver, cache handle, connection table), sockets.
 * Returns 0 or a negative code with err set; teardown undoes what was done. */
int server_setup(server_t *srv, char *err, size_t errlen);
void server_teardown(server_t *srv);
/* Sums the workers' stats (and the cache's counters) into *sum. */
void server_collect(server_t *srv, pl_stats_t *sum);

/* Sockets: binds every worker's UDP socket and TCP listener on the listen
 * address, and on the price checkers' address when configured (SO_REUSEPORT,
 * one shared port per address even when the port asked for is 0). Returns 0
 * or a negative code with err set (nothing left open). */
int net_bind_workers(server_t *srv, char *err, size_t errlen);
