#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

#include "pricelane/cit.h"
#include "pricelane/config.h"
#include "pricelane/err.h"

#define F(field) offsetof(pl_config_t, field), sizeof(((pl_config_t *)0)->field)

/* The one table. Order is the --help and sample order. */
static const pl_config_opt_t opts[] = {
    {"db", PL_CFG_STR, "", 0, 0, NULL, PL_CFG_REQUIRED, "DIR", "/var/lib/pricelane/catalog",
     "Catalogue directory: the LMDB environment made by `pricelane-load init`. Opened "
     "read-only: the server never writes to it.",
     F(db), 0},
    {"listen", PL_CFG_ADDR, "127.0.0.1:7070", 0, 0, NULL, 0, "ADDR:PORT", NULL,
     "Address for lookups: the line protocol over UDP and TCP and RESP2 over TCP, all on this "
     "one port. Only this address is bound; use the store network's address, not 0.0.0.0, on "
     "a multi-homed host. Port 0 picks a free port (printed on the ready line).",
     F(listen), offsetof(pl_config_t, listen_addr)},
    {"admin", PL_CFG_ADDR, "127.0.0.1:7071", 0, 0, NULL, PL_CFG_OFF, "ADDR:PORT", NULL,
     "Address of the admin HTTP listener (/metrics, /healthz, /stats), or \"off\". Keep it on "
     "loopback or a management network: it is not authenticated.",
     F(admin), offsetof(pl_config_t, admin_addr)},
    {"threads", PL_CFG_INT, "0", 0, 256, NULL, 0, "N", NULL,
     "Worker threads, each with its own UDP socket and TCP listener on the shared port. 0 = "
     "one per online CPU.",
     F(threads), 0},
    {"engine", PL_CFG_ENUM, "auto", 0, 0, "auto|uring|uv", 0, "ENGINE", NULL,
     "I/O engine: \"uring\" (io_uring), \"uv\" (libuv, epoll) or \"auto\": io_uring, falling "
     "back to libuv where the kernel or a seccomp profile refuses io_uring.",
     F(engine), 0},
    {"cache_mb", PL_CFG_INT, "64", 0, 65536, NULL, 0, "N", NULL,
     "Size of the shared-memory cache of item views in MiB; 0 turns it off (answers are the "
     "same either way, only slower).",
     F(cache_mb), 0},
    {"memo_mb", PL_CFG_INT, "32", 0, 4096, NULL, 0, "N", NULL,
     "Each worker's memo of finished answers in MiB: an answer is kept with the price "
     "generation and the span of time over which it cannot change, and served again as is "
     "while both hold. 0 turns it off (answers are the same either way, only slower).",
     F(memo_mb), 0},
    {"cache_answers", PL_CFG_ENUM, "off", 0, 0, "off|on", 0, "MODE", NULL,
     "\"on\": the shared cache also keeps the finished answers of plain codes, which a "
     "worker whose memo misses sends without evaluating the item (another worker, or the "
     "process before a restart, answered it). Off by default: each memo miss then also "
     "probes and fills the cache for the answer, which cost a one-worker server 0.81x its "
     "answers/s on 200,000 items with the default sizes (bench/RESULTS.md).",
     F(cache_answers), 0},
    {"cache_path", PL_CFG_STR, "/dev/shm/pricelane-cache", 0, 0, NULL, 0, "PATH", NULL,
     "File backing the cache segment, shared by every server on the host using the same "
     "catalogue. Survives restarts; a mismatched segment is rebuilt.",
     F(cache_path), 0},
    {"store", PL_CFG_STR, "", 0, 0, NULL, PL_CFG_RELOAD, "STORE", "S001",
     "Store id used for requests that name none (a store server sets its own id). Empty = "
     "chain-wide base prices and chain-wide promotions.",
     F(store), 0},
    {"allow", PL_CFG_ALLOW, "127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16", 0, 0,
     NULL, PL_CFG_RELOAD, "CIDRS", NULL,
     "Client networks allowed to query, comma-separated CIDR (\"any\" = everyone). UDP "
     "datagrams from elsewhere are dropped; TCP connections are closed at once.",
     F(allow), offsetof(pl_config_t, allow_list)},
    {"udp_rate", PL_CFG_INT, "2000", 0, 10000000, NULL, PL_CFG_RELOAD, "N", NULL,
     "UDP datagrams per second accepted from one source address, per worker (token bucket); "
     "excess is dropped unanswered so the server cannot amplify a spoofed flood. 0 = no "
     "limit.",
     F(udp_rate), 0},
    {"udp_burst", PL_CFG_INT, "200", 1, 10000000, NULL, PL_CFG_RELOAD, "N", NULL,
     "Token bucket depth for udp_rate: datagrams one source may send back to back.", F(udp_burst),
     0},
    {"max_connections", PL_CFG_INT, "4096", 1, 1000000, NULL, 0, "N", NULL,
     "TCP connections open at once, whole server (split evenly over the workers). At the "
     "limit a new connection evicts the one idle longest (idle for a second or more); when "
     "none is idle it is accepted and closed at once.",
     F(max_connections), 0},
    {"max_connections_per_source", PL_CFG_INT, "1024", 0, 1000000, NULL, PL_CFG_RELOAD, "N", NULL,
     "TCP connections one client address may hold at once, whole server (split evenly over "
     "the workers); 0 for no limit. Further connections from it are accepted and closed at "
     "once, so one address cannot take every slot.",
     F(max_connections_per_source), 0},
    {"idle_timeout", PL_CFG_INT, "60", 1, 86400, NULL, PL_CFG_RELOAD, "SECONDS", NULL,
     "A TCP connection with no request received and no reply byte sent for this long is "
     "closed. This also ends a client that stops reading its replies.",
     F(idle_timeout), 0},
    {"max_output_kb", PL_CFG_INT, "256", 16, 65536, NULL, PL_CFG_RELOAD, "KB", NULL,
     "Replies waiting to be sent on one TCP connection before the server stops reading its "
     "requests (back-pressure); memory per connection stays bounded.",
     F(max_output_kb), 0},
    {"max_request", PL_CFG_INT, "16384", 1024, 1048576, NULL, 0, "BYTES", NULL,
     "Largest TCP request (a RESP MGET with all its keys); a longer one gets an error and the "
     "connection is closed. Also the per-connection receive buffer.",
     F(max_request), 0},
    {"udp_buffers", PL_CFG_INT, "256", 16, 32768, NULL, 0, "N", NULL,
     "Receive buffers per worker handed to the kernel for UDP (a power of two). Datagrams "
     "arriving while all are in use wait in the socket buffer.",
     F(udp_buffers), 0},
    {"drain_timeout", PL_CFG_INT, "5", 0, 300, NULL, PL_CFG_RELOAD, "SECONDS", NULL,
     "On SIGTERM, time allowed to send the replies already due before connections are closed.",
     F(drain_timeout), 0},
    {"capacity_warn_mb", PL_CFG_INT, "1024", 0, 1048576, NULL, 0, "MIB", NULL,
     "/healthz answers \"warning\" (still 200) once the catalogue's room to grow, the free "
     "space of its file system plus its free pages, is below this many MiB; 0: never. A "
     "loader grows the map on demand, so the file system is what fills up.",
     F(capacity_warn_mb), 0},
    {"best_before", PL_CFG_ENUM, "info", 0, 0, "info|block", PL_CFG_RELOAD, "MODE", NULL,
     "What a best-before date (GS1 AI 15) in the past does to a 2D code's answer: \"info\" "
     "(it is reported, the pack is sold) or \"block\" (status \"blocked\", reason "
     "\"best_before\"). The chain's default: best_before batch rules decide per department, "
     "item or store (docs/batch-format.md). An expiry date (AI 17, 7003) in the past always "
     "blocks.",
     F(best_before), 0},
    {"reports_dir", PL_CFG_STR, "", 0, 0, NULL, 0, "DIR", NULL,
     "Directory of the report store: the lanes' exception log (REPORT) and the counts of keyed "
     "item codes, an LMDB environment of its own that this server writes (never the "
     "catalogue). Empty = \"reports\" beside the catalogue directory (/var/lib/pricelane/"
     "reports for /var/lib/pricelane/catalog); \"off\" = no report store: REPORT answers an "
     "error and keyed lookups are not counted.",
     F(reports_dir), 0},
    {"report_charge", PL_CFG_ENUM, "lower", 0, 0, "lower|shelf|system", 0, "POLICY", NULL,
     "What a lane charges when the customer saw another price on the shelf (REPORT "
     "kind=price): \"lower\" (the lower of the shelf and the system price, the usual store "
     "policy), \"shelf\" (the shelf price) or \"system\" (the system price). The difference "
     "to the system price, when positive, is the refund.",
     F(report_charge), 0},
    {"report_queue", PL_CFG_INT, "4096", 16, 1000000, NULL, 0, "N", NULL,
     "Reports waiting to be written at most; a report that finds the queue full gets an error "
     "reply at once (the lane retries with the same id), never a blocked worker.",
     F(report_queue), 0},
    {"report_group", PL_CFG_INT, "256", 1, 65536, NULL, 0, "N", NULL,
     "Reports written in one commit at most (group commit: one disk sync acknowledges them "
     "all).",
     F(report_group), 0},
    {"report_linger_ms", PL_CFG_INT, "5", 0, 100, NULL, 0, "MS", NULL,
     "Milliseconds a commit of fewer than report_group reports waits for more before it is "
     "written (0: none). Every commit costs its disk flushes whatever it holds; waiting lets "
     "one commit carry many lanes' reports, which takes the writer's work off the CPUs the "
     "lookups use (bench/RESULTS.md). A lane's reply comes that much later.",
     F(report_linger_ms), 0},
    {"report_sync", PL_CFG_ENUM, "covered", 0, 0, "covered|each", 0, "MODE", NULL,
     "How a report commit reaches the disk. \"covered\": the commit flushes its pages and "
     "writes its commit record without a flush of its own; its replies wait until the next "
     "commit's flush covers the record (or an explicit sync after report_linger_ms when none "
     "comes): one disk flush a commit under load. \"each\": every commit flushes twice "
     "(pages, then record) and replies at once. Either way a report is acknowledged only "
     "once it is on disk.",
     F(report_sync), 0},
    {"report_extend_mb", PL_CFG_INT, "8", 0, 1024, NULL, 0, "MIB", NULL,
     "The report store's file is kept this many MiB ahead of its use, extended with written "
     "zeros whenever less than half of it is left, so that a commit overwrites blocks the "
     "file already owns and its flush needs no file-system journal commit (0: the file "
     "grows with each commit that needs more room).",
     F(report_extend_mb), 0},
    {"cit_listen", PL_CFG_ADDR, "off", 0, 0, NULL, PL_CFG_OFF, "ADDR:PORT", "10.1.2.10:9101",
     "Address for aisle price checkers speaking the Newland NQuire \"CIT\" protocol, over TCP "
     "and UDP on this one port, or \"off\". Same allowlist and UDP rate limit as the lanes "
     "(docs/price-checker.md).",
     F(cit_listen), offsetof(pl_config_t, cit_addr)},
    {"cit_reply_port", PL_CFG_INT, "0", 0, 65535, NULL, PL_CFG_RELOAD, "PORT", NULL,
     "UDP port the price checkers listen on for answers (the device's own setting); 0 = "
     "answer to the port the request came from.",
     F(cit_reply_port), 0},
    {"cit_stores", PL_CFG_STOREMAP, "", 0, 0, NULL, PL_CFG_RELOAD, "NET=STORE,...",
     "10.1.2.0/24=S001, 10.1.3.0/24=S002",
     "Which store a price checker is in, by its address: comma-separated NETWORK=STORE; the "
     "most specific network wins. A device in none of them shows the prices of `store`.",
     F(cit_stores), offsetof(pl_config_t, cit_store_map)},
    {"cit_gb18030", PL_CFG_ALLOW, "", 0, 0, NULL, PL_CFG_RELOAD, "CIDRS", NULL,
     "Price checkers set to GB18030 text, comma-separated CIDR; the others get UTF-8.",
     F(cit_gb18030), offsetof(pl_config_t, cit_gb18030_list)},
    {"cit_prefixes", PL_CFG_STR, "any", 0, 0, NULL, PL_CFG_RELOAD, "LIST", "F,FF,A,E",
     "Symbology prefixes the price checkers put before a code: \"any\" (any 1 to 3 letters "
     "before a code of digits), \"none\", or a comma-separated list (\"F,FF,A,E\"). A chain "
     "whose item codes are letters and digits names its list.",
     F(cit_prefixes), 0},
    {"cit_layout", PL_CFG_STR, "", 0, 0, NULL, PL_CFG_RELOAD, "TEMPLATE", NULL,
     "The price checker screen: which fields on which line, fonts, alignment, display width, "
     "messages (docs/price-checker.md); empty = the default Chinese screen.",
     F(cit_layout), 0},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

const pl_config_opt_t *pl_config_opts(size_t *n)
{
    *n = NOPTS;
    return opts;
}

const pl_config_opt_t *pl_config_find(const char *name)
{
    char key[64];
    size_t i;
    for (i = 0; name[i] && i + 1 < sizeof(key); i++)
        key[i] = name[i] == '-' ? '_' : name[i];
    key[i] = 0;
    for (size_t k = 0; k < NOPTS; k++)
        if (strcmp(opts[k].name, key) == 0)
            return &opts[k];
    return NULL;
}

static int failf(char *err, size_t errlen, const char *where, const char *why)
{
    if (err && errlen)
        snprintf(err, errlen, "%s: %s", where, why);
    return PL_EINVAL;
}

static int parse_allow(const char *val, void *out, char *why, size_t whylen)
{
    return pl_allow_parse(val, out, why, whylen);
}

static int parse_storemap(const char *val, void *out, char *why, size_t whylen)
{
    return pl_storemap_parse(val, out, why, whylen);
}

/* A list setting (ALLOW, STOREMAP): parsed into a local of `size` bytes
 * first, so a bad list leaves *c unchanged, then copied to its parsed form
 * with the text beside it. */
static int set_list(pl_config_t *c, const pl_config_opt_t *o, const char *val, const char *where,
                    size_t size, int (*parse)(const char *, void *, char *, size_t), char *err,
                    size_t errlen)
{
    char why[256];
    if (strlen(val) >= o->size)
        return failf(err, errlen, where, "list too long");
    void *parsed = malloc(size);
    if (!parsed)
        return -ENOMEM;
    if (parse(val, parsed, why, sizeof(why)) != 0) {
        free(parsed);
        return failf(err, errlen, where, why);
    }
    memcpy((char *)c + o->off2, parsed, size);
    free(parsed);
    strcpy((char *)c + o->off, val);
    return 0;
}

int pl_config_set(pl_config_t *c, const pl_config_opt_t *o, const char *val, const char *where,
                  char *err, size_t errlen)
{
    char why[256];
    char *field = (char *)c + o->off;

    for (const char *p = val; *p; p++)
        if ((unsigned char)*p < 0x20)
            return failf(err, errlen, where, "control characters are not allowed");

    switch (o->type) {
    case PL_CFG_INT: {
        char *end;
        errno = 0;
        long long v = strtoll(val, &end, 10);
        if (!*val || *end || errno) {
            snprintf(why, sizeof(why), "\"%s\" is not a whole number", val);
            return failf(err, errlen, where, why);
        }
        if (v < o->min || v > o->max) {
            snprintf(why, sizeof(why), "%lld is out of range %lld..%lld", v, o->min, o->max);
            return failf(err, errlen, where, why);
        }
        *(int *)field = (int)v;
        return 0;
    }
    case PL_CFG_ENUM: {
        size_t vl = strlen(val);
        const char *p = o->choices;
        while (p && *p) {
            const char *bar = strchr(p, '|');
            size_t l = bar ? (size_t)(bar - p) : strlen(p);
            if (l == vl && memcmp(p, val, l) == 0 && vl < o->size) {
                memcpy(field, val, vl + 1);
                return 0;
            }
            p = bar ? bar + 1 : NULL;
        }
        snprintf(why, sizeof(why), "\"%s\" is not one of %s", val, o->choices);
        return failf(err, errlen, where, why);
    }
    case PL_CFG_ADDR: {
        pl_addr_t a;
        if ((o->flags & PL_CFG_OFF) && strcmp(val, "off") == 0) {
            memset(&a, 0, sizeof(a));
        } else if (pl_addr_parse(val, &a, why, sizeof(why)) != 0) {
            return failf(err, errlen, where, why);
        }
        if (strlen(val) >= o->size)
            return failf(err, errlen, where, "too long");
        memcpy((char *)c + o->off2, &a, sizeof(a));
        strcpy(field, val);
        return 0;
    }
    case PL_CFG_ALLOW:
        return set_list(c, o, val, where, sizeof(pl_allow_t), parse_allow, err, errlen);
    case PL_CFG_STOREMAP:
        return set_list(c, o, val, where, sizeof(pl_storemap_t), parse_storemap, err, errlen);
    case PL_CFG_STR:
        if (strlen(val) >= o->size) {
            snprintf(why, sizeof(why), "longer than %zu bytes", o->size - 1);
            return failf(err, errlen, where, why);
        }
        strcpy(field, val);
        return 0;
    }
    return failf(err, errlen, where, "unknown setting type");
}

void pl_config_defaults(pl_config_t *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < NOPTS; i++) {
        char err[256];
        int rc = pl_config_set(c, &opts[i], opts[i].def, opts[i].name, err, sizeof(err));
        /* A default that does not parse is a bug in the table itself. */
        if (rc) {
            fprintf(stderr, "config table: %s\n", err);
            abort();
        }
    }
}

