#!/usr/bin/env bash
# pricelane-load apply: every operation of a change batch, checked through
# the answers `pricelane lookup` gives afterwards (CSV and JSON Lines).
source "$(dirname "$0")/lib/loader.bash"

DB=$T/db
base_catalogue "$DB"
echo "     base catalogue imported at $NOW0"

apply() { # FILE [NOW]
    run "$LOAD" apply --db "$DB" --now "${2:-$NOW1}" "$1"
    check_eq "apply $(basename "$1") exits 0" "$RC" 0
    [ "$RC" = 0 ] || printf '%s\n' "$OUT" | sed 's/^/       /'
}
get() { # CODE FIELD [lookup options]
    local code=$1 f=$2
    shift 2
    field "$(answer "$DB" "$code" --at "$NOW1" "$@")" "$f"
}

# ---- store ------------------------------------------------------------------
cat >"$T/b01.csv" <<'EOF'
op,store,zone,name,formats
store,S4,Z2,北京二店,"20IIIIIPPPPPC,21IIIIIWWWWWC"
store,S1,Z1,上海一店(改名),
EOF
apply "$T/b01.csv"
check_eq "op store: new store S4 answers with its zone Z2 (base price there)" "$(get A4 price --store S4)" 6000
check_eq "op store: S1 still in zone Z1 (zone price)" "$(get A4 price --store S1)" 5800

# ---- item: new, update (name, pack quantity) ----------------------------------
cat >"$T/b02.csv" <<'EOF'
op,sku,name,unit,pack_qty,dept,flags,content,price
item,B1,"农夫山泉, 550ml",瓶,1,饮料,,550ml,2.00
item,A1,可口可乐 330ml 新包装,,,,,,
item,A2,,,6,,,,
EOF
apply "$T/b02.csv"
check_eq "op item: new item B1 has its price" "$(get B1 price)" 200
check_eq "op item: new item B1 keeps a name with a comma" "$(get B1 name)" "农夫山泉, 550ml"
check_eq "op item: A1 renamed" "$(get A1 name)" "可口可乐 330ml 新包装"
check_eq "op item: A1 price unchanged by a rename" "$(get A1 price)" 300
check_eq "op item: A2 pack quantity 6" "$(get A2 pack_qty)" 6
check_eq "op item: a rename makes the shelf label due for reprint" "$(get A1 label_pending)" true
run "$LOAD" labels list --db "$DB"
check_contains "op item: the rename's label job has reason name" "$OUT" "name"

# ---- barcode add / remove / move ------------------------------------------------
cat >"$T/b03.csv" <<EOF
op,sku,barcode
barcode,B1,$BC_FREE1
barcode,B1,$BC_FREE2
barcode_remove,A2,$BC_A2B
barcode_move,A1,$BC_FREE2
EOF
apply "$T/b03.csv"
check_eq "op barcode: $BC_FREE1 now finds B1" "$(get "$BC_FREE1" sku)" B1
check_eq "op barcode_remove: $BC_A2B finds nothing" "$(get "$BC_A2B" status)" not_found
check_eq "op barcode_remove: A2's other barcode still works" "$(get "$BC_A2" sku)" A2
check_eq "op barcode_move: $BC_FREE2 moved from B1 to A1" "$(get "$BC_FREE2" sku)" A1

# ---- price: base, zone, store, withdrawn override, scheduled ------------------------
cat >"$T/b04.csv" <<'EOF'
op,sku,price,zone,store,start
price,A1,3.50,,,
price,A1,3.20,Z2,,
price,A1,2.90,,S1,
price,A4,-,Z1,,
price,A2,7.00,,,2026-03-10 00:00
EOF
apply "$T/b04.csv"
check_eq "op price: new base price" "$(get A1 price)" 350
check_eq "op price: zone price in Z2 (store S3)" "$(get A1 price --store S3)" 320
check_eq "op price: zone price source" "$(get A1 source --store S3)" zone
check_eq "op price: store price in S1" "$(get A1 price --store S1)" 290
check_eq "op price: S2 (zone Z1, no override) gets the base price" "$(get A1 price --store S2)" 350
check_eq "op price: '-' withdraws A4's Z1 price: S1 pays the base price" "$(get A4 price --store S1)" 6000
check_eq "op price: scheduled price not in force before its start" "$(get A2 price)" 800
check_eq "op price: scheduled price in force from its start" \
    "$(field "$(answer "$DB" A2 --at 2026-03-10T00:00:00+08:00)" price)" 700
