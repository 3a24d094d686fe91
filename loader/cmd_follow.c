/* follow: a store's side of the distribution. Applies its zone's stream,
 * batch by batch, in sequence order, each with the ordinary one-transaction
 * apply; the stream position commits in the same transaction as the batch
 * (pl_follow_t), so a restart resumes exactly after the last batch that
 * committed: nothing is applied twice and nothing is skipped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cmds.h"
#include "dist.h"
#include "load.h"
#include "pricelane/catalog_verify.h"
#include "pricelane/err.h"
#include "pricelane/snapshot.h"
#include "pricelane/timefmt.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct follower {
    pl_cat_t *cat;
    const char *db, *zone, *store;
    dist_conf_t conf;
    char stream[PL_FOLLOW_STREAM_MAX + 1], subject[96], snap_subject[96], notify[96];
    natsConnection *nc;
    jsCtx *js;
    natsSubscription *wake; /* the notify subject: the head moved */
    pl_follow_t pos;        /* as committed */
    char waiting[320];      /* the last "waiting" line printed, not repeated */
} follower_t;

enum { RUN_ON = 0, RUN_STOPPED = 1, RUN_FATAL = 2 };

static int pos_read(follower_t *f)
{
    pl_txn_t *txn;
    int rc = pl_txn_begin(f->cat, 0, &txn);
    if (!rc) {
        rc = pl_follow_get(txn, &f->pos);
        pl_txn_abort(txn);
    }
    if (rc == PL_ENOTFOUND) {
        memset(&f->pos, 0, sizeof(f->pos));
        snprintf(f->pos.stream, sizeof(f->pos.stream), "%s", f->stream);
        rc = 0;
    }
    return rc;
}

/* Writes a position in a transaction of its own (a batch already applied,
 * a stop, a skip): it changes no answer, so the generation stays. */
static int pos_write(follower_t *f, const pl_follow_t *p)
{
    pl_txn_t *txn;
    int rc = pl_txn_begin(f->cat, 1, &txn);
    if (rc)
        return rc;
    rc = pl_follow_put(txn, p);
    if (!rc)
        return pl_txn_commit(txn);
    pl_txn_abort(txn);
    return rc;
}

static int pos_in_batch(pl_txn_t *txn, void *arg)
{
    return pl_follow_put(txn, arg);
}

/* Prints a waiting reason once until it changes. */
static void waiting(follower_t *f, const char *why)
{
    if (strcmp(f->waiting, why) == 0)
        return;
    snprintf(f->waiting, sizeof(f->waiting), "%s", why);
    printf("waiting: %s\n", why);
    fflush(stdout);
}

/* Waits up to ms for a message on the zone's subject (or a signal), then
 * drains the others: they are only hints, the stream is read by sequence. */
static void wait_hint(follower_t *f, int ms)
{
    natsMsg *m = NULL;
    if (natsSubscription_NextMsg(&m, f->wake, ms) == NATS_OK) {
        natsMsg_Destroy(m);
        while (natsSubscription_NextMsg(&m, f->wake, 0) == NATS_OK)
            natsMsg_Destroy(m);
    } else if (!natsConnection_IsClosed(f->nc) &&
               natsConnection_Status(f->nc) != NATS_CONN_STATUS_CONNECTED) {
        usleep(50000); /* the subscription cannot be waited on while reconnecting */
    }
}

/* A batch id from a header: what the ledger allows (1..PL_BATCH_ID_MAX
 * bytes, no control character). It names the file the rows are read under
 * when it can (no '/'); otherwise the batch column named it, and the name
 * only gives the format. */
static int batch_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PL_BATCH_ID_MAX)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

/* Records that the follower stopped at seq (batch id: "" unknown) and why,
 * prints it. */
static int stop_at(follower_t *f, uint64_t seq, uint64_t head, const char *batch, const char *why)
{
    pl_follow_t p = f->pos;
    p.stopped = seq;
    p.head = head;
    snprintf(p.batch, sizeof(p.batch), "%s", batch);
    snprintf(p.error, sizeof(p.error), "%s", why);
    fprintf(stderr,
            "pricelane-load follow: stopped at %s sequence %" PRIu64 ": %s\n"
            "pricelane-load follow: the catalogue is unchanged by it; repair the store and "
            "start the follower again, or pass the batch with --skip %" PRIu64 "\n",
            f->stream, seq, why, seq);
    int rc = pos_write(f, &p);
    if (!rc)
        f->pos = p;
    else
        fprintf(stderr, "pricelane-load follow: recording the stop: %s\n", pl_strerror(rc));
    return RUN_STOPPED;
}

/* Appends data to the batch's file (and its digest). 0 or -errno. */
static int hold(int fd, XXH3_state_t *h, const char *data, size_t len)
{
    size_t off = 0;
    XXH3_128bits_update(h, data, len);
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        off += (size_t)n;
    }
    return 0;
}

/* Applies the batch held in fd (named `name`, its id from the header
 * `batch`), whose message (or first part) is sequence `first`, with the
 * position moving to `pos`. */
