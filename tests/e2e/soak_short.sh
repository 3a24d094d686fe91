#!/usr/bin/env bash
# The soak (bench/soak) for 60 seconds: mixed UDP/TCP lookups at 70% of the
# measured capacity, a batch every second checked for freshness, label acks;
# then zero errors, zero stale answers, at least one ack, a clean exit and a
# clean verify. RSS at start and end is printed (not checked: 60 s is too
# short to call memory flat; the 10-minute soak is in docs/reliability.md).
set -euo pipefail
: "${PL_BIN:?}" "${PL_SOURCE_DIR:?}"
exec bash "$PL_SOURCE_DIR/bench/soak" --seconds "${PL_SOAK_SECONDS:-60}" --items 5000 --build "$PL_BIN"
