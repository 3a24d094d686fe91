#!/usr/bin/env bash
# Stores follow their zone's stream on a real nats-server (JetStream,
# 127.0.0.1, ephemeral port, storage in the scratch directory):
#  * headquarters publishes a chain-wide catalogue and 40 zone batches; two
#    stores of the zone and one of the other zone follow; pricelaned beside
#    store S1 answers each new price once its follower committed it;
#  * S1's follower is killed (SIGKILL) five times in the middle of the
#    stream and started again: every batch is applied exactly once (the
#    generation equals the number of batches; no batch was ever seen twice,
#    which a position written apart from its batch would show);
#  * rows for another store are not written; each store ends with the
#    prices headquarters has for it, and verify finds nothing;
#  * nats-server stopped and started again: the followers reconnect and go
#    on by themselves; SIGTERM stops a follower cleanly (exit 0).
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"
CODE1=6901234567892 # item 100001
CODE3=036000291452  # item 100003
N=40

start_nats hub || exit 1
NPORT=$NATS_PORT_hub
U=nats://127.0.0.1:$NPORT
HQ=$T/hq
new_catalogue "$HQ"
new_catalogue "$T/db" # store S1 (zone north), served by pricelaned
new_catalogue "$T/s2" # store S2 (zone north)
new_catalogue "$T/s3" # store S3 (zone south)
fixture small.csv.in | xargs grep -v '^promo' >"$T/base.csv"

"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone all "$T/base.csv" >/dev/null
start_follower f1 "$T/db" "$U" north S1
F1=$FPID
start_follower f2 "$T/s2" "$U" north S2
F2=$FPID
start_follower f3 "$T/s3" "$U" south S3
F3=$FPID
wait_until 20 seq_is "$T/db" 1 && ok "S1 applied the chain's catalogue" || bad "S1 did not apply sequence 1"

