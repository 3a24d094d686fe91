/* io_uring engine internals, shared by engine_uring.c (completion handlers
 * and the connection I/O) and uring_loop.c (setup, the loop, drain). */
#pragma once
#include <liburing.h>
#include <netinet/in.h>

#include "worker.h"

#define BGID 7
#define SQ_ENTRIES 1024
#define TICK_MS 1000

enum op { OP_UDP_RECV = 1, OP_UDP_SEND, OP_ACCEPT, OP_RECV, OP_SEND, OP_WAKE, OP_TICK, OP_CANCEL };

#define UD(op, slot, gen)                                                                          \
    (((uint64_t)(op) << 56) | ((uint64_t)((slot)&0xffffffu) << 32) | (uint64_t)(uint32_t)(gen))
#define UD_OP(u) ((int)((u) >> 56))
#define UD_SLOT(u) ((uint32_t)(((u) >> 32) & 0xffffffu))
#define UD_GEN(u) ((uint32_t)(u))

typedef struct udp_reply {
    struct msghdr mh;
    struct iovec iov;
    struct sockaddr_in6 peer; /* room for either family */
    uint32_t next_free;
    int fd; /* the socket it is sent from */
    char data[UDP_REPLY_MAX];
} udp_reply_t;

typedef struct ueng {
    worker_t *w;
    struct io_uring ring;
    struct io_uring_buf_ring *br;
    size_t br_bytes;
    char *bufs;
    unsigned nbufs;
    int br_added; /* buffers given back since the last advance */
    struct msghdr rmsg; /* multishot recvmsg template: name length only */
    udp_reply_t *replies;
    uint32_t rfree; /* free reply slots, linked by next_free; UINT32_MAX = none */
    uint32_t rinflight;
    int udp_armed[PORT__COUNT], accept_armed[PORT__COUNT]; /* UD slot = the port kind */
    int tick_armed, wake_armed;
    int64_t accept_retry_ms; /* after EMFILE: wait before accepting again */
    int wake_fd;
    uint64_t wake_val;
    struct __kernel_timespec tick;
} ueng_t;

struct io_uring_sqe *sqe_get(worker_t *w, ueng_t *e);
void cancel_ud(worker_t *w, ueng_t *e, uint64_t ud);
extern const conn_io_t uring_conn_io;
void on_recv(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe);
void on_send(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe);
void on_accept(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe);
void on_udp_send(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe);
void on_udp_recv(worker_t *w, ueng_t *e, struct io_uring_cqe *cqe);
void uring_udp_send(worker_t *w, int kind, const struct sockaddr *to, const char *p, size_t n);
