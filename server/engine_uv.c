/* The libuv engine: the same worker on epoll, for hosts that refuse
 * io_uring. Same sockets, same answer(), same connection logic (conn.h),
 * same limits; only the I/O calls differ.
 *
 * Snapshot rule: the uv_prepare handle (run just before the loop polls)
 * releases the read snapshot, so the loop never waits holding one. libuv
 * reads sockets one after the other after the poll (and a socket several
 * times), so bytes read late in an iteration may have arrived after a
 * snapshot taken early in it: each read marks the snapshot stale and the
 * next lookup renews it (cheap: no syscall). Every request thus sees what
 * was committed before it was read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "server.h"

typedef struct uveng {
    uv_loop_t loop;
    uv_udp_t udp;
    uv_tcp_t listener;
    uv_timer_t tick;
    uv_prepare_t prep;
    uv_async_t async;
    int batch_open;
    int udp_open, listener_open, udp_receiving;
    uint32_t udp_pending; /* uv_udp_send requests in flight */
    uv_tcp_t *handles;    /* one per connection slot */
    uv_write_t *wreqs;
    uv_shutdown_t *sreqs; /* lingering close: one FIN per connection slot */
    char udp_in[UDP_PAYLOAD_MAX];
    char reply[UDP_REPLY_MAX];
} uveng_t;

typedef struct udp_send_req {
    uv_udp_send_t req;
    worker_t *w;
    char data[];
} udp_send_req_t;

static void batch(worker_t *w)
{
    uveng_t *e = w->eng;
    if (!e->batch_open) {
        worker_batch_begin(w);
        e->batch_open = 1;
    }
}

static void on_prepare(uv_prepare_t *h)
{
    worker_t *w = h->data;
    uveng_t *e = w->eng;
    answer_idle(&w->ax);
    e->batch_open = 0;
}

static void maybe_finish(worker_t *w)
{
    uveng_t *e = w->eng;
    if (!w->draining || w->conns.nopen || e->udp_pending || e->listener_open)
        return;
    if (e->udp_open) {
        uv_close((uv_handle_t *)&e->udp, NULL);
        e->udp_open = 0;
    }
    if (!uv_is_closing((uv_handle_t *)&e->tick)) {
        uv_close((uv_handle_t *)&e->tick, NULL);
        uv_close((uv_handle_t *)&e->prep, NULL);
        worker_set_alive(w, 0);
        uv_close((uv_handle_t *)&e->async, NULL);
    }
}

/* ---- TCP ------------------------------------------------------------------ */

static void ukick(worker_t *w, conn_t *c);

static void on_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    worker_t *w = h->loop->data;
    conn_release(&w->conns, c);
    pl_stat_set(&w->stats, PL_ST_TCP_CONNECTIONS, w->conns.nopen);
    maybe_finish(w);
}

