/* Applying a zone stream's messages at a store: a batch in one message or
 * in consecutive parts, with the position in the batch's transaction; the
 * follower's position and its stops. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "cmds.h"
#include "follow.h"
#include "load.h"
#include "pricelane/err.h"

int follow_pos_read(follower_t *f)
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
int follow_pos_write(follower_t *f, const pl_follow_t *p)
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
void follow_waiting(follower_t *f, const char *why)
{
    if (strcmp(f->waiting, why) == 0)
        return;
    snprintf(f->waiting, sizeof(f->waiting), "%s", why);
    printf("waiting: %s\n", why);
    fflush(stdout);
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
int follow_stop_at(follower_t *f, uint64_t seq, uint64_t head, const char *batch, const char *why)
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
    int rc = follow_pos_write(f, &p);
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
        rc = follow_pos_write(f, &next); /* the ledger knows it: only the position moves */
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
        return follow_stop_at(f, first, head, batch, why);
    }
    pl_diags_free(&d);
    char buf[192];
    snprintf(why, sizeof(why), "batch %s: %s", batch,
             cmd_storage_error(f->db, rc, buf, sizeof(buf)));
    return follow_stop_at(f, first, head, batch, why);
}

/* "I/N" with 1 <= I <= N <= DIST_PARTS_MAX. */
int follow_parse_part(const char *s, int *i, int *n)
{
    char tail;
    return s && sscanf(s, "%d/%d%c", i, n, &tail) == 2 && *n >= 1 && *n <= DIST_PARTS_MAX &&
                   *i >= 1 && *i <= *n
               ? 0
               : -1;
}

int follow_hex32(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return 0;
    return n == 32;
}

/* Gathers a message's bytes into a new memfd (*fd, the caller's): m at seq
 * is part 1 of nparts of `batch`; parts 2.. are the following sequences,
 * consecutive in the stream (publish sees to it), each naming the same
 * batch, count and digest; with nparts > 1 the bytes must give the digest.
 * Returns GATHER_OK; GATHER_WAIT (a part not in the stream yet, or the link:
 * try again later); GATHER_BAD with why (another message between the parts,
 * a wrong digest); or -errno. */
int follow_gather(follower_t *f, natsMsg *m, uint64_t seq, uint64_t head, const char *batch,
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
            follow_waiting(f, why);
            rc = GATHER_WAIT;
            break;
        }
        natsMsgHeader_Get(pm, DIST_HDR_BATCH, &pb);
        natsMsgHeader_Get(pm, DIST_HDR_PART, &pp);
        natsMsgHeader_Get(pm, DIST_HDR_DIGEST, &pd);
        if (!pb || strcmp(pb, batch) != 0 || follow_parse_part(pp, &pi, &pn) || pi != i ||
            pn != nparts || !pd || strcmp(pd, digest) != 0) {
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
int follow_apply_msg(follower_t *f, natsMsg *m, uint64_t seq, uint64_t head, uint64_t *used,
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
        int rc = follow_pos_write(f, &next);
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
        return follow_stop_at(f, seq, head, "", why);
    }
    if (!format || (strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0)) {
        snprintf(why, sizeof(why), "batch %s: %s header \"%s\": expected csv or jsonl", batch,
                 DIST_HDR_FORMAT, format ? format : "");
        return follow_stop_at(f, seq, head, batch, why);
    }
    if (natsMsgHeader_Get(m, DIST_HDR_PART, &partv) == NATS_OK) {
        natsMsgHeader_Get(m, DIST_HDR_DIGEST, &digest);
        if (follow_parse_part(partv, &part, &nparts) || !follow_hex32(digest)) {
            snprintf(why, sizeof(why), "batch %s: %s \"%s\" or %s: expected I/N and 32 hex digits",
                     batch, DIST_HDR_PART, partv, DIST_HDR_DIGEST);
            return follow_stop_at(f, seq, head, batch, why);
        }
        if (part != 1) {
            snprintf(why, sizeof(why),
                     "batch %s: part %d of %d without the parts before it (they were skipped, "
                     "or the publish that sent them was cut): pass it with --skip",
                     batch, part, nparts);
            return follow_stop_at(f, seq, head, batch, why);
        }
    }
    snprintf(name, sizeof(name), "%s.%s", strchr(batch, '/') ? "batch" : batch, format);
    /* The rows are read from a file of their own, the same way as apply. */
    int fd = -1;
    int g = follow_gather(f, m, seq, head, batch, nparts, digest, &fd, why, sizeof(why));
    if (g == GATHER_WAIT)
        *wait = 1;
    else if (g == GATHER_BAD)
        r = follow_stop_at(f, seq, head, batch, why);
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
