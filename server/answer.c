#include <stdio.h>
#include <string.h>
#include <time.h>

#include "answer.h"
#include "pricelane/timefmt.h"
#include "pricelane/catalog.h"

#ifndef PL_VERSION
#define PL_VERSION "0.0.0"
#endif

#define LAT_SAMPLE 8

void answer_batch_begin(answer_ctx_t *ax, int64_t now)
{
    ax->now = now;
    pl_resolver_stale(ax->res);
}

void answer_stale(answer_ctx_t *ax)
{
    pl_resolver_stale(ax->res);
}

void answer_idle(answer_ctx_t *ax)
{
    pl_resolver_release(ax->res);
}

void answer_snapshot(answer_ctx_t *ax)
{
    int rc = pl_resolver_snapshot(ax->res);
    if (rc == 0)
        return;
    pl_stat_add(ax->stats, rc < 0 ? PL_ST_SNAPSHOT_ERRORS : PL_ST_SNAPSHOTS, 1);
    if (rc < 0)
        return;
    pl_stat_set(ax->stats, PL_ST_GENERATION, pl_resolver_gen(ax->res));
    uint64_t followed, flushes;
    pl_resolver_changes(ax->res, &followed, &flushes);
    pl_stat_add(ax->stats, PL_ST_CHANGES_FOLLOWED, followed - ax->followed);
    pl_stat_add(ax->stats, PL_ST_CACHE_FLUSHES, flushes - ax->flushes);
    ax->followed = followed;
    ax->flushes = flushes;
}

static int status_of(pl_status_t s)
{
    switch (s) {
    case PL_ANS_OK:
    case PL_ANS_BLOCKED: /* an answer about the item: counted apart too (blocked_total) */
        return PL_SS_OK;
    case PL_ANS_NOT_FOUND:
        return PL_SS_NOT_FOUND;
    case PL_ANS_NO_PRICE:
        return PL_SS_NO_PRICE;
    case PL_ANS_BAD_CODE:
        return PL_SS_BAD_CODE;
    default:
        return PL_SS_ERROR;
    }
}

/* One lookup, its reply framed for req's protocol. Returns the length (0 =
 * no room) and the outcome in *status. */
static size_t lookup(answer_ctx_t *ax, const pl_req_t *req, pl_slice_t code, pl_slice_t store,
                     char *out, size_t cap, int *status)
{
    char st[PL_SCOPE_MAX + 1];
    if (store.len > PL_SCOPE_MAX) {
        *status = PL_SS_BAD_REQUEST;
        return pl_proto_reply_error(req, "store id longer than 15 bytes", out, cap);
    }
    if (store.len) {
        memcpy(st, store.p, store.len);
        st[store.len] = 0;
    } else {
        /* the setting is checked at load: at most PL_SCOPE_MAX bytes */
        size_t n = ax->store ? strnlen(ax->store, PL_SCOPE_MAX) : 0;
        if (n)
            memcpy(st, ax->store, n);
        st[n] = 0;
    }
    answer_snapshot(ax);
    pl_status_t as;
    size_t jl;
    unsigned flags = (req->member ? PL_LOOKUP_MEMBER : 0) | (ax->pol ? ax->pol->lookup_flags : 0);
    const char *json = pl_lookup_json(ax->res, ax->memo, st, code.p, code.len, ax->now, (int)flags,
                                      ax->json, sizeof(ax->json), &jl, &as);
    if (as == PL_ANS_BLOCKED)
        pl_stat_add(ax->stats, PL_ST_BLOCKED, 1);
    if (ax->memo)
        pl_stat_add(ax->stats, (!json || json == ax->json) ? PL_ST_MEMO_MISSES : PL_ST_MEMO_HITS, 1);
    *status = status_of(as);
    if (!json) {
        *status = PL_SS_ERROR;
        return pl_proto_reply_error(req, "answer too large", out, cap);
    }
    if (ax->keyed && as == PL_ANS_OK)
        answer_keyed_note(ax, st, json, jl);
    return pl_proto_reply_answer(req, json, jl, out, cap);
}