static int apply_fd(follower_t *f, int fd, const char *name, const char *batch, uint64_t first,
                    uint64_t pos, uint64_t head)
{
    char why[PL_FOLLOW_ERROR_MAX + 1];
    pl_follow_t next = f->pos;
    next.seq = pos;
    next.head = head;
    next.stopped = 0;
    next.batch[0] = 0;
    next.error[0] = 0;
    load_opts_t o = {0};
    o.fds = &fd;
    o.only_store = f->store;
    o.before_commit = pos_in_batch;
    o.commit_arg = &next;
    load_result_t res;
    pl_diags_t d;
    pl_diags_init(&d);
    char *files[1] = {(char *)name};
    int rc = load_files(f->cat, files, 1, &o, &d, &res);
    if (!rc && res.already)
        rc = pos_write(f, &next); /* the ledger knows it: only the position moves */
    if (!rc) {
        char seqs[64];
        if (pos > first)
            snprintf(seqs, sizeof(seqs), "sequences %" PRIu64 "-%" PRIu64, first, pos);
        else
            snprintf(seqs, sizeof(seqs), "sequence %" PRIu64, pos);
        f->pos = next;
        if (res.already)
            printf("%s %s: batch %s already applied (generation %" PRIu64 "): skipped\n", f->stream,
                   seqs, res.batch, res.gen);
        else
            printf("%s %s: applied batch %s: %" PRIu64 " rows, generation %" PRIu64 ", %" PRIu64
                   " label jobs, %" PRIu64 " rows of other stores skipped\n",
                   f->stream, seqs, res.batch, res.rows, res.gen, res.jobs, res.skipped);
        fflush(stdout);
        pl_diags_free(&d);
        return RUN_ON;
    }
    pl_diags_print(&d);
    if (rc == PL_EFORMAT || rc == PL_ECONFLICT) {
        snprintf(why, sizeof(why), "batch %s: %s%s", batch, rc == PL_EFORMAT ? "refused: " : "",
                 d.count ? d.msgs[0] : pl_strerror(rc));
        if (rc == PL_EFORMAT && d.count > 1) {
            size_t n = strlen(why);
            snprintf(why + n, sizeof(why) - n, " (and %zu more problems)", d.count - 1);
        }
        pl_diags_free(&d);
        return stop_at(f, first, head, batch, why);
    }
    pl_diags_free(&d);
    char buf[192];
    snprintf(why, sizeof(why), "batch %s: %s", batch,
             cmd_storage_error(f->db, rc, buf, sizeof(buf)));
    return stop_at(f, first, head, batch, why);
}

/* "I/N" with 1 <= I <= N <= DIST_PARTS_MAX. */
static int parse_part(const char *s, int *i, int *n)
{
    char tail;
    return s && sscanf(s, "%d/%d%c", i, n, &tail) == 2 && *n >= 1 && *n <= DIST_PARTS_MAX &&
                   *i >= 1 && *i <= *n
               ? 0
               : -1;
}

static int hex32(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == 32;
}

enum { GATHER_OK = 0, GATHER_WAIT = 1, GATHER_BAD = 2 };

/* Gathers a message's bytes into a new memfd (*fd, the caller's): m at seq
 * is part 1 of nparts of `batch`; parts 2.. are the following sequences,
 * consecutive in the stream (publish sees to it), each naming the same
 * batch, count and digest; with nparts > 1 the bytes must give the digest.
 * Returns GATHER_OK; GATHER_WAIT (a part not in the stream yet, or the link:
 * try again later); GATHER_BAD with why (another message between the parts,
 * a wrong digest); or -errno. */
