/* Request encoding and reply framing per protocol; see proto_clients.h. */
#include "proto_clients.h"

#include <stdio.h>
#include <string.h>

static const char *const names[BP_COUNT] = {"line-udp", "line-tcp", "resp",
                                            "mc-tcp",   "mc-udp",   "cit-udp"};

const char *const bp_check_names[BC_COUNT] = {"ok",          "status", "code",
                                              "error_reply", "nil",    "protocol"};

int bp_parse_name(const char *s)
{
    for (int i = 0; i < BP_COUNT; i++)
        if (!strcmp(s, names[i]))
            return i;
    if (!strcmp(s, "udp") || !strcmp(s, "line"))
        return BP_LINE_UDP;
    if (!strcmp(s, "tcp"))
        return BP_LINE_TCP;
    if (!strcmp(s, "redis"))
        return BP_RESP;
    if (!strcmp(s, "memcached") || !strcmp(s, "mc"))
        return BP_MC_TCP;
    return -1;
}

const char *bp_name(bp_proto_t p)
{
    return (unsigned)p < BP_COUNT ? names[p] : "?";
}

static size_t put_u(char *o, uint64_t v)
{
    char t[24];
    size_t n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        o[i] = t[n - 1 - i];
    return n;
}

size_t bp_encode(bp_proto_t p, const char *code, size_t len, uint32_t id, char *out)
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    switch (p) {
    case BP_LINE_UDP:
        *o++ = '#';
        for (int s = 28; s >= 0; s -= 4)
            *o++ = hex[(id >> s) & 15];
        *o++ = ' ';
        memcpy(o, code, len);
        o += len;
        break;
    case BP_LINE_TCP:
        memcpy(o, code, len);
        o += len;
        *o++ = '\n';
        break;
    case BP_CIT_UDP:
        memcpy(o, code, len);
        o += len;
        *o++ = '\r';
        *o++ = '\n';
        break;
    case BP_RESP:
        memcpy(o, "*2\r\n$3\r\nGET\r\n$", 14);
        o += 14;
        o += put_u(o, len);
        *o++ = '\r';
        *o++ = '\n';
        memcpy(o, code, len);
        o += len;
        *o++ = '\r';
        *o++ = '\n';
        break;
    case BP_MC_UDP:
        /* frame header: request id, sequence 0, 1 datagram, reserved */
        o[0] = (char)(id >> 8);
        o[1] = (char)id;
        o[2] = o[3] = o[4] = 0;
        o[5] = 1;
        o[6] = o[7] = 0;
        o += 8;
        /* fall through */
    case BP_MC_TCP:
        memcpy(o, "get ", 4);
        o += 4;
        memcpy(o, code, len);
        o += len;
        *o++ = '\r';
        *o++ = '\n';
        break;
    default:
        break;
    }
    return (size_t)(o - out);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parses a decimal length ending in CRLF at s; returns bytes or -1/-2 (need more). */
static long parse_len_crlf(const char *s, size_t len, long *v, size_t *used)
{
    size_t i = 0;
    long x = 0;
    int neg = 0;
    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }
    size_t d0 = i;
    while (i < len && s[i] >= '0' && s[i] <= '9' && i - d0 < 12)
        x = x * 10 + (s[i++] - '0');
    if (i == len || (i + 1 == len && s[i] == '\r'))
        return -2;
    if (i == d0 || s[i] != '\r' || s[i + 1] != '\n')
        return -1;
    *v = neg ? -x : x;
    *used = i + 2;
    return 0;
}

static long parse_line(const char *buf, size_t len, int datagram, bp_reply_t *r)
{
    const char *nl = memchr(buf, '\n', len);
    size_t n;
    if (nl)
        n = (size_t)(nl - buf);
    else if (datagram)
        n = len;
    else
        return len > 65536 ? -1 : 0;
    size_t span = nl ? n + 1 : n;
    if (n && buf[n - 1] == '\r')
        n--;
    r->kind = BR_VALUE;
    r->val = buf;
    r->val_len = n;
    r->has_id = 0;
    /* {"tag":"xxxxxxxx", ... carries the request id over UDP */
    if (n > 16 && !memcmp(buf, "{\"tag\":\"", 8)) {
        uint32_t id = 0;
        int ok = 1;
        for (int i = 0; i < 8; i++) {
            int h = hexval(buf[8 + i]);
            if (h < 0) {
                ok = 0;
                break;
            }
            id = id << 4 | (uint32_t)h;
        }
        if (ok && buf[16] == '"') {
            r->id = id;
            r->has_id = 1;
        }
    }
    return (long)span;
}

