/* The TCP connection rules (server/tcp.c) without sockets: an engine made of
 * records feeds bytes and events and sees which I/O the rules ask for.
 * Partial lines, pipelining, short sends, slow readers (back-pressure),
 * QUIT and the orderly close, framing errors, oversized requests, idle and
 * drain timeouts, admission and eviction, error mapping; both kinds of
 * engine (a receive that stops at once, like libuv's, or later, like
 * io_uring's). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include "admit.h"
#include "catfix.h"
#include "check.h"
#include "pricelane/resolve.h"
#include "tcp.h"

/* ---- an engine of records ------------------------------------------------- */

typedef struct fake {
    int sends, recvs, recv_stops, shutdowns, closes;
    int send_rc;      /* what the next send returns */
    int stop_at_once; /* recv_stop: 1 like libuv, 0 like io_uring */
    char sent[8192];  /* the bytes of the last send started */
    size_t sent_len;
    conn_t *last_closed;
} fake_t;

static int f_send(void *eng, conn_t *c)
{
    fake_t *f = eng;
    if (f->send_rc)
        return f->send_rc;
    f->sends++;
    f->sent_len = c->out.len - c->out_off;
    memcpy(f->sent, c->out.p + c->out_off, f->sent_len);
    f->sent[f->sent_len] = 0;
    return 0;
}

static int f_recv(void *eng, conn_t *c, size_t room)
{
    fake_t *f = eng;
    CHECK(room > 0 && c->in_cap - c->in_len >= room, "a receive has room");
    f->recvs++;
    return 0;
}

static int f_recv_stop(void *eng, conn_t *c)
{
    fake_t *f = eng;
    (void)c;
    f->recv_stops++;
    return f->stop_at_once;
}

static int f_shutdown(void *eng, conn_t *c)
{
    fake_t *f = eng;
    (void)c;
    f->shutdowns++;
    return 0;
}

static void f_close(void *eng, conn_t *c)
{
    fake_t *f = eng;
    f->closes++;
    f->last_closed = c;
}

static const conn_io_t fake_io = {f_send, f_recv, f_recv_stop, f_shutdown, f_close};

static fake_t f;
static policy_t pol;
static pl_stats_t stats;
static answer_ctx_t ax;
static tcp_t t;

static void setup(uint32_t limit, size_t max_output, size_t max_request)
{
    conn_table_free(&t.conns);
    memset(&f, 0, sizeof(f));
    memset(&pol, 0, sizeof(pol));
    memset(&stats, 0, sizeof(stats));
    memset(&ax, 0, sizeof(ax));
    memset(&t, 0, sizeof(t));
    char err[128];
    CHECK_INT(pl_allow_parse("127.0.0.0/8", &pol.allow, err, sizeof(err)), 0);
    pol.idle_timeout_ms = 30000;
    pol.drain_timeout_ms = 5000;
    pol.max_output = max_output;
    ax.stats = &stats;
    CHECK_INT(conn_table_init(&t.conns, limit + ADMIT_RESERVE), 0);
    t.limit = limit;
    t.nworkers = 1;
    t.max_request = max_request;
    t.pol = &pol;
    t.ax = &ax;
    t.stats = &stats;
    t.now_ms = 1000000;
    t.io = &fake_io;
    t.eng = &f;
}

static conn_t *connect_from(const char *ip)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    conn_t *c = tcp_accept(&t, 100, (struct sockaddr *)&a, PORT_LANE);
    if (c)
        tcp_kick(&t, c);
    return c;
}

/* The peer sends s: the receive armed for it completes with its bytes. */
static void peer_sends(conn_t *c, const char *s)
{
    size_t n = strlen(s);
    CHECK(c->reading, "the connection is reading when the peer sends");
    CHECK(c->in_cap - c->in_len >= n, "room for %zu bytes", n);
    memcpy(c->in + c->in_len, s, n);
    tcp_input(&t, c, n);
}