static int gather(follower_t *f, natsMsg *m, uint64_t seq, uint64_t head, const char *batch,
                  int nparts, const char *digest, int *fd, char *why, size_t whylen)
{
    char buf[256];
    XXH3_state_t *h = XXH3_createState();
    *fd = memfd_create("pricelane-batch", MFD_CLOEXEC);
    int rc = *fd < 0 ? -errno : h ? 0 : -ENOMEM;
    if (h)
        XXH3_128bits_reset(h);
    if (!rc)
        rc = hold(*fd, h, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
    for (int i = 2; rc == GATHER_OK && i <= nparts; i++) {
        uint64_t sq = seq + (uint64_t)i - 1;
        natsMsg *pm = NULL;
        jsErrCode jerr = 0;
        const char *pb = NULL, *pp = NULL, *pd = NULL;
        int pi, pn;
        if (sq > head) {
            rc = GATHER_WAIT; /* not published yet */
            break;
        }
        natsStatus s = js_GetMsg(&pm, f->js, f->stream, sq, NULL, &jerr);
        if (s != NATS_OK) {
            snprintf(why, whylen, "%s sequence %" PRIu64 " (part %d of %s): %s", f->stream, sq, i,
                     batch, dist_why(s, jerr, buf, sizeof(buf)));
            waiting(f, why);
            rc = GATHER_WAIT;
            break;
        }
        natsMsgHeader_Get(pm, DIST_HDR_BATCH, &pb);
        natsMsgHeader_Get(pm, DIST_HDR_PART, &pp);
        natsMsgHeader_Get(pm, DIST_HDR_DIGEST, &pd);
        if (!pb || strcmp(pb, batch) != 0 || parse_part(pp, &pi, &pn) || pi != i || pn != nparts ||
            !pd || strcmp(pd, digest) != 0) {
            snprintf(why, whylen,
                     "batch %s: its parts are not consecutive in the stream (sequence %" PRIu64
                     " is not part %d of %d): publish the file again under a new batch id and "
                     "pass these parts with --skip",
                     batch, sq, i, nparts);
            rc = GATHER_BAD;
        } else {
            rc = hold(*fd, h, natsMsg_GetData(pm), (size_t)natsMsg_GetDataLength(pm));
        }
        natsMsg_Destroy(pm);
    }
    if (rc == GATHER_OK && digest) {
        XXH128_hash_t d = XXH3_128bits_digest(h);
        char hex[33];
        snprintf(hex, sizeof(hex), "%016" PRIx64 "%016" PRIx64, d.high64, d.low64);
        if (strcmp(hex, digest) != 0) {
            snprintf(
                why, whylen,
                "batch %s: its %d part%s do%s not make the batch (digest %s, the parts say %s)",
                batch, nparts, nparts == 1 ? "" : "s", nparts == 1 ? "es" : "", hex, digest);
            rc = GATHER_BAD;
        }
    }
    XXH3_freeState(h);
    return rc;
}

/* Applies the batch whose message (or first part) is m, sequence seq; head
 * is the stream's last sequence. *used is the last sequence the batch
 * took (its last part); *wait is set when a part is not in the stream yet
 * (the batch is applied when it is whole). */
static int apply_msg(follower_t *f, natsMsg *m, uint64_t seq, uint64_t head, uint64_t *used,
                     int *wait)
{
    const char *batch = NULL, *format = NULL, *partv = NULL, *digest = NULL;
    char why[PL_FOLLOW_ERROR_MAX + 1], name[PL_BATCH_ID_MAX + 16];
    int part = 1, nparts = 1, r = RUN_ON;
    *used = seq;
    *wait = 0;
    const char *subject = natsMsg_GetSubject(m);
    if (subject && strcmp(subject, f->snap_subject) == 0) {
        /* A snapshot is for stores that fell behind the retention: a store
         * that has the batches before it passes it. */
        pl_follow_t next = f->pos;
        next.seq = seq;
        next.head = head;
        int rc = pos_write(f, &next);
        if (rc) {
            fprintf(stderr, "pricelane-load follow: %s: %s\n", f->db, pl_strerror(rc));
            return RUN_FATAL;
        }
        f->pos = next;
        printf("%s sequence %" PRIu64 ": a snapshot for stores that fell behind: passed\n",
               f->stream, seq);
        fflush(stdout);
        return RUN_ON;
    }
    natsMsgHeader_Get(m, DIST_HDR_BATCH, &batch);
    natsMsgHeader_Get(m, DIST_HDR_FORMAT, &format);
    if (!batch || !batch_id_ok(batch)) {
        snprintf(why, sizeof(why), "the message has no valid %s header (a batch id)",
                 DIST_HDR_BATCH);
        return stop_at(f, seq, head, "", why);
    }
    if (!format || (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0)) {
        snprintf(why, sizeof(why), "batch %s: %s header \"%s\": expected csv or jsonl", batch,
                 DIST_HDR_FORMAT, format ? format : "");
        return stop_at(f, seq, head, batch, why);
    }
    if (natsMsgHeader_Get(m, DIST_HDR_PART, &partv) == NATS_OK) {
        natsMsgHeader_Get(m, DIST_HDR_DIGEST, &digest);
        if (parse_part(partv, &part, &nparts) || !hex32(digest)) {
            snprintf(why, sizeof(why), "batch %s: %s \"%s\" or %s: expected I/N and 32 hex digits",
                     batch, DIST_HDR_PART, partv, DIST_HDR_DIGEST);
            return stop_at(f, seq, head, batch, why);
        }
        if (part != 1) {
            snprintf(why, sizeof(why),
                     "batch %s: part %d of %d without the parts before it (they were skipped, "
                     "or the publish that sent them was cut): pass it with --skip",
                     batch, part, nparts);
            return stop_at(f, seq, head, batch, why);
        }
    }
    snprintf(name, sizeof(name), "%s.%s", strchr(batch, '/') ? "batch" : batch, format);
    /* The rows are read from a file of their own, the same way as apply. */
    int fd = -1;
    int g = gather(f, m, seq, head, batch, nparts, digest, &fd, why, sizeof(why));
    if (g == GATHER_WAIT)
        *wait = 1;
    else if (g == GATHER_BAD)
        r = stop_at(f, seq, head, batch, why);
    else if (g < 0) {
        fprintf(stderr, "pricelane-load follow: batch %s: holding its bytes: %s\n", batch,
                strerror(-g));
        r = RUN_FATAL;
    } else {
        *used = seq + (uint64_t)nparts - 1;
        r = apply_fd(f, fd, name, batch, seq, *used, head);
    }
    if (fd >= 0)
        close(fd);
    return r;
}

struct snap_load {
    const char *data;
    size_t len;
    const char *store;
    pl_follow_t pos;
    const char *id, *digest;
    pl_snapshot_info_t info;
    uint64_t gen, violations;
    char err[256];
};

static void count_violation(const char *db, const char *msg, void *arg)
{
    struct snap_load *x = arg;
    if (!x->violations++)
        snprintf(x->err, sizeof(x->err), "%s: %s", db, msg);
}

/* One attempt at the transaction that replaces the catalogue with the
 * snapshot: its records, the ledger record, a new generation and state,
 * the position; checked with pl_cat_verify before the commit. */
static int snap_txn(pl_cat_t *cat, struct snap_load *x)
{
    pl_txn_t *txn;
    pl_batch_rec_t rec = {0};
    pl_verify_counts_t counts = {0};
    int rc = pl_txn_begin(cat, 1, &txn);
    if (rc)
        return rc;
    x->err[0] = 0;
    x->violations = 0;
    rc = pl_snapshot_load(txn, x->data, x->len, x->store, &x->info, x->err, sizeof(x->err));
    snprintf(rec.id, sizeof(rec.id), "%s", x->id);
    snprintf(rec.digest, sizeof(rec.digest), "%s", x->digest);
    rec.applied_at = pl_time_now();
    rec.rows = x->info.records;
    if (!rc)
        rc = pl_meta_bump(txn, rec.id, &rec.gen); /* a new state: no cache trusts the old */
    if (!rc)
        rc = pl_batch_put(txn, &rec);
    if (!rc)
        rc = pl_follow_put(txn, &x->pos);
    if (!rc)
        rc = pl_cat_verify(txn, count_violation, x, &counts);
    if (!rc && x->violations)
        rc = PL_ECORRUPT;
    if (rc) {
        pl_txn_abort(txn);
        return rc;
    }
    x->gen = rec.gen;
    return pl_txn_commit(txn);
}

/* The store's next batch was removed by the stream's retention: it loads
 * the zone's newest snapshot (subject snap_subject; the last part is the
 * subject's last message, the parts before it the sequences before it) in
 * one transaction, then goes on after the snapshot's position. No usable
 * snapshot yet (none, one of another history, or one older than what the
 * stream still holds): it waits for headquarters to publish one. Returns
 * RUN_ON (*wait set when waiting) or RUN_FATAL. */
static int rebootstrap(follower_t *f, uint64_t first, uint64_t head, int64_t created, int *wait)
{
    natsMsg *m = NULL;
    jsErrCode jerr = 0;
    char why[PL_FOLLOW_ERROR_MAX + 64], buf[256];
    const char *partv = NULL, *digest = NULL, *posv = NULL, *createdv = NULL;
    int part, nparts, fd = -1, r = RUN_ON;
    *wait = 1;
    natsStatus s = js_GetLastMsg(&m, f->js, f->stream, f->snap_subject, NULL, &jerr);
    if (s != NATS_OK) {
        snprintf(why, sizeof(why),
                 "%s sequence %" PRIu64 " was removed by the stream's retention (its first is "
                 "%" PRIu64 "): this store needs a zone snapshot (pricelane-load publish "
                 "--snapshot)%s%s",
                 f->stream, f->pos.seq + 1, first,
                 s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr ? "" : ": ",
                 s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr
                     ? ""
                     : dist_why(s, jerr, buf, sizeof(buf)));
        waiting(f, why);
        return RUN_ON;
    }
    uint64_t lastseq = natsMsg_GetSequence(m), pos = 0;
    char digest_copy[33] = ""; /* the headers live as long as m */
    natsMsgHeader_Get(m, DIST_HDR_PART, &partv);
    natsMsgHeader_Get(m, DIST_HDR_DIGEST, &digest);
    natsMsgHeader_Get(m, DIST_HDR_SNAPSHOT, &posv);
    natsMsgHeader_Get(m, DIST_HDR_CREATED, &createdv);
    char *end = NULL;
    if (posv)
        pos = strtoull(posv, &end, 10);
    int ok = !parse_part(partv, &part, &nparts) && part == nparts && hex32(digest) && end &&
             !*end && createdv && lastseq >= (uint64_t)nparts;
    if (!ok || strtoll(createdv, NULL, 10) != created || pos + 1 < first) {
        snprintf(why, sizeof(why),
                 "%s sequence %" PRIu64 " was removed by the stream's retention (its first is "
                 "%" PRIu64 "); the newest snapshot (sequence %" PRIu64 ") %s: waiting for "
                 "another (pricelane-load publish --snapshot)",
                 f->stream, f->pos.seq + 1, first, lastseq,
                 !ok ? "is malformed"
                 : strtoll(createdv, NULL, 10) != created
                     ? "belongs to another history of the stream"
                     : "is older than what the stream still holds");
        waiting(f, why);
        natsMsg_Destroy(m);
        return RUN_ON;
    }
    snprintf(digest_copy, sizeof(digest_copy), "%s", digest);
    digest = digest_copy;
    natsMsg_Destroy(m);
    /* The first part, then every part in order, as for a batch. */
    uint64_t firstpart = lastseq - (uint64_t)nparts + 1;
    char id[PL_BATCH_ID_MAX + 1];
    snprintf(id, sizeof(id), "snapshot@%" PRIu64, pos);
    m = NULL;
    s = js_GetMsg(&m, f->js, f->stream, firstpart, NULL, &jerr);
    const char *pb = NULL;
    if (s == NATS_OK)
        natsMsgHeader_Get(m, DIST_HDR_BATCH, &pb);
    if (s != NATS_OK || !pb || strcmp(pb, id) != 0) {
        snprintf(why, sizeof(why), "%s: the first part of snapshot %s (sequence %" PRIu64 ") is %s",
                 f->stream, id, firstpart, s != NATS_OK ? "not readable" : "another message");
        waiting(f, why);
        natsMsg_Destroy(m);
        return RUN_ON;
    }
    int g = gather(f, m, firstpart, head, id, nparts, digest, &fd, why, sizeof(why));
    natsMsg_Destroy(m);
    if (g == GATHER_OK) {
        struct stat st;
        char *data = NULL;
        if (fstat(fd, &st) == 0)
            data = mmap(NULL, (size_t)st.st_size ? (size_t)st.st_size : 1, PROT_READ, MAP_PRIVATE,
                        fd, 0);
        if (!data || data == MAP_FAILED) {
            fprintf(stderr, "pricelane-load follow: snapshot %s: %s\n", id, strerror(errno));
            close(fd);
            return RUN_FATAL;
        }
        struct snap_load x = {data, (size_t)st.st_size, f->store, f->pos, id, digest, {0}, 0, 0,
                              ""};
        x.pos.seq = pos; /* batches published after it was taken follow */
        x.pos.head = head;
        x.pos.created = created;
        x.pos.stopped = 0;
        x.pos.batch[0] = x.pos.error[0] = 0;
        int rc, grown = 0;
        while ((rc = snap_txn(f->cat, &x)) == PL_EMAPFULL && grown++ < 8 && !pl_cat_grow(f->cat, 0))
            ;
        munmap(data, (size_t)st.st_size ? (size_t)st.st_size : 1);
        if (rc) {
            char b2[192];
            fprintf(stderr,
                    "pricelane-load follow: snapshot %s (%s sequences %" PRIu64 "-%" PRIu64
                    ") cannot be loaded: %s%s%s; the catalogue is unchanged\n",
                    id, f->stream, firstpart, lastseq,
                    rc == PL_ECORRUPT && x.err[0] ? x.err
                                                  : cmd_storage_error(f->db, rc, b2, sizeof(b2)),
                    x.violations > 1 ? " and more" : "", "");
            r = RUN_FATAL;
        } else {
            f->pos = x.pos;
            printf("%s sequences %" PRIu64 "-%" PRIu64 ": loaded snapshot %s (the batches up to "
                   "%" PRIu64 " were removed by the stream's retention): %" PRIu64
                   " records, %" PRIu64 " rows of other stores skipped, generation %" PRIu64 "\n",
                   f->stream, firstpart, lastseq, id, pos, x.info.records, x.info.skipped, x.gen);
            fflush(stdout);
            *wait = 0;
        }
    } else if (g == GATHER_BAD) {
        fprintf(stderr, "pricelane-load follow: snapshot %s: %s\n", id, why);
        r = RUN_FATAL;
    } else if (g < 0) {
        fprintf(stderr, "pricelane-load follow: snapshot %s: %s\n", id, strerror(-g));
        r = RUN_FATAL;
    }
    if (fd >= 0)
        close(fd);
    return r;
}

/* One pass: reads the stream's state and applies every message after the
 * position. Returns RUN_ON (caught up, or the server is unreachable: wait),
 * or RUN_STOPPED / RUN_FATAL. */
static int catch_up(follower_t *f, int *caught_up)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    char why[320], buf[256];
    *caught_up = 0;
    natsStatus s = js_GetStreamInfo(&si, f->js, f->stream, NULL, &jerr);
    if (s != NATS_OK) {
        snprintf(why, sizeof(why), "stream %s: %s", f->stream,
                 s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr
                     ? "not created yet (the first publish creates it)"
                     : dist_why(s, jerr, buf, sizeof(buf)));
        waiting(f, why);
        *caught_up = 1;
        return RUN_ON;
    }
    int64_t created = si->Created;
    uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    if (f->pos.created && f->pos.created != created) {
        fprintf(stderr,
                "pricelane-load follow: stream %s is not the stream this catalogue followed "
                "(created %" PRId64 " ns, now %" PRId64 " ns since 1970): it was deleted and "
                "created again, and its sequence numbers are another history's; nothing "
                "applied\n",
                f->stream, f->pos.created, created);
        return RUN_FATAL;
    }
    f->pos.created = created;
    if (f->pos.seq >= last) {
        if (f->pos.seq > last) {
            fprintf(stderr,
                    "pricelane-load follow: the catalogue is at %s sequence %" PRIu64
                    ", beyond the stream's last (%" PRIu64 "): another stream's history\n",
                    f->stream, f->pos.seq, last);
            return RUN_FATAL;
        }
        snprintf(why, sizeof(why), "%s at sequence %" PRIu64 " (the head)", f->stream, last);
        waiting(f, why);
        *caught_up = 1;
        return RUN_ON;
    }
    f->waiting[0] = 0;
    for (uint64_t n = f->pos.seq + 1; n <= last && !stop_requested; n++) {
        if (n < first) {
            int wait;
            int r = rebootstrap(f, first, last, created, &wait);
            *caught_up = wait;
            return r; /* the next pass goes on from the snapshot's position */
        }
        natsMsg *m = NULL;
        jerr = 0;
        s = js_GetMsg(&m, f->js, f->stream, n, NULL, &jerr);
        if (s != NATS_OK) {
            /* Not found: removed by retention since the state was read (the
             * next pass sees the new first); otherwise the link: wait. */
            if (s != NATS_NOT_FOUND && jerr != JSNoMessageFoundErr) {
                snprintf(why, sizeof(why), "%s sequence %" PRIu64 ": %s", f->stream, n,
                         dist_why(s, jerr, buf, sizeof(buf)));
                waiting(f, why);
                *caught_up = 1;
            }
            return RUN_ON;
        }
        uint64_t used;
        int wait;
        int r = apply_msg(f, m, n, last, &used, &wait);
        natsMsg_Destroy(m);
        if (r != RUN_ON)
            return r;
        if (wait) { /* a batch whose last parts are not there yet */
            *caught_up = 1;
            return RUN_ON;
        }
        n = used;
    }
    return RUN_ON;
}