static long parse_resp(const char *buf, size_t len, bp_reply_t *r)
{
    if (!len)
        return 0;
    r->has_id = 0;
    r->val = NULL;
    r->val_len = 0;
    char c = buf[0];
    if (c == '$') {
        long v;
        size_t used;
        long rc = parse_len_crlf(buf + 1, len - 1, &v, &used);
        if (rc == -2)
            return 0;
        if (rc < 0)
            return -1;
        if (v == -1) {
            r->kind = BR_NIL;
            return (long)(1 + used);
        }
        if (v < 0 || v > (1 << 20))
            return -1;
        size_t total = 1 + used + (size_t)v + 2;
        if (len < total)
            return 0;
        if (buf[total - 2] != '\r' || buf[total - 1] != '\n')
            return -1;
        r->kind = BR_VALUE;
        r->val = buf + 1 + used;
        r->val_len = (size_t)v;
        return (long)total;
    }
    if (c == '-' || c == '+' || c == ':') {
        const char *nl = memchr(buf, '\n', len);
        if (!nl)
            return len > 4096 ? -1 : 0;
        r->kind = c == '-' ? BR_ERROR : BR_OTHER;
        r->val = buf;
        r->val_len = (size_t)(nl - buf);
        return (long)(nl - buf + 1);
    }
    return -1; /* arrays never answer a GET */
}

static long parse_mc(const char *buf, size_t len, bp_reply_t *r)
{
    const char *nl = memchr(buf, '\n', len);
    if (!nl)
        return len > 4096 ? -1 : 0;
    size_t n = (size_t)(nl - buf) + 1;
    r->val = NULL;
    r->val_len = 0;
    if (n == 5 && !memcmp(buf, "END\r\n", 5)) {
        r->kind = BR_NIL;
        return 5;
    }
    if (n > 6 && !memcmp(buf, "VALUE ", 6)) {
        /* VALUE <key> <flags> <bytes> [<cas>]\r\n<data>\r\nEND\r\n */
        const char *p = buf + 6, *e = nl;
        int field = 0;
        long bytes = -1;
        while (p < e && field < 3) {
            while (p < e && *p == ' ')
                p++;
            const char *w = p;
            while (p < e && *p != ' ' && *p != '\r')
                p++;
            if (field == 2) {
                bytes = 0;
                for (const char *q = w; q < p; q++) {
                    if (*q < '0' || *q > '9' || bytes > (1 << 20))
                        return -1;
                    bytes = bytes * 10 + (*q - '0');
                }
            }
            field++;
        }
        if (bytes < 0)
            return -1;
        size_t total = n + (size_t)bytes + 2 + 5;
        if (len < total)
            return 0;
        if (memcmp(buf + n + bytes, "\r\nEND\r\n", 7))
            return -1;
        r->kind = BR_VALUE;
        r->val = buf + n;
        r->val_len = (size_t)bytes;
        return (long)total;
    }
    if ((n >= 7 && !memcmp(buf, "ERROR\r\n", 7)) || (n > 13 && !memcmp(buf, "CLIENT_ERROR ", 13)) ||
        (n > 13 && !memcmp(buf, "SERVER_ERROR ", 13))) {
        r->kind = BR_ERROR;
        r->val = buf;
        r->val_len = n;
        return (long)n;
    }
    return -1;
}

long bp_parse(bp_proto_t p, const char *buf, size_t len, int datagram, bp_reply_t *r)
{
    switch (p) {
    case BP_LINE_UDP:
    case BP_LINE_TCP:
        return parse_line(buf, len, datagram, r);
    case BP_RESP:
        return parse_resp(buf, len, r);
    case BP_MC_TCP:
        return parse_mc(buf, len, r);
    case BP_CIT_UDP:
        /* One datagram, one screen: it starts by clearing the screen. */
        if (!datagram || len < 2 || buf[0] != 0x1b || (buf[1] != 0x25 && buf[1] != 0x24))
            return -1;
        memset(r, 0, sizeof(*r));
        r->kind = BR_VALUE;
        r->val = buf;
        r->val_len = len;
        return (long)len;
    case BP_MC_UDP: {
        if (len < 8)
            return -1;
        /* only single-datagram replies: our values are far below the MTU */
        if (buf[2] || buf[3] || buf[4] || buf[5] != 1)
            return -1;
        long n = parse_mc(buf + 8, len - 8, r);
        if (n <= 0)
            return -1;
        r->id = (uint32_t)((unsigned char)buf[0] << 8 | (unsigned char)buf[1]);
        r->has_id = 1;
        return (long)len;
    }
    default:
        return -1;
    }
}