/* The send in flight completes with all its bytes. */
static void send_completes(conn_t *c)
{
    CHECK(c->sending, "a send is in flight");
    tcp_sent(&t, c, c->out.len - c->out_off);
}

static uint64_t stat(pl_stat_id_t id)
{
    return stats.v[id];
}

/* ---- tests ---------------------------------------------------------------- */

static void test_admission(void)
{
    setup(2, 65536, 4096);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "10.1.2.3", &a.sin_addr);
    CHECK(tcp_accept(&t, 100, (struct sockaddr *)&a, PORT_LANE) == NULL,
          "outside the allowlist: refused");
    CHECK_INT(stat(PL_ST_TCP_REJECTED_DENIED), 1);
    CHECK(tcp_accept(&t, 100, NULL, PORT_LANE) == NULL, "unknown peer address: refused");
    CHECK_INT(stat(PL_ST_TCP_REJECTED_DENIED), 2);

    conn_t *c1 = connect_from("127.0.0.1");
    CHECK(c1 != NULL, "allowed: accepted");
    CHECK_INT(f.recvs, 1);
    CHECK_INT(stat(PL_ST_TCP_ACCEPTED), 1);
    CHECK_INT(stat(PL_ST_TCP_CONNECTIONS), 1);
    conn_t *c2 = connect_from("127.0.0.2");
    peer_sends(c2, "PI"); /* c2 has a partial request: never evicted */
    t.now_ms += ADMIT_EVICT_IDLE_MS;
    conn_t *c3 = connect_from("127.0.0.3");
    CHECK(c3 != NULL, "a full table evicts the connection idle longest");
    CHECK(f.last_closed == c1, "the evicted one is the idle one");
    CHECK_INT(stat(PL_ST_TCP_CLOSED_EVICTED), 1);
    CHECK_INT(c1->state, CONN_CLOSING);
    tcp_released(&t, c1);
    CHECK_INT(stat(PL_ST_TCP_CONNECTIONS), 2);
    /* Nothing idle any more (c3 just arrived, c2 mid-request): refused. */
    peer_sends(c3, "P");
    CHECK(connect_from("127.0.0.4") == NULL, "a full table of busy connections refuses");
    CHECK_INT(stat(PL_ST_TCP_REJECTED_CAP), 1);

    /* Per-source cap: the server-wide cap shared among workers. */
    setup(8, 65536, 4096);
    pol.per_source = 4;
    t.nworkers = 2;
    CHECK(connect_from("127.0.0.9") && connect_from("127.0.0.9"), "two from one source");
    CHECK(connect_from("127.0.0.9") == NULL, "a third is over this worker's share (4 / 2)");
    CHECK_INT(stat(PL_ST_TCP_REJECTED_SOURCE), 1);

    t.draining = 1;
    CHECK(connect_from("127.0.0.5") == NULL, "no new connection while draining");
    CHECK_INT(stat(PL_ST_TCP_REJECTED_CAP) + stat(PL_ST_TCP_REJECTED_DENIED), 0);
}