static void uclose(worker_t *w, conn_t *c, pl_stat_id_t reason)
{
    if (c->state != CONN_OPEN)
        return;
    c->state = CONN_CLOSING;
    pl_stat_add(&w->stats, reason, 1);
    /* Pending writes are cancelled first (on_write sees CLOSING). */
    uv_close((uv_handle_t *)c->eng, on_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    conn_t *c = h->data;
    worker_t *w = h->loop->data;
    size_t room = conn_in_room(c, w->max_request);
    *buf = uv_buf_init(room ? c->in + c->in_len : NULL, (unsigned)room);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    worker_t *w = s->loop->data;
    if (c->state != CONN_OPEN || nread == 0)
        return;
    batch(w);
    if (c->lingering) {
        /* Input after our FIN is dropped until the peer closes. */
        if (nread > 0)
            c->in_len = 0;
        else
            uclose(w, c, c->close_reason);
        return;
    }
    if (nread > 0) {
        answer_stale(&w->ax);
        c->in_len += (size_t)nread;
        pl_stat_add(&w->stats, PL_ST_RX_BYTES_TCP, (uint64_t)nread);
        conn_process(w, c);
    } else if (nread == UV_EOF) {
        c->eof = 1;
        c->peer_eof = 1;
        if (!c->close_after)
            c->close_reason = w->draining ? PL_ST_TCP_CLOSED_SHUTDOWN : PL_ST_TCP_CLOSED_CLIENT;
    } else if (nread == UV_ENOBUFS) {
        /* The buffer is full at max_request: conn_process has said so. */
        c->eof = 1;
    } else {
        uclose(w, c, nread == UV_ECONNRESET ? PL_ST_TCP_CLOSED_CLIENT : PL_ST_TCP_CLOSED_ERROR);
        return;
    }
    ukick(w, c);
}

static void on_write(uv_write_t *req, int status)
{
    conn_t *c = req->handle->data;
    worker_t *w = req->handle->loop->data;
    c->sending = 0;
    if (c->state != CONN_OPEN)
        return;
    batch(w);
    if (status < 0) {
        uclose(w, c,
               (status == UV_EPIPE || status == UV_ECONNRESET) ? PL_ST_TCP_CLOSED_CLIENT
                                                              : PL_ST_TCP_CLOSED_ERROR);
        return;
    }
    int was_paused = c->paused;
    /* uv_write completes only when every byte is written. */
    conn_sent(w, c, c->out.len - c->out_off);
    if (was_paused && !c->paused)
        conn_process(w, c);
    ukick(w, c);
}

/* The FIN is out (or the connection is closing and it was cancelled). */
static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn_t *c = req->handle->data;
    worker_t *w = req->handle->loop->data;
    if (c->state == CONN_OPEN && status < 0)
        uclose(w, c, PL_ST_TCP_CLOSED_ERROR);
}

static void ukick(worker_t *w, conn_t *c)
{
    uveng_t *e = w->eng;
    if (c->state != CONN_OPEN)
        return;
    uv_stream_t *s = c->eng;
    if (!c->sending && conn_next_send(c)) {
        uv_buf_t b = uv_buf_init(c->out.p + c->out_off, (unsigned)(c->out.len - c->out_off));
        if (uv_write(&e->wreqs[c->slot], s, &b, 1, on_write) == 0)
            c->sending = 1;
        else {
            uclose(w, c, PL_ST_TCP_CLOSED_ERROR);
            return;
        }
    }
    if (conn_done(c) && !c->lingering) {
        if (!conn_linger_begin(w, c) ||
            uv_shutdown(&e->sreqs[c->slot], s, on_shutdown) != 0) {
            uclose(w, c, c->close_reason);
            return;
        }
    }
    int want = c->lingering || (!c->eof && !c->close_after && !c->paused);
    if (want && !c->reading) {
        if (uv_read_start(s, on_alloc, on_read) == 0)
            c->reading = 1;
    } else if (!want && c->reading) {
        uv_read_stop(s);
        c->reading = 0;
    }
}

static void on_reject_closed(uv_handle_t *h)
{
    free(h);
}

static void on_connection(uv_stream_t *ls, int status)
{
    worker_t *w = ls->data;
    uveng_t *e = w->eng;
    if (status < 0)
        return;
    batch(w);
    conn_t *c = w->draining ? NULL : conn_open(&w->conns, -1, w->now_ms);
    if (!c) {
        /* Accept and close at once, so the client learns instead of
         * waiting in the backlog. */
        uv_tcp_t *t = malloc(sizeof(*t));
        if (t && uv_tcp_init(&e->loop, t) == 0) {
            if (uv_accept(ls, (uv_stream_t *)t) == 0 && !w->draining)
                pl_stat_add(&w->stats, PL_ST_TCP_REJECTED_CAP, 1);
            uv_close((uv_handle_t *)t, on_reject_closed);
        } else {
            free(t);
        }
        return;
    }
    uv_tcp_t *h = c->eng;
    uv_tcp_init(&e->loop, h);
    h->data = c;
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    conn_t *victim = NULL;
    int ok = uv_accept(ls, (uv_stream_t *)h) == 0 &&
             uv_tcp_getpeername(h, (struct sockaddr *)&ss, &sl) == 0;
    if (!ok)
        pl_stat_add(&w->stats, PL_ST_TCP_REJECTED_DENIED, 1);
    if (!ok || !tcp_admit(w, (struct sockaddr *)&ss, c, &victim)) {
        c->state = CONN_CLOSING;
        uv_close((uv_handle_t *)h, on_closed);
        return;
    }
    if (victim)
        uclose(w, victim, PL_ST_TCP_CLOSED_EVICTED);
    uv_tcp_nodelay(h, 1);
    pl_stat_add(&w->stats, PL_ST_TCP_ACCEPTED, 1);
    pl_stat_set(&w->stats, PL_ST_TCP_CONNECTIONS, w->conns.nopen);
    ukick(w, c);
}

