/* A TCP connection's state and buffers, and the table of connection slots a
 * worker owns. No I/O and no policy: the rules that act on a connection
 * (what to read, send, answer and close, and when) are in tcp.h.
 *
 * Output is double-buffered: `out` is what the one send in flight points at
 * (never moved or grown while the kernel may read it); replies produced
 * meanwhile go to `pend`, which is swapped in when the send completes.
 *
 * Lifetime: a slot is OPEN while served, CLOSING from the close decision
 * until every operation the engine has in flight on it has completed, then
 * FREE; only then is its generation bumped and the slot reused.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/netaddr.h"
#include "pricelane/stats.h"

typedef enum conn_state { CONN_FREE = 0, CONN_OPEN, CONN_CLOSING } conn_state_t;

/* The ports a worker serves: the lanes' (line protocol, RESP) and the price
 * checkers' (NQuire CIT), each over UDP and TCP. */
enum port_kind { PORT_LANE = 0, PORT_CIT = 1, PORT__COUNT };

typedef struct obuf {
    char *p;
    size_t len, cap;
} obuf_t;

typedef struct conn {
    uint32_t gen;
    uint32_t slot;
    int fd;
    uint8_t state;         /* conn_state_t */
    uint8_t reading;       /* a receive is armed */
    uint8_t read_stopping; /* asked to stop reading; the receive has not ended yet */
    uint8_t sending;       /* a send is in flight */
    uint8_t eof;           /* nothing more will be read (peer EOF or drain) */
    uint8_t close_after;   /* close once the output is flushed (QUIT, framing error) */
    uint8_t paused;        /* back-pressure: replies not being read */
    uint8_t peer_eof;      /* the peer closed its sending side */
    uint8_t lingering;     /* FIN sent; input is read and discarded until the peer closes */
    uint8_t waiting;       /* a REPORT is with the report writer: nothing more is read or
                              answered until its reply is in pend (replies stay in order) */
    int64_t linger_until_ms;
    pl_stat_id_t close_reason;
    int inflight; /* engine operations not yet completed (io_uring) */
    char *in;
    size_t in_len, in_cap;
    obuf_t out;
    size_t out_off; /* bytes of out already sent */
    obuf_t pend;
    int64_t last_ms; /* last progress: a whole request received, or bytes sent */
    uint8_t src[16]; /* the peer's address (pl_addr_key), for the per-source cap */
    uint8_t port;    /* enum port_kind: the protocol spoken */
    uint8_t cit_gb18030;                    /* a price checker set to GB18030 */
    char cit_store[PL_STOREMAP_ID_MAX + 1]; /* a price checker's store */
    void *eng;       /* engine handle (libuv: the uv_tcp_t) */
} conn_t;

typedef struct conn_table {
    conn_t *c;
    uint32_t cap, nopen;
    uint32_t *free; /* stack of free slots */
    uint32_t nfree;
} conn_table_t;

int conn_table_init(conn_table_t *t, uint32_t cap);
void conn_table_free(conn_table_t *t);

/* Takes a free slot for fd (NULL when the table is full). */
conn_t *conn_open(conn_table_t *t, int fd, int64_t now_ms);
/* Returns a CLOSING slot with nothing in flight to the free list: frees its
 * buffers and bumps its generation. The engine has closed the socket. */
void conn_release(conn_table_t *t, conn_t *c);

/* Makes room to receive: ensures in_cap - in_len > 0, growing the buffer up
 * to max_request. Returns the free bytes (0: the buffer is full at its
 * limit, or out of memory). */
size_t conn_in_room(conn_t *c, size_t max_request);

/* Makes room for `room` more bytes in b, its capacity never above limit.
 * 0, or -1 when it cannot. */
int obuf_reserve(obuf_t *b, size_t room, size_t limit);

/* Swaps pend into out when no send is in flight and out is empty; returns 1
 * when there is something to send (out.p + out_off, out.len - out_off). */
int conn_next_send(conn_t *c);

/* Accounts n more bytes of `out` as sent; returns 1 when part of it is left
 * (a short send). When all of it is, out is emptied (and given back when
 * large). */
int conn_out_sent(conn_t *c, size_t n);

/* 1 when the connection has nothing left to do and should close now. */
int conn_done(const conn_t *c);
