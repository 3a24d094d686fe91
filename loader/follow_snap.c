/* A store past its zone stream's retention: the zone's newest snapshot,
 * loaded in one transaction (docs/distribution.md, Snapshots). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "follow.h"
#include "pricelane/catalog_verify.h"
#include "pricelane/err.h"
#include "pricelane/snapshot.h"
#include "pricelane/timefmt.h"

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
int follow_rebootstrap(follower_t *f, uint64_t first, uint64_t head, int64_t created, int *wait)
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
        follow_waiting(f, why);
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
    int ok = !follow_parse_part(partv, &part, &nparts) && part == nparts && follow_hex32(digest) &&
             end && !*end && createdv && lastseq >= (uint64_t)nparts;
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
        follow_waiting(f, why);
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
        follow_waiting(f, why);
        natsMsg_Destroy(m);
        return RUN_ON;
    }
    int g = follow_gather(f, m, firstpart, head, id, nparts, digest, &fd, why, sizeof(why));
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