static void test_partial_and_pipelined(void)
{
    setup(4, 65536, 4096);
    conn_t *c = connect_from("127.0.0.1");
    peer_sends(c, "PI");
    CHECK_INT(f.sends, 0);
    CHECK_INT(c->in_len, 2);
    int64_t before = c->last_ms;
    t.now_ms += 10;
    peer_sends(c, "NG\n");
    CHECK_INT(f.sends, 1);
    CHECK_STR(f.sent, "PONG\n");
    CHECK_INT(c->in_len, 0);
    CHECK(c->last_ms > before, "a whole request is progress");

    /* Three in one read, a fourth split, and more while a send is in
     * flight: replies in order, the later ones in the next send. */
    send_completes(c);
    peer_sends(c, "PING\nVERSION\nPING\nPI");
    CHECK_INT(f.sends, 2);
    size_t three = f.sent_len;
    CHECK(strncmp(f.sent, "PONG\npricelane ", 15) == 0 && strstr(f.sent, "\nPONG\n"),
          "three replies in one send, in order: %s", f.sent);
    peer_sends(c, "NG\nPING\n");
    CHECK_INT(f.sends, 2);
    CHECK_INT(c->pend.len, 10);
    send_completes(c);
    CHECK_INT(f.sends, 3);
    CHECK_STR(f.sent, "PONG\nPONG\n");
    send_completes(c);
    CHECK_INT(stat(PL_ST_TX_BYTES_TCP), 5 + three + 10);
    CHECK_INT(stat(PL_ST_RX_BYTES_TCP),
              strlen("PING\n") + strlen("PING\nVERSION\nPING\nPI") + strlen("NG\nPING\n"));

    /* A short send: the rest goes next, nothing is duplicated. */
    peer_sends(c, "PING\nPING\n");
    CHECK_STR(f.sent, "PONG\nPONG\n");
    tcp_sent(&t, c, 3);
    CHECK_INT(f.sends, 5);
    CHECK_STR(f.sent, "G\nPONG\n");
    send_completes(c);
    CHECK(!c->sending && c->out.len == 0, "all sent");
}

static void test_backpressure(int stop_at_once)
{
    setup(4, 64, 4096);
    f.stop_at_once = stop_at_once;
    conn_t *c = connect_from("127.0.0.1");
    /* 20 pipelined ECHOs (17-byte replies): replies are made until they
     * reach max_output, then the connection pauses; they go out in one
     * send. */
    char req[2048] = "";
    for (int i = 0; i < 20; i++)
        strcat(req, "*2\r\n$4\r\nECHO\r\n$10\r\n0123456789\r\n");
    peer_sends(c, req);
    CHECK(c->paused, "a client not reading its replies is paused");
    CHECK_INT(stat(PL_ST_TCP_BACKPRESSURE), 1);
    CHECK_INT(f.recv_stops, 1);
    CHECK(c->out.len >= 64 && c->out.len < 64 + 17, "replies stop at the limit: %zu", c->out.len);
    CHECK(c->in_len > 0, "the rest stays unparsed");
    if (!stop_at_once) {
        CHECK(c->reading && c->read_stopping, "the receive ends later");
        tcp_kick(&t, c);
        CHECK_INT(f.recv_stops, 1); /* asked once */
        tcp_recv_ended(c);          /* the cancelled receive completes */
        tcp_kick(&t, c);
    }
    CHECK(!c->reading, "not reading while paused");
    size_t replies = 0;
    int guard = 0;
    while ((c->sending || c->pend.len) && guard++ < 50) {
        replies += f.sent_len;
        send_completes(c);
    }
    CHECK(!c->paused, "resumes once the replies drain");
    CHECK_INT(replies, 20 * 17);
    CHECK_INT(c->in_len, 0);
    CHECK(c->reading, "reading again");
}

static void test_quit_and_linger(void)
{
    setup(4, 65536, 4096);
    conn_t *c = connect_from("127.0.0.1");
    peer_sends(c, "PING\nQUIT\nPING\n");
    CHECK_STR(f.sent, "PONG\nOK\n");
    CHECK(c->close_after, "QUIT closes after its reply");
    send_completes(c);
    CHECK_INT(f.shutdowns, 1);
    CHECK(c->lingering, "FIN sent, lingering");
    CHECK(c->reading, "still reading, to discard");
    peer_sends(c, "PING\n");
    CHECK_INT(c->in_len, 0);
    CHECK_INT(f.sends, 1);
    tcp_eof(&t, c);
    CHECK_INT(c->state, CONN_CLOSING);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_QUIT), 1);
    tcp_released(&t, c);
    CHECK_INT(stat(PL_ST_TCP_CONNECTIONS), 0);
    CHECK_INT(t.conns.nopen, 0);

    /* A peer that never closes: the linger deadline closes it. */
    c = connect_from("127.0.0.1");
    peer_sends(c, "QUIT\n");
    send_completes(c);
    t.now_ms += LINGER_MS - 1;
    tcp_tick(&t);
    CHECK_INT(c->state, CONN_OPEN);
    t.now_ms += 1;
    tcp_tick(&t);
    CHECK_INT(c->state, CONN_CLOSING);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_QUIT), 2);

    /* Peer EOF: what is buffered is answered, then it closes at once. */
    setup(4, 65536, 4096);
    c = connect_from("127.0.0.1");
    peer_sends(c, "PING\n");
    tcp_eof(&t, c);
    CHECK_INT(c->state, CONN_OPEN);
    send_completes(c);
    CHECK_INT(c->state, CONN_CLOSING);
    CHECK_INT(f.shutdowns, 0);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_CLIENT), 1);
}

