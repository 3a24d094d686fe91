#!/usr/bin/env bash
# An item whose price changes often (a markdown every minute or so) keeps
# working: 150 batches change one item's price within the last few hours;
# every batch applies, and price, prev_price and low_7d follow the history,
# offline and through a running server (both engines, with its cache).
source "$PL_SOURCE_DIR/tests/e2e/lib/common.bash"

NOW=$(date +%s)
T0=$((NOW - 3 * 3600))
"$BIN/pricelane-load" init --db "$T/db" >/dev/null
"$BIN/pricelane-load" import --now "@$((T0 - 86400))" --db "$T/db" "$(fixture small.csv.in "@$NOW")" >/dev/null
applied=0 low=5990 prev= last=
for i in $(seq 1 150); do
    cents=$(( (50 + i % 7) * 100 + i % 100 ))
    printf 'op,sku,price\nprice,100001,%d.%02d\n' $((cents / 100)) $((cents % 100)) >"$T/h$i.csv"
    "$BIN/pricelane-load" apply --quiet --now "@$((T0 + i * 60))" --db "$T/db" "$T/h$i.csv" &&
        applied=$((applied + 1))
    [ "$cents" -lt "$low" ] && low=$cents
    prev=$last last=$cents
done
check_eq "batches applied" "$applied" 150
a=$("$BIN/pricelane" lookup --db "$T/db" 6901234567892)
check_eq "price after 150 changes" "$(field "$a" price)" "$last"
check_eq "prev_price" "$(field "$a" prev_price)" "$prev"
check_eq "low_7d" "$(field "$a" low_7d)" "$low"
"$BIN/pricelane-load" verify --db "$T/db" >/dev/null && ok "verify clean" || bad "verify"

for engine in $ENGINES; do
    start_server "srv_$engine" "$engine" || { rc=$?; [ $rc = 77 ] && continue; exit 1; }
    for round in 1 2; do # the second round is answered from the cache
        s=$("$BIN/pricelane" lookup --server "127.0.0.1:$PORT" 6901234567892)
        check_eq "$engine round $round: server answers like the catalogue" \
            "$(field "$s" price)/$(field "$s" prev_price)/$(field "$s" low_7d)" "$last/$prev/$low"
    done
    stop_server "srv_$engine" "$SPID"
done
finish