typedef struct ini_ctx {
    pl_config_t *c;
    const char *file;
    int failed;
    char *err;
    size_t errlen;
} ini_ctx_t;

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx_t *x = user;
    if (x->failed)
        return 1; /* keep the first message; inih reports the first bad line */
    char where[PL_CFG_PATH_MAX + 96];
    if (section[0] && strcmp(section, "pricelaned") != 0) {
        char why[160];
        snprintf(where, sizeof(where), "%s: %s", x->file, name);
        snprintf(why, sizeof(why),
                 "in unknown section [%.64s] (keys go at the top or in [pricelaned])", section);
        failf(x->err, x->errlen, where, why);
        x->failed = 1;
        return 0;
    }
    const pl_config_opt_t *o = pl_config_find(name);
    if (!o || strchr(name, '-')) {
        snprintf(where, sizeof(where), "%s: %s", x->file, name);
        failf(x->err, x->errlen, where, "unknown key (see pricelaned --help)");
        x->failed = 1;
        return 0;
    }
    snprintf(where, sizeof(where), "%s: %s", x->file, name);
    if (pl_config_set(x->c, o, value, where, x->err, x->errlen) != 0) {
        x->failed = 1;
        return 0;
    }
    return 1;
}

/* inih reports the line of the first failing handler call; the message built
 * by the handler lacks it, so it is spliced in after "FILE:". */
