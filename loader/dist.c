/* The distribution settings, the NATS connection and the zones' streams. */
#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"

void dist_conf_defaults(dist_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->stream_prefix, sizeof(c->stream_prefix), "PRICELANE_");
    snprintf(c->subject_prefix, sizeof(c->subject_prefix), "pricelane.zone.");
    snprintf(c->snapshot_prefix, sizeof(c->snapshot_prefix), "pricelane.snapshot.");
    snprintf(c->notify_prefix, sizeof(c->notify_prefix), "pricelane.stored.");
    snprintf(c->storage, sizeof(c->storage), "file");
    c->replicas = 1;
    c->max_age = 30 * 86400;
    c->duplicate_window = 86400;
    c->timeout_ms = 5000;
}

enum kind { K_STR, K_INT };

static const struct setting {
    const char *name;
    enum kind kind;
    size_t off, size;
    int64_t min, max;
} settings[] = {
#define S(n) #n, K_STR, offsetof(dist_conf_t, n), sizeof(((dist_conf_t *)0)->n), 0, 0
#define I(n, lo, hi) #n, K_INT, offsetof(dist_conf_t, n), sizeof(((dist_conf_t *)0)->n), lo, hi
    {S(url)},
    {S(stream_prefix)},
    {S(subject_prefix)},
    {S(snapshot_prefix)},
    {S(notify_prefix)},
    {S(storage)},
    {I(replicas, 1, 5)},
    {I(max_age, 0, 100LL * 365 * 86400)},
    {I(max_msgs, 0, INT64_MAX)},
    {I(max_bytes, 0, INT64_MAX)},
    {I(duplicate_window, 1, 30LL * 86400)},
    {I(timeout_ms, 100, 600000)},
    {S(user)},
    {S(password)},
    {S(creds)},
    {S(nkey_seed)},
    {S(tls_ca)},
    {S(tls_cert)},
    {S(tls_key)},
#undef S
#undef I
};

struct load_ctx {
    dist_conf_t *c;
    const char *path;
    char *err; /* "key: why" */
    size_t errlen;
    int failed;
};

static int prefix_ok(const char *s, int subject)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-' || (subject && ch == '.');
        if (!ok)
            return 0;
    }
    return 1;
}

static int on_key(void *arg, const char *section, const char *name, const char *value)
{
    struct load_ctx *x = arg;
    /* Keep the first message (inih reports the first bad line). A message
     * lacks the line: dist_conf_load adds what inih returns. */
    if (x->failed)
        return 1;
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        int n_ = snprintf(x->err, x->errlen, "%s: ", name);                                        \
        if (n_ > 0 && (size_t)n_ < x->errlen)                                                      \
            snprintf(x->err + n_, x->errlen - (size_t)n_, __VA_ARGS__);                            \
        x->failed = 1;                                                                             \
        return 0;                                                                                  \
    } while (0)
    if (section[0] && strcmp(section, "distribution") != 0)
        FAIL("in section [%.64s]: the settings go at the top or in [distribution]", section);
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        const struct setting *s = &settings[i];
        if (strcmp(s->name, name) != 0)
            continue;
        char *field = (char *)x->c + s->off;
        if (s->kind == K_STR) {
            if (strlen(value) >= s->size)
                FAIL("longer than %zu bytes", s->size - 1);
            snprintf(field, s->size, "%s", value);
            return 1;
        }
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (end == value || *end || errno || v < s->min || v > s->max)
            FAIL("\"%s\": expected a whole number from %" PRId64 " to %" PRId64, value, s->min,
                 s->max);
        if (s->size == sizeof(int))
            *(int *)field = (int)v;
        else
            *(int64_t *)field = v;
        return 1;
    }
    FAIL("unknown setting (docs/distribution.md lists them)");
#undef FAIL
}

int dist_conf_load(dist_conf_t *c, const char *path, char *err, size_t errlen)
{
    dist_conf_t tmp = *c;
    char why[400] = "";
    struct load_ctx x = {&tmp, path, why, sizeof(why), 0};
    errno = 0;
    int rc = ini_parse(path, on_key, &x);
    if (rc == -1) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno ? errno : ENOENT));
        return -1;
    }
    if (rc < -1) {
        snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
        return -1;
    }
    if (rc > 0) {
        snprintf(err, errlen, "%s:%d: %s", path, rc,
                 x.failed ? why : "not a setting line (expected key = value)");
        return -1;
    }
    if (!prefix_ok(tmp.stream_prefix, 0) || !prefix_ok(tmp.subject_prefix, 1) ||
        !prefix_ok(tmp.snapshot_prefix, 1) || !prefix_ok(tmp.notify_prefix, 1)) {
        snprintf(err, errlen,
                 "%s: stream_prefix may hold letters, digits, - and _; subject_prefix, "
                 "snapshot_prefix and notify_prefix also .",
                 path);
        return -1;
    }
    if (strcmp(tmp.subject_prefix, tmp.snapshot_prefix) == 0 ||
        strcmp(tmp.subject_prefix, tmp.notify_prefix) == 0 ||
        strcmp(tmp.snapshot_prefix, tmp.notify_prefix) == 0) {
        snprintf(err, errlen, "%s: subject_prefix, snapshot_prefix and notify_prefix must differ",
                 path);
        return -1;
    }
    if (strcmp(tmp.storage, "file") != 0 && strcmp(tmp.storage, "memory") != 0) {
        snprintf(err, errlen, "%s: storage \"%s\": expected file or memory", path, tmp.storage);
        return -1;
    }
    *c = tmp;
    return 0;
}

