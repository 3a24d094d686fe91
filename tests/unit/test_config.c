/* The settings table: defaults, value checks with their messages, INI files
 * with line numbers, flags over the file, --help and the sample config
 * generated from the same table (and the sample parsing back to the
 * defaults). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pricelane/config.h"
#include "pricelane/err.h"

static char err[1024];

static int from_args(pl_config_t *c, const char *const *argv, int argc)
{
    pl_config_action_t act;
    return pl_config_from_args(c, argc, (char **)argv, &act, NULL, err, sizeof(err));
}

static void test_table(void)
{
    size_t n;
    const pl_config_opt_t *t = pl_config_opts(&n);
    CHECK(n >= 15, "%zu settings", n);
    for (size_t i = 0; i < n; i++) {
        CHECK(t[i].help && strlen(t[i].help) > 20, "%s has help", t[i].name);
        CHECK(t[i].arg && t[i].arg[0], "%s has an argument name", t[i].name);
        CHECK(pl_config_find(t[i].name) == &t[i], "%s found by key", t[i].name);
        char flag[64];
        snprintf(flag, sizeof(flag), "%s", t[i].name);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        CHECK(pl_config_find(flag) == &t[i], "%s found by flag name %s", t[i].name, flag);
    }
    CHECK(pl_config_find("nope") == NULL, "unknown key");
    pl_config_t c;
    pl_config_defaults(&c);
    CHECK_STR(c.listen, "127.0.0.1:7070");
    CHECK_INT(c.cache_mb, 64);
    CHECK_INT(c.max_request, 16384);
    CHECK_STR(c.engine, "auto");
    CHECK_INT(c.allow_list.n, 5);
}

static void test_values(void)
{
    pl_config_t c;
    pl_config_defaults(&c);
    const pl_config_opt_t *th = pl_config_find("threads");
    CHECK_INT(pl_config_set(&c, th, "12", "--threads", err, sizeof(err)), 0);
    CHECK_INT(c.threads, 12);
    CHECK_INT(pl_config_set(&c, th, "12x", "--threads", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "--threads: \"12x\" is not a whole number");
    CHECK_INT(pl_config_set(&c, th, "-1", "--threads", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "--threads: -1 is out of range 0..256");
    CHECK_INT(c.threads, 12); /* unchanged by a bad value */
    const pl_config_opt_t *en = pl_config_find("engine");
    CHECK_INT(pl_config_set(&c, en, "uv", "engine", err, sizeof(err)), 0);
    CHECK_STR(c.engine, "uv");
    CHECK_INT(pl_config_set(&c, en, "u", "engine", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "engine: \"u\" is not one of auto|uring|uv");
    const pl_config_opt_t *ad = pl_config_find("admin");
    CHECK_INT(pl_config_set(&c, ad, "off", "--admin", err, sizeof(err)), 0);
    CHECK_INT(c.admin_addr.ss.ss_family, AF_UNSPEC);
    CHECK_INT(pl_config_set(&c, ad, "[::1]:9000", "--admin", err, sizeof(err)), 0);
    CHECK_INT(c.admin_addr.ss.ss_family, AF_INET6);
    const pl_config_opt_t *li = pl_config_find("listen");
    CHECK_INT(pl_config_set(&c, li, "off", "--listen", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "--listen: \"off\": missing :PORT");
    const pl_config_opt_t *al = pl_config_find("allow");
    CHECK_INT(pl_config_set(&c, al, "10.0.0.0/33", "allow", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "allow: allowlist entry \"10.0.0.0/33\": prefix length out of range");
    CHECK_INT(c.allow_list.n, 5);
    CHECK_INT(pl_config_set(&c, al, "any", "allow", err, sizeof(err)), 0);
    CHECK_INT(c.allow_list.any, 1);
    const pl_config_opt_t *st = pl_config_find("store");
    CHECK_INT(pl_config_set(&c, st, "S0123456789ABCDEF", "store", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "store: longer than 15 bytes");
    CHECK_INT(pl_config_set(&c, st, "a\tb", "store", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "store: control characters are not allowed");
}

static void test_file(void)
{
    pl_config_t c;
    pl_config_defaults(&c);
    CHECK_INT(pl_config_load_string(&c, "# comment\nthreads = 3\n[pricelaned]\nidle_timeout=9\n",
                                    "a.conf", err, sizeof(err)),
              0);
    CHECK_INT(c.threads, 3);
    CHECK_INT(c.idle_timeout, 9);
    CHECK_INT(pl_config_load_string(&c, "threads = 4\n\n; x\nudp_burst = 0\n", "b.conf", err,
                                    sizeof(err)),
              PL_EINVAL);
    CHECK_STR(err, "b.conf:4: udp_burst: 0 is out of range 1..10000000");
    CHECK_INT(c.threads, 3); /* a bad file changes nothing */
    CHECK_INT(pl_config_load_string(&c, "cache-mb = 1\n", "c.conf", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "c.conf:1: cache-mb: unknown key (see pricelaned --help)");
    CHECK_INT(pl_config_load_string(&c, "threads 4\n", "d.conf", err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "d.conf:1: syntax error (expected key = value)");
    CHECK_INT(pl_config_load_string(&c, "[other]\nthreads = 1\n", "e.conf", err, sizeof(err)),
              PL_EINVAL);
    CHECK_STR(err, "e.conf:2: threads: in unknown section [other] (keys go at the top or in "
                   "[pricelaned])");
}

static void test_args(void)
{
    pl_config_t c;
    FILE *f = fopen("test_config.tmp.conf", "w");
    fputs("db = /from/file\nthreads = 5\ncache_mb = 7\n", f);
    fclose(f);
    const char *a1[] = {"pricelaned", "--threads", "2", "--config", "test_config.tmp.conf",
                        "--cache-mb=0"};
    CHECK_INT(from_args(&c, a1, 6), 0);
    CHECK_STR(c.db, "/from/file");
    CHECK_INT(c.threads, 2); /* flags beat the file, wherever --config is */
    CHECK_INT(c.cache_mb, 0);
    const char *a2[] = {"pricelaned", "--threads"};
    CHECK_INT(from_args(&c, a2, 2), PL_EINVAL);
    CHECK_STR(err, "--threads: needs a N argument");
    const char *a3[] = {"pricelaned", "--db", "x", "extra"};
    CHECK_INT(from_args(&c, a3, 4), PL_EINVAL);
    CHECK_STR(err, "extra: unexpected argument (options start with --)");
    const char *a4[] = {"pricelaned", "--cache_mb", "1", "--db", "x"};
    CHECK_INT(from_args(&c, a4, 5), PL_EINVAL);
    CHECK_STR(err, "--cache_mb: unknown option (see pricelaned --help)");
    const char *a5[] = {"pricelaned", "--threads", "1"};
    CHECK_INT(from_args(&c, a5, 3), PL_EINVAL);
    CHECK_STR(err, "--db: is required (flag or config file key)");
    const char *a6[] = {"pricelaned", "--db", "x", "--udp-buffers", "100"};
    CHECK_INT(from_args(&c, a6, 5), PL_EINVAL);
    CHECK_STR(err, "udp_buffers: must be a power of two");
    pl_config_action_t act;
    const char *a7[] = {"pricelaned", "--bogus", "--help"};
    CHECK_INT(pl_config_from_args(&c, 3, (char **)a7, &act, NULL, err, sizeof(err)), 0);
    CHECK_INT(act, PL_CONFIG_HELP);
    remove("test_config.tmp.conf");
}

static void test_docs(void)
{
    size_t n, len;
    const pl_config_opt_t *t = pl_config_opts(&n);
    char *help = NULL, *sample = NULL;
    FILE *f = open_memstream(&help, &len);
    pl_config_help(f, "pricelaned");
    fclose(f);
    f = open_memstream(&sample, &len);
    pl_config_sample(f);
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        char flag[80], key[80];
        snprintf(flag, sizeof(flag), "\n    --%s %s\n", t[i].name, t[i].arg);
        for (char *p = flag + 7; *p != ' '; p++)
            if (*p == '_')
                *p = '-';
        snprintf(key, sizeof(key), "\n%s%s = ", (t[i].sample && !(t[i].flags & PL_CFG_REQUIRED)) ? "#" : "",
                 t[i].name);
        CHECK(strstr(help, flag) != NULL, "--help documents %s", t[i].name);
        CHECK(strstr(sample, key) != NULL, "sample has %s", t[i].name);
    }
    /* The sample parses, and gives the defaults (db aside). */
    pl_config_t a, b;
    pl_config_defaults(&a);
    pl_config_defaults(&b);
    CHECK_INT(pl_config_load_string(&b, sample, "sample", err, sizeof(err)), 0);
    snprintf(b.db, sizeof(b.db), "%s", a.db);
    int diffs = 0;
    for (size_t i = 0; i < n; i++) {
        char va[PL_CFG_LIST_MAX], vb[PL_CFG_LIST_MAX];
        pl_config_value(&a, &t[i], va, sizeof(va));
        pl_config_value(&b, &t[i], vb, sizeof(vb));
        if (strcmp(va, vb) != 0) {
            printf("sample %s = %s, default %s\n", t[i].name, vb, va);
            diffs++;
        }
    }
    CHECK_INT(diffs, 0);
    free(help);
    free(sample);
}

int main(void)
{
    test_table();
    test_values();
    test_file();
    test_args();
    test_docs();
    return pl_test_done("test_config");
}
