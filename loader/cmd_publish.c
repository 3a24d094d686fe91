/* publish: headquarters sends change batches to the zones' streams. Each
 * file is applied to headquarters' own catalogue first, with the same
 * parser, rules and transaction as apply; only a batch that committed there
 * (or was applied there before with the same bytes) is published. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "cmds.h"
#include "dist.h"
#include "load.h"
#include "pricelane/err.h"
#include "pricelane/snapshot.h"

#define MAX_ZONES 256

typedef struct zones {
    char id[MAX_ZONES][PL_SCOPE_MAX + 1];
    int n, overflow;
} zones_t;

static int add_zone(const pl_store_t *st, void *arg)
{
    zones_t *z = arg;
    for (int i = 0; i < z->n; i++)
        if (strcmp(z->id[i], st->zone) == 0)
            return 0;
    if (z->n == MAX_ZONES) {
        z->overflow = 1;
        return 0;
    }
    snprintf(z->id[z->n++], PL_SCOPE_MAX + 1, "%s", st->zone);
    return 0;
}

/* The zones of headquarters' catalogue (the zones of its stores). */
static int catalogue_zones(pl_cat_t *cat, zones_t *z)
{
    pl_txn_t *txn;
    int rc = pl_txn_begin(cat, 0, &txn);
    if (!rc) {
        rc = pl_store_each(txn, add_zone, z);
        pl_txn_abort(txn);
    }
    return rc;
}

/* The zones to publish to: `zone` when some store of headquarters'
 * catalogue belongs to it, or with "all" every zone of its stores. Prints
 * why not and returns -1 when there is none. */
static int target_zones(pl_cat_t *cat, const char *db, const char *zone, zones_t *z)
{
    char err[256];
    int all = strcmp(zone, "all") == 0, known = 0;
    memset(z, 0, sizeof(*z));
    int rc = catalogue_zones(cat, z);
    if (rc) {
        fprintf(stderr, "pricelane-load publish: %s: reading the stores: %s\n", db,
                pl_strerror(rc));
        return -1;
    }
    for (int i = 0; i < z->n; i++) {
        known |= !all && strcmp(z->id[i], zone) == 0;
        if (all && dist_zone_check(z->id[i], err, sizeof(err))) {
            fprintf(stderr, "pricelane-load publish: %s: %s\n", db, err);
            return -1;
        }
    }
    if (!all && !known) {
        fprintf(stderr, "pricelane-load publish: zone %s: no store of %s belongs to it\n", zone,
                db);
        return -1;
    }
    if (all && (z->n == 0 || z->overflow)) {
        fprintf(stderr, "pricelane-load publish: %s: %s\n", db,
                z->n == 0 ? "no store, so no zone to publish to"
                          : "more than 256 zones: publish zone by zone");
        return -1;
    }
    if (!all) {
        snprintf(z->id[0], PL_SCOPE_MAX + 1, "%s", zone);
        z->n = 1;
    }
    return 0;
}

/* "csv" or "jsonl" from the file name; NULL when it is neither. */
static const char *file_format(const char *path)
{
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base + 1 : path, '.');
    if (dot && strcasecmp(dot, ".csv") == 0)
        return "csv";
    if (dot && (strcasecmp(dot, ".jsonl") == 0 || strcasecmp(dot, ".ndjson") == 0))
        return "jsonl";
    return NULL;
}

/* Reads the whole file into *buf. */
static int read_all(int fd, char **buf, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -errno;
    char *b = malloc((size_t)st.st_size + 1);
    if (!b)
        return -ENOMEM;
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = pread(fd, b + got, (size_t)st.st_size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(b);
            return n < 0 ? -errno : PL_ECHANGED;
        }
        got += (size_t)n;
    }
    *buf = b;
    *len = got;
    return 0;
}

/* The bytes about to be sent are the bytes the ledger holds for the batch:
 * the file cannot have changed between the apply and the read. */
static int same_as_ledger(pl_cat_t *cat, const char *batch, const char *data, size_t len,
                          char hex[33])
{
    pl_txn_t *txn;
    pl_batch_rec_t rec;
    if (pl_txn_begin(cat, 0, &txn))
        return 0;
    int rc = pl_batch_get(txn, batch, &rec);
    pl_txn_abort(txn);
    if (rc)
        return 0;
    XXH128_hash_t h = XXH3_128bits(data, len);
    snprintf(hex, 33, "%016" PRIx64 "%016" PRIx64, h.high64, h.low64);
    return strcmp(hex, rec.digest) == 0;
}

