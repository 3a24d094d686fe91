/* pricelaned: configuration, catalogue, sockets, workers, and the control
 * loop (signals, admin HTTP) on the main thread. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "admin.h"
#include "notify.h"
#include "pricelane/err.h"
#include "pricelane/thread.h"
#include "pricelane/timefmt.h"
#include "server.h"

typedef struct control {
    server_t *srv;
    uv_loop_t *loop;
    uv_signal_t sigterm, sigint, sighup;
    uv_async_t worker_died; /* a worker stopped on an error, or any worker returned */
    admin_t *admin;
    pl_config_t live; /* the configuration as last (re)loaded */
    int shutting_down;
} control_t;

static control_t ctl;

static void *worker_main(void *arg)
{
    worker_run(arg);
    uv_async_send(&ctl.worker_died);
    return NULL;
}

static void stop_workers(server_t *srv)
{
    __atomic_store_n(&srv->crew.stopping, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < srv->nworkers; i++)
        worker_wake(&srv->workers[i]);
}

static int all_exited(const server_t *srv)
{
    for (int i = 0; i < srv->nworkers; i++)
        if (!__atomic_load_n(&srv->workers[i].exited, __ATOMIC_ACQUIRE))
            return 0;
    return 1;
}

/* Once every worker has drained and returned, the admin port closes and
 * the loop ends; until then /healthz keeps answering "503 draining". */
static void end_when_drained(control_t *c)
{
    if (!c->shutting_down || !all_exited(c->srv))
        return;
    admin_stop(c->admin);
    c->admin = NULL;
    /* The signal handles stay until the workers are joined: closed, they
     * would restore the default action and a second SIGTERM would kill the
     * drain. worker_died stays for the same span. */
    uv_stop(c->loop);
}

/* The service manager's view (Type=notify units); outside one, nothing. */
static void tell_manager(const char *state)
{
    int rc = notify_state(state);
    if (rc < 0)
        fprintf(stderr, "pricelaned: NOTIFY_SOCKET: cannot send %s: %s\n", state, strerror(-rc));
}

static void begin_shutdown(control_t *c)
{
    if (c->shutting_down)
        return;
    c->shutting_down = 1;
    tell_manager("STOPPING=1");
    stop_workers(c->srv);
    end_when_drained(c);
}

/* SIGHUP: the file and the flags again; only reloadable settings change. */
static void reload(control_t *c)
{
    server_t *srv = c->srv;
    if (!srv->config_path[0]) {
        fprintf(stderr, "pricelaned: SIGHUP: started without --config, nothing to reload\n");
        return;
    }
    tell_manager("RELOADING=1");
    pl_config_t *nc = malloc(sizeof(*nc));
    char err[1024], path[PL_CFG_PATH_MAX];
    pl_config_action_t act;
    if (!nc) {
        tell_manager("READY=1");
        return;
    }
    int rc = pl_config_from_args(nc, srv->argc, srv->argv, &act, path, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "pricelaned: reload rejected, running settings kept: %s\n", err);
        free(nc);
        tell_manager("READY=1");
        return;
    }
    size_t n;
    const pl_config_opt_t *t = pl_config_opts(&n);
    for (size_t i = 0; i < n; i++) {
        char a[PL_CFG_LIST_MAX], b[PL_CFG_LIST_MAX];
        pl_config_value(&c->live, &t[i], a, sizeof(a));
        pl_config_value(nc, &t[i], b, sizeof(b));
        if (strcmp(a, b) == 0)
            continue;
        if (t[i].flags & PL_CFG_RELOAD) {
            char where[80];
            snprintf(where, sizeof(where), "%s", t[i].name);
            pl_config_set(&c->live, &t[i], b, where, err, sizeof(err));
            fprintf(stderr, "pricelaned: reload: %s = %s\n", t[i].name, b);
        } else {
            fprintf(stderr, "pricelaned: reload: %s changed, needs a restart (still %s)\n",
                    t[i].name, a);
        }
    }
    free(nc);
    policy_t p;
    policy_from_config(&p, &c->live);
    pthread_mutex_lock(&srv->crew.policy_mu);
    srv->crew.policy = p;
    __atomic_store_n(&srv->crew.policy_seq, srv->crew.policy_seq + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&srv->crew.policy_mu);
    for (int i = 0; i < srv->nworkers; i++)
        worker_wake(&srv->workers[i]);
    fprintf(stderr, "pricelaned: reloaded %s\n", srv->config_path);
    tell_manager("READY=1");
}

