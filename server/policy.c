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
    p->cit_reply_port = c->cit_reply_port;
    p->lookup_flags = strcmp(c->best_before, "block") == 0 ? PL_LOOKUP_BEST_BEFORE : 0;
    p->cit_any_prefix = strcmp(c->cit_prefixes, "any") == 0;
    snprintf(p->cit_prefixes, sizeof(p->cit_prefixes), "%s",
             strcmp(c->cit_prefixes, "none") == 0 || p->cit_any_prefix ? "" : c->cit_prefixes);
    char err[256];
    /* pl_config_check compiled it already: the default only on a bug. */
    if (pl_cit_layout_compile(&p->cit_layout, c->cit_layout, err, sizeof(err)) != 0)
        pl_cit_layout_compile(&p->cit_layout, NULL, err, sizeof(err));
    p->cit_stores = c->cit_store_map;
    p->cit_gb18030 = c->cit_gb18030_list;
}

void policy_cit_device(const policy_t *p, const struct sockaddr *sa, cit_device_t *d)
{
    const char *st = pl_storemap_find(&p->cit_stores, sa);
    snprintf(d->store, sizeof(d->store), "%s", st ? st : p->store);
    d->gb18030 = pl_allow_match(&p->cit_gb18030, sa);
}
