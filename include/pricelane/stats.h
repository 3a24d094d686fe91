/* Server statistics: one table of counters and gauges (PL_STATS) and one
 * latency histogram.
 *
 * Each worker owns a pl_stats_t and is its only writer; the control thread
 * sums the workers' tables when /metrics or /stats is read. Updates are
 * relaxed atomic stores (no lock, no read-modify-write on the hot path: a
 * single writer needs none) so a concurrent reader sees whole values.
 *
 * Metric names and labels are an interface: dashboards and alerts depend on
 * them. Never rename or remove an entry; add new ones. tests/unit/test_stats.c
 * holds the shipped set.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum pl_stat_kind {
    PL_STAT_COUNTER = 0, /* summed over workers */
    PL_STAT_GAUGE = 1,   /* summed over workers */
    PL_STAT_MAX = 2,     /* gauge: highest over workers */
} pl_stat_kind_t;

#define PL_REQ_HELP "Requests handled, by protocol and outcome."
#define PL_REQ_ROW(X, P, p)                                                                        \
    X(REQ_##P##_OK, COUNTER, "pricelane_requests_total", "proto=\"" p "\",status=\"ok\"",          \
      PL_REQ_HELP)                                                                                 \
    X(REQ_##P##_NOT_FOUND, COUNTER, "pricelane_requests_total",                                    \
      "proto=\"" p "\",status=\"not_found\"", PL_REQ_HELP)                                         \
    X(REQ_##P##_NO_PRICE, COUNTER, "pricelane_requests_total",                                     \
      "proto=\"" p "\",status=\"no_price\"", PL_REQ_HELP)                                          \
    X(REQ_##P##_BAD_CODE, COUNTER, "pricelane_requests_total",                                     \
      "proto=\"" p "\",status=\"bad_code\"", PL_REQ_HELP)                                          \
    X(REQ_##P##_ERROR, COUNTER, "pricelane_requests_total", "proto=\"" p "\",status=\"error\"",    \
      PL_REQ_HELP)                                                                                 \
    X(REQ_##P##_BAD_REQUEST, COUNTER, "pricelane_requests_total",                                  \
      "proto=\"" p "\",status=\"bad_request\"", PL_REQ_HELP)                                       \
    X(REQ_##P##_OTHER, COUNTER, "pricelane_requests_total", "proto=\"" p "\",status=\"other\"",    \
      PL_REQ_HELP)

#define PL_REPORTS_HELP "Reports the lanes recorded (REPORT), by kind."
#define PL_CAUSES_HELP                                                                             \
    "Reports recorded, by provisional cause (at the report; the next morning may settle another)."
#define PL_REFUSED_HELP                                                                            \
    "REPORTs answered with an error and not recorded, by reason (bad requests are counted in "     \
    "requests_total)."

/* X(id, kind, metric name, labels, help). Entries of one metric name are
 * adjacent. */
