#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "skuset.h"

static int grow(skuset_t *s)
{
    size_t n = s->nslots ? s->nslots * 2 : 1024;
    struct skuslot *slots = calloc(n, sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    for (size_t i = 0; i < s->nslots; i++) {
        if (!s->slots[i].off)
            continue;
        size_t j = s->slots[i].hash & (n - 1);
        while (slots[j].off)
            j = (j + 1) & (n - 1);
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = n;
    return 0;
}

long skuset_add(skuset_t *s, const char *sku, uint32_t line)
{
    size_t len = strlen(sku);
    if ((s->used + 1) * 4 > s->nslots * 3 && grow(s))
        return -ENOMEM;
    uint64_t h = XXH3_64bits(sku, len);
    size_t j = h & (s->nslots - 1);
    for (; s->slots[j].off; j = (j + 1) & (s->nslots - 1))
        if (s->slots[j].hash == h && strcmp(s->arena + s->slots[j].off - 1, sku) == 0)
            return s->slots[j].line ? s->slots[j].line : 1;
    if (s->alen + len + 1 > s->acap) {
        size_t cap = s->acap ? s->acap * 2 : 65536;
        while (cap < s->alen + len + 1)
            cap *= 2;
        char *a = realloc(s->arena, cap);
        if (!a)
            return -ENOMEM;
        s->arena = a;
        s->acap = cap;
    }
    memcpy(s->arena + s->alen, sku, len + 1);
    s->slots[j] = (struct skuslot){h, (uint32_t)s->alen + 1, line};
    s->alen += len + 1;
    s->used++;
    return 0;
}

void skuset_free(skuset_t *s)
{
    free(s->slots);
    free(s->arena);
    memset(s, 0, sizeof(*s));
}
