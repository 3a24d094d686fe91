/* Bodies of the admin endpoints, from the summed worker stats. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "pricelane/err.h"
#include "pricelane/timefmt.h"

static char *render_metrics(server_t *srv, size_t *len)
{
    pl_stats_t sum;
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    server_collect(srv, &sum);
    pl_stats_prometheus(&sum, f);
    fprintf(f,
            "# HELP pricelane_build_info Version and I/O engine of this server.\n"
            "# TYPE pricelane_build_info gauge\n"
            "pricelane_build_info{version=\"%s\",engine=\"%s\"} 1\n"
            "# HELP pricelane_uptime_seconds Seconds since the server started.\n"
            "# TYPE pricelane_uptime_seconds gauge\n"
            "pricelane_uptime_seconds %lld\n",
            PL_VERSION, srv->crew.engine->name, (long long)(pl_time_now() - srv->started_at));
    fclose(f);
    return buf;
}

/* Healthy: not draining, every worker running, the catalogue readable. */
static char *render_health(server_t *srv, int *code, size_t *len)
{
    char text[256];
    pl_stats_t sum;
    server_collect(srv, &sum);
    pl_txn_t *txn = NULL;
    pl_meta_t m;
    int rc = pl_txn_begin(srv->cat, 0, &txn);
    if (!rc) {
        rc = pl_meta_get(txn, &m);
        pl_txn_abort(txn);
    }
    if (__atomic_load_n(&srv->crew.stopping, __ATOMIC_ACQUIRE)) {
        *code = 503;
        snprintf(text, sizeof(text), "draining\n");
    } else if (sum.v[PL_ST_WORKERS] < (uint64_t)srv->nworkers) {
        *code = 503;
        snprintf(text, sizeof(text), "workers down: %llu of %d running\n",
                 (unsigned long long)sum.v[PL_ST_WORKERS], srv->nworkers);
    } else if (rc) {
        *code = 503;
        snprintf(text, sizeof(text), "catalogue unreadable: %s\n", pl_strerror(rc));
    } else {
        *code = 200;
        snprintf(text, sizeof(text), "ok generation=%llu\n", (unsigned long long)m.gen);
    }
    *len = strlen(text);
    return strdup(text);
}

static json_t *stats_object(const pl_stats_t *s)
{
    json_t *o = json_object();
    for (int i = 0; i < PL_ST__COUNT; i++)
        json_object_set_new(o, pl_stat_key((pl_stat_id_t)i), json_integer((json_int_t)s->v[i]));
    return o;
}

static char *render_stats(server_t *srv, size_t *len)
{
    pl_stats_t sum;
    char a[PL_ADDR_STR_MAX];
    server_collect(srv, &sum);
    json_t *root = json_object();
    json_object_set_new(root, "version", json_string(PL_VERSION));
    json_object_set_new(root, "engine", json_string(srv->crew.engine->name));
    json_object_set_new(root, "threads", json_integer(srv->nworkers));
    json_object_set_new(root, "uptime_s", json_integer(pl_time_now() - srv->started_at));
    json_object_set_new(root, "draining",
                        json_boolean(__atomic_load_n(&srv->crew.stopping, __ATOMIC_ACQUIRE)));
    json_object_set_new(root, "listen",
                        json_string(pl_addr_format((struct sockaddr *)&srv->bound.ss, a, sizeof(a))));
    json_object_set_new(root, "generation", json_integer((json_int_t)sum.v[PL_ST_GENERATION]));
    json_object_set_new(root, "cache", json_boolean(srv->cache != NULL));
    json_object_set_new(root, "totals", stats_object(&sum));

    json_t *lat = json_object(), *buckets = json_array();
    for (int b = 0; b < PL_LAT_BUCKETS; b++) {
        json_t *e = json_object();
        if (b < PL_LAT_BUCKETS - 1)
            json_object_set_new(e, "le_ns", json_integer((json_int_t)pl_lat_bounds_ns[b]));
        else
            json_object_set_new(e, "le_ns", json_null());
        json_object_set_new(e, "count", json_integer((json_int_t)sum.lat[b]));
        json_array_append_new(buckets, e);
    }
    json_object_set_new(lat, "count", json_integer((json_int_t)sum.lat_count));
    json_object_set_new(lat, "sum_ns", json_integer((json_int_t)sum.lat_sum_ns));
    json_object_set_new(lat, "buckets", buckets);
    json_object_set_new(root, "latency", lat);

    json_t *workers = json_array();
    for (int i = 0; i < srv->nworkers; i++) {
        pl_stats_t one;
        memset(&one, 0, sizeof(one));
        pl_stats_accumulate(&one, &srv->workers[i].stats);
        json_t *w = stats_object(&one);
        json_object_set_new(w, "id", json_integer(i));
        json_array_append_new(workers, w);
    }
    json_object_set_new(root, "workers", workers);

    char *out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!out)
        return NULL;
    size_t l = strlen(out);
    /* A newline, so `curl` output ends cleanly; malloc'd like the others. */
    char *s = malloc(l + 2);
    if (s) {
        memcpy(s, out, l);
        s[l] = '\n';
        s[l + 1] = 0;
        *len = l + 1;
    }
    free(out);
    return s;
}

char *admin_render(server_t *srv, const char *path, int *code, const char **type, size_t *len)
{
    *code = 200;
    if (strcmp(path, "/metrics") == 0) {
        *type = "text/plain; version=0.0.4; charset=utf-8";
        return render_metrics(srv, len);
    }
    if (strcmp(path, "/healthz") == 0) {
        *type = "text/plain; charset=utf-8";
        return render_health(srv, code, len);
    }
    if (strcmp(path, "/stats") == 0) {
        *type = "application/json";
        return render_stats(srv, len);
    }
    *code = 404;
    return NULL;
}
