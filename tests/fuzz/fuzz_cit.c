/* Fuzz target: the NQuire price checker module (core/cit*.c).
 *
 * Input: byte 0 flags (bit 0: GB18030 too; bit 1: a member answer; bits
 * 2-3: measure; bit 4: label pending; bits 5-7: status), bytes 1-16 eight
 * prices (16 bits each, the first scaled up to reach large amounts); then
 * the rest, split at its first NUL: a layout template, and the bytes a
 * device sent, which are also the answer's name, unit and code.
 *
 * Checks: pl_cit_frame stays inside the input and finds a line without a
 * line break; pl_cit_request returns 0 with a code of 1..63 printable ASCII
 * bytes, or PL_EFORMAT with a message; pl_cit_layout_compile returns 0 with
 * out_max <= PL_CIT_OUT_MAX, or PL_EFORMAT with a message and the layout
 * unchanged; every screen (the template's layout or the default, UTF-8 and
 * GB18030, pl_cit_render and pl_cit_render_status) fits out_max, is the same
 * in a buffer of exactly its size and 0 in one byte less, and every byte
 * below 0x20 or 0x7f is part of a command: nothing from the catalogue or the
 * device reaches the screen as a command. */
#include <string.h>

#include "fuzz.h"
#include "pricelane/cit.h"
#include "pricelane/err.h"

static void check_commands(const char *b, size_t n)
{
    FUZZ_CHECK(n >= 2 && b[0] == 0x1b && b[1] == 0x25, "a screen starts with a clear");
    int aligned = 0;
    for (size_t i = 2; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        if (c == 0x1b) {
            FUZZ_CHECK(i + 1 < n && !aligned, "ESC at %zu", i);
            unsigned char d = (unsigned char)b[++i];
            if (d == 0x42) {
                FUZZ_CHECK(i + 1 < n && (b[i + 1] == 0x30 || b[i + 1] == 0x31), "font at %zu", i);
                i++;
            } else if (d == 0x2e) {
                FUZZ_CHECK(i + 1 < n && b[i + 1] >= 0x30 && b[i + 1] <= 0x38, "position at %zu", i);
                i++;
                aligned = 1;
            } else {
                FUZZ_CHECK(d == 0x5e && i + 1 == n, "ESC %02x at %zu", d, i);
            }
        } else if (c == 0x03) {
            FUZZ_CHECK(aligned, "ETX without aligned text at %zu", i);
            aligned = 0;
        } else if (c == 0x0d) {
            FUZZ_CHECK(!aligned, "CR inside aligned text at %zu", i);
        } else {
            FUZZ_CHECK(c >= 0x20 && c != 0x7f, "byte 0x%02x at %zu", c, i);
        }
    }
    FUZZ_CHECK(!aligned, "aligned text not ended");
}

