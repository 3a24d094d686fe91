/* Fuzz target: GS1 element strings and Digital Link URIs (pl_gs1_parse).
 *
 * Input: a scanned code, parsed with the year taken from its first byte
 * (1900 + 0..255, so every century rule is met).
 *
 * Checks: the return code is 0, PL_EBADCODE or PL_ECHECK, with a terminated
 * message on error; a plain code's slice lies inside the input; GS1 data has
 * a GTIN of 14 digits with a right check digit, at most PL_GS1_AIS_MAX AIs
 * whose values lie inside the buffer, are terminated and are found again by
 * pl_gs1_get; every date is a real date; a weight or an amount is not
 * negative; parsing is deterministic. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "pricelane/barcode.h"
#include "pricelane/err.h"
#include "pricelane/gs1.h"
#include "pricelane/timefmt.h"

static void check_date(const pl_gs1_date_t *d)
{
    if (!d->y)
        return;
    FUZZ_CHECK(d->m >= 1 && d->m <= 12, "month %d", d->m);
    FUZZ_CHECK(d->d >= 1 && d->d <= pl_time_days_in_month(d->y, d->m), "day %d of %d-%d", d->d,
               d->y, d->m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static pl_gs1_t g, again;
    int year = 1900 + (size ? data[0] : 0);
    memset(&g, 0xa5, sizeof(g)); /* garbage, as a reused answer holds */
    memset(&again, 0x5a, sizeof(again));
    int rc = pl_gs1_parse((const char *)data, size, year, &g);
    FUZZ_CHECK(memchr(g.error, 0, sizeof(g.error)) != NULL, "error not terminated");
    int rc2 = pl_gs1_parse((const char *)data, size, year, &again);
    FUZZ_CHECK(rc == rc2 && strcmp(g.error, again.error) == 0, "not deterministic");
    FUZZ_CHECK(memchr(g.sym, 0, sizeof(g.sym)) && strcmp(g.sym, again.sym) == 0,
               "identifier \"%.4s\" not terminated or not deterministic", g.sym);
    if (rc) {
        FUZZ_CHECK(rc == PL_EBADCODE || rc == PL_ECHECK, "rc %d", rc);
        FUZZ_CHECK(g.error[0] != 0, "error without a message");
        return 0;
    }
    if (g.form == PL_GS1_PLAIN) {
        FUZZ_CHECK(g.plain_off <= size && g.plain_len <= size - g.plain_off, "slice %zu+%zu of %zu",
                   g.plain_off, g.plain_len, size);
        return 0;
    }
    FUZZ_CHECK(g.form == PL_GS1_ELEMENTS || g.form == PL_GS1_LINK, "form %d", g.form);
    FUZZ_CHECK(strlen(g.gtin) == 14, "gtin \"%s\"", g.gtin);
    FUZZ_CHECK(pl_barcode_check_digit(g.gtin, 13) == g.gtin[13] - '0', "gtin %s check digit",
               g.gtin);
    FUZZ_CHECK(g.nais >= 1 && g.nais <= PL_GS1_AIS_MAX, "nais %d", g.nais);
    for (int i = 0; i < g.nais; i++) {
        const pl_gs1_ai_t *a = &g.ais[i];
        FUZZ_CHECK((size_t)a->off + a->len < sizeof(g.data), "value %d past the buffer", i);
        FUZZ_CHECK(g.data[a->off + a->len] == 0 && strlen(g.data + a->off) == a->len,
                   "value %d not terminated", i);
        FUZZ_CHECK(pl_gs1_get(&g, a->ai) == g.data + a->off, "AI %s not found again", a->ai);
    }
    FUZZ_CHECK(memchr(g.lot, 0, sizeof(g.lot)) && memchr(g.serial, 0, sizeof(g.serial)),
               "lot or serial not terminated");
    check_date(&g.prod);
    check_date(&g.pack);
    check_date(&g.best_before);
    check_date(&g.sell_by);
    check_date(&g.expiry);
    check_date(&g.expiry_at);
    FUZZ_CHECK(g.expiry_hhmm == -1 ||
                   (g.expiry_hhmm >= 0 && g.expiry_hhmm <= 2359 && g.expiry_hhmm % 100 < 60),
               "hhmm %d", g.expiry_hhmm);
    FUZZ_CHECK(g.weight_g >= -1 && g.amount >= -1, "weight %lld amount %lld", (long long)g.weight_g,
               (long long)g.amount);
    return 0;
}
