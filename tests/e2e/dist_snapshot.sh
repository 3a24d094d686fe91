#!/usr/bin/env bash
# A store away longer than its zone's stream keeps batches (a real
# nats-server; the stream keeps 6 messages) re-bootstraps from a zone
# snapshot with no manual step: headquarters publishes the catalogue of a
# zone replica (a follower without --store) as a snapshot standing at its
# position; the store loads it in one transaction and goes on with the
# batches after it. pricelaned runs on the store's catalogue all along and
# never answers from its cache of the old state. A store that has the
# batches passes the snapshot. Each ends with headquarters' prices for it.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"
CODE1=6901234567892 # item 100001
CODE2=6920000000012 # item 100002
CODE3=036000291452  # item 100003

start_nats hub || exit 1
U=nats://127.0.0.1:$NATS_PORT_hub
printf '[distribution]\nmax_msgs = 6\n' >"$T/dist.conf"
HQ=$T/hq
for d in "$HQ" "$T/replica" "$T/db" "$T/s2"; do new_catalogue "$d"; done
fixture small.csv.in | xargs grep -v '^promo' >"$T/base.csv"
pub() { "$LOAD" publish --quiet --config "$T/dist.conf" --db "$HQ" --nats "$U" --zone north "$@" >>"$T/pub.out"; }
batch() { # N: a price for 100001, and store prices for S1 and S2 in two of them
    local f=$T/b-$(printf %02d "$1").csv
    printf 'op,sku,price,store\nprice,100001,%d.00,\n' $((60 + $1)) >"$f"
    [ "$1" = 5 ] && printf 'price,100003,3.05,S1\n' >>"$f"
    [ "$1" = 6 ] && printf 'price,100003,3.06,S2\n' >>"$f"
    echo "$f"
}
pub "$T/base.csv"
"$LOAD" follow --db "$T/replica" --nats "$U" --zone north >"$T/replica.out" 2>&1 &
R=$!
PL_PIDS+=("$R")
start_follower f1 "$T/db" "$U" north S1
F1=$FPID
start_follower f2 "$T/s2" "$U" north S2
F2=$FPID
rc=0; start_server lanes uring --memo-mb 0 || rc=$?
[ $rc = 77 ] && { rc=0; start_server lanes uv --memo-mb 0 || rc=$?; }
[ $rc = 0 ] || exit 1
price_at() { "$BIN/pricelane" lookup --server "127.0.0.1:$PORT" --store S1 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["price"])'; }

for i in 1 2 3; do pub "$(batch $i)"; done
wait_until 20 seq_is "$T/db" 4 || bad "S1 did not reach sequence 4"
check_eq "S1's pricelaned before the store goes away" "$(price_at $CODE1)" 6300
check_eq "and again (from its cache)" "$(price_at $CODE1)" 6300
kill -TERM "$F1"
wait "$F1" || bad "S1's follower did not stop cleanly"

for i in $(seq 4 12); do pub "$(batch $i)"; done
wait_until 20 seq_is "$T/replica" 13 && ok "the zone replica follows" || bad "replica at $(applied_seq "$T/replica")"
out=$("$LOAD" follow --status --db "$T/db" --zone north --nats "$U")
check_match "S1 is behind the stream's retention" "$out" "applied: 4.*head: +13"
out=$("$LOAD" publish --snapshot --config "$T/dist.conf" --db "$T/replica" --nats "$U" --zone north 2>&1) && rc=0 || rc=$?
check_eq "publish --snapshot: exit 0" "$rc" 0
check_match "publish --snapshot: at the replica's position" "$out" "snapshot of .* at PRICELANE_north sequence 13: [0-9]+ records"
check_match "publish --snapshot: into the stream" "$out" "published batch snapshot@13 to zone north: stream PRICELANE_north sequence 14"
pub "$(batch 13)"

start_follower f1 "$T/db" "$U" north S1
F1=$FPID
wait_until 30 seq_is "$T/db" 15 && ok "S1 re-bootstrapped and caught up" || bad "S1 at $(applied_seq "$T/db")"
wait_until 30 grep -q "sequence 15: applied batch b-13" "$T/f1.out" || true # (printed after its commit)
check_match "S1 loaded the snapshot by itself" "$(cat "$T/f1.out")" "sequences 14-14: loaded snapshot snapshot@13 .*rows of other stores skipped"
check_match "then passed its message and applied the batch after it" "$(cat "$T/f1.out")" "sequence 15: applied batch b-13"
check_eq "S1's pricelaned answers the new price, not its cache of the old state" "$(price_at $CODE1)" 7300
check_eq "S1's own store price (a batch it never received)" "$(price_at $CODE3)" 305
wait_until 20 seq_is "$T/s2" 15 || bad "S2 at $(applied_seq "$T/s2")"
wait_until 30 grep -q "sequence 14: a snapshot for stores that fell behind: passed" "$T/f2.out" || true
check_match "S2, which had the batches, passed the snapshot" "$(cat "$T/f2.out")" "sequence 14: a snapshot for stores that fell behind: passed"
for s in S1 S2; do
    db=$T/db; [ $s = S2 ] && db=$T/s2
    a=$("$BIN/pricelane" lookup --db "$db" --store $s $CODE1 $CODE2 $CODE3 | python3 -c '
import json,sys; print(" ".join(str(json.loads(l)["price"]) for l in sys.stdin))')
    h=$("$BIN/pricelane" lookup --db "$HQ" --store $s $CODE1 $CODE2 $CODE3 | python3 -c '
import json,sys; print(" ".join(str(json.loads(l)["price"]) for l in sys.stdin))')
    check_eq "$s answers what headquarters has for $s" "$a" "$h"
    "$LOAD" verify --quiet --db "$db" >/dev/null && ok "$s: verify clean" || bad "$s: verify"
done
check_eq "S1's ledger: the snapshot's batches, its record and the batch after" "$(mdb_dump -p -s batches "$T/db" | grep -c 'snapshot@13')" 1
kill -TERM "$F1" "$F2" "$R"
wait "$F1" "$F2" "$R" || true
stop_server lanes "$SPID"
stop_all_nats
finish
