/* Who gets a TCP connection slot: the rule both engines follow, with no
 * I/O (unit-tested in tests/unit/test_admit.c).
 *
 * Order: the allowlist (denied), then the per-source cap (one address may
 * hold at most `per_source` connections of a worker's table), then the
 * table's limit. At the limit, the connection idle longest (no request
 * being answered, nothing left to send, no partial request, idle for at
 * least ADMIT_EVICT_IDLE_MS) is evicted to make room, so that a crowd of
 * idle connections never locks a new client out; only when no connection
 * is idle is the newcomer refused. The table keeps ADMIT_RESERVE slots
 * beyond the limit for the newcomer while its victim's close completes. */
#pragma once
#include <stdint.h>
#include <sys/socket.h>

#include "conn.h"
#include "pricelane/netaddr.h"

#define ADMIT_EVICT_IDLE_MS 1000
#define ADMIT_RESERVE 16

typedef enum admit {
    ADMIT_OK = 0,
    ADMIT_DENIED,     /* not in the allowlist */
    ADMIT_SOURCE_CAP, /* the address holds per_source connections already */
    ADMIT_CAP,        /* the table is full of connections in use */
} admit_t;

/* Decides for a connection from sa (key from pl_addr_key) at now_ms, in table
 * t whose limit of open connections is `limit` (t->cap - ADMIT_RESERVE).
 * The newcomer holds no slot yet. On
 * ADMIT_OK, *evict is the connection to close first to stay within the
 * limit, or NULL. per_source 0: no per-source cap. */
admit_t admit_tcp(const conn_table_t *t, uint32_t limit, const pl_allow_t *allow,
                  uint32_t per_source, const struct sockaddr *sa, const uint8_t key[16],
                  int64_t now_ms, conn_t **evict);
