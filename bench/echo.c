/* pricelane-bench echo-server: the calibration server. It speaks the same
 * protocols as pricelaned on one port (line protocol on UDP and TCP, RESP on
 * TCP), parses requests with the same parser, and answers every lookup with
 * a canned JSON answer of a fixed size that echoes the code. It does no
 * lookup at all, so what the load generator measures against it is the
 * machine's ceiling for those request and answer sizes with that client. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "opts.h"
#include "pricelane/proto.h"

#define E_BATCH 64
#define E_DGRAM 2048
#define E_RBUF 65536
#define E_WBUF (1 << 20)

typedef struct econn {
    int fd;
    char *rbuf, *wbuf;
    size_t rlen, wlen, woff;
    int want_out;
} econn_t;

typedef struct eserver {
    struct sockaddr_in addr;
    size_t size; /* bytes of each answer's JSON */
    int udp_fd, tcp_fd, ep;
    pthread_t th;
} eserver_t;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

/* {"status":"ok","code":"<code>","pad":"xxxx"} padded to `size` bytes: a
 * few memcpy, so that the ceiling measures transport, not answer building. */
static size_t canned(const pl_req_t *req, size_t size, char *json, size_t cap)
{
    static const char head[] = "{\"status\":\"ok\",\"code\":\"", mid[] = "\",\"pad\":\"";
    static char pad[2048];
    if (!pad[0])
        memset(pad, 'x', sizeof(pad));
    size_t clen = req->args[0].len > 64 ? 64 : req->args[0].len;
    size_t len = sizeof(head) - 1 + clen + sizeof(mid) - 1;
    if (len + 2 > cap)
        return 0;
    memcpy(json, head, sizeof(head) - 1);
    memcpy(json + sizeof(head) - 1, req->args[0].p, clen);
    memcpy(json + sizeof(head) - 1 + clen, mid, sizeof(mid) - 1);
    size_t npad = size > len + 2 ? size - len - 2 : 0;
    if (npad > sizeof(pad) || len + npad + 2 > cap)
        npad = cap - len - 2 < sizeof(pad) ? cap - len - 2 : sizeof(pad);
    memcpy(json + len, pad, npad);
    len += npad;
    json[len++] = '"';
    json[len++] = '}';
    return len;
}

static size_t answer(const eserver_t *s, const pl_req_t *req, char *out, size_t cap)
{
    char json[4096];
    switch (req->type) {
    case PL_REQ_LOOKUP: {
        size_t n = canned(req, s->size, json, sizeof(json));
        return pl_proto_reply_answer(req, json, n, out, cap);
    }
    case PL_REQ_PING:
        return pl_proto_reply_simple(req, "PONG", out, cap);
    case PL_REQ_COMMAND:
        return pl_proto_reply_array_header(0, out, cap);
    case PL_REQ_ERROR:
        return pl_proto_reply_error(req, req->error, out, cap);
    default:
        return pl_proto_reply_error(req, "not supported by the echo server", out, cap);
    }
}

static void udp_serve(eserver_t *s)
{
    static __thread char in[E_BATCH][E_DGRAM], out[E_BATCH][E_DGRAM];
    struct mmsghdr rm[E_BATCH], sm[E_BATCH];
    struct iovec ri[E_BATCH], si[E_BATCH];
    struct sockaddr_in from[E_BATCH];
    pl_req_t req;
    for (;;) {
        for (int i = 0; i < E_BATCH; i++) {
            ri[i].iov_base = in[i];
            ri[i].iov_len = E_DGRAM;
            memset(&rm[i].msg_hdr, 0, sizeof(rm[i].msg_hdr));
            rm[i].msg_hdr.msg_iov = &ri[i];
            rm[i].msg_hdr.msg_iovlen = 1;
            rm[i].msg_hdr.msg_name = &from[i];
            rm[i].msg_hdr.msg_namelen = sizeof(from[i]);
        }
        int n = recvmmsg(s->udp_fd, rm, E_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        int ns = 0;
        for (int i = 0; i < n; i++) {
            size_t used;
            if (pl_proto_parse(&req, in[i], rm[i].msg_len, 1, &used) != 1)
                continue;
            size_t len = answer(s, &req, out[ns], E_DGRAM);
            if (!len)
                continue;
            si[ns].iov_base = out[ns];
            si[ns].iov_len = len;
            memset(&sm[ns].msg_hdr, 0, sizeof(sm[ns].msg_hdr));
            sm[ns].msg_hdr.msg_iov = &si[ns];
            sm[ns].msg_hdr.msg_iovlen = 1;
            sm[ns].msg_hdr.msg_name = &from[i];
            sm[ns].msg_hdr.msg_namelen = rm[i].msg_hdr.msg_namelen;
            ns++;
        }
        for (int done = 0; done < ns;) {
            int k = sendmmsg(s->udp_fd, sm + done, (unsigned)(ns - done), 0);
            if (k <= 0)
                break; /* a full socket buffer drops answers, as a server would */
            done += k;
        }
        if (n < E_BATCH)
            return;
    }
}

static void econn_close(eserver_t *s, econn_t *c)
{
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->rbuf);
    free(c->wbuf);
    free(c);
}

