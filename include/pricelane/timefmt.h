/* Instants: seconds since the Unix epoch, printed as RFC 3339 with a fixed
 * UTC offset (the catalogue's), parsed from RFC 3339 or local forms. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Writes "2026-11-26T08:00:00+08:00" (25 bytes + NUL) into out[cap].
 * Returns the length, or 0 if cap < 26, the offset is beyond +-14:00 or the
 * local date is outside years 0000-9999 (nothing pl_time_parse accepts). */
size_t pl_time_format(int64_t t, int utc_offset_min, char *out, size_t cap);

/* Parses s (see pl_parse_time in rows.h for the accepted forms) into *t.
 * An instant whose local date at utc_offset_min is outside years 0000-9999
 * is refused, so whatever is accepted formats and parses back unchanged.
 * Returns 0, or PL_EFORMAT with a reason in err[errlen]. */
int pl_time_parse(const char *s, int utc_offset_min, int64_t *t, char *err, size_t errlen);

/* Current time in seconds (CLOCK_REALTIME). */
int64_t pl_time_now(void);

/* The monotonic clock in nanoseconds (CLOCK_MONOTONIC): for durations and
 * timeouts, never for instants a price is evaluated at. */
int64_t pl_time_mono_ns(void);