static int status(follower_t *f)
{
    int rc = pos_read(f);
    if (rc) {
        fprintf(stderr, "pricelane-load follow: %s: reading the position: %s\n", f->db,
                pl_strerror(rc));
        return 1;
    }
    uint64_t head = f->pos.head;
    const char *head_from = "as last seen";
    char leader[160] = "";
    if (f->conf.url[0]) {
        char err[512];
        jsStreamInfo *si = NULL;
        jsErrCode jerr = 0;
        if (dist_connect(&f->conf, 0, &f->nc, &f->js, err, sizeof(err)) == 0 &&
            js_GetStreamInfo(&si, f->js, f->pos.stream[0] ? f->pos.stream : f->stream, NULL,
                             &jerr) == NATS_OK) {
            head = si->State.LastSeq;
            head_from = "now";
            if (si->Cluster && si->Cluster->Leader) {
                int n = snprintf(leader, sizeof(leader), "%s", si->Cluster->Leader);
                for (int i = 0; i < si->Cluster->ReplicasLen && n > 0 && (size_t)n < sizeof(leader);
                     i++)
                    n += snprintf(leader + n, sizeof(leader) - (size_t)n, "%s%s%s",
                                  i ? ", " : " (replicas: ", si->Cluster->Replicas[i]->Name,
                                  si->Cluster->Replicas[i]->Offline ? " offline" : "");
                if (si->Cluster->ReplicasLen && n > 0 && (size_t)n < sizeof(leader))
                    snprintf(leader + n, sizeof(leader) - (size_t)n, ")");
            }
            jsStreamInfo_Destroy(si);
        } else {
            head_from = "as last seen; the server did not answer";
        }
    }
    printf("stream:  %s\n", f->pos.stream[0] ? f->pos.stream : f->stream);
    printf("applied: %" PRIu64 "\n", f->pos.seq);
    printf("head:    %" PRIu64 " (%s)\n", head, head_from);
    printf("lag:     %" PRIu64 "\n", head > f->pos.seq ? head - f->pos.seq : 0);
    if (leader[0])
        printf("leader:  %s\n", leader);
    if (f->pos.stopped)
        printf("state:   stopped at sequence %" PRIu64 ": %s\n", f->pos.stopped, f->pos.error);
    else
        printf("state:   following\n");
    return f->pos.stopped ? 1 : 0;
}