/* One message of a batch: the whole batch (nparts 1) or its part `part` of
 * nparts. Parts 2.. are published expecting the previous part to be the
 * stream's last message, so a batch's parts are consecutive in the stream
 * (a follower requires it). Returns 0 with the sequence in *seq. */
/* A snapshot (snap: its position and the stream's creation instant, as
 * text) always carries the part headers, one part or more. */
typedef struct snap_hdrs {
    char pos[24], created[24];
} snap_hdrs_t;

static int publish_msg(jsCtx *js, const char *subject, const char *zone, const char *batch,
                       const char *format, const char *digest, const char *data, size_t len,
                       int part, int nparts, uint64_t prev_seq, const snap_hdrs_t *snap,
                       uint64_t *seq, int *dup)
{
    char msgid[PL_BATCH_ID_MAX + 32], partv[32], why[256];
    natsMsg *m = NULL;
    natsStatus s = natsMsg_Create(&m, subject, NULL, data, (int)len);
    if (s == NATS_OK)
        s = natsMsgHeader_Set(m, DIST_HDR_BATCH, batch);
    if (s == NATS_OK)
        s = natsMsgHeader_Set(m, DIST_HDR_FORMAT, format);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MsgId = batch; /* JetStream drops a retried publish inside its window */
    if (snap && s == NATS_OK)
        s = natsMsgHeader_Set(m, DIST_HDR_SNAPSHOT, snap->pos);
    if (snap && s == NATS_OK)
        s = natsMsgHeader_Set(m, DIST_HDR_CREATED, snap->created);
    if (nparts > 1 || snap) {
        snprintf(partv, sizeof(partv), "%d/%d", part, nparts);
        snprintf(msgid, sizeof(msgid), "%s#%d/%d", batch, part, nparts);
        po.MsgId = msgid;
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, DIST_HDR_PART, partv);
        if (s == NATS_OK)
            s = natsMsgHeader_Set(m, DIST_HDR_DIGEST, digest);
        if (part > 1)
            po.ExpectLastSeq = prev_seq;
    }
    jsPubAck *ack = NULL;
    jsErrCode jerr = 0;
    if (s == NATS_OK)
        s = js_PublishMsg(&ack, js, m, &po, &jerr);
    natsMsg_Destroy(m);
    if (s != NATS_OK) {
        if (nparts > 1)
            snprintf(partv, sizeof(partv), " (part %d of %d)", part, nparts);
        fprintf(stderr,
                "pricelane-load publish: batch %s%s to zone %s: %s; publish it again (the same "
                "batch id is applied once)%s\n",
                batch, nparts > 1 ? partv : "", zone, dist_why(s, jerr, why, sizeof(why)),
                jerr == JSStreamWrongLastSequenceErr
                    ? "; another message came between its parts: publish the file again under a "
                      "new batch id, and pass the stranded parts at the stores with follow --skip"
                    : "");
        return -1;
    }
    *seq = ack->Sequence;
    *dup = ack->Duplicate;
    jsPubAck_Destroy(ack);
    return 0;
}

/* Publishes a batch to a zone: one message, or consecutive parts of at
 * most part_max bytes each when it is larger. */
