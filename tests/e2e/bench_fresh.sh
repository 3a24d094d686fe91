#!/usr/bin/env bash
# pricelane-bench fresh for 20 s (PL_FRESH_SECONDS) per engine: lookups from
# 4 connections while batches are applied back to back with pricelane-load
# apply; zero stale, mixed or backwards answers, zero errors. The server has
# its shared cache on.
source "$(dirname "$0")/lib/common.bash"
[ -x "$BIN/pricelaned" ] && [ -x "$BIN/pricelane-bench" ] && [ -x "$BIN/pricelane-load" ] || {
    echo "skip: pricelaned, pricelane-bench or pricelane-load not built"; exit 77; }
SECONDS_EACH=${PL_FRESH_SECONDS:-20}

"$BIN/pricelane-bench" catalog --items 2000 --seed 9 --out "$T/cat.csv" --keys "$T/keys.txt" >/dev/null
"$BIN/pricelane-load" init --db "$T/db" >/dev/null
"$BIN/pricelane-load" import --db "$T/db" "$T/cat.csv" >/dev/null

for ENGINE in $ENGINES; do
    rc=0; start_server srv "$ENGINE" --cache-mb 8 || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    rc=0
    out=$(timeout $((SECONDS_EACH + 60)) "$BIN/pricelane-bench" fresh --server 127.0.0.1:$PORT \
        --db "$T/db" --keys "$T/keys.txt" --load "$BIN/pricelane-load" --duration "$SECONDS_EACH" \
        --conns 4 --depth 8 --items 8 --dir "$T") || rc=$?
    echo "     $out"
    check_eq "$ENGINE fresh exit status" "$rc" 0
    for k in stale mixed gen_backwards batch_backwards errors loader_failures; do
        check_eq "$ENGINE $k" "$(field "$out" "$k")" 0
    done
    check_eq "$ENGINE batches applied and seen" \
        "$([ "$(field "$out" batches)" -gt 0 ] && [ "$(field "$out" last_batch_seen)" = "$(field "$out" batches)" ] && echo yes)" yes
    stop_server srv "$SPID"
    check_eq "$ENGINE server exit status" "$STOP_RC" 0
done
finish