/* --skip SEQ: the explicit way past a batch the store cannot apply. In one
 * transaction: the position moves to SEQ, the stop is cleared, and the
 * ledger records "skip@SEQ:BATCH" (with a generation, as every ledger
 * record has one), so the catalogue itself says which batch it lacks. */
static int skip(follower_t *f, uint64_t seq)
{
    pl_txn_t *txn;
    pl_follow_t p;
    pl_meta_t m;
    pl_batch_rec_t rec = {0}, old;
    int rc = pl_txn_begin(f->cat, 1, &txn);
    if (rc) {
        fprintf(stderr, "pricelane-load follow: %s: %s\n", f->db, pl_strerror(rc));
        return 1;
    }
    rc = pl_follow_get(txn, &p);
    if (rc == 0 && p.stopped != seq) {
        fprintf(stderr,
                "pricelane-load follow: --skip %" PRIu64 ": the follower is not stopped there (%s "
                "applied up to %" PRIu64 "%s); nothing changed\n",
                seq, p.stream, p.seq, p.stopped ? ", stopped at another sequence" : ", following");
        pl_txn_abort(txn);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "pricelane-load follow: --skip %" PRIu64 ": %s\n", seq,
                rc == PL_ENOTFOUND ? "no follower ever ran on this catalogue; nothing changed"
                                   : pl_strerror(rc));
        pl_txn_abort(txn);
        return 1;
    }
    rc = pl_meta_get(txn, &m);
    /* The id is cut to what the ledger holds: the batch id may be long. */
    char id[PL_BATCH_ID_MAX + 48];
    snprintf(id, sizeof(id), "skip@%" PRIu64 ":%s", seq, p.batch);
    snprintf(rec.id, sizeof(rec.id), "%.*s", PL_BATCH_ID_MAX, id);
    for (int k = 1; !rc && pl_batch_get(txn, rec.id, &old) == 0; k++) {
        snprintf(id, sizeof(id), "skip@%" PRIu64 "+%d:%s", seq, k, p.batch);
        snprintf(rec.id, sizeof(rec.id), "%.*s", PL_BATCH_ID_MAX, id);
    }
    char what[PL_FOLLOW_STREAM_MAX + PL_BATCH_ID_MAX + PL_FOLLOW_ERROR_MAX + 32];
    int n =
        snprintf(what, sizeof(what), "%s\n%" PRIu64 "\n%s\n%s", p.stream, seq, p.batch, p.error);
    XXH128_hash_t h = XXH3_128bits(what, n > 0 ? (size_t)n : 0);
    snprintf(rec.digest, sizeof(rec.digest), "%016" PRIx64 "%016" PRIx64, h.high64, h.low64);
    rec.applied_at = pl_time_now();
    char batch[PL_BATCH_ID_MAX + 1], error[PL_FOLLOW_ERROR_MAX + 1];
    snprintf(batch, sizeof(batch), "%s", p.batch);
    snprintf(error, sizeof(error), "%s", p.error);
    p.seq = seq;
    p.stopped = 0;
    p.batch[0] = 0;
    p.error[0] = 0;
    if (!rc)
        rc = pl_meta_bump(txn, rec.id, &rec.gen);
    if (!rc)
        rc = pl_batch_put(txn, &rec);
    if (!rc)
        rc = pl_follow_put(txn, &p);
    if (!rc)
        rc = pl_txn_commit(txn);
    else
        pl_txn_abort(txn);
    if (rc) {
        char buf[192];
        fprintf(stderr, "pricelane-load follow: --skip %" PRIu64 ": %s; nothing changed\n", seq,
                cmd_storage_error(f->db, rc, buf, sizeof(buf)));
        return 1;
    }
    printf("skipped %s sequence %" PRIu64 " (batch %s, which stopped the follower: %s); recorded "
           "in the ledger as %s, generation %" PRIu64
           "; the follower goes on from sequence %" PRIu64 "\n",
           p.stream, seq, batch[0] ? batch : "unknown", error, rec.id, rec.gen, seq + 1);
    return 0;
}

