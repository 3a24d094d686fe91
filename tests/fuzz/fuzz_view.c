/* Fuzz target: unpacking an item view as read from the shared-memory cache
 * (view_unpack), then evaluating it (view_eval) and encoding the answer
 * (pl_answer_json), the path a cache hit takes in the server.
 *
 * Checks: unpack returns 0 or PL_ECORRUPT and never reads past the input;
 * a view it accepts packs back to a form that unpacks to the same bytes;
 * evaluation at a few instants from its build time on returns 0 or
 * PL_ENOTFOUND; the answer encodes within its buffer. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "pricelane/err.h"
#include "pricelane/resolve.h"
#include "view.h"

#define UTC_OFFSET 480

static int64_t add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

static void eval_at(const view_t *v, const char *store, int64_t now, int member)
{
    pl_answer_t a;
    memset(&a, 0, sizeof(a));
    a.status = PL_ANS_OK;
    snprintf(a.code, sizeof(a.code), "%s", v->gtin);
    snprintf(a.gtin, sizeof(a.gtin), "%s", v->gtin);
    snprintf(a.sku, sizeof(a.sku), "%s", v->item.sku);
    snprintf(a.name, sizeof(a.name), "%s", v->item.name);
    snprintf(a.unit, sizeof(a.unit), "%s", v->item.unit);
    a.pack_qty = v->item.pack_qty;
    a.gen = v->gen;
    int rc = view_eval(v, store, now, member, &a);
    FUZZ_CHECK(rc == 0 || rc == PL_ENOTFOUND, "view_eval rc %d", rc);
    if (rc != 0)
        return;
    FUZZ_CHECK(a.source != NULL, "no source");
    char out[4096];
    size_t n = pl_answer_json(&a, UTC_OFFSET, out, sizeof(out));
    FUZZ_CHECK(n > 0 && n < sizeof(out) && strlen(out) == n, "answer of %zu bytes", n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static view_t v, v2;
    static uint8_t buf[sizeof(view_t)], buf2[sizeof(view_t)];
    int rc = view_unpack(data, size, &v);
    FUZZ_CHECK(rc == 0 || rc == PL_ECORRUPT || rc == PL_EVERSION, "view_unpack rc %d", rc);
    /* The in-place unpack (a shared-cache hit's) agrees with the copying one. */
    static view_t w;
    int rw = -1;
    if (size <= offsetof(view_t, promos)) {
        memcpy(&w, data, size);
        rw = view_unpack_in_place(&w, size);
        FUZZ_CHECK(rw == rc, "in place: rc %d, copied: rc %d", rw, rc);
    }
    if (rc != 0)
        return 0;

    size_t n = view_pack(&v, buf, sizeof(buf));
    FUZZ_CHECK(n == size, "repacked to %zu bytes from %zu", n, size);
    if (rw == 0)
        FUZZ_CHECK(view_pack(&w, buf2, sizeof(buf2)) == n && memcmp(buf, buf2, n) == 0,
                   "unpacked in place, repacked differently");
    FUZZ_CHECK(view_unpack(buf, n, &v2) == 0, "a repacked view does not unpack");
    size_t n2 = view_pack(&v2, buf2, sizeof(buf2));
    FUZZ_CHECK(n2 == n && memcmp(buf, buf2, n) == 0, "pack/unpack is not stable");

    const char *stores[3] = {NULL, "S1", NULL};
    if (v.npromos && v.promos[0].nstores)
        stores[2] = v.promos[0].stores[0];
    else if (v.nprices)
        stores[2] = v.prices[v.nprices - 1].scope;
    const int64_t later[4] = {0, 3600, 86400 + 1, 8 * 86400};
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < 4; i++)
            eval_at(&v, stores[s], add_sat(v.built_at, later[i]), (i + s) & 1);
    return 0;
}
