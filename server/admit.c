#include <string.h>

#include "admit.h"

/* Nothing in progress: no partial request, no reply owed or being sent. */
static int idle(const conn_t *c)
{
    return c->state == CONN_OPEN && !c->sending && !c->lingering && !c->close_after &&
           c->in_len == 0 && c->out.len == c->out_off && c->pend.len == 0;
}

admit_t admit_tcp(const conn_table_t *t, uint32_t limit, const pl_allow_t *allow,
                  uint32_t per_source, const struct sockaddr *sa, const uint8_t key[16],
                  int64_t now_ms, conn_t **evict)
{
    *evict = NULL;
    if (!pl_allow_match(allow, sa))
        return ADMIT_DENIED;
    uint32_t same = 0, open = 0;
    conn_t *oldest = NULL;
    for (uint32_t i = 0; i < t->cap; i++) {
        conn_t *c = &t->c[i];
        if (c->state == CONN_FREE)
            continue;
        open++; /* CLOSING slots still hold their slot */
        if (c->state == CONN_OPEN && memcmp(c->src, key, 16) == 0)
            same++;
        if (idle(c) && now_ms - c->last_ms >= ADMIT_EVICT_IDLE_MS &&
            (!oldest || c->last_ms < oldest->last_ms))
            oldest = c;
    }
    if (per_source && same >= per_source)
        return ADMIT_SOURCE_CAP;
    if (open < limit)
        return ADMIT_OK;
    if (!oldest)
        return ADMIT_CAP;
    *evict = oldest;
    return ADMIT_OK;
}