/* One follower per catalogue: two would apply the same stream twice over
 * (harmless, the ledger refuses the second, but each would move the
 * position under the other). */
static int lock_catalogue(const char *db)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/.pricelane-follow.lock", db);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "pricelane-load follow: %s: %s\n", p, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "pricelane-load follow: %s: %s\n", db,
                errno == EWOULDBLOCK ? "another follower is running on this catalogue"
                                     : strerror(errno));
        close(fd);
        return -1;
    }
    return fd; /* held until exit */
}

static void usage(void)
{
    printf("usage: pricelane-load follow --db DIR --nats URL --zone ZONE [--store STORE]\n"
           "                             [--config FILE]\n"
           "       pricelane-load follow --status --db DIR [--zone ZONE --nats URL]\n"
           "       pricelane-load follow --skip SEQ --db DIR\n\n"
           "A store's side of the distribution (docs/distribution.md). Applies the batches\n"
           "of ZONE's stream to the catalogue DIR in stream order, each as one batch like\n"
           "'apply' (prices, label jobs, ledger and generation in one transaction), with the\n"
           "stream sequence written in that same transaction. It resumes after the last\n"
           "sequence applied, asks for each following sequence in turn (so nothing is\n"
           "skipped), and recognises a batch id already in the ledger (a publish repeated\n"
           "after the stream's duplicate window) as applied. Price rows of other stores are\n"
           "checked and not written. It reconnects by itself when the link or the server\n"
           "goes away and runs until SIGTERM or SIGINT, which finish the batch being\n"
           "applied.\n"
           "\n"
           "A batch the store cannot apply stops the follower at its sequence with the\n"
           "reason (exit 1), recorded in the catalogue for pricelaned (/healthz says\n"
           "degraded, /metrics pricelane_follow_stopped_sequence) and --status. Started\n"
           "again, it tries that batch again. --skip SEQ passes it for good: the position\n"
           "moves past SEQ and the ledger records skip@SEQ:BATCH, in one transaction (not\n"
           "while a follower runs); then start the follower.\n"
           "\n"
           "When the next batch was removed by the stream's retention (the store was away\n"
           "too long), the follower loads the zone's newest snapshot in one transaction\n"
           "(a new catalogue state: no cache of pricelaned answers from the old one) and\n"
           "goes on after the snapshot's position; until headquarters publishes a usable\n"
           "snapshot it waits.\n"
           "\n"
           "  --db DIR       the store's catalogue\n"
           "  --nats URL     NATS server(s), nats://host:4222[,nats://...] (also the\n"
           "                 setting url)\n"
           "  --zone ZONE    the store's price zone: its stream\n"
           "  --store STORE  the store: price rows of other stores are not written;\n"
           "                 without it every row is (a zone replica, which headquarters\n"
           "                 takes snapshots of: publish --snapshot)\n"
           "  --config FILE  settings file, section [distribution] (credentials, TLS,\n"
           "                 stream and subject names)\n"
           "  --skip SEQ     pass the batch at SEQ that stopped the follower (above)\n"
           "  --status       print the stream, the sequence applied, the stream's head\n"
           "                 (asked of the server with --nats), the lag, the state and\n"
           "                 on a cluster the stream's leader and replicas;\n"
           "                 exit 1 when the follower is stopped at a batch\n"
           "\n"
           "Exit status: 0 stopped by a signal, 1 stopped at a batch or failed, 2 usage.\n");
}

