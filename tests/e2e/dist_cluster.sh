#!/usr/bin/env bash
# A three-node JetStream cluster (127.0.0.1, ephemeral ports) with the zone's
# stream on three replicas: headquarters publishes 20 batches while the
# stream's leader is killed (SIGKILL); publishing goes on after the election
# (a publish cut by the election is simply run again: headquarters knows the
# batches it applied, and the stream drops the ids it already holds); two
# stores following the cluster end with every batch applied once.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
N=20

C1=$(free_port) C2=$(free_port) C3=$(free_port)
route() { echo "nats://127.0.0.1:$1,nats://127.0.0.1:$2"; }
start_nats n1 -1 --cluster_name pl --cluster "nats://127.0.0.1:$C1" --routes "$(route "$C2" "$C3")" || exit 1
start_nats n2 -1 --cluster_name pl --cluster "nats://127.0.0.1:$C2" --routes "$(route "$C1" "$C3")" || exit 1
start_nats n3 -1 --cluster_name pl --cluster "nats://127.0.0.1:$C3" --routes "$(route "$C1" "$C2")" || exit 1
U="nats://127.0.0.1:$NATS_PORT_n1,nats://127.0.0.1:$NATS_PORT_n2,nats://127.0.0.1:$NATS_PORT_n3"
printf '[distribution]\nreplicas = 3\ntimeout_ms = 2000\n' >"$T/dist.conf"

HQ=$T/hq
new_catalogue "$HQ"
new_catalogue "$T/s1"
new_catalogue "$T/s2"
fixture small.csv.in | xargs grep -v '^promo' >"$T/base.csv"
for i in $(seq 1 $N); do
    printf 'op,sku,price\nprice,100001,%d.00\n' $((60 + i)) >"$T/b-$(printf %04d "$i").csv"
done

# The cluster elects its metadata leader on its own time: the first publish
# (which creates the R3 stream) is tried until it is accepted.
pub() { "$LOAD" publish --quiet --config "$T/dist.conf" --db "$HQ" --nats "$U" "$@" >>"$T/pub.out" 2>&1; }
wait_until 40 pub --zone north "$T/base.csv" && ok "R3 stream created, chain's catalogue published" ||
    { bad "first publish on the cluster"; tail -5 "$T/pub.out"; }
status() { "$LOAD" follow --status --config "$T/dist.conf" --db "$T/s1" --zone north --nats "$U"; }
out=$(status)
check_match "the stream has a leader and two other replicas" "$out" "leader: +n[123] \(replicas: n[123], n[123]\)"
LEADER=$(awk '$1 == "leader:" { print $2 }' <<<"$out")

"$LOAD" follow --config "$T/dist.conf" --db "$T/s1" --nats "$U" --zone north --store S1 >"$T/f1.out" 2>&1 &
F1=$!
PL_PIDS+=("$F1")
"$LOAD" follow --config "$T/dist.conf" --db "$T/s2" --nats "$U" --zone north --store S2 >"$T/f2.out" 2>&1 &
F2=$!
PL_PIDS+=("$F2")

# Publish in the background; kill the leader once a few batches are in.
pub --zone north "$T"/b-*.csv &
PUB=$!
PL_PIDS+=("$PUB")
wait_until 30 grep -q "b-0003 to zone north" "$T/pub.out" || bad "publishing did not start"
stop_nats "$LEADER" KILL
ok "stream leader $LEADER killed while headquarters publishes"
wait "$PUB" && first=0 || first=$?
# Run the whole publish again until it succeeds (after the election).
wait_until 40 pub --zone north "$T"/b-*.csv && ok "publishing goes on after the election (first run exit $first)" ||
    { bad "publishing after the election"; tail -5 "$T/pub.out"; }
out=$(status)
HEAD=$(awk '$1 == "head:" { print $2 }' <<<"$out")
check_eq "each batch once in the stream (duplicates dropped)" "$HEAD" $((N + 1))
check_match "a new leader" "$out" "leader: +n[123]"
check_not_leader() { [[ "$(status)" != *"leader:  $LEADER "* ]]; }
check_not_leader && ok "the leader is another node" || bad "the leader is still $LEADER"
wait_until 40 seq_is "$T/s1" "$HEAD" && ok "S1 applied every batch" || bad "S1 at $(applied_seq "$T/s1") of $HEAD"
wait_until 40 seq_is "$T/s2" "$HEAD" && ok "S2 applied every batch" || bad "S2 at $(applied_seq "$T/s2") of $HEAD"
check_eq "S1: one generation per batch" "$(generation "$T/s1")" "$HEAD"
check_eq "S2: one generation per batch" "$(generation "$T/s2")" "$HEAD"
check_eq "S1: the last batch's price" \
    "$("$BIN/pricelane" lookup --db "$T/s1" --store S1 100001 | python3 -c 'import json,sys; print(json.load(sys.stdin)["price"])')" 8000
kill -TERM "$F1" "$F2"
wait "$F1" && ok "S1's follower stopped by SIGTERM" || bad "S1's follower exit $?"
wait "$F2" || true
stop_all_nats
finish
