/* The load generator's event loops: one epoll loop per thread over its TCP
 * connections or UDP sockets. Closed loop keeps `depth` requests in flight
 * on each; open loop sends at intended instants and measures latency from
 * them, so a slow server cannot slow the clock down (no coordinated
 * omission). UDP requests carry an id (slot + generation) so late and lost
 * answers are told apart. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define SLOT_BITS 12 /* UDP id = generation << SLOT_BITS | slot */
#define RBUF 262144
#define WBUF 65536
#define UDP_BATCH 64
#define UDP_DGRAM 4096

typedef struct pend {
    uint32_t key;
    uint32_t gen;
    uint64_t t;    /* latency base: send time (closed) or intended time (open) */
    uint64_t sent; /* actual send time (UDP timeout) */
    int busy;
} pend_t;

typedef struct conn {
    int fd, dead, udp;
    size_t seqpos;
    uint32_t inflight;
    uint64_t next_due, period; /* open loop */
    /* TCP */
    char *rbuf, *wbuf;
    size_t rlen, wlen, woff;
    int want_out;
    pend_t *q;
    uint32_t qmask, qhead, qtail;
    uint32_t fresh; /* requests queued since the last flush */
    /* UDP */
    pend_t *slot;
    uint32_t *freel, nfree;
    char *sbuf;           /* depth × BP_REQ_MAX request bytes, by slot */
    struct mmsghdr *smsg; /* requests waiting for sendmmsg */
    struct iovec *siov;
    uint32_t nsend;
} conn_t;

struct run_worker {
    const run_ctx_t *ctx;
    const run_opts_t *o;
    int id, ep, nconns;
    conn_t *c;
    const uint32_t *seq;
    size_t seqmask;
    run_stats_t st;
    /* UDP receive batch */
    struct mmsghdr rmsg[UDP_BATCH];
    struct iovec riov[UDP_BATCH];
    char (*rdg)[UDP_DGRAM];
};

uint64_t run_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int in_window(const run_worker_t *w, uint64_t t)
{
    return t >= w->ctx->t_warm && t < w->ctx->t_end;
}

static uint32_t next_key(run_worker_t *w, conn_t *c)
{
    return w->seq[c->seqpos++ & w->seqmask];
}

static void conn_dead(run_worker_t *w, conn_t *c, const char *why)
{
    if (c->dead)
        return;
    c->dead = 1;
    w->st.conn_errors++;
    if (w->st.conn_errors <= 3)
        fprintf(stderr, "pricelane-bench: connection %d: %s\n", c->fd, why);
    epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
    /* what was in flight will never be answered */
    if (!c->udp) {
        for (uint32_t i = c->qhead; i != c->qtail; i++)
            if (in_window(w, c->q[i & c->qmask].t))
                w->st.lost++;
        c->qhead = c->qtail;
    } else {
        for (int s = 0; s < w->o->depth; s++)
            if (c->slot[s].busy && in_window(w, c->slot[s].t))
                w->st.lost++;
    }
    c->inflight = 0;
}

/* ---- TCP ------------------------------------------------------------------ */

static void tcp_issue(run_worker_t *w, conn_t *c, uint64_t t)
{
    uint32_t key = next_key(w, c);
    size_t len;
    const char *code = pl_keys_code(w->ctx->keys, key, &len);
    c->wlen += bp_encode(w->o->proto, code, len, 0, c->wbuf + c->wlen);
    pend_t *p = &c->q[c->qtail++ & c->qmask];
    p->key = key;
    p->t = t;
    c->inflight++;
    c->fresh++;
    if (in_window(w, t))
        w->st.sent++;
}

static void set_out(run_worker_t *w, conn_t *c, int on)
{
    if (c->want_out == on)
        return;
    c->want_out = on;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void tcp_flush(run_worker_t *w, conn_t *c)
{
    c->fresh = 0;
    while (c->woff < c->wlen) {
        ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            set_out(w, c, 1);
            return;
        }
        conn_dead(w, c, n < 0 ? strerror(errno) : "send returned 0");
        return;
    }
    c->woff = c->wlen = 0;
    set_out(w, c, 0);
}