/* MGET: an array with one answer per key; a key may be "store:code". */
static size_t mlookup(answer_ctx_t *ax, const pl_req_t *req, char *out, size_t cap,
                      uint64_t counts[PL_SS__COUNT])
{
    size_t n = pl_proto_reply_array_header((size_t)req->nargs, out, cap);
    if (!n)
        return 0;
    for (int i = 0; i < req->nargs; i++) {
        pl_slice_t store, code;
        pl_proto_split_key(req->args[i], &store, &code);
        int status;
        size_t m = lookup(ax, req, code, store, out + n, cap - n, &status);
        if (!m)
            return 0;
        counts[status]++;
        n += m;
    }
    return n;
}

/* HELLO [2]: the server properties map, as RESP2 sends it (a flat array). */
static size_t hello(const pl_req_t *req, char *out, size_t cap)
{
    static const char *kv[] = {"server", "pricelane", "version", PL_VERSION, "proto", NULL,
                               "id",     NULL,        "mode",    "standalone", "role",
                               "master", "modules",   NULL};
    size_t n = pl_proto_reply_array_header(14, out, cap);
    for (int i = 0; i < 14 && n; i++) {
        const char *s = kv[i];
        size_t m;
        if (s)
            m = pl_proto_reply_bulk(req, s, strlen(s), out + n, cap - n);
        else if (i == 13)
            m = pl_proto_reply_array_header(0, out + n, cap - n);
        else {
            int w = snprintf(out + n, cap - n, ":%d\r\n", i == 5 ? 2 : 1);
            m = (w > 0 && (size_t)w < cap - n) ? (size_t)w : 0;
        }
        n = m ? n + m : 0; /* 0 once anything did not fit */
    }
    return n;
}

static size_t info(answer_ctx_t *ax, const pl_req_t *req, char *out, size_t cap)
{
    char text[512];
    answer_snapshot(ax);
    int l = snprintf(text, sizeof(text),
                     "# Server\r\npricelane_version:%s\r\nredis_version:7.0.0\r\n"
                     "redis_mode:standalone\r\nuptime_in_seconds:%lld\r\n"
                     "# Persistence\r\nloading:0\r\n# Pricelane\r\ngeneration:%llu\r\n",
                     PL_VERSION, (long long)(ax->now - ax->started_at),
                     (unsigned long long)pl_resolver_gen(ax->res));
    return pl_proto_reply_bulk(req, text, (size_t)l, out, cap);
}

size_t answer(answer_ctx_t *ax, const pl_req_t *req, int sp, char *out, size_t cap, int *flags)
{
    /* The latency histogram samples one request in LAT_SAMPLE: reading the
     * clock twice would cost more than a memoized answer. */
    int timed = (ax->lat_tick++ % LAT_SAMPLE) == 0;
    int64_t t0 = timed ? pl_time_mono_ns() : 0;
    uint64_t counts[PL_SS__COUNT]; /* MGET's, one per key; set by mlookup only */
    int status = PL_SS_OTHER;
    size_t n = 0;
    *flags = 0;
    if (sp != PL_SP_UDP)
        sp = req->proto == PL_PROTO_RESP ? PL_SP_RESP : PL_SP_TCP;

    switch (req->type) {
    case PL_REQ_LOOKUP:
        n = lookup(ax, req, req->args[0], req->store, out, cap, &status);
        break;
    case PL_REQ_MLOOKUP:
        memset(counts, 0, sizeof(counts));
        n = mlookup(ax, req, out, cap, counts);
        status = -1;
        break;
    case PL_REQ_PING:
        if (req->proto == PL_PROTO_RESP && req->nargs > 0)
            n = pl_proto_reply_bulk(req, req->args[0].p, req->args[0].len, out, cap);
        else
            n = pl_proto_reply_simple(req, "PONG", out, cap);
        break;
    case PL_REQ_ECHO:
        n = pl_proto_reply_bulk(req, req->args[0].p, req->args[0].len, out, cap);
        break;
    case PL_REQ_VERSION:
        if (req->proto == PL_PROTO_RESP)
            n = pl_proto_reply_bulk(req, "pricelane " PL_VERSION, strlen("pricelane " PL_VERSION),
                                    out, cap);
        else
            n = pl_proto_reply_simple(req, "pricelane " PL_VERSION, out, cap);
        break;
    case PL_REQ_INFO:
        n = info(ax, req, out, cap);
        break;
    case PL_REQ_QUIT:
        n = pl_proto_reply_simple(req, "OK", out, cap);
        *flags |= ANSWER_CLOSE;
        break;
    case PL_REQ_COMMAND:
        n = pl_proto_reply_array_header(0, out, cap);
        break;
    case PL_REQ_HELLO: /* HELLO 3 is a PL_REQ_ERROR from the parser */
        n = hello(req, out, cap);
        break;
    case PL_REQ_REPORT: /* the transports hand it to the report writer when there is one */
        n = pl_proto_reply_error(req, "reports are off on this server", out, cap);
        status = PL_SS_ERROR;
        break;
    case PL_REQ_ERROR:
    default:
        n = pl_proto_reply_error(req, req->error[0] ? req->error : "bad request", out, cap);
        status = PL_SS_BAD_REQUEST;
        break;
    }
    if (!n) {
        *flags = 0;
        return 0;
    }
    if (status >= 0)
        pl_stat_add(ax->stats, PL_STAT_REQ(sp, status), 1);
    else
        for (int s = 0; s < PL_SS__COUNT; s++)
            if (counts[s])
                pl_stat_add(ax->stats, PL_STAT_REQ(sp, s), counts[s]);
    if (timed)
        pl_stat_latency(ax->stats, (uint64_t)(pl_time_mono_ns() - t0));
    return n;
}

