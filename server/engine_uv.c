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

#include "worker.h"

typedef struct uveng {
    uv_loop_t loop;
    uv_udp_t udp[PORT__COUNT]; /* handle index = the port kind */
    uv_tcp_t listener[PORT__COUNT];
    uv_timer_t tick;
    uv_prepare_t prep;
    uv_async_t async;
    int batch_open;
    int udp_open[PORT__COUNT], listener_open[PORT__COUNT], udp_receiving[PORT__COUNT];
    uint32_t udp_pending; /* uv_udp_send requests in flight */
    uv_write_t *wreqs;
    uv_shutdown_t *sreqs; /* lingering close: one FIN per connection slot */
    char udp_in[UDP_PAYLOAD_MAX];
    char reply[UDP_REPLY_MAX];
} uveng_t;

typedef struct udp_send_req {
    uv_udp_send_t req;
    worker_t *w;
    size_t len;
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
    if (!w->draining || w->tcp.conns.nopen || e->udp_pending)
        return;
    for (int k = 0; k < PORT__COUNT; k++)
        if (e->listener_open[k])
            return;
    for (int k = 0; k < PORT__COUNT; k++)
        if (e->udp_open[k]) {
            uv_close((uv_handle_t *)&e->udp[k], NULL);
            e->udp_open[k] = 0;
        }
    if (!uv_is_closing((uv_handle_t *)&e->tick)) {
        uv_close((uv_handle_t *)&e->tick, NULL);
        uv_close((uv_handle_t *)&e->prep, NULL);
        worker_set_alive(w, 0);
        uv_close((uv_handle_t *)&e->async, NULL);
    }
}

/* ---- TCP ------------------------------------------------------------------ */

static void on_closed(uv_handle_t *h)
{
    conn_t *c = h->data;
    worker_t *w = h->loop->data;
    if (c)
        tcp_released(&w->tcp, c);
    free(h);
    maybe_finish(w);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    conn_t *c = h->data;
    worker_t *w = h->loop->data;
    size_t room = conn_in_room(c, w->tcp.max_request);
    *buf = uv_buf_init(room ? c->in + c->in_len : NULL, (unsigned)room);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn_t *c = s->data;
    worker_t *w = s->loop->data;
    if (c->state != CONN_OPEN || nread == 0)
        return;
    batch(w);
    if (nread > 0) {
        answer_stale(&w->ax);
        tcp_input(&w->tcp, c, (size_t)nread);
    } else if (nread == UV_EOF) {
        tcp_eof(&w->tcp, c);
    } else {
        /* UV_ENOBUFS: no memory for the receive buffer. */
        tcp_fail(&w->tcp, c, nread == UV_ENOBUFS ? -ENOMEM : (int)nread);
    }
}

static void on_write(uv_write_t *req, int status)
{
    conn_t *c = req->handle->data;
    worker_t *w = req->handle->loop->data;
    c->sending = 0;
    if (c->state != CONN_OPEN)
        return;
    batch(w);
    if (status < 0)
        tcp_fail(&w->tcp, c, status);
    else /* uv_write completes only when every byte is written */
        tcp_sent(&w->tcp, c, c->out.len - c->out_off);
}

/* The FIN is out (or the connection is closing and it was cancelled). */
static void on_shutdown(uv_shutdown_t *req, int status)
{
    conn_t *c = req->handle->data;
    worker_t *w = req->handle->loop->data;
    if (c->state == CONN_OPEN && status < 0)
        tcp_close(&w->tcp, c, PL_ST_TCP_CLOSED_ERROR);
}

static int io_send(void *eng, conn_t *c)
{
    uveng_t *e = eng;
    uv_buf_t b = uv_buf_init(c->out.p + c->out_off, (unsigned)(c->out.len - c->out_off));
    int rc = uv_write(&e->wreqs[c->slot], c->eng, &b, 1, on_write);
    return rc == UV_EAGAIN ? UV_EIO : rc; /* a refused write is the connection's end */
}