check_eq "op price: its source is scheduled" \
    "$(field "$(answer "$DB" A2 --at 2026-03-10T00:00:00+08:00)" source)" scheduled
check_eq "op price: prev_price after the change" "$(get A1 prev_price)" 300

# ---- promotions: price, percent off, member, scope, cancel -------------------------
cat >"$T/b05.jsonl" <<'EOF'
{"op":"promo","promo":"P2","kind":"flyer","items":"A1|B1","price":"1.99","start":"2026-03-03 00:00","end":"2026-03-08 00:00","text":"惊爆价"}
{"op":"promo","promo":"P3","kind":"member","items":"A2","pct_off":"25","start":"2026-03-01 00:00","end":"2026-04-01 00:00"}
{"op":"promo","promo":"P4","kind":"markdown","items":"A4","price":50,"start":"2026-03-01 00:00","end":"2026-04-01 00:00","scope":"store:S3"}
{"op":"promo","promo":"P5","kind":"clearance","items":"B1","price":"1.50","start":"2026-03-01 00:00","end":"2026-04-01 00:00","scope":"zone:Z1","priority":5}
EOF
apply "$T/b05.jsonl"
check_eq "op promo: flyer price in its window" "$(get A1 price)" 199
check_eq "op promo: flyer source" "$(get A1 source)" flyer
check_eq "op promo: promo_id" "$(get A1 promo_id)" P2
check_eq "op promo: after its window the regular price" \
    "$(field "$(answer "$DB" A1 --at 2026-03-09T00:00:00+08:00)" price)" 350
check_eq "op promo: member percent off not for a non-member" "$(get A2 price)" 800
check_eq "op promo: member percent off for a member (25% of 8.00)" "$(get A2 price --member)" 600
check_eq "op promo: store-scoped markdown in S3" "$(get A4 price --store S3)" 5000
check_eq "op promo: not in S1" "$(get A4 price --store S1)" 6000
check_eq "op promo: zone-scoped clearance with priority 5 beats the flyer in Z1" \
    "$(get B1 promo_id --store S1)" P5
check_eq "op promo: outside Z1 the flyer applies" "$(get B1 promo_id --store S3)" P2

cat >"$T/b06.csv" <<'EOF'
op,promo
promo_cancel,P2
EOF
apply "$T/b06.csv" "$NOW2"
check_eq "op promo_cancel: A1 back to its regular price after the cancel" \
    "$(field "$(answer "$DB" A1 --at "$NOW2")" price)" 350
check_eq "op promo_cancel: still the promo price before the cancel instant" "$(get A1 price)" 199
run "$LOAD" history --db "$DB" --at "$NOW2" A1
check_contains "op promo_cancel: history shows the cancel instant" "$OUT" "2026-03-04T09:00:00+08:00"

# ---- discontinue ----------------------------------------------------------------------
cat >"$T/b07.csv" <<'EOF'
op,sku
discontinue,B1
EOF
apply "$T/b07.csv" "$NOW2"
check_eq "op discontinue: lookups say not_found" "$(field "$(answer "$DB" B1 --at "$NOW2")" status)" not_found
check_contains "op discontinue: and why" "$(field "$(answer "$DB" B1 --at "$NOW2")" error)" discontinued
run "$LOAD" labels list --db "$DB"
check_not_contains "op discontinue: no pending label job is left for B1" "$OUT" " B1 "

run "$LOAD" verify --db "$DB"
check_eq "verify after every operation: exit 0" "$RC" 0
finish
