/* The io_uring engine: one ring per worker.
 *
 * UDP: one multishot recvmsg with buffers from a provided buffer ring; each
 * completion is answered at once into a reply slot and sent with a sendmsg
 * SQE; all SQEs of a batch go to the kernel in the one submit_and_wait that
 * ends the batch. TCP: a multishot accept, then per connection one recv and
 * at most one send in flight (conn.h).
 *
 * user_data = op (8 bits) | slot (24 bits) | generation (32 bits). Memory an
 * SQE points at (reply slots, connection buffers, the msghdr template) lives
 * until its completion has been reaped, also after a cancel: a connection
 * slot is only reused once its in-flight count is back to zero.
 */
#include <errno.h>
#include <liburing.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uring_int.h"

struct io_uring_sqe *sqe_get(worker_t *w, ueng_t *e)
{
    struct io_uring_sqe *s = io_uring_get_sqe(&e->ring);
    /* A full SQ is normal under load: hand what is queued to the kernel and
     * take a fresh entry. Never exit over it. */
    for (int i = 0; !s && i < 4; i++) {
        pl_stat_add(&w->stats, PL_ST_SQ_FULL, 1);
        int rc = io_uring_submit(&e->ring);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
            break;
        s = io_uring_get_sqe(&e->ring);
    }
    return s;
}

void cancel_ud(worker_t *w, ueng_t *e, uint64_t ud)
{
    struct io_uring_sqe *s = sqe_get(w, e);
    if (!s)
        return;
    io_uring_prep_cancel64(s, ud, 0);
    io_uring_sqe_set_data64(s, UD(OP_CANCEL, 0, 0));
}

/* ---- connections ---------------------------------------------------------- */

static void conn_finish(worker_t *w, conn_t *c)
{
    close(c->fd);
    conn_release(&w->conns, c);
    pl_stat_set(&w->stats, PL_ST_TCP_CONNECTIONS, w->conns.nopen);
}

void uconn_close(worker_t *w, ueng_t *e, conn_t *c, pl_stat_id_t reason)
{
    if (c->state != CONN_OPEN)
        return;
    c->state = CONN_CLOSING;
    pl_stat_add(&w->stats, reason, 1);
    if (c->inflight == 0) {
        conn_finish(w, c);
        return;
    }
    /* Pending recv/send complete (cancelled) before the fd is closed, so the
     * fd number cannot be reused under them. */
    struct io_uring_sqe *s = sqe_get(w, e);
    if (s) {
        io_uring_prep_cancel_fd(s, c->fd, IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(s, UD(OP_CANCEL, 0, 0));
    }
    shutdown(c->fd, SHUT_RDWR);
}

void uconn_kick(worker_t *w, ueng_t *e, conn_t *c)
{
    if (c->state != CONN_OPEN)
        return;
    if (!c->sending && conn_next_send(c)) {
        struct io_uring_sqe *s = sqe_get(w, e);
        if (s) {
            io_uring_prep_send(s, c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
                               MSG_NOSIGNAL);
            io_uring_sqe_set_data64(s, UD(OP_SEND, c->slot, c->gen));
            c->sending = 1;
            c->inflight++;
        }
    }
    if (conn_done(c) && !c->lingering) {
        if (!conn_linger_begin(w, c)) {
            uconn_close(w, e, c, c->close_reason);
            return;
        }
        shutdown(c->fd, SHUT_WR); /* FIN after the replies already queued */
    }
    if (!c->reading && (c->lingering || (!c->eof && !c->close_after && !c->paused))) {
        size_t room = conn_in_room(c, w->max_request);
        struct io_uring_sqe *s = room ? sqe_get(w, e) : NULL;
        if (s) {
            io_uring_prep_recv(s, c->fd, c->in + c->in_len, room, 0);
            io_uring_sqe_set_data64(s, UD(OP_RECV, c->slot, c->gen));
            c->reading = 1;
            c->inflight++;
        }
    }
}

static conn_t *conn_of(worker_t *w, uint64_t ud)
{
    uint32_t slot = UD_SLOT(ud);
    if (slot >= w->conns.cap)
        return NULL;
    conn_t *c = &w->conns.c[slot];
    return (c->gen == UD_GEN(ud) && c->state != CONN_FREE) ? c : NULL;
}

void on_recv(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    conn_t *c = conn_of(w, cqe->user_data);
    if (!c)
        return;
    c->inflight--;
    c->reading = 0;
    if (c->state == CONN_CLOSING) {
        if (c->inflight == 0)
            conn_finish(w, c);
        return;
    }
    if (c->lingering) {
        /* Input after our FIN is read and dropped until the peer closes. */
        if (cqe->res > 0) {
            c->in_len = 0;
            uconn_kick(w, e, c);
        } else {
            uconn_close(w, e, c, c->close_reason);
        }
        return;
    }
    if (cqe->res > 0) {
        c->in_len += (size_t)cqe->res;
        pl_stat_add(&w->stats, PL_ST_RX_BYTES_TCP, (uint64_t)cqe->res);
        conn_process(w, c);
    } else if (cqe->res == 0 || cqe->res == -ECANCELED) {
        /* Peer finished sending, or we stopped reading to drain: answer
         * what is buffered, flush, then close. */
        c->eof = 1;
        c->peer_eof = cqe->res == 0;
        if (!c->close_after)
            c->close_reason = w->draining ? PL_ST_TCP_CLOSED_SHUTDOWN : PL_ST_TCP_CLOSED_CLIENT;
    } else {
        uconn_close(w, e, c,
                   cqe->res == -ECONNRESET ? PL_ST_TCP_CLOSED_CLIENT : PL_ST_TCP_CLOSED_ERROR);
        return;
    }
    uconn_kick(w, e, c);
}

void on_send(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    conn_t *c = conn_of(w, cqe->user_data);
    if (!c)
        return;
    c->inflight--;
    c->sending = 0;
    if (c->state == CONN_CLOSING) {
        if (c->inflight == 0)
            conn_finish(w, c);
        return;
    }
    if (cqe->res < 0) {
        int r = cqe->res;
        uconn_close(w, e, c,
                   (r == -EPIPE || r == -ECONNRESET) ? PL_ST_TCP_CLOSED_CLIENT
                                                     : PL_ST_TCP_CLOSED_ERROR);
        return;
    }
    int was_paused = c->paused;
    /* A short send leaves the rest of `out`; conn_kick sends it next. */
    conn_sent(w, c, (size_t)cqe->res);
    if (was_paused && !c->paused)
        conn_process(w, c);
    uconn_kick(w, e, c);
}

void on_accept(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_MORE))
        e->accept_armed = 0;
    if (cqe->res < 0) {
        if (cqe->res == -EMFILE || cqe->res == -ENFILE || cqe->res == -ENOMEM)
            e->accept_retry_ms = w->now_ms + 100;
        return;
    }
    int fd = cqe->res;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (w->draining) {
        close(fd);
        return;
    }
    conn_t *victim = NULL;
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0) {
        pl_stat_add(&w->stats, PL_ST_TCP_REJECTED_DENIED, 1);
        close(fd);
        return;
    }
    if (!tcp_admit(w, (struct sockaddr *)&ss, NULL, &victim)) {
        close(fd);
        return;
    }
    if (victim)
        uconn_close(w, e, victim, PL_ST_TCP_CLOSED_EVICTED);
    conn_t *c = conn_open(&w->conns, fd, w->now_ms);
    if (!c) {
        pl_stat_add(&w->stats, PL_ST_TCP_REJECTED_CAP, 1);
        close(fd);
        return;
    }
    memcpy(c->src, w->admit_key, sizeof(c->src));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    pl_stat_add(&w->stats, PL_ST_TCP_ACCEPTED, 1);
    pl_stat_set(&w->stats, PL_ST_TCP_CONNECTIONS, w->conns.nopen);
    uconn_kick(w, e, c);
}

