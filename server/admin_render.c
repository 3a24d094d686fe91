/* Bodies of the admin endpoints, from the summed worker stats. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "pricelane/catalog_admin.h"
#include "pricelane/err.h"
#include "pricelane/timefmt.h"

/* The catalogue's capacity and its last batch, read on the control thread
 * (one read transaction, the free list walked once) into the summed stats:
 * 0 or the error, the series then left at 0. */
static int capacity(server_t *srv, pl_stats_t *sum, pl_meta_t *m, pl_cat_capacity_t *c)
{
    pl_txn_t *txn = NULL;
    pl_batch_rec_t b;
    int rc = pl_txn_begin(srv->cat, 0, &txn);
    if (!rc)
        rc = pl_meta_get(txn, m);
    if (!rc)
        rc = pl_cat_capacity(txn, c);
    if (!rc && m->last_batch[0] && pl_batch_get(txn, m->last_batch, &b) == 0) {
        int64_t age = pl_time_now() - b.applied_at;
        sum->v[PL_ST_LAST_BATCH_AGE] = age > 0 ? (uint64_t)age : 0;
    }
    pl_txn_abort(txn);
    if (rc)
        return rc;
    sum->v[PL_ST_CAT_PAGE_BYTES] = c->page_size;
    sum->v[PL_ST_CAT_MAP_BYTES] = c->map_bytes;
    sum->v[PL_ST_CAT_FILE_BYTES] = c->file_bytes;
    sum->v[PL_ST_CAT_PAGES_USED] = c->pages - c->free_pages;
    sum->v[PL_ST_CAT_PAGES_FREE] = c->free_pages;
    sum->v[PL_ST_CAT_FREE_RUN] = c->free_run_pages;
    sum->v[PL_ST_CAT_ROOM_BYTES] = c->room_bytes;
    sum->v[PL_ST_CAT_USED_PCT] = pl_cat_capacity_used_pct(c);
    sum->v[PL_ST_CAT_READERS_USED] = c->readers;
    sum->v[PL_ST_CAT_READERS_MAX] = c->max_readers;
    return 0;
}

/* A label value in the text format: backslash, quote and line feed escaped. */
static void label_value(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f), fputc(*s, f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* The store follower's position in the catalogue: 1 when there is one, 0
 * when no follower ever wrote one (or it cannot be read: /healthz reports
 * an unreadable catalogue on its own). */
static int read_follow(server_t *srv, pl_follow_t *f)
{
    pl_txn_t *txn = NULL;
    int rc = pl_txn_begin(srv->cat, 0, &txn);
    if (!rc) {
        rc = pl_follow_get(txn, f);
        pl_txn_abort(txn);
    }
    return rc == 0;
}

/* The workers' sums, and the follower's gauges, which the workers never
 * write: they come from the catalogue. *fw and *have_fw say what was read. */
static void collect(server_t *srv, pl_stats_t *sum, pl_follow_t *fw, int *have_fw)
{
    server_collect(srv, sum);
    *have_fw = read_follow(srv, fw);
    if (*have_fw) {
        sum->v[PL_ST_FOLLOW_APPLIED] = fw->seq;
        sum->v[PL_ST_FOLLOW_HEAD] = fw->head;
        sum->v[PL_ST_FOLLOW_STOPPED] = fw->stopped;
    }
}

static char *render_metrics(server_t *srv, size_t *len)
{
    pl_stats_t sum;
    pl_meta_t m;
    pl_cat_capacity_t c;
    pl_follow_t fw;
    int have_fw;
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    collect(srv, &sum, &fw, &have_fw);
    int crc = capacity(srv, &sum, &m, &c);
    pl_stats_prometheus(&sum, f);
    if (!crc) {
        fprintf(f, "# HELP pricelane_last_batch_info The last batch the catalogue committed.\n"
                   "# TYPE pricelane_last_batch_info gauge\n"
                   "pricelane_last_batch_info{batch=\"");
        label_value(f, m.last_batch);
        fprintf(f, "\",generation=\"%llu\"} 1\n", (unsigned long long)m.gen);
    }
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

/* Healthy: not draining, every worker running, the catalogue readable.
 * Degraded (still 200: the lanes are answered, from the last batch the
 * store applied): the store's follower stopped at a batch it could not
 * apply. */
static char *render_health(server_t *srv, int *code, size_t *len)
{
    char text[PL_FOLLOW_ERROR_MAX + PL_FOLLOW_STREAM_MAX + 160];
    pl_follow_t fw;
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
    } else if (read_follow(srv, &fw) && fw.stopped) {
        *code = 200;
        snprintf(text, sizeof(text),
                 "degraded generation=%llu: the follower stopped at %s sequence %llu: %s\n",
                 (unsigned long long)m.gen, fw.stream, (unsigned long long)fw.stopped, fw.error);
    } else {
        pl_cat_capacity_t c;
        pl_stats_t cap = {0};
        pl_meta_t m2;
        *code = 200;
        if (capacity(srv, &cap, &m2, &c) == 0 &&
            c.room_bytes + c.free_pages * c.page_size < ((uint64_t)srv->cfg.capacity_warn_mb << 20))
            snprintf(text, sizeof(text),
                     "warning catalogue room %llu MiB, below capacity_warn_mb %d (%u%% used) "
                     "generation=%llu\n",
                     (unsigned long long)((c.room_bytes + c.free_pages * c.page_size) >> 20),
                     srv->cfg.capacity_warn_mb, pl_cat_capacity_used_pct(&c),
                     (unsigned long long)m.gen);
        else
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
    pl_meta_t m;
    pl_cat_capacity_t c;
    char a[PL_ADDR_STR_MAX];
    pl_follow_t fw;
    int have_fw;
    collect(srv, &sum, &fw, &have_fw);
    capacity(srv, &sum, &m, &c);
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
    if (have_fw) {
        json_t *fo = json_object();
        json_object_set_new(fo, "stream", json_string(fw.stream));
        json_object_set_new(fo, "applied", json_integer((json_int_t)fw.seq));
        json_object_set_new(fo, "head", json_integer((json_int_t)fw.head));
        json_object_set_new(fo, "stopped", json_integer((json_int_t)fw.stopped));
        json_object_set_new(fo, "error", json_string(fw.error));
        json_object_set_new(root, "follow", fo);
    }

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