static int publish_one(jsCtx *js, const dist_conf_t *conf, const char *zone, const char *batch,
                       const char *format, const char *digest, const char *data, size_t len,
                       size_t part_max, const snap_hdrs_t *snap)
{
    char subject[96], err[512];
    jsStreamInfo *si = NULL;
    if (dist_stream_ensure(js, conf, zone, &si, err, sizeof(err))) {
        fprintf(stderr, "pricelane-load publish: %s\n", err);
        return -1;
    }
    if (snap && si->Created != strtoll(snap->created, NULL, 10)) {
        fprintf(stderr,
                "pricelane-load publish: --snapshot: the catalogue followed another history of "
                "stream %s (created %s ns, the server's %" PRId64 " ns): nothing was published\n",
                si->Config->Name, snap->created, si->Created);
        jsStreamInfo_Destroy(si);
        return -1;
    }
    jsStreamInfo_Destroy(si);
    if (snap)
        dist_snapshot_subject(conf, zone, subject, sizeof(subject));
    else
        dist_subject(conf, zone, subject, sizeof(subject));
    size_t nparts = len <= part_max ? 1 : (len + part_max - 1) / part_max;
    if (nparts > DIST_PARTS_MAX) {
        fprintf(stderr,
                "pricelane-load publish: batch %s: %zu bytes would be %zu parts, more than %d: "
                "split it into several batches\n",
                batch, len, nparts, DIST_PARTS_MAX);
        return -1;
    }
    uint64_t seq = 0, first = 0;
    int dup = 0, dups = 0;
    for (size_t i = 0; i < nparts; i++) {
        size_t off = i * part_max, n = len - off < part_max ? len - off : part_max;
        if (publish_msg(js, subject, zone, batch, format, digest, data + off, n, (int)i + 1,
                        (int)nparts, seq, snap, &seq, &dup))
            return -1;
        dups += dup;
        if (i == 0)
            first = seq;
    }
    char stream[96];
    dist_stream_name(conf, zone, stream, sizeof(stream));
    if (nparts == 1)
        printf("published batch %s to zone %s: stream %s sequence %" PRIu64 "%s\n", batch, zone,
               stream, seq,
               dups ? " (a duplicate of the same batch id: dropped by the stream)" : "");
    else
        printf("published batch %s to zone %s: stream %s sequences %" PRIu64 "-%" PRIu64
               " (%zu parts, %zu bytes)%s\n",
               batch, zone, stream, first, seq, nparts, len,
               dups == (int)nparts ? " (duplicates of the same batch id: dropped by the stream)"
               : dups              ? " (the first parts were there already: completed)"
                                   : "");
    return 0;
}

/* --snapshot: the whole catalogue DIR, which follows the zone's stream, as
 * a snapshot standing at its position. */
static int publish_snapshot(const dist_conf_t *conf, const char *db, const char *zone)
{
    char stream[96], err[512];
    pl_follow_t pos;
    pl_txn_t *txn = NULL;
    uint64_t records = 0;
    dist_stream_name(conf, zone, stream, sizeof(stream));
    pl_cat_t *cat = cmd_open_db(db, 1);
    if (!cat)
        return 1;
    int fd = memfd_create("pricelane-snapshot", MFD_CLOEXEC);
    int rc = fd < 0 ? -errno : pl_txn_begin(cat, 0, &txn);
    if (!rc)
        rc = pl_follow_get(txn, &pos);
    if (rc == PL_ENOTFOUND || (!rc && (strcmp(pos.stream, stream) != 0 || pos.stopped))) {
        fprintf(stderr,
                "pricelane-load publish: --snapshot: %s %s; a snapshot of zone %s is taken from a "
                "catalogue that follows %s (pricelane-load follow)\n",
                db,
                rc                                ? "follows no stream"
                : strcmp(pos.stream, stream) != 0 ? "follows another stream"
                                                  : "is stopped at a batch",
                zone, stream);
        pl_txn_abort(txn);
        pl_cat_close(cat);
        if (fd >= 0)
            close(fd);
        return 1;
    }
    if (!rc)
        rc = pl_snapshot_write(txn, fd, &records);
    pl_txn_abort(txn);
    pl_cat_close(cat);
    char *data = NULL;
    size_t len = 0;
    if (!rc)
        rc = read_all(fd, &data, &len);
    if (fd >= 0)
        close(fd);
    if (rc) {
        fprintf(stderr, "pricelane-load publish: --snapshot: %s: %s\n", db, pl_strerror(rc));
        free(data);
        return 1;
    }
    XXH128_hash_t h = XXH3_128bits(data, len);
    char digest[33], id[PL_BATCH_ID_MAX + 1];
    snprintf(digest, sizeof(digest), "%016" PRIx64 "%016" PRIx64, h.high64, h.low64);
    snprintf(id, sizeof(id), "snapshot@%" PRIu64, pos.seq);
    snap_hdrs_t sh;
    snprintf(sh.pos, sizeof(sh.pos), "%" PRIu64, pos.seq);
    snprintf(sh.created, sizeof(sh.created), "%" PRId64, pos.created);
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    if (dist_connect(conf, 0, &nc, &js, err, sizeof(err))) {
        fprintf(stderr, "pricelane-load publish: %s; nothing was published\n", err);
        free(data);
        return 1;
    }
    int64_t max = natsConnection_GetMaxPayload(nc);
    size_t part_max =
        max > 2 * DIST_HEADER_ROOM ? (size_t)(max - DIST_HEADER_ROOM) : (size_t)DIST_HEADER_ROOM;
    printf("snapshot of %s at %s sequence %" PRIu64 ": %" PRIu64 " records, %zu bytes\n", db,
           stream, pos.seq, records, len);
    rc = publish_one(js, conf, zone, id, "snapshot", digest, data, len, part_max, &sh);
    dist_close(nc, js);
    free(data);
    return rc ? 1 : 0;
}

