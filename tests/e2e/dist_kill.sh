#!/usr/bin/env bash
# A store's follower killed with SIGKILL at least 50 times while it catches
# up 100 batches from a real nats-server (each kill lands wherever the
# follower is: connecting, reading a message, applying rows, committing).
# Nothing lost: every batch moves the generation by one, so it ends equal
# to the stream's head. Nothing twice: no batch ever reaches the ledger's
# "already applied", which a position not committed with its batch would
# cause at the next start (and the ledger would refuse a second application
# anyway). The store ends with headquarters' prices and a clean verify.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"
N=100
KILLS=50

start_nats hub || exit 1
U=nats://127.0.0.1:$NATS_PORT_hub
HQ=$T/hq
new_catalogue "$HQ"
new_catalogue "$T/s1"
fixture small.csv.in | xargs grep -v '^promo' >"$T/base.csv"
for i in $(seq 1 $N); do
    printf 'op,sku,price,store\nprice,100001,%d.%02d,\nprice,100002,%d.00,S1\nprice,100003,%d.50,\n' \
        $((50 + i / 100)) $((i % 100)) $((60 + i)) $((i % 9 + 1)) >"$T/k-$(printf %04d "$i").csv"
done
"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone north "$T/base.csv" "$T"/k-*.csv >/dev/null
HEAD=$((N + 1))
check_eq "stream head" "$(stream_head "$T/s1" "$U" north)" "$HEAD"

# Each round: start the follower, let it run a random 0..X ms, kill it
# wherever it is (the tests' way of choosing a random moment, as in
# loader_crash.sh; nothing waits on it). X adapts so that a round applies
# about one or two batches on any machine: longer after a round that
# applied none (killed while connecting), shorter after one that applied
# several. Rounds go on until the store has every batch and 50 kills.
kills=0 rounds=0 x=100000 before=$(applied_seq "$T/s1")
while { [ "$before" -lt "$HEAD" ] || [ "$kills" -lt "$KILLS" ]; } && [ "$rounds" -lt 400 ]; do
    rounds=$((rounds + 1))
    start_follower f1 "$T/s1" "$U" north S1
    sleep "$(printf '%d.%06d' $((x / 1000000)) $(((RANDOM * 32768 + RANDOM) % x % 1000000)))"
    kill -KILL "$FPID" 2>/dev/null && kills=$((kills + 1))
    { wait "$FPID"; } 2>/dev/null || true
    now=$(applied_seq "$T/s1")
    if [ "$now" = "$before" ]; then
        x=$((x + 25000 > 500000 ? 500000 : x + 25000))
    elif [ $((now - before)) -gt 2 ]; then
        x=$((x * 2 / 3 < 10000 ? 10000 : x * 2 / 3))
    fi
    before=$now
done
[ "$kills" -ge "$KILLS" ] && ok "follower killed $kills times ($rounds rounds) while catching up $N batches" ||
    bad "only $kills kills in $rounds rounds (want $KILLS or more)"
start_follower f1 "$T/s1" "$U" north S1
wait_until 30 seq_is "$T/s1" "$HEAD" && ok "caught up: sequence $HEAD" || bad "at $(applied_seq "$T/s1")"
check_eq "one generation per batch: nothing lost, nothing applied twice" "$(generation "$T/s1")" "$HEAD"
check_eq "no batch ever came to the catalogue twice" "$(grep -c 'already applied' "$T/f1.out" || true)" 0
a=$("$BIN/pricelane" lookup --db "$T/s1" --store S1 6901234567892 6920000000012 036000291452 | python3 -c '
import json,sys; print(" ".join(str(json.loads(l)["price"]) for l in sys.stdin))')
h=$("$BIN/pricelane" lookup --db "$HQ" --store S1 6901234567892 6920000000012 036000291452 | python3 -c '
import json,sys; print(" ".join(str(json.loads(l)["price"]) for l in sys.stdin))')
check_eq "S1 answers what headquarters has for S1" "$a" "$h"
"$LOAD" verify --quiet --db "$T/s1" >/dev/null && ok "verify clean" || bad "verify"
kill -TERM "$FPID"
wait "$FPID" || true
stop_all_nats
finish
