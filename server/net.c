/* Sockets: every worker gets its own UDP socket and TCP listener, all bound
 * with SO_REUSEPORT to the one configured address and port, so the kernel
 * spreads datagrams and connections over the workers. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

#define LISTEN_BACKLOG 1024
#define UDP_RCVBUF (4 * 1024 * 1024)

static int open_bound(int type, const pl_addr_t *a, int *fd_out)
{
    int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        goto fail;
    if (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
        goto fail;
    if (a->ss.ss_family == AF_INET6) {
        /* "[::]" means IPv6 only: bind exactly what was configured. */
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
            goto fail;
    }
    if (type == SOCK_DGRAM) {
        int sz = UDP_RCVBUF; /* best effort: absorbs bursts between batches */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    }
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
        goto fail;
    if (type == SOCK_STREAM && listen(fd, LISTEN_BACKLOG) != 0)
        goto fail;
    *fd_out = fd;
    return 0;
fail:;
    int e = errno;
    close(fd);
    return -e;
}

/* SO_REUSEPORT would let us join a port another server of the same user
 * already listens on, silently splitting its traffic: a plain bind first
 * tells "in use" apart. */
static int probe_free(int type, const pl_addr_t *a)
{
    int fd = socket(a->ss.ss_family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1, rc = 0;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (a->ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0)
        rc = -errno;
    close(fd);
    return rc;
}

static void close_all(server_t *srv)
{
    for (int i = 0; i < srv->nworkers; i++)
        worker_close_sockets(&srv->workers[i]);
}

/* Binds every worker's UDP socket and TCP listener of port `kind` on *a;
 * port 0 picks one free for both. *a receives the bound address. */
static int bind_port(server_t *srv, int kind, pl_addr_t *a, char *err, size_t errlen)
{
    const pl_addr_t asked = *a;
    unsigned want = pl_addr_port((struct sockaddr *)&a->ss);
    char shown[PL_ADDR_STR_MAX];
    int rc = 0;

    if (want && ((rc = probe_free(SOCK_STREAM, a)) || (rc = probe_free(SOCK_DGRAM, a)))) {
        snprintf(err, errlen, "cannot bind %s: %s",
                 pl_addr_format((struct sockaddr *)&a->ss, shown, sizeof(shown)), strerror(-rc));
        return rc;
    }

    /* Port 0: the first TCP listener picks the port, UDP takes the same
     * number; if some other UDP socket holds it, start over. */
    worker_t *w0 = &srv->workers[0];
    for (int attempt = 0; attempt < 16; attempt++) {
        pl_addr_set_port((struct sockaddr *)&a->ss, want);
        rc = open_bound(SOCK_STREAM, a, &w0->tcp_fd[kind]);
        if (rc)
            break;
        struct sockaddr_storage got;
        socklen_t gl = sizeof(got);
        getsockname(w0->tcp_fd[kind], (struct sockaddr *)&got, &gl);
        pl_addr_set_port((struct sockaddr *)&a->ss, pl_addr_port((struct sockaddr *)&got));
        rc = open_bound(SOCK_DGRAM, a, &w0->udp_fd[kind]);
        if (rc == -EADDRINUSE && want == 0) {
            close(w0->tcp_fd[kind]);
            w0->tcp_fd[kind] = -1;
            continue;
        }
        break;
    }
    if (rc) {
        snprintf(err, errlen, "cannot bind %s: %s",
                 pl_addr_format((struct sockaddr *)&asked.ss, shown, sizeof(shown)), strerror(-rc));
        return rc;
    }
    for (int i = 1; i < srv->nworkers; i++) {
        worker_t *w = &srv->workers[i];
        if ((rc = open_bound(SOCK_STREAM, a, &w->tcp_fd[kind])) ||
            (rc = open_bound(SOCK_DGRAM, a, &w->udp_fd[kind]))) {
            snprintf(err, errlen, "cannot bind worker %d to %s: %s", i,
                     pl_addr_format((struct sockaddr *)&a->ss, shown, sizeof(shown)),
                     strerror(-rc));
            return rc;
        }
    }
    return 0;
}

int net_bind_workers(server_t *srv, char *err, size_t errlen)
{
    for (int i = 0; i < srv->nworkers; i++)
        for (int k = 0; k < PORT__COUNT; k++)
            srv->workers[i].udp_fd[k] = srv->workers[i].tcp_fd[k] = -1;
    srv->bound = srv->cfg.listen_addr;
    int rc = bind_port(srv, PORT_LANE, &srv->bound, err, errlen);
    if (!rc && srv->cfg.cit_addr.ss.ss_family != AF_UNSPEC) {
        srv->cit_bound = srv->cfg.cit_addr;
        rc = bind_port(srv, PORT_CIT, &srv->cit_bound, err, errlen);
    }
    if (rc)
        close_all(srv);
    return rc;
}