static int io_recv(void *eng, conn_t *c, size_t room)
{
    (void)eng;
    (void)room; /* on_alloc asks for the room at each read */
    return uv_read_start(c->eng, on_alloc, on_read);
}

static int io_recv_stop(void *eng, conn_t *c)
{
    (void)eng;
    uv_read_stop(c->eng);
    return 1;
}

static int io_shutdown(void *eng, conn_t *c)
{
    uveng_t *e = eng;
    return uv_shutdown(&e->sreqs[c->slot], c->eng, on_shutdown);
}

static void io_close(void *eng, conn_t *c)
{
    (void)eng;
    /* Pending writes are cancelled first (on_write sees CLOSING). */
    uv_close((uv_handle_t *)c->eng, on_closed);
}

static const conn_io_t uv_conn_io = {io_send, io_recv, io_recv_stop, io_shutdown, io_close};

static void on_connection(uv_stream_t *ls, int status)
{
    worker_t *w = ls->data;
    uveng_t *e = w->eng;
    if (status < 0)
        return;
    batch(w);
    uv_tcp_t *h = malloc(sizeof(*h));
    if (!h || uv_tcp_init(&e->loop, h) != 0) {
        free(h);
        return;
    }
    h->data = NULL;
    if (uv_accept(ls, (uv_stream_t *)h) != 0) {
        uv_close((uv_handle_t *)h, on_closed);
        return;
    }
    struct sockaddr_storage ss;
    int sl = sizeof(ss);
    uv_os_fd_t fd = -1;
    uv_fileno((uv_handle_t *)h, &fd);
    int known = uv_tcp_getpeername(h, (struct sockaddr *)&ss, &sl) == 0;
    conn_t *c = tcp_accept(&w->tcp, fd, known ? (struct sockaddr *)&ss : NULL,
                           (int)((uv_tcp_t *)ls - e->listener));
    if (!c) {
        /* Closed at once, so the client learns instead of waiting. */
        uv_close((uv_handle_t *)h, on_closed);
        return;
    }
    c->eng = h;
    h->data = c;
    uv_tcp_nodelay(h, 1);
    tcp_kick(&w->tcp, c);
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
    else
        pl_stat_add(&w->stats, PL_ST_TX_BYTES_UDP, r->len);
    e->udp_pending--;
    free(r);
    maybe_finish(w);
}

/* Sends p[0..n) to addr from h (the socket of port kind): at once, or
 * queued as a copy when the socket buffer is full. */
static void udp_send_reply(worker_t *w, uv_udp_t *h, int kind, const struct sockaddr *addr,
                           const char *p, size_t n)
{
    uveng_t *e = w->eng;
    struct sockaddr_storage to;
    memcpy(&to, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    udp_reply_to(w, kind, (struct sockaddr *)&to);
    addr = (const struct sockaddr *)&to;
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
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
    udp_send_req_t *q = e->udp_pending < w->udp_buffers ? malloc(sizeof(*q) + n) : NULL;
    if (!q) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_NO_BUFFER, 1);
        return;
    }
    q->w = w;
    q->len = n;
    memcpy(q->data, p, n);
    b = uv_buf_init(q->data, (unsigned)n);
    if (uv_udp_send(&q->req, h, &b, 1, addr, on_udp_sent) != 0) {
        free(q);
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_SEND_ERROR, 1);
        return;
    }
    e->udp_pending++;
}

static void uv_udp_send_later(worker_t *w, int kind, const struct sockaddr *to, const char *p,
                              size_t n)
{
    uveng_t *e = w->eng;
    if (!e || kind < 0 || kind >= PORT__COUNT || !e->udp_open[kind]) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_SEND_ERROR, 1);
        return;
    }
    udp_send_reply(w, &e->udp[kind], kind, to, p, n);
}

