#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "tcp.h"

#define OUT_MIN_ROOM 2048       /* a single answer fits; bigger ones grow the buffer */
#define OUT_SLACK (1024 * 1024) /* one reply may overshoot max_output by this much */

/* ---- requests to replies -------------------------------------------------- */

/* Appends the reply to req to pend, growing it as a large reply (an MGET)
 * needs. Returns 0, or -1 when the reply cannot fit in the hard limit. */
static int reply(tcp_t *t, conn_t *c, const pl_req_t *req, int fatal, const char *msg, int *fl)
{
    size_t limit = t->pol->max_output + OUT_SLACK;
    size_t want = OUT_MIN_ROOM;
    *fl = 0;
    for (;;) {
        if (obuf_reserve(&c->pend, want, limit) != 0)
            return -1;
        char *dst = c->pend.p + c->pend.len;
        size_t room = c->pend.cap - c->pend.len;
        size_t n = fatal ? answer_fatal(t->ax, req, PL_SP_TCP, msg, dst, room)
                         : answer(t->ax, req, PL_SP_TCP, dst, room, fl);
        if (n) {
            c->pend.len += n;
            return 0;
        }
        if (room >= limit - c->pend.len)
            return -1;
        want = room * 2;
    }
}

/* A REPORT refused at once: its error reply, counted as `status`. */
static int refuse(tcp_t *t, conn_t *c, const pl_req_t *req, const char *msg, int status)
{
    if (obuf_reserve(&c->pend, OUT_MIN_ROOM, t->pol->max_output + OUT_SLACK) != 0)
        return -1;
    size_t n = pl_proto_reply_error(req, msg, c->pend.p + c->pend.len, c->pend.cap - c->pend.len);
    if (!n)
        return -1;
    c->pend.len += n;
    pl_stat_add(t->stats, PL_STAT_REQ(req->proto == PL_PROTO_RESP ? PL_SP_RESP : PL_SP_TCP, status),
                1);
    return 0;
}

static void fail_close(conn_t *c, pl_stat_id_t reason)
{
    c->close_after = 1;
    c->close_reason = reason;
}

/* The last reply of a stream that cannot go on: an error reply (or none
 * when even that does not fit), then close once it is sent. */
static void last_reply(tcp_t *t, conn_t *c, const pl_req_t *req, const char *msg)
{
    int fl;
    if (reply(t, c, req, 1, msg, &fl) != 0)
        c->pend.len = 0;
    fail_close(c, PL_ST_TCP_CLOSED_PROTOCOL);
    c->in_len = 0;
}

/* Back-pressure: 1 (and the connection paused) when its unsent replies
 * reached max_output. */
static int full(tcp_t *t, conn_t *c)
{
    if (c->pend.len < t->pol->max_output)
        return 0;
    if (!c->paused)
        pl_stat_add(t->stats, PL_ST_TCP_BACKPRESSURE, 1);
    c->paused = 1;
    return 1;
}

/* Drops the first off bytes of `in` (answered), or all of it once the
 * connection is to close. */
static void consumed(conn_t *c, size_t off)
{
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    if (c->close_after)
        c->in_len = 0;
}

/* Appends a price checker's screen (answer_cit, or answer_cit_fatal when
 * line is NULL) to pend; 0, or -1 when it cannot. */
static int cit_reply(tcp_t *t, conn_t *c, const cit_device_t *dev, const char *line, size_t n,
                     const char *msg)
{
    if (obuf_reserve(&c->pend, CIT_SCREEN_MAX, t->pol->max_output + OUT_SLACK) != 0)
        return -1;
    char *dst = c->pend.p + c->pend.len;
    size_t room = c->pend.cap - c->pend.len;
    size_t m = line ? answer_cit(t->ax, dev, line, n, PL_SP_CIT_TCP, dst, room)
                    : answer_cit_fatal(t->ax, dev, msg, PL_SP_CIT_TCP, dst, room);
    c->pend.len += m;
    return m ? 0 : -1;
}