static int finish_ini(ini_ctx_t *x, int rc, const char *name)
{
    if (rc == 0)
        return 0;
    if (rc == -1) {
        int e = errno ? errno : ENOENT;
        if (x->err && x->errlen)
            snprintf(x->err, x->errlen, "%s: cannot read: %s", name, strerror(e));
        return -e;
    }
    if (rc < 0)
        return -ENOMEM;
    char tail[1024];
    size_t fl = strlen(name);
    if (x->failed && x->err && strncmp(x->err, name, fl) == 0 && x->err[fl] == ':') {
        snprintf(tail, sizeof(tail), "%s", x->err + fl + 1);
        snprintf(x->err, x->errlen, "%s:%d:%s", name, rc, tail);
    } else if (x->err && x->errlen) {
        snprintf(x->err, x->errlen, "%s:%d: syntax error (expected key = value)", name, rc);
    }
    return PL_EINVAL;
}

int pl_config_load_file(pl_config_t *c, const char *path, char *err, size_t errlen)
{
    pl_config_t tmp = *c;
    ini_ctx_t x = {&tmp, path, 0, err, errlen};
    errno = 0;
    int rc = finish_ini(&x, ini_parse(path, on_ini, &x), path);
    if (rc == 0)
        *c = tmp;
    return rc;
}

