/* io_uring engine: ring and buffer setup, the completion loop, drain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "pricelane/err.h"
#include "uring_int.h"

static int ring_init(struct io_uring *ring)
{
    /* Newest flags first: a single issuer with deferred task work suits a
     * thread that owns its ring; older kernels get the plainer setups. */
    static const unsigned tries[] = {
        IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
        IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN,
        IORING_SETUP_CQSIZE,
    };
    int rc = -EINVAL;
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]) && rc == -EINVAL; i++) {
        struct io_uring_params p;
        memset(&p, 0, sizeof(p));
        p.flags = tries[i];
        p.cq_entries = SQ_ENTRIES * 8;
        rc = io_uring_queue_init_params(SQ_ENTRIES, ring, &p);
    }
    return rc;
}

static int uring_probe(unsigned nbufs)
{
    struct utsname u;
    int major = 0, minor = 0;
    /* Multishot recvmsg needs Linux 6.0; the probe below cannot see it. */
    if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
        (major < 6))
        return -ENOSYS;
    struct io_uring ring;
    int rc = io_uring_queue_init(8, &ring, 0);
    if (rc)
        return rc;
    struct io_uring_probe *p = io_uring_get_probe_ring(&ring);
    static const int ops[] = {IORING_OP_RECVMSG, IORING_OP_SENDMSG, IORING_OP_ACCEPT,
                              IORING_OP_RECV,    IORING_OP_SEND,    IORING_OP_ASYNC_CANCEL,
                              IORING_OP_TIMEOUT, IORING_OP_READ};
    if (!p)
        rc = -ENOSYS;
    for (size_t i = 0; p && !rc && i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!io_uring_opcode_supported(p, ops[i]))
            rc = -ENOSYS;
    if (p)
        io_uring_free_probe(p);
    /* The buffer ring a worker will register (locked memory limits show
     * here, not in the middle of startup). */
    size_t bytes = nbufs * sizeof(struct io_uring_buf);
    void *br = rc ? MAP_FAILED
                  : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (!rc && br == MAP_FAILED)
        rc = -errno;
    if (!rc) {
        struct io_uring_buf_reg reg;
        memset(&reg, 0, sizeof(reg));
        reg.ring_addr = (unsigned long)br;
        reg.ring_entries = nbufs;
        reg.bgid = BGID;
        rc = io_uring_register_buf_ring(&ring, &reg, 0);
    }
    io_uring_queue_exit(&ring);
    if (br != MAP_FAILED)
        munmap(br, bytes);
    return rc;
}

static void eng_free(worker_t *w, ueng_t *e)
{
    if (!e)
        return;
    if (e->ring.ring_fd > 0)
        io_uring_queue_exit(&e->ring);
    if (e->br)
        munmap(e->br, e->br_bytes);
    free(e->bufs);
    free(e->replies);
    if (e->wake_fd >= 0)
        close(e->wake_fd);
    free(e);
    w->eng = NULL;
}