static void usage(void)
{
    printf("usage: pricelane-load publish --db DIR --nats URL --zone ZONE|all [--config FILE]\n"
           "                              [--quiet] FILE...\n"
           "       pricelane-load publish --snapshot --db REPLICA --nats URL --zone ZONE\n"
           "                              [--config FILE]\n\n"
           "Headquarters' side of the distribution (docs/distribution.md). Each FILE is\n"
           "applied to headquarters' catalogue DIR first, exactly as 'apply' does (the same\n"
           "parser, rules and one transaction); a refused file is listed row by row and\n"
           "NOTHING of it is published, and files after it are not attempted. A batch that\n"
           "committed, or was applied before with the same bytes, is then published to the\n"
           "stream of ZONE (or of every zone of DIR's stores with 'all'), created with the\n"
           "settings when missing. Its message id (Nats-Msg-Id) is the batch id, so a\n"
           "publish retried after a timeout is dropped by the stream, and a store applies a\n"
           "batch id once whatever reaches it. A batch larger than the server's max payload\n"
           "is sent as consecutive parts (batch id, part number, count, digest), applied\n"
           "by a store only whole.\n"
           "\n"
           "  --db DIR       headquarters' catalogue\n"
           "  --nats URL     NATS server(s), nats://host:4222[,nats://...] (also the\n"
           "                 setting url)\n"
           "  --zone ZONE    a price zone of DIR's stores, or all\n"
           "  --config FILE  settings file, section [distribution]: stream and subject\n"
           "                 names, retention, replicas, credentials, TLS\n"
           "  --quiet        no summary lines\n"
           "  --snapshot     publish the whole catalogue REPLICA, a catalogue that follows\n"
           "                 ZONE's stream without --store, as a snapshot standing at its\n"
           "                 position: stores whose next batch the stream's retention\n"
           "                 removed load it and go on from there\n"
           "\n"
           "Exit status: 0 every file published, 1 refused or not published, 2 usage.\n");
}