/* Room for one more request in the write buffer and the queue. */
static int tcp_room(const run_worker_t *w, const conn_t *c)
{
    return c->wlen + BP_REQ_MAX <= WBUF && c->qtail - c->qhead <= c->qmask &&
           c->inflight < (uint32_t)w->o->depth;
}

static void record(run_worker_t *w, const bp_reply_t *r, uint32_t key, uint64_t t, uint64_t now)
{
    if (!in_window(w, t))
        return;
    w->st.answered++;
    bp_check_t ck = BC_OK;
    if (w->o->check) {
        size_t len;
        const char *code = pl_keys_code(w->ctx->keys, key, &len);
        ck = bp_check(r, code, len, pl_keys_kind(w->ctx->keys, key), w->o->kv, w->o->echo);
        if (ck != BC_OK && w->st.checks[ck] < 3) {
            int show = r->val_len > 160 ? 160 : (int)r->val_len;
            fprintf(stderr, "pricelane-bench: %s answer for %s: %.*s\n", bp_check_names[ck], code,
                    show, r->val ? r->val : "");
        }
    }
    w->st.checks[ck]++;
    pl_hist_record(&w->st.hist, now > t ? now - t : 0);
}

static void tcp_read(run_worker_t *w, conn_t *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, RBUF - c->rlen, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            conn_dead(w, c, n ? strerror(errno) : "closed by the server");
            return;
        }
        uint64_t now = run_now_ns();
        c->rlen += (size_t)n;
        size_t off = 0;
        uint32_t first_new = c->qtail;
        while (off < c->rlen) {
            bp_reply_t r;
            long used = bp_parse(w->o->proto, c->rbuf + off, c->rlen - off, 0, &r);
            if (used == 0)
                break;
            if (used < 0 || c->qhead == c->qtail) {
                conn_dead(w, c, used < 0 ? "reply framing error" : "an answer nobody asked for");
                return;
            }
            pend_t *p = &c->q[c->qhead++ & c->qmask];
            c->inflight--;
            record(w, &r, p->key, p->t, now);
            off += (size_t)used;
            if (w->o->rate == 0 && now < w->ctx->t_end && tcp_room(w, c))
                tcp_issue(w, c, now);
        }
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
        if (c->rlen == RBUF) {
            conn_dead(w, c, "reply larger than the read buffer");
            return;
        }
        if (c->fresh) {
            /* the new requests leave now: measure from here, not from the read */
            uint64_t t = run_now_ns();
            for (uint32_t i = first_new; i != c->qtail; i++) {
                pend_t *p = &c->q[i & c->qmask];
                int was = in_window(w, p->t);
                p->t = t;
                w->st.sent += (uint64_t)in_window(w, t) - (uint64_t)was;
            }
            tcp_flush(w, c);
            if (c->dead)
                return;
        }
        if ((size_t)n < RBUF / 2)
            break; /* drained: let epoll tell us about more */
    }
}

/* ---- UDP ------------------------------------------------------------------ */

