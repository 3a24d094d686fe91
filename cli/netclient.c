/* pricelane lookup --server: the line protocol over TCP (all requests
 * pipelined on one connection) or UDP (one datagram per code, each with its
 * own tag so that retries and late replies can be matched). Prints exactly
 * what the offline lookup prints: the server's JSON answer, one line per
 * code, in the order given (the UDP tag is removed). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netclient.h"

#define CONNECT_MS 3000    /* TCP connect */
#define TCP_IDLE_MS 5000   /* no byte moved for this long: give up */
#define UDP_FIRST_MS 300   /* first retry after; doubles per attempt */
#define UDP_ATTEMPTS 5
#define UDP_WINDOW 32      /* datagrams outstanding at once */
#define LINE_MAX_REPLY 8192

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(const char *server, int type)
{
    char host[256];
    const char *port;
    if (server[0] == '[') {
        const char *close = strchr(server, ']');
        if (!close || close[1] != ':' || (size_t)(close - server) >= sizeof(host))
            return -EINVAL;
        snprintf(host, sizeof(host), "%.*s", (int)(close - server - 1), server + 1);
        port = close + 2;
    } else {
        const char *colon = strrchr(server, ':');
        if (!colon || (size_t)(colon - server) >= sizeof(host))
            return -EINVAL;
        snprintf(host, sizeof(host), "%.*s", (int)(colon - server), server);
        port = colon + 1;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = type;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g)
        return g == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
    int fd = -1, err = ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            err = errno;
            continue;
        }
        /* Bounded: an unreachable host must not hold a lane for the
         * kernel's two minutes of SYN retries. */
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        err = errno;
        if (err == EINPROGRESS) {
            struct pollfd p = {fd, POLLOUT, 0};
            socklen_t el = sizeof(err);
            if (poll(&p, 1, CONNECT_MS) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
                break;
            if (err == EINPROGRESS)
                err = ETIMEDOUT;
        }
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        return -err;
    return fd;
}

/* One request line; 0 when the code cannot travel in the line protocol. */
static int request_line(char *out, size_t cap, const char *tag, const char *code,
                        const char *store, int member)
{
    for (const char *p = code; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == ' ')
            return 0;
    int n = snprintf(out, cap, "%s%s%sGET %s%s%s%s\n", tag ? "#" : "", tag ? tag : "",
                     tag ? " " : "", code, store && *store ? " store=" : "",
                     store && *store ? store : "", member ? " member" : "");
    return n > 0 && (size_t)n < cap ? n : 0;
}

/* Exit status contribution of one reply line: 0 ok, 1 not ok, 2 error or
 * not an answer at all. */
static int judge(const char *line)
{
    json_error_t je;
    json_t *j = json_loads(line, 0, &je);
    const char *st = j ? json_string_value(json_object_get(j, "status")) : NULL;
    int r = !st ? 2 : strcmp(st, "ok") == 0 ? 0 : strcmp(st, "error") == 0 ? 2 : 1;
    json_decref(j);
    return r;
}

static int worse(int a, int b)
{
    return a > b ? a : b;
}

static int local_error(const char *code)
{
    json_t *j = json_pack("{s:s,s:s}", "status", "bad_code", "error",
                          "code contains a blank or control byte");
    (void)code;
    char *s = json_dumps(j, JSON_COMPACT);
    printf("%s\n", s ? s : "{}");
    free(s);
    json_decref(j);
    return 1;
}

static int lookup_tcp(const char *server, const char *store, int member, int n, char **codes)
{
    int fd = connect_to(server, SOCK_STREAM);
    if (fd < 0) {
        fprintf(stderr, "pricelane: %s: %s\n", server, strerror(-fd));
        return 2;
    }
    /* All requests at once, read while writing so neither side blocks. */
    size_t qcap = (size_t)n * 600 + 1, qlen = 0, qoff = 0;
    char *q = malloc(qcap);
    int *skip = calloc((size_t)n + 1, sizeof(int));
    char *in = malloc(LINE_MAX_REPLY);
    int status = 0, expected = 0;
    if (!q || !skip || !in) {
        status = 2;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        int l = request_line(q + qlen, qcap - qlen, NULL, codes[i], store, member);
        if (l)
            qlen += (size_t)l, expected++;
        else
            skip[i] = 1;
    }
    size_t ilen = 0;
    int got = 0, next = 0;
    int64_t last = now_ms();
    while (got < expected) {
        while (next < n && skip[next]) /* keep the output in order */
            status = worse(status, local_error(codes[next++]));
        struct pollfd p = {fd, (short)(POLLIN | (qoff < qlen ? POLLOUT : 0)), 0};
        int pr = poll(&p, 1, 200);
        if (pr < 0 && errno != EINTR)
            break;
        if (now_ms() - last > TCP_IDLE_MS) {
            fprintf(stderr, "pricelane: %s: no reply for %d ms\n", server, TCP_IDLE_MS);
            status = 2;
            break;
        }
        if (p.revents & POLLOUT) {
            ssize_t w = send(fd, q + qoff, qlen - qoff, MSG_NOSIGNAL);
            if (w > 0)
                qoff += (size_t)w, last = now_ms();
        }
        if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t r = recv(fd, in + ilen, LINE_MAX_REPLY - 1 - ilen, 0);
        if (r <= 0) {
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            fprintf(stderr, "pricelane: %s: connection closed after %d of %d answers\n", server,
                    got, expected);
            status = 2;
            break;
        }
        last = now_ms();
        ilen += (size_t)r;
        in[ilen] = 0;
        char *nl;
        while ((nl = memchr(in, '\n', ilen))) {
            *nl = 0;
            printf("%s\n", in);
            status = worse(status, judge(in));
            got++;
            next++;
            while (next < n && skip[next])
                status = worse(status, local_error(codes[next++]));
            size_t used = (size_t)(nl - in) + 1;
            memmove(in, nl + 1, ilen - used);
            ilen -= used;
        }
        if (ilen == LINE_MAX_REPLY - 1) {
            fprintf(stderr, "pricelane: %s: reply line too long\n", server);
            status = 2;
            break;
        }
    }
    while (status != 2 && next < n && skip[next])
        status = worse(status, local_error(codes[next++]));
out:
    free(q);
    free(skip);
    free(in);
    close(fd);
    return status;
}

