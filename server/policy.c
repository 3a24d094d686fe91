#include <stdio.h>
#include <string.h>

#include "policy.h"

void policy_from_config(policy_t *p, const pl_config_t *c)
{
    memset(p, 0, sizeof(*p));
    p->allow = c->allow_list;
    p->udp_rate = c->udp_rate;
    p->udp_burst = c->udp_burst;
    p->idle_timeout_ms = (int64_t)c->idle_timeout * 1000;
    p->drain_timeout_ms = (int64_t)c->drain_timeout * 1000;
    p->max_output = (size_t)c->max_output_kb * 1024;
    p->per_source = (uint32_t)c->max_connections_per_source;
    snprintf(p->store, sizeof(p->store), "%s", c->store);
}
