#!/usr/bin/env bash
# pricelane-load verify: exit 0 on catalogues the loader wrote (fresh,
# imported, after batches and acks), exit 1 listing every violation on
# catalogues broken behind the loader's back with mdb_load (lmdb-utils).
source "$(dirname "$0")/lib/loader.bash"
command -v mdb_load >/dev/null || {
    echo "mdb_load (lmdb-utils) not installed: skipped"
    exit 77
}

DB=$T/db
"$LOAD" init --db "$DB" >/dev/null
run "$LOAD" verify --db "$DB"
check_eq "fresh catalogue: exit 0" "$RC" 0
check_contains "fresh catalogue: says ok" "$OUT" "ok"
rm -rf "$DB"

base_catalogue "$DB"
run "$LOAD" verify --db "$DB"
check_eq "imported catalogue: exit 0" "$RC" 0
check_match "imported catalogue: counts records, no violation" "$OUT" "ok, [0-9]+ records, no violation"

cat >"$T/v1.csv" <<EOF
op,sku,barcode,name,price,promo,kind,items,start,end,zone
item,B1,,新品,4.00,,,,,,
barcode,B1,$BC_FREE1,,,,,,,,
barcode_move,B1,$BC_A2B,,,,,,,,
promo,,,,1.00,PV,special,A1|B1,2026-03-01 00:00,2026-04-01 00:00,
price,A4,,,59.00,,,,,,Z2
EOF
"$LOAD" apply --db "$DB" --quiet --now "$NOW1" "$T/v1.csv"
job=$("$LOAD" labels export --db "$DB" | awk -F, 'NR == 2 { print $1 }')
"$LOAD" labels ack --db "$DB" --now "$NOW1" "$job" >/dev/null
printf 'op,sku\ndiscontinue,B1\n' >"$T/v2.csv"
"$LOAD" apply --db "$DB" --quiet --now "$NOW2" "$T/v2.csv"
run "$LOAD" verify --db "$DB"
check_eq "after batches, an ack and a discontinue: exit 0" "$RC" 0

# Every store of zone Z2 moves to a new zone: the batch applies, and verify
# agrees with it: Z2's price stays (dormant) and holds again when a store
# comes back to Z2.
printf 'op,store,zone,name\nstore,S3,Z9,北京一店\n' >"$T/v3.csv"
run "$LOAD" apply --db "$DB" --now "$NOW2" "$T/v3.csv"
check_eq "the last store of a zone moves away: applied" "$RC" 0
run "$LOAD" verify --db "$DB"
check_eq "a zone left without stores: verify exit 0" "$RC" 0
check_not_contains "a zone left without stores: no violation" "$OUT" "has no store"
check_eq "the zone's price is not charged in the new zone" \
    "$(field "$(answer "$DB" A4 --at "$NOW2" --store S3)" price)" 6000
printf 'op,store,zone,name\nstore,S3,Z2,北京一店\n' >"$T/v4.csv"
"$LOAD" apply --db "$DB" --quiet --now "$NOW2" "$T/v4.csv"
check_eq "back in its zone: the zone's price holds again" \
    "$(field "$(answer "$DB" A4 --at "$NOW2" --store S3)" price)" 5900
run "$LOAD" verify --db "$DB"
check_eq "back in its zone: verify exit 0" "$RC" 0
cp -a "$DB" "$T/good"

# load DB DATABASE KEY VALUE: writes one record in mdb_load's text form
# (\xx escapes), as a hand edit or a foreign tool would.
load() { printf '%s\n%s\n' "$3" "$4" | mdb_load -T -s "$2" "$1"; }
broken() { # WHAT EXPECTED...
    local what=$1
    shift
    run "$LOAD" verify --db "$DB"
    check_eq "$what: exit 1" "$RC" 1
    local w
    for w in "$@"; do check_contains "$what: reports '$w'" "$OUT" "$w"; done
    check_match "$what: counts the violations" "$OUT" "[0-9]+ violations? in [0-9]+ records"
    rm -rf "$DB"
    cp -a "$T/good" "$DB"
}

# An in-store code (a scale label of item W1's range) stored as a barcode,
# as an older loader accepted: lanes would never reach it.
load "$DB" barcodes 02112345007502 A1
load "$DB" itemcodes A1 02112345007502
broken "an in-store code as a barcode" "barcode 02112345007502 of item A1 is an in-store code"

load "$DB" barcodes 06901234560077 GHOST
broken "barcode of a missing item" "barcodes: barcode 06901234560077: item GHOST does not exist" \
    "lacks it"

load "$DB" barcodes "0$BC_A1" A3
broken "barcode moved under one item only" "barcode 0$BC_A1 points at item A3, but the item's barcode list" \
    "barcode 0$BC_A1 is listed under items A1 and A3"

load "$DB" items A2 '\01'
broken "corrupt item record" "items: item A2: record does not decode"

load "$DB" meta gen '\63\00\00\00\00\00\00\00'
broken "generation not the ledger's" "meta: generation 99, but the batch ledger's highest is"

load "$DB" meta next_job '\01\00\00\00\00\00\00\00'
broken "next job id reused" "meta: next_job is 1, but job"

load "$DB" promoitems A3 PGHOST
broken "promotion index names a missing promotion" "promoitems: item A3 → promotion PGHOST, which does not exist"

load "$DB" ljobitem A2 '\00\00\00\00\00\00\03\e7'
broken "pending index names a missing job" "ljobitem: item A2 → job 999, which does not exist"

# Several at once: every one is listed.
load "$DB" barcodes 06901234560077 GHOST
load "$DB" items A2 '\01'
load "$DB" meta gen '\63\00\00\00\00\00\00\00'
broken "three breakages" "item GHOST does not exist" "item A2: record does not decode" "generation 99"

run "$LOAD" verify --db "$DB"
check_eq "restored copy: exit 0" "$RC" 0
run "$LOAD" verify --db "$T/nowhere"
check_eq "no catalogue: exit 1" "$RC" 1
run "$LOAD" verify
check_eq "no --db: usage error" "$RC" 2
finish
