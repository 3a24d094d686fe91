/* The TCP connection rules, the same for both engines: what a connection
 * reads, answers, sends, when it pauses, lingers and closes, who gets a
 * slot, and the idle, linger and drain timeouts. No sockets: an engine
 * reports its I/O events to these functions and performs the I/O they ask
 * for through conn_io_t. tests/unit/test_tcp.c drives them with bytes and
 * events alone.
 *
 * Back-pressure: when `pend` reaches the policy's max_output the connection
 * is paused: its requests stay unparsed and it is not read, so a client
 * that does not read its replies costs bounded memory and is closed by the
 * idle timeout.
 *
 * Reports (REPORT) are answered only once the report writer has them on
 * disk: the request goes to tcp_t.report and the connection waits
 * (conn_t.waiting): it is neither read nor answered further until
 * tcp_report_done puts the report's reply in pend, so pipelined requests
 * behind it are answered after it, in order. Other connections never wait.
 *
 * Orderly close (lingering): when the last reply has been handed to the
 * kernel but the peer may still be sending (drain, QUIT, framing error with
 * more pipelined requests behind it), closing the socket at once would reset
 * it: the kernel answers unread input with RST and throws away the replies
 * it has not transmitted yet. So the rules first send FIN, then keep reading
 * and discarding until the peer closes its side or LINGER_MS pass, and only
 * then close.
 *
 * Events an engine reports, each after the engine's own bookkeeping (a
 * receive that completes one at a time clears `reading` and `read_stopping`
 * first: tcp_recv_ended()):
 *   new connection      tcp_accept(), then tcp_kick() once its handle is set
 *   bytes received      tcp_input()
 *   peer closed         tcp_eof()
 *   receive stopped     tcp_kick() (after a recv_stop that completes later)
 *   send completed      tcp_sent()
 *   I/O error           tcp_fail()
 *   socket closed       tcp_released() (everything in flight has completed)
 *   once a second       tcp_tick()
 *   stop requested      tcp_drain()
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "answer.h"
#include "conn.h"
#include "policy.h"
#include "pricelane/stats.h"

#define LINGER_MS 2000

/* The I/O an engine performs for the rules. `eng` is tcp_t.eng. */
typedef struct conn_io {
    /* Starts sending out.p + out_off .. out.len. 0: started (tcp_sent
     * follows); -EAGAIN: not now, the next kick retries; other negative:
     * the connection has failed. */
    int (*send)(void *eng, conn_t *c);
    /* Starts receiving into in + in_len, at most room bytes. 0: started;
     * negative: not now, the next kick retries. */
    int (*recv)(void *eng, conn_t *c, size_t room);
    /* Stops receiving: 1 when stopped at once, 0 when the receive in flight
     * ends later (then the engine calls tcp_recv_ended and tcp_kick). */
    int (*recv_stop)(void *eng, conn_t *c);
    /* Sends FIN after what is queued; 0 or negative (the connection fails). */
    int (*shutdown)(void *eng, conn_t *c);
    /* Closes the socket (c is CLOSING); once nothing is in flight on it the
     * engine calls tcp_released(). */
    void (*close)(void *eng, conn_t *c);
} conn_io_t;

/* The TCP side of one worker. The worker sets now_ms at each batch; the
 * rest is set up once (pol points at the worker's copy of the policy). */
typedef struct tcp {
    conn_table_t conns;
    uint32_t limit;    /* open connections at most (conns.cap - ADMIT_RESERVE) */
    uint32_t nworkers; /* the per-source cap is the server's, shared among workers */
    size_t max_request;
    const policy_t *pol;
    answer_ctx_t *ax;
    pl_stats_t *stats;
    int64_t now_ms; /* CLOCK_MONOTONIC of the current batch */
    int draining;
    int64_t drain_deadline_ms;
    const conn_io_t *io;
    void *eng;
    /* Takes a REPORT request of connection c: 1 when it went to the report
     * writer (c waits for tcp_report_done), 0 with msg[] set and *status
     * (PL_SS_*) when it is refused at once. NULL: REPORT is answered as
     * any request (reports off). */
    int (*report)(void *arg, conn_t *c, const pl_req_t *req, char *msg, size_t msglen, int *status);
    void *report_arg;
} tcp_t;

/* A connection from sa (NULL: its address could not be read) on socket fd,
 * to port `kind` (enum port_kind: the protocol it speaks; a price checker's
 * store and encoding are fixed here, from the policy).
 * Applies admission (server/admit.h): the refusal is counted by reason and
 * NULL returned; the caller closes the socket. When admission evicts an idle
 * connection to make room, that one is closed first. On success the slot is
 * OPEN and counted; the engine attaches its handle, then calls tcp_kick().
 * While draining, NULL (not counted). */
conn_t *tcp_accept(tcp_t *t, int fd, const struct sockaddr *sa, int kind);

/* n bytes were received into in + in_len. */
void tcp_input(tcp_t *t, conn_t *c, size_t n);
/* The peer closed its sending side. */
void tcp_eof(tcp_t *t, conn_t *c);
/* A receive or send failed with a negative errno. */
void tcp_fail(tcp_t *t, conn_t *c, int err);
/* The send in flight completed with n bytes (a short send leaves the rest
 * of `out`, sent by the kick that follows). */
void tcp_sent(tcp_t *t, conn_t *c, size_t n);

/* Does what the connection's state calls for: starts a send, lingers or
 * closes when done, starts or stops reading. Idempotent. */
void tcp_kick(tcp_t *t, conn_t *c);
/* Decides to close: counts reason, marks CLOSING, asks the engine. */
void tcp_close(tcp_t *t, conn_t *c, pl_stat_id_t reason);
/* The engine closed the socket and nothing is in flight: frees the slot. */
void tcp_released(tcp_t *t, conn_t *c);

/* The reply reply[0..n) to the REPORT connection (slot, gen) waits for:
 * appended to its output, and the requests behind it answered. Dropped
 * when that connection has gone. */
void tcp_report_done(tcp_t *t, uint32_t slot, uint32_t gen, const char *reply, size_t n);

/* Once a second: linger deadlines, the drain deadline, idle connections;
 * every other connection is kicked (an engine retries what it could not
 * start). */
void tcp_tick(tcp_t *t);
/* A stop was requested: nothing more is read; what is buffered is answered
 * and flushed, then each connection closes (lingering); deadline_ms bounds
 * it all. */
void tcp_drain(tcp_t *t, int64_t deadline_ms);

/* For engines whose receives complete one at a time (io_uring). */
static inline void tcp_recv_ended(conn_t *c)
{
    c->reading = 0;
    c->read_stopping = 0;
}
