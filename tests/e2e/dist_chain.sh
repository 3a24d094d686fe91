#!/usr/bin/env bash
# A chain of two zones of three stores on one nats-server, in short: the
# same script as the full run of bench/dist/chain (1,000 batches, a 100,000-
# row batch, 50 kills, a 30 s outage; bench/RESULTS.md), with 60 batches of
# mixed operations (chain-wide, zone, store-specific, promotions and their
# cancellations, scheduled prices), a 20,000-row batch in parts, a random
# follower killed with SIGKILL at random moments 10 times or more, and every
# nats-server stopped for 3 s with the followers left running. Each store's
# canonical dump (its answers for every item at three instants, with the
# generation) equals that of a catalogue built by `apply` of the same
# batches; no follower ever met a batch already applied; verify is clean;
# the followers reconnected by themselves after the outage (same processes)
# and exit 0 on SIGTERM.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"

rc=0
TMPDIR=$T timeout 200 python3 "$SRC/bench/dist/chain" --build "$BIN" --batches 60 --big 20000 --kills 10 \
    --outage 3 --seed "$RANDOM" >"$T/chain.out" 2>&1 || rc=$?
cat "$T/chain.out"
check_eq "bench/dist/chain, short: exit 0" "$rc" 0
check_match "the followers came back by themselves after the outage" "$(cat "$T/chain.out")" \
    "every follower reconnected by itself and caught up"
check_eq "six stores equal to their reference" "$(grep -c ': equal to the reference$' "$T/chain.out")" 6
check_match "the whole chain equal" "$(tail -1 "$T/chain.out")" "^chain: equal \(60 batches, [0-9]+ kills"
finish