int cmd_follow(int argc, char **argv)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'},    {"nats", 1, 0, 'u'},   {"zone", 1, 0, 'z'},
        {"store", 1, 0, 's'}, {"config", 1, 0, 'c'}, {"status", 0, 0, 'S'},
        {"skip", 1, 0, 'k'},  {"help", 0, 0, 'h'},   {0}};
    follower_t f = {0};
    const char *url = NULL, *config = NULL;
    int show_status = 0, c;
    uint64_t skip_seq = 0;
    char err[512];
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            f.db = optarg;
            break;
        case 'u':
            url = optarg;
            break;
        case 'z':
            f.zone = optarg;
            break;
        case 's':
            f.store = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'S':
            show_status = 1;
            break;
        case 'k': {
            char *end;
            errno = 0;
            skip_seq = strtoull(optarg, &end, 10);
            if (end == optarg || *end || errno || skip_seq == 0 || optarg[0] == '-') {
                fprintf(stderr,
                        "pricelane-load follow: --skip \"%s\": expected a stream sequence "
                        "(a whole number from 1)\n",
                        optarg);
                return 2;
            }
            break;
        }
        case 'h':
            usage();
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "pricelane-load follow: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    dist_conf_defaults(&f.conf);
    if (config && dist_conf_load(&f.conf, config, err, sizeof(err))) {
        fprintf(stderr, "pricelane-load follow: %s\n", err);
        return 2;
    }
    if (url)
        snprintf(f.conf.url, sizeof(f.conf.url), "%s", url);
    if (skip_seq && show_status) {
        fprintf(stderr, "pricelane-load follow: --skip and --status do not go together\n");
        return 2;
    }
    if (!f.db || (!show_status && !skip_seq && (!f.conf.url[0] || !f.zone))) {
        fprintf(stderr, "pricelane-load follow: %s is required\n",
                !f.db            ? "--db DIR"
                : !f.conf.url[0] ? "--nats URL (or the setting url)"
                                 : "--zone ZONE");
        return 2;
    }
    if (f.zone && dist_zone_check(f.zone, err, sizeof(err))) {
        fprintf(stderr, "pricelane-load follow: %s\n", err);
        return 2;
    }
    if (f.store && (strlen(f.store) == 0 || strlen(f.store) > PL_SCOPE_MAX)) {
        fprintf(stderr, "pricelane-load follow: --store \"%s\": 1 to %d bytes\n", f.store,
                PL_SCOPE_MAX);
        return 2;
    }
    if (f.zone) {
        dist_stream_name(&f.conf, f.zone, f.stream, sizeof(f.stream));
        dist_subject(&f.conf, f.zone, f.subject, sizeof(f.subject));
        dist_snapshot_subject(&f.conf, f.zone, f.snap_subject, sizeof(f.snap_subject));
        dist_notify_subject(&f.conf, f.zone, f.notify, sizeof(f.notify));
    }
    f.cat = cmd_open_db(f.db, show_status);
    if (!f.cat)
        return 1;
    int rc;
    if (skip_seq) {
        /* Not while a follower runs: it would move the position too. */
        int lock = lock_catalogue(f.db);
        rc = lock < 0 ? 1 : skip(&f, skip_seq);
        if (lock >= 0)
            close(lock);
        pl_cat_close(f.cat);
        return rc;
    }
    if (show_status) {
        if (!f.zone)
            f.conf.url[0] = 0; /* the stream is the catalogue's */
        rc = status(&f);
        dist_close(f.nc, f.js);
        pl_cat_close(f.cat);
        return rc;
    }
    int lock = lock_catalogue(f.db);
    if (lock < 0) {
        pl_cat_close(f.cat);
        return 1;
    }
    rc = pos_read(&f);
    if (rc) {
        fprintf(stderr, "pricelane-load follow: %s: reading the position: %s\n", f.db,
                pl_strerror(rc));
        pl_cat_close(f.cat);
        return 1;
    }
    if (strcmp(f.pos.stream, f.stream) != 0) {
        fprintf(stderr,
                "pricelane-load follow: %s follows stream %s, not %s: a catalogue follows one "
                "zone's stream\n",
                f.db, f.pos.stream, f.stream);
        pl_cat_close(f.cat);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (dist_connect(&f.conf, 1, &f.nc, &f.js, err, sizeof(err))) {
        fprintf(stderr, "pricelane-load follow: %s\n", err);
        pl_cat_close(f.cat);
        return 1;
    }
    natsStatus s = natsConnection_SubscribeSync(&f.wake, f.nc, f.notify);
    if (s != NATS_OK) {
        fprintf(stderr, "pricelane-load follow: subscribing to %s: %s\n", f.notify,
                dist_why(s, 0, err, sizeof(err)));
        dist_close(f.nc, f.js);
        pl_cat_close(f.cat);
        return 1;
    }
    if (f.pos.stopped)
        printf("was stopped at %s sequence %" PRIu64 " (%s): trying it again\n", f.stream,
               f.pos.stopped, f.pos.error);
    printf("following %s (subject %s) for %s%s from sequence %" PRIu64 "\n", f.stream, f.subject,
           f.store ? "store " : "every store (a zone replica)", f.store ? f.store : "",
           f.pos.seq + 1);
    fflush(stdout);
    int run = RUN_ON;
    while (run == RUN_ON && !stop_requested) {
        int idle = 0;
        run = catch_up(&f, &idle);
        if (run == RUN_ON && idle && !stop_requested)
            wait_hint(&f, 200);
    }
    natsSubscription_Destroy(f.wake);
    dist_close(f.nc, f.js);
    pl_cat_close(f.cat);
    close(lock);
    if (run == RUN_ON)
        printf("stopped at %s sequence %" PRIu64 "\n", f.stream, f.pos.seq);
    return run == RUN_ON ? 0 : 1;
}
