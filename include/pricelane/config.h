/* pricelaned configuration: one table of settings (name, type, default,
 * bounds, help) that drives the INI configuration file, the command-line
 * flags, `pricelaned --help` and the generated sample configuration.
 *
 * A setting named `cache_mb` is the key `cache_mb` in the file (top level or
 * in a [pricelaned] section) and the flag `--cache-mb N` (or --cache-mb=N).
 * Flags override the file. Every bad value is reported with where it came
 * from ("--threads", or "FILE:LINE: threads") and why; callers exit 2.
 *
 * Settings marked PL_CFG_RELOAD take effect on SIGHUP; the others need a
 * restart (a reload that changes them keeps the running value and says so).
 */
#pragma once
#include <stddef.h>
#include <stdio.h>

#include "pricelane/netaddr.h"

#define PL_CFG_PATH_MAX 512
#define PL_CFG_LIST_MAX 2048
#define PL_CFG_STORE_MAX 16 /* PL_SCOPE_MAX + 1 */

typedef struct pl_config {
    char db[PL_CFG_PATH_MAX];
    char listen[PL_ADDR_STR_MAX];
    char admin[PL_ADDR_STR_MAX]; /* "off" disables the admin listener */
    int threads;                 /* 0 = one per core */
    char engine[8];              /* "auto", "uring" or "uv" */
    int cache_mb;                /* 0 = no cache */
    int memo_mb;                 /* per worker; 0 = no memo */
    char cache_answers[4];       /* "on": finished answers in the shared cache too */
    char cache_path[PL_CFG_PATH_MAX];
    char store[PL_CFG_STORE_MAX]; /* store for requests that name none */
    char allow[PL_CFG_LIST_MAX];  /* client allowlist (CIDR list) */
    int udp_rate;                 /* datagrams per second per source; 0 = no limit */
    int udp_burst;
    int max_connections;               /* TCP, whole server */
    int max_connections_per_source;    /* TCP, one client address, whole server; 0 = no limit */
    int idle_timeout;                  /* seconds */
    int max_output_kb;                 /* unsent replies per connection before it is paused */
    int max_request;                   /* bytes: one TCP request, one UDP datagram */
    int udp_buffers;                   /* provided receive buffers per worker */
    int drain_timeout;                 /* seconds to finish in-flight work on SIGTERM */
    int capacity_warn_mb;              /* /healthz warning below this room to grow (MiB; 0 never) */
    char best_before[8];               /* "info" or "block": does a past AI 15 block a pack */
    char reports_dir[PL_CFG_PATH_MAX]; /* the report store; "" = next to db; "off" */
    char report_charge[8];             /* "lower", "shelf" or "system": what a lane charges */
    int report_queue;                  /* reports waiting for the writer, at most */
    int report_group;                  /* reports in one commit, at most */
    int report_linger_ms;              /* a short group waits this long for more */
    char report_sync[8];               /* "covered" or "each": a commit's flushes */
    int report_extend_mb;              /* the store's file kept this far ahead of its use */
    char cit_listen[PL_ADDR_STR_MAX];  /* price checkers (NQuire CIT), TCP and UDP; "off" */
    int cit_reply_port;                /* UDP port devices hear answers on; 0 = source port */
    char cit_stores[PL_CFG_LIST_MAX];  /* device network → store */
    char cit_gb18030[PL_CFG_LIST_MAX]; /* devices set to GB18030 text */
    char cit_prefixes[64];             /* symbology prefixes: "any", "none" or "F,FF,A,E" */
    char cit_layout[PL_CFG_LIST_MAX];  /* screen template; "" = the default */

    /* Parsed forms, kept in step with the text by pl_config_set(). */
    pl_addr_t listen_addr;
    pl_addr_t admin_addr; /* ss_family == AF_UNSPEC when "off" */
    pl_allow_t allow_list;
    pl_addr_t cit_addr; /* ss_family == AF_UNSPEC when "off" */
    pl_storemap_t cit_store_map;
    pl_allow_t cit_gb18030_list;
} pl_config_t;