#define PL_STATS(X)                                                                                \
    PL_REQ_ROW(X, UDP, "udp")                                                                      \
    PL_REQ_ROW(X, TCP, "tcp")                                                                      \
    PL_REQ_ROW(X, RESP, "resp")                                                                    \
    PL_REQ_ROW(X, CIT_UDP, "cit_udp")                                                              \
    PL_REQ_ROW(X, CIT_TCP, "cit_tcp")                                                              \
    X(UDP_DROP_TRUNCATED, COUNTER, "pricelane_udp_dropped_total", "reason=\"truncated\"",          \
      "UDP datagrams dropped unanswered, by reason.")                                              \
    X(UDP_DROP_RATE_LIMITED, COUNTER, "pricelane_udp_dropped_total", "reason=\"rate_limited\"",    \
      "UDP datagrams dropped unanswered, by reason.")                                              \
    X(UDP_DROP_DENIED, COUNTER, "pricelane_udp_dropped_total", "reason=\"denied\"",                \
      "UDP datagrams dropped unanswered, by reason.")                                              \
    X(UDP_DROP_NO_BUFFER, COUNTER, "pricelane_udp_dropped_total", "reason=\"no_reply_buffer\"",    \
      "UDP datagrams dropped unanswered, by reason.")                                              \
    X(UDP_DROP_SEND_ERROR, COUNTER, "pricelane_udp_dropped_total", "reason=\"send_error\"",        \
      "UDP datagrams dropped unanswered, by reason.")                                              \
    X(UDP_REARM, COUNTER, "pricelane_udp_rearm_total", "",                                         \
      "Times the multishot UDP receive ended (e.g. out of buffers) and was armed again.")          \
    X(TCP_ACCEPTED, COUNTER, "pricelane_tcp_accepted_total", "",                                   \
      "TCP connections accepted and served.")                                                      \
    X(TCP_REJECTED_CAP, COUNTER, "pricelane_tcp_rejected_total", "reason=\"connection_cap\"",      \
      "TCP connections closed at once, by reason.")                                                \
    X(TCP_REJECTED_DENIED, COUNTER, "pricelane_tcp_rejected_total", "reason=\"denied\"",           \
      "TCP connections closed at once, by reason.")                                                \
    X(TCP_REJECTED_SOURCE, COUNTER, "pricelane_tcp_rejected_total", "reason=\"source_cap\"",       \
      "TCP connections closed at once, by reason.")                                                \
    X(TCP_CLOSED_CLIENT, COUNTER, "pricelane_tcp_closed_total", "reason=\"client\"",               \
      "TCP connections closed, by reason.")                                                        \
    X(TCP_CLOSED_IDLE, COUNTER, "pricelane_tcp_closed_total", "reason=\"idle\"",                   \
      "TCP connections closed, by reason.")                                                        \
    X(TCP_CLOSED_ERROR, COUNTER, "pricelane_tcp_closed_total", "reason=\"error\"",                 \
      "TCP connections closed, by reason.")                                                        \
    X(TCP_CLOSED_PROTOCOL, COUNTER, "pricelane_tcp_closed_total", "reason=\"protocol\"",           \
      "TCP connections closed, by reason.")                                                        \
    X(TCP_CLOSED_QUIT, COUNTER, "pricelane_tcp_closed_total", "reason=\"quit\"",                   \
      "TCP connections closed, by reason.")                                                        \
    X(TCP_CLOSED_EVICTED, COUNTER, "pricelane_tcp_closed_total", "reason=\"evicted\"",             \
      "TCP connections closed, by reason.")                                                        \
    X(TCP_CLOSED_SHUTDOWN, COUNTER, "pricelane_tcp_closed_total", "reason=\"shutdown\"",           \
      "TCP connections closed, by reason.")                                                        \
    X(TCP_CONNECTIONS, GAUGE, "pricelane_tcp_connections", "", "TCP connections open now.")        \
    X(TCP_BACKPRESSURE, COUNTER, "pricelane_tcp_backpressure_total", "",                           \
      "Times a connection stopped being read because its client was not reading replies.")         \
    X(RX_BYTES_UDP, COUNTER, "pricelane_received_bytes_total", "proto=\"udp\"",                    \
      "Request bytes received.")                                                                   \
    X(RX_BYTES_TCP, COUNTER, "pricelane_received_bytes_total", "proto=\"tcp\"",                    \
      "Request bytes received.")                                                                   \
    X(TX_BYTES_UDP, COUNTER, "pricelane_sent_bytes_total", "proto=\"udp\"", "Reply bytes sent.")   \
    X(TX_BYTES_TCP, COUNTER, "pricelane_sent_bytes_total", "proto=\"tcp\"", "Reply bytes sent.")   \
    X(SNAPSHOTS, COUNTER, "pricelane_snapshots_total", "",                                         \
      "Catalogue read snapshots taken (at most one per batch of completions).")                    \
    X(SNAPSHOT_ERRORS, COUNTER, "pricelane_snapshot_errors_total", "",                             \
      "Catalogue read snapshots that failed (requests then get status error).")                    \
    X(GENERATION, MAX, "pricelane_generation", "",                                                 \
      "Price generation of the newest snapshot (highest over workers).")                           \
    X(BATCHES, COUNTER, "pricelane_event_batches_total", "",                                       \
      "Batches of completions (io_uring) or loop iterations (libuv) handled.")                     \
    X(SQ_FULL, COUNTER, "pricelane_uring_sq_full_total", "",                                       \
      "Times the io_uring submission queue was full and was submitted early.")                     \
    X(CACHE_HITS, COUNTER, "pricelane_cache_hits_total", "", "Shared cache lookups that hit.")     \
    X(CACHE_MISSES, COUNTER, "pricelane_cache_misses_total", "",                                   \
      "Shared cache lookups that missed (absent, stale, or racing a writer).")                     \
    X(CACHE_INSERTS, COUNTER, "pricelane_cache_inserts_total", "",                                 \
      "Shared cache entries written.")                                                             \
    X(CACHE_EVICTIONS, COUNTER, "pricelane_cache_evictions_total", "",                             \
      "Shared cache entries replaced by another key.")                                             \
    X(WORKERS, GAUGE, "pricelane_workers", "", "Worker threads running.")                          \
    X(CACHE_TOO_BIG, COUNTER, "pricelane_cache_too_big_total", "",                                 \
      "Answers not cached because their data does not fit a slot (e.g. a long price history).")    \
    X(CACHE_RACES, COUNTER, "pricelane_cache_races_total", "",                                     \
      "Shared cache reads or writes that met a concurrent writer (counted as misses).")            \
    X(CACHE_REINITS, COUNTER, "pricelane_cache_reinits_total", "",                                 \
      "Times the cache segment was found mismatched or corrupt and rebuilt.")                      \
    X(CACHE_MAPPED, GAUGE, "pricelane_cache_mapped_ahead_bytes", "",                               \
      "Bytes of the cache segment mapped into the server ahead of its lookups (an idle-class "     \
      "thread after start; the whole file once done).")                                            \
    X(CATALOG_MAPPED, GAUGE, "pricelane_catalog_mapped_ahead_bytes", "",                           \
      "Bytes of the catalogue's file read into memory and mapped into the server ahead of its "    \
      "lookups (an idle-class thread after start; the file's size at start once done).")           \
    X(MEMO_HITS, COUNTER, "pricelane_memo_hits_total", "",                                         \
      "Lookups answered from a worker's memo of finished answers.")                                \
    X(MEMO_MISSES, COUNTER, "pricelane_memo_misses_total", "",                                     \
      "Lookups the memo did not hold (absent, touched by a batch since, or past their validity).") \
    X(CHANGES_FOLLOWED, COUNTER, "pricelane_changes_followed_total", "",                           \
      "Generations workers followed through the change log, keeping the answers they did not "     \
      "touch.")                                                                                    \
    X(CACHE_FLUSHES, COUNTER, "pricelane_cache_flushes_total", "",                                 \
      "Times a worker kept no cached answer across a new snapshot: its first, a store change, an " \
      "import, a restore, or a gap in the change log.")                                            \
    X(CAT_PAGE_BYTES, GAUGE, "pricelane_catalog_page_bytes", "", "Catalogue page size (LMDB).")    \
    X(CAT_MAP_BYTES, GAUGE, "pricelane_catalog_map_bytes", "",                                     \
      "Catalogue map this server holds (address space; loaders grow the map on demand).")          \
    X(CAT_FILE_BYTES, GAUGE, "pricelane_catalog_file_bytes", "", "Size of the catalogue file.")    \
    X(CAT_PAGES_USED, GAUGE, "pricelane_catalog_pages", "state=\"used\"",                          \
      "Catalogue pages holding data (used) or on LMDB's free list (free).")                        \
    X(CAT_PAGES_FREE, GAUGE, "pricelane_catalog_pages", "state=\"free\"",                          \
      "Catalogue pages holding data (used) or on LMDB's free list (free).")                        \
    X(CAT_FREE_RUN, GAUGE, "pricelane_catalog_free_run_pages", "",                                 \
      "Longest run of consecutive free catalogue pages.")                                          \
    X(CAT_ROOM_BYTES, GAUGE, "pricelane_catalog_room_bytes", "",                                   \
      "Free bytes on the catalogue's file system: what the catalogue can still grow into.")        \
    X(CAT_USED_PCT, GAUGE, "pricelane_catalog_used_percent", "",                                   \
      "Used share of the catalogue's room: used pages over used + free pages + room.")             \
    X(CAT_READERS_USED, GAUGE, "pricelane_catalog_readers", "state=\"used\"",                      \
      "Catalogue reader slots in use by every process (used) and their number (max).")             \
    X(CAT_READERS_MAX, GAUGE, "pricelane_catalog_readers", "state=\"max\"",                        \
      "Catalogue reader slots in use by every process (used) and their number (max).")             \
    X(LAST_BATCH_AGE, GAUGE, "pricelane_last_batch_age_seconds", "",                               \
      "Seconds since the last batch (or import, or restore) committed.")                           \
    X(FOLLOW_APPLIED, GAUGE, "pricelane_follow_applied_sequence", "",                              \
      "Stream sequence of the last batch the store's follower applied (0: none; from the "         \
      "catalogue, not the workers).")                                                              \
    X(FOLLOW_HEAD, GAUGE, "pricelane_follow_stream_head", "",                                      \
      "Last sequence of the zone's stream as the follower last saw it (from the catalogue).")      \
    X(FOLLOW_STOPPED, GAUGE, "pricelane_follow_stopped_sequence", "",                              \
      "Sequence the follower stopped at because the store could not apply it; 0 while it "         \
      "follows (from the catalogue).")                                                             \
    X(BLOCKED, COUNTER, "pricelane_blocked_total", "",                                             \
      "Lookups answered \"blocked\": a 2D code of an expired (or past best-before) pack.")         \
    X(REPORTS_PRICE, COUNTER, "pricelane_reports_total", "kind=\"price\"", PL_REPORTS_HELP)        \
    X(REPORTS_NO_SCAN, COUNTER, "pricelane_reports_total", "kind=\"no_scan\"", PL_REPORTS_HELP)    \
    X(REPORTS_NAME, COUNTER, "pricelane_reports_total", "kind=\"name\"", PL_REPORTS_HELP)          \
    X(REPORTS_OTHER, COUNTER, "pricelane_reports_total", "kind=\"other\"", PL_REPORTS_HELP)        \
    X(REPORT_CAUSE_UNKNOWN, COUNTER, "pricelane_report_causes_total", "cause=\"unknown\"",         \
      PL_CAUSES_HELP)                                                                              \
    X(REPORT_CAUSE_SYSTEM_PRICE, COUNTER, "pricelane_report_causes_total",                         \
      "cause=\"system_price\"", PL_CAUSES_HELP)                                                    \
    X(REPORT_CAUSE_PROMO_SIGN, COUNTER, "pricelane_report_causes_total", "cause=\"promo_sign\"",   \
      PL_CAUSES_HELP)                                                                              \
    X(REPORT_CAUSE_LABEL_NOT_PRINTED, COUNTER, "pricelane_report_causes_total",                    \
      "cause=\"label_not_printed\"", PL_CAUSES_HELP)                                               \
    X(REPORT_CAUSE_LABEL_NOT_PLACED, COUNTER, "pricelane_report_causes_total",                     \
      "cause=\"label_not_placed\"", PL_CAUSES_HELP)                                                \
    X(REPORT_CAUSE_NO_SCAN, COUNTER, "pricelane_report_causes_total", "cause=\"no_scan\"",         \
      PL_CAUSES_HELP)                                                                              \
    X(REPORT_CAUSE_ITEM_DATA, COUNTER, "pricelane_report_causes_total", "cause=\"item_data\"",     \
      PL_CAUSES_HELP)                                                                              \
    X(REPORT_RETRIES, COUNTER, "pricelane_report_retries_total", "",                               \
      "REPORTs of an id already recorded with the same content: answered with the first reply, "   \
      "nothing written.")                                                                          \
    X(REPORT_REFUSED_CONFLICT, COUNTER, "pricelane_report_refused_total", "reason=\"conflict\"",   \
      PL_REFUSED_HELP)                                                                             \
    X(REPORT_REFUSED_QUEUE_FULL, COUNTER, "pricelane_report_refused_total",                        \
      "reason=\"queue_full\"", PL_REFUSED_HELP)                                                    \
    X(REPORT_REFUSED_STORE_ERROR, COUNTER, "pricelane_report_refused_total",                       \
      "reason=\"store_error\"", PL_REFUSED_HELP)                                                   \
    X(REPORT_QUEUE, GAUGE, "pricelane_report_queue", "",                                           \
      "Reports waiting for the report writer now.")                                                \
    X(REPORT_COMMITS, COUNTER, "pricelane_report_commits_total", "",                               \
      "Commits of the report store (a group of reports and keyed counts each).")                   \
    X(REPORT_COMMITTED, COUNTER, "pricelane_report_committed_total", "",                           \
      "Reports written by those commits (committed / commits: the mean group size).")              \
    X(REPORT_GROUP_MAX, MAX, "pricelane_report_group_max", "",                                     \
      "Most reports one commit has written since the start.")                                      \
    X(REPORT_SYNCS, COUNTER, "pricelane_report_syncs_total", "",                                   \
      "Disk flushes of the report store apart from its commits (report_sync covered: replies "     \
      "held for a commit that no next commit covered).")                                           \
    X(KEYED_LOOKUPS, COUNTER, "pricelane_keyed_lookups_total", "",                                 \
      "Lookups of a keyed item code of an item that has barcodes (a barcode that did not scan), "  \
      "counted per day, store and item in the report store.")                                      \
    X(KEYED_DROPPED, COUNTER, "pricelane_keyed_dropped_total", "",                                 \
      "Keyed lookups not counted in the report store (a worker's table or the writer's queue was " \
      "full, or the commit failed).")                                                              \
    X(CACHE_ANSWER_HITS, COUNTER, "pricelane_cache_answer_hits_total", "",                         \
      "Finished answers found in the shared cache (after a memo miss).")                           \
    X(CACHE_ANSWER_MISSES, COUNTER, "pricelane_cache_answer_misses_total", "",                     \
      "Finished answers looked for in the shared cache and not found.")                            \
    X(CACHE_ANSWER_INSERTS, COUNTER, "pricelane_cache_answer_inserts_total", "",                   \
      "Finished answers written to the shared cache.")