static int econn_flush(eserver_t *s, econn_t *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->want_out) {
                struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
                epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = 1;
            }
            return 0;
        }
        return -1;
    }
    c->woff = c->wlen = 0;
    if (c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = 0;
    }
    return 0;
}

/* Returns -1 when the connection must close. */
static int econn_read(eserver_t *s, econn_t *c)
{
    pl_req_t req;
    if (c->want_out)
        return 0; /* the client does not read: stop reading too */
    ssize_t n = recv(c->fd, c->rbuf + c->rlen, E_RBUF - c->rlen, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;
    c->rlen += (size_t)n;
    size_t off = 0;
    int quit = 0;
    while (off < c->rlen && c->wlen + 8192 <= E_WBUF) {
        size_t used;
        int rc = pl_proto_parse(&req, c->rbuf + off, c->rlen - off, 0, &used);
        if (rc == 0) {
            off += used;
            break;
        }
        if (rc < 0) {
            c->wlen += pl_proto_reply_error(&req, req.error, c->wbuf + c->wlen, E_WBUF - c->wlen);
            quit = 1;
            break;
        }
        off += used;
        if (req.type == PL_REQ_QUIT) {
            quit = 1;
            break;
        }
        c->wlen += answer(s, &req, c->wbuf + c->wlen, E_WBUF - c->wlen);
    }
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
    if (econn_flush(s, c) < 0 || quit || c->rlen == E_RBUF)
        return -1;
    return 0;
}

static void *serve(void *arg)
{
    eserver_t *s = arg;
    struct epoll_event ev[128];
    while (!stop) {
        int n = epoll_wait(s->ep, ev, 128, 200);
        for (int i = 0; i < n; i++) {
            void *p = ev[i].data.ptr;
            if (p == &s->udp_fd) {
                udp_serve(s);
            } else if (p == &s->tcp_fd) {
                int fd;
                while ((fd = accept4(s->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    econn_t *c = calloc(1, sizeof(*c));
                    int one = 1;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                    if (c) {
                        c->rbuf = malloc(E_RBUF);
                        c->wbuf = malloc(E_WBUF);
                    }
                    if (!c || !c->rbuf || !c->wbuf) {
                        if (c) {
                            free(c->rbuf);
                            free(c->wbuf);
                            free(c);
                        }
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e);
                }
            } else {
                econn_t *c = p;
                int bad = (ev[i].events & EPOLLERR) != 0;
                if (!bad && (ev[i].events & EPOLLOUT) && econn_flush(s, c) < 0)
                    bad = 1;
                if (!bad && (ev[i].events & (EPOLLIN | EPOLLHUP)) && econn_read(s, c) < 0)
                    bad = 1;
                if (bad)
                    econn_close(s, c);
            }
        }
    }
    return NULL;
}

static int open_sockets(eserver_t *s)
{
    int one = 1, big = 4 << 20;
    s->udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    s->tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->udp_fd < 0 || s->tcp_fd < 0)
        return -errno;
    setsockopt(s->udp_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    setsockopt(s->tcp_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    setsockopt(s->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(s->udp_fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    setsockopt(s->udp_fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    if (bind(s->tcp_fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0)
        return -errno;
    if (!s->addr.sin_port) { /* port 0: UDP takes the port TCP got */
        socklen_t l = sizeof(s->addr);
        getsockname(s->tcp_fd, (struct sockaddr *)&s->addr, &l);
    }
    if (bind(s->udp_fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0 ||
        listen(s->tcp_fd, 1024) < 0)
        return -errno;
    s->ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event eu = {.events = EPOLLIN, .data.ptr = &s->udp_fd};
    struct epoll_event et = {.events = EPOLLIN, .data.ptr = &s->tcp_fd};
    if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->udp_fd, &eu) < 0 ||
        epoll_ctl(s->ep, EPOLL_CTL_ADD, s->tcp_fd, &et) < 0)
        return -errno;
    return 0;
}

#define CMD "pricelane-bench echo-server"

static void usage(FILE *f)
{
    fprintf(f, "usage: pricelane-bench echo-server [--listen ADDR:PORT] [--size N] [--threads N]\n"
               "\n"
               "Answers every lookup (line protocol on UDP and TCP, RESP GET on TCP, one\n"
               "port) with a canned JSON answer of N bytes that echoes the code, without\n"
               "looking anything up: the ceiling the same client reaches on this machine.\n"
               "Prints 'pricelane-bench echo ready udp=ADDR:PORT tcp=ADDR:PORT threads=N'\n"
               "once it accepts requests; SIGINT or SIGTERM stops it.\n"
               "\n"
               "  --listen ADDR:PORT  where to listen (default 127.0.0.1:0, an ephemeral port)\n"
               "  --size N            bytes of each JSON answer (default 360, about a\n"
               "                      pricelaned answer; the compare script measures it)\n"
               "  --threads N         worker threads, each with its own sockets\n"
               "                      (SO_REUSEPORT; default 1)\n");
}

int pl_bench_echo_server(int argc, char **argv)
{
    const char *listen_s = "127.0.0.1:0";
    long long size = 360, threads = 1;
    static const struct option lo[] = {{"listen", 1, 0, 'l'},
                                       {"size", 1, 0, 's'},
                                       {"threads", 1, 0, 't'},
                                       {"help", 0, 0, 'h'},
                                       {0, 0, 0, 0}};
    struct sockaddr_in addr;
    int opt;
    if (pl_opt_addr(CMD, "--listen", listen_s, 0, &addr))
        return 2;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'l':
            listen_s = optarg;
            if (pl_opt_addr(CMD, "--listen", listen_s, 0, &addr))
                return 2;
            break;
        case 's':
            if (pl_opt_int(CMD, "--size", optarg, 40, 1400, 0, &size))
                return 2;
            break;
        case 't':
            if (pl_opt_int(CMD, "--threads", optarg, 1, 64, 0, &threads))
                return 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    eserver_t *s = calloc((size_t)threads, sizeof(*s));
    if (!s)
        return 1;
    int rc = 0;
    for (long i = 0; i < threads; i++) {
        s[i].addr = i ? s[0].addr : addr;
        s[i].size = (size_t)size;
        s[i].udp_fd = s[i].tcp_fd = s[i].ep = -1;
        if ((rc = open_sockets(&s[i])) < 0) {
            fprintf(stderr, "pricelane-bench echo-server: %s: %s\n", listen_s, strerror(-rc));
            return 1;
        }
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (long i = 0; i < threads; i++)
        pthread_create(&s[i].th, NULL, serve, &s[i]);
    char a[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &s[0].addr.sin_addr, a, sizeof(a));
    int port = ntohs(s[0].addr.sin_port);
    printf("pricelane-bench echo ready udp=%s:%d tcp=%s:%d threads=%lld size=%lld\n", a, port, a,
           port, threads, size);
    fflush(stdout);
    for (long i = 0; i < threads; i++)
        pthread_join(s[i].th, NULL);
    for (long i = 0; i < threads; i++) {
        close(s[i].udp_fd);
        close(s[i].tcp_fd);
        close(s[i].ep);
    }
    free(s);
    return 0;
}
