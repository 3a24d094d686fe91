/* TCP admission (server/admit.c) without sockets: the allowlist, the
 * per-source cap, the table limit, and eviction of the connection idle
 * longest (never one with a request or a reply in progress, never one idle
 * for less than ADMIT_EVICT_IDLE_MS). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "admit.h"
#include "check.h"

#define CAP 8
#define LIMIT (CAP - 2)

static conn_t conns[CAP];
static conn_table_t t = {conns, CAP, 0, NULL, 0};

static struct sockaddr_in addr(const char *ip)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static conn_t *open_conn(const char *ip, int64_t last_ms)
{
    for (int i = 0; i < CAP; i++)
        if (conns[i].state == CONN_FREE) {
            struct sockaddr_in a = addr(ip);
            memset(&conns[i], 0, sizeof(conns[i]));
            conns[i].state = CONN_OPEN;
            conns[i].last_ms = last_ms;
            pl_addr_key((struct sockaddr *)&a, conns[i].src);
            return &conns[i];
        }
    return NULL;
}

static admit_t ask(const char *ip, uint32_t per_source, int64_t now, conn_t **evict)
{
    struct sockaddr_in a = addr(ip);
    uint8_t key[16];
    CHECK_INT(pl_addr_key((struct sockaddr *)&a, key), 0);
    pl_allow_t allow;
    char err[128];
    CHECK_INT(pl_allow_parse("127.0.0.0/8", &allow, err, sizeof(err)), 0);
    return admit_tcp(&t, LIMIT, &allow, per_source, (struct sockaddr *)&a, key, now, evict);
}

int main(void)
{
    conn_t *ev;
    CHECK_INT(ask("10.0.0.1", 0, 0, &ev), ADMIT_DENIED);
    CHECK_INT(ask("127.0.0.1", 0, 0, &ev), ADMIT_OK);
    CHECK(ev == NULL, "nothing to evict in an empty table");
    printf("allowlist first\n");

    for (int i = 0; i < 3; i++)
        open_conn("127.0.0.1", 0);
    CHECK_INT(ask("127.0.0.1", 3, 100, &ev), ADMIT_SOURCE_CAP);
    CHECK_INT(ask("127.0.0.1", 4, 100, &ev), ADMIT_OK);
    CHECK_INT(ask("127.0.0.2", 3, 100, &ev), ADMIT_OK);
    CHECK_INT(ask("127.0.0.1", 0, 100, &ev), ADMIT_OK); /* 0: no per-source cap */
    printf("per-source cap: counts one address only\n");

    /* Fill to the limit with busy connections: a partial request, a reply
     * being sent, a reply owed, closing after output. */
    conn_t *busy[3];
    for (int i = 0; i < 3; i++)
        busy[i] = open_conn("127.0.0.9", 0);
    busy[0]->in_len = 2;
    busy[1]->sending = 1;
    busy[2]->pend.len = 10;
    /* The three from 127.0.0.1 are idle since 0 ms but only 500 ms at 500. */
    CHECK_INT(ask("127.0.0.3", 0, 500, &ev), ADMIT_CAP);
    CHECK(ev == NULL, "no eviction of connections idle for less than %d ms", ADMIT_EVICT_IDLE_MS);
    conns[1].last_ms = -50; /* idle longest */
    CHECK_INT(ask("127.0.0.3", 0, 2000, &ev), ADMIT_OK);
    CHECK(ev == &conns[1], "evicts the connection idle longest (slot %ld)",
          ev ? (long)(ev - conns) : -1L);
    for (int i = 0; i < 3; i++) { /* only busy ones left to evict: refused */
        conns[i].in_len = 1;
    }
    CHECK_INT(ask("127.0.0.3", 0, 5000, &ev), ADMIT_CAP);
    CHECK(ev == NULL, "busy connections are never evicted");
    conns[0].state = CONN_CLOSING; /* a closing slot still counts against the limit */
    CHECK_INT(ask("127.0.0.3", 0, 5000, &ev), ADMIT_CAP);
    printf("limit: the connection idle longest is evicted; busy ones never\n");
    return pl_test_done("test_admit");
}
