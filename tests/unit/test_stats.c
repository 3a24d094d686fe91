/* The stats table is an interface: this is the shipped set of series
 * (name + labels), in table order. A rename or removal fails here; adding a
 * series means adding it below. Also checks the Prometheus rendering, the
 * cumulative histogram, summing over workers and the JSON keys. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pricelane/stats.h"

static const char *const shipped[] = {
    "pricelane_requests_total{proto=\"udp\",status=\"ok\"}",
    "pricelane_requests_total{proto=\"udp\",status=\"not_found\"}",
    "pricelane_requests_total{proto=\"udp\",status=\"no_price\"}",
    "pricelane_requests_total{proto=\"udp\",status=\"bad_code\"}",
    "pricelane_requests_total{proto=\"udp\",status=\"error\"}",
    "pricelane_requests_total{proto=\"udp\",status=\"bad_request\"}",
    "pricelane_requests_total{proto=\"udp\",status=\"other\"}",
    "pricelane_requests_total{proto=\"tcp\",status=\"ok\"}",
    "pricelane_requests_total{proto=\"tcp\",status=\"not_found\"}",
    "pricelane_requests_total{proto=\"tcp\",status=\"no_price\"}",
    "pricelane_requests_total{proto=\"tcp\",status=\"bad_code\"}",
    "pricelane_requests_total{proto=\"tcp\",status=\"error\"}",
    "pricelane_requests_total{proto=\"tcp\",status=\"bad_request\"}",
    "pricelane_requests_total{proto=\"tcp\",status=\"other\"}",
    "pricelane_requests_total{proto=\"resp\",status=\"ok\"}",
    "pricelane_requests_total{proto=\"resp\",status=\"not_found\"}",
    "pricelane_requests_total{proto=\"resp\",status=\"no_price\"}",
    "pricelane_requests_total{proto=\"resp\",status=\"bad_code\"}",
    "pricelane_requests_total{proto=\"resp\",status=\"error\"}",
    "pricelane_requests_total{proto=\"resp\",status=\"bad_request\"}",
    "pricelane_requests_total{proto=\"resp\",status=\"other\"}",
    "pricelane_requests_total{proto=\"cit_udp\",status=\"ok\"}",
    "pricelane_requests_total{proto=\"cit_udp\",status=\"not_found\"}",
    "pricelane_requests_total{proto=\"cit_udp\",status=\"no_price\"}",
    "pricelane_requests_total{proto=\"cit_udp\",status=\"bad_code\"}",
    "pricelane_requests_total{proto=\"cit_udp\",status=\"error\"}",
    "pricelane_requests_total{proto=\"cit_udp\",status=\"bad_request\"}",
    "pricelane_requests_total{proto=\"cit_udp\",status=\"other\"}",
    "pricelane_requests_total{proto=\"cit_tcp\",status=\"ok\"}",
    "pricelane_requests_total{proto=\"cit_tcp\",status=\"not_found\"}",
    "pricelane_requests_total{proto=\"cit_tcp\",status=\"no_price\"}",
    "pricelane_requests_total{proto=\"cit_tcp\",status=\"bad_code\"}",
    "pricelane_requests_total{proto=\"cit_tcp\",status=\"error\"}",
    "pricelane_requests_total{proto=\"cit_tcp\",status=\"bad_request\"}",
    "pricelane_requests_total{proto=\"cit_tcp\",status=\"other\"}",
    "pricelane_udp_dropped_total{reason=\"truncated\"}",
    "pricelane_udp_dropped_total{reason=\"rate_limited\"}",
    "pricelane_udp_dropped_total{reason=\"denied\"}",
    "pricelane_udp_dropped_total{reason=\"no_reply_buffer\"}",
    "pricelane_udp_dropped_total{reason=\"send_error\"}",
    "pricelane_udp_rearm_total",
    "pricelane_tcp_accepted_total",
    "pricelane_tcp_rejected_total{reason=\"connection_cap\"}",
    "pricelane_tcp_rejected_total{reason=\"denied\"}",
    "pricelane_tcp_rejected_total{reason=\"source_cap\"}",
    "pricelane_tcp_closed_total{reason=\"client\"}",
    "pricelane_tcp_closed_total{reason=\"idle\"}",
    "pricelane_tcp_closed_total{reason=\"error\"}",
    "pricelane_tcp_closed_total{reason=\"protocol\"}",
    "pricelane_tcp_closed_total{reason=\"quit\"}",
    "pricelane_tcp_closed_total{reason=\"evicted\"}",
    "pricelane_tcp_closed_total{reason=\"shutdown\"}",
    "pricelane_tcp_connections",
    "pricelane_tcp_backpressure_total",
    "pricelane_received_bytes_total{proto=\"udp\"}",
    "pricelane_received_bytes_total{proto=\"tcp\"}",
    "pricelane_sent_bytes_total{proto=\"udp\"}",
    "pricelane_sent_bytes_total{proto=\"tcp\"}",
    "pricelane_snapshots_total",
    "pricelane_snapshot_errors_total",
    "pricelane_generation",
    "pricelane_event_batches_total",
    "pricelane_uring_sq_full_total",
    "pricelane_cache_hits_total",
    "pricelane_cache_misses_total",
    "pricelane_cache_inserts_total",
    "pricelane_cache_evictions_total",
    "pricelane_workers",
    "pricelane_cache_too_big_total",
    "pricelane_cache_races_total",
    "pricelane_cache_reinits_total",
    "pricelane_cache_mapped_ahead_bytes",
    "pricelane_catalog_mapped_ahead_bytes",
    "pricelane_memo_hits_total",
    "pricelane_memo_misses_total",
    "pricelane_changes_followed_total",
    "pricelane_cache_flushes_total",
    "pricelane_catalog_page_bytes",
    "pricelane_catalog_map_bytes",
    "pricelane_catalog_file_bytes",
    "pricelane_catalog_pages{state=\"used\"}",
    "pricelane_catalog_pages{state=\"free\"}",
    "pricelane_catalog_free_run_pages",
    "pricelane_catalog_room_bytes",
    "pricelane_catalog_used_percent",
    "pricelane_catalog_readers{state=\"used\"}",
    "pricelane_catalog_readers{state=\"max\"}",
    "pricelane_last_batch_age_seconds",
    "pricelane_follow_applied_sequence",
    "pricelane_follow_stream_head",
    "pricelane_follow_stopped_sequence",
    "pricelane_blocked_total",
    "pricelane_reports_total{kind=\"price\"}",
    "pricelane_reports_total{kind=\"no_scan\"}",
    "pricelane_reports_total{kind=\"name\"}",
    "pricelane_reports_total{kind=\"other\"}",
    "pricelane_report_causes_total{cause=\"unknown\"}",
    "pricelane_report_causes_total{cause=\"system_price\"}",
    "pricelane_report_causes_total{cause=\"promo_sign\"}",
    "pricelane_report_causes_total{cause=\"label_not_printed\"}",
    "pricelane_report_causes_total{cause=\"label_not_placed\"}",
    "pricelane_report_causes_total{cause=\"no_scan\"}",
    "pricelane_report_causes_total{cause=\"item_data\"}",
    "pricelane_report_retries_total",
    "pricelane_report_refused_total{reason=\"conflict\"}",
    "pricelane_report_refused_total{reason=\"queue_full\"}",
    "pricelane_report_refused_total{reason=\"store_error\"}",
    "pricelane_report_queue",
    "pricelane_report_commits_total",
    "pricelane_report_committed_total",
    "pricelane_report_group_max",
    "pricelane_report_syncs_total",
    "pricelane_keyed_lookups_total",
    "pricelane_keyed_dropped_total",
    "pricelane_cache_answer_hits_total",
    "pricelane_cache_answer_misses_total",
    "pricelane_cache_answer_inserts_total",
};

static char *render(const pl_stats_t *s, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    pl_stats_prometheus(s, f);
    fclose(f);
    return buf;
}

static void test_names(void)
{
    size_t n = sizeof(shipped) / sizeof(shipped[0]);
    CHECK_INT(PL_ST__COUNT, n);
    for (size_t i = 0; i < n && i < PL_ST__COUNT; i++) {
        char got[160];
        const char *l = pl_stat_labels((pl_stat_id_t)i);
        if (l[0])
            snprintf(got, sizeof(got), "%s{%s}", pl_stat_name((pl_stat_id_t)i), l);
        else
            snprintf(got, sizeof(got), "%s", pl_stat_name((pl_stat_id_t)i));
        CHECK_STR(got, shipped[i]);
    }
    /* The request rows are indexed by (protocol, outcome). */
    CHECK_INT(PL_STAT_REQ(PL_SP_TCP, PL_SS_NOT_FOUND), PL_ST_REQ_TCP_NOT_FOUND);
    CHECK_INT(PL_STAT_REQ(PL_SP_RESP, PL_SS_OTHER), PL_ST_REQ_RESP_OTHER);
    CHECK_INT(PL_STAT_REQ(PL_SP_UDP, PL_SS_BAD_REQUEST), PL_ST_REQ_UDP_BAD_REQUEST);
    CHECK_STR(pl_stat_key(PL_ST_REQ_UDP_OK), "req_udp_ok");
    CHECK_STR(pl_stat_key(PL_ST_TCP_CONNECTIONS), "tcp_connections");
    printf("checked %zu shipped series names\n", n);
}