/* A reply datagram {"tag":"pl<nonce>.<i>",...}: its index i and the answer
 * with the tag member removed, as the offline lookup prints it. */
static int untag(char *d, const char *prefix, int n, char **answer)
{
    static const char head[] = "{\"tag\":\"";
    size_t hl = sizeof(head) - 1, pl = strlen(prefix);
    if (strncmp(d, head, hl) != 0 || strncmp(d + hl, prefix, pl) != 0)
        return -1;
    char *end;
    long i = strtol(d + hl + pl, &end, 10);
    if (end == d + hl + pl || strncmp(end, "\",", 2) != 0 || i < 0 || i >= n)
        return -1;
    end += 1; /* at the comma: becomes the new opening brace */
    *end = '{';
    *answer = end;
    return (int)i;
}

static int lookup_udp(const char *server, const char *store, int member, int n, char **codes)
{
    int fd = connect_to(server, SOCK_DGRAM);
    if (fd < 0) {
        fprintf(stderr, "pricelane: %s: %s\n", server, strerror(-fd));
        return 2;
    }
    char prefix[24];
    snprintf(prefix, sizeof(prefix), "pl%08x.",
             (unsigned)(now_ms() * 2654435761u) ^ (unsigned)getpid());
    char **ans = calloc((size_t)n, sizeof(*ans));
    int *tries = calloc((size_t)n, sizeof(int));
    int64_t *due = calloc((size_t)n, sizeof(int64_t));
    char *bad = calloc((size_t)n, 1);
    char buf[LINE_MAX_REPLY];
    int status = 0, left = n;
    if (!ans || !tries || !due || !bad) {
        status = 2;
        goto out;
    }
    for (int i = 0; i < n; i++)
        if (!request_line(buf, sizeof(buf), "t", codes[i], store, member))
            bad[i] = 1, left--;
    while (left > 0) {
        int64_t now = now_ms(), wait = 1000;
        int outstanding = 0;
        for (int i = 0; i < n; i++)
            outstanding += !bad[i] && !ans[i] && tries[i] > 0;
        for (int i = 0; i < n; i++) {
            if (bad[i] || ans[i] || due[i] > now || (tries[i] == 0 && outstanding >= UDP_WINDOW))
                continue;
            if (tries[i] == UDP_ATTEMPTS) { /* gave up on this one */
                bad[i] = 2;
                left--;
                continue;
            }
            char tag[40];
            snprintf(tag, sizeof(tag), "%s%d", prefix, i);
            int l = request_line(buf, sizeof(buf), tag, codes[i], store, member);
            if (send(fd, buf, (size_t)l - 1, 0) < 0 && errno == ECONNREFUSED)
                tries[i] = UDP_ATTEMPTS - 1; /* nobody listens: fail fast */
            outstanding += tries[i] == 0;
            tries[i]++;
            due[i] = now + ((int64_t)UDP_FIRST_MS << (tries[i] - 1));
        }
        for (int i = 0; i < n; i++)
            if (!bad[i] && !ans[i] && tries[i] > 0 && due[i] - now < wait)
                wait = due[i] - now > 0 ? due[i] - now : 0;
        if (left == 0)
            break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)wait) <= 0)
            continue;
        for (;;) {
            ssize_t r = recv(fd, buf, sizeof(buf) - 1, 0);
            if (r <= 0)
                break;
            buf[r] = 0;
            while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r'))
                buf[--r] = 0;
            char *a;
            int i = untag(buf, prefix, n, &a);
            if (i < 0 || ans[i] || bad[i])
                continue; /* a duplicate (retry) or someone else's reply */
            ans[i] = strdup(a);
            left--;
        }
    }
    for (int i = 0; i < n; i++) {
        if (ans[i]) {
            printf("%s\n", ans[i]);
            status = worse(status, judge(ans[i]));
        } else if (bad[i] == 1) {
            status = worse(status, local_error(codes[i]));
        } else {
            fprintf(stderr, "pricelane: %s: no reply for %s after %d attempts\n", server,
                    codes[i], UDP_ATTEMPTS);
            status = 2;
        }
    }
out:
    for (int i = 0; ans && i < n; i++)
        free(ans[i]);
    free(ans);
    free(tries);
    free(due);
    free(bad);
    close(fd);
    return status;
}

int pl_netclient_lookup(const char *server, int udp, const char *store, int member, int n,
                        char **codes)
{
    if (n <= 0)
        return 0;
    return udp ? lookup_udp(server, store, member, n, codes)
               : lookup_tcp(server, store, member, n, codes);
}
