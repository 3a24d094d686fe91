#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "pricelane/stats.h"

const uint64_t pl_lat_bounds_ns[PL_LAT_BUCKETS - 1] = {
    1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 10000000,
};

static const struct {
    pl_stat_kind_t kind;
    const char *name, *labels, *help, *id;
} table[PL_ST__COUNT] = {
#define PL_STAT_ROW(id_, kind_, name_, labels_, help_)                                             \
    [PL_ST_##id_] = {PL_STAT_##kind_, name_, labels_, help_, #id_},
    PL_STATS(PL_STAT_ROW)
#undef PL_STAT_ROW
};

/* Lower-case keys, built once from the ids: the table stays the only place
 * names are written. */
static char keys[PL_ST__COUNT][40];
static int keys_ready;

void pl_stat_latency(pl_stats_t *s, uint64_t ns)
{
    int b = 0;
    while (b < PL_LAT_BUCKETS - 1 && ns > pl_lat_bounds_ns[b])
        b++;
    __atomic_store_n(&s->lat[b], __atomic_load_n(&s->lat[b], __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&s->lat_sum_ns, __atomic_load_n(&s->lat_sum_ns, __ATOMIC_RELAXED) + ns,
                     __ATOMIC_RELAXED);
    __atomic_store_n(&s->lat_count, __atomic_load_n(&s->lat_count, __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
}

void pl_stats_accumulate(pl_stats_t *sum, const pl_stats_t *w)
{
    for (int i = 0; i < PL_ST__COUNT; i++) {
        uint64_t v = __atomic_load_n(&w->v[i], __ATOMIC_RELAXED);
        if (table[i].kind == PL_STAT_MAX)
            sum->v[i] = v > sum->v[i] ? v : sum->v[i];
        else
            sum->v[i] += v;
    }
    for (int b = 0; b < PL_LAT_BUCKETS; b++)
        sum->lat[b] += __atomic_load_n(&w->lat[b], __ATOMIC_RELAXED);
    sum->lat_sum_ns += __atomic_load_n(&w->lat_sum_ns, __ATOMIC_RELAXED);
    sum->lat_count += __atomic_load_n(&w->lat_count, __ATOMIC_RELAXED);
}

const char *pl_stat_name(pl_stat_id_t id)
{
    return table[id].name;
}

const char *pl_stat_labels(pl_stat_id_t id)
{
    return table[id].labels;
}

const char *pl_stat_help(pl_stat_id_t id)
{
    return table[id].help;
}

pl_stat_kind_t pl_stat_kind(pl_stat_id_t id)
{
    return table[id].kind;
}

const char *pl_stat_key(pl_stat_id_t id)
{
    /* Benign if two threads build it at once: both write the same bytes. */
    if (!__atomic_load_n(&keys_ready, __ATOMIC_ACQUIRE)) {
        for (int i = 0; i < PL_ST__COUNT; i++) {
            size_t j;
            for (j = 0; table[i].id[j] && j + 1 < sizeof(keys[i]); j++)
                keys[i][j] = (char)tolower((unsigned char)table[i].id[j]);
            keys[i][j] = 0;
        }
        __atomic_store_n(&keys_ready, 1, __ATOMIC_RELEASE);
    }
    return keys[id];
}

int pl_stats_prometheus(const pl_stats_t *s, FILE *f)
{
    const char *prev = "";
    for (int i = 0; i < PL_ST__COUNT; i++) {
        if (strcmp(prev, table[i].name) != 0) {
            fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", table[i].name, table[i].help,
                    table[i].name, table[i].kind == PL_STAT_COUNTER ? "counter" : "gauge");
            prev = table[i].name;
        }
        if (table[i].labels[0])
            fprintf(f, "%s{%s} %llu\n", table[i].name, table[i].labels,
                    (unsigned long long)s->v[i]);
        else
            fprintf(f, "%s %llu\n", table[i].name, (unsigned long long)s->v[i]);
    }
    fprintf(f,
            "# HELP " PL_LAT_NAME " Time from a parsed request to its reply bytes.\n"
            "# TYPE " PL_LAT_NAME " histogram\n");
    uint64_t cum = 0;
    for (int b = 0; b < PL_LAT_BUCKETS; b++) {
        cum += s->lat[b];
        if (b < PL_LAT_BUCKETS - 1)
            fprintf(f, PL_LAT_NAME "_bucket{le=\"%g\"} %llu\n", (double)pl_lat_bounds_ns[b] / 1e9,
                    (unsigned long long)cum);
        else
            fprintf(f, PL_LAT_NAME "_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    fprintf(f, PL_LAT_NAME "_sum %.9f\n" PL_LAT_NAME "_count %llu\n", (double)s->lat_sum_ns / 1e9,
            (unsigned long long)s->lat_count);
    return ferror(f) ? -EIO : 0;
}