int cmd_publish(int argc, char **argv)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'},    {"nats", 1, 0, 'u'},     {"zone", 1, 0, 'z'}, {"config", 1, 0, 'c'},
        {"quiet", 0, 0, 'q'}, {"snapshot", 0, 0, 's'}, {"help", 0, 0, 'h'}, {0}};
    const char *db = NULL, *url = NULL, *zone = NULL, *config = NULL;
    int quiet = 0, snapshot = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "q", lo, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'u':
            url = optarg;
            break;
        case 'z':
            zone = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 's':
            snapshot = 1;
            break;
        case 'h':
            usage();
            return 0;
        default:
            return 2;
        }
    }
    dist_conf_t conf;
    char err[512];
    dist_conf_defaults(&conf);
    if (config && dist_conf_load(&conf, config, err, sizeof(err))) {
        fprintf(stderr, "pricelane-load publish: %s\n", err);
        return 2;
    }
    if (url)
        snprintf(conf.url, sizeof(conf.url), "%s", url);
    if (!conf.url[0] || !zone || !db || (optind >= argc && !snapshot)) {
        fprintf(stderr, "pricelane-load publish: %s is required\n",
                !db            ? "--db DIR"
                : !conf.url[0] ? "--nats URL (or the setting url)"
                : !zone        ? "--zone ZONE"
                               : "a FILE");
        return 2;
    }
    if (snapshot && (optind < argc || strcmp(zone, "all") == 0)) {
        fprintf(stderr, "pricelane-load publish: --snapshot takes one zone and no FILE\n");
        return 2;
    }
    if (strcmp(zone, "all") != 0 && dist_zone_check(zone, err, sizeof(err))) {
        fprintf(stderr, "pricelane-load publish: %s\n", err);
        return 2;
    }
    if (snapshot)
        return publish_snapshot(&conf, db, zone);
    pl_cat_t *cat = cmd_open_db(db, 0);
    if (!cat)
        return 1;
    zones_t *zones = calloc(1, sizeof(*zones));
    int rc = zones ? 0 : -ENOMEM;
    if (rc) {
        fprintf(stderr, "pricelane-load publish: %s\n", pl_strerror(rc));
        goto out_cat;
    }
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    if (dist_connect(&conf, 0, &nc, &js, err, sizeof(err))) {
        fprintf(stderr, "pricelane-load publish: %s; nothing was published\n", err);
        rc = -1;
        goto out_cat;
    }
    /* A part leaves room for the headers within the server's max payload. */
    int64_t max = natsConnection_GetMaxPayload(nc);
    size_t part_max =
        max > 2 * DIST_HEADER_ROOM ? (size_t)(max - DIST_HEADER_ROOM) : (size_t)DIST_HEADER_ROOM;
    for (int f = optind; f < argc && !rc; f++) {
        const char *path = argv[f], *format = file_format(path);
        if (!format) {
            fprintf(stderr,
                    "pricelane-load publish: %s: the name must end in .csv, .jsonl or .ndjson "
                    "(it gives the format); nothing was published\n",
                    path);
            rc = -1;
            break;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            fprintf(stderr, "pricelane-load publish: %s: cannot open: %s\n", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            rc = -1;
            break;
        }
        load_opts_t o = {0};
        load_result_t res;
        pl_diags_t d;
        pl_diags_init(&d);
        o.fds = &fd;
        rc = load_files(cat, (char **)&argv[f], 1, &o, &d, &res);
        pl_diags_print(&d);
        if (rc) {
            char why[192];
            if (rc == PL_EFORMAT)
                fprintf(stderr,
                        "pricelane-load publish: %s: %zu problem%s; nothing of it was "
                        "applied or published\n",
                        path, d.count, d.count == 1 ? "" : "s");
            else
                fprintf(stderr,
                        "pricelane-load publish: %s: %s; nothing of it was applied or "
                        "published\n",
                        path, cmd_storage_error(db, rc, why, sizeof(why)));
            pl_diags_free(&d);
            close(fd);
            break;
        }
        pl_diags_free(&d);
        if (!quiet)
            printf(res.already ? "batch %s already applied at headquarters (generation %" PRIu64
                                 "): publishing it again\n"
                               : "applied batch %s at headquarters: generation %" PRIu64 "\n",
                   res.batch, res.gen);
        /* A header cannot carry a line break: such an id cannot travel. */
        int ctl = 0;
        for (const char *ch = res.batch; *ch; ch++)
            ctl |= (unsigned char)*ch < 0x20 || *ch == 0x7f;
        if (ctl) {
            fprintf(stderr,
                    "pricelane-load publish: %s: the batch id holds a control character "
                    "and cannot be sent in a message header; nothing of it was published "
                    "(use an id of letters, digits, - _ .)\n",
                    path);
            close(fd);
            rc = -1;
            break;
        }
        /* The zones after the batch: a first batch creates the stores. */
        if (target_zones(cat, db, zone, zones)) {
            fprintf(stderr,
                    "pricelane-load publish: %s: nothing of it was published (it is "
                    "applied at headquarters; publish it again to the right zone)\n",
                    path);
            close(fd);
            rc = -1;
            break;
        }
        char *data = NULL;
        size_t len = 0;
        char digest[33];
        rc = read_all(fd, &data, &len);
        close(fd);
        if (!rc && !same_as_ledger(cat, res.batch, data, len, digest))
            rc = PL_ECHANGED;
        if (rc) {
            fprintf(stderr, "pricelane-load publish: %s: %s; nothing of it was published\n", path,
                    rc == PL_ECHANGED ? "the file changed after it was applied" : pl_strerror(rc));
            free(data);
            break;
        }
        for (int z = 0; z < zones->n && !rc; z++)
            rc = publish_one(js, &conf, zones->id[z], res.batch, format, digest, data, len,
                             part_max, NULL);
        free(data);
    }
    dist_close(nc, js);
out_cat:
    free(zones);
    pl_cat_close(cat);
    return rc ? 1 : 0;
}
