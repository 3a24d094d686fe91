#!/usr/bin/env bash
# Credentials from the settings file only, and a store that can read only
# its zone: a real nats-server with users and permissions (the example of
# docs/distribution.md, Security). Headquarters publishes as user hq; store
# S1's follower, as user s1, follows zone north; the same credentials cannot
# read zone south's stream, nor publish a batch; a wrong password is refused.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"

cat >"$T/nats.conf" <<'EOF2'
authorization {
  users = [
    { user: hq, password: "hq-secret" }
    { user: s1, password: "s1-secret",
      permissions: {
        publish:   { allow: ["$JS.API.STREAM.INFO.PRICELANE_north", "$JS.API.STREAM.MSG.GET.PRICELANE_north"] }
        subscribe: { allow: ["pricelane.stored.north", "_INBOX.>"] }
      } }
  ]
}
EOF2
start_nats hub -1 -c "$T/nats.conf" || exit 1
U=nats://127.0.0.1:$NATS_PORT_hub
printf '[distribution]\nuser = hq\npassword = hq-secret\n' >"$T/hq.conf"
# A request the server does not permit gets no answer: a short timeout.
printf '[distribution]\nuser = s1\npassword = s1-secret\ntimeout_ms = 1000\n' >"$T/s1.conf"
printf '[distribution]\nuser = s1\npassword = wrong\n' >"$T/bad.conf"
HQ=$T/hq
new_catalogue "$HQ"
new_catalogue "$T/s1"
fixture small.csv.in | xargs grep -v '^promo' >"$T/base.csv"

out=$("$LOAD" publish --db "$HQ" --nats "$U" --zone all "$T/base.csv" 2>&1) && rc=0 || rc=$?
check_eq "no credentials: publish refused" "$rc" 1
check_match "no credentials: says why" "$out" "Authorization Violation|authorization"
"$LOAD" publish --quiet --config "$T/hq.conf" --db "$HQ" --nats "$U" --zone all "$T/base.csv" >/dev/null &&
    ok "headquarters publishes with its credentials" || bad "headquarters' publish"

"$LOAD" follow --config "$T/s1.conf" --db "$T/s1" --nats "$U" --zone north --store S1 >"$T/f1.out" 2>&1 &
F1=$!
PL_PIDS+=("$F1")
printf 'op,sku,price\nprice,100001,44.00\n' >"$T/n1.csv"
"$LOAD" publish --quiet --config "$T/hq.conf" --db "$HQ" --nats "$U" --zone north "$T/n1.csv" >/dev/null
wait_until 20 seq_is "$T/s1" 2 && ok "S1 follows its zone with its credentials" || bad "S1 at $(applied_seq "$T/s1")"

new_catalogue "$T/s1-south"
"$LOAD" follow --config "$T/s1.conf" --db "$T/s1-south" --nats "$U" --zone south --store S3 >"$T/f3.out" 2>&1 &
F3=$!
PL_PIDS+=("$F3")
wait_until 20 grep -q "waiting: stream PRICELANE_south:" "$T/f3.out" &&
    ok "S1's credentials cannot read zone south's stream: its follower waits, applies nothing" ||
    bad "$(cat "$T/f3.out")"
check_eq "  its catalogue is untouched" "$(generation "$T/s1-south")" 0
out=$("$LOAD" publish --config "$T/s1.conf" --db "$T/s1" --nats "$U" --zone north "$T/n1.csv" 2>&1) && rc=0 || rc=$?
check_eq "S1's credentials cannot publish" "$rc" 1
out=$("$LOAD" follow --status --config "$T/bad.conf" --db "$T/s1" --zone north --nats "$U" 2>&1) || true
check_match "a wrong password: the server does not answer" "$out" "the server did not answer"
kill -TERM "$F1" "$F3"
wait "$F1" "$F3" || true
stop_all_nats
finish
