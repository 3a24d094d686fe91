/* The settings a worker applies without a restart (SIGHUP), in the form the
 * workers read them. The control thread builds one from the configuration
 * and publishes it (worker.h: crew_t); each worker copies it at the start of
 * a batch when it changed. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "pricelane/cit.h"
#include "pricelane/config.h"
#include "pricelane/netaddr.h"

/* What a price checker gets: its store's prices, in its text encoding. */
typedef struct cit_device {
    char store[PL_CFG_STORE_MAX];
    int gb18030; /* else UTF-8 */
} cit_device_t;

typedef struct policy {
    pl_allow_t allow;
    int udp_rate, udp_burst;
    int64_t idle_timeout_ms;
    int64_t drain_timeout_ms;
    size_t max_output;
    uint32_t per_source; /* max_connections_per_source, whole server (0: none) */
    char store[PL_CFG_STORE_MAX];
    unsigned lookup_flags; /* PL_LOOKUP_BEST_BEFORE when best_before = block */
    int cit_reply_port; /* 0: reply to the source port */
    pl_storemap_t cit_stores;
    pl_allow_t cit_gb18030;
    int cit_any_prefix;    /* any letters before a code of digits are a symbology prefix */
    char cit_prefixes[64]; /* else only these ("F,FF,A,E"; "" none) */
    pl_cit_layout_t cit_layout;
} policy_t;

/* Fills a policy from a configuration. */
void policy_from_config(policy_t *p, const pl_config_t *c);

/* The settings of the price checker at sa: the store its network maps to
 * (else the default store) and its encoding. */
void policy_cit_device(const policy_t *p, const struct sockaddr *sa, cit_device_t *d);