rc=0; start_server lanes uring || rc=$?
[ $rc = 77 ] && { rc=0; start_server lanes uv || rc=$?; }
[ $rc = 0 ] || exit 1
price_at() { "$BIN/pricelane" lookup --server "127.0.0.1:$PORT" --store "$1" "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["price"])'; }
answers() { [ "$(price_at "$1" "$2")" = "$3" ]; } # STORE CODE PRICE

# One batch: a new price for the chain's 100001, the pricelaned answer
# follows it; a store price for S2 never reaches S1's catalogue.
printf 'op,sku,price,store\nprice,100001,57.00,\nprice,100003,9.99,S2\n' >"$T/first.csv"
"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone north "$T/first.csv" >/dev/null
wait_until 20 answers S1 "$CODE1" 5700 && ok "pricelaned beside S1 answers the published price" ||
    bad "S1's pricelaned answers $(price_at S1 "$CODE1"), want 5700"
wait_until 20 seq_is "$T/s2" 2 || bad "S2 did not apply sequence 2"
check_eq "S1 does not hold S2's store price" "$(price_at S1 "$CODE3")" 350
check_eq "S2 holds its store price" "$("$BIN/pricelane" lookup --db "$T/s2" --store S2 "$CODE3" | python3 -c 'import json,sys; print(json.load(sys.stdin)["price"])')" 999

# 40 batches in one publish while S1's follower is killed 5 times.
for i in $(seq 1 $N); do
    printf 'op,sku,price\nprice,100001,%d.%02d\nprice,100002,%d.00\n' $((60 + i / 100)) $((i % 100)) $((70 + i)) \
        >"$T/b-$(printf %04d "$i").csv"
done
"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone north "$T"/b-*.csv >"$T/pub.out" 2>&1 &
PUB=$!
PL_PIDS+=("$PUB")
kills=0
for target in 6 12 20 28 36; do
    # Kill as soon as S1 is past TARGET (wherever it is in its next batch).
    if wait_until 30 eval '[ "$(applied_seq "$T/db")" -ge '$((target + 2))' ]'; then
        kill -KILL "$F1" && kills=$((kills + 1))
        wait "$F1" 2>/dev/null || true
        start_follower f1 "$T/db" "$U" north S1
        F1=$FPID
    fi
done
wait "$PUB" && ok "headquarters published $N batches" || { bad "publish failed"; cat "$T/pub.out"; }
check_eq "S1's follower killed in the middle of the stream" "$kills" 5
HEAD=$(stream_head "$T/db" "$U" north)
check_eq "north's head" "$HEAD" $((N + 2))
wait_until 30 seq_is "$T/db" "$HEAD" && ok "S1 caught up after the kills" || bad "S1 at $(applied_seq "$T/db"), head $HEAD"
wait_until 30 seq_is "$T/s2" "$HEAD" && ok "S2 caught up" || bad "S2 at $(applied_seq "$T/s2")"
check_eq "S1: one generation per batch, each applied once" "$(generation "$T/db")" "$HEAD"
check_eq "S1: no batch was ever delivered twice to the catalogue" \
    "$(cat "$T/f1.out" | grep -c 'already applied' || true)" 0
check_eq "S1's pricelaned: the last batch's price" "$(price_at S1 "$CODE1")" 6040
check_eq "S3 (other zone) did not take north's batches" "$(generation "$T/s3")" 1
for s in S1 S2; do
    db=$T/db; [ $s = S2 ] && db=$T/s2
    a=$("$BIN/pricelane" lookup --db "$db" --store $s "$CODE1" 6920000000012 "$CODE3" | python3 -c '
import json,sys
print(" ".join(str(json.loads(l)["price"]) for l in sys.stdin))')
    h=$("$BIN/pricelane" lookup --db "$HQ" --store $s "$CODE1" 6920000000012 "$CODE3" | python3 -c '
import json,sys
print(" ".join(str(json.loads(l)["price"]) for l in sys.stdin))')
    check_eq "$s answers what headquarters has for $s" "$a" "$h"
    "$LOAD" verify --quiet --db "$db" && ok "$s: verify clean" || bad "$s: verify"
done

# nats-server goes away and comes back on the same port and storage.
stop_nats hub
printf 'op,sku,price\nprice,100001,66.60\n' >"$T/after.csv"
start_nats hub "$NPORT" || exit 1
"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone north "$T/after.csv" >/dev/null &&
    ok "published after the server's restart" || bad "publish after the restart"
wait_until 30 answers S1 "$CODE1" 6660 && ok "S1's follower reconnected by itself and applied it" ||
    bad "S1 answers $(price_at S1 "$CODE1") after the server's restart"
wait_until 30 seq_is "$T/s2" $((HEAD + 1)) && ok "S2's follower too" || bad "S2 at $(applied_seq "$T/s2")"

out=$("$LOAD" follow --status --db "$T/db" --zone north --nats "$U")
check_match "follow --status: applied, head, lag" "$out" "applied: $((HEAD + 1)).*head: +$((HEAD + 1)) \(now\).*lag: +0.*state: +following"

# A second follower on the same catalogue is refused.
out=$("$LOAD" follow --db "$T/db" --nats "$U" --zone north --store S1 2>&1) && frc=0 || frc=$?
check_eq "a second follower on S1's catalogue: exit 1" "$frc" 1
check_match "a second follower: says why" "$out" "another follower is running on this catalogue"

kill -TERM "$F1"
frc=0; timeout 20 tail -s 0.05 --pid="$F1" -f /dev/null; wait "$F1" || frc=$?
check_eq "SIGTERM: the follower exits 0" "$frc" 0
check_match "SIGTERM: says where it stopped" "$(tail -1 "$T/f1.out")" "stopped at PRICELANE_north sequence $((HEAD + 1))"
stop_server lanes "$SPID"
kill -TERM "$F2" "$F3"
wait "$F2" "$F3" || true
stop_all_nats
finish
