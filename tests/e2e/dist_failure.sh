#!/usr/bin/env bash
# A batch that one store cannot apply (its catalogue diverged: a barcode
# added locally) on a real nats-server: that store's follower stops at the
# batch's sequence and says why (exit 1), pricelaned beside it shows it
# (/healthz degraded, /metrics), the other store goes on; started again the
# follower stops again; --skip SEQ passes it, recorded in the ledger; the
# follower then goes on. Lag shows in /metrics and --status.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"
command -v mdb_dump >/dev/null || { echo "mdb_dump missing (lmdb-utils)"; exit 1; }
CODE1=6901234567892 # item 100001
FREE=6901234560060  # a barcode no item has at headquarters

start_nats hub || exit 1
U=nats://127.0.0.1:$NATS_PORT_hub
HQ=$T/hq
new_catalogue "$HQ"
new_catalogue "$T/db" # S1, served by pricelaned
new_catalogue "$T/s2"
fixture small.csv.in | xargs grep -v '^promo' >"$T/base.csv"
"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone all "$T/base.csv" >/dev/null
start_follower f1 "$T/db" "$U" north S1
F1=$FPID
start_follower f2 "$T/s2" "$U" north S2
F2=$FPID
wait_until 20 seq_is "$T/db" 1 || bad "S1 did not apply the chain's catalogue"
rc=0; start_server lanes uring || rc=$?
[ $rc = 77 ] && { rc=0; start_server lanes uv || rc=$?; }
[ $rc = 0 ] || exit 1
health() { curl -s --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$ADMIN/healthz"; }
check_match "/healthz while following" "$(health)" "^ok generation=1"$'\n'" 200$"

# S1's catalogue diverges: the free barcode goes to another item there.
printf 'op,sku,barcode\nbarcode,100003,%s\n' "$FREE" >"$T/local.csv"
"$LOAD" apply --quiet --db "$T/db" "$T/local.csv"
printf 'op,sku,barcode\nbarcode,100001,%s\n' "$FREE" >"$T/conflict.csv"
"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone north "$T/conflict.csv" >/dev/null

frc=0; timeout 20 tail -s 0.05 --pid="$F1" -f /dev/null; wait "$F1" || frc=$?
check_eq "S1's follower stops: exit 1" "$frc" 1
err=$(cat "$T/f1.err")
check_match "it says where" "$err" "stopped at PRICELANE_north sequence 2: batch conflict"
check_match "it says why (the row and the reason)" "$err" "conflict.csv:2:barcode: .*100003"
check_match "it says what to do" "$err" "or pass the batch with --skip 2"
wait_until 20 seq_is "$T/s2" 2 && ok "S2 applied the batch S1 could not" || bad "S2 at $(applied_seq "$T/s2")"
check_match "/healthz: degraded (still 200: the lanes are answered)" "$(health)" \
    "^degraded generation=2: the follower stopped at PRICELANE_north sequence 2: batch conflict: .* 200$"
check_eq "/metrics: stopped sequence" "$(metric "$ADMIN" pricelane_follow_stopped_sequence)" 2
check_eq "/metrics: applied sequence" "$(metric "$ADMIN" pricelane_follow_applied_sequence)" 1
out=$("$LOAD" follow --status --db "$T/db") && src=0 || src=$?
check_eq "--status of a stopped follower: exit 1" "$src" 1
check_match "--status: the state" "$out" "state: +stopped at sequence 2: batch conflict"

# Headquarters goes on; S1's lag shows.
printf 'op,sku,price\nprice,100001,51.00\n' >"$T/later.csv"
"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone north "$T/later.csv" >/dev/null
wait_until 20 seq_is "$T/s2" 3 && ok "S2 goes on" || bad "S2 at $(applied_seq "$T/s2")"
out=$("$LOAD" follow --status --db "$T/db" --zone north --nats "$U") || true
check_match "--status with the server: head 3, lag 2" "$out" "applied: 1.*head: +3 \(now\).*lag: +2"

# Started again without --skip: the same batch, the same stop, nothing changed.
g=$(generation "$T/db")
out=$("$LOAD" follow --db "$T/db" --nats "$U" --zone north --store S1 2>&1) && frc=0 || frc=$?
check_eq "started again: stops again (exit 1)" "$frc" 1
check_match "started again: it tried the batch again" "$out" "was stopped at PRICELANE_north sequence 2 .*trying it again"
check_eq "started again: the catalogue unchanged" "$(generation "$T/db")" "$g"

out=$("$LOAD" follow --skip 3 --db "$T/db" 2>&1) && frc=0 || frc=$?
check_eq "--skip of a sequence it is not stopped at: exit 1" "$frc" 1
check_match "--skip 3: says why" "$out" "the follower is not stopped there"
out=$("$LOAD" follow --skip 2 --db "$T/db" 2>&1) && frc=0 || frc=$?
check_eq "--skip 2: exit 0" "$frc" 0
check_match "--skip 2: what was skipped and where it is recorded" "$out" \
    "skipped PRICELANE_north sequence 2 \(batch conflict, .*recorded in the ledger as skip@2:conflict, generation $((g + 1))"
check_eq "the ledger holds the skip" "$(mdb_dump -p -s batches "$T/db" | grep -c 'skip@2:conflict')" 1
check_match "/healthz: ok again" "$(health)" "^ok generation=$((g + 1))"$'\n'" 200$"
check_eq "/metrics: no stop" "$(metric "$ADMIN" pricelane_follow_stopped_sequence)" 0

start_follower f1 "$T/db" "$U" north S1
F1=$FPID
wait_until 20 seq_is "$T/db" 3 && ok "S1 goes on after the skip" || bad "S1 at $(applied_seq "$T/db")"
s=$("$BIN/pricelane" lookup --server "127.0.0.1:$PORT" --store S1 "$CODE1")
check_eq "S1's pricelaned answers the later batch" "$(field "$s" price)" 5100
check_eq "/metrics: applied = head" "$(metric "$ADMIN" pricelane_follow_applied_sequence)/$(metric "$ADMIN" pricelane_follow_stream_head)" 3/3
out=$("$LOAD" follow --skip 3 --db "$T/db" 2>&1) && frc=0 || frc=$?
check_match "--skip while a follower runs: refused" "$out" "another follower is running on this catalogue"
"$LOAD" verify --quiet --db "$T/db" >/dev/null && ok "S1: verify clean" || bad "S1: verify"

kill -TERM "$F1" "$F2"
wait "$F1" "$F2" || true
stop_server lanes "$SPID"
stop_all_nats
finish
