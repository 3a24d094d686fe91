/* Admin HTTP plumbing: accept, parse with http-parser, answer, close. Kept
 * deliberately small: one request per connection, bounded request size and
 * connection count, a deadline per connection.
 *
 * Monitoring must get through whatever other clients do: a request must
 * arrive whole within ADMIN_REQUEST_MS, and when every one of the
 * ADMIN_MAX_CONNS slots is taken, a new connection evicts the oldest one
 * that has not sent its request yet (an idle or slow client), so a health
 * check is never locked out by connections that send nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "admin_req.h"

#define ADMIN_MAX_CONNS 32
#define ADMIN_REQUEST_MS 2000   /* to send the whole request */
#define ADMIN_DEADLINE_MS 10000 /* to send it and read the answer */

typedef struct aconn aconn_t;

struct admin {
    server_t *srv;
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t sweep;
    aconn_t *conns;
    int nconns;
    int stopping;
    int open_handles; /* listener + sweep + connections not yet closed */
};

struct aconn {
    uv_tcp_t h;
    admin_t *a;
    admin_req_t req;
    int answered, closing;
    uint64_t started_ms;
    uv_write_t wreq;
    char *resp;
    char rbuf[2048];
    aconn_t *next, **pprev;
};

static void admin_maybe_free(admin_t *a)
{
    if (a->stopping && a->open_handles == 0)
        free(a);
}

static void on_handle_closed(uv_handle_t *h)
{
    admin_t *a = h->data;
    a->open_handles--;
    admin_maybe_free(a);
}

static void on_conn_closed(uv_handle_t *h)
{
    aconn_t *c = (aconn_t *)h;
    admin_t *a = c->a;
    free(c->resp);
    free(c);
    a->open_handles--;
    admin_maybe_free(a);
}

static void conn_close(aconn_t *c)
{
    if (c->closing)
        return;
    c->closing = 1;
    *c->pprev = c->next;
    if (c->next)
        c->next->pprev = c->pprev;
    c->a->nconns--;
    uv_close((uv_handle_t *)&c->h, on_conn_closed);
}

static void on_written(uv_write_t *req, int status)
{
    conn_close((aconn_t *)req->data);
}