static void udp_flush(run_worker_t *w, conn_t *c)
{
    uint32_t done = 0;
    while (done < c->nsend) {
        int n = sendmmsg(c->fd, c->smsg + done, c->nsend - done, 0);
        if (n > 0) {
            done += (uint32_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
            break; /* the timeout will reclaim these slots */
        if (n < 0 && errno == ECONNREFUSED)
            continue; /* an ICMP error from an earlier datagram */
        conn_dead(w, c, n < 0 ? strerror(errno) : "sendmmsg sent nothing");
        return;
    }
    c->nsend = 0;
}

static void udp_issue(run_worker_t *w, conn_t *c, uint64_t t, uint64_t now)
{
    uint32_t s = c->freel[--c->nfree];
    pend_t *p = &c->slot[s];
    uint32_t key = next_key(w, c);
    size_t len;
    const char *code = pl_keys_code(w->ctx->keys, key, &len);
    p->gen++;
    p->key = key;
    p->t = t;
    p->sent = now;
    p->busy = 1;
    uint32_t id = p->gen << SLOT_BITS | s;
    char *buf = c->sbuf + (size_t)s * BP_REQ_MAX;
    c->siov[c->nsend].iov_base = buf;
    c->siov[c->nsend].iov_len = bp_encode(w->o->proto, code, len, id, buf);
    memset(&c->smsg[c->nsend].msg_hdr, 0, sizeof(c->smsg[0].msg_hdr));
    c->smsg[c->nsend].msg_hdr.msg_iov = &c->siov[c->nsend];
    c->smsg[c->nsend].msg_hdr.msg_iovlen = 1;
    c->nsend++;
    c->inflight++;
    if (in_window(w, t))
        w->st.sent++;
}

static void udp_free(conn_t *c, uint32_t s)
{
    c->slot[s].busy = 0;
    c->freel[c->nfree++] = s;
    c->inflight--;
}

static void udp_read(run_worker_t *w, conn_t *c)
{
    for (;;) {
        for (int i = 0; i < UDP_BATCH; i++) {
            w->riov[i].iov_base = w->rdg[i];
            w->riov[i].iov_len = UDP_DGRAM;
            memset(&w->rmsg[i].msg_hdr, 0, sizeof(w->rmsg[i].msg_hdr));
            w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
            w->rmsg[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(c->fd, w->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL);
        if (n < 0) {
            if (errno == EINTR || errno == ECONNREFUSED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                conn_dead(w, c, strerror(errno));
            break;
        }
        uint64_t now = run_now_ns();
        uint32_t idmask = w->o->proto == BP_MC_UDP ? 0xffff : 0xffffffff;
        for (int i = 0; i < n; i++) {
            bp_reply_t r;
            size_t len = w->rmsg[i].msg_len;
            long used = bp_parse(w->o->proto, w->rdg[i], len, 1, &r);
            if (used >= 0 && !bp_has_ids(w->o->proto)) {
                /* One request in flight on this socket: this is its reply. */
                r.id = c->slot[0].gen << SLOT_BITS;
                r.has_id = 1;
            }
            if (used < 0 || !r.has_id) {
                w->st.checks[BC_PROTOCOL]++;
                continue;
            }
            uint32_t s = r.id & ((1u << SLOT_BITS) - 1);
            if (s >= (uint32_t)w->o->depth || !c->slot[s].busy ||
                ((c->slot[s].gen << SLOT_BITS | s) & idmask) != r.id) {
                w->st.late++;
                continue;
            }
            pend_t *p = &c->slot[s];
            record(w, &r, p->key, p->t, now);
            udp_free(c, s);
            if (w->o->rate == 0 && now < w->ctx->t_end)
                udp_issue(w, c, now, now);
        }
        if (c->nsend)
            udp_flush(w, c);
        if (n < UDP_BATCH)
            break;
    }
}

static void udp_timeouts(run_worker_t *w, conn_t *c, uint64_t now)
{
    uint64_t to = (uint64_t)(w->o->timeout * 1e9);
    for (int s = 0; s < w->o->depth; s++) {
        pend_t *p = &c->slot[s];
        if (!p->busy || now - p->sent < to)
            continue;
        if (in_window(w, p->t))
            w->st.lost++;
        udp_free(c, (uint32_t)s);
        if (w->o->rate == 0 && now < w->ctx->t_end)
            udp_issue(w, c, now, now);
    }
    if (c->nsend)
        udp_flush(w, c);
}

/* ---- setup and loop ------------------------------------------------------- */

static int conn_open(run_worker_t *w, conn_t *c, int index)
{
    const run_opts_t *o = w->o;
    c->udp = bp_is_udp(o->proto);
    c->fd = socket(AF_INET, (c->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -errno;
    if (connect(c->fd, (const struct sockaddr *)&o->addr, sizeof(o->addr)) < 0)
        return -errno;
    int one = 1, big = 4 << 20;
    if (c->udp) {
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
        setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    } else {
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    uint32_t d = (uint32_t)o->depth;
    if (!c->udp) {
        uint32_t cap = 1;
        while (cap < d + 1)
            cap *= 2;
        c->q = calloc(cap, sizeof(pend_t));
        c->qmask = cap - 1;
        c->rbuf = malloc(RBUF);
        c->wbuf = malloc(WBUF);
        if (!c->q || !c->rbuf || !c->wbuf)
            return -ENOMEM;
    } else {
        c->slot = calloc(d, sizeof(pend_t));
        c->freel = calloc(d, sizeof(uint32_t));
        c->sbuf = malloc((size_t)d * BP_REQ_MAX);
        c->smsg = calloc(d, sizeof(struct mmsghdr));
        c->siov = calloc(d, sizeof(struct iovec));
        if (!c->slot || !c->freel || !c->sbuf || !c->smsg || !c->siov)
            return -ENOMEM;
        for (uint32_t s = 0; s < d; s++)
            c->freel[c->nfree++] = d - 1 - s;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
        return -errno;
    c->seqpos = (size_t)index * 7919u * 131u; /* connections walk the sequence apart */
    return 0;
}

run_worker_t *run_worker_new(const run_ctx_t *ctx, int id, int first, int n, const uint32_t *seq,
                             size_t seqlen)
{
    run_worker_t *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->ctx = ctx;
    w->o = ctx->o;
    w->id = id;
    w->seq = seq;
    w->seqmask = seqlen - 1;
    pl_hist_reset(&w->st.hist);
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->c = calloc((size_t)n, sizeof(conn_t));
    w->rdg = malloc(sizeof(*w->rdg) * UDP_BATCH);
    if (w->ep < 0 || !w->c || !w->rdg) {
        run_worker_free(w);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        w->c[i].fd = -1;
        w->nconns = i + 1;
        int rc = conn_open(w, &w->c[i], first + i);
        if (rc) {
            fprintf(stderr, "pricelane-bench: connect to %s: %s\n", w->o->server, strerror(-rc));
            run_worker_free(w);
            return NULL;
        }
    }
    return w;
}

static void issue(run_worker_t *w, conn_t *c, uint64_t t, uint64_t now)
{
    if (c->udp)
        udp_issue(w, c, t, now);
    else
        tcp_issue(w, c, t);
}

static int can_issue(const run_worker_t *w, const conn_t *c)
{
    return c->udp ? c->nfree > 0 : tcp_room(w, c);
}

static void flush(run_worker_t *w, conn_t *c)
{
    if (c->udp) {
        if (c->nsend)
            udp_flush(w, c);
    } else if (c->wlen > c->woff && !c->want_out) {
        tcp_flush(w, c);
    }
}

/* Waits for the common start instant. Returns the time then. */
static uint64_t wait_for_start(const run_ctx_t *x)
{
    /* open loop wakes at intended instants: the default 50 µs timer slack
     * would show up as latency */
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    uint64_t now = run_now_ns();
    while (now < x->t0) { /* all workers start together */
        struct timespec ts = {0, (long)(x->t0 - now)};
        nanosleep(&ts, NULL);
        now = run_now_ns();
    }
    return now;
}

/* Open loop: each connection's send period and first instant, spread over
 * one period. Closed loop: `depth` requests on each connection now. */
static void start_conns(run_worker_t *w, uint64_t now)
{
    const run_ctx_t *x = w->ctx;
    const run_opts_t *o = w->o;
    if (o->rate > 0) {
        double per_conn = o->rate / o->conns;
        for (int i = 0; i < w->nconns; i++) {
            w->c[i].period = (uint64_t)(1e9 / per_conn);
            if (!w->c[i].period)
                w->c[i].period = 1;
            w->c[i].next_due = x->t0 + w->c[i].period * (uint64_t)i / (uint64_t)w->nconns;
        }
    } else {
        for (int i = 0; i < w->nconns; i++) {
            conn_t *c = &w->c[i];
            while (can_issue(w, c))
                issue(w, c, now, now);
            flush(w, c);
        }
    }
}

/* Open loop: sends what is due on each live connection and brings *wake
 * forward to the next instant due. Returns 1 when any live connection has
 * requests in flight. */
static int issue_due(run_worker_t *w, uint64_t now, uint64_t *wake)
{
    const run_ctx_t *x = w->ctx;
    int open_loop = w->o->rate > 0;
    int busy = 0;
    for (int i = 0; i < w->nconns; i++) {
        conn_t *c = &w->c[i];
        if (c->dead)
            continue;
        if (open_loop) {
            while (c->next_due <= now && c->next_due < x->t_end && can_issue(w, c)) {
                issue(w, c, c->next_due, now);
                c->next_due += c->period;
            }
            flush(w, c);
            if (c->next_due < x->t_end && c->next_due < *wake)
                *wake = c->next_due > now ? c->next_due : now;
        }
        if (c->inflight)
            busy = 1;
    }
    return busy;
}

/* Waits for socket events until wake at most, and reads and writes what
 * they allow. Returns 0, or -1 after printing why epoll failed. */
static int poll_conns(run_worker_t *w, uint64_t now, uint64_t wake)
{
    struct epoll_event ev[256];
    uint64_t dt = wake > now ? wake - now : 0;
    struct timespec ts = {(time_t)(dt / 1000000000ull), (long)(dt % 1000000000ull)};
    int n = epoll_pwait2(w->ep, ev, 256, &ts, NULL);
    if (n < 0 && errno != EINTR) {
        perror("pricelane-bench: epoll_pwait2");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        conn_t *c = ev[i].data.ptr;
        if (c->dead)
            continue;
        if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
            if (c->udp)
                udp_read(w, c);
            else
                tcp_read(w, c);
        }
        if (!c->dead && (ev[i].events & EPOLLOUT))
            tcp_flush(w, c);
    }
    return 0;
}

/* At the end: what is still outstanding was not answered in time, and in
 * open loop what was never sent is counted as unsent. */
static void count_unanswered(run_worker_t *w)
{
    const run_ctx_t *x = w->ctx;
    int open_loop = w->o->rate > 0;
    for (int i = 0; i < w->nconns; i++) {
        conn_t *c = &w->c[i];
        if (c->dead)
            continue;
        if (c->udp) {
            for (int s = 0; s < w->o->depth; s++)
                if (c->slot[s].busy && in_window(w, c->slot[s].t))
                    w->st.lost++;
        } else {
            for (uint32_t k = c->qhead; k != c->qtail; k++)
                if (in_window(w, c->q[k & c->qmask].t))
                    w->st.lost++;
        }
        if (open_loop && c->next_due < x->t_end) {
            uint64_t from = c->next_due > x->t_warm ? c->next_due : x->t_warm;
            w->st.unsent += (x->t_end - from + c->period - 1) / c->period;
        }
    }
}

void *run_worker_main(void *arg)
{
    run_worker_t *w = arg;
    const run_ctx_t *x = w->ctx;
    int udp = bp_is_udp(w->o->proto);
    uint64_t now = wait_for_start(x);
    start_conns(w, now);
    uint64_t next_scan = now;
    for (;;) {
        now = run_now_ns();
        uint64_t wake = now + 5000000; /* at least every 5 ms */
        int busy = issue_due(w, now, &wake);
        if (now >= x->t_stop || (now >= x->t_end && !busy))
            break;
        if (udp && now >= next_scan) {
            for (int i = 0; i < w->nconns; i++)
                if (!w->c[i].dead)
                    udp_timeouts(w, &w->c[i], now);
            next_scan = now + 2000000;
        }
        if (wake > x->t_stop)
            wake = x->t_stop;
        if (poll_conns(w, now, wake))
            break;
    }
    count_unanswered(w);
    return NULL;
}

const run_stats_t *run_worker_stats(const run_worker_t *w)
{
    return &w->st;
}

void run_worker_free(run_worker_t *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->nconns; i++) {
        conn_t *c = &w->c[i];
        if (c->fd >= 0)
            close(c->fd);
        free(c->rbuf);
        free(c->wbuf);
        free(c->q);
        free(c->slot);
        free(c->freel);
        free(c->sbuf);
        free(c->smsg);
        free(c->siov);
    }
    if (w->ep >= 0)
        close(w->ep);
    free(w->c);
    free(w->rdg);
    free(w);
}