static void test_bad_input(void)
{
    setup(4, 65536, 64);
    conn_t *c = connect_from("127.0.0.1");
    peer_sends(c, "*2\r\n$3\r\nGET\r\n$x\r\nPING\r\n");
    CHECK(strncmp(f.sent, "-ERR ", 5) == 0, "a stream that cannot be framed: an error: %s", f.sent);
    CHECK(c->close_after && c->in_len == 0, "then the connection closes");
    send_completes(c);
    CHECK(c->lingering, "lingering: the rest of the peer's pipeline is discarded");
    tcp_fail(&t, c, -ECONNRESET);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_PROTOCOL), 1);

    c = connect_from("127.0.0.1");
    char big[80];
    memset(big, '7', 64);
    big[64] = 0;
    peer_sends(c, big);
    CHECK(strstr(f.sent, "request larger than 64 bytes") != NULL, "oversized request: %s", f.sent);
    CHECK(c->close_after, "and closed");
    CHECK_INT(stat(PL_ST_TCP_CLOSED_PROTOCOL), 1); /* counted when it closes */

    setup(4, 65536, 4096);
    c = connect_from("127.0.0.1");
    tcp_fail(&t, c, -ECONNRESET);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_CLIENT), 1);
    c = connect_from("127.0.0.1");
    tcp_fail(&t, c, -EIO);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_ERROR), 1);
    c = connect_from("127.0.0.1");
    f.send_rc = -EAGAIN;
    peer_sends(c, "PING\n");
    CHECK(!c->sending && c->state == CONN_OPEN, "no send possible now: kept for later");
    f.send_rc = 0;
    tcp_tick(&t);
    CHECK(c->sending, "the tick retries the send");
    f.send_rc = -EPIPE;
    send_completes(c);
    peer_sends(c, "PING\n");
    CHECK_INT(c->state, CONN_CLOSING);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_ERROR), 2);
}

static void test_idle_and_drain(int stop_at_once)
{
    setup(4, 65536, 4096);
    f.stop_at_once = stop_at_once;
    conn_t *idle = connect_from("127.0.0.1");
    conn_t *trickle = connect_from("127.0.0.2");
    conn_t *busy = connect_from("127.0.0.3");
    t.now_ms += 20000;
    peer_sends(trickle, "PIN"); /* bytes, not a request: not progress */
    peer_sends(busy, "PING\n");
    send_completes(busy);
    t.now_ms += 10000;
    tcp_tick(&t);
    CHECK_INT(idle->state, CONN_CLOSING);
    CHECK_INT(trickle->state, CONN_CLOSING);
    CHECK_INT(busy->state, CONN_OPEN);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_IDLE), 2);

    /* Drain: a request already received is answered; reading stops; each
     * connection closes once flushed; the deadline closes the rest. */
    conn_t *slow = connect_from("127.0.0.4");
    peer_sends(busy, "PING\n");
    int stops = f.recv_stops, fins = f.shutdowns;
    tcp_drain(&t, t.now_ms + 5000);
    CHECK_INT(f.recv_stops, stops + 1);
    CHECK(slow->lingering, "an idle connection closes (FIN, lingering) at once");
    CHECK(busy->sending && !busy->lingering, "the reply in flight goes on");
    send_completes(busy);
    CHECK(busy->lingering, "then FIN");
    CHECK_INT(f.shutdowns, fins + 2);
    CHECK(connect_from("127.0.0.5") == NULL, "no new connection while draining");
    t.now_ms += 5000;
    tcp_tick(&t);
    CHECK_INT(busy->state, CONN_CLOSING);
    CHECK_INT(slow->state, CONN_CLOSING);
    CHECK_INT(stat(PL_ST_TCP_CLOSED_SHUTDOWN), 2);
}

