/* The I/O engines a worker can run on: io_uring, and libuv (epoll) for
 * hosts that refuse io_uring. Both serve the same sockets with the same
 * rules (tcp.h, worker.h); only their I/O calls differ. */
#pragma once

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
    /* Wakes the worker's loop (stop or reload). Thread-safe while alive. */
    void (*wake)(struct worker *w);
} engine_t;

extern const engine_t engine_uring;
extern const engine_t engine_uv;
