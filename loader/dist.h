/* Distribution from headquarters to the stores over NATS JetStream: the
 * settings (one [distribution] section of an INI file), the connection and
 * the zones' streams. docs/distribution.md describes the shape. */
#pragma once
#include <nats/nats.h>
#include <stddef.h>
#include <stdint.h>

#include "pricelane/catalog.h"

#define DIST_PATH_MAX 512

typedef struct dist_conf {
    char url[DIST_PATH_MAX];  /* nats://host:port[,nats://...] */
    char stream_prefix[32];   /* stream of zone Z: prefix + Z */
    char subject_prefix[64];  /* subject of zone Z: prefix + Z */
    char snapshot_prefix[64]; /* subject of zone Z's snapshots: prefix + Z */
    char notify_prefix[64];   /* headers of each stored batch message: prefix + Z */
    char storage[8];          /* "file" or "memory" */
    int replicas;             /* 1..5 */
    int64_t max_age;          /* seconds a message is kept; 0 = no limit */
    int64_t max_msgs;         /* messages kept per zone; 0 = no limit */
    int64_t max_bytes;        /* bytes kept per zone; 0 = no limit */
    int64_t duplicate_window; /* seconds a Nats-Msg-Id is remembered */
    int timeout_ms;           /* one request to the server */
    char user[128];
    char password[256];
    char creds[DIST_PATH_MAX];     /* a .creds file (JWT + nkey seed) */
    char nkey_seed[DIST_PATH_MAX]; /* a file holding an nkey seed */
    char tls_ca[DIST_PATH_MAX];
    char tls_cert[DIST_PATH_MAX];
    char tls_key[DIST_PATH_MAX];
} dist_conf_t;

/* Every setting to its default (docs/distribution.md lists them). */
void dist_conf_defaults(dist_conf_t *c);
/* Loads the [distribution] section of the INI file at path over *c.
 * Returns 0, or -1 with "FILE:LINE: key: why" in err. */
int dist_conf_load(dist_conf_t *c, const char *path, char *err, size_t errlen);

/* A zone id usable in a stream name and a subject: 1..15 bytes of
 * [A-Za-z0-9_-]. Returns 0, or -1 with why in err. */
int dist_zone_check(const char *zone, char *err, size_t errlen);
void dist_stream_name(const dist_conf_t *c, const char *zone, char *out, size_t cap);
void dist_subject(const dist_conf_t *c, const char *zone, char *out, size_t cap);
void dist_snapshot_subject(const dist_conf_t *c, const char *zone, char *out, size_t cap);
/* The stream republishes the headers of every batch message it stored on
 * this subject (nats-server >= 2.9): a follower's wake-up, sent only once
 * the message is in the stream, and without its bytes. */
void dist_notify_subject(const dist_conf_t *c, const char *zone, char *out, size_t cap);

/* Connects with the settings (credentials, TLS). With `keep_trying` the
 * connection is retried and re-established forever (a follower); without,
 * a server that cannot be reached is an error (publish). Returns 0 with
 * *nc and *js, or -1 with why in err. */
int dist_connect(const dist_conf_t *c, int keep_trying, natsConnection **nc, jsCtx **js, char *err,
                 size_t errlen);
void dist_close(natsConnection *nc, jsCtx *js);

/* The zone's stream (subjects: the zone's and its snapshots'; batch
 * messages' headers republished on the notify subject), created with the
 * settings when missing; a stream made without the snapshot subject or the
 * republishing gets them added. Returns 0
 * with *si (jsStreamInfo_Destroy), or -1 with why in err. */
int dist_stream_ensure(jsCtx *js, const dist_conf_t *c, const char *zone, jsStreamInfo **si,
                       char *err, size_t errlen);

/* Why a NATS call failed, in words: the status text, the JetStream error
 * code when there is one, and the library's last error. */
const char *dist_why(natsStatus s, jsErrCode jerr, char *buf, size_t cap);

/* Message headers of a batch. */
#define DIST_HDR_BATCH "Pricelane-Batch"
#define DIST_HDR_FORMAT "Pricelane-Format"
/* A batch larger than the server's max payload travels in parts: "I/N". */
#define DIST_HDR_PART "Pricelane-Part"
/* XXH3-128 of the whole batch (32 hex digits), on every part. */
#define DIST_HDR_DIGEST "Pricelane-Digest"
#define DIST_PARTS_MAX 4096
/* On a snapshot: the stream sequence it stands at, and the stream's
 * creation instant (ns) it belongs to. */
#define DIST_HDR_SNAPSHOT "Pricelane-Snapshot"
#define DIST_HDR_CREATED "Pricelane-Stream-Created"
/* Bytes of a message kept for its headers when a batch is cut into parts. */
#define DIST_HEADER_ROOM 4096