/* Price checkers (NQuire CIT): one request per line (CR, LF or both,
 * pl_cit_frame); the answer is a screen. A stream that is not a price
 * checker's (a line too long) gets a screen saying so, then closes. */
static void process_cit(tcp_t *t, conn_t *c)
{
    cit_device_t dev;
    memcpy(dev.store, c->cit_store, sizeof(dev.store));
    dev.gb18030 = c->cit_gb18030;
    size_t off = 0;
    while (!c->close_after && !full(t, c)) {
        size_t at, n, used;
        int rc = pl_cit_frame(c->in + off, c->in_len - off, &at, &n, &used);
        off += used;
        if (rc == 0)
            break;
        if (rc < 0) {
            char msg[80];
            snprintf(msg, sizeof(msg), "no line break in %d bytes", PL_CIT_LINE_MAX);
            if (cit_reply(t, c, &dev, NULL, 0, msg) != 0)
                c->pend.len = 0;
            fail_close(c, PL_ST_TCP_CLOSED_PROTOCOL);
            break;
        }
        if (cit_reply(t, c, &dev, c->in + off - used + at, n, NULL) != 0) {
            fail_close(c, PL_ST_TCP_CLOSED_PROTOCOL);
            break;
        }
        c->last_ms = t->now_ms;
    }
    consumed(c, off);
}

/* Frames and answers every complete request in `in` into `pend`, until the
 * input is exhausted, the connection is paused or must close. Compacts
 * `in`. Sets close_after (+ reason) on QUIT, on an unrecoverable framing
 * error and on a request larger than max_request. */
static void process(tcp_t *t, conn_t *c)
{
    size_t off = 0;
    pl_req_t req;
    int fl;

    if (c->port == PORT_CIT) {
        process_cit(t, c);
        return;
    }
    while (!c->close_after && !c->waiting) {
        if (full(t, c))
            break;
        size_t used = 0;
        int rc = pl_proto_parse(&req, c->in + off, c->in_len - off, 0, &used);
        if (rc == 0) {
            off += used; /* blank lines before an incomplete request */
            break;
        }
        if (rc < 0) {
            /* The stream cannot be framed any more: say why, then close. */
            last_reply(t, c, &req, req.error[0] ? req.error : "bad request");
            return;
        }
        if (req.type == PL_REQ_REPORT && t->report) {
            char msg[160];
            int status = PL_SS_BAD_REQUEST;
            c->last_ms = t->now_ms;
            if (t->report(t->report_arg, c, &req, msg, sizeof(msg), &status)) {
                off += used;
                c->waiting = 1;
                break;
            }
            if (refuse(t, c, &req, msg, status) != 0) {
                last_reply(t, c, &req, "reply too large");
                return;
            }
            off += used;
            continue;
        }
        if (reply(t, c, &req, 0, NULL, &fl) != 0) {
            last_reply(t, c, &req, "reply too large");
            return;
        }
        off += used;
        /* Progress is a whole request: bytes that never complete one (a
         * client trickling a line) must not hold the connection open. */
        c->last_ms = t->now_ms;
        if (fl & ANSWER_CLOSE)
            fail_close(c, PL_ST_TCP_CLOSED_QUIT);
    }
    consumed(c, off);
    /* A buffer full of one incomplete request: it can never complete. */
    if (!c->close_after && !c->paused && !c->waiting && c->in_len >= t->max_request) {
        char msg[80];
        memset(&req, 0, sizeof(req));
        req.proto = c->in[0] == '*' ? PL_PROTO_RESP : PL_PROTO_LINE;
        snprintf(msg, sizeof(msg), "request larger than %zu bytes", t->max_request);
        last_reply(t, c, &req, msg);
    }
}

/* ---- events --------------------------------------------------------------- */