static void respond(aconn_t *c, int code, const char *type, const char *body, size_t blen,
                    int head_only)
{
    const char *reason = code == 200   ? "OK"
                         : code == 404 ? "Not Found"
                         : code == 405 ? "Method Not Allowed"
                         : code == 503 ? "Service Unavailable"
                                       : "Bad Request";
    char hdr[512];
    int hl = snprintf(hdr, sizeof(hdr),
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                      "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                      code, reason, type, blen);
    size_t total = (size_t)hl + (head_only ? 0 : blen);
    c->resp = malloc(total);
    if (!c->resp) {
        conn_close(c);
        return;
    }
    memcpy(c->resp, hdr, (size_t)hl);
    if (!head_only && blen)
        memcpy(c->resp + hl, body, blen);
    c->answered = 1;
    uv_read_stop((uv_stream_t *)&c->h);
    uv_buf_t b = uv_buf_init(c->resp, (unsigned)total);
    c->wreq.data = c;
    if (uv_write(&c->wreq, (uv_stream_t *)&c->h, &b, 1, on_written) != 0)
        conn_close(c);
}

static void respond_text(aconn_t *c, int code, const char *text)
{
    respond(c, code, "text/plain; charset=utf-8", text, strlen(text), 0);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    aconn_t *c = (aconn_t *)h;
    *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    aconn_t *c = (aconn_t *)s;
    if (c->answered || c->closing)
        return;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    admin_decision_t d;
    admin_req_feed(&c->req, buf->base, (size_t)nread, &d);
    if (d.verdict == ADMIN_REFUSE) {
        respond_text(c, d.status, d.message);
    } else if (d.verdict == ADMIN_ROUTE) {
        int code;
        const char *type = "text/plain; charset=utf-8";
        size_t len = 0;
        char *body = admin_render(c->a->srv, d.path, &code, &type, &len);
        if (!body && code == 404)
            respond_text(c, 404, "not found: try /metrics, /healthz or /stats\n");
        else if (!body)
            respond_text(c, 503, "out of memory\n");
        else
            respond(c, code, type, body, len, d.head);
        free(body);
    }
}

static void on_connection(uv_stream_t *ls, int status)
{
    admin_t *a = ls->data;
    if (status < 0 || a->stopping)
        return;
    aconn_t *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->a = a;
    uv_tcp_init(a->loop, &c->h);
    a->open_handles++;
    c->next = a->conns;
    c->pprev = &a->conns;
    if (a->conns)
        a->conns->pprev = &c->next;
    a->conns = c;
    a->nconns++;
    c->started_ms = uv_now(a->loop);
    if (uv_accept(ls, (uv_stream_t *)&c->h) != 0) {
        conn_close(c);
        return;
    }
    if (a->nconns > ADMIN_MAX_CONNS) {
        /* The list runs newest first: the last waiting one is the oldest. */
        aconn_t *oldest = NULL;
        for (aconn_t *o = c->next; o; o = o->next)
            if (!o->answered && !o->closing)
                oldest = o;
        conn_close(oldest ? oldest : c);
        if (!oldest)
            return; /* every slot is sending an answer: those finish first */
    }
    admin_req_init(&c->req);
    uv_read_start((uv_stream_t *)&c->h, on_alloc, on_read);
}

/* Slow or silent clients are cut off: the control loop is shared with
 * signal handling and must not accumulate connections. */
static void on_sweep(uv_timer_t *t)
{
    admin_t *a = t->data;
    uint64_t now = uv_now(a->loop);
    for (aconn_t *c = a->conns, *next; c; c = next) {
        next = c->next;
        uint64_t age = now - c->started_ms;
        if (age > ADMIN_DEADLINE_MS || (!c->answered && age > ADMIN_REQUEST_MS))
            conn_close(c);
    }
}

int admin_start(server_t *srv, uv_loop_t *loop, admin_t **out, char *err, size_t errlen)
{
    admin_t *a = calloc(1, sizeof(*a));
    char shown[PL_ADDR_STR_MAX];
    if (!a)
        return -ENOMEM;
    a->srv = srv;
    a->loop = loop;
    uv_tcp_init(loop, &a->listener);
    a->listener.data = a;
    a->open_handles = 1;
    const struct sockaddr *sa = (const struct sockaddr *)&srv->cfg.admin_addr.ss;
    int rc = uv_tcp_bind(&a->listener, sa, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&a->listener, 64, on_connection);
    if (rc) {
        snprintf(err, errlen, "admin: cannot listen on %s: %s",
                 pl_addr_format(sa, shown, sizeof(shown)), uv_strerror(rc));
        a->stopping = 1;
        uv_close((uv_handle_t *)&a->listener, on_handle_closed);
        return rc;
    }
    int sl = sizeof(srv->admin_bound.ss);
    uv_tcp_getsockname(&a->listener, (struct sockaddr *)&srv->admin_bound.ss, &sl);
    srv->admin_bound.len = (socklen_t)sl;
    uv_timer_init(loop, &a->sweep);
    a->sweep.data = a;
    a->open_handles++;
    uv_timer_start(&a->sweep, on_sweep, 250, 250);
    uv_unref((uv_handle_t *)&a->sweep);
    *out = a;
    return 0;
}

void admin_stop(admin_t *a)
{
    if (!a || a->stopping)
        return;
    a->stopping = 1;
    uv_close((uv_handle_t *)&a->listener, on_handle_closed);
    uv_close((uv_handle_t *)&a->sweep, on_handle_closed);
    while (a->conns)
        conn_close(a->conns);
}