/* ---- UDP ------------------------------------------------------------------ */

static void on_udp_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    worker_t *w = h->data;
    uveng_t *e = w->eng;
    *buf = uv_buf_init(e->udp_in, sizeof(e->udp_in));
}

static void on_udp_sent(uv_udp_send_t *req, int status)
{
    udp_send_req_t *r = (udp_send_req_t *)req;
    worker_t *w = r->w;
    uveng_t *e = w->eng;
    if (status < 0)
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_SEND_ERROR, 1);
    e->udp_pending--;
    free(r);
    maybe_finish(w);
}

static void on_udp(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                   unsigned flags)
{
    worker_t *w = h->data;
    uveng_t *e = w->eng;
    if (nread < 0 || !addr)
        return;
    batch(w);
    if (flags & UV_UDP_PARTIAL) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_TRUNCATED, 1);
        return;
    }
    if (!udp_admit(w, addr))
        return;
    answer_stale(&w->ax);
    size_t n = udp_answer(w, buf->base, (size_t)nread, e->reply, sizeof(e->reply));
    if (!n)
        return;
    uv_buf_t b = uv_buf_init(e->reply, (unsigned)n);
    int r = uv_udp_try_send(h, &b, 1, addr);
    if (r >= 0) {
        pl_stat_add(&w->stats, PL_ST_TX_BYTES_UDP, (uint64_t)r);
        return;
    }
    if (r != UV_EAGAIN) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_SEND_ERROR, 1);
        return;
    }
    /* Socket buffer full: queue a copy, up to as many as io_uring has reply
     * slots, so both engines bound their memory alike. */
    udp_send_req_t *q = e->udp_pending < (uint32_t)w->srv->cfg.udp_buffers
                            ? malloc(sizeof(*q) + n)
                            : NULL;
    if (!q) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_NO_BUFFER, 1);
        return;
    }
    q->w = w;
    memcpy(q->data, e->reply, n);
    b = uv_buf_init(q->data, (unsigned)n);
    if (uv_udp_send(&q->req, h, &b, 1, addr, on_udp_sent) != 0) {
        free(q);
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_SEND_ERROR, 1);
        return;
    }
    pl_stat_add(&w->stats, PL_ST_TX_BYTES_UDP, n);
    e->udp_pending++;
}

/* ---- loop ----------------------------------------------------------------- */

static void begin_drain(worker_t *w)
{
    uveng_t *e = w->eng;
    w->draining = 1;
    w->drain_deadline_ms = w->now_ms + w->pol.drain_timeout_ms;
    if (e->udp_receiving) {
        uv_udp_recv_stop(&e->udp);
        e->udp_receiving = 0;
    }
    if (e->listener_open) {
        uv_close((uv_handle_t *)&e->listener, NULL);
        e->listener_open = 0;
    }
    for (uint32_t i = 0; i < w->conns.cap; i++) {
        conn_t *c = &w->conns.c[i];
        if (c->state != CONN_OPEN)
            continue;
        c->eof = 1;
        if (!c->close_after)
            c->close_reason = PL_ST_TCP_CLOSED_SHUTDOWN;
        ukick(w, c);
    }
    maybe_finish(w);
}

static void on_async(uv_async_t *h)
{
    worker_t *w = h->data;
    batch(w);
    if (__atomic_load_n(&w->srv->stopping, __ATOMIC_ACQUIRE) && !w->draining)
        begin_drain(w);
}

