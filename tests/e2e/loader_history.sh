#!/usr/bin/env bash
# pricelane-load history CODE: the item a code names (barcode, second
# barcode, scale label, SKU), every price row in time order with level,
# source, batch and record instant, promotions with cancels, labels and
# pending jobs; --store narrows to what one store sees.
source "$(dirname "$0")/lib/loader.bash"
sq() { tr -s ' ' <<<"$1"; } # table columns are aligned with runs of spaces

DB=$T/db
base_catalogue "$DB"
cat >"$T/h1.csv" <<'EOF'
op,sku,price,zone,store,start
price,A1,3.20,,,
price,A1,2.80,Z2,,
price,A1,2.70,,S1,
price,A1,3.60,,,2026-04-01 00:00
EOF
"$LOAD" apply --db "$DB" --quiet --now "$NOW1" "$T/h1.csv"
cat >"$T/h2.csv" <<'EOF'
op,promo,kind,items,price,start,end,scope,text
promo,PH,flyer,A1,1.99,2026-03-05 00:00,2026-03-08 00:00,zone:Z2,特价
promo,PM,member,A1,2.50,2026-03-01 00:00,2026-03-31 00:00,,
EOF
"$LOAD" apply --db "$DB" --quiet --now "$NOW1" "$T/h2.csv"
printf 'op,promo\npromo_cancel,PM\n' >"$T/h3.csv"
"$LOAD" apply --db "$DB" --quiet --now "$NOW2" "$T/h3.csv"

run "$LOAD" history --db "$DB" --at "$NOW2" "$BC_A1"
check_eq "history by barcode: exit 0" "$RC" 0
H=$OUT
check_contains "names the item" "$(sq "$H")" "item A1 可口可乐 330ml"
check_contains "lists its barcodes" "$(sq "$H")" "barcodes: 0$BC_A1"
check_contains "counts the price rows" "$(sq "$H")" "prices (5 rows)"
check_contains "the base row of the import" "$(sq "$H")" "$NOW0 base - 3.00 base base"
check_contains "the zone row" "$(sq "$H")" "$NOW1 zone Z2 2.80 zone h1"
check_contains "the store row" "$(sq "$H")" "$NOW1 store S1 2.70 store h1"
check_contains "the scheduled row, marked scheduled" "$(sq "$H")" "2026-04-01T00:00:00+08:00 base - 3.60 scheduled h1"
check_contains "recorded at the batch's commit instant" "$(sq "$H")" "h1 $NOW1"
first=$(grep -n "$NOW0 base" <<<"$(sq "$H")" | cut -d: -f1)
last=$(grep -n "2026-04-01T00:00:00+08:00 base" <<<"$(sq "$H")" | cut -d: -f1)
check_eq "rows ordered by time" "$([ "$first" -lt "$last" ] && echo yes)" yes
check_contains "the zone flyer" "$(sq "$H")" "PH flyer"
check_contains "its scope" "$(sq "$H")" "zone:Z2"
check_contains "the member promotion, cancelled at NOW2" "$(sq "$H")" "PM member 2.50 0 yes all $NOW2"
check_contains "the shelf label" "$(sq "$H")" "(chain) 3.00 $NOW0"
check_contains "pending jobs" "$(sq "$H")" "pending label jobs"
check_contains "the answer now" "$(sq "$H")" "price 3.20 (base), base 3.20"

run "$LOAD" history --db "$DB" --at "$NOW2" "$BC_A2B"
check_eq "history by the second barcode of A2: exit 0" "$RC" 0
check_contains "history by the second barcode: item A2 with both barcodes" "$(sq "$OUT")" "barcodes: 0$BC_A2, 0$BC_A2B"
run "$LOAD" history --db "$DB" --at "$NOW2" A4
check_contains "history by SKU" "$(sq "$OUT")" "item A4"
check_contains "history: the zone price of the import" "$(sq "$OUT")" "zone Z1 58.00"
run "$LOAD" history --db "$DB" --at "$NOW2" "$SCALE_W1"
check_eq "history by scale label: exit 0" "$RC" 0
check_contains "history by scale label: item W1" "$(sq "$OUT")" "item W1"
check_contains "history by scale label: its PLU" "$(sq "$OUT")" "scale code (PLU): 12345"

run "$LOAD" history --db "$DB" --at "$NOW2" --store S1 A1
check_contains "--store S1: its store row" "$(sq "$OUT")" "store S1 2.70"
check_not_contains "--store S1: not Z2's row" "$(sq "$OUT")" "zone Z2"
check_not_contains "--store S1: not Z2's flyer" "$(sq "$OUT")" "PH "
check_contains "--store S1: the answer for S1" "$(sq "$OUT")" "price 2.70 (store)"
run "$LOAD" history --db "$DB" --at "$NOW2" --store S3 A1
check_contains "--store S3: Z2's row" "$(sq "$OUT")" "zone Z2 2.80"
check_not_contains "--store S3: not S1's row" "$(sq "$OUT")" "store S1"

run "$LOAD" history --db "$DB" "$BC_FREE1"
check_eq "unknown barcode: exit 1" "$RC" 1
check_contains "unknown barcode: says so" "$(sq "$OUT")" "no item has barcode 0$BC_FREE1"
run "$LOAD" history --db "$DB" 6901234560016
check_eq "wrong check digit: exit 1" "$RC" 1
check_contains "wrong check digit: says which" "$(sq "$OUT")" "check digit"
run "$LOAD" history --db "$DB" NOSUCH
check_eq "unknown SKU: exit 1" "$RC" 1
check_contains "unknown SKU: says so" "$(sq "$OUT")" "NOSUCH: no item has this code"
run "$LOAD" history --db "$DB" --store S9 A1
check_eq "unknown store: exit 1" "$RC" 1
check_contains "unknown store: says so" "$(sq "$OUT")" "unknown store S9"
run "$LOAD" history --db "$DB"
check_eq "no CODE: usage error" "$RC" 2
finish