conn_t *tcp_accept(tcp_t *t, int fd, const struct sockaddr *sa, int kind)
{
    uint8_t key[16];
    conn_t *victim = NULL;
    if (t->draining)
        return NULL;
    if (!sa || pl_addr_key(sa, key) != 0) {
        pl_stat_add(t->stats, PL_ST_TCP_REJECTED_DENIED, 1);
        return NULL;
    }
    uint32_t n = t->nworkers ? t->nworkers : 1;
    uint32_t per_source = t->pol->per_source ? (t->pol->per_source + n - 1) / n : 0;
    switch (
        admit_tcp(&t->conns, t->limit, &t->pol->allow, per_source, sa, key, t->now_ms, &victim)) {
    case ADMIT_OK:
        break;
    case ADMIT_DENIED:
        pl_stat_add(t->stats, PL_ST_TCP_REJECTED_DENIED, 1);
        return NULL;
    case ADMIT_SOURCE_CAP:
        pl_stat_add(t->stats, PL_ST_TCP_REJECTED_SOURCE, 1);
        return NULL;
    case ADMIT_CAP:
        pl_stat_add(t->stats, PL_ST_TCP_REJECTED_CAP, 1);
        return NULL;
    }
    if (victim)
        tcp_close(t, victim, PL_ST_TCP_CLOSED_EVICTED);
    conn_t *c = conn_open(&t->conns, fd, t->now_ms);
    if (!c) {
        pl_stat_add(t->stats, PL_ST_TCP_REJECTED_CAP, 1);
        return NULL;
    }
    memcpy(c->src, key, sizeof(c->src));
    c->port = (uint8_t)kind;
    if (kind == PORT_CIT) {
        cit_device_t dev;
        policy_cit_device(t->pol, sa, &dev);
        memcpy(c->cit_store, dev.store, sizeof(c->cit_store));
        c->cit_gb18030 = (uint8_t)dev.gb18030;
    }
    pl_stat_add(t->stats, PL_ST_TCP_ACCEPTED, 1);
    pl_stat_set(t->stats, PL_ST_TCP_CONNECTIONS, t->conns.nopen);
    return c;
}

void tcp_input(tcp_t *t, conn_t *c, size_t n)
{
    if (c->state != CONN_OPEN)
        return;
    if (c->lingering) {
        /* Input after our FIN is read and dropped until the peer closes. */
        c->in_len = 0;
    } else {
        c->in_len += n;
        pl_stat_add(t->stats, PL_ST_RX_BYTES_TCP, n);
        process(t, c);
    }
    tcp_kick(t, c);
}

void tcp_eof(tcp_t *t, conn_t *c)
{
    if (c->state != CONN_OPEN)
        return;
    if (c->lingering) {
        tcp_close(t, c, c->close_reason);
        return;
    }
    /* Answer what is buffered, flush, then close. */
    c->eof = 1;
    c->peer_eof = 1;
    if (!c->close_after)
        c->close_reason = t->draining ? PL_ST_TCP_CLOSED_SHUTDOWN : PL_ST_TCP_CLOSED_CLIENT;
    tcp_kick(t, c);
}

void tcp_fail(tcp_t *t, conn_t *c, int err)
{
    pl_stat_id_t reason =
        (err == -EPIPE || err == -ECONNRESET) ? PL_ST_TCP_CLOSED_CLIENT : PL_ST_TCP_CLOSED_ERROR;
    /* After our FIN, the peer's reset is how a lingering close may end. */
    tcp_close(t, c, c->lingering ? c->close_reason : reason);
}

void tcp_sent(tcp_t *t, conn_t *c, size_t n)
{
    c->sending = 0;
    if (c->state != CONN_OPEN)
        return;
    c->last_ms = t->now_ms;
    pl_stat_add(t->stats, PL_ST_TX_BYTES_TCP, n);
    if (conn_out_sent(c, n) == 0 && c->paused && c->pend.len < t->pol->max_output) {
        c->paused = 0;
        process(t, c);
    }
    tcp_kick(t, c);
}

/* Called when conn_done(): 1 when the connection should linger (send FIN,
 * read and discard until the peer closes) rather than close at once. */