int dist_zone_check(const char *zone, char *err, size_t errlen)
{
    size_t n = strlen(zone);
    if (n == 0 || n > PL_SCOPE_MAX || !prefix_ok(zone, 0)) {
        snprintf(err, errlen,
                 "zone \"%s\": a distributed zone id is 1 to %d letters, digits, - or _ (it "
                 "names a stream and a subject)",
                 zone, PL_SCOPE_MAX);
        return -1;
    }
    return 0;
}

void dist_stream_name(const dist_conf_t *c, const char *zone, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", c->stream_prefix, zone);
}

void dist_subject(const dist_conf_t *c, const char *zone, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", c->subject_prefix, zone);
}

void dist_snapshot_subject(const dist_conf_t *c, const char *zone, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", c->snapshot_prefix, zone);
}

void dist_notify_subject(const dist_conf_t *c, const char *zone, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", c->notify_prefix, zone);
}

const char *dist_why(natsStatus s, jsErrCode jerr, char *buf, size_t cap)
{
    const char *last = nats_GetLastError(NULL);
    int n = snprintf(buf, cap, "%s", natsStatus_GetText(s));
    if (jerr && n >= 0 && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, " (JetStream error %d)", (int)jerr);
    if (last && *last && n >= 0 && (size_t)n < cap && !strstr(buf, last))
        snprintf(buf + n, cap - (size_t)n, ": %s", last);
    return buf;
}

int dist_connect(const dist_conf_t *c, int keep_trying, natsConnection **nc, jsCtx **js, char *err,
                 size_t errlen)
{
    natsOptions *o = NULL;
    natsStatus s = natsOptions_Create(&o);
    char why[256];
    /* A list of servers (a cluster) is split here: the client takes one
     * URL per entry. */
    char urls[DIST_PATH_MAX], *save = NULL;
    const char *list[16];
    int n = 0;
    snprintf(urls, sizeof(urls), "%s", c->url);
    for (char *u = strtok_r(urls, ", ", &save); u && n < 16; u = strtok_r(NULL, ", ", &save))
        list[n++] = u;
    if (s == NATS_OK)
        s = n ? natsOptions_SetServers(o, list, n) : NATS_INVALID_ARG;
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, c->timeout_ms);
    if (s == NATS_OK)
        s = natsOptions_SetName(o, "pricelane-load");
    if (s == NATS_OK && keep_trying) {
        s = natsOptions_SetMaxReconnect(o, -1);
        if (s == NATS_OK)
            s = natsOptions_SetReconnectWait(o, 250);
        if (s == NATS_OK)
            s = natsOptions_SetRetryOnFailedConnect(o, true, NULL, NULL);
    }
    if (s == NATS_OK && c->user[0])
        s = natsOptions_SetUserInfo(o, c->user, c->password);
    if (s == NATS_OK && c->creds[0])
        s = natsOptions_SetUserCredentialsFromFiles(o, c->creds, NULL);
    if (s == NATS_OK && c->nkey_seed[0])
        s = natsOptions_SetNKeyFromSeed(o, NULL, c->nkey_seed);
    if (s == NATS_OK && (c->tls_ca[0] || c->tls_cert[0]))
        s = natsOptions_SetSecure(o, true);
    if (s == NATS_OK && c->tls_ca[0])
        s = natsOptions_LoadCATrustedCertificates(o, c->tls_ca);
    if (s == NATS_OK && c->tls_cert[0])
        s = natsOptions_LoadCertificatesChain(o, c->tls_cert, c->tls_key);
    if (s != NATS_OK) {
        snprintf(err, errlen, "NATS settings: %s", dist_why(s, 0, why, sizeof(why)));
        natsOptions_Destroy(o);
        return -1;
    }
    s = natsConnection_Connect(nc, o);
    /* Retrying a failed first connect: the handle exists, not connected yet. */
    if (s == NATS_NOT_YET_CONNECTED && keep_trying)
        s = NATS_OK;
    natsOptions_Destroy(o);
    if (s != NATS_OK) {
        snprintf(err, errlen, "%s: %s", c->url, dist_why(s, 0, why, sizeof(why)));
        *nc = NULL;
        return -1;
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = c->timeout_ms;
    s = natsConnection_JetStream(js, *nc, &jo);
    if (s != NATS_OK) {
        snprintf(err, errlen, "%s: JetStream: %s", c->url, dist_why(s, 0, why, sizeof(why)));
        natsConnection_Destroy(*nc);
        *nc = NULL;
        return -1;
    }
    return 0;
}