const char *bp_json_str(const char *json, size_t len, const char *name, size_t *out_len)
{
    char pat[40];
    int pn = snprintf(pat, sizeof(pat), "\"%s\":\"", name);
    if (pn <= 0 || (size_t)pn >= sizeof(pat))
        return NULL;
    const char *p = memmem(json, len, pat, (size_t)pn);
    if (!p)
        return NULL;
    p += pn;
    const char *e = memchr(p, '"', len - (size_t)(p - json));
    if (!e)
        return NULL;
    *out_len = (size_t)(e - p);
    return p;
}

int bp_json_int(const char *json, size_t len, const char *name, int64_t *v)
{
    char pat[40];
    int pn = snprintf(pat, sizeof(pat), "\"%s\":", name);
    if (pn <= 0 || (size_t)pn >= sizeof(pat))
        return -1;
    const char *p = memmem(json, len, pat, (size_t)pn), *end = json + len;
    if (!p)
        return -1;
    p += pn;
    int neg = 0;
    if (p < end && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    int64_t x = 0;
    while (p < end && *p >= '0' && *p <= '9')
        x = x * 10 + (*p++ - '0');
    *v = neg ? -x : x;
    return 0;
}

bp_check_t bp_check(const bp_reply_t *r, const char *code, size_t len, pl_key_kind_t kind, int kv,
                    int echo)
{
    if (r->kind == BR_ERROR)
        return BC_ERROR;
    if (r->kind == BR_OTHER)
        return BC_PROTOCOL;
    int missing = kind == PL_KEY_MISSING && !echo;
    if (r->kind == BR_NIL)
        return kv && missing ? BC_OK : BC_NIL;
    if (kv && missing)
        return BC_NIL;
    if (r->val_len >= 2 && r->val[0] == 0x1b) {
        /* A price checker's screen, in the default layout: a code that is
         * not in the catalogue gets the not-found screen, which beeps; a
         * code that is never does. */
        static const char not_found[] = "未找到该商品";
        int nf = memmem(r->val, r->val_len, not_found, sizeof(not_found) - 1) != NULL;
        int beep = memmem(r->val, r->val_len, "\x1b^", 2) != NULL;
        return (missing ? nf && beep : !nf) ? BC_OK : BC_STATUS;
    }
    /* {"tag":"..", "status":"..","code":"..", ... in this order (docs/protocol.md) */
    const char *j = r->val, *e = r->val + r->val_len;
    if (r->val_len > 8 && !memcmp(j, "{\"tag\":\"", 8)) {
        const char *q = memchr(j + 8, '"', r->val_len - 8);
        if (!q)
            return BC_PROTOCOL;
        j = q + 1;
        if (e - j < 1 || *j != ',')
            return BC_PROTOCOL;
        j++;
    } else {
        if (e - j < 1 || *j != '{')
            return BC_PROTOCOL;
        j++;
    }
    if (e - j < 10 || memcmp(j, "\"status\":\"", 10))
        return BC_PROTOCOL;
    j += 10;
    const char *st = j;
    const char *q = memchr(j, '"', (size_t)(e - j));
    if (!q)
        return BC_PROTOCOL;
    size_t stn = (size_t)(q - st);
    int ok;
    if (missing)
        ok = stn == 9 && !memcmp(st, "not_found", 9);
    else
        ok = (stn == 2 && !memcmp(st, "ok", 2)) ||
             (kind == PL_KEY_ITEM && stn == 8 && !memcmp(st, "no_price", 8));
    j = q + 1;
    if (e - j < 9 || memcmp(j, ",\"code\":\"", 9))
        return stn == 5 && !memcmp(st, "error", 5) ? BC_ERROR : BC_PROTOCOL;
    j += 9;
    if ((size_t)(e - j) < len + 1 || memcmp(j, code, len) || j[len] != '"')
        return BC_CODE;
    return ok ? BC_OK : BC_STATUS;
}
