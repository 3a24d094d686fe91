#include "server.h"

int udp_admit(worker_t *w, const struct sockaddr *sa)
{
    if (!pl_allow_match(&w->pol.allow, sa)) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_DENIED, 1);
        return 0;
    }
    if (!rl_allow(&w->rl, sa, w->pol.udp_rate, w->pol.udp_burst, w->now_ms * 1000000)) {
        pl_stat_add(&w->stats, PL_ST_UDP_DROP_RATE_LIMITED, 1);
        return 0;
    }
    return 1;
}

size_t udp_answer(worker_t *w, const char *p, size_t len, char *out, size_t cap)
{
    pl_req_t req;
    size_t used = 0;
    int fl;
    pl_stat_add(&w->stats, PL_ST_RX_BYTES_UDP, len);
    int rc = pl_proto_parse(&req, p, len, 1, &used);
    if (rc == 0)
        return 0; /* blank datagram: no reply, by the protocol */
    size_t n = rc < 0 ? answer_fatal(&w->ax, &req, PL_SP_UDP, req.error, out, cap)
                      : answer(&w->ax, &req, PL_SP_UDP, out, cap, &fl);
    if (!n)
        n = answer_fatal(&w->ax, &req, PL_SP_UDP, "reply too large for a datagram", out, cap);
    return n;
}
