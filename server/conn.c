#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "conn.h"
#include "server.h"

#define IN_INITIAL 4096
#define OUT_MIN_ROOM 2048      /* a single answer fits; bigger ones grow the buffer */
#define OUT_KEEP (64 * 1024)   /* larger idle buffers are given back */
#define OUT_SLACK (1024 * 1024) /* one reply may overshoot max_output by this much */

int conn_table_init(conn_table_t *t, uint32_t cap)
{
    memset(t, 0, sizeof(*t));
    t->c = calloc(cap, sizeof(*t->c));
    t->free = calloc(cap, sizeof(*t->free));
    if (!t->c || !t->free) {
        conn_table_free(t);
        return -1;
    }
    t->cap = cap;
    /* Lowest slots first, so a lightly loaded worker touches little memory. */
    for (uint32_t i = 0; i < cap; i++) {
        t->c[i].slot = i;
        t->c[i].fd = -1;
        t->free[cap - 1 - i] = i;
    }
    t->nfree = cap;
    return 0;
}

static void conn_buffers_free(conn_t *c)
{
    free(c->in);
    free(c->out.p);
    free(c->pend.p);
    c->in = NULL;
    c->in_len = c->in_cap = 0;
    memset(&c->out, 0, sizeof(c->out));
    memset(&c->pend, 0, sizeof(c->pend));
    c->out_off = 0;
}

void conn_table_free(conn_table_t *t)
{
    if (t->c)
        for (uint32_t i = 0; i < t->cap; i++)
            conn_buffers_free(&t->c[i]);
    free(t->c);
    free(t->free);
    memset(t, 0, sizeof(*t));
}

conn_t *conn_open(conn_table_t *t, int fd, int64_t now_ms)
{
    if (t->nfree == 0)
        return NULL;
    conn_t *c = &t->c[t->free[--t->nfree]];
    uint32_t gen = c->gen, slot = c->slot;
    void *eng = c->eng;
    memset(c, 0, sizeof(*c));
    c->gen = gen;
    c->slot = slot;
    c->eng = eng;
    c->fd = fd;
    c->state = CONN_OPEN;
    c->last_ms = now_ms;
    t->nopen++;
    return c;
}

void conn_release(conn_table_t *t, conn_t *c)
{
    conn_buffers_free(c);
    c->state = CONN_FREE;
    c->fd = -1;
    c->gen++;
    t->nopen--;
    t->free[t->nfree++] = c->slot;
}

size_t conn_in_room(conn_t *c, size_t max_request)
{
    if (c->in_cap - c->in_len > 0)
        return c->in_cap - c->in_len;
    if (c->in_cap >= max_request)
        return 0;
    size_t ncap = c->in_cap ? c->in_cap * 2 : IN_INITIAL;
    if (ncap > max_request)
        ncap = max_request;
    char *p = realloc(c->in, ncap);
    if (!p)
        return 0;
    c->in = p;
    c->in_cap = ncap;
    return c->in_cap - c->in_len;
}

