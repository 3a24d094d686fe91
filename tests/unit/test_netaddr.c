/* Listen addresses and client allowlists. */
#include <arpa/inet.h>
#include <string.h>

#include "check.h"
#include "pricelane/err.h"
#include "pricelane/netaddr.h"

static char err[256];

static struct sockaddr_storage v4(const char *ip)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    in->sin_family = AF_INET;
    inet_pton(AF_INET, ip, &in->sin_addr);
    return ss;
}

static struct sockaddr_storage v6(const char *ip)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in6 *in = (struct sockaddr_in6 *)&ss;
    in->sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &in->sin6_addr);
    return ss;
}

static void test_addr(void)
{
    pl_addr_t a;
    char s[PL_ADDR_STR_MAX];
    CHECK_INT(pl_addr_parse("10.1.2.3:7070", &a, err, sizeof(err)), 0);
    CHECK_STR(pl_addr_format((struct sockaddr *)&a.ss, s, sizeof(s)), "10.1.2.3:7070");
    CHECK_INT(a.len, sizeof(struct sockaddr_in));
    CHECK_INT(pl_addr_parse("[::1]:0", &a, err, sizeof(err)), 0);
    CHECK_STR(pl_addr_format((struct sockaddr *)&a.ss, s, sizeof(s)), "[::1]:0");
    pl_addr_set_port((struct sockaddr *)&a.ss, 65535);
    CHECK_INT(pl_addr_port((struct sockaddr *)&a.ss), 65535);
    CHECK_INT(pl_addr_is_loopback((struct sockaddr *)&a.ss), 1);
    CHECK_INT(pl_addr_parse("0.0.0.0:1", &a, err, sizeof(err)), 0);
    CHECK_INT(pl_addr_is_loopback((struct sockaddr *)&a.ss), 0);

    CHECK_INT(pl_addr_parse("10.1.2.3", &a, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "\"10.1.2.3\": missing :PORT");
    CHECK_INT(pl_addr_parse("::1:80", &a, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "\"::1:80\": IPv6 address must be written [HOST]:PORT");
    CHECK_INT(pl_addr_parse("10.1.2.3:70000", &a, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "\"10.1.2.3:70000\": port must be a number 0..65535");
    CHECK_INT(pl_addr_parse("pos.local:80", &a, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "\"pos.local:80\": host is not a numeric IPv4 or IPv6 address");
    CHECK_INT(pl_addr_parse(":80", &a, err, sizeof(err)), PL_EINVAL);
    CHECK_INT(pl_addr_parse("", &a, err, sizeof(err)), PL_EINVAL);
    CHECK_INT(pl_addr_parse("[::1]80", &a, err, sizeof(err)), PL_EINVAL);
}

static void test_allow(void)
{
    pl_allow_t al;
    CHECK_INT(pl_allow_parse(" 10.0.0.0/8, 192.168.1.0/24 ,::1, 2001:db8::/32,127.0.0.1", &al,
                             err, sizeof(err)),
              0);
    CHECK_INT(al.n, 5);
    struct sockaddr_storage s;
    s = v4("10.200.3.4");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 1);
    s = v4("11.0.0.1");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 0);
    s = v4("192.168.1.255");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 1);
    s = v4("192.168.2.1");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 0);
    s = v4("127.0.0.2");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 0); /* a host, not 127/8 */
    s = v6("::1");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 1);
    s = v6("2001:db8:ffff::1");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 1);
    s = v6("2001:db9::1");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 0);
    s = v6("::ffff:10.9.9.9"); /* an IPv4 client on a dual-stack socket */
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 1);

    CHECK_INT(pl_allow_parse("::ffff:0:0/96", &al, err, sizeof(err)), 0);
    s = v6("::ffff:10.9.9.9");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 1); /* as the IPv6 it is */
    s = v4("10.9.9.9");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 0); /* a plain IPv4 socket's client */

    CHECK_INT(pl_allow_parse("", &al, err, sizeof(err)), 0);
    s = v4("10.0.0.1");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 0); /* empty allows nothing */
    CHECK_INT(pl_allow_parse("any", &al, err, sizeof(err)), 0);
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 1);
    CHECK_INT(pl_allow_parse("0.0.0.0/0", &al, err, sizeof(err)), 0);
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 1);
    s = v6("::2");
    CHECK_INT(pl_allow_match(&al, (struct sockaddr *)&s), 0);

    CHECK_INT(pl_allow_parse("10.1.0.0/8", &al, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "allowlist entry \"10.1.0.0/8\": host bits set below the prefix");
    CHECK_INT(pl_allow_parse("10.0.0.0/x", &al, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "allowlist entry \"10.0.0.0/x\": prefix length out of range");
    CHECK_INT(pl_allow_parse("store-net", &al, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "allowlist entry \"store-net\": not an IPv4 or IPv6 network");
    CHECK_INT(pl_allow_parse("fe80::/129", &al, err, sizeof(err)), PL_EINVAL);
}

/* Device networks to stores: the most specific network wins; errors name
 * the entry. */
static void test_storemap(void)
{
    static pl_storemap_t m;
    CHECK_INT(pl_storemap_parse("10.0.0.0/8=CHAIN, 10.1.2.0/24=S001 10.1.2.7=S002,"
                                "fd00::/8=S6",
                                &m, err, sizeof(err)),
              0);
    CHECK_INT(m.n, 4);
    struct sockaddr_storage a = v4("10.1.2.7"), b = v4("10.1.2.8"), c = v4("10.9.9.9"),
                            d = v4("192.168.1.1"), e = v6("fd00::5"), f = v6("::ffff:10.1.2.9");
    CHECK_STR(pl_storemap_find(&m, (struct sockaddr *)&a), "S002");
    CHECK_STR(pl_storemap_find(&m, (struct sockaddr *)&b), "S001");
    CHECK_STR(pl_storemap_find(&m, (struct sockaddr *)&c), "CHAIN");
    CHECK(pl_storemap_find(&m, (struct sockaddr *)&d) == NULL, "no network: no store");
    CHECK_STR(pl_storemap_find(&m, (struct sockaddr *)&e), "S6");
    CHECK_STR(pl_storemap_find(&m, (struct sockaddr *)&f), "S001");
    CHECK_INT(pl_storemap_parse("", &m, err, sizeof(err)), 0);
    CHECK_INT(m.n, 0);
    CHECK_INT(pl_storemap_parse("10.1.2.0/24", &m, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "store map entry \"10.1.2.0/24\": want NETWORK=STORE");
    CHECK_INT(pl_storemap_parse("10.1.2.0/24=", &m, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "store map entry \"10.1.2.0/24=\": no store id after '='");
    CHECK_INT(pl_storemap_parse("10.1.2.0/24=S0123456789012345", &m, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err,
              "store map entry \"10.1.2.0/24=S0123456789012345\": store id longer than 15 bytes");
    CHECK_INT(pl_storemap_parse("10.1.2.1/24=S1", &m, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "store map entry \"10.1.2.1/24\": host bits set below the prefix");
    CHECK_INT(pl_storemap_parse("shop=S1", &m, err, sizeof(err)), PL_EINVAL);
    CHECK_STR(err, "store map entry \"shop\": not an IPv4 or IPv6 network");
}

int main(void)
{
    test_addr();
    test_allow();
    test_storemap();
    return pl_test_done("test_netaddr");
}
