/* A set of SKUs with the line that first named each: finds an item defined
 * twice in one import. Open addressing over XXH3 hashes; names are kept in an
 * arena so the comparison is exact. */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct skuset {
    struct skuslot {
        uint64_t hash;
        uint32_t off; /* into arena, +1 (0 = empty) */
        uint32_t line;
    } *slots;
    size_t nslots, used;
    char *arena;
    size_t alen, acap;
} skuset_t;

/* Adds sku first seen at `line`. Returns 0 when new, the earlier line (> 0)
 * when already present, or -ENOMEM. */
long skuset_add(skuset_t *s, const char *sku, uint32_t line);
void skuset_free(skuset_t *s);
