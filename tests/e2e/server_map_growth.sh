#!/usr/bin/env bash
# A loader grows the catalogue's map while pricelaned serves from it with two
# workers: the server never remaps under its threads' read transactions
# (catalog.h), answers the new items of the batch that needed the growth,
# and keeps running. Both engines.
source "$(dirname "$0")/lib/common.bash"
NOW=$(date +%s)
"$BIN/pricelane-load" init --db "$T/db" --map-size 64K >/dev/null
"$BIN/pricelane-load" import --db "$T/db" --now "@$((NOW - 86400))" \
    "$(fixture small.csv.in "@$NOW")" >/dev/null
map_size() { mdb_stat -e "$1" 2>/dev/null | awk '/Map size/ { print $3 }'; }

# batch N FIRST: N new items (keyed codes FIRST..), each priced 1.00 + its index.
batch() {
    python3 - "$1" "$2" <<'PY'
import sys
n, first = int(sys.argv[1]), int(sys.argv[2])
print("op,sku,name,price")
for i in range(n):
    print("item,%d,item %d with a name long enough to take room,%d.%02d" % (first + i, first + i, 1 + i // 100, i % 100))
PY
}

round=0
for ENGINE in $ENGINES; do
    echo "== engine $ENGINE"
    rc=0; start_server srv "$ENGINE" || rc=$?
    if [ $rc = 77 ]; then echo "skip $ENGINE: not usable on this host"; continue; fi
    [ $rc = 0 ] || exit 1
    for k in 1 2 3; do
        round=$((round + 1))
        first=$((900000 + round * 10000))
        before=$(map_size "$T/db")
        batch 3000 "$first" >"$T/b$round.csv"
        out=$("$BIN/pricelane-load" apply --db "$T/db" "$T/b$round.csv" 2>&1) ||
            { bad "$ENGINE batch $k: apply failed: $out"; continue; }
        after=$(map_size "$T/db")
        [ -z "$before" ] || echo "     map: $before → $after bytes"
        # Both workers (several connections) answer the last new item.
        for c in 1 2 3 4; do
            got=$(printf '%s\n' "$((first + 2999))" | plnet tcp "$PORT" --lines 1)
            check_eq "$ENGINE batch $k, connection $c: the newest item after the map grew" \
                "$(field "$got" price)" 3099
        done
    done
    check_match "$ENGINE: still healthy" "$(curl -s --max-time 5 "http://127.0.0.1:$ADMIN/healthz")" '^ok'
    stop_server srv "$SPID"
    check_eq "$ENGINE: SIGTERM: exit status" "$STOP_RC" 0
done
finish