typedef enum pl_stat_id {
#define PL_STAT_ENUM(id, kind, name, labels, help) PL_ST_##id,
    PL_STATS(PL_STAT_ENUM)
#undef PL_STAT_ENUM
        PL_ST__COUNT
} pl_stat_id_t;

/* Request protocol and outcome, to index the requests_total rows. */
enum { PL_SP_UDP = 0, PL_SP_TCP = 1, PL_SP_RESP = 2, PL_SP_CIT_UDP = 3, PL_SP_CIT_TCP = 4 };
enum {
    PL_SS_OK = 0,
    PL_SS_NOT_FOUND,
    PL_SS_NO_PRICE,
    PL_SS_BAD_CODE,
    PL_SS_ERROR,
    PL_SS_BAD_REQUEST,
    PL_SS_OTHER,
    PL_SS__COUNT
};
#define PL_STAT_REQ(proto, status)                                                                 \
    ((pl_stat_id_t)(PL_ST_REQ_UDP_OK + (proto)*PL_SS__COUNT + (status)))

/* Latency histogram of request handling (parse to reply bytes), upper
 * bounds in nanoseconds; the last bucket is +Inf. */
#define PL_LAT_BUCKETS 13
extern const uint64_t pl_lat_bounds_ns[PL_LAT_BUCKETS - 1];
#define PL_LAT_NAME "pricelane_request_duration_seconds"