typedef enum pl_cfg_type {
    PL_CFG_STR = 0,
    PL_CFG_INT,
    PL_CFG_ENUM,     /* one of `choices` ("a|b|c") */
    PL_CFG_ADDR,     /* HOST:PORT, parsed into a pl_addr_t */
    PL_CFG_ALLOW,    /* CIDR list, parsed into a pl_allow_t */
    PL_CFG_STOREMAP, /* NETWORK=STORE list, parsed into a pl_storemap_t */
} pl_cfg_type_t;

enum pl_cfg_flags {
    PL_CFG_RELOAD = 1u << 0,   /* takes effect on SIGHUP */
    PL_CFG_REQUIRED = 1u << 1, /* must be set (file or flag) */
    PL_CFG_OFF = 1u << 2,      /* ADDR: "off" is accepted and disables it */
};

typedef struct pl_config_opt {
    const char *name; /* file key; the flag is "--" + name with '_' → '-' */
    pl_cfg_type_t type;
    const char *def;     /* default, as text (parsed like any other value) */
    long long min, max;  /* INT bounds (inclusive) */
    const char *choices; /* ENUM: "auto|uring|uv" */
    unsigned flags;      /* pl_cfg_flags */
    const char *arg;     /* placeholder in --help: "DIR", "N", "ADDR:PORT" */
    const char *sample;  /* value shown in the sample file when not the default */
    const char *help;    /* one paragraph */
    size_t off;          /* offset of the text/int field in pl_config_t */
    size_t size;         /* size of that field (strings) */
    size_t off2;         /* ADDR/ALLOW: offset of the parsed form */
} pl_config_opt_t;

/* The table, in --help order; *n = number of entries. Static storage. */
const pl_config_opt_t *pl_config_opts(size_t *n);

/* The entry for a file key ("cache_mb") or flag name ("cache-mb"); NULL if
 * there is none. */
const pl_config_opt_t *pl_config_find(const char *name);

/* Every setting to its default. */
void pl_config_defaults(pl_config_t *c);

/* Sets one setting from text. `where` prefixes the message ("--threads",
 * "pricelaned.conf:12: threads"). Returns 0, or PL_EINVAL with
 * "<where>: <why>" in err[errlen]; *c is unchanged on error. */
int pl_config_set(pl_config_t *c, const pl_config_opt_t *o, const char *val, const char *where,
                  char *err, size_t errlen);

/* Loads an INI file over *c (keys at top level or in [pricelaned]). Returns
 * 0, -errno when it cannot be read, or PL_EINVAL for the first bad line with
 * "FILE:LINE: key: why" in err. */
int pl_config_load_file(pl_config_t *c, const char *path, char *err, size_t errlen);
/* The same from a string; `name` stands for the file name in messages. */
int pl_config_load_string(pl_config_t *c, const char *text, const char *name, char *err,
                          size_t errlen);

/* Checks cross-setting rules and required settings. 0 or PL_EINVAL. */
int pl_config_check(const pl_config_t *c, char *err, size_t errlen);

typedef enum pl_config_action {
    PL_CONFIG_RUN = 0,
    PL_CONFIG_HELP,
    PL_CONFIG_SAMPLE,
    PL_CONFIG_VERSION,
} pl_config_action_t;

/* Builds the configuration from argv: defaults, then the file named by
 * --config FILE (if any), then every flag in order, then pl_config_check().
 * --help, --sample-config and --version stop the parse and are returned in
 * *action. config_path (PL_CFG_PATH_MAX bytes, may be NULL) receives the
 * --config path or "". Returns 0 or PL_EINVAL / -errno with err set. */
int pl_config_from_args(pl_config_t *c, int argc, char **argv, pl_config_action_t *action,
                        char *config_path, char *err, size_t errlen);

/* Current value of a setting as text, into out[cap]. Returns out. */
char *pl_config_value(const pl_config_t *c, const pl_config_opt_t *o, char *out, size_t cap);

/* Calls fn for every setting whose value differs between a and b. */
void pl_config_diff(const pl_config_t *a, const pl_config_t *b,
                    void (*fn)(const pl_config_opt_t *o, void *arg), void *arg);

/* Man-page style --help, and the commented sample configuration file. */
void pl_config_help(FILE *f, const char *prog);
void pl_config_sample(FILE *f);