static void on_udp(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *addr,
                   unsigned flags)
{
    worker_t *w = h->data;
    uveng_t *e = w->eng;
    int kind = (int)(h - e->udp);
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
    size_t n = udp_answer(w, kind, addr, buf->base, (size_t)nread, e->reply, sizeof(e->reply));
    if (!n)
        return;
    udp_send_reply(w, h, kind, addr, e->reply, n);
}

/* ---- loop ----------------------------------------------------------------- */

/* A stop was requested: no more datagrams or connections; the open ones
 * finish (tcp_drain). */
static void begin_drain(worker_t *w)
{
    uveng_t *e = w->eng;
    for (int k = 0; k < PORT__COUNT; k++) {
        if (e->udp_receiving[k]) {
            uv_udp_recv_stop(&e->udp[k]);
            e->udp_receiving[k] = 0;
        }
        if (e->listener_open[k]) {
            uv_close((uv_handle_t *)&e->listener[k], NULL);
            e->listener_open[k] = 0;
        }
    }
    worker_drain(w);
    maybe_finish(w);
}

static void on_async(uv_async_t *h)
{
    worker_t *w = h->data;
    batch(w);
    if (worker_stop_requested(w))
        begin_drain(w);
    worker_poll(w);
}

static void on_tick(uv_timer_t *t)
{
    worker_t *w = t->data;
    batch(w);
    if (worker_stop_requested(w))
        begin_drain(w);
    tcp_tick(&w->tcp);
    worker_poll(w);
    maybe_finish(w);
}

static void uv_worker_wake(worker_t *w)
{
    uveng_t *e = w->eng;
    if (e)
        uv_async_send(&e->async);
}

/* Hands the worker's sockets of port `kind` (if any) to libuv. */
static int open_port(worker_t *w, uveng_t *e, int kind)
{
    int rc;
    if (w->udp_fd[kind] < 0)
        return 0;
    if ((rc = uv_udp_init(&e->loop, &e->udp[kind])) ||
        (rc = uv_udp_open(&e->udp[kind], w->udp_fd[kind])))
        return rc;
    e->udp[kind].data = w;
    e->udp_open[kind] = 1;
    w->udp_fd[kind] = -1; /* libuv owns it now */
    if ((rc = uv_tcp_init(&e->loop, &e->listener[kind])) ||
        (rc = uv_tcp_open(&e->listener[kind], w->tcp_fd[kind])))
        return rc;
    e->listener[kind].data = w;
    e->listener_open[kind] = 1;
    w->tcp_fd[kind] = -1;
    if ((rc = uv_listen((uv_stream_t *)&e->listener[kind], 1024, on_connection)))
        return rc;
    if ((rc = uv_udp_recv_start(&e->udp[kind], on_udp_alloc, on_udp)))
        return rc;
    e->udp_receiving[kind] = 1;
    return 0;
}

static int setup(worker_t *w, uveng_t *e)
{
    int rc = uv_loop_init(&e->loop);
    if (rc)
        return rc;
    e->loop.data = w;
    e->wreqs = calloc(w->tcp.conns.cap, sizeof(*e->wreqs));
    e->sreqs = calloc(w->tcp.conns.cap, sizeof(*e->sreqs));
    if (!e->wreqs || !e->sreqs)
        return -ENOMEM;
    w->tcp.io = &uv_conn_io;
    w->tcp.eng = e;

    for (int k = 0; k < PORT__COUNT; k++)
        if ((rc = open_port(w, e, k)))
            return rc;
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

static int uv_worker_run(worker_t *w)
{
    uveng_t *e = calloc(1, sizeof(*e));
    if (!e) {
        worker_report_ready(w, 0);
        return -ENOMEM;
    }
    w->eng = e;
    w->now_ms = w->tcp.now_ms = mono_ms();
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
    free(e->wreqs);
    free(e->sreqs);
    free(e);
    w->eng = NULL;
    return rc < 0 ? rc : 0;
}

static int uv_probe(unsigned udp_buffers)
{
    (void)udp_buffers;
    return 0;
}

const engine_t engine_uv = {"uv", uv_probe, uv_worker_run, uv_worker_wake, uv_udp_send_later};