int pl_config_load_string(pl_config_t *c, const char *text, const char *name, char *err,
                          size_t errlen)
{
    pl_config_t tmp = *c;
    ini_ctx_t x = {&tmp, name, 0, err, errlen};
    int rc = finish_ini(&x, ini_parse_string(text, on_ini, &x), name);
    if (rc == 0)
        *c = tmp;
    return rc;
}

int pl_config_check(const pl_config_t *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < NOPTS; i++) {
        const pl_config_opt_t *o = &opts[i];
        if ((o->flags & PL_CFG_REQUIRED) && o->type == PL_CFG_STR &&
            ((const char *)c + o->off)[0] == 0) {
            char where[80];
            snprintf(where, sizeof(where), "--%s", o->name);
            return failf(err, errlen, where, "is required (flag or config file key)");
        }
    }
    if (c->udp_buffers & (c->udp_buffers - 1))
        return failf(err, errlen, "udp_buffers", "must be a power of two");
    if (c->admin_addr.ss.ss_family != AF_UNSPEC && c->listen_addr.ss.ss_family != AF_UNSPEC &&
        strcmp(c->admin, c->listen) == 0 && pl_addr_port((const void *)&c->listen_addr.ss) != 0)
        return failf(err, errlen, "admin", "must differ from listen");
    if (c->cit_addr.ss.ss_family != AF_UNSPEC && c->listen_addr.ss.ss_family != AF_UNSPEC &&
        strcmp(c->cit_listen, c->listen) == 0 && pl_addr_port((const void *)&c->cit_addr.ss) != 0)
        return failf(err, errlen, "cit_listen", "must differ from listen");
    if (strcmp(c->cit_prefixes, "any") != 0 && strcmp(c->cit_prefixes, "none") != 0) {
        for (const char *p = c->cit_prefixes; *p; p++)
            if (!isalpha((unsigned char)*p) && *p != ',')
                return failf(err, errlen, "cit_prefixes",
                             "want \"any\", \"none\" or letters separated by commas");
    }
    pl_cit_layout_t *lay = malloc(sizeof(*lay));
    if (!lay)
        return -ENOMEM;
    char why[256];
    int rc = pl_cit_layout_compile(lay, c->cit_layout, why, sizeof(why));
    free(lay);
    if (rc)
        return failf(err, errlen, "cit_layout", why);
    return 0;
}

