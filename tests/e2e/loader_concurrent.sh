#!/usr/bin/env bash
# Two loaders started at once both land: LMDB's single writer serializes
# them, each batch commits whole, one generation each. On a tiny map both
# also have to grow it, each adopting the other's growth (MDB_MAP_RESIZED).
source "$(dirname "$0")/lib/loader.bash"

base_csv >"$T/base.csv"
gen_batch "$T/one.csv" 10000 2000
gen_batch "$T/two.csv" 20000 2000
# Several rounds: the moments the two meet (one growing the map while the
# other opens the catalogue or waits for the writer lock) vary run to run.
for round in 1 2 3 4 5; do
    C=$T/conc$round
    "$LOAD" init --db "$C" --map-size 64K >/dev/null
    "$LOAD" import --db "$C" --quiet --now "$NOW0" "$T/base.csv"
    g0=$(gen "$C")
    "$LOAD" apply --db "$C" --now "$NOW1" "$T/one.csv" >"$T/one.out" 2>&1 &
    p1=$!
    "$LOAD" apply --db "$C" --now "$NOW1" "$T/two.csv" >"$T/two.out" 2>&1 &
    p2=$!
    LOADER_PIDS+=("$p1" "$p2")
    rc1=0 rc2=0
    wait "$p1" || rc1=$?
    wait "$p2" || rc2=$?
    check_eq "round $round: two loaders at once both exit 0" "$rc1 $rc2" "0 0"
    [ "$rc1 $rc2" = "0 0" ] || cat "$T/one.out" "$T/two.out" | sed 's/^/     /'
    check_eq "round $round: two generations" "$(gen "$C")" $((g0 + 2))
    check_eq "round $round: both batches landed" \
        "$(field "$(answer "$C" N11999 --at "$NOW1")" status) $(field "$(answer "$C" N21999 --at "$NOW1")" status)" "ok ok"
    run "$LOAD" verify --db "$C"
    check_eq "round $round: verify exit 0" "$RC" 0
done

# Readers meanwhile: lookups started while both loaders run answer from one
# generation or another, never an error.
D=$T/readers
"$LOAD" init --db "$D" >/dev/null
"$LOAD" import --db "$D" --quiet --now "$NOW0" "$T/base.csv"
"$LOAD" apply --db "$D" --now "$NOW1" "$T/one.csv" >/dev/null 2>&1 &
p1=$!
"$LOAD" apply --db "$D" --now "$NOW1" "$T/two.csv" >/dev/null 2>&1 &
p2=$!
LOADER_PIDS+=("$p1" "$p2")
statuses=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
    statuses+="$(field "$(answer "$D" A1 --at "$NOW1")" status) "
done
rc1=0 rc2=0
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
check_eq "lookups during two loads: all ok" "$statuses" "$(printf 'ok %.0s' $(seq 10))"
check_eq "lookups during two loads: both loads exit 0" "$rc1 $rc2" "0 0"
finish
