/* The store follower of pricelane-load follow (cmd_follow.c: options, the
 * loop, --status, --skip), private to the loader: applying the stream's
 * messages (follow_msg.c) and re-bootstrapping from a zone snapshot
 * (follow_snap.c). docs/distribution.md describes what it does. */
#pragma once
#include <nats/nats.h>
#include <stddef.h>
#include <stdint.h>

#include "dist.h"
#include "pricelane/catalog.h"

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

/* follow_gather's outcomes. */
enum { GATHER_OK = 0, GATHER_WAIT = 1, GATHER_BAD = 2 };

/* ---- follow_msg.c ---------------------------------------------------------- */

/* The position as committed (a catalogue never followed: the stream's name,
 * sequence 0). 0 or a catalogue error. */
int follow_pos_read(follower_t *f);
/* Writes a position in a transaction of its own (a batch already applied,
 * a stop, a skip, a snapshot's message passed). 0 or a catalogue error. */
int follow_pos_write(follower_t *f, const pl_follow_t *p);
/* Prints "waiting: why" once until the reason changes. */
void follow_waiting(follower_t *f, const char *why);
/* Records that the follower stopped at seq (batch: its id, "" unknown) and
 * why, prints it with what to do. Returns RUN_STOPPED. */
int follow_stop_at(follower_t *f, uint64_t seq, uint64_t head, const char *batch, const char *why);
/* "I/N" with 1 <= I <= N <= DIST_PARTS_MAX: 0, else -1. */
int follow_parse_part(const char *s, int *i, int *n);
/* 1 when s is 32 lower-case hex digits. */
int follow_hex32(const char *s);
/* Gathers the message m at seq, part 1 of nparts of `batch`, and the parts
 * at the following sequences into a new memfd (*fd, the caller's to close);
 * with a digest the bytes must give it. Returns GATHER_OK, GATHER_WAIT (a
 * part not in the stream yet, or the link), GATHER_BAD with why, or -errno. */
int follow_gather(follower_t *f, natsMsg *m, uint64_t seq, uint64_t head, const char *batch,
                  int nparts, const char *digest, int *fd, char *why, size_t whylen);
/* Applies the batch whose message (or first part) is m at seq; *used is
 * the last sequence it took, *wait is set when its parts are not all there.
 * Returns RUN_ON, RUN_STOPPED or RUN_FATAL. */
int follow_apply_msg(follower_t *f, natsMsg *m, uint64_t seq, uint64_t head, uint64_t *used,
                     int *wait);

/* ---- follow_snap.c --------------------------------------------------------- */

/* The next batch was removed by the stream's retention (its first is
 * `first`): loads the zone's newest usable snapshot in one transaction, or
 * waits for one (*wait). Returns RUN_ON or RUN_FATAL. */
int follow_rebootstrap(follower_t *f, uint64_t first, uint64_t head, int64_t created, int *wait);