/* A price checker's connection: lines end at CR, LF or both (the LF of a
 * CR LF is no second request), a code split over reads is answered once
 * whole, each answer is one screen, and a line with no break within 256
 * bytes gets a screen saying so, then the connection closes. */
static void test_cit_framing(void)
{
    char dir[] = "/tmp/pl-test-tcp-XXXXXX";
    pl_cat_t *cat = catfix_open(dir, 480, 1);
    pl_txn_t *txn;
    CHECK_INT(pl_txn_begin(cat, 1, &txn), 0);
    catfix_item(txn, "A", "Oil 5L", "each", 0, NULL);
    catfix_barcode(txn, "06901234567892", "A");
    catfix_price(txn, "A", PL_LEVEL_BASE, "", 1000, 5990, 0, "b1");
    uint64_t gen;
    CHECK_INT(pl_meta_bump(txn, "b1", &gen), 0);
    CHECK_INT(pl_txn_commit(txn), 0);
    pl_resolver_t *res;
    CHECK_INT(pl_resolver_new(cat, NULL, &res), 0);

    setup(4, 65536, 4096);
    char err[256];
    CHECK_INT(pl_cit_layout_compile(&pol.cit_layout, NULL, err, sizeof(err)), 0);
    pol.cit_any_prefix = 1;
    ax.res = res;
    ax.pol = &pol;
    answer_batch_begin(&ax, 2000000000);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    conn_t *c = tcp_accept(&t, 100, (struct sockaddr *)&a, PORT_CIT);
    CHECK(c != NULL, "a price checker connects");
    tcp_kick(&t, c);
    peer_sends(c, "F69012345");
    CHECK_INT(f.sends, 0);
    peer_sends(c, "67892\r");
    CHECK_INT(f.sends, 1);
    CHECK(f.sent[0] == 0x1b && f.sent[1] == 0x25, "a screen: it clears first");
    CHECK(strstr(f.sent, "59.90") != NULL, "with the price: %s", f.sent);
    peer_sends(c, "\n6901234567892\n");
    CHECK_INT(f.sends, 1); /* the first screen is still being sent */
    send_completes(c);
    CHECK_INT(f.sends, 2); /* one more screen: the LF of CR LF was no request */
    CHECK(strstr(f.sent, "59.90") != NULL, "the second scan's screen");
    CHECK_INT(stat(PL_STAT_REQ(PL_SP_CIT_TCP, PL_SS_OK)), 2);
    send_completes(c);
    char line[300];
    memset(line, '7', sizeof(line) - 1);
    line[sizeof(line) - 1] = 0;
    peer_sends(c, line);
    CHECK(c->close_after, "a line too long: the connection closes");
    CHECK(strstr(f.sent, "no line break in 256") != NULL, "after a screen saying why: %s", f.sent);
    CHECK_INT(stat(PL_STAT_REQ(PL_SP_CIT_TCP, PL_SS_BAD_REQUEST)), 1);

    answer_idle(&ax);
    pl_resolver_free(res);
    catfix_close(cat, dir);
}

/* A report hook that keeps what it was handed: the connection's slot and
 * generation, and refuses when told to. */
static struct {
    int calls, refuse;
    uint32_t slot, gen;
} rep;

static int f_report(void *arg, conn_t *c, const pl_req_t *req, char *msg, size_t msglen,
                    int *status)
{
    (void)arg;
    rep.calls++;
    CHECK_INT(req->type, PL_REQ_REPORT);
    if (rep.refuse) {
        snprintf(msg, msglen, "unknown store 'S9'");
        *status = PL_SS_BAD_REQUEST;
        return 0;
    }
    rep.slot = c->slot;
    rep.gen = c->gen;
    return 1;
}