typedef struct pl_stats {
    uint64_t v[PL_ST__COUNT];
    uint64_t lat[PL_LAT_BUCKETS]; /* per bucket, not cumulative */
    uint64_t lat_sum_ns;
    uint64_t lat_count;
} pl_stats_t;

/* Single-writer updates (the owning worker only). */
static inline void pl_stat_add(pl_stats_t *s, pl_stat_id_t id, uint64_t n)
{
    __atomic_store_n(&s->v[id], __atomic_load_n(&s->v[id], __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}
static inline void pl_stat_set(pl_stats_t *s, pl_stat_id_t id, uint64_t v)
{
    __atomic_store_n(&s->v[id], v, __ATOMIC_RELAXED);
}
void pl_stat_latency(pl_stats_t *s, uint64_t ns);

/* Adds one worker's table into *sum (counters and gauges summed, PL_STAT_MAX
 * gauges maximised). Safe while the worker runs. */
void pl_stats_accumulate(pl_stats_t *sum, const pl_stats_t *worker);

/* Table lookups. The key is the lower-case id ("req_udp_ok"), used by the
 * JSON /stats output; static strings. */
const char *pl_stat_name(pl_stat_id_t id);
const char *pl_stat_labels(pl_stat_id_t id);
const char *pl_stat_help(pl_stat_id_t id);
const char *pl_stat_key(pl_stat_id_t id);
pl_stat_kind_t pl_stat_kind(pl_stat_id_t id);

/* Writes the Prometheus text exposition (version 0.0.4) of *s: every table
 * entry, then the latency histogram. Returns 0 or -errno from the stream. */
int pl_stats_prometheus(const pl_stats_t *s, FILE *f);