static void on_signal(uv_signal_t *h, int signum)
{
    control_t *c = h->data;
    if (signum == SIGHUP && !c->shutting_down)
        reload(c);
    else
        begin_shutdown(c);
}

static void on_worker_died(uv_async_t *h)
{
    control_t *c = h->data;
    int failed = 0;
    for (int i = 0; i < c->srv->nworkers; i++)
        failed |= __atomic_load_n(&c->srv->workers[i].exited, __ATOMIC_ACQUIRE) &&
                  c->srv->workers[i].failed;
    if (failed && !c->shutting_down)
        fprintf(stderr, "pricelaned: a worker stopped on an error; shutting down\n");
    if (failed || c->shutting_down)
        begin_shutdown(c);
    end_when_drained(c);
}

/* --help, --sample-config, --version: printed, and the exit status (else -1:
 * run the server). */
static int config_action(pl_config_action_t act)
{
    switch (act) {
    case PL_CONFIG_HELP:
        pl_config_help(stdout, "pricelaned");
        return 0;
    case PL_CONFIG_SAMPLE:
        pl_config_sample(stdout);
        return 0;
    case PL_CONFIG_VERSION:
        printf("pricelaned %s\n", PL_VERSION);
        return 0;
    case PL_CONFIG_RUN:
        break;
    }
    return -1;
}

/* Starts the worker threads (they never take signals: the control loop
 * handles them all) and waits until each has reported. Returns 1 when
 * every worker is up; *started = threads to join. */
static int start_workers(server_t *srv, int *started)
{
    int n = 0;
    for (; n < srv->nworkers; n++)
        if (pl_thread_start(&srv->workers[n].thread, worker_main, &srv->workers[n]) != 0)
            break;
    *started = n;

    pthread_mutex_lock(&srv->crew.ready_mu);
    while (srv->crew.nready + srv->crew.nfailed < n)
        pthread_cond_wait(&srv->crew.ready_cv, &srv->crew.ready_mu);
    int ok = n == srv->nworkers && srv->crew.nfailed == 0;
    pthread_mutex_unlock(&srv->crew.ready_mu);
    return ok;
}

static void signals_start(control_t *c)
{
    uv_signal_init(c->loop, &c->sigterm);
    uv_signal_init(c->loop, &c->sigint);
    uv_signal_init(c->loop, &c->sighup);
    c->sigterm.data = c->sigint.data = c->sighup.data = c;
    uv_signal_start(&c->sigterm, on_signal, SIGTERM);
    uv_signal_start(&c->sigint, on_signal, SIGINT);
    uv_signal_start(&c->sighup, on_signal, SIGHUP);
}

/* The ready line: what a supervisor or a test waits for. */
static void announce(const server_t *srv, const control_t *c)
{
    char a[PL_ADDR_STR_MAX], b[PL_ADDR_STR_MAX], cit[PL_ADDR_STR_MAX + 8] = "";
    pl_addr_format((const struct sockaddr *)&srv->bound.ss, a, sizeof(a));
    if (c->admin)
        pl_addr_format((const struct sockaddr *)&srv->admin_bound.ss, b, sizeof(b));
    else
        snprintf(b, sizeof(b), "off");
    if (srv->cit_bound.ss.ss_family != AF_UNSPEC) {
        memcpy(cit, " cit=", 6);
        pl_addr_format((const struct sockaddr *)&srv->cit_bound.ss, cit + 5, sizeof(cit) - 5);
    }
    printf("pricelaned ready udp=%s tcp=%s admin=%s engine=%s threads=%d%s\n", a, a, b,
           srv->crew.engine->name, srv->nworkers, cit);
    fflush(stdout);
    tell_manager("READY=1");
}

