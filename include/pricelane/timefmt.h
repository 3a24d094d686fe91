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

/* The calendar (proleptic Gregorian), in one place for every module.
 * pl_time_days_in_month: days of month m (1..12) of year y; 0 for another m.
 * pl_time_local: the instant of y-m-d hh:mm local time at utc_offset_min
 *   (m 1..12, d 1..31, hh 0..23, mm 0..59: not checked; d past the end of
 *   the month counts on into the next).
 * pl_time_civil: the local date of instant t at utc_offset_min. */
int pl_time_days_in_month(int64_t y, int m);
int64_t pl_time_local(int64_t y, int m, int d, int hh, int mm, int utc_offset_min);
void pl_time_civil(int64_t t, int utc_offset_min, int64_t *y, int *m, int *d);