static void on_tick(uv_timer_t *t)
{
    worker_t *w = t->data;
    batch(w);
    if (__atomic_load_n(&w->srv->stopping, __ATOMIC_ACQUIRE) && !w->draining)
        begin_drain(w);
    for (uint32_t i = 0; i < w->conns.cap; i++) {
        conn_t *c = &w->conns.c[i];
        if (c->state != CONN_OPEN)
            continue;
        if (c->lingering) {
            if (w->now_ms >= c->linger_until_ms)
                uclose(w, c, c->close_reason);
        } else if (w->draining && w->now_ms >= w->drain_deadline_ms)
            uclose(w, c, PL_ST_TCP_CLOSED_SHUTDOWN);
        else if (w->now_ms - c->last_ms >= w->pol.idle_timeout_ms)
            uclose(w, c, PL_ST_TCP_CLOSED_IDLE);
    }
    maybe_finish(w);
}

void uv_worker_wake(worker_t *w)
{
    uveng_t *e = w->eng;
    if (e)
        uv_async_send(&e->async);
}

static int setup(worker_t *w, uveng_t *e)
{
    int rc = uv_loop_init(&e->loop);
    if (rc)
        return rc;
    e->loop.data = w;
    e->handles = calloc(w->conns.cap, sizeof(*e->handles));
    e->wreqs = calloc(w->conns.cap, sizeof(*e->wreqs));
    e->sreqs = calloc(w->conns.cap, sizeof(*e->sreqs));
    if (!e->handles || !e->wreqs || !e->sreqs)
        return -ENOMEM;
    for (uint32_t i = 0; i < w->conns.cap; i++)
        w->conns.c[i].eng = &e->handles[i];

    if ((rc = uv_udp_init(&e->loop, &e->udp)) || (rc = uv_udp_open(&e->udp, w->udp_fd)))
        return rc;
    e->udp.data = w;
    e->udp_open = 1;
    w->udp_fd = -1; /* libuv owns it now */
    if ((rc = uv_tcp_init(&e->loop, &e->listener)) || (rc = uv_tcp_open(&e->listener, w->tcp_fd)))
        return rc;
    e->listener.data = w;
    e->listener_open = 1;
    w->tcp_fd = -1;
    if ((rc = uv_listen((uv_stream_t *)&e->listener, 1024, on_connection)))
        return rc;
    if ((rc = uv_udp_recv_start(&e->udp, on_udp_alloc, on_udp)))
        return rc;
    e->udp_receiving = 1;
    uv_timer_init(&e->loop, &e->tick);
    e->tick.data = w;
    uv_timer_start(&e->tick, on_tick, 1000, 1000);
    uv_prepare_init(&e->loop, &e->prep);
    e->prep.data = w;
    uv_prepare_start(&e->prep, on_prepare);
    if ((rc = uv_async_init(&e->loop, &e->async, on_async)))
        return rc;
    e->async.data = w;
    return 0;
}

static void walk_close(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int uv_worker_run(worker_t *w)
{
    uveng_t *e = calloc(1, sizeof(*e));
    if (!e) {
        worker_report_ready(w, 0);
        return -ENOMEM;
    }
    w->eng = e;
    w->now_ms = mono_ms();
    int rc = setup(w, e);
    if (rc) {
        fprintf(stderr, "pricelaned: worker %d: libuv setup: %s\n", w->id, uv_strerror(rc));
        worker_report_ready(w, 0);
        uv_walk(&e->loop, walk_close, NULL);
        uv_run(&e->loop, UV_RUN_DEFAULT);
    } else {
        worker_report_ready(w, 1);
        /* A stop that came before the async handle existed. */
        uv_async_send(&e->async);
        rc = uv_run(&e->loop, UV_RUN_DEFAULT) < 0 ? -EIO : 0;
    }
    answer_idle(&w->ax);
    worker_set_alive(w, 0);
    uv_loop_close(&e->loop);
    free(e->handles);
    free(e->wreqs);
    free(e->sreqs);
    free(e);
    w->eng = NULL;
    return rc < 0 ? rc : 0;
}
