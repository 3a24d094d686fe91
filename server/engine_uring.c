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

static int io_send(void *eng, conn_t *c)
{
    ueng_t *e = eng;
    struct io_uring_sqe *s = sqe_get(e->w, e);
    if (!s)
        return -EAGAIN; /* the tick kicks again */
    io_uring_prep_send(s, c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, UD(OP_SEND, c->slot, c->gen));
    c->inflight++;
    return 0;
}

static int io_recv(void *eng, conn_t *c, size_t room)
{
    ueng_t *e = eng;
    struct io_uring_sqe *s = sqe_get(e->w, e);
    if (!s)
        return -EAGAIN;
    io_uring_prep_recv(s, c->fd, c->in + c->in_len, room, 0);
    io_uring_sqe_set_data64(s, UD(OP_RECV, c->slot, c->gen));
    c->inflight++;
    return 0;
}

static int io_recv_stop(void *eng, conn_t *c)
{
    ueng_t *e = eng;
    cancel_ud(e->w, e, UD(OP_RECV, c->slot, c->gen));
    return 0; /* the receive completes, cancelled or with data */
}

static int io_shutdown(void *eng, conn_t *c)
{
    (void)eng;
    shutdown(c->fd, SHUT_WR); /* FIN after the replies already queued */
    return 0;
}

static void conn_finish(worker_t *w, conn_t *c)
{
    close(c->fd);
    tcp_released(&w->tcp, c);
}

static void io_close(void *eng, conn_t *c)
{
    ueng_t *e = eng;
    if (c->inflight == 0) {
        conn_finish(e->w, c);
        return;
    }
    /* Pending recv/send complete (cancelled) before the fd is closed, so the
     * fd number cannot be reused under them. */
    struct io_uring_sqe *s = sqe_get(e->w, e);
    if (s) {
        io_uring_prep_cancel_fd(s, c->fd, IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(s, UD(OP_CANCEL, 0, 0));
    }
    shutdown(c->fd, SHUT_RDWR);
}

const conn_io_t uring_conn_io = {io_send, io_recv, io_recv_stop, io_shutdown, io_close};

static conn_t *conn_of(worker_t *w, uint64_t ud)
{
    uint32_t slot = UD_SLOT(ud);
    if (slot >= w->tcp.conns.cap)
        return NULL;
    conn_t *c = &w->tcp.conns.c[slot];
    return (c->gen == UD_GEN(ud) && c->state != CONN_FREE) ? c : NULL;
}

/* A receive or send on c completed: 1 when the connection is closing (the
 * completion only ends an operation in flight), else 0. */
static int op_done(worker_t *w, conn_t *c)
{
    c->inflight--;
    if (c->state != CONN_CLOSING)
        return 0;
    if (c->inflight == 0)
        conn_finish(w, c);
    return 1;
}

void on_recv(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    conn_t *c = conn_of(w, cqe->user_data);
    if (!c)
        return;
    tcp_recv_ended(c);
    if (op_done(w, c))
        return;
    if (cqe->res > 0)
        tcp_input(&w->tcp, c, (size_t)cqe->res);
    else if (cqe->res == 0)
        tcp_eof(&w->tcp, c);
    else if (cqe->res == -ECANCELED)
        tcp_kick(&w->tcp, c); /* reading was stopped (pause, drain) */
    else
        tcp_fail(&w->tcp, c, cqe->res);
}

void on_send(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    conn_t *c = conn_of(w, cqe->user_data);
    if (!c)
        return;
    c->sending = 0;
    if (op_done(w, c))
        return;
    if (cqe->res < 0)
        tcp_fail(&w->tcp, c, cqe->res);
    else
        tcp_sent(&w->tcp, c, (size_t)cqe->res);
}

void on_accept(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    int kind = (int)UD_SLOT(cqe->user_data);
    if (kind >= PORT__COUNT)
        return;
    if (!(cqe->flags & IORING_CQE_F_MORE))
        e->accept_armed[kind] = 0;
    if (cqe->res < 0) {
        if (cqe->res == -EMFILE || cqe->res == -ENFILE || cqe->res == -ENOMEM)
            e->accept_retry_ms = w->now_ms + 100;
        return;
    }
    int fd = cqe->res;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    int known = getpeername(fd, (struct sockaddr *)&ss, &sl) == 0;
    conn_t *c = tcp_accept(&w->tcp, fd, known ? (struct sockaddr *)&ss : NULL, kind);
    if (!c) {
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    tcp_kick(&w->tcp, c);
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

/* Sends the reply already in the free reply slot's data (n bytes) to peer
 * (namelen bytes of address) from the UDP socket of port kind. */
static void udp_send_slot(worker_t *w, ueng_t *e, int kind, const struct sockaddr *peer,
                          socklen_t namelen, size_t n)
{
    uint32_t ri = e->rfree;
    udp_reply_t *r = &e->replies[ri];
    struct io_uring_sqe *s = sqe_get(w, e);
    if (!s) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_NO_BUFFER, 1);
        return;
    }
    e->rfree = r->next_free;
    memcpy(&r->peer, peer, namelen);
    udp_reply_to(w, kind, (struct sockaddr *)&r->peer);
    r->fd = w->udp_fd[kind];
    r->iov.iov_base = r->data;
    r->iov.iov_len = n;
    memset(&r->mh, 0, sizeof(r->mh));
    r->mh.msg_name = &r->peer;
    r->mh.msg_namelen = namelen;
    r->mh.msg_iov = &r->iov;
    r->mh.msg_iovlen = 1;
    io_uring_prep_sendmsg(s, r->fd, &r->mh, 0);
    io_uring_sqe_set_data64(s, UD(OP_UDP_SEND, ri, 0));
    e->rinflight++;
}

void uring_udp_send(worker_t *w, int kind, const struct sockaddr *to, const char *p, size_t n)
{
    ueng_t *e = w->eng;
    if (!e || kind < 0 || kind >= PORT__COUNT || w->udp_fd[kind] < 0 || n > UDP_REPLY_MAX) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_SEND_ERROR, 1);
        return;
    }
    if (e->rfree == UINT32_MAX) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_NO_BUFFER, 1);
        return;
    }
    memcpy(e->replies[e->rfree].data, p, n);
    udp_send_slot(
        w, e, kind, to,
        to->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), n);
}

