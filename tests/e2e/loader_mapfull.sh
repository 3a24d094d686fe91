#!/usr/bin/env bash
# MDB_MAP_FULL: a catalogue created with a tiny map gets batches that need
# more room. The loader grows the map and runs the whole batch again: it is
# applied once (one generation, one ledger record) and nothing is lost (the
# result equals the same batch applied to a catalogue with room to spare).
source "$(dirname "$0")/lib/loader.bash"

map_size() { mdb_stat -e "$1" | awk '/Map size/ { print $3 }'; }

SMALL=$T/small
BIG=$T/big
base_csv >"$T/base.csv"
run "$LOAD" init --db "$SMALL" --map-size 64K
check_eq "init --map-size 64K: exit 0" "$RC" 0
"$LOAD" init --db "$BIG" >/dev/null
size0=$(map_size "$SMALL")
check_eq "the small catalogue's map is 64 KiB" "$size0" 65536
run "$LOAD" import --db "$SMALL" --now "$NOW0" "$T/base.csv"
check_eq "import into the tiny map: exit 0" "$RC" 0
"$LOAD" import --db "$BIG" --quiet --now "$NOW0" "$T/base.csv"

gen_batch "$T/grow.csv" 1000 2500
g0=$(gen "$SMALL")
run "$LOAD" apply --db "$SMALL" --now "$NOW1" "$T/grow.csv"
check_eq "a batch that needs growth: exit 0" "$RC" 0
check_contains "a batch that needs growth: says the map grew" "$OUT" "(map grown)"
check_contains "a batch that needs growth: all rows" "$OUT" "5000 rows"
check_eq "applied once: generation + 1" "$(gen "$SMALL")" $((g0 + 1))
size1=$(map_size "$SMALL")
check_eq "the map grew" "$([ "$size1" -gt "$size0" ] && echo yes)" yes
echo "     map: $size0 → $size1 bytes"
check_eq "first new item answers" "$(field "$(answer "$SMALL" N1000 --at "$NOW1")" price)" 1100
check_eq "last new item answers by barcode" "$(field "$(answer "$SMALL" 6900000034996 --at "$NOW1")" sku)" N3499
run "$LOAD" apply --db "$SMALL" --now "$NOW1" "$T/grow.csv"
check_contains "applied once: again is already applied" "$OUT" "already applied"

"$LOAD" apply --db "$BIG" --quiet --now "$NOW1" "$T/grow.csv"
if have_mdb_dump; then
    dump "$SMALL" "$T/small.dump"
    dump "$BIG" "$T/big.dump"
    # The catalogue ids differ (random at init): compare everything else
    # (the key is "catalog_id" in mdb_dump's hex).
    awk 'skip { skip = 0; next } $1 == "636174616c6f675f6964" { skip = 1; next } 1' "$T/small.dump" >"$T/s"
    awk 'skip { skip = 0; next } $1 == "636174616c6f675f6964" { skip = 1; next } 1' "$T/big.dump" >"$T/b"
    check_files_same "nothing lost: every record equals the same batch on a roomy map" "$T/s" "$T/b"
fi
snapshot "$SMALL" "$T/snap.small" N1000 N2000 N3499
snapshot "$BIG" "$T/snap.big" N1000 N2000 N3499
check_files_same "nothing lost: lookups, history and labels equal" "$T/snap.small" "$T/snap.big"
run "$LOAD" verify --db "$SMALL"
check_eq "verify after growth: exit 0" "$RC" 0

run "$LOAD" init --db "$T/x" --map-size 1K
check_eq "init --map-size 1K: usage error" "$RC" 2
check_contains "init --map-size 1K: says the range" "$OUT" "(64K to 1024G)"
finish