/* A REPORT waits for the writer: nothing behind it is read or answered
 * until its reply comes, then everything in order; a refused one is
 * answered at once; a reply for a connection that has gone is dropped. */
static void test_report_waits(int stop_at_once)
{
    setup(4, 65536, 4096);
    f.stop_at_once = stop_at_once;
    memset(&rep, 0, sizeof(rep));
    t.report = f_report;
    conn_t *c = connect_from("127.0.0.1");
    conn_t *other = connect_from("127.0.0.2");
    peer_sends(c, "REPORT 1 id=r1 store=S lane=L cashier=C kind=name\nPING\nVERSION\n");
    CHECK_INT(rep.calls, 1);
    CHECK_INT(c->waiting, 1);
    CHECK_INT(f.sends, 0);
    CHECK(!c->reading || c->read_stopping, "not read while waiting");
    /* Other connections go on. */
    peer_sends(other, "PING\n");
    CHECK_INT(f.sends, 1);
    CHECK_STR(f.sent, "PONG\n");
    send_completes(other);
    /* The reply: then PING and VERSION, in order, in one send. */
    tcp_report_done(&t, rep.slot, rep.gen, "{\"report\":\"r1\"}\n", 16);
    CHECK_INT(c->waiting, 0);
    CHECK_INT(f.sends, 2);
    CHECK(strncmp(f.sent, "{\"report\":\"r1\"}\nPONG\npricelane ", 30) == 0, "in order: %s",
          f.sent);
    send_completes(c);
    if (!stop_at_once && c->read_stopping) {
        tcp_recv_ended(c);
        tcp_kick(&t, c);
    }
    CHECK(c->reading, "read again after the reply");
    /* A refused report is answered at once, and the next request too. */
    rep.refuse = 1;
    peer_sends(c, "REPORT 1 id=r2 store=S9 lane=L cashier=C kind=name\nPING\n");
    CHECK_INT(c->waiting, 0);
    CHECK_STR(f.sent, "{\"status\":\"error\",\"error\":\"unknown store 'S9'\"}\nPONG\n");
    CHECK_INT(stat(PL_ST_REQ_TCP_BAD_REQUEST), 1);
    send_completes(c);
    /* The connection goes while its report is with the writer: the reply
     * finds another generation and is dropped. */
    rep.refuse = 0;
    if (!stop_at_once && c->read_stopping) {
        tcp_recv_ended(c);
        tcp_kick(&t, c);
    }
    peer_sends(c, "REPORT 1 id=r3 store=S lane=L cashier=C kind=name\n");
    CHECK_INT(c->waiting, 1);
    tcp_fail(&t, c, -ECONNRESET);
    tcp_released(&t, c);
    int sends = f.sends;
    tcp_report_done(&t, rep.slot, rep.gen, "{}\n", 3);
    CHECK_INT(f.sends, sends);
    t.report = NULL;
}

int main(void)
{
    test_admission();
    printf("admission\n");
    test_partial_and_pipelined();
    printf("partial lines, pipelining, short sends\n");
    test_backpressure(1);
    test_backpressure(0);
    printf("back-pressure, both engines\n");
    test_quit_and_linger();
    printf("QUIT, lingering close, peer EOF\n");
    test_bad_input();
    printf("framing errors, oversized requests, I/O errors\n");
    test_idle_and_drain(1);
    test_idle_and_drain(0);
    printf("idle timeout, drain, both engines\n");
    test_cit_framing();
    printf("price checker lines: CR LF, split reads, one screen each, a line too long\n");
    test_report_waits(1);
    test_report_waits(0);
    printf("a REPORT waits for its reply, both engines\n");
    conn_table_free(&t.conns);
    return pl_test_done("test_tcp");
}
