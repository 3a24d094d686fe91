/* The settings a worker applies without a restart (SIGHUP), in the form the
 * workers read them. The control thread builds one from the configuration
 * and publishes it (worker.h: crew_t); each worker copies it at the start of
 * a batch when it changed. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/config.h"
#include "pricelane/netaddr.h"

typedef struct policy {
    pl_allow_t allow;
    int udp_rate, udp_burst;
    int64_t idle_timeout_ms;
    int64_t drain_timeout_ms;
    size_t max_output;
    uint32_t per_source; /* max_connections_per_source, whole server (0: none) */
    char store[PL_CFG_STORE_MAX];
} policy_t;

/* Fills a policy from a configuration. */
void policy_from_config(policy_t *p, const pl_config_t *c);