static void test_render(void)
{
    pl_stats_t w1, w2, sum;
    memset(&w1, 0, sizeof(w1));
    memset(&w2, 0, sizeof(w2));
    memset(&sum, 0, sizeof(sum));
    pl_stat_add(&w1, PL_ST_REQ_UDP_OK, 3);
    pl_stat_add(&w2, PL_ST_REQ_UDP_OK, 4);
    pl_stat_set(&w1, PL_ST_GENERATION, 9);
    pl_stat_set(&w2, PL_ST_GENERATION, 7);
    pl_stat_set(&w1, PL_ST_TCP_CONNECTIONS, 2);
    pl_stat_set(&w2, PL_ST_TCP_CONNECTIONS, 5);
    pl_stat_latency(&w1, 800);     /* le 1 us */
    pl_stat_latency(&w1, 3000);    /* le 5 us */
    pl_stat_latency(&w2, 1000000); /* le 1 ms */
    pl_stat_latency(&w2, 99000000); /* +Inf */
    pl_stats_accumulate(&sum, &w1);
    pl_stats_accumulate(&sum, &w2);
    CHECK_INT(sum.v[PL_ST_REQ_UDP_OK], 7);
    CHECK_INT(sum.v[PL_ST_GENERATION], 9); /* highest, not summed */
    CHECK_INT(sum.v[PL_ST_TCP_CONNECTIONS], 7);
    CHECK_INT(sum.lat_count, 4);

    size_t len;
    char *t = render(&sum, &len);
    CHECK(strstr(t, "pricelane_requests_total{proto=\"udp\",status=\"ok\"} 7\n") != NULL, "%s", t);
    CHECK(strstr(t, "# TYPE pricelane_requests_total counter\n") != NULL, "TYPE line");
    CHECK(strstr(t, "# TYPE pricelane_tcp_connections gauge\n") != NULL, "gauge TYPE");
    CHECK(strstr(t, "pricelane_generation 9\n") != NULL, "generation");
    CHECK(strstr(t, PL_LAT_NAME "_bucket{le=\"1e-06\"} 1\n") != NULL, "bucket 1us");
    CHECK(strstr(t, PL_LAT_NAME "_bucket{le=\"5e-06\"} 2\n") != NULL, "bucket 5us cumulative");
    CHECK(strstr(t, PL_LAT_NAME "_bucket{le=\"0.001\"} 3\n") != NULL, "bucket 1ms cumulative");
    CHECK(strstr(t, PL_LAT_NAME "_bucket{le=\"+Inf\"} 4\n") != NULL, "+Inf");
    CHECK(strstr(t, PL_LAT_NAME "_count 4\n") != NULL, "count");
    /* One HELP/TYPE per family: the 21 request rows share one header. */
    int helps = 0;
    for (const char *p = t; (p = strstr(p, "# HELP pricelane_requests_total ")); p++)
        helps++;
    CHECK_INT(helps, 1);
    /* Every non-comment line is "name[{labels}] value". */
    int bad = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
        if (line[0] != '#' && !strchr(line, ' '))
            bad++;
    CHECK_INT(bad, 0);
    free(t);
}

int main(void)
{
    test_names();
    test_render();
    return pl_test_done("test_stats");
}