static int linger_begin(tcp_t *t, conn_t *c)
{
    if (c->peer_eof)
        return 0;
    c->lingering = 1;
    c->in_len = 0;
    c->linger_until_ms = t->now_ms + LINGER_MS;
    if (t->draining && t->drain_deadline_ms < c->linger_until_ms)
        c->linger_until_ms = t->drain_deadline_ms;
    return 1;
}

void tcp_kick(tcp_t *t, conn_t *c)
{
    if (c->state != CONN_OPEN)
        return;
    if (!c->sending && conn_next_send(c)) {
        int rc = t->io->send(t->eng, c);
        if (rc == 0) {
            c->sending = 1;
        } else if (rc != -EAGAIN) {
            tcp_close(t, c, PL_ST_TCP_CLOSED_ERROR);
            return;
        }
    }
    if (conn_done(c) && !c->lingering) {
        if (!linger_begin(t, c) || t->io->shutdown(t->eng, c) != 0) {
            tcp_close(t, c, c->close_reason);
            return;
        }
    }
    int want = c->lingering || (!c->eof && !c->close_after && !c->paused && !c->waiting);
    if (want && !c->reading) {
        size_t room = conn_in_room(c, t->max_request);
        if (room && t->io->recv(t->eng, c, room) == 0)
            c->reading = 1;
    } else if (!want && c->reading && !c->read_stopping) {
        if (t->io->recv_stop(t->eng, c))
            c->reading = 0;
        else
            c->read_stopping = 1;
    }
}

void tcp_report_done(tcp_t *t, uint32_t slot, uint32_t gen, const char *reply, size_t n)
{
    if (slot >= t->conns.cap)
        return;
    conn_t *c = &t->conns.c[slot];
    if (c->gen != gen || c->state != CONN_OPEN || !c->waiting)
        return;
    c->waiting = 0;
    if (obuf_reserve(&c->pend, n, t->pol->max_output + OUT_SLACK) != 0) {
        fail_close(c, PL_ST_TCP_CLOSED_ERROR);
    } else {
        memcpy(c->pend.p + c->pend.len, reply, n);
        c->pend.len += n;
        c->last_ms = t->now_ms;
        if (!c->paused)
            process(t, c);
    }
    tcp_kick(t, c);
}

void tcp_close(tcp_t *t, conn_t *c, pl_stat_id_t reason)
{
    if (c->state != CONN_OPEN)
        return;
    c->state = CONN_CLOSING;
    pl_stat_add(t->stats, reason, 1);
    t->io->close(t->eng, c);
}

void tcp_released(tcp_t *t, conn_t *c)
{
    conn_release(&t->conns, c);
    pl_stat_set(t->stats, PL_ST_TCP_CONNECTIONS, t->conns.nopen);
}

void tcp_tick(tcp_t *t)
{
    for (uint32_t i = 0; i < t->conns.cap; i++) {
        conn_t *c = &t->conns.c[i];
        if (c->state != CONN_OPEN)
            continue;
        if (c->lingering) {
            if (t->now_ms >= c->linger_until_ms)
                tcp_close(t, c, c->close_reason);
        } else if (t->draining && t->now_ms >= t->drain_deadline_ms)
            tcp_close(t, c, PL_ST_TCP_CLOSED_SHUTDOWN);
        else if (t->now_ms - c->last_ms >= t->pol->idle_timeout_ms)
            tcp_close(t, c, PL_ST_TCP_CLOSED_IDLE);
        else
            tcp_kick(t, c);
    }
}

void tcp_drain(tcp_t *t, int64_t deadline_ms)
{
    t->draining = 1;
    t->drain_deadline_ms = deadline_ms;
    for (uint32_t i = 0; i < t->conns.cap; i++) {
        conn_t *c = &t->conns.c[i];
        if (c->state != CONN_OPEN)
            continue;
        /* Stop reading; what is buffered is answered and flushed. */
        c->eof = 1;
        if (!c->close_after)
            c->close_reason = PL_ST_TCP_CLOSED_SHUTDOWN;
        tcp_kick(t, c);
    }
}
