#!/usr/bin/env bash
# A batch larger than the server's max payload travels in parts (a real
# nats-server with max_payload 64 KiB): a 20,000-row batch goes out as
# consecutive parts with the batch id, part number, count and digest; the
# store applies it once every part is there and the digest matches, as one
# batch; the same file published again is dropped part by part. Messages
# written by hand on the zone's subject (raw NATS protocol: an attacker, or
# a broken publisher) are refused precisely: a part without its beginning,
# parts whose digest is not the batch's, a message without headers.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"
ROWS=20000

printf 'max_payload: 65536\n' >"$T/nats.conf"
start_nats hub -1 -c "$T/nats.conf" || exit 1
U=nats://127.0.0.1:$NATS_PORT_hub
HQ=$T/hq
new_catalogue "$HQ"
new_catalogue "$T/s1"
fixture small.csv.in | xargs grep -v '^promo' >"$T/base.csv"
"$LOAD" publish --quiet --db "$HQ" --nats "$U" --zone north "$T/base.csv" >/dev/null
python3 - "$T/big.csv" "$ROWS" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("op,sku,name,price\n")
    for i in range(int(sys.argv[2])):
        f.write("item,9%06d,大批量商品 %d,%d.%02d\n" % (i, i, 1 + i % 500, i % 100))
PY
out=$("$LOAD" publish --db "$HQ" --nats "$U" --zone north "$T/big.csv" 2>&1) && rc=0 || rc=$?
check_eq "big batch: published" "$rc" 0
size=$(stat -c %s "$T/big.csv")
parts=$(((size + 61439) / 61440))
check_match "big batch: in $parts parts, consecutive" "$out" "sequences 2-$((parts + 1)) \($parts parts, $size bytes\)"
out=$("$LOAD" publish --db "$HQ" --nats "$U" --zone north "$T/big.csv" 2>&1) || true
check_match "published again: every part dropped by the stream" "$out" "duplicates of the same batch id: dropped by the stream"

start_follower f1 "$T/s1" "$U" north S1
F1=$FPID
HEAD=$((parts + 1))
wait_until 60 seq_is "$T/s1" "$HEAD" && ok "the store applied the parts" || bad "S1 at $(applied_seq "$T/s1") of $HEAD"
# (the follower says so after its commit, which readers see first: the
# read-back of the file's growth comes between)
wait_until 30 grep -q "sequences 2-$HEAD: applied batch big" "$T/f1.out" || true
check_match "as one batch of $ROWS rows" "$(cat "$T/f1.out")" "sequences 2-$HEAD: applied batch big: $ROWS rows, generation 2"
price() { "$BIN/pricelane" lookup --db "$1" --store S1 "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["price"])'; }
for sku in 9000000 9012345 9019999; do
    check_eq "item $sku as at headquarters" "$(price "$T/s1" $sku)" "$(price "$HQ" $sku)"
done
"$LOAD" verify --quiet --db "$T/s1" >/dev/null && ok "verify clean" || bad "verify"

# Hand-written messages on the zone's subject (HPUB: headers and payload).
hpub() { # HEADERS(\r\n-separated lines) PAYLOAD
    python3 - "$NATS_PORT_hub" "$1" "$2" <<'PY'
import socket, sys
port, hdrs, body = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
h = ("NATS/1.0\r\n" + hdrs.replace("|", "\r\n") + "\r\n\r\n").encode() if hdrs else b""
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.recv(4096)  # INFO
s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\n')
if h:
    s.sendall(b"HPUB pricelane.zone.north %d %d\r\n" % (len(h), len(h) + len(body)) + h + body + b"\r\n")
else:
    s.sendall(b"PUB pricelane.zone.north %d\r\n" % len(body) + body + b"\r\n")
s.sendall(b"PING\r\n")
buf = b""
while b"PONG" not in buf:
    buf += s.recv(4096)
PY
}
# A part 2 of 2 alone.
hpub "Pricelane-Batch: x1|Pricelane-Format: csv|Pricelane-Part: 2/2|Pricelane-Digest: 0123456789abcdef0123456789abcdef" "price,100001,1.00"
frc=0; timeout 20 tail -s 0.05 --pid="$F1" -f /dev/null; wait "$F1" || frc=$?
check_eq "a part without its beginning: the follower stops" "$frc" 1
check_match "a part without its beginning: says so" "$(cat "$T/f1.err")" "stopped at PRICELANE_north sequence $((HEAD + 1)): batch x1: part 2 of 2 without the parts before it"
"$LOAD" follow --skip $((HEAD + 1)) --db "$T/s1" >/dev/null && ok "passed with --skip" || bad "--skip"

# Two parts whose bytes do not give the digest they carry.
hpub "Pricelane-Batch: x2|Pricelane-Format: csv|Pricelane-Part: 1/2|Pricelane-Digest: 0123456789abcdef0123456789abcdef" $'op,sku,price\n'
hpub "Pricelane-Batch: x2|Pricelane-Format: csv|Pricelane-Part: 2/2|Pricelane-Digest: 0123456789abcdef0123456789abcdef" $'price,100001,1.00\n'
start_follower f1 "$T/s1" "$U" north S1
F1=$FPID
frc=0; timeout 20 tail -s 0.05 --pid="$F1" -f /dev/null; wait "$F1" || frc=$?
check_eq "parts with a wrong digest: the follower stops" "$frc" 1
check_match "parts with a wrong digest: says so" "$(cat "$T/f1.err")" "sequence $((HEAD + 2)): batch x2: its 2 parts do not make the batch \(digest [0-9a-f]{32}, the parts say 0123456789abcdef0123456789abcdef\)"
check_eq "nothing of it applied" "$(price "$T/s1" 6901234567892)" 5990
"$LOAD" follow --skip $((HEAD + 2)) --db "$T/s1" >/dev/null || bad "--skip"
# The skip moved past the first part; the second now stands alone.
start_follower f1 "$T/s1" "$U" north S1
F1=$FPID
frc=0; timeout 20 tail -s 0.05 --pid="$F1" -f /dev/null; wait "$F1" || frc=$?
check_match "its second part, alone: stops too" "$(tail -3 "$T/f1.err")" "sequence $((HEAD + 3)): batch x2: part 2 of 2 without"
"$LOAD" follow --skip $((HEAD + 3)) --db "$T/s1" >/dev/null || bad "--skip"

# A message without headers (a plain publish on the subject).
hpub "" $'op,sku,price\nprice,100001,1.00\n'
start_follower f1 "$T/s1" "$U" north S1
F1=$FPID
frc=0; timeout 20 tail -s 0.05 --pid="$F1" -f /dev/null; wait "$F1" || frc=$?
check_match "a message without headers: stops, says why" "$(tail -3 "$T/f1.err")" "sequence $((HEAD + 4)): the message has no valid Pricelane-Batch header"
check_eq "the catalogue: the big batch and the three skips" "$(generation "$T/s1")" 5
"$LOAD" verify --quiet --db "$T/s1" >/dev/null && ok "verify clean after the skips" || bad "verify"
stop_all_nats
finish
