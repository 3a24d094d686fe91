#!/usr/bin/env bash
# Runs one test command, under a faked clock when PL_FAKETIME is set.
#
# PL_FAKETIME is an offset such as "+3600s" from the real clock, computed
# once by ops/test for the whole run so that every process of every test
# shares one clock that keeps running (libfaketime's "@DATE" form would
# restart the clock in each new process). The monotonic clock is left real
# (FAKETIME_DONT_FAKE_MONOTONIC=1): timeouts, io_uring and libuv timers,
# ctest's own deadlines keep their real meaning; the wall clock, which
# prices, promotions, labels and history are evaluated against, is faked.
set -euo pipefail
if [ -n "${PL_FAKETIME:-}" ]; then
    export FAKETIME_DONT_FAKE_MONOTONIC=1
    # faketime names its semaphore and shared memory after its own process
    # id, which after exec is this shell's: ones left by a faketime that was
    # killed with the same id would make it refuse to start ("sem_open: File
    # exists").
    rm -f "/dev/shm/sem.faketime_sem_$$" "/dev/shm/faketime_shm_$$"
    exec faketime -m -f "$PL_FAKETIME" "$@"
fi
exec "$@"
