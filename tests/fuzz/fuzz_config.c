/* Fuzz target: pricelaned's configuration parsers (pl_config_load_string,
 * pl_config_set through every setting, pl_addr_parse, pl_allow_parse).
 *
 * Input: the text of a configuration file; the same bytes (up to the first
 * newline) are also given to every setting as a flag value, and to the
 * address and allowlist parsers.
 *
 * Checks: each call returns 0 or PL_EINVAL (a file also -ENOMEM never), with
 * a terminated, non-empty message on error; a refused file or value leaves
 * the configuration byte-for-byte unchanged; an accepted address formats
 * and parses back to the same address; an accepted allowlist matches the
 * network address of each of its entries. */
#include <arpa/inet.h>
#include <string.h>

#include "fuzz.h"
#include "pricelane/config.h"
#include "pricelane/err.h"

static void check_err(int rc, const char *err, size_t cap)
{
    FUZZ_CHECK(rc == 0 || rc == PL_EINVAL, "rc %d", rc);
    FUZZ_CHECK(memchr(err, 0, cap) != NULL, "message not terminated");
    if (rc)
        FUZZ_CHECK(err[0] != 0, "empty message");
}

static void check_addr(const char *s)
{
    pl_addr_t a, b;
    char err[256], out[PL_ADDR_STR_MAX];
    int rc = pl_addr_parse(s, &a, err, sizeof(err));
    check_err(rc, err, sizeof(err));
    if (rc)
        return;
    pl_addr_format((struct sockaddr *)&a.ss, out, sizeof(out));
    rc = pl_addr_parse(out, &b, err, sizeof(err));
    FUZZ_CHECK(rc == 0 && a.len == b.len && memcmp(&a.ss, &b.ss, a.len) == 0,
               "\"%s\" → \"%s\" does not parse back (%s)", s, out, err);
}

static void check_allow(const char *s)
{
    static pl_allow_t al;
    char err[256];
    int rc = pl_allow_parse(s, &al, err, sizeof(err));
    check_err(rc, err, sizeof(err));
    if (rc)
        return;
    FUZZ_CHECK(al.n >= 0 && al.n <= PL_ALLOW_MAX, "%d networks", al.n);
    for (int i = 0; i < al.n; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        if (al.nets[i].family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            in->sin_family = AF_INET;
            memcpy(&in->sin_addr, al.nets[i].addr, 4);
        } else {
            FUZZ_CHECK(al.nets[i].family == AF_INET6, "family %d", al.nets[i].family);
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            in6->sin6_family = AF_INET6;
            memcpy(&in6->sin6_addr, al.nets[i].addr, 16);
        }
        FUZZ_CHECK(pl_allow_match(&al, (struct sockaddr *)&ss), "entry %d does not match itself", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pl_config_t c, before;
    char err[1024];
    char *text = fuzz_strndup(data, size);

    pl_config_defaults(&c);
    before = c;
    int rc = pl_config_load_string(&c, text, "fuzz.conf", err, sizeof(err));
    check_err(rc, err, sizeof(err));
    if (rc)
        FUZZ_CHECK(memcmp(&c, &before, sizeof(c)) == 0, "refused file changed the settings");
    else
        pl_config_check(&c, err, sizeof(err));

    char *line = fuzz_strndup(data, strcspn(text, "\n"));
    size_t n;
    const pl_config_opt_t *t = pl_config_opts(&n);
    for (size_t i = 0; i < n; i++) {
        pl_config_defaults(&c);
        before = c;
        rc = pl_config_set(&c, &t[i], line, t[i].name, err, sizeof(err));
        check_err(rc, err, sizeof(err));
        if (rc)
            FUZZ_CHECK(memcmp(&c, &before, sizeof(c)) == 0, "refused %s changed the settings",
                       t[i].name);
        char v[PL_CFG_LIST_MAX];
        pl_config_value(&c, &t[i], v, sizeof(v));
    }
    check_addr(line);
    check_allow(line);
    free(line);
    free(text);
    return 0;
}
