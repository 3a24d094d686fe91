/* Fuzz target: instants (pl_time_parse, pl_time_format).
 *
 * Input: a time string, parsed with several catalogue UTC offsets (and one
 * out of range, which must be refused). When the input is at least 8 bytes,
 * its first 8 are also an arbitrary instant for pl_time_format.
 *
 * Checks: parse returns 0 or PL_EFORMAT with a terminated reason; a parsed
 * instant formats (25 bytes, in a 26-byte buffer) and parses back to the
 * same instant; formatting honours its cap for any instant. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "pricelane/err.h"
#include "pricelane/timefmt.h"

static const int offsets[] = {0, 480, -300, 345, 14 * 60, -14 * 60};

static void round_trip(const char *s, int off)
{
    int64_t t = 0x5a5a5a5a, t2 = 0;
    char err[80], out[26], err2[80];
    memset(err, 'x', sizeof(err));
    int rc = pl_time_parse(s, off, &t, err, sizeof(err));
    FUZZ_CHECK(memchr(err, 0, sizeof(err)) != NULL, "reason not terminated");
    if (rc != 0) {
        FUZZ_CHECK(rc == PL_EFORMAT && err[0], "rc %d, reason \"%s\"", rc, err);
        return;
    }
    size_t n = pl_time_format(t, off, out, sizeof(out));
    FUZZ_CHECK(n == 25 && strlen(out) == 25, "\"%s\" (offset %d) → %lld formats as %zu bytes",
               s, off, (long long)t, n);
    rc = pl_time_parse(out, off, &t2, err2, sizeof(err2));
    FUZZ_CHECK(rc == 0 && t2 == t, "\"%s\" (offset %d) → %lld → \"%s\" → rc %d, %lld (%s)", s,
               off, (long long)t, out, rc, (long long)t2, err2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_strndup(data, size);
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
        round_trip(s, offsets[i]);
    int64_t t;
    char err[80];
    FUZZ_CHECK(pl_time_parse(s, 14 * 60 + 1, &t, err, sizeof(err)) == PL_EFORMAT,
               "offset out of range accepted");
    /* The short-buffer and no-buffer forms of the message. */
    pl_time_parse(s, 480, &t, err, 1);
    pl_time_parse(s, 480, &t, NULL, 0);
    free(s);

    if (size >= 8) {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u |= (uint64_t)data[i] << (8 * i);
        int off = offsets[data[size - 1] % (sizeof(offsets) / sizeof(offsets[0]))];
        char big[64], *exact = malloc(26);
        size_t n = pl_time_format((int64_t)u, off, big, sizeof(big));
        FUZZ_CHECK(n < sizeof(big), "formatted %zu bytes", n);
        size_t m = pl_time_format((int64_t)u, off, exact, 26);
        FUZZ_CHECK(m == 0 || (m == n && memcmp(exact, big, n + 1) == 0),
                   "cap 26 gave %zu, cap 64 gave %zu", m, n);
        FUZZ_CHECK(pl_time_format((int64_t)u, off, exact, 25) == 0, "cap 25 accepted");
        free(exact);
    }
    return 0;
}