static void udp_datagram(worker_t *w, ueng_t *e, int kind, char *buf, int len)
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
    const char *payload = io_uring_recvmsg_payload(o, &e->rmsg);
    unsigned plen = io_uring_recvmsg_payload_length(o, len, &e->rmsg);
    udp_reply_t *r = &e->replies[e->rfree];
    size_t n = udp_answer(w, kind, peer, payload, plen, r->data, sizeof(r->data));
    if (n)
        udp_send_slot(w, e, kind, peer, o->namelen, n);
}

void on_udp_recv(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    int kind = (int)UD_SLOT(cqe->user_data);
    if (kind >= PORT__COUNT)
        return;
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        /* Multishot ended (out of buffers, or cancelled): re-armed at the
         * end of the batch, after the buffers are given back. */
        e->udp_armed[kind] = 0;
        if (!w->draining)
            pl_stat_add(&w->stats, PL_ST_UDP_REARM, 1);
    }
    if (!(cqe->flags & IORING_CQE_F_BUFFER))
        return;
    unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    char *buf = e->bufs + (size_t)bid * UDP_BUF_SIZE;
    if (cqe->res > 0)
        udp_datagram(w, e, kind, buf, cqe->res);
    /* The request is answered (the reply is a copy): the buffer goes back. */
    io_uring_buf_ring_add(e->br, buf, UDP_BUF_SIZE, (unsigned short)bid,
                          io_uring_buf_ring_mask(e->nbufs), e->br_added++);
}
