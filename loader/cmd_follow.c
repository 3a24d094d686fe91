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
#include "follow.h"
#include "load.h"
#include "pricelane/catalog_verify.h"
#include "pricelane/cpu_share.h"
#include "pricelane/err.h"
#include "pricelane/snapshot.h"
#include "pricelane/timefmt.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
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
        follow_waiting(f, why);
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
        follow_waiting(f, why);
        *caught_up = 1;
        return RUN_ON;
    }
    f->waiting[0] = 0;
    for (uint64_t n = f->pos.seq + 1; n <= last && !stop_requested; n++) {
        if (n < first) {
            int wait;
            int r = follow_rebootstrap(f, first, last, created, &wait);
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
                follow_waiting(f, why);
                *caught_up = 1;
            }
            return RUN_ON;
        }
        uint64_t used;
        int wait;
        int r = follow_apply_msg(f, m, n, last, &used, &wait);
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
    int rc = follow_pos_read(f);
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
        case 'k':
            if (cmd_parse_uint("follow", "--skip", optarg, 1, UINT64_MAX,
                               "a stream sequence number", &skip_seq))
                return 2;
            break;
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
    cmd_prefault(f.cat, "follow");
    pl_cpu_share_every(CMD_CPU_SHARE_US);
    rc = follow_pos_read(&f);
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