/* After the control loop: joins the workers and closes everything. The exit
 * status: 1 when a worker failed. */
static int shut_down(server_t *srv, control_t *c, int started, int signals)
{
    int status = 0;
    stop_workers(srv);
    for (int i = 0; i < started; i++) {
        pthread_join(srv->workers[i].thread, NULL);
        if (srv->workers[i].failed)
            status = 1;
    }
    if (c->admin)
        admin_stop(c->admin);
    /* The process is exiting with its status now. Closing the signal
     * handles restores the default actions, and a second SIGTERM or SIGINT
     * during the teardown (a supervisor repeating itself; the window is
     * long under the sanitizers) would turn a clean exit into death by
     * signal: block them on this, the only thread left. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    if (signals) {
        uv_close((uv_handle_t *)&c->sigterm, NULL);
        uv_close((uv_handle_t *)&c->sigint, NULL);
        uv_close((uv_handle_t *)&c->sighup, NULL);
    }
    uv_close((uv_handle_t *)&c->worker_died, NULL);
    uv_run(c->loop, UV_RUN_DEFAULT);
    uv_loop_close(c->loop);
    server_teardown(srv);
    return status;
}

int main(int argc, char **argv)
{
    static server_t srv;
    char err[1024];
    pl_config_action_t act;

    if (pl_config_from_args(&srv.cfg, argc, argv, &act, srv.config_path, err, sizeof(err))) {
        fprintf(stderr, "pricelaned: %s\n", err);
        return 2;
    }
    int rc = config_action(act);
    if (rc >= 0)
        return rc;
    srv.argc = argc;
    srv.argv = argv;
    signal(SIGPIPE, SIG_IGN);
    pthread_mutex_init(&srv.crew.policy_mu, NULL);
    pthread_mutex_init(&srv.crew.wake_mu, NULL);
    pthread_mutex_init(&srv.crew.ready_mu, NULL);
    pthread_cond_init(&srv.crew.ready_cv, NULL);
    if (server_setup(&srv, err, sizeof(err)) != 0) {
        fprintf(stderr, "pricelaned: %s\n", err);
        server_teardown(&srv);
        return 1;
    }

    ctl.srv = &srv;
    ctl.loop = uv_default_loop();
    ctl.live = srv.cfg;
    uv_async_init(ctl.loop, &ctl.worker_died, on_worker_died);
    ctl.worker_died.data = &ctl;
    if (srv.cfg.admin_addr.ss.ss_family != AF_UNSPEC &&
        admin_start(&srv, ctl.loop, &ctl.admin, err, sizeof(err)) != 0) {
        fprintf(stderr, "pricelaned: %s\n", err);
        uv_close((uv_handle_t *)&ctl.worker_died, NULL);
        uv_run(ctl.loop, UV_RUN_DEFAULT);
        server_teardown(&srv);
        return 1;
    }

    int started;
    int ok = start_workers(&srv, &started);
    if (ok) {
        int mrc = pl_cat_map_ahead_start(srv.cat);
        if (mrc)
            fprintf(stderr,
                    "pricelaned: catalogue: not read ahead (%s): lookups read what they use\n",
                    mrc == -EFBIG ? "larger than half the memory" : pl_strerror(mrc));
        if (srv.cache && pl_cache_map_ahead_start(srv.cache) != 0)
            fprintf(stderr, "pricelaned: cache: cannot map it ahead: lookups map what they use\n");
        signals_start(&ctl);
        announce(&srv, &ctl);
        uv_run(ctl.loop, UV_RUN_DEFAULT);
    } else {
        fprintf(stderr, "pricelaned: workers failed to start\n");
        ctl.shutting_down = 1;
        admin_stop(ctl.admin);
        ctl.admin = NULL;
    }
    int status = shut_down(&srv, &ctl, started, ok);
    return ok ? status : 1;
}
