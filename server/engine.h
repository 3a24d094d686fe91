/* The I/O engines a worker can run on: io_uring, and libuv (epoll) for
 * hosts that refuse io_uring. Both serve the same sockets with the same
 * rules (tcp.h, worker.h); only their I/O calls differ. */
#pragma once
#include <stddef.h>
#include <sys/socket.h>

struct worker;

typedef struct engine {
    const char *name; /* as the configuration and /stats spell it */
    /* 0 when the engine can run here with udp_buffers receive buffers per
     * worker, else the negative errno that refuses it. */
    int (*probe)(unsigned udp_buffers);
    /* Runs the worker's loop until it has drained after a stop request:
     * reports readiness (worker_report_ready), marks its wake handle alive
     * while it may be used. 0, or a negative code on a fatal error. */
    int (*run)(struct worker *w);
    /* Wakes the worker's loop (stop, reload, a report's outcome).
     * Thread-safe while alive. */
    void (*wake)(struct worker *w);
    /* Sends a reply p[0..n) from the worker's UDP socket of port `kind` to
     * `to`, later than the datagram's own turn (a report's, once it is on
     * disk); a reply that cannot be sent is dropped and counted. Worker
     * thread only. */
    void (*udp_send)(struct worker *w, int kind, const struct sockaddr *to, const char *p,
                     size_t n);
} engine_t;

extern const engine_t engine_uring;
extern const engine_t engine_uv;
