#!/usr/bin/env bash
# Headquarters publishes batches to the zones' streams of a real nats-server
# (JetStream, 127.0.0.1, ephemeral port): a file is applied to headquarters'
# catalogue first, a bad one is refused row by row and nothing reaches any
# stream; --zone all reaches every zone; the same batch published twice is
# dropped by the stream (Nats-Msg-Id = batch id); bad settings and zones are
# refused before anything is sent.
source "$(dirname "$0")/lib/common.bash"
source "$(dirname "$0")/lib/nats.bash"

start_nats hq || exit 1
U=nats://127.0.0.1:$NATS_PORT_hq
HQ=$T/hq
new_catalogue "$HQ"
new_catalogue "$T/probe" # only to ask the streams' heads

fixture small.csv.in | xargs grep -v '^promo' >"$T/base.csv" # stores S1, S2 (north), S3 (south)

run() { OUT=$("$@" 2>&1) && RC=0 || RC=$?; }

# A bad first file: nothing applied at headquarters, no stream created.
printf 'op,sku,price\nprice,NOPE,1.00\nprice,100001,abc\n' >"$T/bad.csv"
run "$LOAD" publish --db "$HQ" --nats "$U" --zone all "$T/bad.csv"
check_eq "bad file: exit 1" "$RC" 1
check_match "bad file: each bad row with line and column" "$OUT" "bad.csv:2:sku: unknown item NOPE"
check_match "bad file: the second bad row too" "$OUT" 'bad.csv:3:price: "abc" is not an amount'
check_match "bad file: nothing applied or published" "$OUT" "2 problems; nothing of it was applied or published"
check_eq "bad file: headquarters' generation unchanged" "$(generation "$HQ")" 0

run "$LOAD" publish --db "$HQ" --nats "$U" --zone all "$T/base.csv"
check_eq "chain-wide batch: exit 0" "$RC" 0
check_match "chain-wide batch: applied at headquarters" "$OUT" "applied batch base at headquarters: generation 1"
check_match "chain-wide batch: zone north" "$OUT" "published batch base to zone north: stream PRICELANE_north sequence 1"
check_match "chain-wide batch: zone south" "$OUT" "published batch base to zone south: stream PRICELANE_south sequence 1"

printf 'op,sku,price,store\nprice,100001,58.00,\nprice,100003,3.20,S1\n' >"$T/n-0001.csv"
run "$LOAD" publish --db "$HQ" --nats "$U" --zone north "$T/n-0001.csv"
check_eq "zone batch: exit 0" "$RC" 0
check_match "zone batch: sequence 2 of north" "$OUT" "zone north: stream PRICELANE_north sequence 2$"
check_eq "zone batch: north's head" "$(stream_head "$T/probe" "$U" north)" 2
check_eq "zone batch: south's head unchanged" "$(stream_head "$T/probe" "$U" south)" 1

# The same batch again (a retry after a timeout): the stream drops it.
run "$LOAD" publish --db "$HQ" --nats "$U" --zone north "$T/n-0001.csv"
check_eq "retried publish: exit 0" "$RC" 0
check_match "retried publish: headquarters knows it" "$OUT" "batch n-0001 already applied at headquarters"
check_match "retried publish: dropped by the stream" "$OUT" "sequence 2 \(a duplicate of the same batch id: dropped by the stream\)"
check_eq "retried publish: north's head unchanged" "$(stream_head "$T/probe" "$U" north)" 2

# A bad file after good ones: nothing of it, later files not attempted.
printf 'op,sku,price\nprice,100002,-5\n' >"$T/n-0002.csv"
printf 'op,sku,price\nprice,100002,61.00\n' >"$T/n-0003.csv"
run "$LOAD" publish --db "$HQ" --nats "$U" --zone north "$T/n-0002.csv" "$T/n-0003.csv"
check_eq "bad second file: exit 1" "$RC" 1
check_match "bad second file: the row" "$OUT" "n-0002.csv:2:price"
check_eq "bad second file: north's head unchanged" "$(stream_head "$T/probe" "$U" north)" 2

# Refused before anything is sent.
run "$LOAD" publish --db "$HQ" --nats "$U" --zone east "$T/n-0003.csv"
check_eq "unknown zone: exit 1" "$RC" 1
check_match "unknown zone: says why" "$OUT" "zone east: no store of .* belongs to it"
run "$LOAD" publish --db "$HQ" --nats "$U" --zone 'a.b' "$T/n-0003.csv"
check_eq "zone with a dot: usage error" "$RC" 2
check_match "zone with a dot: says why" "$OUT" 'zone "a.b": a distributed zone id is'
printf '[distribution]\nreplicas = 9\n' >"$T/bad.conf"
run "$LOAD" publish --db "$HQ" --nats "$U" --zone north --config "$T/bad.conf" "$T/n-0003.csv"
check_eq "bad setting: usage error" "$RC" 2
check_match "bad setting: file, line, key, why" "$OUT" 'bad.conf:2: replicas: "9": expected a whole number from 1 to 5'
printf '[distribution]\npasword = x\n' >"$T/typo.conf"
run "$LOAD" publish --db "$HQ" --nats "$U" --zone north --config "$T/typo.conf" "$T/n-0003.csv"
check_match "misspelt setting: refused" "$OUT" 'typo.conf:2: pasword: unknown setting'
cp "$T/n-0003.csv" "$T/n-0003.txt"
run "$LOAD" publish --db "$HQ" --nats "$U" --zone north "$T/n-0003.txt"
check_match "a name that gives no format: refused" "$OUT" "must end in .csv, .jsonl or .ndjson"
check_eq "after the refusals: north's head unchanged" "$(stream_head "$T/probe" "$U" north)" 2

# Settings: the stream prefix names the streams.
printf '[distribution]\nstream_prefix = CHAIN_\nsubject_prefix = chain.prices.\nsnapshot_prefix = chain.snapshots.\nmax_age = 3600\n' >"$T/d.conf"
run "$LOAD" publish --db "$HQ" --nats "$U" --zone south --config "$T/d.conf" "$T/n-0003.csv"
check_match "stream_prefix setting: the stream's name" "$OUT" "stream CHAIN_south sequence 1"

stop_nats hq
run "$LOAD" publish --db "$HQ" --nats "$U" --zone north "$T/n-0003.csv"
check_eq "server down: exit 1" "$RC" 1
check_match "server down: nothing published" "$OUT" "nothing was published"
finish