static void check_screen(const pl_cit_layout_t *lay, const pl_answer_t *a, const pl_answer_t *m,
                         pl_cit_conv_t *conv, int status_only)
{
    static char out[PL_CIT_OUT_MAX], again[PL_CIT_OUT_MAX];
    size_t n, k;
    if (status_only) {
        n = pl_cit_render_status(lay, a->status, a->error, conv, out, sizeof(out));
        k = n ? pl_cit_render_status(lay, a->status, a->error, conv, again, n) : 0;
    } else {
        n = pl_cit_render(lay, a, m, 480, conv, out, sizeof(out));
        k = n ? pl_cit_render(lay, a, m, 480, conv, again, n) : 0;
    }
    FUZZ_CHECK(n > 0 && n <= lay->out_max, "screen of %zu bytes, bound %zu", n, lay->out_max);
    FUZZ_CHECK(k == n && memcmp(out, again, n) == 0, "screen differs in a buffer of its size");
    if (status_only)
        k = pl_cit_render_status(lay, a->status, a->error, conv, again, n - 1);
    else
        k = pl_cit_render(lay, a, m, 480, conv, again, n - 1);
    FUZZ_CHECK(k == 0, "%zu bytes written into %zu", k, n - 1);
    check_commands(out, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_in_t in = {data, size};
    uint8_t flags = fuzz_u8(&in);
    int64_t p[8];
    for (int i = 0; i < 8; i++)
        p[i] = fuzz_u16(&in);
    p[0] *= 1000003;
    const uint8_t *nul = memchr(in.p, 0, in.len);
    size_t tlen = nul ? (size_t)(nul - in.p) : in.len;
    char *tmpl = fuzz_strndup(in.p, tlen);
    const char *dev = nul ? (const char *)nul + 1 : "";
    size_t dlen = nul ? in.len - tlen - 1 : 0;

    /* what the device sent */
    size_t off, n, used;
    int rc = pl_cit_frame(dev, dlen, &off, &n, &used);
    FUZZ_CHECK(rc >= -1 && rc <= 1, "frame rc %d", rc);
    if (rc == 1) {
        FUZZ_CHECK(n >= 1 && off + n < used && used <= dlen, "line %zu+%zu used %zu of %zu", off, n,
                   used, dlen);
        FUZZ_CHECK(!memchr(dev + off, '\r', n) && !memchr(dev + off, '\n', n), "break in a line");
    } else {
        FUZZ_CHECK(rc == -1 ? used == 0 : used <= dlen, "used %zu of %zu", used, dlen);
    }
    pl_cit_req_t req;
    const char *lists[] = {NULL, "", "F,FF,A,E"};
    for (int i = 0; i < 3; i++) {
        rc = pl_cit_request(dev, dlen, lists[i], &req);
        FUZZ_CHECK(rc == 0 || rc == PL_EFORMAT, "request rc %d", rc);
        FUZZ_CHECK(memchr(req.error, 0, sizeof(req.error)), "message not terminated");
        if (rc) {
            FUZZ_CHECK(req.error[0] && !req.code[0] && !req.len, "refused without a message");
            continue;
        }
        FUZZ_CHECK(req.len >= 1 && req.len <= PL_CIT_CODE_MAX && strlen(req.code) == req.len,
                   "code of %zu bytes", req.len);
        for (size_t k = 0; k < req.len; k++)
            FUZZ_CHECK((req.code[k] > 0x20 && req.code[k] < 0x7f) ||
                           (req.code[k] == ' ' && k && k + 1 < req.len),
                       "byte 0x%02x in a code", (unsigned char)req.code[k]);
        FUZZ_CHECK(strlen(req.prefix) <= PL_CIT_PREFIX_MAX, "prefix %s", req.prefix);
    }

    /* the layout */
    static pl_cit_layout_t lay, before, deflt;
    char err[256];
    memset(&lay, 0xa5, sizeof(lay));
    before = lay;
    rc = pl_cit_layout_compile(&lay, tmpl, err, sizeof(err));
    FUZZ_CHECK(rc == 0 || rc == PL_EFORMAT, "compile rc %d", rc);
    if (rc) {
        FUZZ_CHECK(memchr(err, 0, sizeof(err)) && err[0], "refused without a message");
        FUZZ_CHECK(!memcmp(&lay, &before, sizeof(lay)), "a refused template changed the layout");
    } else {
        FUZZ_CHECK(lay.out_max <= PL_CIT_OUT_MAX, "bound %zu", lay.out_max);
    }
    FUZZ_CHECK(pl_cit_layout_compile(&deflt, NULL, err, sizeof(err)) == 0, "default: %s", err);

    /* an answer made of the input */
    pl_answer_t a, m;
    memset(&a, 0, sizeof(a));
    a.status = (pl_status_t)((flags >> 5) % 5);
    size_t k = dlen < PL_NAME_MAX ? dlen : PL_NAME_MAX;
    memcpy(a.name, dev, k);
    memcpy(a.unit, dev, dlen < PL_UNIT_MAX ? dlen : PL_UNIT_MAX);
    memcpy(a.code, dev, dlen < PL_CODE_ECHO_MAX ? dlen : PL_CODE_ECHO_MAX);
    memcpy(a.error, dev, dlen < sizeof(a.error) - 1 ? dlen : sizeof(a.error) - 1);
    snprintf(a.sku, sizeof(a.sku), "S");
    a.pack_qty = (uint32_t)p[7];
    a.price = p[0];
    a.base_price = p[0];
    a.prev_price = p[1] & 1 ? PL_PRICE_NONE : p[1];
    a.low_7d = p[2];
    a.label_price = p[3];
    a.label_pending = flags >> 4 & 1;
    a.measure = (pl_measure_t)(flags >> 2 & 3);
    a.amount = p[4];
    a.unit_price = p[5];
    a.source = p[6] & 1 ? "special" : "member";
    if (p[6] & 2)
        snprintf(a.promo_id, sizeof(a.promo_id), "P");
    a.promo_ends = p[6] & 4 ? PL_TIME_NONE : 1790000000 + p[6] * 977;
    a.prev_changed_at = PL_TIME_NONE;
    m = a;
    m.status = PL_ANS_OK;
    m.price = p[0] / 2;
    m.unit_price = p[5] / 2;

    pl_cit_conv_t *conv = NULL;
    if (flags & 1)
        FUZZ_CHECK(pl_cit_conv_open(PL_CIT_GB18030, &conv) == 0 && conv, "GB18030 converter");
    const pl_cit_layout_t *lays[2] = {&deflt, rc ? &deflt : &lay};
    for (int i = 0; i < 2; i++) {
        check_screen(lays[i], &a, flags & 2 ? &m : NULL, NULL, 0);
        check_screen(lays[i], &a, NULL, NULL, 1);
        if (conv) {
            check_screen(lays[i], &a, flags & 2 ? &m : NULL, conv, 0);
            check_screen(lays[i], &a, NULL, conv, 1);
        }
    }
    pl_cit_conv_close(conv);
    free(tmpl);
    return 0;
}