static int eng_setup(worker_t *w, ueng_t **out)
{
    ueng_t *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->w = w;
    e->wake_fd = -1;
    e->ring.ring_fd = -1;
    int rc = ring_init(&e->ring);
    if (rc) {
        e->ring.ring_fd = -1;
        goto fail;
    }
    e->nbufs = w->udp_buffers;
    e->br_bytes = e->nbufs * sizeof(struct io_uring_buf);
    e->br = mmap(NULL, e->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (e->br == MAP_FAILED) {
        e->br = NULL;
        rc = -errno;
        goto fail;
    }
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (unsigned long)e->br;
    reg.ring_entries = e->nbufs;
    reg.bgid = BGID;
    rc = io_uring_register_buf_ring(&e->ring, &reg, 0);
    if (rc)
        goto fail;
    io_uring_buf_ring_init(e->br);
    e->bufs = aligned_alloc(64, (size_t)e->nbufs * UDP_BUF_SIZE);
    e->replies = calloc(e->nbufs, sizeof(*e->replies));
    if (!e->bufs || !e->replies) {
        rc = -ENOMEM;
        goto fail;
    }
    for (unsigned i = 0; i < e->nbufs; i++)
        io_uring_buf_ring_add(e->br, e->bufs + (size_t)i * UDP_BUF_SIZE, UDP_BUF_SIZE,
                              (unsigned short)i, io_uring_buf_ring_mask(e->nbufs), (int)i);
    io_uring_buf_ring_advance(e->br, (int)e->nbufs);
    /* One reply slot per receive buffer: a full batch can always answer. */
    for (unsigned i = 0; i < e->nbufs; i++)
        e->replies[i].next_free = i + 1 < e->nbufs ? i + 1 : UINT32_MAX;
    e->rfree = 0;
    e->rmsg.msg_namelen = sizeof(struct sockaddr_in6);
    e->wake_fd = eventfd(0, EFD_CLOEXEC);
    if (e->wake_fd < 0) {
        rc = -errno;
        goto fail;
    }
    e->tick.tv_sec = TICK_MS / 1000;
    e->tick.tv_nsec = (TICK_MS % 1000) * 1000000L;
    *out = e;
    return 0;
fail:
    w->eng = e;
    eng_free(w, e);
    return rc;
}

/* Arms whatever is not armed: the multishot receives end on errors or lack
 * of buffers, timers and wake reads are one-shot. Idempotent; an SQE that
 * could not be had is retried at the end of the next batch. */
static void arm_all(worker_t *w, ueng_t *e)
{
    struct io_uring_sqe *s;
    for (int k = 0; k < PORT__COUNT && !w->draining; k++) {
        if (!e->udp_armed[k] && w->udp_fd[k] >= 0 && (s = sqe_get(w, e))) {
            io_uring_prep_recvmsg_multishot(s, w->udp_fd[k], &e->rmsg, 0);
            s->flags |= IOSQE_BUFFER_SELECT;
            s->buf_group = BGID;
            io_uring_sqe_set_data64(s, UD(OP_UDP_RECV, k, 0));
            e->udp_armed[k] = 1;
        }
        if (!e->accept_armed[k] && w->tcp_fd[k] >= 0 && w->now_ms >= e->accept_retry_ms &&
            (s = sqe_get(w, e))) {
            io_uring_prep_multishot_accept(s, w->tcp_fd[k], NULL, NULL, SOCK_CLOEXEC);
            io_uring_sqe_set_data64(s, UD(OP_ACCEPT, k, 0));
            e->accept_armed[k] = 1;
        }
    }
    if (!e->tick_armed && (s = sqe_get(w, e))) {
        io_uring_prep_timeout(s, &e->tick, 0, 0);
        io_uring_sqe_set_data64(s, UD(OP_TICK, 0, 0));
        e->tick_armed = 1;
    }
    if (!e->wake_armed && (s = sqe_get(w, e))) {
        io_uring_prep_read(s, e->wake_fd, &e->wake_val, sizeof(e->wake_val), 0);
        io_uring_sqe_set_data64(s, UD(OP_WAKE, 0, 0));
        e->wake_armed = 1;
    }
}

/* Once a second: idle connections, the drain deadline, and anything a
 * missing SQE left unarmed. */
static void on_tick(worker_t *w, ueng_t *e)
{
    e->tick_armed = 0;
    for (int k = 0; k < PORT__COUNT && w->draining; k++) {
        if (e->accept_armed[k])
            cancel_ud(w, e, UD(OP_ACCEPT, k, 0));
        if (e->udp_armed[k])
            cancel_ud(w, e, UD(OP_UDP_RECV, k, 0));
    }
    tcp_tick(&w->tcp);
    worker_poll(w);
}

static void dispatch(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe)
{
    switch (UD_OP(cqe->user_data)) {
    case OP_UDP_RECV:
        on_udp_recv(w, e, cqe);
        break;
    case OP_UDP_SEND:
        on_udp_send(w, e, cqe);
        break;
    case OP_ACCEPT:
        on_accept(w, e, cqe);
        break;
    case OP_RECV:
        on_recv(w, e, cqe);
        break;
    case OP_SEND:
        on_send(w, e, cqe);
        break;
    case OP_TICK:
        on_tick(w, e);
        break;
    case OP_WAKE:
        e->wake_armed = 0;
        worker_poll(w);
        break;
    default: /* OP_CANCEL: the cancelled operation reports for itself */
        break;
    }
}

static void uring_worker_wake(worker_t *w)
{
    ueng_t *e = w->eng;
    uint64_t one = 1;
    if (e && write(e->wake_fd, &one, sizeof(one)) < 0) {
        /* The counter is saturated: the worker is awake anyway. */
    }
}

static int uring_worker_run(worker_t *w)
{
    ueng_t *e = NULL;
    int rc = eng_setup(w, &e);
    if (rc) {
        fprintf(stderr, "pricelaned: worker %d: io_uring setup: %s\n", w->id, pl_strerror(rc));
        worker_report_ready(w, 0);
        return rc;
    }
    w->eng = e;
    w->tcp.io = &uring_conn_io;
    w->tcp.eng = e;
    w->now_ms = w->tcp.now_ms = mono_ms();
    arm_all(w, e);
    worker_report_ready(w, 1);

    for (;;) {
        if (w->draining && w->tcp.conns.nopen == 0 && !worker_has_listeners(w))
            break;
        /* No read snapshot is held across a wait: it would pin old pages. */
        if (io_uring_cq_ready(&e->ring) == 0)
            answer_idle(&w->ax);
        int r = io_uring_submit_and_wait(&e->ring, 1);
        if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY && r != -ETIME) {
            fprintf(stderr, "pricelaned: worker %d: io_uring: %s\n", w->id, pl_strerror(r));
            rc = r;
            break;
        }
        worker_batch_begin(w);
        if (worker_stop_requested(w))
            worker_drain(w); /* the tick cancels the accept and the UDP receive */
        /* The batch is the completions present now. The snapshot is taken
         * lazily at its first lookup, so after every one of them was posted:
         * nothing in the batch was received after the snapshot. Completions
         * posted meanwhile (inline ones during an early submit) wait for the
         * next batch and its fresh snapshot. */
        unsigned head, n = 0, ready = io_uring_cq_ready(&e->ring);
        struct io_uring_cqe *cqe;
        io_uring_for_each_cqe(&e->ring, head, cqe)
        {
            if (n == ready)
                break;
            dispatch(w, e, cqe);
            n++;
        }
        io_uring_cq_advance(&e->ring, n);
        if (e->br_added) {
            io_uring_buf_ring_advance(e->br, e->br_added);
            e->br_added = 0;
        }
        for (int k = 0; k < PORT__COUNT && w->draining; k++) {
            if (!e->accept_armed[k] && w->tcp_fd[k] >= 0) {
                close(w->tcp_fd[k]);
                w->tcp_fd[k] = -1;
            }
            if (!e->udp_armed[k] && e->rinflight == 0 && w->udp_fd[k] >= 0) {
                close(w->udp_fd[k]);
                w->udp_fd[k] = -1;
            }
        }
        arm_all(w, e);
    }
    answer_idle(&w->ax);
    worker_set_alive(w, 0);
    eng_free(w, e);
    return rc;
}

const engine_t engine_uring = {"uring", uring_probe, uring_worker_run, uring_worker_wake,
                               uring_udp_send};
