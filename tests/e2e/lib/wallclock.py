"""The wall clock for test helpers, valid at any date the product accepts.

Python keeps time as 64-bit nanoseconds, so time.time() raises OverflowError
past the year 2262; the suite also runs under a faked clock in the year 9998
(ops/test), where the date program still reads the clock.
"""
import select
import subprocess
import time


def wall():
    """Seconds since the Unix epoch, as a float."""
    try:
        return time.time()
    except OverflowError:
        return float(subprocess.check_output(["date", "+%s.%N"]).decode())


def sleep(seconds):
    """time.sleep that works under the faked clock: libfaketime 0.9.10 turns
    the absolute CLOCK_MONOTONIC deadline of Python's time.sleep into an
    invalid one (EINVAL) when the monotonic clock is left real. Helpers use
    this one, and never subprocess timeouts (which sleep the same way): the
    test's own timeout bounds them."""
    select.select([], [], [], seconds)