void dist_close(natsConnection *nc, jsCtx *js)
{
    jsCtx_Destroy(js);
    if (nc) {
        natsConnection_Close(nc);
        natsConnection_Destroy(nc);
    }
}

int dist_stream_ensure(jsCtx *js, const dist_conf_t *c, const char *zone, jsStreamInfo **si,
                       char *err, size_t errlen)
{
    char name[96], subject[96], snap[96], notify[96], why[256];
    jsErrCode jerr = 0;
    dist_stream_name(c, zone, name, sizeof(name));
    dist_subject(c, zone, subject, sizeof(subject));
    dist_snapshot_subject(c, zone, snap, sizeof(snap));
    dist_notify_subject(c, zone, notify, sizeof(notify));
    jsRePublish rp = {subject, notify, true};
    natsStatus s = js_GetStreamInfo(si, js, name, NULL, &jerr);
    if (s == NATS_OK) {
        jsStreamConfig *cfg = (*si)->Config;
        int has_snap = 0;
        for (int i = 0; cfg && i < cfg->SubjectsLen; i++)
            has_snap |= strcmp(cfg->Subjects[i], snap) == 0;
        if (!cfg || (has_snap && cfg->RePublish) || cfg->SubjectsLen >= 8)
            return 0; /* as it should be, or not ours to rearrange */
        /* A stream made before snapshots or republishing: add them. */
        const char *subs[9];
        for (int i = 0; i < cfg->SubjectsLen; i++)
            subs[i] = cfg->Subjects[i];
        jsStreamConfig up = *cfg;
        if (!has_snap)
            subs[cfg->SubjectsLen] = snap;
        up.Subjects = subs;
        up.SubjectsLen = cfg->SubjectsLen + !has_snap;
        if (!cfg->RePublish)
            up.RePublish = &rp;
        jsStreamInfo *ni = NULL;
        s = js_UpdateStream(&ni, js, &up, NULL, &jerr);
        if (s != NATS_OK) {
            snprintf(err, errlen, "stream %s: adding the subject %s and republishing to %s: %s",
                     name, snap, notify, dist_why(s, jerr, why, sizeof(why)));
            jsStreamInfo_Destroy(*si);
            *si = NULL;
            return -1;
        }
        jsStreamInfo_Destroy(*si);
        *si = ni;
        return 0;
    }
    if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
        snprintf(err, errlen, "stream %s: %s", name, dist_why(s, jerr, why, sizeof(why)));
        return -1;
    }
    jsStreamConfig sc;
    const char *subjects[2] = {subject, snap};
    jsStreamConfig_Init(&sc);
    sc.Name = name;
    sc.Subjects = subjects;
    sc.SubjectsLen = 2;
    sc.Retention = js_LimitsPolicy;
    sc.Storage = strcmp(c->storage, "memory") == 0 ? js_MemoryStorage : js_FileStorage;
    sc.Replicas = c->replicas;
    sc.MaxAge = c->max_age * 1000000000LL;
    sc.MaxMsgs = c->max_msgs ? c->max_msgs : -1;
    sc.MaxBytes = c->max_bytes ? c->max_bytes : -1;
    /* JetStream refuses a duplicate window longer than the messages live. */
    int64_t window =
        c->max_age && c->duplicate_window > c->max_age ? c->max_age : c->duplicate_window;
    sc.Duplicates = window * 1000000000LL;
    sc.Discard = js_DiscardOld;
    sc.DenyDelete = true; /* a batch is never removed by hand, only by retention */
    sc.RePublish = &rp;
    jerr = 0;
    s = js_AddStream(si, js, &sc, NULL, &jerr);
    if (s != NATS_OK) {
        snprintf(err, errlen, "creating stream %s (subjects %s and %s, %d replica%s): %s", name,
                 subject, snap, c->replicas, c->replicas == 1 ? "" : "s",
                 dist_why(s, jerr, why, sizeof(why)));
        return -1;
    }
    return 0;
}