static int obuf_reserve(obuf_t *b, size_t room, size_t limit)
{
    if (b->cap - b->len >= room)
        return 0;
    size_t ncap = b->cap ? b->cap : 4096;
    while (ncap - b->len < room)
        ncap *= 2;
    if (ncap > limit)
        ncap = limit;
    if (ncap - b->len < room)
        return -1;
    char *p = realloc(b->p, ncap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = ncap;
    return 0;
}

/* Appends the reply to req to pend, growing it as a large reply (an MGET)
 * needs. Returns 0, or -1 when the reply cannot fit in the hard limit. */
static int reply(worker_t *w, conn_t *c, const pl_req_t *req, int fatal, const char *msg, int *fl)
{
    size_t limit = w->pol.max_output + OUT_SLACK;
    size_t want = OUT_MIN_ROOM;
    *fl = 0;
    for (;;) {
        if (obuf_reserve(&c->pend, want, limit) != 0)
            return -1;
        char *dst = c->pend.p + c->pend.len;
        size_t room = c->pend.cap - c->pend.len;
        size_t n = fatal ? answer_fatal(&w->ax, req, PL_SP_TCP, msg, dst, room)
                         : answer(&w->ax, req, PL_SP_TCP, dst, room, fl);
        if (n) {
            c->pend.len += n;
            return 0;
        }
        if (room >= limit - c->pend.len)
            return -1;
        want = room * 2;
    }
}

static void fail_close(conn_t *c, pl_stat_id_t reason)
{
    c->close_after = 1;
    c->close_reason = reason;
}

void conn_process(worker_t *w, conn_t *c)
{
    size_t off = 0;
    pl_req_t req;
    int fl;

    while (!c->close_after) {
        if (c->pend.len >= w->pol.max_output) {
            if (!c->paused)
                pl_stat_add(&w->stats, PL_ST_TCP_BACKPRESSURE, 1);
            c->paused = 1;
            break;
        }
        size_t used = 0;
        int rc = pl_proto_parse(&req, c->in + off, c->in_len - off, 0, &used);
        if (rc == 0) {
            off += used;
            break;
        }
        if (rc < 0) {
            /* The stream cannot be framed any more: say why, then close. */
            if (reply(w, c, &req, 1, req.error[0] ? req.error : "bad request", &fl) != 0)
                c->pend.len = 0;
            fail_close(c, PL_ST_TCP_CLOSED_PROTOCOL);
            off = c->in_len;
            break;
        }
        if (reply(w, c, &req, 0, NULL, &fl) != 0) {
            if (reply(w, c, &req, 1, "reply too large", &fl) != 0)
                c->pend.len = 0;
            fail_close(c, PL_ST_TCP_CLOSED_PROTOCOL);
            off = c->in_len;
            break;
        }
        off += used;
        /* Progress is a whole request: bytes that never complete one (a
         * client trickling a line) must not hold the connection open. */
        c->last_ms = w->now_ms;
        if (fl & ANSWER_CLOSE)
            fail_close(c, PL_ST_TCP_CLOSED_QUIT);
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    if (c->close_after)
        c->in_len = 0;
    /* A buffer full of one incomplete request: it can never complete. */
    if (!c->close_after && !c->paused && c->in_len >= w->max_request) {
        char msg[80];
        memset(&req, 0, sizeof(req));
        req.proto = c->in[0] == '*' ? PL_PROTO_RESP : PL_PROTO_LINE;
        snprintf(msg, sizeof(msg), "request larger than %zu bytes", w->max_request);
        if (reply(w, c, &req, 1, msg, &fl) != 0)
            c->pend.len = 0;
        fail_close(c, PL_ST_TCP_CLOSED_PROTOCOL);
        c->in_len = 0;
    }
}

int conn_next_send(conn_t *c)
{
    if (c->sending)
        return 0;
    if (c->out_off < c->out.len)
        return 1;
    if (c->pend.len == 0)
        return 0;
    obuf_t t = c->out;
    c->out = c->pend;
    c->pend = t;
    c->pend.len = 0;
    c->out_off = 0;
    return 1;
}

int conn_sent(worker_t *w, conn_t *c, size_t n)
{
    c->out_off += n;
    c->last_ms = w->now_ms;
    pl_stat_add(&w->stats, PL_ST_TX_BYTES_TCP, n);
    if (c->out_off < c->out.len)
        return 1;
    c->out.len = 0;
    c->out_off = 0;
    if (c->out.cap > OUT_KEEP) {
        free(c->out.p);
        memset(&c->out, 0, sizeof(c->out));
    }
    if (c->paused && c->pend.len < w->pol.max_output)
        c->paused = 0;
    return 0;
}

int conn_done(const conn_t *c)
{
    return !c->sending && c->out_off >= c->out.len && c->pend.len == 0 &&
           (c->close_after || c->eof);
}

int conn_linger_begin(worker_t *w, conn_t *c)
{
    if (c->lingering || c->peer_eof)
        return 0;
    c->lingering = 1;
    c->in_len = 0;
    c->linger_until_ms = w->now_ms + LINGER_MS;
    if (w->draining && w->drain_deadline_ms < c->linger_until_ms)
        c->linger_until_ms = w->drain_deadline_ms;
    return 1;
}

int tcp_admit(worker_t *w, const struct sockaddr *sa, conn_t *self, conn_t **evict)
{
    uint8_t key[16];
    *evict = NULL;
    if (pl_addr_key(sa, key) != 0) {
        pl_stat_add(&w->stats, PL_ST_TCP_REJECTED_DENIED, 1);
        return 0;
    }
    int n = w->srv->nworkers > 0 ? w->srv->nworkers : 1;
    uint32_t per_source =
        w->pol.per_source ? (w->pol.per_source + (uint32_t)n - 1) / (uint32_t)n : 0;
    switch (admit_tcp(&w->conns, w->conn_limit, &w->pol.allow, per_source, sa, key, self, w->now_ms,
                      evict)) {
    case ADMIT_OK:
        if (self)
            memcpy(self->src, key, 16);
        memcpy(w->admit_key, key, 16);
        return 1;
    case ADMIT_DENIED:
        pl_stat_add(&w->stats, PL_ST_TCP_REJECTED_DENIED, 1);
        return 0;
    case ADMIT_SOURCE_CAP:
        pl_stat_add(&w->stats, PL_ST_TCP_REJECTED_SOURCE, 1);
        return 0;
    case ADMIT_CAP:
        pl_stat_add(&w->stats, PL_ST_TCP_REJECTED_CAP, 1);
        return 0;
    }
    return 0;
}