size_t answer_fatal(answer_ctx_t *ax, const pl_req_t *req, int sp, const char *msg, char *out,
                    size_t cap)
{
    size_t n = pl_proto_reply_error(req, msg, out, cap);
    if (n) {
        if (sp != PL_SP_UDP)
            sp = req->proto == PL_PROTO_RESP ? PL_SP_RESP : PL_SP_TCP;
        pl_stat_add(ax->stats, PL_STAT_REQ(sp, PL_SS_BAD_REQUEST), 1);
    }
    return n;
}

static pl_cit_conv_t *cit_conv(const answer_ctx_t *ax, const cit_device_t *dev)
{
    return dev->gb18030 ? ax->cit_gb18030 : NULL;
}

static void count(answer_ctx_t *ax, int sp, int status)
{
    pl_stat_add(ax->stats, PL_STAT_REQ(sp, status), 1);
}

size_t answer_cit_fatal(answer_ctx_t *ax, const cit_device_t *dev, const char *msg, int sp,
                        char *out, size_t cap)
{
    size_t n = pl_cit_render_status(&ax->pol->cit_layout, PL_ANS_BAD_CODE, msg, cit_conv(ax, dev),
                                    out, cap);
    if (n)
        count(ax, sp, PL_SS_BAD_REQUEST);
    return n;
}

size_t answer_cit(answer_ctx_t *ax, const cit_device_t *dev, const char *line, size_t len, int sp,
                  char *out, size_t cap)
{
    int timed = (ax->lat_tick++ % LAT_SAMPLE) == 0;
    int64_t t0 = timed ? pl_time_mono_ns() : 0;
    const pl_cit_layout_t *lay = &ax->pol->cit_layout;
    pl_cit_req_t rq;
    if (pl_cit_request(line, len, ax->pol->cit_any_prefix ? NULL : ax->pol->cit_prefixes, &rq) != 0)
        return answer_cit_fatal(ax, dev, rq.error, sp, out, cap);
    answer_snapshot(ax);
    static _Thread_local pl_answer_t a, m;
    unsigned flags = ax->pol->lookup_flags;
    pl_resolve(ax->res, dev->store, rq.code, rq.len, ax->now, (int)flags, &a);
    const pl_answer_t *member = NULL;
    if (a.status == PL_ANS_OK) {
        pl_resolve(ax->res, dev->store, rq.code, rq.len, ax->now, (int)(flags | PL_LOOKUP_MEMBER),
                   &m);
        member = &m;
    }
    size_t n = pl_cit_render(lay, &a, member, pl_resolver_utc_offset(ax->res), cit_conv(ax, dev),
                             out, cap);
    if (!n)
        return 0;
    count(ax, sp, status_of(a.status));
    if (timed)
        pl_stat_latency(ax->stats, (uint64_t)(pl_time_mono_ns() - t0));
    return n;
}
