/* TCP connections, the part both engines share: the slot table, the
 * receive buffer, request framing and answering, and the two output buffers.
 *
 * Output is double-buffered: `out` is what the one send in flight points at
 * (never moved or grown while the kernel may read it); replies produced
 * meanwhile go to `pend`, which is swapped in when the send completes. When
 * `pend` reaches the policy's max_output the connection is paused: its
 * requests stay unparsed and it is not read, so a client that does not read
 * its replies costs bounded memory and is closed by the idle timeout.
 *
 * Lifetime: a slot is OPEN while served, CLOSING from the close decision
 * until every operation the engine has in flight on it has completed, then
 * FREE; only then is its generation bumped and the slot reused.
 *
 * Orderly close (lingering): when the last reply has been handed to the
 * kernel but the peer may still be sending (drain, QUIT, framing error with
 * more pipelined requests behind it), closing the socket at once would
 * reset it: the kernel answers unread input with RST and throws away the
 * replies it has not transmitted yet. So the engine first sends FIN
 * (shutdown SHUT_WR), then keeps reading and discarding until the peer
 * closes its side or LINGER_MS pass, and only then closes.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/stats.h"

typedef enum conn_state { CONN_FREE = 0, CONN_OPEN, CONN_CLOSING } conn_state_t;

typedef struct obuf {
    char *p;
    size_t len, cap;
} obuf_t;

typedef struct conn {
    uint32_t gen;
    uint32_t slot;
    int fd;
    uint8_t state;       /* conn_state_t */
    uint8_t reading;     /* a receive is armed */
    uint8_t sending;     /* a send is in flight */
    uint8_t eof;         /* nothing more will be read (peer EOF or drain) */
    uint8_t close_after; /* close once the output is flushed (QUIT, framing error) */
    uint8_t paused;      /* back-pressure: replies not being read */
    uint8_t peer_eof;    /* the peer closed its sending side */
    uint8_t lingering;   /* FIN sent; input is read and discarded until the peer closes */
    int64_t linger_until_ms;
    pl_stat_id_t close_reason;
    int inflight; /* engine operations not yet completed */
    char *in;
    size_t in_len, in_cap;
    obuf_t out;
    size_t out_off; /* bytes of out already sent */
    obuf_t pend;
    int64_t last_ms; /* last progress: a whole request received, or bytes sent */
    uint8_t src[16]; /* the peer's address (pl_addr_key), for the per-source cap */
    void *eng;       /* engine handle (libuv: the uv_tcp_t) */
} conn_t;

typedef struct conn_table {
    conn_t *c;
    uint32_t cap, nopen;
    uint32_t *free; /* stack of free slots */
    uint32_t nfree;
} conn_table_t;

struct worker;

int conn_table_init(conn_table_t *t, uint32_t cap);
void conn_table_free(conn_table_t *t);

/* Takes a free slot for fd (NULL when the table is full). */
conn_t *conn_open(conn_table_t *t, int fd, int64_t now_ms);
/* Returns a CLOSING slot with nothing in flight to the free list: frees its
 * buffers and bumps its generation. The engine has closed the fd. */
void conn_release(conn_table_t *t, conn_t *c);

/* Makes room to receive: ensures in_cap - in_len > 0, growing the buffer up
 * to max_request. Returns the free bytes (0: the buffer is full at its
 * limit, which conn_process() has already turned into an error). */
size_t conn_in_room(conn_t *c, size_t max_request);

/* Frames and answers every complete request in `in` into `pend`, until the
 * input is exhausted, the connection is paused or must close. Compacts `in`.
 * Sets close_after (+ reason) on QUIT, on an unrecoverable framing error and
 * on a request larger than max_request. */
void conn_process(struct worker *w, conn_t *c);

/* Swaps pend into out when no send is in flight and out is empty; returns 1
 * when there is something to send (out.p + out_off, out.len - out_off). */
int conn_next_send(conn_t *c);

/* Accounts a completed send of n bytes; returns 1 when part of `out` is left
 * to send (the short-send case). Clears `paused` when pend drained below the
 * limit (the caller then calls conn_process again). */
int conn_sent(struct worker *w, conn_t *c, size_t n);

/* 1 when the connection has nothing left to do and should close now. */
int conn_done(const conn_t *c);

#define LINGER_MS 2000

/* Called when conn_done(): 1 when the engine should linger (send FIN, read
 * and discard until the peer closes) rather than close at once. Marks the
 * connection lingering with its deadline (LINGER_MS, or the drain deadline
 * when sooner). */
int conn_linger_begin(struct worker *w, conn_t *c);