/* ---- UDP ------------------------------------------------------------------ */

void on_udp_send(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    uint32_t ri = UD_SLOT(cqe->user_data);
    if (ri >= e->nbufs)
        return;
    if (cqe->res < 0)
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_SEND_ERROR, 1);
    else
        pl_stat_add(&w->stats, PL_ST_TX_BYTES_UDP, (uint64_t)cqe->res);
    e->replies[ri].next_free = e->rfree;
    e->rfree = ri;
    e->rinflight--;
}

static void udp_datagram(worker_t *w, ueng_t *e, char *buf, int len)
{
    struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, len, &e->rmsg);
    if (!o || (o->flags & MSG_TRUNC) || o->namelen > sizeof(struct sockaddr_in6)) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_TRUNCATED, 1);
        return;
    }
    struct sockaddr *peer = io_uring_recvmsg_name(o);
    if (!udp_admit(w, peer))
        return;
    if (e->rfree == UINT32_MAX) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_NO_BUFFER, 1);
        return;
    }
    uint32_t ri = e->rfree;
    udp_reply_t *r = &e->replies[ri];
    const char *payload = io_uring_recvmsg_payload(o, &e->rmsg);
    unsigned plen = io_uring_recvmsg_payload_length(o, len, &e->rmsg);
    size_t n = udp_answer(w, payload, plen, r->data, sizeof(r->data));
    if (!n)
        return;
    struct io_uring_sqe *s = sqe_get(w, e);
    if (!s) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_NO_BUFFER, 1);
        return;
    }
    e->rfree = r->next_free;
    memcpy(&r->peer, peer, o->namelen);
    r->iov.iov_base = r->data;
    r->iov.iov_len = n;
    memset(&r->mh, 0, sizeof(r->mh));
    r->mh.msg_name = &r->peer;
    r->mh.msg_namelen = o->namelen;
    r->mh.msg_iov = &r->iov;
    r->mh.msg_iovlen = 1;
    io_uring_prep_sendmsg(s, w->udp_fd, &r->mh, 0);
    io_uring_sqe_set_data64(s, UD(OP_UDP_SEND, ri, 0));
    e->rinflight++;
}

void on_udp_recv(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        /* Multishot ended (out of buffers, or cancelled): re-armed at the
         * end of the batch, after the buffers are given back. */
        e->udp_armed = 0;
        if (!w->draining)
            pl_stat_add(&w->stats, PL_ST_UDP_REARM, 1);
    }
    if (!(cqe->flags & IORING_CQE_F_BUFFER))
        return;
    unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    char *buf = e->bufs + (size_t)bid * UDP_BUF_SIZE;
    if (cqe->res > 0)
        udp_datagram(w, e, buf, cqe->res);
    /* The request is answered (the reply is a copy): the buffer goes back. */
    io_uring_buf_ring_add(e->br, buf, UDP_BUF_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(e->nbufs), e->br_added++);
}
