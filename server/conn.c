#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"

#define IN_INITIAL 4096
#define OUT_KEEP (64 * 1024) /* larger idle buffers are given back */

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
    memset(c, 0, sizeof(*c));
    c->gen = gen;
    c->slot = slot;
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

int obuf_reserve(obuf_t *b, size_t room, size_t limit)
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

int conn_out_sent(conn_t *c, size_t n)
{
    c->out_off += n;
    if (c->out_off < c->out.len)
        return 1;
    c->out.len = 0;
    c->out_off = 0;
    if (c->out.cap > OUT_KEEP) {
        free(c->out.p);
        memset(&c->out, 0, sizeof(c->out));
    }
    return 0;
}

int conn_done(const conn_t *c)
{
    return !c->sending && !c->waiting && c->out_off >= c->out.len && c->pend.len == 0 &&
           (c->close_after || c->eof);
}