static const char *flag_arg(int argc, char **argv, int *i, const char *arg_eq)
{
    if (arg_eq)
        return arg_eq;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

int pl_config_from_args(pl_config_t *c, int argc, char **argv, pl_config_action_t *action,
                        char *config_path, char *err, size_t errlen)
{
    char name[64];
    *action = PL_CONFIG_RUN;
    if (config_path)
        config_path[0] = 0;
    pl_config_defaults(c);

    /* Actions and --config first, so the file is under the flags whatever
     * their order on the command line. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *action = PL_CONFIG_HELP;
            return 0;
        }
        if (strcmp(a, "--sample-config") == 0) {
            *action = PL_CONFIG_SAMPLE;
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            *action = PL_CONFIG_VERSION;
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = NULL;
        if (strncmp(a, "--config", 8) == 0 && (a[8] == 0 || a[8] == '=')) {
            eq = a[8] == '=' ? a + 9 : NULL;
            const char *path = flag_arg(argc, argv, &i, eq);
            if (!path)
                return failf(err, errlen, "--config", "needs a FILE argument");
            if (strlen(path) >= PL_CFG_PATH_MAX)
                return failf(err, errlen, "--config", "path too long");
            if (config_path)
                strcpy(config_path, path);
            int rc = pl_config_load_file(c, path, err, errlen);
            if (rc)
                return rc;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            char why[128];
            snprintf(why, sizeof(why), "unexpected argument (options start with --)");
            return failf(err, errlen, a, why);
        }
        const char *eq = strchr(a, '=');
        size_t nl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nl >= sizeof(name))
            nl = sizeof(name) - 1;
        memcpy(name, a + 2, nl);
        name[nl] = 0;
        if (strcmp(name, "config") == 0) {
            if (!eq)
                i++;
            continue;
        }
        const pl_config_opt_t *o = strchr(name, '_') ? NULL : pl_config_find(name);
        if (!o) {
            char where[80];
            snprintf(where, sizeof(where), "--%s", name);
            return failf(err, errlen, where, "unknown option (see pricelaned --help)");
        }
        const char *val = flag_arg(argc, argv, &i, eq ? eq + 1 : NULL);
        char where[80];
        snprintf(where, sizeof(where), "--%s", name);
        if (!val) {
            char why[96];
            snprintf(why, sizeof(why), "needs a %s argument", o->arg);
            return failf(err, errlen, where, why);
        }
        int rc = pl_config_set(c, o, val, where, err, errlen);
        if (rc)
            return rc;
    }
    return pl_config_check(c, err, errlen);
}

char *pl_config_value(const pl_config_t *c, const pl_config_opt_t *o, char *out, size_t cap)
{
    const char *field = (const char *)c + o->off;
    if (o->type == PL_CFG_INT)
        snprintf(out, cap, "%d", *(const int *)field);
    else
        snprintf(out, cap, "%s", field);
    return out;
}

void pl_config_diff(const pl_config_t *a, const pl_config_t *b,
                    void (*fn)(const pl_config_opt_t *o, void *arg), void *arg)
{
    for (size_t i = 0; i < NOPTS; i++) {
        char va[PL_CFG_LIST_MAX], vb[PL_CFG_LIST_MAX];
        pl_config_value(a, &opts[i], va, sizeof(va));
        pl_config_value(b, &opts[i], vb, sizeof(vb));
        if (strcmp(va, vb) != 0)
            fn(&opts[i], arg);
    }
}
